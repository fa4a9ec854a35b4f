/* service.h — the service interface: a protocol handler as a set of
 * callbacks, with no socket calls of its own.
 *
 * The host (sockit serve, or a unit test's fake) owns the sockets.  It
 * calls a stream service's callbacks as bytes arrive and answers through
 * the svc_* functions below, which go back to the host through c->host.
 * The same service therefore runs over TCP, UDP and UNIX sockets, v4 and
 * v6, and in a unit test with no socket at all. */
#ifndef SOCKIT_SERVICE_H
#define SOCKIT_SERVICE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Settings a service may use; the host fills them from the command line
 * or the config file.  Zero means "the service's default". */
struct svc_options {
	const char *banner;          /* greet */
	const char *quotes_file;     /* qotd */
	size_t max_request;          /* caesar: longest message */
	uint64_t read_timeout_ms;    /* greet: how long to wait for a reply */
	bool udp_enabled;            /* chargen: UDP only when asked */
	/* chat (docs/chat.md) */
	const char *server_name;     /* default "sockit" */
	const char *password;        /* the PASS clients must send; NULL: none */
	const char *motd_file;
	const char *oper_file;       /* NAME:HASH lines, crypt(3) hashes */
	size_t sendq;                /* per-client output limit, bytes */
	bool no_flood_limit;
	uint64_t ping_ms;            /* PING after this silence; drop after 2x */
	/* chat cluster (docs/chat-cluster.md): the host makes the bus */
	const char *cluster;         /* redis://HOST:PORT[/DB], redis+unix:PATH */
	const char *cluster_password;
	const char *node_name;       /* default host:pid */
	uint64_t cluster_ttl_ms;     /* node liveness key lifetime */
};

struct svc_bus;

struct svc_conn;

/* How a service answers: implemented by the host. */
struct svc_host_ops {
	int (*send)(struct svc_conn *c, const void *data, size_t len);
	size_t (*queued)(struct svc_conn *c);
	void (*shutdown)(struct svc_conn *c);        /* FIN after the queue */
	void (*end)(struct svc_conn *c, const char *reason);
	/* Close now, discarding what is queued: for a client that does not
	 * read (chat's SendQ).  May close at once, calling the service's
	 * close callback before it returns (unless c's own callback runs). */
	void (*drop)(struct svc_conn *c, const char *reason);
	void (*pause)(struct svc_conn *c);
	void (*resume)(struct svc_conn *c);
	void (*set_timer)(struct svc_conn *c, uint64_t ms);  /* 0 disarms */
	void (*vlog)(struct svc_conn *c, const char *fmt, va_list ap);
};

/* One stream client as a service sees it.  A single_thread service may
 * keep the svc_conn of every client and send to any of them from any of
 * its callbacks (chat's fan-out); the pointer is valid until the
 * service's close callback for it returns. */
struct svc_conn {
	const struct svc_host_ops *host;
	void *host_data;                  /* the host's */
	void *state;                      /* state_size zeroed bytes, the service's */
	void *instance;                   /* the service instance (init's result) */
	const struct svc_options *opt;
	const char *peer;                 /* "127.0.0.1:40000", for logs */
};

/* A service.  Stream callbacks may be NULL where noted. */
struct service {
	const char *name;
	size_t state_size;                /* per-connection state */
	/* Default endpoints (DESIGN.md), NULL-terminated. */
	const char *const *defaults;

	/* Create the service instance (shared by its connections; NULL is
	 * fine).  Returns 0, or -1 with err filled. */
	int (*init)(const struct svc_options *opt, void **instance,
	            char *err, size_t errlen);
	void (*fini)(void *instance);

	/* Stream side. */
	void (*open)(struct svc_conn *c);
	void (*bytes)(struct svc_conn *c, const char *data, size_t len);
	void (*eof)(struct svc_conn *c);       /* NULL: end after the queue */
	void (*writable)(struct svc_conn *c);  /* queue drained; NULL ignored */
	void (*timer)(struct svc_conn *c);     /* set_timer fired */
	void (*close)(struct svc_conn *c);     /* NULL ignored */

	/* Datagram side: write the reply for one request into out (outcap
	 * bytes) and return its length, 0 for no reply.  NULL: stream only. */
	size_t (*datagram)(void *instance, const char *in, size_t len,
	                   char *out, size_t outcap);
	/* Whether a reply may be larger than its request (daytime, time,
	 * qotd): the host then rate-limits replies per source address so a
	 * spoofed source cannot use the service as an amplifier.  Otherwise
	 * the host never sends more bytes than the request carried. */
	bool dgram_may_amplify;
	/* Whether one instance must see every connection (chat): the host
	 * then runs it on one thread. */
	bool single_thread;
	/* Join a cluster through bus (services/bus.h), made by the host when
	 * the options ask for one; the bus outlives the instance's use of it.
	 * NULL: the service cannot be clustered.  0 or -1. */
	int (*bus_attach)(void *instance, struct svc_bus *bus);
	/* single_thread only, may be NULL: called with the instance at the
	 * end of every wakeup of the loop running it, after all callbacks of
	 * that wakeup — to send output gathered for many connections in one
	 * write each.  It may do only part of that (a budget per wakeup, so
	 * the loop's other connections wait less) and return true: the host
	 * then runs the next wakeup without sleeping, and calls it again
	 * after that wakeup's events.  A host that never calls it is fine
	 * (chat then sends at the end of each callback). */
	bool (*wakeup_end)(void *instance);
};

/* The services, by name; NULL when unknown. */
const struct service *svc_find(const char *name);

/* Every service, NULL-terminated, in DESIGN.md's order. */
extern const struct service *const svc_all[];

static inline int svc_send(struct svc_conn *c, const void *d, size_t n)
{ return c->host->send(c, d, n); }
static inline size_t svc_queued(struct svc_conn *c) { return c->host->queued(c); }
static inline void svc_shutdown(struct svc_conn *c) { c->host->shutdown(c); }
static inline void svc_end(struct svc_conn *c, const char *reason)
{ c->host->end(c, reason); }
static inline void svc_drop(struct svc_conn *c, const char *reason)
{ c->host->drop(c, reason); }
static inline void svc_pause(struct svc_conn *c) { c->host->pause(c); }
static inline void svc_resume(struct svc_conn *c) { c->host->resume(c); }
static inline void svc_set_timer(struct svc_conn *c, uint64_t ms)
{ c->host->set_timer(c, ms); }

/* Log a line about this connection (the host adds time and peer).  A
 * message longer than SVC_LOG_MAX - 1 bytes is cut there by the host: a
 * service that logs client data keeps its message within it. */
#define SVC_LOG_MAX 1024
void svc_log(struct svc_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
