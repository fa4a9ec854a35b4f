/* conn.c — a stream connection on the loop: output queue, watermarks,
 * half-close, idle timeout, and a close that is safe inside callbacks;
 * the readiness path (send/recv when the loop says so) is here, the
 * io_uring one in conn_uring.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn_int.h"
#include "loop_int.h"

const struct sk_conn_limits sk_conn_default_limits = {
	.high_water = 256 * 1024,
	.low_water = 64 * 1024,
	.read_size = 64 * 1024,
	.idle_ms = 0,
};

/* One read buffer per loop (so per thread), shared by its connections:
 * memory per idle client stays at the struct, whatever the read size.  It
 * is made on the first read, not kept in thread-local storage: the loader
 * clears a thread's whole static TLS block at start, which for 256 KiB was
 * 64 page faults and a third of the start-up of every sockit command. */
#define READ_MAX (256 * 1024)

static void conn_io(struct sk_loop *loop, int fd, int events, void *data);

bool sk_conn_reading(const struct sk_conn *c)
{
	return !c->read_paused && !c->backpressured && !c->peer_eof && !c->closing &&
	       !c->dead;
}

static void update_mask(struct sk_conn *c)
{
	int mask = 0;

	if (c->ring) {
		sk__conn_ring_update(c);
		return;
	}
	if (sk_conn_reading(c))
		mask |= SK_READ;
	if (sk_buf_len(&c->out) > 0 && !c->wr_shut)
		mask |= SK_WRITE;
	sk_loop_mod(c->loop, c->fd, mask);
}

static void destroy(struct sk_conn *c)
{
	sk_timer_stop(c->loop, &c->idle);
	if (c->ring) {
		/* The kernel may still hold the fd and the send's bytes. */
		if (c->ops->on_close)
			c->ops->on_close(c, c->close_reason ? c->close_reason : "closed");
		sk__conn_ring_destroy(c);
		return;
	}
	sk_loop_del(c->loop, c->fd);
	close(c->fd);
	sk_buf_free(&c->out);
	if (c->ops->on_close)
		c->ops->on_close(c, c->close_reason ? c->close_reason : "closed");
	free(c);
}

static void on_idle(struct sk_loop *loop, struct sk_timer *t)
{
	struct sk_conn *c = t->data;
	uint64_t quiet = sk_loop_now(loop) - c->last_active_ms;

	if (quiet >= c->lim.idle_ms)
		sk_conn_close(c, "idle timeout");
	else
		sk_timer_start(loop, &c->idle, c->lim.idle_ms - quiet, on_idle, c);
}

struct sk_conn *sk_conn_new(struct sk_loop *loop, int fd,
                            const struct sockaddr *peer, socklen_t peerlen,
                            const struct sk_conn_ops *ops, void *data,
                            const struct sk_conn_limits *lim)
{
	struct sk_conn *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->loop = loop;
	c->fd = fd;
	c->ops = ops;
	c->data = data;
	c->lim = lim ? *lim : sk_conn_default_limits;
	if (c->lim.read_size == 0 || c->lim.read_size > READ_MAX)
		c->lim.read_size = READ_MAX;
	c->opened_ms = c->last_active_ms = sk_loop_now(loop);
	if (peer && peerlen <= sizeof c->peer) {
		memcpy(&c->peer, peer, peerlen);
		c->peerlen = peerlen;
	} else {
		c->peerlen = sizeof c->peer;
		if (getpeername(fd, (struct sockaddr *)&c->peer, &c->peerlen) < 0)
			c->peerlen = 0;
	}
	if (!sk__conn_ring_attach(c) && sk_loop_add(loop, fd, SK_READ, conn_io, c) < 0) {
		free(c);
		return NULL;
	}
	if (c->lim.idle_ms)
		sk_timer_start(loop, &c->idle, c->lim.idle_ms, on_idle, c);
	return c;
}

/* Close now, or as soon as the callbacks on the stack return. */
void sk_conn_close(struct sk_conn *c, const char *reason)
{
	if (c->dead)
		return;
	c->dead = true;
	if (!c->close_reason)
		c->close_reason = reason;
	if (c->in_callback == 0)
		destroy(c);
}

/* The queue is empty: finish a pending half-close or graceful close. */
static void queue_empty(struct sk_conn *c)
{
	if (c->want_shutdown && !c->wr_shut) {
		shutdown(c->fd, SHUT_WR);
		c->wr_shut = true;
	}
	if (c->closing)
		sk_conn_close(c, c->close_reason);
}

/* Send what the kernel takes; 0, or -1 after closing on a write error. */
static int flush(struct sk_conn *c)
{
	while (sk_buf_len(&c->out) > 0) {
		ssize_t n = send(c->fd, sk_buf_head(&c->out), sk_buf_len(&c->out),
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			sk_buf_consume(&c->out, (size_t)n);
			c->bytes_out += (size_t)n;
			c->last_active_ms = sk_loop_now(c->loop);
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return 0;
		} else {
			sk_conn_close(c, strerror(errno));
			return -1;
		}
	}
	return 0;
}

void sk_conn_hold(struct sk_conn *c)
{
	c->in_callback++;
}

bool sk_conn_release(struct sk_conn *c)
{
	if (--c->in_callback > 0 || !c->dead)
		return true;
	destroy(c);
	return false;
}


/* sk__conn_sent and sk__conn_input run only with c held (conn_io, or a
 * completion in conn_uring.c):
 * a close the owner asks for in a callback waits until conn_io returns. */
void sk__conn_sent(struct sk_conn *c)
{
	size_t queued = sk_conn_queued(c);

	if (queued == 0)
		queue_empty(c);
	if (c->dead)
		return;
	if (c->backpressured && queued <= c->lim.low_water) {
		c->backpressured = false;
		if (c->ops->on_drain)
			c->ops->on_drain(c);
	} else if (queued == 0 && c->ops->on_drain) {
		c->ops->on_drain(c);
	}
	if (!c->dead)
		update_mask(c);
}

/* Send from the caller's bytes while nothing is queued: the common case
 * costs one send() and no copy; only what the kernel did not take is
 * queued.  Returns bytes sent, or -1 after closing on a write error. */
static ssize_t send_direct(struct sk_conn *c, const char *data, size_t len)
{
	ssize_t n;

	do
		n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n >= 0) {
		c->bytes_out += (size_t)n;
		c->last_active_ms = sk_loop_now(c->loop);
		return n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	sk_conn_close(c, strerror(errno));
	return -1;
}

int sk_conn_write(struct sk_conn *c, const void *data, size_t len)
{
	size_t sent = 0;

	if (c->dead || c->closing || c->want_shutdown) {
		errno = EPIPE;
		return -1;
	}
	if (!c->ring && sk_buf_len(&c->out) == 0) {
		ssize_t n = send_direct(c, data, len);
		if (n < 0)
			return -1;
		sent = (size_t)n;
		if (sent == len)
			return 0;    /* the mask already says "no write wanted" */
	}
	if (!(c->ring && sk__conn_ring_lend(c, data, len)) &&
	    sk_buf_append(&c->out, (const char *)data + sent, len - sent) < 0) {
		sk_conn_close(c, "out of memory");
		return -1;
	}
	if (c->ring)
		sk__conn_ring_send_early(c);
	if (sk_conn_queued(c) > c->lim.high_water)
		c->backpressured = true;
	update_mask(c);
	return 0;
}

static void on_readable(struct sk_conn *c)
{
	struct sk_loop *loop = c->loop;
	ssize_t n;

	if (!loop->read_buf && !(loop->read_buf = malloc(READ_MAX))) {
		sk_conn_close(c, strerror(ENOMEM));
		return;
	}
	do
		n = recv(c->fd, loop->read_buf, c->lim.read_size, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			sk_conn_close(c, strerror(errno));
		return;
	}
	sk__conn_input(c, loop->read_buf, (size_t)n);
}

void sk__conn_input(struct sk_conn *c, const char *data, size_t n)
{
	c->last_active_ms = sk_loop_now(c->loop);
	if (n == 0) {
		c->peer_eof = true;
		if (c->ops->on_eof)
			c->ops->on_eof(c);
		else
			sk_conn_end(c, "peer closed");
		if (!c->dead)
			update_mask(c);
		return;
	}
	c->bytes_in += n;
	c->ops->on_data(c, data, n);
}

static void conn_io(struct sk_loop *loop, int fd, int events, void *data)
{
	struct sk_conn *c = data;
	(void)loop; (void)fd;

	sk_conn_hold(c);
	if ((events & SK_WRITE) && flush(c) == 0)
		sk__conn_sent(c);
	if ((events & SK_READ) && !c->dead)
		on_readable(c);
	sk_conn_release(c);
}

void sk_conn_pause(struct sk_conn *c)
{
	c->read_paused = true;
	if (!c->dead)
		update_mask(c);
}

void sk_conn_resume(struct sk_conn *c)
{
	c->read_paused = false;
	if (!c->dead)
		update_mask(c);
}

void sk_conn_shutdown(struct sk_conn *c)
{
	if (c->dead)
		return;
	c->want_shutdown = true;
	if (sk_conn_queued(c) == 0)
		queue_empty(c);
}

void sk_conn_end(struct sk_conn *c, const char *reason)
{
	if (c->dead)
		return;
	c->closing = true;
	if (!c->close_reason)
		c->close_reason = reason;
	if (sk_conn_queued(c) == 0)
		sk_conn_close(c, reason);
	else
		update_mask(c);
}
