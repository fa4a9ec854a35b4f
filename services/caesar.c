/* caesar.c — the Caesar service: requests `(e|d)NN<message>.`, replies
 * `<shifted message>.`, several per connection; the transform and the
 * resumable request parser are pure functions (caesar.h). */
#include <stdio.h>
#include <string.h>

#include "caesar.h"
#include "service.h"

/* Branch-light so the compiler can vectorise it: the subtraction wraps
 * for non-letters, which then fail the < 26 test and pass unchanged. */
void caesar_shift(char *out, const char *in, size_t n, unsigned shift)
{
	shift %= 26;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		unsigned lo = (unsigned)(c - 'a'), up = (unsigned)(c - 'A');
		if (lo < 26)
			c = (unsigned char)('a' + (lo + shift) % 26);
		else if (up < 26)
			c = (unsigned char)('A' + (up + shift) % 26);
		out[i] = (char)c;
	}
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
 * first; the '.' itself is a separate event. */
static size_t step_body(struct caesar_parser *p, const char *in, size_t len,
                        struct caesar_out *out)
{
	char why[48];

	if (in[0] == '.') {
		p->state = CAESAR_MODE;
		p->nn = 0;
		out->event = CAESAR_END;
		return 1;
	}
	const char *dot = memchr(in, '.', len);
	size_t n = dot ? (size_t)(dot - in) : len;
	if (n > p->max - p->seen) {
		snprintf(why, sizeof why, "message longer than %zu bytes", p->max);
		return fail(p, out, why);
	}
	p->seen += n;
	out->event = CAESAR_DATA;
	out->data = in;
	out->len = n;
	return n;
}

size_t caesar_step(struct caesar_parser *p, const char *in, size_t len,
                   struct caesar_out *out)
{
	out->data = NULL;
	out->len = 0;
	out->why = NULL;
	if (p->state == CAESAR_FAILED) {
		out->event = CAESAR_ERROR;
		out->why = p->why;
		return 0;
	}
	out->event = CAESAR_MORE;
	if (len == 0)
		return 0;
	if (p->state == CAESAR_BODY)
		return step_body(p, in, len, out);
	size_t used = 0;
	while (used < len && p->state != CAESAR_BODY && out->event == CAESAR_MORE)
		used += step_header(p, in[used], out);
	return used;
}

/* The service. */

static void caesar_open(struct svc_conn *c)
{
	struct caesar_parser *p = c->state;
	caesar_parser_init(p, c->opt ? c->opt->max_request : 0);
}

/* Shift a run of message bytes through a stack buffer and send it. */
static void send_shifted(struct svc_conn *c, const char *data, size_t len,
                         unsigned shift)
{
	char tmp[16384];

	while (len > 0) {
		size_t n = len < sizeof tmp ? len : sizeof tmp;
		caesar_shift(tmp, data, n, shift);
		svc_send(c, tmp, n);
		data += n;
		len -= n;
	}
}

static void caesar_bytes(struct svc_conn *c, const char *data, size_t len)
{
	struct caesar_parser *p = c->state;
	struct caesar_out out;

	for (;;) {
		size_t used = caesar_step(p, data, len, &out);
		data += used;
		len -= used;
		switch (out.event) {
		case CAESAR_DATA:
			send_shifted(c, out.data, out.len, p->shift);
			break;
		case CAESAR_END:
			svc_send(c, ".", 1);
			break;
		case CAESAR_ERROR:
			svc_log(c, "caesar: %s", out.why);
			svc_send(c, out.why, strlen(out.why));
			svc_end(c, "bad request");
			return;
		case CAESAR_MORE:
			if (len == 0)
				return;
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
	.state_size = sizeof(struct caesar_parser),
	.defaults = caesar_defaults,
	.open = caesar_open,
	.bytes = caesar_bytes,
	.eof = caesar_eof,
};
