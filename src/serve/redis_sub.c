/* redis_sub.c — the cluster bus's subscriber connection, driven by sockit's
 * loop with hiredis's public reader and formatter (redisReaderFeed/GetReply,
 * redisFormatCommandArgv) instead of its async API, whose subscribe
 * bookkeeping knows only message/pmessage and so cannot receive the
 * smessage pushes of sharded pub/sub (docs/chat-cluster.md).
 *
 * At connect it sends AUTH (when given) and probes once (COMMAND INFO
 * SSUBSCRIBE): Redis 7 answers with the command, and the connection uses
 * SSUBSCRIBE/SUNSUBSCRIBE (the bus then SPUBLISHes); an older or
 * restricted Redis answers nil, and it uses SUBSCRIBE/UNSUBSCRIBE.  Every
 * failure (connect, EOF, an error reply) is reported once through
 * cb.failed; the owner frees the connection later, outside the callback. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "serve/redis_reply.h"
#include "serve/redis_sub.h"
#include "sockit/net.h"

#define READ_CHUNK (64 * 1024)
#define OUT_MAX (64 * 1024 * 1024)   /* commands queued, at most */

enum { W_AUTH = 1, W_PROBE = 2 };   /* replies still expected, in order */

struct redis_sub {
	struct sk_loop *loop;
	int fd;
	bool connecting, dead, ready, sharded, in_cb, freed;
	unsigned waiting;          /* W_AUTH | W_PROBE */
	redisReader *rd;
	struct redis_reply_cap cap;   /* rd's element budget */
	char *out;
	size_t olen, ocap;
	struct redis_sub_cb cb;
};

static void fail(struct redis_sub *s, const char *why)
{
	if (s->dead)
		return;
	s->dead = true;
	if (s->fd >= 0) {
		sk_loop_del(s->loop, s->fd);
		close(s->fd);
		s->fd = -1;
	}
	if (s->cb.failed)
		s->cb.failed(s->cb.data, why);
}

/* Queue one command (binary-safe argv); false when it cannot be. */
static bool queue(struct redis_sub *s, int argc, const char **argv, const size_t *lens)
{
	char *cmd = NULL;
	int n = redisFormatCommandArgv(&cmd, argc, argv, lens);

	if (n < 0 || s->dead || s->olen + (size_t)n > OUT_MAX) {
		redisFreeCommand(cmd);
		return false;
	}
	if (s->olen + (size_t)n > s->ocap) {
		size_t nc = s->ocap ? s->ocap : 4096;
		while (nc < s->olen + (size_t)n)
			nc *= 2;
		char *p = realloc(s->out, nc);
		if (!p) {
			redisFreeCommand(cmd);
			return false;
		}
		s->out = p;
		s->ocap = nc;
	}
	memcpy(s->out + s->olen, cmd, (size_t)n);
	s->olen += (size_t)n;
	redisFreeCommand(cmd);
	if (!s->connecting)
		sk_loop_mod(s->loop, s->fd, SK_READ | SK_WRITE);
	return true;
}

static void flush_out(struct redis_sub *s)
{
	while (s->olen > 0) {
		ssize_t n = send(s->fd, s->out, s->olen, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			fail(s, n < 0 ? strerror(errno) : "connection closed");
			return;
		}
		memmove(s->out, s->out + n, s->olen - (size_t)n);
		s->olen -= (size_t)n;
	}
	sk_loop_mod(s->loop, s->fd, SK_READ);
}

/* An error reply's text, never empty (it ends up in a log line). */
static const char *error_of(const redisReply *r)
{
	return r->str && r->str[0] ? r->str : "error reply without a message";
}

static const char *str_at(const redisReply *r, size_t i)
{
	return r->type == REDIS_REPLY_ARRAY && i < r->elements &&
	       r->element[i]->type == REDIS_REPLY_STRING ? r->element[i]->str : NULL;
}

/* One reply: AUTH's, the probe's, then pushes and confirmations. */
static void take(struct redis_sub *s, const redisReply *r)
{
	if (s->waiting & W_AUTH) {
		s->waiting &= ~(unsigned)W_AUTH;
		if (r->type == REDIS_REPLY_ERROR)
			fail(s, error_of(r));
		return;
	}
	if (s->waiting & W_PROBE) {
		s->waiting &= ~(unsigned)W_PROBE;
		/* [[name, arity, ...]] when the server has SSUBSCRIBE; [nil] not. */
		s->sharded = r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
		             r->element[0]->type == REDIS_REPLY_ARRAY;
		s->ready = true;
		if (s->cb.ready)
			s->cb.ready(s->cb.data, s->sharded);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		fail(s, error_of(r));
		return;
	}
	const char *kind = str_at(r, 0), *chan = str_at(r, 1);
	if (!kind || !chan)
		return;
	if ((strcmp(kind, "smessage") == 0 || strcmp(kind, "message") == 0) &&
	    r->elements == 3 && r->element[2]->type == REDIS_REPLY_STRING) {
		if (s->cb.message)
			s->cb.message(s->cb.data, chan, r->element[2]->str, r->element[2]->len);
	} else if (strcmp(kind, "ssubscribe") == 0 || strcmp(kind, "subscribe") == 0) {
		if (s->cb.subscribed)
			s->cb.subscribed(s->cb.data, chan);
	}
}

void redis_sub_input(struct redis_sub *s, const char *buf, size_t n)
{
	char why[160];

	if (s->dead)
		return;
	if (redisReaderFeed(s->rd, buf, n) != REDIS_OK) {
		fail(s, "reader: out of memory");
		return;
	}
	void *reply = NULL;
	while (!s->dead && redisReaderGetReply(s->rd, &reply) == REDIS_OK && reply) {
		take(s, reply);
		freeReplyObject(reply);
		reply = NULL;
	}
	if (!s->dead && s->rd->err) {
		const char *refused = redis_reply_refused(&s->cap, why, sizeof why);
		fail(s, refused ? refused : s->rd->errstr[0] ? s->rd->errstr : "protocol error");
	}
}

static void read_in(struct redis_sub *s)
{
	char buf[READ_CHUNK];

	for (int rounds = 0; rounds < 16 && !s->dead; rounds++) {
		ssize_t n = recv(s->fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			fail(s, n < 0 ? strerror(errno) : "connection closed");
			return;
		}
		redis_sub_input(s, buf, (size_t)n);
	}
}

static void connected(struct redis_sub *s)
{
	int err = sk_connect_result(s->fd);

	if (err) {
		fail(s, strerror(err));
		return;
	}
	s->connecting = false;
	sk_set_nodelay(s->fd, true);
	sk_loop_mod(s->loop, s->fd, SK_READ | SK_WRITE);
}

static void on_io(struct sk_loop *loop, int fd, int events, void *data)
{
	struct redis_sub *s = data;

	(void)loop; (void)fd;
	s->in_cb = true;
	if (s->connecting && (events & (SK_WRITE | SK_READ)))
		connected(s);
	if (!s->dead && !s->connecting && (events & SK_WRITE))
		flush_out(s);
	if (!s->dead && !s->connecting && (events & SK_READ))
		read_in(s);
	s->in_cb = false;
	if (s->freed)
		redis_sub_free(s);
}

/* A non-blocking connect to url's first address; -1 with err filled. */
static int start(const struct redis_url *url, char *err, size_t errlen)
{
	if (url->path[0]) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		snprintf(sun.sun_path, sizeof sun.sun_path, "%s", url->path);
		int fd = sk_connect_start((struct sockaddr *)&sun, sizeof sun, SOCK_STREAM);
		if (fd < 0)
			snprintf(err, errlen, "%s: %s", url->path, strerror(errno));
		return fd;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char port[16];
	snprintf(port, sizeof port, "%d", url->port);
	int rc = getaddrinfo(url->host, port, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", url->host, gai_strerror(rc));
		return -1;
	}
	int fd = sk_connect_start(ai->ai_addr, ai->ai_addrlen, SOCK_STREAM);
	if (fd < 0)
		snprintf(err, errlen, "%s:%s: %s", url->host, port, strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

struct redis_sub *redis_sub_new(const struct redis_sub_cb *cb, bool auth)
{
	struct redis_sub *s = calloc(1, sizeof *s);

	if (!s || !(s->rd = redisReaderCreate())) {
		free(s);
		return NULL;
	}
	redis_reply_cap(s->rd, &s->cap, NULL, NULL);   /* pushes: any time */
	s->fd = -1;
	s->cb = *cb;
	s->waiting = W_PROBE | (auth ? W_AUTH : 0);
	return s;
}

struct redis_sub *redis_sub_open(struct sk_loop *loop, const struct redis_url *url,
                                 const char *password, const struct redis_sub_cb *cb,
                                 char *err, size_t errlen)
{
	bool auth = password && password[0];
	struct redis_sub *s = redis_sub_new(cb, auth);

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->connecting = true;
	if ((s->fd = start(url, err, errlen)) < 0 ||
	    sk_loop_add(loop, s->fd, SK_WRITE, on_io, s) < 0) {
		if (s->fd >= 0) {
			snprintf(err, errlen, "loop: %s", strerror(errno));
			close(s->fd);
		}
		redisReaderFree(s->rd);
		free(s);
		return NULL;
	}
	/* AUTH's reply, then the probe's, come first (W_AUTH, W_PROBE). */
	if (auth) {
		const char *argv[] = { "AUTH", password };
		size_t lens[] = { 4, strlen(password) };
		queue(s, 2, argv, lens);
	}
	const char *argv[] = { "COMMAND", "INFO", "SSUBSCRIBE" };
	size_t lens[] = { 7, 4, 10 };
	queue(s, 3, argv, lens);
	return s;
}

bool redis_sub_sharded(const struct redis_sub *s)
{
	return s && s->ready && s->sharded;
}

bool redis_sub_send(struct redis_sub *s, bool on, const char *chan)
{
	const char *verb = s->sharded ? (on ? "SSUBSCRIBE" : "SUNSUBSCRIBE")
	                              : (on ? "SUBSCRIBE" : "UNSUBSCRIBE");
	const char *argv[] = { verb, chan };
	size_t lens[] = { strlen(verb), strlen(chan) };

	return s->ready && !s->dead && queue(s, 2, argv, lens);
}

void redis_sub_flush(struct redis_sub *s)
{
	if (s && !s->dead && !s->connecting && !s->in_cb && s->olen > 0)
		flush_out(s);
}

int redis_sub_fd(const struct redis_sub *s)
{
	return s ? s->fd : -1;
}

void redis_sub_free(struct redis_sub *s)
{
	if (!s)
		return;
	if (s->in_cb) {
		s->freed = true;       /* on_io frees it on its way out */
		s->cb = (struct redis_sub_cb){ 0 };
		return;
	}
	if (s->fd >= 0) {
		sk_loop_del(s->loop, s->fd);
		close(s->fd);
	}
	redisReaderFree(s->rd);
	free(s->out);
	free(s);
}
