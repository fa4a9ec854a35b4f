/* fuzz_chat_bus.c — libFuzzer target for what a chat node takes from the
 * cluster bus (services/chat/cluster*.c): any message, as if published by
 * node B on a room's or this node's channel, must never make the node
 * read out of bounds, leak, crash, or send a local client a line longer
 * than 512 bytes; the node must then still serve its local client.  The
 * input's first byte picks the channel and whether a "B\t" header is put
 * in front.
 *
 * fuzz-sources: services/[a-z]*.c services/chat/[a-z]*.c
 * lib/escape.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat.h"
#include "fake_host.h"
#include "fake_bus.h"

extern const struct service svc_chat;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_lines(const struct fake *f)
{
	const char *p = f->out, *end = f->out + f->outlen;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (len > 600)
			abort();
		p += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const chans[] = { "sockit:room:#test", "sockit:node:A" };
	static struct fbus bus;
	struct svc_options opt = { .no_flood_limit = true };
	struct fake a;

	if (size < 1 || size > 40000)
		return 0;
	fake_bus_reset();
	fake_init(&a, &svc_chat, &opt);
	fake_bus_init(&bus, "A");
	svc_chat.bus_attach(a.conn.instance, &bus.b);
	bus.b.sink.link(bus.b.sink.svc, true, NULL);
	fake_open(&a);
	const char reg[] = "NICK alice\r\nUSER a 0 * :A\r\nJOIN #test\r\n";
	svc_chat.bytes(&a.conn, reg, sizeof reg - 1);
	fake_bus_run();
	char *msg = malloc(size + 2);
	size_t n = 0;
	if (data[0] & 2) {
		memcpy(msg, "B\t", 2);
		n = 2;
	}
	memcpy(msg + n, data + 1, size - 1);
	n += size - 1;
	bus.b.sink.message(bus.b.sink.svc, chans[data[0] & 1], msg, n);
	free(msg);
	fake_bus_run();
	if (data[0] & 4) {                  /* B lost: its ghosts leave */
		bus.b.sink.tick(bus.b.sink.svc);
		fake_bus_run();
	}
	fake_clear(&a);
	const char ping[] = "PING :still\r\n";
	svc_chat.bytes(&a.conn, ping, sizeof ping - 1);
	fake_bus_run();
	if (!a.ended && !strstr(a.out ? a.out : "", "PONG"))
		abort();
	check_lines(&a);
	void *inst = a.conn.instance;
	svc_chat.close(&a.conn);
	fake_bus_run();
	svc_chat.fini(inst);
	fake_bus_reset();
	free(a.conn.state);
	free(a.out);
	return 0;
}
