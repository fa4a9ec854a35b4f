/* telnet.c — --telnet: strip telnet commands (RFC 854) from what the
 * server sends and refuse every option it asks about (DO -> WONT, WILL ->
 * DONT), so real telnet servers talk to a plain byte stream. */
#include <poll.h>
#include <stdlib.h>

#include "netcat/netcat.h"
#include "sockit/io.h"

enum { IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240 };
enum tstate { T_DATA, T_IAC, T_OPT, T_SB, T_SB_IAC };

struct nc_telnet {
	struct nc_end *net;
	enum tstate st;
	unsigned char verb;
};

struct nc_telnet *nc_telnet_new(struct nc_end *net)
{
	struct nc_telnet *t = calloc(1, sizeof *t);

	if (t)
		t->net = net;
	return t;
}

void nc_telnet_free(struct nc_telnet *t)
{
	free(t);
}

/* Send our refusal at once: three bytes, bounded wait. */
static void refuse(struct nc_telnet *t, unsigned char verb, unsigned char opt)
{
	unsigned char r[3] = { IAC, verb == DO ? WONT : DONT, opt };
	short want;

	if (verb == DONT || verb == WONT)
		return;         /* agreeing to "don't" needs no answer */
	if (t->net->tls)
		(void)nc_tls_write(t->net->tls, r, sizeof r, &want);
	else
		(void)sk_send_all(t->net->wfd, r, sizeof r, 1000);
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
			t->st = c == SE ? T_DATA : T_SB;
			break;
		}
	}
	return o;
}
