/* greet.c — the greeting service (the tutorial's serverku.py): send the
 * banner, log the peer, log what the client sends back until it closes
 * or a short timeout passes, then close. */
#include <stdbool.h>
#include <string.h>

#include "greet.h"
#include "service.h"
#include "sockit/escape.h"

struct greet_state {
	size_t kept;              /* bytes in reply */
	size_t total;             /* bytes received, kept or not */
	bool done;
	char reply[GREET_KEEP];
};

/* The banner ends with a newline so that line-reading clients (and people
 * at nc) see it as a line; the tutorial's recv(1024) client prints it the
 * same either way. */
static void greet_open(struct svc_conn *c)
{
	const char *banner = c->opt && c->opt->banner ? c->opt->banner
	                                              : GREET_BANNER_DEFAULT;
	uint64_t ms = c->opt && c->opt->read_timeout_ms ? c->opt->read_timeout_ms
	                                                : GREET_TIMEOUT_DEFAULT_MS;

	char line[1024];
	size_t n = strlen(banner);

	/* One send, so the greeting arrives in one segment for clients that
	 * read it with a single recv (the tutorial's). */
	if (n < sizeof line) {
		memcpy(line, banner, n);
		line[n] = '\n';
		svc_send(c, line, n + 1);
	} else {
		svc_send(c, banner, n);
		svc_send(c, "\n", 1);
	}
	svc_log(c, "greeted");
	/* The timer runs from the greeting, not from the last byte, so a
	 * client trickling bytes cannot hold the connection open longer. */
	svc_set_timer(c, ms);
}

/* Keep the first GREET_KEEP bytes; count the rest so the log says how
 * much was dropped. */
static void greet_bytes(struct svc_conn *c, const char *data, size_t len)
{
	struct greet_state *s = c->state;
	size_t room = sizeof s->reply - s->kept;
	size_t n = len < room ? len : room;

	memcpy(s->reply + s->kept, data, n);
	s->kept += n;
	s->total += len;
}

/* Log the reply once, however the connection ends: as much of it as
 * GREET_SHOW escaped characters hold, and how many bytes were left out. */
static void greet_log_reply(struct svc_conn *c, const char *why)
{
	struct greet_state *s = c->state;
	char esc[GREET_SHOW + 1];
	size_t shown;

	if (s->done)
		return;
	s->done = true;
	sk_escape(esc, sizeof esc, s->reply, s->kept, SK_ESCAPE_C, &shown);
	if (s->total > shown)
		svc_log(c, "replied \"%s\" (%zu more bytes dropped, %s)",
		        esc, s->total - shown, why);
	else
		svc_log(c, "replied \"%s\" (%s)", esc, why);
}

static void greet_finish(struct svc_conn *c, const char *why)
{
	svc_set_timer(c, 0);
	greet_log_reply(c, why);
	svc_end(c, why);
}

static void greet_eof(struct svc_conn *c)
{
	greet_finish(c, "client closed");
}

static void greet_timer(struct svc_conn *c)
{
	greet_finish(c, "timeout");
}

/* Reset or host shutdown before EOF: still log what came. */
static void greet_close(struct svc_conn *c)
{
	greet_log_reply(c, "connection closed");
}

static const char *const greet_defaults[] = { "tcp://127.0.0.1:12345", NULL };

const struct service svc_greet = {
	.name = "greet",
	.state_size = sizeof(struct greet_state),
	.defaults = greet_defaults,
	.open = greet_open,
	.bytes = greet_bytes,
	.eof = greet_eof,
	.timer = greet_timer,
	.close = greet_close,
};
