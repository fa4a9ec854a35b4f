/* frame.h — framing helpers for the Caesar example: the tutorial's
 * utils.py (send_all, recv_all, recv_until), done right.
 *
 * TCP delivers a stream of bytes, not messages: one recv() may return part
 * of a message, or the end of one and the start of the next.  A protocol
 * must therefore say where messages end (here: a '.'), and the reader must
 * keep any bytes it read past that point for the next call.  That is what
 * struct reader is for: one per connection, reused for every message. */
#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>
#include <sys/types.h>

/* Bytes read from fd but not yet handed to the caller live in
 * buf[start..end). */
struct reader {
	int fd;
	size_t start, end;
	char buf[4096];
};

/* Start reading from fd with an empty buffer. */
void reader_init(struct reader *r, int fd);

/* Send all len bytes, retrying short writes and EINTR.  Returns 0, or -1
 * with errno set (EPIPE if the peer has gone: SIGPIPE is suppressed). */
int send_all(int fd, const void *buf, size_t len);

/* Read exactly len bytes (buffered bytes first).  Returns len, a smaller
 * count if the peer closed first, or -1 with errno set. */
ssize_t recv_all(struct reader *r, void *buf, size_t len);

/* Read one message ending with delim into out (at most cap bytes,
 * delimiter included) and return its length.  Returns 0 if the peer
 * closed cleanly between messages, or -1 with errno set: EMSGSIZE if no
 * delimiter came within cap bytes, EPROTO if the peer closed in the
 * middle of a message, or the error of the failing recv().  After an
 * error the reader is in the middle of a message: close the connection. */
ssize_t recv_until(struct reader *r, char delim, char *out, size_t cap);

#endif
