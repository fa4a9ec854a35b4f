/* bus_redis_int.h — what the Redis bus's files share: the bus, its
 * tracked commands, and the room/user ops of bus_redis_state.c. */
#ifndef SOCKIT_BUS_REDIS_INT_H
#define SOCKIT_BUS_REDIS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <hiredis/async.h>

#include "bus.h"
#include "serve/redis_reply.h"
#include "serve/redis_sub.h"
#include "serve/redis_url.h"
#include "sockit/loop.h"

#define SK_REDIS_TIMEOUT_MS 2000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define MAX_SUBS 4096
#define ALIVE_PREFIX "sockit:alive:"

struct redis_bus {
	struct svc_bus b;
	struct sk_loop *loop;
	struct redis_url url;
	char *password;
	redisAsyncContext *cmd;    /* commands: hiredis's async API */
	struct redis_reply_cap cmd_cap;   /* cmd's reader's element budget */
	struct redis_sub *sub;     /* pub/sub: redis_sub.c */
	bool sharded;              /* SSUBSCRIBE/SPUBLISH (the probe said so) */
	int connected;             /* connect callbacks with success, of 2 */
	bool want;                 /* not shutting down */
	bool freeing;              /* in free_contexts: disconnects are ours */
	bool quiet;                /* a failed connect was logged this outage */
	struct sk_timer tick, retry, watchdog;
	uint64_t backoff_ms, started_ms, last_reply_ms;
	int inflight;
	char *subs[MAX_SUBS];
	size_t nsubs;
	uint64_t publishes;
	struct pending *deferred;  /* failed at once: answered on the next turn */
	struct sk_timer defer;
};

struct pending {
	struct redis_bus *rb;
	uint64_t token;
	int kind;
	struct pending *next;      /* on rb->deferred */
};

enum { P_PLAIN, P_CLAIM, P_PROBE, P_HELLO, P_ROOM, P_TOPIC, P_USER, P_LIST };

/* bus_redis.c */
bool rbus_command(struct redis_bus *rb, int kind, uint64_t token, int argc,
                  const char **argv, const size_t *lens);
void rbus_fail_later(struct redis_bus *rb, int kind, uint64_t token);

/* bus_redis_state.c: the replies of P_ROOM, P_TOPIC, P_USER, P_LIST commands
 * (reply NULL: failed), and the ops. */
void rbus_state_reply(struct redis_bus *rb, int kind, uint64_t token,
                      const redisReply *reply);
void rbus_heartbeat(struct svc_bus *b);
void rbus_room_join(struct svc_bus *b, const char *room, const char *name,
                    unsigned modes, const char *id, const struct bus_member *m,
                    const char *mask, const char *key, uint64_t token);
void rbus_room_part(struct svc_bus *b, const char *room, const char *id);
void rbus_room_member(struct svc_bus *b, const char *room, const char *id,
                      const struct bus_member *m);
void rbus_room_modes(struct svc_bus *b, const char *room, unsigned modes,
                     const char *key, unsigned limit);
void rbus_room_mask(struct svc_bus *b, const char *room,
                    const struct bus_mask *mk, bool add);
void rbus_room_invite(struct svc_bus *b, const char *room, const char *nick);
void rbus_room_topic(struct svc_bus *b, const char *room, const char *topic,
                     const char *setter, long long at, uint64_t token);
void rbus_room_seed(struct svc_bus *b, const char *room, const struct bus_room *st);
void rbus_resync(struct svc_bus *b, const char *const *rooms, size_t nrooms,
                 const char *const *nicks, size_t nnicks);
void rbus_room_list(struct svc_bus *b, const char *const *rooms, size_t nrooms,
                    uint64_t token);
void rbus_user_set(struct svc_bus *b, const char *nick, const struct bus_user *u);
void rbus_user_del(struct svc_bus *b, const char *nick);
void rbus_user_get(struct svc_bus *b, const char *nick, uint64_t token);

#endif
