/* io.c — send_all, recv_exact and the buffered recv_until. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockit/io.h"
#include "sockit/net.h"

/* Wait for fd after EAGAIN; -1 with ETIMEDOUT when nothing came in time. */
static int wait_ready(int fd, short events, int timeout_ms)
{
	int n = sk_wait_fd(fd, events, timeout_ms);

	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

/* With a timeout, never block inside the call: EAGAIN leads to a bounded
 * poll, even on a blocking socket. */
static int dontwait(int timeout_ms)
{
	return timeout_ms >= 0 ? MSG_DONTWAIT : 0;
}

ssize_t sk_send_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, p + done, len - done, MSG_NOSIGNAL | dontwait(timeout_ms));
		if (n > 0) {
			done += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_ready(fd, POLLOUT, timeout_ms) < 0)
				return -1;
		} else if (n < 0 && errno == ENOTSOCK) {
			/* Also works on pipes and files (stdout). */
			n = write(fd, p + done, len - done);
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				return -1;
			if (n < 0 && errno == EAGAIN && wait_ready(fd, POLLOUT, timeout_ms) < 0)
				return -1;
			if (n > 0)
				done += (size_t)n;
		} else {
			return -1;
		}
	}
	return (ssize_t)done;
}

/* One read of up to len bytes, waiting on EAGAIN: >0 bytes, 0 EOF, -1. */
static ssize_t read_some(int fd, void *buf, size_t len, int timeout_ms)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, dontwait(timeout_ms));
		if (n < 0 && errno == ENOTSOCK)
			n = read(fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (wait_ready(fd, POLLIN, timeout_ms) < 0)
			return -1;
	}
}

ssize_t sk_recv_exact(int fd, void *buf, size_t len, int timeout_ms)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read_some(fd, p + got, len - got, timeout_ms);
		if (n < 0)
			return -1;
		if (n == 0)
			break;      /* EOF: the short count tells the caller */
		got += (size_t)n;
	}
	return (ssize_t)got;
}

void sk_reader_init(struct sk_reader *r, int fd)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
}

void sk_reader_free(struct sk_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->start = r->end = r->scanned = 0;
}

size_t sk_reader_pending(const struct sk_reader *r, const char **data)
{
	if (data)
		*data = r->buf ? r->buf + r->start : NULL;
	return r->end - r->start;
}

/* Find delim in the pending bytes, resuming where the last scan stopped;
 * returns the record length or 0. */
static size_t scan_for(struct sk_reader *r, const char *delim, size_t dlen)
{
	const char *base = r->buf + r->start;
	size_t len = r->end - r->start;
	size_t from = r->scanned;

	while (from + dlen <= len) {
		const char *hit = memchr(base + from, delim[0], len - from - dlen + 1);
		if (!hit)
			break;
		from = (size_t)(hit - base);
		if (memcmp(hit, delim, dlen) == 0)
			return from + dlen;
		from++;
	}
	/* The last dlen-1 bytes may start a delimiter still arriving. */
	r->scanned = len >= dlen ? len - dlen + 1 : 0;
	return 0;
}

/* Make room to read more, within max pending bytes; -1 EMSGSIZE/ENOMEM. */
static int make_room(struct sk_reader *r, size_t max)
{
	size_t pending = r->end - r->start;

	if (pending >= max) {
		errno = EMSGSIZE;
		return -1;
	}
	if (r->start > 0 && r->end == r->cap) {
		memmove(r->buf, r->buf + r->start, pending);
		r->start = 0;
		r->end = pending;
	}
	if (r->end < r->cap)
		return 0;
	size_t cap = r->cap ? r->cap * 2 : 4096;
	if (cap > max + 4096)
		cap = max + 4096;
	char *nb = realloc(r->buf, cap);
	if (!nb)
		return -1;
	r->buf = nb;
	r->cap = cap;
	return 0;
}

ssize_t sk_recv_until(struct sk_reader *r, const void *delim, size_t dlen,
                      size_t max, const char **rec, int timeout_ms)
{
	for (;;) {
		size_t n = r->buf ? scan_for(r, delim, dlen) : 0;
		if (n > 0) {
			*rec = r->buf + r->start;
			r->start += n;
			r->scanned = 0;
			return (ssize_t)n;
		}
		if (make_room(r, max) < 0)
			return -1;
		ssize_t got = read_some(r->fd, r->buf + r->end, r->cap - r->end, timeout_ms);
		if (got < 0)
			return -1;
		if (got == 0) {
			if (r->end == r->start)
				return 0;
			errno = EPROTO;
			return -1;
		}
		r->end += (size_t)got;
	}
}
