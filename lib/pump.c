/* pump.c — the two-way stdin <-> socket <-> stdout mover. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockit/io.h"
#include "sockit/loop.h"
#include "sockit/pump.h"

#define CHUNK 65536

void sk_pump_init(struct sk_pump *p, int in_fd, int sock, int out_fd)
{
	static const struct sk_pump_ops none;

	*p = (struct sk_pump){.in_fd = in_fd,
	                      .sock = sock,
	                      .out_fd = out_fd,
	                      .window = 256 * 1024,
	                      .idle_ms = -1,
	                      .deadline_ms = -1,
	                      .ops = &none};
	p->queue = (struct sk_buf)SK_BUF_INIT;
	p->in_eof = in_fd < 0;
}

int sk_pump_send(struct sk_pump *p, const void *data, size_t n)
{
	if (p->send_failed)
		return 0; /* the peer is gone; what it would get is moot */
	return sk_buf_append(&p->queue, data, n);
}

void sk_pump_free(struct sk_pump *p)
{
	sk_buf_free(&p->queue);
}

static int fail(struct sk_pump *p, const char *step)
{
	p->failed = step;
	return -1;
}

static bool is_done(struct sk_pump *p)
{
	return p->ops->done ? p->ops->done(p) : p->sock_eof;
}

static bool want_input(struct sk_pump *p)
{
	return !p->in_eof && sk_buf_len(&p->queue) < p->window &&
	       (!p->ops->want_input || p->ops->want_input(p));
}

static bool awaiting(struct sk_pump *p)
{
	return !p->ops->awaiting || p->ops->awaiting(p);
}

/* Read one chunk of input and hand it on (EOF too). */
static int read_input(struct sk_pump *p)
{
	char buf[CHUNK];
	ssize_t n = read(p->in_fd, buf, sizeof buf);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : fail(p, "read input");
	if (n == 0)
		p->in_eof = true;
	if (p->ops->input)
		return p->ops->input(p, buf, (size_t)n) < 0 ? fail(p, "read input") : 0;
	return n > 0 && sk_pump_send(p, buf, (size_t)n) < 0 ? fail(p, "read input") : 0;
}

/* Send what the socket takes now, without blocking. */
static int write_socket(struct sk_pump *p)
{
	ssize_t n = send(p->sock, sk_buf_head(&p->queue), sk_buf_len(&p->queue),
	                 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n >= 0) {
		sk_buf_consume(&p->queue, (size_t)n);
		p->sent += (uint64_t)n;
		return 0;
	}
	if (errno == EINTR || errno == EAGAIN)
		return 0;
	if (errno == EPIPE || errno == ECONNRESET) {
		sk_buf_consume(&p->queue, sk_buf_len(&p->queue));
		p->send_failed = p->in_eof = true;
		return 0;
	}
	return fail(p, "send");
}

/* Receive what has arrived and hand it on (EOF too). */
static int read_socket(struct sk_pump *p)
{
	char buf[CHUNK];
	ssize_t n = recv(p->sock, buf, sizeof buf, MSG_DONTWAIT);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : fail(p, "receive");
	if (n == 0)
		p->sock_eof = true;
	p->received += (uint64_t)n;
	if (p->ops->recv)
		return p->ops->recv(p, buf, (size_t)n) < 0 ? fail(p, "receive") : 0;
	if (n > 0 && p->out_fd >= 0 && sk_send_all(p->out_fd, buf, (size_t)n, -1) < 0)
		return fail(p, "write output");
	return 0;
}

/* Shut our sending side once nothing more will be sent. */
static void maybe_half_close(struct sk_pump *p)
{
	if (p->half_close && !p->shut && p->in_eof && sk_buf_len(&p->queue) == 0) {
		shutdown(p->sock, SHUT_WR);
		p->shut = true;
	}
}

/* One poll round; 0 to go on, -1 to stop. */
static int step(struct sk_pump *p)
{
	bool in = want_input(p), out = sk_buf_len(&p->queue) > 0;
	/* A peer that shut only its sending side still takes our bytes. */
	struct pollfd pf[2] = {
	    {.fd = p->sock_eof && !out ? -1 : p->sock,
	     .events = (short)((p->sock_eof ? 0 : POLLIN) | (out ? POLLOUT : 0))},
	    {.fd = in ? p->in_fd : -1, .events = POLLIN},
	};

	if (pf[0].fd < 0 && !in) {
		errno = EPIPE; /* nothing can move any more, yet not done */
		return fail(p, "closed");
	}
	bool by_deadline;
	int n =
	    poll(pf, 2,
	         sk_wait_ms(p->deadline_ns, awaiting(p) ? p->idle_ms : -1, &by_deadline));
	if (n < 0 && errno == EINTR)
		return p->stop && *p->stop ? fail(p, "wait") : 0;
	if (n < 0)
		return fail(p, "wait");
	if (n == 0) {
		errno = ETIMEDOUT;
		return fail(p, by_deadline ? "deadline" : "wait");
	}
	if (pf[1].revents && read_input(p) < 0)
		return -1;
	if ((pf[0].revents & POLLOUT) && write_socket(p) < 0)
		return -1;
	if (!p->sock_eof && (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
	    read_socket(p) < 0)
		return -1;
	return 0;
}

int sk_pump_run(struct sk_pump *p)
{
	if (p->deadline_ms >= 0)
		p->deadline_ns = sk_now_ns() + (uint64_t)p->deadline_ms * 1000000ULL;
	for (;;) {
		maybe_half_close(p);
		if (is_done(p))
			return 0;
		if (step(p) < 0)
			return -1;
	}
}
