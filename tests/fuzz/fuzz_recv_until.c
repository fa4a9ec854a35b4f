/* fuzz_recv_until.c — libFuzzer target for the buffered sk_recv_until
 * scanner.  The input chooses a delimiter (1-4 bytes), a record cap and
 * a segment size; the payload then trickles through a socketpair in
 * segments, the reader asked for records after each one (timeout 0, so
 * "not yet" resumes the scan where it stopped).  Every record must be
 * the next bytes of the payload, end with the delimiter and contain no
 * earlier one; at the end nothing may be lost.
 *
 * fuzz-sources: lib/io.c lib/net.c lib/loop.c lib/loop_epoll.c
 *   lib/loop_uring.c lib/error.c lib/endpoint.c lib/parse.c */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockit/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

static void feed(struct run *t, int fds[2], size_t seg)
{
	size_t written = 0;
	ssize_t rc = -1;

	while (written < t->len) {
		size_t n = t->len - written < seg ? t->len - written : seg;
		if (write(fds[1], t->payload + written, n) != (ssize_t)n)
			abort();
		written += n;
		rc = drain(t, 0);
		if (rc < 0 && errno != ETIMEDOUT) {
			check_rest(t, rc, written);
			return;
		}
	}
	shutdown(fds[1], SHUT_WR);
	rc = drain(t, 0);
	if (rc < 0 && errno == ETIMEDOUT)
		abort(); /* EOF was there: the reader must see it */
	check_rest(t, rc, written);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run t = {0};
	int fds[2];

	if (size < 7 || size > 8192)
		return 0;
	t.dlen = 1 + data[0] % 4;
	t.delim = (const char *)data + 1;
	t.max = 1 + ((size_t)data[5] << 2);
	size_t seg = 1 + data[6] % 97;
	t.payload = data + 7;
	t.len = size - 7;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		abort();
	sk_reader_init(&t.r, fds[0]);
	feed(&t, fds, seg);
	sk_reader_free(&t.r);
	close(fds[0]);
	close(fds[1]);
	return 0;
}
