/* redis_sub.h — the subscriber connection of the Redis bus (redis_sub.c):
 * sharded pub/sub (SSUBSCRIBE) when the server has it, classic otherwise. */
#ifndef SOCKIT_REDIS_SUB_H
#define SOCKIT_REDIS_SUB_H

#include <stdbool.h>
#include <stddef.h>

#include "serve/redis_url.h"
#include "sockit/loop.h"

struct redis_sub;

/* What the connection tells its owner (data is the owner's). */
struct redis_sub_cb {
	void *data;
	/* Connected, authenticated and probed: sharded tells which family. */
	void (*ready)(void *data, bool sharded);
	void (*message)(void *data, const char *chan, const char *msg, size_t len);
	void (*subscribed)(void *data, const char *chan);
	/* Dead (once): the owner frees it, but not from inside this call. */
	void (*failed)(void *data, const char *why);
};

/* Start connecting to url on loop; NULL with err filled when it cannot
 * even start (the owner retries later). */
struct redis_sub *redis_sub_open(struct sk_loop *loop, const struct redis_url *url,
                                 const char *password, const struct redis_sub_cb *cb,
                                 char *err, size_t errlen);

/* A connection without a socket, as redis_sub_open makes before it
 * connects: it expects AUTH's reply first (auth), then the probe's.  Fed
 * by redis_sub_input; the fuzz target's way in.  NULL: out of memory. */
struct redis_sub *redis_sub_new(const struct redis_sub_cb *cb, bool auth);

/* Bytes from Redis: every whole reply goes to the callbacks; an error
 * reply, a protocol error or a reply over the element budget
 * (serve/redis_reply.h) fails the connection (cb.failed, once). */
void redis_sub_input(struct redis_sub *s, const char *buf, size_t n);

/* Whether the probe chose sharded pub/sub (false before it answered). */
bool redis_sub_sharded(const struct redis_sub *s);

/* (Un)subscribe chan in the probed family; false when not ready or dead. */
bool redis_sub_send(struct redis_sub *s, bool on, const char *chan);

/* Write the queued commands now, without waiting (the loop finishes a
 * partial write); a failure goes to cb.failed. */
void redis_sub_flush(struct redis_sub *s);

/* The socket (-1 once dead), for the owner's bookkeeping. */
int redis_sub_fd(const struct redis_sub *s);

/* Close and free; NULL is fine.  No callback after this. */
void redis_sub_free(struct redis_sub *s);

#endif
