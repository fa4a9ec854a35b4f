/* server_int.h — what the server's modules share: workers and listeners. */
#ifndef SOCKIT_SERVER_INT_H
#define SOCKIT_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "server.h"
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
	int fd;
};

struct worker {
	struct server *srv;
	struct sk_loop *loop;
	pthread_t thread;
	int index;
	struct listener *ls;
	size_t nls;
	int spare_fd;                /* given up to accept-and-close at EMFILE */
	struct session *sessions;    /* every open session, for shutdown */
	struct dgram_batch *batch;   /* UDP buffers, made on first use */
	struct rate_table *rates;    /* per-source reply budget, UDP */
};

struct server {
	struct serve_limits lim;
	struct worker *workers;
	int nworkers;
	atomic_int nconn;
	struct peer_table *peers;    /* connections per client address */
	void **instances;            /* one per entry */
};

/* server_stream.c */
void stream_on_accept(struct sk_loop *loop, int fd, int events, void *data);
void stream_close_all(struct worker *w);

/* server_dgram.c */
void dgram_on_readable(struct sk_loop *loop, int fd, int events, void *data);
void dgram_free(struct worker *w);

#endif
