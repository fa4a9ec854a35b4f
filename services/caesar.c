/* caesar.c — the Caesar service: requests `(e|d)NN<message>.`, replies
 * `<shifted message>.`, several per connection; the transform and the
 * resumable request parser are pure functions (caesar.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caesar.h"
#include "service.h"

/* The shift as 26 tables of 256 bytes, built by the compiler: one load
 * per byte runs at several GB/s, where the arithmetic with its % 26 and
 * branches managed a few hundred MB/s (the Caesar service must keep up
 * with echo).  Non-letters map to themselves. */
#define CS(s, c) (unsigned char)((c) >= 'a' && (c) <= 'z' ? 'a' + ((c) - 'a' + (s)) % 26 \
                 : (c) >= 'A' && (c) <= 'Z' ? 'A' + ((c) - 'A' + (s)) % 26 : (c))
#define C4(s, b) CS(s, b), CS(s, (b) + 1), CS(s, (b) + 2), CS(s, (b) + 3)
#define C16(s, b) C4(s, b), C4(s, (b) + 4), C4(s, (b) + 8), C4(s, (b) + 12)
#define C64(s, b) C16(s, b), C16(s, (b) + 16), C16(s, (b) + 32), C16(s, (b) + 48)
#define C256(s) { C64(s, 0), C64(s, 64), C64(s, 128), C64(s, 192) }

static const unsigned char shift_table[26][256] = {
	C256(0), C256(1), C256(2), C256(3), C256(4), C256(5), C256(6),
	C256(7), C256(8), C256(9), C256(10), C256(11), C256(12), C256(13),
	C256(14), C256(15), C256(16), C256(17), C256(18), C256(19), C256(20),
	C256(21), C256(22), C256(23), C256(24), C256(25),
};

void caesar_shift(char *out, const char *in, size_t n, unsigned shift)
{
	const unsigned char *t = shift_table[shift % 26];

	for (size_t i = 0; i < n; i++)
		out[i] = (char)t[(unsigned char)in[i]];
}

unsigned caesar_forward(char mode, unsigned nn)
{
	unsigned s = nn % 26;
	return mode == 'd' ? (26 - s) % 26 : s;
}

void caesar_parser_init(struct caesar_parser *p, size_t max)
{
	memset(p, 0, sizeof *p);
	p->state = CAESAR_MODE;
	p->max = max ? max : CAESAR_MAX_DEFAULT;
}

static size_t fail(struct caesar_parser *p, struct caesar_out *out,
                   const char *why)
{
	p->state = CAESAR_FAILED;
	snprintf(p->why, sizeof p->why, "error: %s.", why);
	out->event = CAESAR_ERROR;
	out->why = p->why;
	return 0;
}

/* One byte of the header: the mode, then two digits.  Line ends between
 * requests are skipped, so a person typing requests into nc can press
 * Enter after each one. */
static size_t step_header(struct caesar_parser *p, char c,
                          struct caesar_out *out)
{
	switch (p->state) {
	case CAESAR_MODE:
		if (c == '\n' || c == '\r')
			return 1;
		if (c != 'e' && c != 'd')
			return fail(p, out, "request must start with e or d");
		p->mode = c;
		p->state = CAESAR_DIGIT1;
		return 1;
	default:
		if (c < '0' || c > '9')
			return fail(p, out, "shift must be two digits");
		p->nn = p->nn * 10 + (unsigned)(c - '0');
		if (p->state == CAESAR_DIGIT1) {
			p->state = CAESAR_DIGIT2;
			return 1;
		}
		p->shift = caesar_forward(p->mode, p->nn);
		p->seen = 0;
		p->state = CAESAR_BODY;
		return 1;
	}
}

/* Message bytes up to the '.' or the end of the input, whichever is
 * first; with the '.', the request is complete (out->end). */
static size_t step_body(struct caesar_parser *p, const char *in, size_t len,
                        struct caesar_out *out)
{
	char why[48];
	const char *dot = memchr(in, '.', len);
	size_t n = dot ? (size_t)(dot - in) : len;

	if (n > p->max - p->seen) {
		snprintf(why, sizeof why, "message longer than %zu bytes", p->max);
		return fail(p, out, why);
	}
	out->event = CAESAR_DATA;
	out->data = in;
	out->len = n;
	if (!dot) {
		p->seen += n;
		return n;
	}
	out->end = true;
	p->state = CAESAR_MODE;
	p->nn = 0;
	return n + 1;
}

/* A whole request in one segment is one call: header, message and '.'. */
size_t caesar_step(struct caesar_parser *p, const char *in, size_t len,
                   struct caesar_out *out)
{
	size_t used = 0;

	out->data = NULL;
	out->len = 0;
	out->end = false;
	out->why = NULL;
	if (p->state == CAESAR_FAILED) {
		out->event = CAESAR_ERROR;
		out->why = p->why;
		return 0;
	}
	out->event = CAESAR_MORE;
	if (p->state == CAESAR_MODE && len >= 3 && (in[0] == 'e' || in[0] == 'd') &&
	    in[1] >= '0' && in[1] <= '9' && in[2] >= '0' && in[2] <= '9') {
		/* The usual case, a whole header at hand: skip the byte loop. */
		p->shift = caesar_forward(in[0], (unsigned)(in[1] - '0') * 10 +
		                                 (unsigned)(in[2] - '0'));
		p->seen = 0;
		p->state = CAESAR_BODY;
		used = 3;
	}
	while (used < len && p->state != CAESAR_BODY && out->event == CAESAR_MORE)
		used += step_header(p, in[used], out);
	if (used < len && p->state == CAESAR_BODY)
		used += step_body(p, in + used, len - used, out);
	return used;
}

/* The service. */

/* A request whose '.' has not come yet is not answered yet: its shifted
 * bytes wait in hold (at most the limit, made on first use, freed when
 * the request ends), so an over-long message gets the error line alone,
 * never a part of its reply.  A request whole in one read, the usual
 * case, goes straight out and never touches hold. */
struct caesar_conn {
	struct caesar_parser p;
	char *hold;
	size_t hold_len, hold_cap;
};

static void caesar_open(struct svc_conn *c)
{
	struct caesar_conn *cc = c->state;
	caesar_parser_init(&cc->p, c->opt ? c->opt->max_request : 0);
}

static void hold_drop(struct caesar_conn *cc)
{
	free(cc->hold);
	cc->hold = NULL;
	cc->hold_len = cc->hold_cap = 0;
}

/* Keep n more shifted bytes of the unfinished request; the parser has
 * already checked that they fit within its limit.  false: out of memory. */
static bool hold_add(struct caesar_conn *cc, const char *data, size_t n)
{
	if (n == 0)
		return true;
	if (cc->hold_len + n > cc->hold_cap) {
		size_t cap = cc->hold_cap ? cc->hold_cap : 1024;
		while (cap < cc->hold_len + n)
			cap *= 2;
		if (cap > cc->p.max)
			cap = cc->p.max;
		char *h = realloc(cc->hold, cap);
		if (!h)
			return false;
		cc->hold = h;
		cc->hold_cap = cap;
	}
	caesar_shift(cc->hold + cc->hold_len, data, n, cc->p.shift);
	cc->hold_len += n;
	return true;
}

static void caesar_close(struct svc_conn *c)
{
	hold_drop(c->state);
}

/* Replies gather in one buffer per bytes() call and go out in one send:
 * a segment holding a hundred small requests costs one send, not two
 * hundred, which is what keeps pipelined Caesar near echo's speed. */
struct reply_buf {
	size_t len;
	char data[16384];
};

static void flush(struct svc_conn *c, struct reply_buf *out)
{
	if (out->len > 0)
		svc_send(c, out->data, out->len);
	out->len = 0;
}

/* Append n bytes, shifted by shift (0 copies them as they are). */
static void put(struct svc_conn *c, struct reply_buf *out, const char *data,
                size_t n, unsigned shift)
{
	while (n > 0) {
		if (out->len == sizeof out->data)
			flush(c, out);
		size_t k = sizeof out->data - out->len;
		if (k > n)
			k = n;
		caesar_shift(out->data + out->len, data, k, shift);
		out->len += k;
		data += k;
		n -= k;
	}
}

/* A complete request's reply: what was held, the rest shifted, '.'. */
static void reply(struct svc_conn *c, struct caesar_conn *cc, struct reply_buf *out,
                  const struct caesar_out *ev, unsigned shift)
{
	if (cc->hold_len) {
		put(c, out, cc->hold, cc->hold_len, 0);
		hold_drop(cc);
	}
	put(c, out, ev->data, ev->len, shift);
	put(c, out, ".", 1, 0);
}

static void fail_request(struct svc_conn *c, struct caesar_conn *cc,
                         struct reply_buf *out, const char *why)
{
	hold_drop(cc);
	svc_log(c, "%s", why);
	put(c, out, why, strlen(why), 0);
	flush(c, out);
	svc_end(c, "bad request");
}

static void caesar_bytes(struct svc_conn *c, const char *data, size_t len)
{
	struct caesar_conn *cc = c->state;
	struct caesar_parser *p = &cc->p;
	struct reply_buf out;
	struct caesar_out ev;

	out.len = 0;
	for (;;) {
		size_t used = caesar_step(p, data, len, &ev);
		data += used;
		len -= used;
		switch (ev.event) {
		case CAESAR_DATA:
			if (ev.end) {
				reply(c, cc, &out, &ev, p->shift);
			} else if (!hold_add(cc, ev.data, ev.len)) {
				fail_request(c, cc, &out, "error: out of memory.");
				return;
			}
			break;
		case CAESAR_ERROR:
			fail_request(c, cc, &out, ev.why);
			return;
		case CAESAR_MORE:
			if (len == 0) {
				flush(c, &out);
				return;
			}
			break;
		}
	}
}

/* A request cut short by EOF gets no reply: there is no one to read it. */
static void caesar_eof(struct svc_conn *c)
{
	svc_end(c, "client closed");
}

static const char *const caesar_defaults[] = { "tcp://127.0.0.1:5555", NULL };

const struct service svc_caesar = {
	.name = "caesar",
	.state_size = sizeof(struct caesar_conn),
	.defaults = caesar_defaults,
	.open = caesar_open,
	.bytes = caesar_bytes,
	.eof = caesar_eof,
	.close = caesar_close,
};
