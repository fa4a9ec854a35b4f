/* uring.c — the load generator's io_uring engine (sockit bench --backend
 * io_uring): established stream connections receive by multishot recv
 * into a provided-buffer ring and send one request per connection per
 * turn, all submitted with the turn's one io_uring_enter; connects stay
 * on the thread's epoll, whose fd is watched by a poll on the ring. */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench/conn.h"

#define NBUFS 4096                 /* a power of two */
#define BUFSZ 4096
#define BGID 1
#define IOV_REQUESTS 64            /* requests per send at most */

enum { OP_RECV = 1, OP_SEND = 2, OP_EPOLL = 3 };

struct bench_ring {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	char *mem;
	bool epoll_armed;
	char **retired;                /* send buffers a closed conn left in flight */
	size_t nretired;
};

/* user_data: op (8 bits) | gen (24) | connection index (32). */
static uint64_t ud(struct bench_thread *t, struct bench_conn *c, int op)
{
	return (uint64_t)op << 56 | (uint64_t)(c->gen & 0xffffff) << 32 |
	       (uint64_t)(c - t->conns);
}

int bench_ring_new(struct bench_thread *t)
{
	struct bench_ring *r = calloc(1, sizeof *r);
	struct io_uring_params p = { .flags = IORING_SETUP_SINGLE_ISSUER |
	                                      IORING_SETUP_DEFER_TASKRUN };
	struct io_uring_buf_reg reg = { 0 };

	if (!r)
		return -1;
	int rc = io_uring_queue_init_params(4096, &r->ring, &p);
	if (rc < 0) {
		free(r);
		errno = -rc;
		return -1;
	}
	t->ring = r;
	r->br = mmap(NULL, NBUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
	             MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	r->mem = malloc((size_t)NBUFS * BUFSZ);
	if (r->br == MAP_FAILED || !r->mem)
		return -1;
	io_uring_buf_ring_init(r->br);
	reg.ring_addr = (unsigned long)r->br;
	reg.ring_entries = NBUFS;
	reg.bgid = BGID;
	if ((rc = io_uring_register_buf_ring(&r->ring, &reg, 0)) < 0) {
		errno = -rc;
		return -1;
	}
	for (unsigned i = 0; i < NBUFS; i++)
		io_uring_buf_ring_add(r->br, r->mem + (size_t)i * BUFSZ, BUFSZ,
		                      (unsigned short)i, io_uring_buf_ring_mask(NBUFS), (int)i);
	io_uring_buf_ring_advance(r->br, NBUFS);
	return 0;
}

void bench_ring_free(struct bench_thread *t)
{
	struct bench_ring *r = t->ring;

	if (!r)
		return;
	io_uring_queue_exit(&r->ring);
	if (r->br && r->br != MAP_FAILED)
		munmap(r->br, NBUFS * sizeof(struct io_uring_buf));
	free(r->mem);
	for (size_t i = 0; i < r->nretired; i++)
		free(r->retired[i]);
	free(r->retired);
	for (unsigned i = 0; t->conns && i < t->nconns; i++)
		free(t->conns[i].sbuf);
	free(r);
	t->ring = NULL;
}

static struct io_uring_sqe *sqe_get(struct bench_ring *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	if (!sqe) {
		io_uring_submit(&r->ring);
		sqe = io_uring_get_sqe(&r->ring);
	}
	return sqe;
}

static int arm_recv(struct bench_thread *t, struct bench_conn *c)
{
	struct io_uring_sqe *sqe = sqe_get(t->ring);

	if (!sqe)
		return -1;
	io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	io_uring_sqe_set_data64(sqe, ud(t, c, OP_RECV));
	c->recv_armed = true;
	return 0;
}

int bench_ring_attach(struct bench_thread *t, struct bench_conn *c)
{
	c->on_ring = true;
	c->sending = false;
	return arm_recv(t, c);
}

void bench_ring_detach(struct bench_thread *t, struct bench_conn *c)
{
	struct bench_ring *r = t->ring;

	/* shutdown ends the receive and any send at once; the kernel lets go
	 * of the socket when they complete, and their gen no longer matches. */
	shutdown(c->fd, SHUT_RDWR);
	if (c->sending) {
		char **nr = realloc(r->retired, (r->nretired + 1) * sizeof *nr);
		if (nr) {
			r->retired = nr;
			r->retired[r->nretired++] = c->sbuf;
			c->sbuf = NULL;
			c->sbuf_cap = 0;
		}
	}
	c->gen++;
	c->on_ring = c->recv_armed = c->sending = false;
}

void bench_ring_send(struct bench_thread *t, struct bench_conn *c)
{
	const struct pattern *p = t->pat;
	struct iovec iov[3 * IOV_REQUESTS];
	size_t skip = c->send_off, len = 0;
	int n = 0;

	if (c->sending || c->sent >= c->queued)
		return;
	for (uint64_t s = c->sent; s < c->queued && s - c->sent < IOV_REQUESTS; s++) {
		n += conn_request_iov(p, c, s, skip, iov + n);
		skip = 0;
	}
	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (len > c->sbuf_cap) {
		char *nb = realloc(c->sbuf, len);
		if (!nb)
			return;
		c->sbuf = nb;
		c->sbuf_cap = len;
	}
	len = 0;
	for (int i = 0; i < n; i++) {
		memcpy(c->sbuf + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	struct io_uring_sqe *sqe = sqe_get(t->ring);
	if (!sqe)
		return;
	io_uring_prep_send(sqe, c->fd, c->sbuf, len, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, ud(t, c, OP_SEND));
	c->sending = true;
}

static void on_recv(struct bench_thread *t, struct bench_conn *c, int res,
                    unsigned flags)
{
	struct bench_ring *r = t->ring;

	if (!(flags & IORING_CQE_F_MORE))
		c->recv_armed = false;
	if (res > 0) {
		unsigned short bid = (unsigned short)(flags >> IORING_CQE_BUFFER_SHIFT);
		stream_got(t, c, r->mem + (size_t)bid * BUFSZ, res, 0);
		io_uring_buf_ring_add(r->br, r->mem + (size_t)bid * BUFSZ, BUFSZ, bid,
		                      io_uring_buf_ring_mask(NBUFS), 0);
		io_uring_buf_ring_advance(r->br, 1);
	} else if (res == 0) {
		stream_got(t, c, NULL, 0, 0);
	} else if (res != -ENOBUFS) {
		stream_got(t, c, NULL, -1, -res);
	}
	if (c->on_ring && !c->recv_armed && arm_recv(t, c) < 0)
		stream_got(t, c, NULL, -1, EBUSY);
}

static void on_send(struct bench_thread *t, struct bench_conn *c, int res)
{
	c->sending = false;
	if (res < 0) {
		stream_got(t, c, NULL, -1, -res);
		return;
	}
	conn_account_sent(t->pat, c, (size_t)res);
	if (c->sent < c->queued)
		bench_ring_send(t, c);
}

/* A completion: for a live request of a connection, or a stale one (the
 * connection was closed since: only its buffer matters). */
static void complete(struct bench_thread *t, uint64_t d, int res, unsigned flags)
{
	int op = (int)(d >> 56);

	if (op == OP_EPOLL) {
		t->ring->epoll_armed = false;
		stream_dispatch(t, 0);
		return;
	}
	struct bench_conn *c = &t->conns[(uint32_t)d];
	if (((d >> 32) & 0xffffff) != (c->gen & 0xffffff) || !c->on_ring) {
		if (op == OP_RECV && res > 0) {
			unsigned short bid = (unsigned short)(flags >> IORING_CQE_BUFFER_SHIFT);
			io_uring_buf_ring_add(t->ring->br, t->ring->mem + (size_t)bid * BUFSZ,
			                      BUFSZ, bid, io_uring_buf_ring_mask(NBUFS), 0);
			io_uring_buf_ring_advance(t->ring->br, 1);
		}
		return;
	}
	if (op == OP_RECV)
		on_recv(t, c, res, flags);
	else
		on_send(t, c, res);
}

int bench_ring_turn(struct bench_thread *t, int timeout_ms)
{
	struct bench_ring *r = t->ring;
	struct io_uring_cqe *cqes[256];
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = timeout_ms * 1000000LL };
	struct io_uring_cqe *cqe;

	if (!r->epoll_armed) {
		struct io_uring_sqe *sqe = sqe_get(r);
		if (!sqe) {
			errno = EBUSY;
			return -1;
		}
		io_uring_prep_poll_add(sqe, t->epfd, POLLIN);
		io_uring_sqe_set_data64(sqe, (uint64_t)OP_EPOLL << 56);
		r->epoll_armed = true;
	}
	int rc = io_uring_submit_and_wait_timeout(&r->ring, &cqe, 1, &ts, NULL);
	if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
		errno = -rc;
		return -1;
	}
	t->now = bench_now();
	unsigned n = io_uring_peek_batch_cqe(&r->ring, cqes, 256);
	struct { uint64_t d; int res; unsigned flags; } got[256];
	for (unsigned i = 0; i < n; i++) {
		got[i].d = io_uring_cqe_get_data64(cqes[i]);
		got[i].res = cqes[i]->res;
		got[i].flags = cqes[i]->flags;
	}
	io_uring_cq_advance(&r->ring, n);
	for (unsigned i = 0; i < n; i++)
		complete(t, got[i].d, got[i].res, got[i].flags);
	return 0;
}
