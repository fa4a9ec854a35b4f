/* bus_redis.c — the cluster bus (services/bus.h) over Redis, on the
 * worker's own loop.
 *
 * Two connections: one for commands (PUBLISH, claims, heartbeats, the
 * room and user state of bus_redis_state.c) through hiredis's async API
 * (hiredis_loop.c), and the subscriber of redis_sub.c (sharded pub/sub
 * when the server has it, which hiredis's async API cannot receive).
 * Every command is asynchronous; a watchdog turns a
 * command left unanswered for SK_REDIS_TIMEOUT_MS, or a connect that does
 * not finish in that time, into "link down": both connections are freed
 * (their pending callbacks answer "failed"), the service is told once, and
 * the connect is retried with a doubling backoff.  Key and channel layout:
 * docs/chat-cluster.md. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "bus.h"
#include "serve/bus_redis.h"
#include "serve/bus_redis_int.h"
#include "serve/hiredis_loop.h"
#include "serve/redis_url.h"
#include "sockit/error.h"
#include "sockit/log.h"

/* Take KEYS[1] for ARGV[1] ("NODE MS") unless another node whose
 * liveness key exists holds it: {1} won, {0, holder} taken. */
static const char claim_lua[] =
	"local v = redis.call('GET', KEYS[1]) "
	"if v then local n = string.match(v, '^(%S+)') "
	"if n ~= ARGV[2] and redis.call('EXISTS', ARGV[3] .. n) == 1 then "
	"return {0, v} end end "
	"redis.call('SET', KEYS[1], ARGV[1]) return {1, ''}";
/* Delete KEYS[1] only while this node (ARGV[1]) holds it. */
static const char release_lua[] =
	"local v = redis.call('GET', KEYS[1]) "
	"if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then "
	"return redis.call('DEL', KEYS[1]) end return 0";

static void link_down(struct redis_bus *rb, const char *why);
static void link_up(struct redis_bus *rb);

static struct redis_bus *of(struct svc_bus *b)
{
	return (struct redis_bus *)b;
}

static bool usable(const struct redis_bus *rb)
{
	return rb->b.up && rb->cmd && rb->sub;
}

/* A reply (or NULL: the context is going away) to a tracked command. */
static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct pending *p = priv;
	struct redis_bus *rb = p->rb;
	redisReply *reply = r;

	(void)ac;
	rb->inflight--;
	rb->last_reply_ms = sk_loop_now(rb->loop);
	if (p->kind == P_CLAIM && rb->b.sink.claimed) {
		int res = BUS_CLAIM_FAILED;
		const char *holder = NULL;
		if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
		    reply->element[0]->type == REDIS_REPLY_INTEGER) {
			res = reply->element[0]->integer ? BUS_CLAIM_WON : BUS_CLAIM_TAKEN;
			if (reply->element[1]->type == REDIS_REPLY_STRING)
				holder = reply->element[1]->str;
		} else if (reply && reply->type == REDIS_REPLY_ERROR) {
			sk_log(SK_LOG_ERROR, "cluster: claim: %s", reply->str);
		}
		rb->b.sink.claimed(rb->b.sink.svc, p->token, res, holder);
	} else if (p->kind == P_HELLO) {
		/* Connected is not enough (a stopped Redis still accepts): the
		 * link is up once Redis answers. */
		if (reply && (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_STRING) &&
		    strcmp(reply->str, "PONG") == 0 && rb->cmd && rb->sub && !rb->b.up)
			link_up(rb);
		else if (reply && reply->type == REDIS_REPLY_ERROR)
			link_down(rb, reply->str);
	} else if (p->kind == P_ROOM || p->kind == P_TOPIC || p->kind == P_USER ||
	           p->kind == P_LIST) {
		if (reply && reply->type == REDIS_REPLY_ERROR)
			sk_log(SK_LOG_ERROR, "cluster: redis: %s", reply->str);
		rbus_state_reply(rb, p->kind, p->token,
		                      reply && reply->type != REDIS_REPLY_ERROR ? reply : NULL);
	} else if (p->kind == P_PROBE && rb->b.sink.probed) {
		bool alive = !reply || reply->type != REDIS_REPLY_INTEGER || reply->integer;
		rb->b.sink.probed(rb->b.sink.svc, p->token, alive);
	} else if (reply && reply->type == REDIS_REPLY_ERROR) {
		sk_log(SK_LOG_ERROR, "cluster: redis: %s", reply->str);
		if (strncmp(reply->str, "NOAUTH", 6) == 0 || strncmp(reply->str, "WRONGPASS", 9) == 0)
			link_down(rb, reply->str);
	}
	free(p);
}

/* Send a tracked command (argv form: binary-safe); false when not sent. */
static bool command(struct redis_bus *rb, redisAsyncContext *ac, int kind,
                    uint64_t token, int argc, const char **argv,
                    const size_t *lens)
{
	struct pending *p = malloc(sizeof *p);

	if (!p || !ac) {
		free(p);
		return false;
	}
	*p = (struct pending){ .rb = rb, .token = token, .kind = kind };
	if (redisAsyncCommandArgv(ac, on_reply, p, argc, argv, lens) != REDIS_OK) {
		free(p);
		return false;
	}
	if (rb->inflight++ == 0)
		rb->last_reply_ms = sk_loop_now(rb->loop);
	return true;
}

/* A tracked command on the command connection (bus_redis_state.c). */
bool rbus_command(struct redis_bus *rb, int kind, uint64_t token, int argc,
                  const char **argv, const size_t *lens)
{
	return usable(rb) && command(rb, rb->cmd, kind, token, argc, argv, lens);
}

static void on_defer(struct sk_loop *loop, struct sk_timer *t)
{
	struct redis_bus *rb = t->data;
	struct pending *list = rb->deferred;

	(void)loop;
	rb->deferred = NULL;
	while (list) {
		struct pending *p = list;
		list = p->next;
		rb->inflight++;
		on_reply(NULL, NULL, p);
	}
}

/* A command that could not be sent gets its "failed" answer later, never
 * from inside the op (bus.h). */
void rbus_fail_later(struct redis_bus *rb, int kind, uint64_t token)
{
	struct pending *p = malloc(sizeof *p);

	if (!p)
		return;
	*p = (struct pending){ .rb = rb, .token = token, .kind = kind,
	                       .next = rb->deferred };
	rb->deferred = p;
	if (!sk_timer_armed(&rb->defer))
		sk_timer_start(rb->loop, &rb->defer, 0, on_defer, rb);
}

static void bus_publish(struct svc_bus *b, const char *chan, const char *msg,
                        size_t len)
{
	struct redis_bus *rb = of(b);
	/* Sharded when the server has it: a channel lives on its slot's
	 * shard in Redis Cluster (docs/chat-cluster.md). */
	const char *argv[] = { rb->sharded ? "SPUBLISH" : "PUBLISH", chan, msg };
	size_t lens[] = { strlen(argv[0]), strlen(chan), len };

	if (usable(rb) && command(rb, rb->cmd, P_PLAIN, 0, 3, argv, lens))
		rb->publishes++;
}

/* The subscriber connection's news (redis_sub.c). */
static void sub_message(void *data, const char *chan, const char *msg, size_t len)
{
	struct redis_bus *rb = data;

	if (rb->b.sink.message)
		rb->b.sink.message(rb->b.sink.svc, chan, msg, len);
}

static void sub_subscribed(void *data, const char *chan)
{
	struct redis_bus *rb = data;

	if (rb->b.sink.subscribed)
		rb->b.sink.subscribed(rb->b.sink.svc, chan);
}

static void send_sub(struct redis_bus *rb, bool on, const char *chan)
{
	if (rb->sub)
		redis_sub_send(rb->sub, on, chan);
}

static void bus_subscribe(struct svc_bus *b, const char *chan)
{
	struct redis_bus *rb = of(b);

	for (size_t i = 0; i < rb->nsubs; i++)
		if (strcmp(rb->subs[i], chan) == 0)
			return;
	if (rb->nsubs == MAX_SUBS || !(rb->subs[rb->nsubs] = strdup(chan)))
		return;
	rb->nsubs++;
	if (usable(rb))
		send_sub(rb, true, chan);
}

static void bus_unsubscribe(struct svc_bus *b, const char *chan)
{
	struct redis_bus *rb = of(b);

	for (size_t i = 0; i < rb->nsubs; i++)
		if (strcmp(rb->subs[i], chan) == 0) {
			free(rb->subs[i]);
			rb->subs[i] = rb->subs[--rb->nsubs];
			if (usable(rb))
				send_sub(rb, false, chan);
			return;
		}
}

static void bus_claim(struct svc_bus *b, const char *key, const char *value,
                      uint64_t token)
{
	struct redis_bus *rb = of(b);
	const char *argv[] = { "EVAL", claim_lua, "1", key, value, b->node, ALIVE_PREFIX };
	size_t lens[7];

	for (int i = 0; i < 7; i++)
		lens[i] = strlen(argv[i]);
	if (!usable(rb) || !command(rb, rb->cmd, P_CLAIM, token, 7, argv, lens))
		rbus_fail_later(rb, P_CLAIM, token);
}

static void bus_release(struct svc_bus *b, const char *key)
{
	struct redis_bus *rb = of(b);
	const char *argv[] = { "EVAL", release_lua, "1", key, b->node };
	size_t lens[5];

	for (int i = 0; i < 5; i++)
		lens[i] = strlen(argv[i]);
	if (usable(rb))
		command(rb, rb->cmd, P_PLAIN, 0, 5, argv, lens);
}

static void bus_probe(struct svc_bus *b, const char *node, uint64_t token)
{
	struct redis_bus *rb = of(b);
	char key[128];

	snprintf(key, sizeof key, ALIVE_PREFIX "%s", node);
	const char *argv[] = { "EXISTS", key };
	size_t lens[] = { 6, strlen(key) };
	if (!usable(rb) || !command(rb, rb->cmd, P_PROBE, token, 2, argv, lens))
		rbus_fail_later(rb, P_PROBE, token);
}

static const struct svc_bus_ops redis_ops = {
	.publish = bus_publish, .subscribe = bus_subscribe,
	.unsubscribe = bus_unsubscribe, .claim = bus_claim, .release = bus_release,
	.heartbeat = rbus_heartbeat, .probe = bus_probe,
	.room_join = rbus_room_join, .room_part = rbus_room_part,
	.room_member = rbus_room_member, .room_modes = rbus_room_modes,
	.room_mask = rbus_room_mask, .room_invite = rbus_room_invite,
	.room_topic = rbus_room_topic, .room_seed = rbus_room_seed,
	.room_list = rbus_room_list,
	.resync = rbus_resync, .user_set = rbus_user_set,
	.user_del = rbus_user_del, .user_get = rbus_user_get,
};

/* --- the link --------------------------------------------------------- */

static void start_connect(struct redis_bus *rb);

static void free_contexts(struct redis_bus *rb)
{
	redisAsyncContext *c = rb->cmd;
	struct redis_sub *s = rb->sub;

	rb->cmd = NULL;
	rb->sub = NULL;
	rb->connected = 0;
	rb->freeing = true;
	if (c)
		redisAsyncFree(c);
	redis_sub_free(s);
	rb->freeing = false;
}

static void on_retry(struct sk_loop *loop, struct sk_timer *t)
{
	struct redis_bus *rb = t->data;

	(void)loop;
	free_contexts(rb);          /* outside any hiredis callback */
	if (rb->want)
		start_connect(rb);
}

/* The link failed: tell the service once, reconnect after the backoff. */
static void link_down(struct redis_bus *rb, const char *why)
{
	bool was = rb->b.up;

	rb->b.up = false;
	if (sk_timer_armed(&rb->retry))
		return;
	if (was) {
		sk_log(SK_LOG_ERROR, "cluster: redis link lost: %s; retrying", why);
		if (rb->b.sink.link)
			rb->b.sink.link(rb->b.sink.svc, false, why);
	}
	sk_timer_start(rb->loop, &rb->retry, rb->backoff_ms, on_retry, rb);
	rb->backoff_ms = rb->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
	                                                      : rb->backoff_ms * 2;
}

static void link_up(struct redis_bus *rb)
{
	rb->b.up = true;
	rb->quiet = false;
	rb->backoff_ms = BACKOFF_MIN_MS;
	sk_log(SK_LOG_INFO, "cluster: redis link up, node %s", rb->b.node);
	for (size_t i = 0; i < rb->nsubs; i++)
		send_sub(rb, true, rb->subs[i]);
	if (rb->b.sink.link)
		rb->b.sink.link(rb->b.sink.svc, true, NULL);
}

/* Both connections are there (the subscriber probed): PING, and the
 * link is up with the PONG. */
static void both_ready(struct redis_bus *rb)
{
	if (++rb->connected == 2) {
		const char *argv[] = { "PING" };
		size_t lens[] = { 4 };
		command(rb, rb->cmd, P_HELLO, 0, 1, argv, lens);
	}
}

static void sub_ready(void *data, bool sharded)
{
	struct redis_bus *rb = data;

	if (rb->sharded != sharded || !rb->quiet)
		sk_log(SK_LOG_INFO, "cluster: %s pub/sub", sharded ? "sharded (SSUBSCRIBE/SPUBLISH)"
		                                                  : "classic (SUBSCRIBE/PUBLISH)");
	rb->sharded = sharded;
	both_ready(rb);
}

/* The subscriber died: the link goes down (it is freed by the retry). */
static void sub_failed(void *data, const char *why)
{
	struct redis_bus *rb = data;

	if (rb->want && !rb->freeing)
		link_down(rb, why);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct redis_bus *rb = ac->data;

	if (status != REDIS_OK) {
		if (ac == rb->cmd)
			rb->cmd = NULL;      /* hiredis frees it after this callback */
		if (!rb->quiet)
			sk_log(SK_LOG_ERROR, "cluster: redis: %s; retrying",
			       ac->errstr[0] ? ac->errstr : "connect failed");
		rb->quiet = true;
		link_down(rb, ac->errstr[0] ? ac->errstr : "connect failed");
		return;
	}
	both_ready(rb);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct redis_bus *rb = ac->data;
	char buf[160];
	const char *why = redis_reply_refused(&rb->cmd_cap, buf, sizeof buf);

	(void)status;
	if (ac == rb->cmd)
		rb->cmd = NULL;
	if (!why)
		why = ac->errstr[0] ? ac->errstr : "connection closed";
	if (rb->want && !rb->freeing)
		link_down(rb, why);
}

/* Whether the command connection waits for a reply (a callback queued). */
static bool awaiting(void *ctx)
{
	const redisAsyncContext *ac = ctx;

	return ac->replies.head != NULL;
}

static redisAsyncContext *open_one(struct redis_bus *rb)
{
	redisAsyncContext *ac = rb->url.path[0] ? redisAsyncConnectUnix(rb->url.path)
	                                        : redisAsyncConnect(rb->url.host, rb->url.port);
	if (!ac)
		return NULL;
	if (ac->err || sk_redis_attach(rb->loop, ac) != REDIS_OK) {
		if (!rb->quiet)
			sk_log(SK_LOG_ERROR, "cluster: redis: %s; retrying", ac->err ? ac->errstr : "attach");
		rb->quiet = true;
		redisAsyncFree(ac);
		return NULL;
	}
	ac->data = rb;
	redis_reply_cap(ac->c.reader, &rb->cmd_cap, awaiting, ac);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	/* Queued until connected; AUTH and SELECT go first. */
	if (rb->password) {
		const char *argv[] = { "AUTH", rb->password };
		size_t lens[] = { 4, strlen(rb->password) };
		command(rb, ac, P_PLAIN, 0, 2, argv, lens);
	}
	if (rb->url.db) {
		char db[16];
		snprintf(db, sizeof db, "%d", rb->url.db);
		const char *argv[] = { "SELECT", db };
		size_t lens[] = { 6, strlen(db) };
		command(rb, ac, P_PLAIN, 0, 2, argv, lens);
	}
	return ac;
}

static void start_connect(struct redis_bus *rb)
{
	rb->started_ms = sk_loop_now(rb->loop);
	rb->inflight = 0;
	rb->connected = 0;
	rb->cmd = open_one(rb);
	if (rb->cmd) {
		struct redis_sub_cb cb = { .data = rb, .ready = sub_ready, .message = sub_message,
		                           .subscribed = sub_subscribed, .failed = sub_failed };
		char err[256];
		rb->sub = redis_sub_open(rb->loop, &rb->url, rb->password, &cb, err, sizeof err);
		if (!rb->sub && !rb->quiet)
			sk_log(SK_LOG_ERROR, "cluster: redis: %s; retrying", err);
		if (!rb->sub)
			rb->quiet = true;
	}
	if (!rb->cmd || !rb->sub)
		link_down(rb, "connect failed");
}

/* Every 250 ms: a connect or a command that takes too long ends the link. */
static void on_watchdog(struct sk_loop *loop, struct sk_timer *t)
{
	struct redis_bus *rb = t->data;
	uint64_t now = sk_loop_now(loop);

	if (!sk_timer_armed(&rb->retry)) {
		if (!rb->b.up && now - rb->started_ms > SK_REDIS_TIMEOUT_MS)
			link_down(rb, "connect timed out");
		else if (rb->b.up && rb->inflight > 0 &&
		         now - rb->last_reply_ms > SK_REDIS_TIMEOUT_MS)
			link_down(rb, "command timed out");
	}
	sk_timer_start(loop, t, 250, on_watchdog, rb);
}

static void on_tick(struct sk_loop *loop, struct sk_timer *t)
{
	struct redis_bus *rb = t->data;

	if (rb->b.sink.tick)
		rb->b.sink.tick(rb->b.sink.svc);
	sk_timer_start(loop, t, rb->b.ttl_ms / 3 ? rb->b.ttl_ms / 3 : 1, on_tick, rb);
}

struct svc_bus *redis_bus_new(struct sk_loop *loop, const char *url,
                              const char *password, const char *node,
                              uint64_t ttl_ms, char *err, size_t errlen)
{
	struct redis_bus *rb = calloc(1, sizeof *rb);

	if (!rb) {
		sk_seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (redis_url_parse(url, &rb->url, err, errlen) < 0) {
		free(rb);
		return NULL;
	}
	if (!password)
		password = getenv("SOCKIT_CLUSTER_AUTH");
	if (!password)
		password = getenv("REDISCLI_AUTH");
	if (password && password[0])
		rb->password = strdup(password);
	rb->b.ops = &redis_ops;
	if (node && node[0]) {
		snprintf(rb->b.node, sizeof rb->b.node, "%s", node);
	} else {
		char host[48] = "node";
		gethostname(host, sizeof host - 1);
		snprintf(rb->b.node, sizeof rb->b.node, "%s:%ld", host, (long)getpid());
	}
	rb->b.ttl_ms = ttl_ms ? ttl_ms : 9000;
	rb->loop = loop;
	rb->want = true;
	rb->backoff_ms = BACKOFF_MIN_MS;
	start_connect(rb);
	sk_timer_start(loop, &rb->watchdog, 250, on_watchdog, rb);
	sk_timer_start(loop, &rb->tick, rb->b.ttl_ms / 3, on_tick, rb);
	return &rb->b;
}

void redis_bus_flush(struct svc_bus *b)
{
	struct redis_bus *rb = of(b);
	int done = 0;

	if (!rb)
		return;
	/* Subscriptions first: a node's first member's SUBSCRIBE reaches
	 * Redis before the PUBLISH of its JOIN, so no line sent by someone
	 * who saw that JOIN can miss the node. */
	redis_sub_flush(rb->sub);
	/* redisBufferWrite only writes (no callback runs): an error is left
	 * in the context for the next write event to find and report. */
	if (rb->cmd && (rb->cmd->c.flags & REDIS_CONNECTED) && !rb->cmd->c.err)
		redisBufferWrite(&rb->cmd->c, &done);
}

/* At shutdown the loop has stopped, but what the last callbacks queued
 * (the QUITs of the node's users, their nick releases) should still
 * reach Redis: write it out, waiting at most 500 ms in all. */
static void flush_on_exit(struct redis_bus *rb)
{
	redisAsyncContext *ac = rb->cmd;
	int done = 0;
	uint64_t until = sk_now_ms() + 500;

	if (!ac || !rb->b.up)
		return;
	while (!done && redisBufferWrite(&ac->c, &done) == REDIS_OK && !done) {
		uint64_t now = sk_now_ms();
		struct pollfd pfd = { .fd = ac->c.fd, .events = POLLOUT };
		if (now >= until || poll(&pfd, 1, (int)(until - now)) <= 0)
			break;
	}
}

void redis_bus_free(struct svc_bus *b)
{
	struct redis_bus *rb = of(b);

	if (!rb)
		return;
	flush_on_exit(rb);
	rb->want = false;
	rb->b.sink = (struct svc_bus_sink){ 0 };   /* no more calls into chat */
	rb->b.up = false;
	sk_timer_stop(rb->loop, &rb->retry);
	sk_timer_stop(rb->loop, &rb->watchdog);
	sk_timer_stop(rb->loop, &rb->tick);
	sk_timer_stop(rb->loop, &rb->defer);
	free_contexts(rb);
	while (rb->deferred) {
		struct pending *p = rb->deferred;
		rb->deferred = p->next;
		free(p);
	}
	for (size_t i = 0; i < rb->nsubs; i++)
		free(rb->subs[i]);
	free(rb->password);
	free(rb);
}

