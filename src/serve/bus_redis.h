/* bus_redis.h — the Redis cluster bus for a service (services/bus.h). */
#ifndef SOCKIT_BUS_REDIS_H
#define SOCKIT_BUS_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "sockit/loop.h"

struct svc_bus;

/* A bus on loop to the Redis at url (redis://HOST:PORT[/DB] or
 * redis+unix:PATH); password NULL takes $SOCKIT_CLUSTER_AUTH or
 * $REDISCLI_AUTH; node NULL or "" is host:pid; ttl_ms 0 is 9 s.  It
 * connects in the background and keeps retrying; NULL with err filled
 * only for a bad url. */
struct svc_bus *redis_bus_new(struct sk_loop *loop, const char *url,
                              const char *password, const char *node,
                              uint64_t ttl_ms, char *err, size_t errlen);

/* Write what this wakeup queued (subscriptions, then commands) now,
 * without waiting (the loop finishes a partial write); the host calls it
 * at the end of each wakeup, before the service sends its clients'
 * output. */
void redis_bus_flush(struct svc_bus *b);

/* Close both connections; no sink call after this.  NULL is fine. */
void redis_bus_free(struct svc_bus *b);

#endif
