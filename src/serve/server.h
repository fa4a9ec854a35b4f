/* server.h — the host that runs services on endpoints: listeners, accept,
 * limits, UDP batches, worker threads, clean shutdown. */
#ifndef SOCKIT_SERVER_H
#define SOCKIT_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service.h"
#include "sockit/endpoint.h"
#include "sockit/loop.h"

/* One service on its endpoints, with its settings. */
struct serve_entry {
	const struct service *svc;
	struct svc_options opt;
	struct sk_endpoint *eps;
	size_t neps;
};

/* Limits shared by every listener. */
struct serve_limits {
	int max_conn;          /* concurrent connections in all; 0 = no limit */
	int per_ip;            /* concurrent connections per client address */
	uint64_t idle_ms;      /* close a silent connection; 0 = never */
	int threads;           /* worker threads (SO_REUSEPORT), >= 1 */
	size_t max_queue;      /* per-connection output queue high watermark */
	enum sk_backend backend; /* the loops' backend; AUTO resolves at start */
};

extern const struct serve_limits serve_default_limits;

/* How SIGHUP reloads the running set (`sockit serve -c FILE`): load()
 * builds the new entries and limits, or fails with err.  What it returns
 * must stay valid until server_run returns (connections accepted under
 * an old set keep using it). */
struct serve_reload {
	int (*load)(void *ctx, const struct serve_entry **entries, size_t *n,
	            struct serve_limits *lim, char *err, size_t errlen);
	void *ctx;
};

/* Bind every endpoint, drop privileges to user (if not NULL), print one
 * readiness line per endpoint on stdout ("listening tcp://127.0.0.1:40123
 * echo") and serve until SIGINT or SIGTERM.  On SIGHUP, with reload not
 * NULL, switch to the set reload->load gives: endpoints in both sets keep
 * their sockets and connections, new ones are bound and announced with
 * readiness lines, removed ones are closed (their established
 * connections go on).  A set that fails to load or bind is logged and the
 * running one kept.  Without reload, SIGHUP is logged and ignored.
 * Returns the exit status: 0 after a clean shutdown, 1 when an endpoint
 * cannot be bound. */
int server_run(const struct serve_entry *entries, size_t n,
               const struct serve_limits *lim, const char *user,
               const struct serve_reload *reload);

#endif
