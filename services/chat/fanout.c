/* fanout.c — delivery: a line is formatted once and appended to the
 * output of every client it goes to; each client's output leaves in one
 * send when the wakeup's work is done (ngircd's write buffers), so a
 * burst of messages costs each receiver one syscall, not one per line.
 * Also: SendQ (a client whose unsent output passes --sendq is dropped),
 * and the deferred clean-up that keeps member lists stable while a
 * fan-out walks them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

/* Output buffers are freed once sent: an idle client costs no buffer
 * (a malloc per receiver per wakeup is cheap next to its send). */
#define OBUF_KEEP 0
/* Output handed to the host early within one wakeup once this much has
 * gathered: the kernel takes it now, and SendQ measures only what a
 * client really fails to read. */
#define OBUF_FLUSH (16 * 1024)
/* Clients whose output one wakeup_end sends.  A busy room's fan-out is
 * a send per member, ~10-20 us each on loopback: 500 members would hold
 * the loop (and every other connection of this thread) for 5-10 ms.  In
 * slices of this many, the thread's other events run in between: the
 * host starts the next wakeup at once while some are left (service.h).
 * The queue is first in, first out, so every client's turn comes. */
#define FLUSH_BUDGET 64

size_t chat_vfmt(char *buf, size_t cap, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, cap - 2, fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n;

	if (len > IRC_BODY_MAX)
		len = IRC_BODY_MAX;          /* RFC 1459: cut, never exceed 512 */
	if (len > cap - 3)
		len = cap - 3;
	buf[len++] = '\r';
	buf[len++] = '\n';
	buf[len] = '\0';
	return len;
}

static bool can_receive(const struct client *c)
{
	return c->conn && !c->dying;
}

/* Append to to's output; drop it when it is over its SendQ.  Nothing to
 * append is nothing to do (a cluster peer may publish an empty line, and
 * to->obuf may be NULL: no pointer arithmetic on it then). */
static void queue_bytes(struct client *to, const char *d, size_t n)
{
	struct chat_server *s = to->srv;

	if (n == 0)
		return;
	if (to->olen + n > to->ocap) {
		size_t nc = to->ocap ? to->ocap : 1024;
		while (nc < to->olen + n)
			nc *= 2;
		char *p = realloc(to->obuf, nc);
		if (!p) {
			chat_drop(to, "Out of memory", true);
			return;
		}
		to->obuf = p;
		to->ocap = nc;
	}
	memcpy(to->obuf + to->olen, d, n);
	to->olen += n;
	if (!to->dirty) {
		to->dirty = true;
		to->next_dirty = NULL;
		if (s->dirty_tail)
			s->dirty_tail->next_dirty = to;
		else
			s->dirty = to;
		s->dirty_tail = to;
	}
	if (to->olen >= OBUF_FLUSH) {
		size_t n = to->olen;
		to->olen = 0;
		svc_send(to->conn, to->obuf, n);   /* may close it: conn NULL */
	}
	if (to->conn && to->olen + svc_queued(to->conn) > s->sendq)
		chat_drop(to, "SendQ exceeded", true);
}

void chat_send_line(struct client *to, const char *line, size_t len)
{
	if (len == 0 || !can_receive(to))
		return;
	if (to->line_mode)
		chat_line_render(to, line, len);
	else
		queue_bytes(to, line, len);
}

/* Raw bytes for a line-mode client (its rendering of a line). */
void chat_send_raw(struct client *to, const char *d, size_t n)
{
	if (can_receive(to))
		queue_bytes(to, d, n);
}

static void local_to_client(struct chat_server *s, struct client *to,
                            const char *line, size_t len)
{
	(void)s;
	chat_send_line(to, line, len);
}

static void local_to_channel(struct chat_server *s, struct channel *ch,
                             struct client *except, const char *line, size_t len)
{
	(void)s;
	/* Members are removed only when not busy, so the array is stable. */
	for (size_t i = 0; i < ch->n; i++) {
		struct client *to = ch->members[i]->cl;
		if (to != except)
			chat_send_line(to, line, len);
	}
}

/* Everyone sharing a channel with cl, each once (an epoch mark instead of
 * a set), and cl itself when self. */
static void local_to_peers(struct chat_server *s, struct client *cl, bool self,
                           const char *line, size_t len)
{
	uint64_t epoch = ++s->epoch;

	cl->mark = epoch;
	if (self)
		chat_send_line(cl, line, len);
	for (size_t i = 0; i < cl->nchans; i++) {
		struct channel *ch = cl->chans[i]->ch;
		for (size_t j = 0; j < ch->n; j++) {
			struct client *to = ch->members[j]->cl;
			if (to->mark != epoch) {
				to->mark = epoch;
				chat_send_line(to, line, len);
			}
		}
	}
}

const struct chat_bus chat_local_bus = {
	.to_channel = local_to_channel,
	.to_client = local_to_client,
	.to_peers = local_to_peers,
};

void chat_to(struct client *to, const char *fmt, ...)
{
	char buf[IRC_LINE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	size_t n = chat_vfmt(buf, sizeof buf, fmt, ap);
	va_end(ap);
	to->srv->bus->to_client(to->srv, to, buf, n);
}

void chat_to_channel(struct channel *ch, struct client *except,
                     const char *fmt, ...)
{
	char buf[IRC_LINE_MAX + 1];
	va_list ap;
	struct chat_server *s = ch->srv;

	va_start(ap, fmt);
	size_t n = chat_vfmt(buf, sizeof buf, fmt, ap);
	va_end(ap);
	s->bus->to_channel(s, ch, except, buf, n);
}

void chat_to_peers(struct client *cl, bool self, const char *fmt, ...)
{
	char buf[IRC_LINE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	size_t n = chat_vfmt(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cl->srv->bus->to_peers(cl->srv, cl, self, buf, n);
}

static void list_leaving(struct client *cl)
{
	if (cl->listed)
		return;
	cl->listed = true;
	cl->next_leaving = cl->srv->leaving;
	cl->srv->leaving = cl;
}

/* Drop cl: ERROR to it, then the host closes it — after its queue drains,
 * or at once when hard (a client that does not read would never drain).
 * Others see its QUIT once nothing is walking the member lists. */
void chat_drop(struct client *cl, const char *why, bool hard)
{
	if (cl->dying)
		return;
	cl->dying = true;
	cl->hard = hard;
	if (!cl->quit[0])
		snprintf(cl->quit, sizeof cl->quit, "%s", why);
	list_leaving(cl);
}

/* The host closed cl's connection (its svc_conn is gone after this). */
void chat_gone(struct client *cl)
{
	cl->conn = NULL;
	if (!cl->dying) {
		cl->dying = true;
		if (!cl->quit[0])
			snprintf(cl->quit, sizeof cl->quit, "Connection closed");
	}
	list_leaving(cl);
}

/* Leave every channel and free the nick; peers see the QUIT. */
static void leave_world(struct chat_server *s, struct client *cl)
{
	if (cl->registered) {
		chat_whowas_add(s, cl);
		chat_to_peers(cl, false, ":%s!%s@%s QUIT :%s", cl->nick, cl->user,
		              cl->host, cl->quit);
		s->nusers--;
		if (cl->modes & UMODE_I)
			s->ninvisible--;
		if (cl->modes & UMODE_O)
			s->nopered--;
	}
	if (s->cluster)
		chat_cluster_leaving(cl);
	while (cl->nchans)
		chat_part(s, cl->chans[cl->nchans - 1]);
	chat_unset_nick(s, cl);
	cl->left = true;
}

/* The ERROR line, then the close the drop asked for. */
static void close_dying(struct client *cl)
{
	char line[IRC_LINE_MAX + 1];

	if (!cl->conn)
		return;
	int n = snprintf(line, sizeof line, "ERROR :Closing Link: %s[%s] (%s)\r\n",
	                 cl->has_nick ? cl->nick : "*", cl->host, cl->quit);
	struct svc_conn *c = cl->conn;
	if (!cl->hard && cl->olen) {
		svc_send(c, cl->obuf, cl->olen);
		cl->olen = 0;
	}
	if (cl->conn && n > 0)
		svc_send(c, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
	if (cl->conn) {
		if (cl->hard)
			svc_drop(c, cl->quit);
		else
			svc_end(c, cl->quit);
	}
}

static void client_free(struct client *cl)
{
	if (cl->srv->cluster)
		chat_cluster_forget(cl);
	free(cl->chans);
	free(cl->obuf);
	free(cl->pending);
	free(cl->away);
	free(cl);
}

/* One pass over the leaving list; returns whether it did anything. */
static bool process_leaving(struct chat_server *s)
{
	struct client *list = s->leaving;

	s->leaving = NULL;
	for (struct client *cl = list, *next; cl; cl = next) {
		next = cl->next_leaving;
		cl->listed = false;
		if (!cl->left) {
			s->nclients--;
			leave_world(s, cl);
			close_dying(cl);
		}
		/* close_dying may have closed it at once (chat_gone relisted it;
		 * it is freed on that pass). */
		if (!cl->conn && !cl->listed && !cl->dirty)
			client_free(cl);
	}
	return list != NULL;
}

/* Send the output of up to budget dirty clients, oldest first, in one
 * write each (a send may make others dirty: they queue behind).  Returns
 * whether it sent anything. */
static bool flush_dirty(struct chat_server *s, size_t budget)
{
	bool did = false;

	for (; budget > 0 && s->dirty; budget--) {
		struct client *cl = s->dirty;
		s->dirty = cl->next_dirty;
		if (!s->dirty)
			s->dirty_tail = NULL;
		cl->dirty = false;
		did = true;
		if (cl->conn && cl->olen && !(cl->dying && cl->hard))
			svc_send(cl->conn, cl->obuf, cl->olen);
		cl->olen = 0;
		if (cl->ocap > OBUF_KEEP) {
			free(cl->obuf);
			cl->obuf = NULL;
			cl->ocap = 0;
		}
		if (cl->left && !cl->conn && !cl->listed)
			client_free(cl);
	}
	return did;
}

void chat_enter(struct chat_server *s)
{
	s->busy++;
}

/* Clean up the dying, then send.  Both may add work (a QUIT to peers, a
 * send error closing a client), so loop until both lists stay empty; each
 * pass only removes clients. */
void chat_flush_all(struct chat_server *s)
{
	for (int pass = 0; pass < 1000; pass++) {
		bool did = process_leaving(s);
		did |= flush_dirty(s, SIZE_MAX);
		if (!did)
			break;
	}
}

/* Leaving the outermost chat call: the dying are cleaned up now; output
 * is sent now too, unless the host calls chat_wakeup_end, which sends
 * what a whole wakeup gathered (ten senders read in one wakeup cost each
 * receiver one write, not ten), FLUSH_BUDGET clients at a time. */
void chat_leave(struct chat_server *s)
{
	if (s->busy == 1) {
		if (s->batched) {
			for (int pass = 0; pass < 1000 && process_leaving(s); pass++)
				;
		} else {
			chat_flush_all(s);
		}
	}
	s->busy--;
}

/* The host's end of a wakeup: clean up, send FLUSH_BUDGET clients'
 * output; true when some are left for the next wakeup. */
bool chat_wakeup_end(void *instance)
{
	struct chat_server *s = instance;

	s->batched = true;
	chat_enter(s);
	for (int pass = 0; pass < 1000 && process_leaving(s); pass++)
		;
	flush_dirty(s, FLUSH_BUDGET);
	chat_leave(s);             /* cleans up whoever the sends closed */
	return s->dirty != NULL;
}
