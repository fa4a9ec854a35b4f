/* bus.h — the cluster bus a service talks to other nodes through:
 * publish/subscribe on named channels, nick claims, node heartbeats.
 *
 * Transport-free like service.h: the host implements the ops (Redis in
 * src/serve/bus_redis.c; an in-memory fake in tests/unit/fake_bus.h) and
 * calls the sink the service fills in.  Every op is asynchronous: it
 * returns at once and its answer, if any, comes back later through the
 * sink — never from inside the op itself — so a slow broker never
 * stalls the caller.  An op made while the link is down is dropped
 * (publish) or answered as failed (claim, probe). */
#ifndef SOCKIT_BUS_H
#define SOCKIT_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct svc_bus;

/* Claim results. */
enum { BUS_CLAIM_WON = 0, BUS_CLAIM_TAKEN = 1, BUS_CLAIM_FAILED = 2 };

struct svc_bus_ops {
	/* One message to every node subscribed to chan (one broker op). */
	void (*publish)(struct svc_bus *b, const char *chan, const char *msg,
	                size_t len);
	/* Receive chan's messages / stop; sink.subscribed once it is live. */
	void (*subscribe)(struct svc_bus *b, const char *chan);
	void (*unsubscribe)(struct svc_bus *b, const char *chan);
	/* Take key for this node atomically unless a live node holds it;
	 * value is "NODE SIGNON_MS".  sink.claimed(token, result, holder). */
	void (*claim)(struct svc_bus *b, const char *key, const char *value,
	              uint64_t token);
	/* Give key up if this node still holds it. */
	void (*release)(struct svc_bus *b, const char *key);
	/* Read key: sink.got(token, value or NULL when absent or failed). */
	void (*get)(struct svc_bus *b, const char *key, uint64_t token);
	/* Refresh this node's liveness key (expires after ttl_ms). */
	void (*heartbeat)(struct svc_bus *b);
	/* Whether node's liveness key exists: sink.probed(token, alive);
	 * a failed probe reports alive (never declare a node lost on doubt). */
	void (*probe)(struct svc_bus *b, const char *node, uint64_t token);
};

/* What the service gives the host (filled in by the service's attach). */
struct svc_bus_sink {
	void *svc;
	void (*message)(void *svc, const char *chan, const char *msg, size_t len);
	void (*subscribed)(void *svc, const char *chan);
	void (*claimed)(void *svc, uint64_t token, int result, const char *holder);
	void (*probed)(void *svc, uint64_t token, bool alive);
	void (*got)(void *svc, uint64_t token, const char *value);
	/* The link came up (again: re-publish state) or went down. */
	void (*link)(void *svc, bool up, const char *why);
	/* Every ttl_ms / 3: heartbeat and probe time. */
	void (*tick)(void *svc);
};

struct svc_bus {
	const struct svc_bus_ops *ops;
	char node[64];               /* this node's name */
	uint64_t ttl_ms;             /* liveness key lifetime */
	bool up;                     /* the host's view of the link */
	struct svc_bus_sink sink;
};

#endif
