/* udp.c — datagram sessions (udp, unixgram): each line (--lines) or each
 * read of stdin is one datagram; each datagram received is written out
 * whole.  connect exits after stdin EOF (after -q); listen answers the
 * sender of the last datagram.  ICMP port unreachable is reported. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "netcat/netcat.h"
#include "sockit/loop.h"

#define DGRAM_MAX 65507

struct dgram {
	const struct nc_opts *o;
	int fd;
	bool connected;                 /* connect: send(); listen: sendto(peer) */
	struct sockaddr_storage peer;
	socklen_t peerlen;              /* 0: nobody has written yet (listen) */
	char *line;                     /* --lines: the partial line so far */
	size_t linelen;
	bool in_eof;
	uint64_t eof_ms, last_ms, sent, received, start_ns;
	struct nc_hexdump *hex;
};

/* Write all of buf to stdout (blocking: a datagram is never split). */
static int write_out(const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { 1, POLLOUT, 0 };
			poll(&p, 1, -1);
			continue;
		}
		if (w < 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static int refused(struct dgram *d, int err)
{
	char ep[SK_ADDRSTRLEN];

	return nc_die(d->o, EXIT_NETWORK, "%s: %s",
	              sk_endpoint_format(&d->o->ep, ep, sizeof ep), strerror(err));
}

/* Send one datagram to the peer.  0, or an exit status. */
static int send_dgram(struct dgram *d, const char *buf, size_t n)
{
	ssize_t w;

	do
		w = d->connected ? send(d->fd, buf, n, 0)
		                 : sendto(d->fd, buf, n, 0, (struct sockaddr *)&d->peer, d->peerlen);
	while (w < 0 && errno == EINTR);
	if (w < 0 && errno == EAGAIN) {
		struct pollfd p = { d->fd, POLLOUT, 0 };
		poll(&p, 1, 1000);
		return send_dgram(d, buf, n);
	}
	if (w < 0)
		return refused(d, errno);
	if (d->hex)
		nc_hexdump_write(d->hex, '>', buf, n);
	d->sent += n;
	return 0;
}

/* --lines: send every complete line; at EOF also the rest.  0 or status. */
static int send_lines(struct dgram *d, bool flush)
{
	size_t start = 0;
	int rc = 0;

	for (size_t i = 0; i < d->linelen && rc == 0; i++)
		if (d->line[i] == '\n') {
			rc = send_dgram(d, d->line + start, i + 1 - start);
			start = i + 1;
		}
	if (rc == 0 && (flush || d->linelen - start >= DGRAM_MAX) && d->linelen > start) {
		rc = send_dgram(d, d->line + start, d->linelen - start);
		start = d->linelen;
	}
	memmove(d->line, d->line + start, d->linelen - start);
	d->linelen -= start;
	return rc;
}

/* stdin is readable: one read is one datagram (or feeds --lines). */
static int from_stdin(struct dgram *d)
{
	char *dst = d->o->lines ? d->line + d->linelen : d->line;
	size_t room = d->o->lines ? DGRAM_MAX - d->linelen : DGRAM_MAX;
	ssize_t n = read(0, dst, room);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0
		       : nc_die(d->o, EXIT_NETWORK, "read stdin: %s", strerror(errno));
	if (n == 0) {
		d->in_eof = true;
		d->eof_ms = sk_now_ms();
		return d->o->lines ? send_lines(d, true) : 0;
	}
	if (!d->o->lines)
		return send_dgram(d, d->line, (size_t)n);
	d->linelen += (size_t)n;
	return send_lines(d, false);
}

/* The socket is readable: print each datagram whole. */
static int from_socket(struct dgram *d, char *buf)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof from;
	char shown[SK_ADDRSTRLEN];

	for (int i = 0; i < 64; i++) {
		ssize_t n = recvfrom(d->fd, buf, DGRAM_MAX, MSG_DONTWAIT,
		                     (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return refused(d, errno);
		}
		if (!d->connected) {
			memcpy(&d->peer, &from, flen);
			d->peerlen = flen;
			nc_verbose(d->o, "datagram from %s (%zd bytes)",
			           sk_addr_format((struct sockaddr *)&from, flen, shown, sizeof shown), n);
		}
		if (d->hex)
			nc_hexdump_write(d->hex, '<', buf, (size_t)n);
		d->received += (uint64_t)n;
		d->last_ms = sk_now_ms();
		if (write_out(buf, (size_t)n) < 0)
			return errno == EPIPE ? EXIT_OK
			       : nc_die(d->o, EXIT_NETWORK, "write stdout: %s", strerror(errno));
		flen = sizeof from;
	}
	return 0;
}

/* Time left before -q (after EOF) or -w (idle) ends the session; -1 none. */
static long long time_left(const struct dgram *d, uint64_t now)
{
	long long t = -1;

	if (d->in_eof && d->o->quit_ms >= 0) {
		t = (long long)(d->eof_ms + (uint64_t)d->o->quit_ms) - (long long)now;
		if (t < 0)
			t = 0;          /* overdue: -1 would mean "no limit" */
	}
	if (nc_idle_ms(d->o) >= 0) {
		long long w = (long long)(d->last_ms + (uint64_t)nc_idle_ms(d->o)) - (long long)now;
		if (t < 0 || w < t)
			t = w < 0 ? 0 : w;
	}
	return t;
}

static int run(struct dgram *d)
{
	char *buf = malloc(DGRAM_MAX);
	int rc = 0;

	if (!buf)
		return nc_die(d->o, EXIT_NETWORK, "out of memory");
	d->start_ns = sk_now_ns();
	d->last_ms = sk_now_ms();
	d->in_eof = d->o->recv_only;
	d->eof_ms = d->last_ms;
	while (rc == 0) {
		struct pollfd p[2] = { { d->fd, POLLIN, 0 }, { 0, POLLIN, 0 } };
		bool want_in = !d->in_eof && (d->connected || d->peerlen > 0);
		long long t = time_left(d, sk_now_ms());
		if (t == 0 || (d->in_eof && d->o->quit_ms == 0))
			break;
		int n = poll(p, want_in ? 2 : 1, t < 0 ? -1 : (int)(t > 1000000 ? 1000000 : t));
		if (n < 0 && errno != EINTR)
			rc = nc_die(d->o, EXIT_NETWORK, "poll: %s", strerror(errno));
		if (n > 0 && p[0].revents)
			rc = from_socket(d, buf);
		if (rc == 0 && n > 0 && want_in && p[1].revents)
			rc = from_stdin(d);
	}
	/* A port unreachable for the last datagram is already queued here. */
	if (rc == 0 && d->connected)
		rc = from_socket(d, buf);
	free(buf);
	nc_print_stats(d->o, d->sent, d->received, d->start_ns);
	return rc;
}

static int start(const struct nc_opts *o, int fd, bool connected)
{
	struct dgram d = { 0 };
	int rc;

	d.o = o;
	d.fd = fd;
	d.connected = connected;
	d.line = malloc(DGRAM_MAX);
	if (!d.line)
		return nc_die(o, EXIT_NETWORK, "out of memory");
	if (o->hexfile && !(d.hex = nc_hexdump_open(o->hexfile))) {
		free(d.line);
		return nc_die(o, EXIT_USAGE, "%s: %s", o->hexfile, strerror(errno));
	}
	rc = run(&d);
	nc_hexdump_close(d.hex);
	free(d.line);
	return rc;
}

int nc_udp_connect(const struct nc_opts *o, int fd)
{
	int rc = start(o, fd, true);

	close(fd);
	return rc;
}

int nc_udp_listen(const struct nc_opts *o, int fd)
{
	int one = 1;

	if (o->broadcast)
		(void)setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
	return start(o, fd, false);
}
