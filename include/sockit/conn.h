/* conn.h — a stream connection on the loop, with an output buffer and
 * backpressure.
 *
 * sk_conn_write() sends at once when nothing is queued (the common case
 * costs one send) and queues the rest.  When the queue passes the high
 * watermark the connection stops reading its peer (nc's readwrite(): do
 * not read from whoever feeds a full buffer) and resumes below the low
 * watermark.  Reads are capped per wakeup so one busy peer cannot starve
 * the others.  Half-close: EOF from the peer is reported once and writing
 * continues; sk_conn_shutdown() sends FIN after the queue drains.
 *
 * On an io_uring loop (once it has run a turn) a connection lives on the
 * ring instead: a multishot receive into the loop's provided buffers,
 * capped so that it cannot read past the watermark by more than one read
 * (one-shot on kernels without the cap), and what the owner writes during
 * a turn goes out as one send request submitted with the turn's
 * io_uring_enter (past 16 KiB in a turn, at once by send(2); an echo is
 * sent from the receive buffer itself).  Every rule above holds the same
 * on both (lib/conn_uring.c). */
#ifndef SOCKIT_CONN_H
#define SOCKIT_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sockit/buf.h"
#include "sockit/loop.h"

struct sk_conn;

struct sk_conn_ops {
	/* Bytes arrived (data is valid during the call only). */
	void (*on_data)(struct sk_conn *c, const char *data, size_t len);
	/* The peer half-closed; the connection can still write.  NULL: the
	 * connection closes once its queue drains. */
	void (*on_eof)(struct sk_conn *c);
	/* The queue drained below the low watermark (e.g. to produce more,
	 * like chargen, or to resume a paused source).  May be NULL. */
	void (*on_drain)(struct sk_conn *c);
	/* Closed, for the reason given; the conn is freed after this. */
	void (*on_close)(struct sk_conn *c, const char *reason);
};

struct sk_conn_limits {
	size_t high_water;     /* stop reading above this many queued bytes */
	size_t low_water;      /* resume reading below this */
	size_t read_size;      /* bytes per read, and the per-wakeup cap */
	uint64_t idle_ms;      /* close when nothing moves for this long; 0 off */
};

/* Defaults: 256 KiB high, 64 KiB low, 64 KiB reads, no idle timeout. */
extern const struct sk_conn_limits sk_conn_default_limits;

struct sk_conn {
	struct sk_loop *loop;
	int fd;
	const struct sk_conn_ops *ops;
	void *data;                    /* the owner's */
	struct sk_conn_limits lim;
	struct sk_buf out;
	struct sk_buf inflight;        /* io_uring: the bytes a send carries */
	struct sk__conn_ring *ring;    /* io_uring: the requests; NULL on epoll */
	struct sk_timer idle;
	uint64_t bytes_in, bytes_out;
	uint64_t opened_ms;
	uint64_t last_active_ms;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	bool read_paused;       /* by the owner */
	bool backpressured;     /* by the watermark */
	bool peer_eof;
	bool want_shutdown;     /* FIN once the queue is empty */
	bool closing;           /* close once the queue is empty */
	bool wr_shut;
	int in_callback;        /* depth: a close waits until callbacks return */
	bool dead;
	const char *close_reason;
};

/* Wrap a connected non-blocking fd (ownership passes to the conn).  peer
 * is the address accept() returned (NULL: ask getpeername, one more
 * syscall).  lim NULL means the defaults.  Returns NULL with errno. */
struct sk_conn *sk_conn_new(struct sk_loop *loop, int fd,
                            const struct sockaddr *peer, socklen_t peerlen,
                            const struct sk_conn_ops *ops, void *data,
                            const struct sk_conn_limits *lim);

/* Queue len bytes for the peer (sending what the socket takes now).
 * Returns 0, or -1 when the connection is closing or out of memory. */
int sk_conn_write(struct sk_conn *c, const void *data, size_t len);

/* Bytes queued and not yet accepted by the kernel. */
static inline size_t sk_conn_queued(const struct sk_conn *c)
{
	return sk_buf_len(&c->out) + sk_buf_len(&c->inflight);
}

/* Whether c reads its peer now (not paused, not above the watermark, no
 * EOF, not closing). */
bool sk_conn_reading(const struct sk_conn *c);

/* Stop / resume reading from the peer (the owner's own backpressure). */
void sk_conn_pause(struct sk_conn *c);
void sk_conn_resume(struct sk_conn *c);

/* Send FIN once the queue has drained (half-close); reading goes on. */
void sk_conn_shutdown(struct sk_conn *c);

/* Close once the queue has drained (graceful), for reason. */
void sk_conn_end(struct sk_conn *c, const char *reason);

/* Close now, dropping anything queued (RST-free close).  Inside a
 * callback of c (or between hold and release) the close waits until the
 * callback returns, so c stays valid until then. */
void sk_conn_close(struct sk_conn *c, const char *reason);

/* Keep c alive across code that may close it (an owner calling into a
 * service outside c's own callbacks, e.g. from a timer); release frees it
 * if it was closed meanwhile.  Returns false after freeing c. */
void sk_conn_hold(struct sk_conn *c);
bool sk_conn_release(struct sk_conn *c);

#endif
