/* chargen.c — the character generator, RFC 864: over TCP an endless
 * stream of the rotating 72-column pattern until the client closes; over
 * UDP (only when enabled) one datagram of the pattern per request. */
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "chargen.h"
#include "service.h"

/* Bytes generated per send, and per callback at most, so that a fast
 * reader cannot keep the loop in one connection. */
#define CHARGEN_CHUNK (16 * 1024)
#define CHARGEN_BUDGET (256 * 1024)

size_t chargen_fill(char *out, size_t len, size_t pos)
{
	char ring[2 * CHARGEN_CHARS];

	for (int i = 0; i < 2 * CHARGEN_CHARS; i++)
		ring[i] = (char)(' ' + i % CHARGEN_CHARS);
	pos %= CHARGEN_CYCLE;
	while (len > 0) {
		size_t line = pos / CHARGEN_LINE, col = pos % CHARGEN_LINE;
		char row[CHARGEN_LINE];
		memcpy(row, ring + line, CHARGEN_COLS);
		row[CHARGEN_COLS] = '\r';
		row[CHARGEN_COLS + 1] = '\n';
		size_t n = CHARGEN_LINE - col < len ? CHARGEN_LINE - col : len;
		memcpy(out, row + col, n);
		out += n;
		len -= n;
		pos = (pos + n) % CHARGEN_CYCLE;
	}
	return pos;
}

struct chargen_state {
	size_t pos;
};

/* Send while nothing is queued: once a send leaves bytes queued the
 * socket is full, and `writable` calls again when it drains, so at most
 * one chunk waits in memory.  After the budget a 1 ms timer calls again,
 * letting other connections run. */
static void chargen_pump(struct svc_conn *c)
{
	struct chargen_state *s = c->state;
	char buf[CHARGEN_CHUNK];

	for (size_t sent = 0; sent < CHARGEN_BUDGET; sent += sizeof buf) {
		if (svc_queued(c) > 0)
			return;
		size_t pos = chargen_fill(buf, sizeof buf, s->pos);
		if (svc_send(c, buf, sizeof buf) < 0)
			return;
		s->pos = pos;
	}
	svc_set_timer(c, 1);
}

static void chargen_bytes(struct svc_conn *c, const char *data, size_t len)
{
	(void)c; (void)data; (void)len;   /* RFC 864: received data is thrown away */
}

static void chargen_eof(struct svc_conn *c)
{
	svc_end(c, "client closed");
}

struct chargen_instance {
	bool udp_enabled;
};

static int chargen_init(const struct svc_options *opt, void **instance,
                        char *err, size_t errlen)
{
	struct chargen_instance *in = calloc(1, sizeof *in);

	if (!in) {
		snprintf(err, errlen, "chargen: out of memory");
		return -1;
	}
	in->udp_enabled = opt && opt->udp_enabled;
	*instance = in;
	return 0;
}

static void chargen_fini(void *instance)
{
	free(instance);
}

/* Never more than the request carried (and at most 512 bytes, RFC 864),
 * so a spoofed request cannot be amplified; nothing unless enabled. */
static size_t chargen_datagram(void *instance, const char *in, size_t len,
                               char *out, size_t outcap)
{
	const struct chargen_instance *ci = instance;
	size_t n = len < outcap ? len : outcap;

	(void)in;
	if (!ci || !ci->udp_enabled)
		return 0;
	if (n > CHARGEN_UDP_MAX)
		n = CHARGEN_UDP_MAX;
	chargen_fill(out, n, 0);
	return n;
}

static const char *const chargen_defaults[] = { "tcp://127.0.0.1:7019", NULL };

const struct service svc_chargen = {
	.name = "chargen",
	.state_size = sizeof(struct chargen_state),
	.defaults = chargen_defaults,
	.init = chargen_init,
	.fini = chargen_fini,
	.open = chargen_pump,
	.bytes = chargen_bytes,
	.eof = chargen_eof,
	.writable = chargen_pump,
	.timer = chargen_pump,
	.datagram = chargen_datagram,
};
