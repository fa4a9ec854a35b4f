/* echo.c — the ICMP transport: one socket per family for every target,
 * echo requests out, replies and ICMP errors matched back to probes. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ping/icmp.h"
#include "ping/session.h"
#include "ping/socket.h"

/* Datagrams read per wakeup, so one busy socket cannot hog the loop. */
#define READ_BUDGET 64

static struct ping_socket *sock_of(struct ping_session *s, int family)
{
	return family == AF_INET6 ? &s->sock6 : &s->sock4;
}

static void addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET6
	                    ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
	                    : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;
	if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* An error-queue entry: a quoted echo of ours that failed. */
static void on_errmsg(struct ping_session *s, struct ping_socket *ps,
                      const struct ping_errmsg *em)
{
	char from[INET6_ADDRSTRLEN], text[128];
	struct ping_target *t = session_find(s, (const struct sockaddr *)&em->dst);

	if (!t || em->payload_len < ICMP_ECHO_HDR)
		return;
	uint16_t id = (uint16_t)(em->payload[4] << 8 | em->payload[5]);
	uint16_t seq = (uint16_t)(em->payload[6] << 8 | em->payload[7]);
	if (ps->raw && id != ps->ident)
		return; /* another ping's probe */
	struct ping_probe *p = session_probe(t, seq);
	if (!p)
		return;
	if (em->icmp) {
		addr_text(&em->offender, from, sizeof from);
		icmp_error_text(ps->family, em->type, em->code, em->info, text,
		                sizeof text);
	} else {
		snprintf(from, sizeof from, "%s", t->addr);
		snprintf(text, sizeof text, "local error: %s", strerror(em->err));
	}
	session_error(p, from, text);
}

static void drain_errors(struct ping_session *s, struct ping_socket *ps)
{
	struct ping_errmsg em;

	for (int i = 0; i < READ_BUDGET && ping_recv_err(ps->fd, &em) == 1; i++)
		on_errmsg(s, ps, &em);
}

static void on_packet(struct ping_session *s, struct ping_socket *ps, size_t n,
                      const struct ping_rx *rx)
{
	struct icmp_msg m;
	char from[INET6_ADDRSTRLEN + 300];

	if (icmp_parse(s->pkt, n, ps->family, ps->raw && ps->family == AF_INET, &m) < 0)
		return;
	/* Errors are read from the error queue, where the kernel has matched
	 * them to this socket; a raw socket sees them here too. */
	if (m.kind != ICMP_KIND_REPLY)
		return;
	if (ps->raw && m.id != ps->ident)
		return;
	struct ping_target *t = session_find(s, (const struct sockaddr *)&rx->from);
	struct ping_probe *p = t ? session_probe(t, m.seq) : NULL;
	if (!p || !icmp_payload_ok(s->pkt + m.data_off, m.data_len))
		return;
	struct ping_reply r = {
	    .bytes = m.icmp_len,
	    .ttl = m.ttl >= 0 ? m.ttl : rx->ttl,
	    .bad_checksum = m.bad_checksum,
	    .truncated = m.data_len < (size_t)s->o->size,
	    .from =
	        pout_from(s, t, (const struct sockaddr *)&rx->from, from, sizeof from),
	};
	session_answer(p, rx->stamp_ns, &r);
}

static void on_readable(struct sk_loop *loop, int fd, int events, void *data)
{
	struct ping_session *s = data;
	struct ping_socket *ps = fd == s->sock4.fd ? &s->sock4 : &s->sock6;
	struct ping_rx rx;

	(void)loop;
	for (int i = 0; i < READ_BUDGET; i++) {
		ssize_t n = ping_recv(fd, s->pkt, PING_PKT_MAX, &rx);
		if (n < 0) {
			/* Anything but "nothing queued" is an error the queue explains.
			 */
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				drain_errors(s, ps);
			break;
		}
		on_packet(s, ps, (size_t)n, &rx);
	}
	/* The loop reports a pending error as writable too. */
	if (events & SK_WRITE)
		drain_errors(s, ps);
	if (s->flood)
		fflush(s->out);
}

static int icmp_open(struct ping_session *s, char *err, size_t errlen)
{
	bool need[2] = {false, false};

	for (size_t i = 0; i < s->ntargets; i++)
		need[s->targets[i].family == AF_INET6] = true;
	for (int v6 = 0; v6 < 2; v6++) {
		if (!need[v6])
			continue;
		struct ping_socket *ps = v6 ? &s->sock6 : &s->sock4;
		if (ping_socket_open(ps, v6 ? AF_INET6 : AF_INET, s->o->ttl, s->o->iface,
		                     err, errlen) < 0)
			return -1;
		if (s->o->verbose)
			fprintf(stderr, "sockit ping: IPv%c %s socket, id %u\n",
			        v6 ? '6' : '4', ps->raw ? "raw" : "ping", ps->ident);
		if (sk_loop_add(s->loop, ps->fd, SK_READ, on_readable, s) < 0) {
			snprintf(err, errlen, "event loop: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int icmp_send(struct ping_target *t, struct ping_probe *p)
{
	struct ping_session *s = t->s;
	struct ping_socket *ps = sock_of(s, t->family);
	size_t len = icmp_build_echo(s->pkt, PING_PKT_MAX, t->family, ps->ident, p->seq,
	                             (size_t)s->o->size, p->sent_ns);
	ssize_t n;

	do
		n = sendto(ps->fd, s->pkt, len, 0, (struct sockaddr *)&t->sa, t->salen);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != ENOBUFS) {
		int e = errno;
		drain_errors(s, ps); /* the error may have a queued reason */
		errno = e;
	}
	return n == (ssize_t)len ? 0 : -1;
}

static void icmp_close(struct ping_session *s)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct ping_socket *ps = v6 ? &s->sock6 : &s->sock4;
		if (ps->fd >= 0)
			sk_loop_del(s->loop, ps->fd);
		ping_socket_close(ps);
	}
}

const struct ping_transport ping_icmp_transport = {
    .open = icmp_open,
    .send = icmp_send,
    .drop = NULL,
    .close = icmp_close,
};
