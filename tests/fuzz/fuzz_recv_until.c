/* fuzz_recv_until.c — libFuzzer target for the buffered sk_recv_until
 * scanner.  The input chooses a delimiter (1-4 bytes), a record cap and
 * a segment size; the payload then trickles in segments through an
 * in-memory stream, the reader asked for records after each one (timeout
 * 0, so "not yet" resumes the scan where it stopped).  Every record must
 * be the next bytes of the payload, end with the delimiter and contain no
 * earlier one; at the end nothing may be lost.
 *
 * The stream is a descriptor number reserved on /dev/null whose recv and
 * poll this file serves itself (an executable's definitions take
 * precedence over libc's, and the sanitizers' interceptors are weak): a
 * socketpair cost four system calls per segment, up to 32 000 per input,
 * which held the target to ~9 k exec/s.  Every other descriptor goes to
 * the kernel unchanged.
 *
 * fuzz-sources: lib/io.c lib/net.c lib/loop.c lib/loop_epoll.c
 *   lib/loop_uring.c lib/turn_stats.c lib/error.c lib/endpoint.c lib/parse.c */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sockit/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The in-memory stream: bytes [pos, avail) of data are readable. */
static struct {
	int fd;
	const uint8_t *data;
	size_t pos, avail;
	bool eof;
} fake = { .fd = -1 };

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	if (fd != fake.fd || fd < 0)
		return syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);
	size_t n = fake.avail - fake.pos;
	if (n == 0 && !fake.eof) {
		if (!(flags & MSG_DONTWAIT))
			abort();    /* would block for ever */
		errno = EAGAIN;
		return -1;
	}
	n = n < len ? n : len;
	memcpy(buf, fake.data + fake.pos, n);
	fake.pos += n;
	return (ssize_t)n;
}

int poll(struct pollfd *p, nfds_t n, int timeout_ms)
{
	if (n != 1 || p->fd != fake.fd || p->fd < 0) {
		struct timespec ts = { timeout_ms / 1000, timeout_ms % 1000 * 1000000L };
		return (int)syscall(SYS_ppoll, p, n, timeout_ms < 0 ? NULL : &ts, NULL, 0);
	}
	bool ready = fake.pos < fake.avail || fake.eof;
	if (!ready && timeout_ms != 0)
		abort();        /* the target only ever polls with timeout 0 */
	p->revents = ready ? (short)(p->events & POLLIN) : 0;
	return ready ? 1 : 0;
}

struct run {
	const char *delim;
	size_t dlen, max;
	const uint8_t *payload;
	size_t len, off; /* bytes of payload returned as records */
	struct sk_reader r;
};

/* Every record returned must fit in max bytes (io.h promises it). */
static const bool strict_max = true;

static bool has_delim(const struct run *t, const char *s, size_t n)
{
	return n >= t->dlen && memmem(s, n, t->delim, t->dlen) != NULL;
}

/* Take every record the reader has; returns the last sk_recv_until rc. */
static ssize_t drain(struct run *t, int timeout_ms)
{
	const char *rec;
	ssize_t n;

	while ((n = sk_recv_until(&t->r, t->delim, t->dlen, t->max, &rec, timeout_ms)) >
	       0) {
		size_t k = (size_t)n;
		if (k < t->dlen || t->off + k > t->len ||
		    memcmp(rec, t->payload + t->off, k) != 0 ||
		    memcmp(rec + k - t->dlen, t->delim, t->dlen) != 0 ||
		    has_delim(t, rec, k - 1))
			abort();
		if (strict_max && k > t->max && t->max >= t->dlen)
			abort();
		t->off += k;
	}
	return n;
}

/* At the end: what was not returned is still pending, byte for byte. */
static void check_rest(struct run *t, ssize_t rc, size_t written)
{
	const char *rest;
	size_t pending = sk_reader_pending(&t->r, &rest);

	if (t->off + pending != written ||
	    (pending && memcmp(rest, t->payload + t->off, pending) != 0))
		abort();
	if (rc == 0 && pending != 0)
		abort();
	/* EMSGSIZE: max bytes are pending and no record ends within them. */
	if (rc < 0 && errno == EMSGSIZE &&
	    (pending < t->max || has_delim(t, rest, t->max)))
		abort();
	if (rc < 0 && errno == EPROTO && (pending == 0 || has_delim(t, rest, pending)))
		abort();
}

static void feed(struct run *t, size_t seg)
{
	ssize_t rc = -1;

	while (fake.avail < t->len) {
		size_t n = t->len - fake.avail < seg ? t->len - fake.avail : seg;
		fake.avail += n;
		rc = drain(t, 0);
		if (rc < 0 && errno != ETIMEDOUT) {
			check_rest(t, rc, fake.avail);
			return;
		}
	}
	fake.eof = true;
	rc = drain(t, 0);
	if (rc < 0 && errno == ETIMEDOUT)
		abort(); /* EOF was there: the reader must see it */
	check_rest(t, rc, fake.avail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run t = {0};

	if (size < 7 || size > 8192)
		return 0;
	if (fake.fd < 0 && (fake.fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		abort();
	t.dlen = 1 + data[0] % 4;
	t.delim = (const char *)data + 1;
	t.max = 1 + ((size_t)data[5] << 2);
	size_t seg = 1 + data[6] % 97;
	t.payload = data + 7;
	t.len = size - 7;
	fake.data = t.payload;
	fake.pos = fake.avail = 0;
	fake.eof = false;
	sk_reader_init(&t.r, fake.fd);
	feed(&t, seg);
	sk_reader_free(&t.r);
	return 0;
}
