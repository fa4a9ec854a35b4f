/* pump.c — move a byte stream from one end to another: splice() through
 * a pipe when both ends are plain fds, a large buffer otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcat/netcat.h"

#define PIPE_SIZE (1 << 20)     /* splice pipe: 1 MiB when the kernel allows */
#define BUF_SIZE (256 << 10)    /* fallback buffer */
#define SPLICE_CHUNK (1 << 20)

int nc_pump_init(struct nc_pump *p, struct nc_end *src, struct nc_end *dst,
                 bool allow_splice)
{
	memset(p, 0, sizeof *p);
	p->src = src;
	p->dst = dst;
	p->pipe[0] = p->pipe[1] = -1;
	p->wait_fd = src->rfd;
	p->wait_events = POLLIN;
	p->hex_dir = '>';
	if (allow_splice && !src->tls && !dst->tls &&
	    pipe2(p->pipe, O_NONBLOCK | O_CLOEXEC) == 0)
		p->use_splice = true;
	return 0;
}

void nc_pump_grow_pipe(struct nc_pump *p)
{
	/* A bigger pipe means fewer wakeups; the default 64 KiB still works. */
	if (p->use_splice)
		(void)fcntl(p->pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
}

void nc_pump_free(struct nc_pump *p)
{
	if (p->pipe[0] >= 0)
		close(p->pipe[0]);
	if (p->pipe[1] >= 0)
		close(p->pipe[1]);
	p->pipe[0] = p->pipe[1] = -1;
	free(p->buf);
	p->buf = NULL;
}

void nc_end_shutdown(struct nc_end *e)
{
	if (e->wr_closed)
		return;
	e->wr_closed = true;
	if (e->tls)
		nc_tls_shutdown(e->tls);
	if (e->is_sock)
		shutdown(e->wfd, SHUT_WR);
}

/* Give up splicing: the bytes already in the pipe move to the buffer, so
 * none is lost or reordered.  Returns 0 or -1 (ENOMEM). */
static int to_buffer_mode(struct nc_pump *p)
{
	p->buf = malloc(BUF_SIZE);
	if (!p->buf)
		return -1;
	p->cap = BUF_SIZE;
	p->off = p->len = 0;
	while (p->inpipe > 0) {
		ssize_t n = read(p->pipe[0], p->buf + p->len, p->cap - p->len);
		if (n <= 0)
			break;
		p->len += (size_t)n;
		p->inpipe -= (size_t)n;
	}
	close(p->pipe[0]);
	close(p->pipe[1]);
	p->pipe[0] = p->pipe[1] = -1;
	p->use_splice = false;
	return 0;
}

static int fail(struct nc_pump *p, const char *op)
{
	p->err = errno;
	p->err_op = op;
	return -1;
}

static const char *write_op(const struct nc_pump *p)
{
	return p->dst->is_sock ? "send" : "write";
}

static const char *read_op(const struct nc_pump *p)
{
	return p->src->is_sock ? "recv" : "read";
}

/* Read once from src into the buffer.  >0 bytes, 0 EOF, -1 errno. */
static ssize_t end_read(struct nc_pump *p, char *buf, size_t n)
{
	ssize_t r;

	if (p->src->tls)
		return nc_tls_read(p->src->tls, buf, n, &p->wait_events);
	do
		r = read(p->src->rfd, buf, n);
	while (r < 0 && errno == EINTR);
	p->wait_events = POLLIN;
	return r;
}

static ssize_t end_write(struct nc_pump *p, const char *buf, size_t n)
{
	ssize_t r;

	if (p->dst->tls)
		return nc_tls_write(p->dst->tls, buf, n, &p->wait_events);
	do
		r = p->dst->is_sock ? send(p->dst->wfd, buf, n, MSG_NOSIGNAL)
		                    : write(p->dst->wfd, buf, n);
	while (r < 0 && errno == EINTR);
	p->wait_events = POLLOUT;
	return r;
}

/* Fill the buffer from src (through the filter, which may double it). */
static ssize_t buffer_fill(struct nc_pump *p)
{
	size_t room = p->filter ? p->cap / 2 : p->cap;
	ssize_t n;

	p->off = p->len = 0;
	if (!p->filter) {
		n = end_read(p, p->buf, room);
		if (n > 0)
			p->len = (size_t)n;
		return n;
	}
	char *raw = p->buf + p->cap / 2;
	n = end_read(p, raw, p->cap / 4 < NC_FILTER_MAX_IN ? p->cap / 4 : NC_FILTER_MAX_IN);
	if (n > 0)
		p->len = p->filter(p->filter_ctx, raw, (size_t)n, p->buf);
	return n;
}

/* One step of buffer mode.  1 progress, 0 would block, -1 error. */
static int buffer_step(struct nc_pump *p)
{
	if (p->len > p->off) {
		ssize_t n = end_write(p, p->buf + p->off, p->len - p->off);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				p->wait_fd = p->dst->wfd;
				return 0;
			}
			return fail(p, write_op(p));
		}
		if (p->hex)
			nc_hexdump_write(p->hex, p->hex_dir, p->buf + p->off, (size_t)n);
		p->off += (size_t)n;
		p->bytes += (uint64_t)n;
		return 1;
	}
	if (p->filter_full && p->filter_full(p->filter_ctx)) {
		p->held = true;
		return 0;
	}
	ssize_t n = buffer_fill(p);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			p->wait_fd = p->src->rfd;
			return 0;
		}
		return fail(p, read_op(p));
	}
	if (n == 0)
		p->eof = true;
	return 1;
}

/* One step of splice mode.  1 progress, 0 would block, -1 error; falls
 * back to buffer mode when an end cannot splice (tty, O_APPEND file). */
static int splice_step(struct nc_pump *p)
{
	ssize_t n;

	if (p->inpipe > 0) {
		n = splice(p->pipe[0], NULL, p->dst->wfd, NULL, p->inpipe,
		           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				p->wait_fd = p->dst->wfd;
				p->wait_events = POLLOUT;
				return 0;
			}
			if (errno == EINVAL)
				return to_buffer_mode(p) < 0 ? fail(p, "malloc") : 1;
			return fail(p, write_op(p));
		}
		p->inpipe -= (size_t)n;
		p->bytes += (uint64_t)n;
		return 1;
	}
	n = splice(p->src->rfd, NULL, p->pipe[1], NULL, SPLICE_CHUNK,
	           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* Our pipe is empty here, so EAGAIN means src has nothing. */
			p->wait_fd = p->src->rfd;
			p->wait_events = POLLIN;
			return 0;
		}
		if (errno == EINVAL)
			return to_buffer_mode(p) < 0 ? fail(p, "malloc") : 1;
		return fail(p, read_op(p));
	}
	if (n == 0)
		p->eof = true;
	p->inpipe += (size_t)n;
	return 1;
}

static bool pending(const struct nc_pump *p)
{
	return p->use_splice ? p->inpipe > 0 : p->len > p->off;
}

int nc_pump_run(struct nc_pump *p, size_t budget)
{
	uint64_t start = p->bytes;

	if (p->done)
		return 0;
	p->held = false;
	p->again = false;
	if (!p->use_splice && !p->buf) {
		p->buf = malloc(BUF_SIZE);
		if (!p->buf)
			return fail(p, "malloc");
		p->cap = BUF_SIZE;
	}
	for (;;) {
		if (p->eof && !pending(p)) {
			if (!p->no_shutdown)
				nc_end_shutdown(p->dst);
			p->done = true;
			return 0;
		}
		if (p->bytes - start >= budget) {
			/* Come back soon: ask for the side we would use next. */
			p->wait_fd = pending(p) ? p->dst->wfd : p->src->rfd;
			p->wait_events = pending(p) ? POLLOUT : POLLIN;
			/* A TLS source may hold bytes (decrypted, or records read
			 * ahead) that poll cannot see: the owner must not wait. */
			p->again = p->src->tls && !pending(p);
			return 0;
		}
		int r = p->use_splice ? splice_step(p) : buffer_step(p);
		if (r <= 0)
			return r;
	}
}
