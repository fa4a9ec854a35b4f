/* server_int.h — what the server's modules share: workers and listeners. */
#ifndef SOCKIT_SERVER_INT_H
#define SOCKIT_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "serve/server.h"
#include "sockit/conn.h"
#include "sockit/loop.h"

struct server;
struct worker;
struct session;

struct listener {
	struct worker *w;
	const struct serve_entry *entry;
	void *instance;
	struct sk_endpoint ep;       /* as bound (real port) */
	char name[SK_ADDRSTRLEN];    /* "tcp://127.0.0.1:40123" */
	/* The service and the endpoint as configured ("echo tcp://x:0"): a
	 * reload keeps a listener whose key the new set still has. */
	char key[SK_ADDRSTRLEN + 32];
	int fd;
	unsigned seq;                /* opening order: readiness lines follow it */
	/* Passed by systemd (socket activation): on the first worker that
	 * serves the endpoint only, and a UNIX socket file is systemd's to
	 * remove, not ours. */
	bool inherited;
	/* Reload bookkeeping, touched only by the reloading thread. */
	bool keep;
	const struct serve_entry *new_entry;
	void *new_instance;
	struct listener *next_retired;
};

/* A growable array of listeners; each listener is its own allocation, so
 * the pointers sessions and the loop hold survive growth. */
struct lvec {
	struct listener **v;
	size_t n, cap;
};

struct worker {
	struct server *srv;
	struct sk_loop *loop;
	pthread_t thread;
	int index;
	struct lvec ls;
	struct listener *retired;    /* closed by a reload, kept for sessions */
	int spare_fd;                /* given up to accept-and-close at EMFILE */
	struct session *sessions;    /* every open session, for shutdown */
	struct dgram_batch *batch;   /* UDP buffers, made on first use */
	struct sk_timer again;       /* worker 0: a wakeup_end left work */
};

/* One loaded set of services and their instances.  Kept until the end:
 * connections accepted under it may still use its options and instances. */
struct generation {
	const struct serve_entry *entries;
	size_t n;
	void **instances;
	struct generation *prev;
};

struct server {
	struct serve_limits lim;
	struct worker *workers;
	int nworkers;
	/* Workers 0..nstream-1 share the TCP/UDP endpoints (SO_REUSEPORT);
	 * single_thread services (chat) run on worker solo: a worker of
	 * their own (nstream) when there are several, else worker 0. */
	int nstream;
	int solo;
	unsigned nopened;            /* listeners opened so far: their seq */
	int started;                 /* worker threads running, with worker 0 */
	atomic_int nconn;
	struct peer_table *peers;    /* connections per client address */
	struct rate_table *rates;    /* amplified UDP reply budgets, shared */
	struct generation *gen;      /* the running set; older ones follow */
	const struct serve_reload *reload;
	pthread_barrier_t park;      /* other workers wait here during a reload */
	atomic_bool reloading;
	bool stopping;               /* SIGINT/SIGTERM seen: no more reloads */
	struct svc_bus **buses;      /* one per clustered entry, on worker 0 */
	size_t nbuses;
};

/* server_listen.c */
int lvec_push(struct lvec *v, struct listener *l);
/* generation.c: make the instances of a set of n entries (e stays the
 * caller's): the generation, or NULL with err and nothing made. */
struct generation *gen_new(const struct serve_entry *e, size_t n, char *err,
                           size_t errlen);
/* generation.c: finish every instance made, free g (not g->prev). */
void gen_free(struct generation *g);

/* server_listen.c: open conf on every worker that serves it, into out[w]
 * (NULL where a worker does not); 0, or -1 with err and nothing open. */
int open_endpoint(struct server *srv, const struct serve_entry *e,
                  void *instance, const struct sk_endpoint *ep,
                  struct listener **out, char *err, size_t errlen);
void listener_close(struct listener *l);      /* unwatch, close, keep */
/* The readiness lines of a and b (either may be NULL), in opening order. */
void listeners_announce(const struct lvec *a, const struct lvec *b);
void listener_discard(struct listener *l);    /* close and free, never watched */
int listener_watch(struct listener *l);

/* server_reload.c */
void server_reload(struct server *srv);

/* server_stream.c */
void stream_on_accept(struct sk_loop *loop, int lfd, int cfd, const struct sockaddr *peer,
                      socklen_t peerlen, int err, void *data);
void stream_close_all(struct worker *w);

/* server_dgram.c */
void dgram_on_readable(struct sk_loop *loop, int fd, int events, void *data);
void dgram_free(struct worker *w);

#endif
