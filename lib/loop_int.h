/* loop_int.h — what lib/loop.c shares with its backends (loop_epoll.c,
 * loop_uring.c) and with the connection layer's io_uring path. */
#ifndef SOCKIT_LOOP_INT_H
#define SOCKIT_LOOP_INT_H

#include <signal.h>

#include "sockit/loop.h"

struct fd_entry {
	sk_io_fn *fn;
	void *data;
	int mask;            /* SK_READ|SK_WRITE wanted */
	bool in_kernel;      /* epoll: registered; io_uring: on the dirty list */
	uint32_t gen;        /* bumped on del: stale events are dropped */
	int armed_mask;      /* io_uring: the mask of the poll in flight */
	uint64_t armed_ud;   /* io_uring: its user_data, 0 when none */
	sk_accept_fn *accept_fn;   /* a listener (sk_loop_accept); fn is
	                            * then accept_ready, for readiness */
	bool accept_poll;    /* io_uring: the kernel refused the multishot
	                      * accept, readiness it is */
};

/* A listener's readiness callback: accept4 up to ACCEPT_BUDGET times,
 * handing each connection to its accept_fn. */
void sk__loop_accept_ready(struct sk_loop *loop, int fd, int events, void *data);

/* A backend: the handful of functions ae.c asks of ae_epoll.c. */
struct sk__backend {
	enum sk_backend kind;
	int (*init)(struct sk_loop *loop);
	void (*fini)(struct sk_loop *loop);
	/* fd's wanted mask changed to mask (e->mask is still the old one). */
	int (*apply)(struct sk_loop *loop, int fd, struct fd_entry *e, int mask);
	/* fd leaves the loop (e is wiped after this). */
	void (*del)(struct sk_loop *loop, int fd, struct fd_entry *e);
	/* Wait at most timeout_ms (-1: no limit), run the callbacks of what
	 * arrived; events handled, or -1 with errno. */
	int (*wait)(struct sk_loop *loop, int timeout_ms);
};

extern const struct sk__backend sk__backend_epoll;
extern const struct sk__backend sk__backend_uring;

struct sk_loop {
	const struct sk__backend *be;
	void *be_data;
	struct fd_entry *fds;
	int nfds;
	struct sk_timer **heap;
	size_t nheap, heapcap;
	uint64_t now;
	bool stop;
	int wakefd;
	int sigfd;
	sigset_t sigs;
	sk_signal_fn *sigfn[NSIG];
	void *sigdata[NSIG];
	sk_after_fn *after;          /* end of each wakeup, or NULL */
	void *after_data;
	/* The connection layer's per-loop io_uring state (conn_uring.c): run
	 * before each submission (the turn's batched sends), freed with the
	 * loop. */
	void *conn_ring;
	void (*conn_ring_flush)(struct sk_loop *loop);
	void (*conn_ring_free)(struct sk_loop *loop);
	/* Turn lengths (turn_stats.c), NULL unless asked for. */
	struct sk__turn_stats *turns;
	/* The connections' shared read buffer (conn.c), made on first use. */
	char *read_buf;
};

/* Run fd's callback for what the kernel reported (SK_READ|SK_WRITE, or
 * err for error/hangup), unless fd was deleted since (gen differs). */
/* The backends, as their wait returns: the loop's clock, and the start of
 * a measured turn. */
void sk__loop_woke(struct sk_loop *loop);

void sk__loop_dispatch(struct sk_loop *loop, int fd, uint32_t gen, int events,
                       bool err);

/* io_uring requests of the connection layer: user_data points at one of
 * these (aligned, so even; the loop's own polls are odd). */
struct sk__uop;
typedef void sk__uop_fn(struct sk_loop *loop, struct sk__uop *op, int res,
                        unsigned flags);
struct sk__uop {
	sk__uop_fn *fn;
};

struct io_uring;
struct io_uring_sqe;

/* The ring of an io_uring loop (NULL for epoll). */
struct io_uring *sk__loop_ring(struct sk_loop *loop);

/* A free submission entry on loop's ring, submitting the queue early when
 * it is full; NULL when none can be had. */
struct io_uring_sqe *sk__loop_sqe(struct sk_loop *loop);

#endif
