/* dgram.c — the load generator's UDP half: datagram ping-pong on
 * connected sockets, each reply verified, each request that gets no
 * reply within --timeout counted as lost. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench/conn.h"
#include "sockit/error.h"
#include "sockit/parse.h"

#define ERROR_PAUSE_NS (10 * 1000000ull)  /* after a send/recv error */
#define RECV_BUDGET    8                  /* datagrams per event */
#define LATE_WINDOW    8                  /* earlier requests a reply may answer */

/* Send the outstanding request; on EAGAIN wait for EPOLLOUT. */
static void dgram_send(struct bench_thread *t, struct bench_conn *c)
{
	struct iovec iov[3];
	int n = conn_request_iov(t->pat, c, c->sent, 0, iov);
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	ssize_t w;

	do
		w = sendmsg(c->fd, &msg, 0);
	while (w < 0 && errno == EINTR);
	if (w >= 0) {
		c->sent++;
		conn_watch(t, c, EPOLLIN);
		return;
	}
	if (errno == EAGAIN || errno == ENOBUFS) {
		conn_watch(t, c, EPOLLIN | EPOLLOUT);
		return;
	}
	bench_error(t, ERR_IO, 1, "connection %u: send: %s", c->id, strerror(errno));
	c->sent = c->done = c->queued;
	c->retry_ns = t->now + ERROR_PAUSE_NS;
}

/* Start the next request when none is outstanding and the pause after
 * an error has passed. */
static void dgram_fill(struct bench_thread *t, struct bench_conn *c)
{
	if (c->queued != c->done || t->now < c->retry_ns || !bench_may_start(t))
		return;
	c->start[0] = t->now;
	c->queued++;
	dgram_send(t, c);
}

void dgram_open(struct bench_thread *t, struct bench_conn *c)
{
	const struct bench_config *cfg = t->cfg;

	c->fd = socket(cfg->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 ||
	    connect(c->fd, (const struct sockaddr *)&cfg->addr, cfg->addrlen) < 0 ||
	    conn_watch(t, c, EPOLLIN) < 0) {
		bench_error(t, ERR_CONNECT, 0, "connection %u: udp socket: %s",
		            c->id, strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return;
	}
	c->state = C_OPEN;
	t->st.connects++;
	dgram_fill(t, c);
}

/* Whether the datagram is the reply to an earlier request that already
 * timed out: late, not corrupt. */
static bool is_late(const struct bench_thread *t, const struct bench_conn *c,
                    const char *buf, size_t len)
{
	size_t bad;

	if (len != t->pat->reply_len)
		return false;
	for (uint64_t k = 1; k <= LATE_WINDOW && k <= c->done; k++)
		if (conn_reply_matches(t->pat, c->id, c->done - k, 0, buf, len, &bad))
			return true;
	return false;
}

static void dgram_reply(struct bench_thread *t, struct bench_conn *c,
                        const char *buf, size_t len)
{
	const struct pattern *p = t->pat;
	size_t bad = 0;

	if (c->queued > c->done && len == p->reply_len &&
	    conn_reply_matches(p, c->id, c->done, 0, buf, len, &bad)) {
		bench_complete(t, c->start[0], p->reply_len, p->req_len);
		c->done++;
		return;
	}
	if (is_late(t, c, buf, len)) {
		t->st.late++;
		return;
	}
	if (len != p->reply_len)
		bench_error(t, ERR_MISMATCH, c->queued - c->done,
		            "connection %u: reply of %zu bytes, expected %zu",
		            c->id, len, p->reply_len);
	else if (c->queued == c->done)
		bench_error(t, ERR_UNEXPECTED, 0,
		            "connection %u: datagram with no request outstanding", c->id);
	else
		bench_error(t, ERR_MISMATCH, 1, "connection %u: reply %llu differs at byte %zu",
		            c->id, (unsigned long long)c->done, bad);
	c->sent = c->done = c->queued;
}

void dgram_event(struct bench_thread *t, struct bench_conn *c, uint32_t ev)
{
	if ((ev & EPOLLOUT) && c->sent < c->queued)
		dgram_send(t, c);
	for (int i = 0; i < RECV_BUDGET && (ev & (EPOLLIN | EPOLLERR)); i++) {
		ssize_t r = recv(c->fd, t->rbuf, t->rbuf_len, MSG_TRUNC);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r < 0) {
			/* ECONNREFUSED: the ICMP answer to a datagram nobody got. */
			bench_error(t, ERR_IO, c->queued - c->done, "connection %u: recv: %s",
			            c->id, strerror(errno));
			c->sent = c->done = c->queued;
			c->retry_ns = t->now + ERROR_PAUSE_NS;
			break;
		}
		t->now = bench_now();
		dgram_reply(t, c, t->rbuf, (size_t)r);
	}
	dgram_fill(t, c);
}

void dgram_scan(struct bench_thread *t, struct bench_conn *c)
{
	if (c->state != C_OPEN)
		return;
	if (c->queued > c->done &&
	    t->now - c->start[0] > t->cfg->timeout_ms * 1000000ull) {
		char d[32];
		bench_error(t, ERR_TIMEOUT, 1, "connection %u: request %llu lost "
		            "(no reply: " SK_DEADLINE_TEXT ")", c->id,
		            (unsigned long long)c->done,
		            sk_format_duration(t->cfg->timeout_ms * 1000000ull, d, sizeof d));
		c->sent = c->done = c->queued;
	}
	dgram_fill(t, c);
}
