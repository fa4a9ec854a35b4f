/* conn_int.h — what lib/conn.c shares with its io_uring half
 * (lib/conn_uring.c). */
#ifndef SOCKIT_CONN_INT_H
#define SOCKIT_CONN_INT_H

#include "sockit/conn.h"

/* Put a new connection on its loop's ring: true when it now lives there
 * (its receive armed), false to use readiness instead (an epoll loop, a
 * ring not created yet, no buffers). */
bool sk__conn_ring_attach(struct sk_conn *c);

/* The connection's reading state or queue changed: arm or cancel the
 * receive, queue a send for this turn. */
void sk__conn_ring_update(struct sk_conn *c);

/* Whether c's write of data can go out straight from the receive buffer
 * it is being delivered from (an echo): then c's inflight is that buffer,
 * lent until the send is done, and nothing is copied.  false: queue a
 * copy as usual. */
bool sk__conn_ring_lend(struct sk_conn *c, const void *data, size_t len);

/* The owner wrote: when the turn's output for c has grown past what is
 * worth a system call, send it now instead of at the end of the turn. */
void sk__conn_ring_send_early(struct sk_conn *c);

/* The owner has been told of the close: cancel what is in flight, close
 * the fd and free c once the kernel is done with both. */
void sk__conn_ring_destroy(struct sk_conn *c);

/* Bytes from the peer (n > 0) or its EOF (n == 0), as a read returns
 * them; call with c held. */
void sk__conn_input(struct sk_conn *c, const char *data, size_t n);

/* Some of the queue went out: finish a pending close or half-close,
 * report a drain, re-evaluate reading; call with c held. */
void sk__conn_sent(struct sk_conn *c);

#endif
