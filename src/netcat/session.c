/* session.c — one stream session: stdin/stdout (or an -e child) against
 * a connected socket, both directions at once, half-close, -q and -w. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "netcat/netcat.h"
#include "sockit/loop.h"
#include "sockit/net.h"

#define BUDGET (4u << 20)   /* bytes one direction moves before the other gets a turn */

struct session {
	const struct nc_opts *o;
	struct nc_end local, *net;
	struct nc_pump up, down;       /* local -> net, net -> local */
	bool use_up, use_down, child, tty_in;
	int lfd;
	uint64_t start_ns, last_ms, eof_ms;
	int saved_fl[2];
	struct nc_hexdump *hex;
	struct nc_telnet *telnet;
	char crlf_last;                /* -C: the last byte sent, across reads */
};

/* O_NONBLOCK on non-tty stdio so one stalled side never blocks the other
 * (a tty is shared with the shell; reads after poll do not block there). */
static void stdio_nonblock(struct session *s)
{
	for (int fd = 0; fd < 2; fd++) {
		s->saved_fl[fd] = fcntl(fd, F_GETFL);
		if (s->saved_fl[fd] >= 0 && !isatty(fd))
			(void)fcntl(fd, F_SETFL, s->saved_fl[fd] | O_NONBLOCK);
	}
}

static void stdio_restore(struct session *s)
{
	for (int fd = 0; fd < 2; fd++)
		if (s->saved_fl[fd] >= 0)
			(void)fcntl(fd, F_SETFL, s->saved_fl[fd]);
}

void nc_print_stats(const struct nc_opts *o, uint64_t sent, uint64_t received,
                    uint64_t start_ns)
{
	double secs = (double)(sk_now_ns() - start_ns) / 1e9;
	double rate = secs > 0 ? (double)(sent + received) / secs / 1e6 : 0;

	nc_verbose(o, "sent %llu bytes, received %llu bytes in %.3f s (%.1f MB/s)",
	           (unsigned long long)sent, (unsigned long long)received, secs, rate);
}

static int setup(struct session *s, const struct nc_opts *o, struct nc_end *net,
                 int child_fd)
{
	bool plain;

	memset(s, 0, sizeof *s);
	s->o = o;
	s->net = net;
	s->child = child_fd >= 0;
	s->saved_fl[0] = s->saved_fl[1] = -1;
	if (s->child) {
		s->local = (struct nc_end){ child_fd, child_fd, true, false, NULL };
	} else {
		s->local = (struct nc_end){ 0, 1, false, false, NULL };
		s->tty_in = isatty(0);
		stdio_nonblock(s);
	}
	if (o->hexfile && !(s->hex = nc_hexdump_open(o->hexfile)))
		return nc_die(o, EXIT_USAGE, "%s: %s", o->hexfile, strerror(errno)), -1;
	plain = !s->hex && !o->crlf && !o->telnet;
	s->use_up = !o->recv_only;
	s->use_down = !o->send_only;
	nc_pump_init(&s->up, &s->local, net, plain);
	nc_pump_init(&s->down, net, &s->local, plain);
	nc_pump_grow_pipe(&s->up);
	nc_pump_grow_pipe(&s->down);
	s->up.hex = s->down.hex = s->hex;
	s->down.hex_dir = '<';
	if (o->crlf) {
		s->up.filter = nc_crlf_filter;
		s->up.filter_ctx = &s->crlf_last;
	}
	if (o->telnet) {
		if (!(s->telnet = nc_telnet_new()))
			return nc_die(o, EXIT_NETWORK, "out of memory"), -1;
		s->down.filter = nc_telnet_filter;
		s->down.filter_full = nc_telnet_full;
		s->down.filter_ctx = s->telnet;
	}
	/* stdout is never "shut": the peer's EOF just ends the output. */
	s->down.no_shutdown = !s->child;
	return 0;
}

static void teardown(struct session *s)
{
	nc_pump_free(&s->up);
	nc_pump_free(&s->down);
	nc_hexdump_close(s->hex);
	nc_telnet_free(s->telnet);
	if (!s->child)
		stdio_restore(s);
}

/* Report a pump failure; a child that went away just ends its input. */
static int pump_failed(struct session *s, struct nc_pump *p)
{
	if (s->child && p == &s->down && (p->err == EPIPE || p->err == ECONNRESET)) {
		p->done = true;
		return 0;
	}
	if (!s->child && p == &s->down && p->err == EPIPE) {
		/* Our reader went away (| head): nothing more to print. */
		p->done = true;
		return 0;
	}
	if (p->src->tls || p->dst->tls) {
		const char *why = nc_tls_error(p->src->tls ? p->src->tls : p->dst->tls);
		if (why)
			return nc_die(s->o, EXIT_NETWORK, "%s: %s", p->err_op, why);
	}
	return nc_die(s->o, EXIT_NETWORK, "%s: %s", p->err_op, strerror(p->err));
}

/* Whether the session is over (status in *rc). */
static bool finished(struct session *s, uint64_t now)
{
	bool up_done = !s->use_up || s->up.done;
	bool down_done = !s->use_down || s->down.done;

	if (up_done && down_done)
		return true;
	if (s->o->send_only && s->up.done)
		return true;
	/* An interactive user has nothing to half-close for. */
	if (s->tty_in && s->use_down && s->down.done)
		return true;
	if (s->up.eof && s->o->quit_ms >= 0 &&
	    now >= s->eof_ms + (uint64_t)s->o->quit_ms)
		return true;
	return false;
}

/* A client arriving while one is served, beyond --max-conns: refused. */
static void refuse_extra(struct session *s)
{
	struct sockaddr_storage ss;
	socklen_t len;

	/* With this session every slot is held: any client is refused. */
	(void)nc_accept_admitted(s->o, s->lfd, s->o->max_conns, &ss, &len);
}

static int poll_timeout(const struct session *s, uint64_t now)
{
	long long t = -1, idle = nc_idle_ms(s->o);     /* -1: no deadline */

	if (idle >= 0)
		t = (long long)(s->last_ms + (uint64_t)idle) - (long long)now;
	if (s->up.eof && s->o->quit_ms >= 0) {
		long long q = (long long)(s->eof_ms + (uint64_t)s->o->quit_ms) - (long long)now;
		if (t == -1 && idle < 0)
			t = q;
		else if (q < t)
			t = q;
	}
	if (t < 0 && (idle >= 0 || (s->up.eof && s->o->quit_ms >= 0)))
		t = 0;          /* overdue: poll must not read -1 as "forever" */
	return t > 1000000 ? 1000000 : (int)t;
}

static void add_wait(struct pollfd *pfd, int *n, const struct nc_pump *p, bool use)
{
	if (!use || p->done || p->held)
		return;
	pfd[*n].fd = p->wait_fd;
	pfd[*n].events = p->wait_events;
	pfd[*n].revents = 0;
	(*n)++;
}

/* --telnet: hand the queued refusals to the network.  They go through
 * the up pump's buffer once it holds nothing, so they never cut into a
 * partial (TLS) write of stdin's bytes; with --recv-only nothing else
 * writes there and they go straight out.  Once the network's write side
 * is shut nobody can be answered: dropped.  -1 with errno on failure. */
static int telnet_flush(struct session *s)
{
	const unsigned char *q;
	size_t n = s->telnet ? nc_telnet_pending(s->telnet, &q) : 0;
	short want;

	if (n == 0)
		return 0;
	if (s->net->wr_closed || (s->use_up && s->up.done)) {
		nc_telnet_consume(s->telnet, n);
		return 0;
	}
	if (!s->use_up) {
		ssize_t w = s->net->tls ? nc_tls_write(s->net->tls, q, n, &want)
		                        : send(s->net->wfd, q, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0)
			nc_telnet_consume(s->telnet, (size_t)w);
		return w < 0 && errno != EAGAIN && errno != EINTR ? -1 : 0;
	}
	if (!s->up.buf || s->up.len > s->up.off)
		return 0;       /* after what the pump is writing now */
	memcpy(s->up.buf, q, n);
	s->up.off = 0;
	s->up.len = n;
	nc_telnet_consume(s->telnet, n);
	return 0;
}

/* Where the --recv-only telnet refusals wait to be written. */
static void add_telnet_wait(struct session *s, struct pollfd *pfd, int *n)
{
	const unsigned char *q;

	if (s->use_up || !s->telnet || nc_telnet_pending(s->telnet, &q) == 0)
		return;
	pfd[*n].fd = s->net->wfd;
	pfd[*n].events = POLLOUT;
	pfd[*n].revents = 0;
	(*n)++;
}

/* Run both pumps once; 0, or the exit status of a failure. */
static int step(struct session *s)
{
	uint64_t before = s->up.bytes + s->down.bytes;

	if (s->use_up && !s->up.done) {
		bool was_eof = s->up.eof;
		if (nc_pump_run(&s->up, BUDGET) < 0)
			return pump_failed(s, &s->up);
		if (!was_eof && s->up.eof)
			s->eof_ms = sk_now_ms();
	}
	if (s->use_down && !s->down.done && nc_pump_run(&s->down, BUDGET) < 0) {
		int rc = pump_failed(s, &s->down);
		if (rc)
			return rc;
	}
	if (telnet_flush(s) < 0)
		return nc_die(s->o, EXIT_NETWORK, "send: %s", strerror(errno));
	/* Refusals just handed to the up pump go out now. */
	if (s->use_up && !s->up.done && s->up.len > s->up.off &&
	    nc_pump_run(&s->up, BUDGET) < 0)
		return pump_failed(s, &s->up);
	if (s->up.bytes + s->down.bytes != before)
		s->last_ms = sk_now_ms();
	return 0;
}

static int loop(struct session *s)
{
	struct pollfd pfd[4];
	int n, rc, t;

	for (;;) {
		if ((rc = step(s)) != 0)
			return rc;
		uint64_t now = sk_now_ms();
		if (finished(s, now))
			return EXIT_OK;
		n = 0;
		add_wait(pfd, &n, &s->up, s->use_up);
		add_wait(pfd, &n, &s->down, s->use_down);
		add_telnet_wait(s, pfd, &n);
		if (s->lfd >= 0) {
			pfd[n].fd = s->lfd;
			pfd[n++].events = POLLIN;
		}
		t = poll_timeout(s, now);
		/* A telnet-held pump whose refusals went out goes on at once
		 * (a TLS source may hold bytes poll cannot see). */
		if (s->down.held && !nc_telnet_full(s->telnet))
			t = 0;
		/* A TLS pump stopped at its budget goes on after one look at
		 * the other side (OpenSSL may hold its next bytes). */
		if ((s->use_up && s->up.again) || (s->use_down && s->down.again))
			t = 0;
		rc = poll(pfd, (nfds_t)n, t);
		if (rc < 0 && errno != EINTR)
			return nc_die(s->o, EXIT_NETWORK, "poll: %s", strerror(errno));
		long long idle = nc_idle_ms(s->o);
		if (rc == 0 && idle >= 0 && sk_now_ms() >= s->last_ms + (uint64_t)idle) {
			nc_verbose(s->o, "idle for %lld ms, closing", idle);
			return EXIT_OK;
		}
		if (s->lfd >= 0 && rc > 0 && (pfd[n - 1].revents & POLLIN))
			refuse_extra(s);
	}
}

int nc_session_run(const struct nc_opts *o, struct nc_end *net, int child_fd,
                   int lfd)
{
	struct session s;
	int rc;

	if (setup(&s, o, net, child_fd) < 0)
		return EXIT_USAGE;
	s.lfd = lfd;
	s.start_ns = sk_now_ns();
	s.last_ms = sk_now_ms();
	rc = loop(&s);
	nc_print_stats(o, s.up.bytes, s.down.bytes, s.start_ns);
	teardown(&s);
	return rc;
}
