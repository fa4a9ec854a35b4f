/* telnet.c — --telnet: strip telnet commands (RFC 854) from what the
 * server sends and refuse every option it asks about (DO -> WONT, WILL ->
 * DONT), so real telnet servers talk to a plain byte stream.  A pure,
 * resumable parser: the refusals wait in a queue that the session sends
 * through its outgoing pump (never interleaved with a TLS write). */
#include <stdlib.h>
#include <string.h>

#include "netcat/netcat.h"

enum { IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240 };
enum tstate { T_DATA, T_IAC, T_OPT, T_SB, T_SB_IAC };

struct nc_telnet {
	enum tstate st;
	unsigned char verb;
	size_t nreply;
	unsigned char reply[NC_TELNET_REPLY_MAX];
};

struct nc_telnet *nc_telnet_new(void)
{
	/* Not calloc: the 64 KiB reply queue is read only below nreply. */
	struct nc_telnet *t = malloc(sizeof *t);

	if (t) {
		t->st = T_DATA;
		t->verb = 0;
		t->nreply = 0;
	}
	return t;
}

void nc_telnet_free(struct nc_telnet *t)
{
	free(t);
}

/* Queue our refusal of a request (agreeing to "don't" needs no answer).
 * Three reply bytes per three input bytes: one filter call of at most
 * NC_FILTER_MAX_IN bytes never fills the queue, and the session sends
 * the queue before it reads more from the server. */
static void refuse(struct nc_telnet *t, unsigned char verb, unsigned char opt)
{
	if (verb == DONT || verb == WONT || t->nreply + 3 > sizeof t->reply)
		return;
	t->reply[t->nreply++] = IAC;
	t->reply[t->nreply++] = verb == DO ? WONT : DONT;
	t->reply[t->nreply++] = opt;
}

size_t nc_telnet_filter(void *ctx, const char *in, size_t n, char *out)
{
	struct nc_telnet *t = ctx;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		switch (t->st) {
		case T_DATA:
			if (c == IAC)
				t->st = T_IAC;
			else
				out[o++] = (char)c;
			break;
		case T_IAC:
			if (c == IAC) {
				out[o++] = (char)c;     /* escaped 0xff */
				t->st = T_DATA;
			} else if (c >= WILL && c <= DONT) {
				t->verb = c;
				t->st = T_OPT;
			} else {
				t->st = c == SB ? T_SB : T_DATA;
			}
			break;
		case T_OPT:
			refuse(t, t->verb, c);
			t->st = T_DATA;
			break;
		case T_SB:
			if (c == IAC)
				t->st = T_SB_IAC;
			break;
		case T_SB_IAC:
			/* IAC SE ends it; IAC IAC is an escaped 0xff inside. */
			t->st = c == SE ? T_DATA : T_SB;
			break;
		}
	}
	return o;
}

size_t nc_telnet_pending(const struct nc_telnet *t, const unsigned char **p)
{
	*p = t->reply;
	return t->nreply;
}

void nc_telnet_consume(struct nc_telnet *t, size_t n)
{
	if (n > t->nreply)
		n = t->nreply;
	memmove(t->reply, t->reply + n, t->nreply - n);
	t->nreply -= n;
}

bool nc_telnet_full(void *ctx)
{
	return ((struct nc_telnet *)ctx)->nreply > 0;
}
