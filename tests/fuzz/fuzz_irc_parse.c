/* fuzz_irc_parse.c — libFuzzer target for the IRC line splitter, the
 * message parser and the chat service behind them: any input, fed whole
 * and then split at a point the input chooses, must give the same lines;
 * no line is longer than 510 bytes or holds CR/LF; every parameter lies
 * inside the line; the service (two clients, one instance) never reads
 * out of bounds, leaks, or sends a line longer than 512 bytes.
 *
 * fuzz-sources: services/[a-z]*.c services/chat/[a-z]*.c
 * lib/escape.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat/parse.h"
#include "fake_host.h"

extern const struct service svc_chat;

/* The lines of d[0..n) fed in two pieces cut at cut, joined by '\n' into
 * out (at most cap); each also parsed, its invariants checked. */
static size_t split(const uint8_t *d, size_t n, size_t cut, char *out, size_t cap)
{
	struct irc_splitter *sp = calloc(1, sizeof *sp);
	size_t o = 0;

	for (int piece = 0; piece < 2; piece++) {
		size_t off = piece ? cut : 0, k = piece ? n - cut : cut;
		char *copy = malloc(k ? k : 1);
		memcpy(copy, d + off, k);
		const char *p = copy, *line;
		size_t left = k, len;
		enum irc_split r;
		while ((r = irc_split_next(sp, &p, &left, &line, &len)) != IRC_LINE_NONE) {
			if (r == IRC_LINE_OK) {
				if (len == 0 || len > IRC_BODY_MAX || memchr(line, '\r', len) ||
				    memchr(line, '\n', len))
					abort();
				char *buf = malloc(len + 1);
				memcpy(buf, line, len);
				struct irc_msg m;
				if (irc_parse(buf, len, &m) == IRC_PARSE_OK)
					for (int i = 0; i < m.nparams; i++)
						if (m.params[i] < buf || m.params[i] > buf + len ||
						    m.params[i] + strlen(m.params[i]) > buf + len)
							abort();
				free(buf);
			}
			if (o + len + 2 < cap && r == IRC_LINE_OK) {
				memcpy(out + o, line, len);
				o += len;
			}
			if (o + 1 < cap)
				out[o++] = r == IRC_LINE_OK ? '\n' : '!';
		}
		free(copy);
	}
	free(sp);
	return o;
}

/* Every line the fake host got is at most 512 bytes with its CRLF. */
static void check_lines(const struct fake *f)
{
	const char *p = f->out, *end = f->out + f->outlen;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (len > 600)         /* line mode renders with a short prefix */
			abort();
		p += len;
	}
}

static void run_service(const uint8_t *d, size_t n, size_t cut)
{
	struct svc_options opt = { .no_flood_limit = true, .sendq = 1 << 20 };
	struct fake a, b;

	fake_init(&a, &svc_chat, &opt);
	fake_init_peer(&b, &a);
	fake_open(&a);
	fake_open(&b);
	const char reg[] = "NICK peer\r\nUSER p 0 * :P\r\nJOIN #x\r\n";
	svc_chat.bytes(&b.conn, reg, sizeof reg - 1);
	char *p1 = malloc(cut ? cut : 1), *p2 = malloc(n - cut ? n - cut : 1);
	memcpy(p1, d, cut);
	memcpy(p2, d + cut, n - cut);
	if (cut)
		svc_chat.bytes(&a.conn, p1, cut);
	if (n > cut && !a.ended)
		svc_chat.bytes(&a.conn, p2, n - cut);
	free(p1);
	free(p2);
	check_lines(&a);
	check_lines(&b);
	void *inst = a.conn.instance;
	svc_chat.close(&a.conn);
	svc_chat.close(&b.conn);
	svc_chat.fini(inst);
	free(a.conn.state);
	free(b.conn.state);
	free(a.out);
	free(b.out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char whole[1 << 16], parts[1 << 16];

	if (size < 1 || size > 16384)
		return 0;
	size_t cut = data[0] % size;
	const uint8_t *d = data + 1;
	size_t n = size - 1;
	if (cut > n)
		cut = n;
	size_t a = split(d, n, n, whole, sizeof whole);
	size_t b = split(d, n, cut, parts, sizeof parts);
	if (a != b || memcmp(whole, parts, a) != 0)
		abort();
	run_service(d, n, cut);
	return 0;
}
