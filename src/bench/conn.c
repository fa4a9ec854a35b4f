/* conn.c — what one load-generator connection does in every mode: its
 * requests as iovecs, its replies checked byte by byte, its epoll mask.
 * Shared by the stream (client.c) and datagram (dgram.c) halves. */
#include <string.h>
#include <sys/epoll.h>

#include "bench/conn.h"

/* Append the part of p (len bytes) after *skip to iov[n]; returns the new
 * count and takes what it skipped off *skip. */
static int add_part(struct iovec *iov, int n, const char *p, size_t len,
                    size_t *skip)
{
	if (*skip >= len) {
		*skip -= len;
		return n;
	}
	iov[n].iov_base = (char *)p + *skip;
	iov[n].iov_len = len - *skip;
	*skip = 0;
	return n + 1;
}

/* See conn.h. */
int conn_request_iov(const struct pattern *p, const struct bench_conn *c,
                     uint64_t seq, size_t skip, struct iovec *iov)
{
	size_t off = pattern_offset(c->id, seq);
	int n = add_part(iov, 0, p->prefix, p->prefix_len, &skip);

	n = add_part(iov, n, p->body + off, p->size, &skip);
	return add_part(iov, n, p->suffix, p->suffix_len, &skip);
}

/* Compare the part want (wlen bytes) from *from with the reply bytes at
 * *buf, consuming what matched; on a difference *pos is its position. */
static bool part_matches(const char *want, size_t wlen, size_t *from,
                         const char **buf, size_t *n, size_t *pos)
{
	if (*from >= wlen) {
		*from -= wlen;
		*pos += wlen;
		return true;
	}
	size_t k = wlen - *from < *n ? wlen - *from : *n;
	if (memcmp(want + *from, *buf, k) != 0) {
		for (size_t i = 0; i < k; i++)
			if (want[*from + i] != (*buf)[i]) {
				*pos += *from + i;
				break;
			}
		return false;
	}
	*buf += k;
	*n -= k;
	*pos += wlen;
	*from = 0;
	return true;
}

/* See conn.h. */
bool conn_reply_matches(const struct pattern *p, uint32_t id, uint64_t seq,
                        size_t from, const char *buf, size_t n, size_t *bad)
{
	size_t off = pattern_offset(id, seq);

	*bad = 0;
	if (!part_matches(p->reply_body + off, p->size, &from, &buf, &n, bad))
		return false;
	if (n == 0)
		return true;
	return part_matches(p->reply_suffix, p->reply_suffix_len, &from, &buf,
	                    &n, bad);
}

/* See conn.h. */
int conn_watch(struct bench_thread *t, struct bench_conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };
	int op = c->events == UINT32_MAX ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;

	if (c->events == events)
		return 0;
	if (epoll_ctl(t->epfd, op, c->fd, &ev) < 0)
		return -1;
	c->events = events;
	return 0;
}

/* See conn.h. */
void conn_account_sent(const struct pattern *p, struct bench_conn *c, size_t w)
{
	for (size_t left = w; left > 0;) {
		size_t rest = p->req_len - c->send_off;
		if (left < rest) {
			c->send_off += left;
			break;
		}
		left -= rest;
		c->send_off = 0;
		c->sent++;
	}
}
