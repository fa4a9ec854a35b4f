/* io.h — framing on blocking-style sockets: send_all, recv_exact,
 * recv_until.  Blocking or non-blocking fds alike: with a timeout (>= 0)
 * each call tries the socket without blocking and, on EAGAIN, polls for
 * at most timeout_ms per wait; it never spins.  Pipes and files work too
 * (without timeouts when they are blocking). */
#ifndef SOCKIT_IO_H
#define SOCKIT_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Send all len bytes (git's write_in_full, nc's atomicio).  Retries EINTR
 * and short writes; on EAGAIN waits up to timeout_ms (-1 forever) for the
 * socket to drain.  Returns len, or -1 with errno (ETIMEDOUT, EPIPE...).
 * MSG_NOSIGNAL: a closed peer is EPIPE, never SIGPIPE. */
ssize_t sk_send_all(int fd, const void *buf, size_t len, int timeout_ms);

/* Receive exactly len bytes (the tutorial's recv_all, done right).
 * Returns len; at EOF mid-message, the short count received so far (0 if
 * EOF came first), so callers compare with len; -1 with errno on error,
 * ETIMEDOUT when timeout_ms (per wait) passes with nothing new. */
ssize_t sk_recv_exact(int fd, void *buf, size_t len, int timeout_ms);

/* A buffered reader for delimiter-framed input.  It reads in large
 * chunks, keeps what follows the delimiter for the next call, and
 * remembers how far it has already scanned (picohttpparser's last_len),
 * so input trickling in one byte per segment costs O(n) in total. */
struct sk_reader {
	int fd;
	char *buf;
	size_t cap;      /* allocated size: grows up to the caller's max */
	size_t start;    /* first unconsumed byte */
	size_t end;      /* one past the last byte read */
	size_t scanned;  /* bytes after start known not to begin a delimiter */
};

/* Set up r on fd; no allocation until the first read. */
void sk_reader_init(struct sk_reader *r, int fd);

/* Free r's buffer (the fd is the caller's). */
void sk_reader_free(struct sk_reader *r);

/* Return the next record ending with delim (dlen bytes): *rec points to
 * it inside r's buffer, valid until the next call, and its length
 * including the delimiter is returned.  0 at a clean EOF (no bytes
 * pending); -1 with errno: EMSGSIZE when max bytes arrive without a
 * delimiter, EPROTO at EOF with a partial record (still available via
 * sk_reader_pending), ETIMEDOUT, or the recv error. */
ssize_t sk_recv_until(struct sk_reader *r, const void *delim, size_t dlen,
                      size_t max, const char **rec, int timeout_ms);

/* Bytes buffered and not yet returned as a record. */
size_t sk_reader_pending(const struct sk_reader *r, const char **data);

#endif
