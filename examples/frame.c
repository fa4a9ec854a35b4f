/* frame.c — send_all, recv_all and a buffered recv_until (see frame.h).
 *
 * Where the tutorial's utils.py goes wrong:
 *  - its recv_all names a variable that does not exist in its error path,
 *    so when the peer closes early it dies with NameError instead of
 *    raising the EOFError it meant to;
 *  - its recv_until calls sock.recv(1) for every byte: one system call
 *    per byte, thousands of kernel round trips for a few kilobytes, and no
 *    limit, so a peer that never sends the delimiter makes the message
 *    grow without bound.  We read up to 4 KiB per recv(), look for the
 *    delimiter in memory, keep what follows it for the next call, and
 *    refuse messages longer than the caller's buffer. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "frame.h"

void reader_init(struct reader *r, int fd)
{
	r->fd = fd;
	r->start = r->end = 0;
}

int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n, len -= (size_t)n;
	}
	return 0;
}

/* Refill the empty buffer with one recv(): >0 bytes, 0 at EOF, -1 error. */
static ssize_t fill(struct reader *r)
{
	ssize_t n;
	do
		n = recv(r->fd, r->buf, sizeof r->buf, 0);
	while (n < 0 && errno == EINTR);
	r->start = 0;
	r->end = n > 0 ? (size_t)n : 0;
	return n;
}

/* Move up to len buffered bytes to out; returns how many. */
static size_t take(struct reader *r, char *out, size_t len)
{
	size_t n = r->end - r->start < len ? r->end - r->start : len;
	memcpy(out, r->buf + r->start, n);
	r->start += n;
	return n;
}

ssize_t recv_all(struct reader *r, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	while (got < len) {
		if (r->start == r->end && (n = fill(r)) <= 0) {
			if (n < 0)
				return -1;
			break;                      /* EOF: a short count */
		}
		got += take(r, (char *)buf + got, len - got);
	}
	return (ssize_t)got;
}

ssize_t recv_until(struct reader *r, char delim, char *out, size_t cap)
{
	size_t got = 0;
	for (;;) {
		if (r->start == r->end) {
			ssize_t n = fill(r);
			if (n < 0)
				return -1;
			if (n == 0 && got == 0)
				return 0;           /* closed between messages */
			if (n == 0) {
				errno = EPROTO;     /* closed mid-message */
				return -1;
			}
		}
		/* Scan only the new bytes: memchr on what is buffered. */
		char *hit = memchr(r->buf + r->start, delim, r->end - r->start);
		size_t want = hit ? (size_t)(hit - (r->buf + r->start)) + 1 : r->end - r->start;
		if (want > cap - got) {
			errno = EMSGSIZE;
			return -1;
		}
		got += take(r, out + got, want);
		if (hit)
			return (ssize_t)got;
	}
}
