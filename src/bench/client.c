/* client.c — the load generator's engine: one epoll loop per thread
 * driving its connections through ping-pong, pipelined, connect-per-
 * request and Caesar exchanges, verifying every reply byte.
 *
 * Hand-written epoll on purpose: a load generator must cost less per
 * request than the servers it measures, so the hot path is one read and
 * one writev per event, level-triggered, no allocation and no callback
 * indirection. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "bench/conn.h"
#include "sockit/error.h"

#define SCAN_NS       (10 * 1000000ull)   /* timeouts and reconnects */
#define RECONNECT_NS  (100 * 1000000ull)  /* after a failed connect */
#define IOV_REQUESTS  64                  /* requests per writev at most */


/* Close c; it is reopened by the scan at retry_ns. */
static void conn_close(struct bench_thread *t, struct bench_conn *c,
                       uint64_t delay)
{
	if (c->on_ring)
		bench_ring_detach(t, c);
	if (c->fd >= 0)
		close(c->fd);          /* also leaves the epoll set */
	c->fd = -1;
	c->events = UINT32_MAX;
	c->state = C_IDLE;
	c->sent = c->done = c->queued;
	c->send_off = c->recv_off = 0;
	c->retry_ns = t->now + delay;
	c->since = t->now;
}

/* Fail every outstanding request of c and close it. */
static void conn_fail(struct bench_thread *t, struct bench_conn *c,
                      enum bench_err kind, const char *what, int err)
{
	uint64_t n = c->queued - c->done;

	if (err)
		bench_error(t, kind, n, "connection %u: %s: %s", c->id, what,
		            strerror(err));
	else
		bench_error(t, kind, n, "connection %u: %s", c->id, what);
	conn_close(t, c, kind == ERR_CONNECT ? RECONNECT_NS : 0);
}

static void stream_open(struct bench_thread *t, struct bench_conn *c);

/* A failed connect in a stream mode fails one request of the quota, so a
 * --requests run against a dead server still ends. */
static void connect_failed(struct bench_thread *t, struct bench_conn *c,
                           int err)
{
	if (t->cfg->mode != MODE_CONNECT && c->queued == c->done &&
	    bench_may_start(t))
		c->queued++;
	conn_fail(t, c, ERR_CONNECT, "connect", err);
}

/* Write as much of [sent, queued) as the socket takes. */
static bool conn_write(struct bench_thread *t, struct bench_conn *c)
{
	const struct pattern *p = t->pat;
	struct iovec iov[3 * IOV_REQUESTS];

	if (c->on_ring) {
		bench_ring_send(t, c);
		return true;
	}
	while (c->sent < c->queued) {
		int n = 0;
		size_t skip = c->send_off;
		for (uint64_t s = c->sent; s < c->queued && s - c->sent < IOV_REQUESTS; s++) {
			n += conn_request_iov(p, c, s, skip, iov + n);
			skip = 0;
		}
		ssize_t w = writev(c->fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w < 0) {
			conn_fail(t, c, ERR_IO, "write", errno);
			return false;
		}
		conn_account_sent(p, c, (size_t)w);
	}
	uint32_t want = EPOLLIN | (c->sent < c->queued ? EPOLLOUT : 0);
	if (conn_watch(t, c, want) < 0) {
		conn_fail(t, c, ERR_IO, "epoll_ctl", errno);
		return false;
	}
	return true;
}

/* Start requests until depth are outstanding, then write them. */
static void conn_fill(struct bench_thread *t, struct bench_conn *c)
{
	unsigned depth = t->cfg->depth;

	if (t->cfg->mode != MODE_CONNECT)
		while (c->queued - c->done < depth && bench_may_start(t))
			c->start[c->queued++ % depth] = t->now;
	if (c->sent < c->queued)
		conn_write(t, c);
}

/* Check received bytes against the outstanding replies, in order. */
static bool conn_verify(struct bench_thread *t, struct bench_conn *c,
                        const char *buf, size_t len)
{
	const struct pattern *p = t->pat;
	char what[96];

	while (len > 0) {
		if (c->done == c->queued) {
			conn_fail(t, c, ERR_UNEXPECTED, "bytes with no request outstanding", 0);
			return false;
		}
		size_t n = p->reply_len - c->recv_off, bad;
		if (n > len)
			n = len;
		if (!conn_reply_matches(p, c->id, c->done, c->recv_off, buf, n, &bad)) {
			snprintf(what, sizeof what, "reply %llu differs at byte %zu",
			         (unsigned long long)c->done, bad);
			conn_fail(t, c, ERR_MISMATCH, what, 0);
			return false;
		}
		buf += n;
		len -= n;
		c->recv_off += n;
		if (c->recv_off == p->reply_len) {
			bench_complete(t, c->start[c->done % t->cfg->depth],
			               p->reply_len, p->req_len);
			c->done++;
			c->recv_off = 0;
		}
	}
	return true;
}

static void conn_read(struct bench_thread *t, struct bench_conn *c)
{
	ssize_t r = read(c->fd, t->rbuf, t->rbuf_len);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	stream_got(t, c, t->rbuf, r, errno);
}

/* See conn.h. */
bool stream_write(struct bench_thread *t, struct bench_conn *c)
{
	return conn_write(t, c);
}

/* See conn.h. */
void stream_got(struct bench_thread *t, struct bench_conn *c, const char *buf,
                ssize_t r, int err)
{
	if (r < 0) {
		conn_fail(t, c, ERR_IO, "read", err);
		return;
	}
	if (r == 0) {
		conn_fail(t, c, ERR_EOF, "server closed the connection", 0);
		return;
	}
	t->now = bench_now();
	if (!conn_verify(t, c, buf, (size_t)r))
		return;
	if (t->cfg->mode == MODE_CONNECT && c->done == c->queued) {
		conn_close(t, c, 0);
		stream_open(t, c);
		return;
	}
	conn_fill(t, c);
}

static void set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Open a stream connection; connect mode starts its request here, so
 * the latency includes the handshake. */
static void stream_open(struct bench_thread *t, struct bench_conn *c)
{
	const struct bench_config *cfg = t->cfg;

	if (cfg->mode == MODE_CONNECT) {
		if (!bench_may_start(t))
			return;
		c->start[c->queued++ % cfg->depth] = t->now;
	}
	c->fd = socket(cfg->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		connect_failed(t, c, errno);
		return;
	}
	if (cfg->addr.ss_family != AF_UNIX)
		set_nodelay(c->fd);
	c->since = t->now;
	t->st.connects++;
	if (connect(c->fd, (const struct sockaddr *)&cfg->addr, cfg->addrlen) < 0 &&
	    errno != EINPROGRESS && errno != EAGAIN) {
		connect_failed(t, c, errno);
		return;
	}
	c->state = C_CONNECTING;
	if (conn_watch(t, c, EPOLLOUT) < 0)
		conn_fail(t, c, ERR_IO, "epoll_ctl", errno);
}

static void on_connected(struct bench_thread *t, struct bench_conn *c)
{
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		connect_failed(t, c, err);
		return;
	}
	c->state = C_OPEN;
	c->since = t->now;
	if (t->ring) {
		/* Off epoll, onto the ring: replies by multishot receive. */
		epoll_ctl(t->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		c->events = UINT32_MAX;
		if (bench_ring_attach(t, c) < 0) {
			conn_fail(t, c, ERR_IO, "io_uring", EBUSY);
			return;
		}
		conn_fill(t, c);
		return;
	}
	if (conn_watch(t, c, EPOLLIN) < 0) {
		conn_fail(t, c, ERR_IO, "epoll_ctl", errno);
		return;
	}
	conn_fill(t, c);
}

static void stream_event(struct bench_thread *t, struct bench_conn *c,
                         uint32_t ev)
{
	if (c->state == C_CONNECTING) {
		on_connected(t, c);
		return;
	}
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		conn_read(t, c);
		if (c->state != C_OPEN)
			return;
	}
	if ((ev & EPOLLOUT) && c->sent < c->queued)
		conn_write(t, c);
}

/* Timeouts and reconnects for one stream connection. */
static void stream_scan(struct bench_thread *t, struct bench_conn *c)
{
	uint64_t limit = t->cfg->timeout_ms * 1000000ull;

	if (c->state == C_IDLE && t->now >= c->retry_ns)
		stream_open(t, c);
	else if (c->state == C_CONNECTING && t->now - c->since > limit)
		connect_failed(t, c, ETIMEDOUT);
	else if (c->state == C_OPEN && c->queued > c->done &&
	         t->now - c->start[c->done % t->cfg->depth] > limit) {
		char why[SK_ERRLEN];
		sk_seterr_deadline(why, sizeof why, t->cfg->timeout_ms, "no reply");
		conn_fail(t, c, ERR_TIMEOUT, why, 0);
	}
}

/* Whether the thread is done: past the end, or the quota spent and no
 * request outstanding. */
static bool thread_scan(struct bench_thread *t)
{
	bool busy = false;

	for (unsigned i = 0; i < t->nconns; i++) {
		struct bench_conn *c = &t->conns[i];
		if (t->cfg->socktype == SOCK_DGRAM)
			dgram_scan(t, c);
		else
			stream_scan(t, c);
		busy |= c->queued > c->done;
	}
	if (t->end_ns && t->now >= t->end_ns)
		return true;
	return t->limited && t->now >= t->measure_ns && t->quota == 0 && !busy;
}

static int thread_setup(struct bench_thread *t)
{
	const struct bench_config *cfg = t->cfg;
	size_t need = t->pat->reply_len + 1;

	t->rbuf_len = need > 65536 ? need : 65536;
	t->rbuf = malloc(t->rbuf_len);
	t->conns = calloc(t->nconns, sizeof *t->conns);
	uint64_t *starts = calloc((size_t)t->nconns * cfg->depth, sizeof *starts);
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!t->rbuf || !t->conns || !starts || t->epfd < 0) {
		free(starts);
		return -1;
	}
	/* Connect mode opens a socket per request: readiness suits it; UDP
	 * stays on recvmmsg/sendmmsg. */
	if (cfg->uring && cfg->socktype == SOCK_STREAM && cfg->mode != MODE_CONNECT &&
	    bench_ring_new(t) < 0) {
		free(starts);
		return -1;
	}
	for (unsigned i = 0; i < t->nconns; i++) {
		struct bench_conn *c = &t->conns[i];
		c->fd = -1;
		c->events = UINT32_MAX;
		c->id = t->index + i * cfg->threads;
		c->start = starts + (size_t)i * cfg->depth;
	}
	return 0;
}

static void thread_teardown(struct bench_thread *t)
{
	for (unsigned i = 0; t->conns && i < t->nconns; i++) {
		if (t->conns[i].on_ring)
			bench_ring_detach(t, &t->conns[i]);
		if (t->conns[i].fd >= 0)
			close(t->conns[i].fd);
	}
	bench_ring_free(t);
	if (t->conns && t->nconns)
		free(t->conns[0].start);
	free(t->conns);
	free(t->rbuf);
	if (t->epfd >= 0)
		close(t->epfd);
	t->conns = NULL;
	t->rbuf = NULL;
}

/* See conn.h: wait on epoll at most timeout_ms, run what it reports. */
int stream_dispatch(struct bench_thread *t, int timeout_ms)
{
	struct epoll_event evs[256];
	int n = epoll_wait(t->epfd, evs, 256, timeout_ms);

	if (n < 0 && errno != EINTR) {
		bench_error(t, ERR_IO, 0, "epoll_wait: %s", strerror(errno));
		return -1;
	}
	t->now = bench_now();
	for (int i = 0; i < n; i++) {
		struct bench_conn *c = evs[i].data.ptr;
		if (t->cfg->socktype == SOCK_DGRAM)
			dgram_event(t, c, evs[i].events);
		else
			stream_event(t, c, evs[i].events);
	}
	return 0;
}

static void thread_loop(struct bench_thread *t)
{
	uint64_t next_scan = 0;

	for (;;) {
		if (!t->ring) {
			if (stream_dispatch(t, 10) < 0)
				return;
		} else if (bench_ring_turn(t, 10) < 0) {
			bench_error(t, ERR_IO, 0, "io_uring: %s", strerror(errno));
			return;
		}
		if (t->now >= next_scan) {
			if (thread_scan(t) ||
			    atomic_load_explicit(t->cfg->interrupted, memory_order_relaxed))
				return;
			next_scan = t->now + SCAN_NS;
		}
	}
}

void *bench_thread_run(void *arg)
{
	struct bench_thread *t = arg;

	t->epfd = -1;
	if (thread_setup(t) < 0) {
		t->setup_errno = errno ? errno : ENOMEM;
	} else {
		t->now = bench_now();
		for (unsigned i = 0; i < t->nconns; i++) {
			if (t->cfg->socktype == SOCK_DGRAM)
				dgram_open(t, &t->conns[i]);
			else
				stream_open(t, &t->conns[i]);
		}
		thread_loop(t);
	}
	thread_teardown(t);
	atomic_store(&t->finished, true);
	return NULL;
}
