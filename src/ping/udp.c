/* udp.c — the --udp transport: one connected UDP socket per target, one
 * datagram per probe to an RFC 862 echo service, the echo matched by a
 * magic, the socket's id and the sequence; ICMP port unreachable and
 * friends from the error queue. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ping/icmp.h"
#include "ping/session.h"
#include "ping/socket.h"

/* The probe's first bytes: "SKPG", sequence (2 bytes), then iputils'
 * pattern up to -s bytes. */
#define UDP_HDR     6
#define READ_BUDGET 64

static const uint8_t magic[4] = {'S', 'K', 'P', 'G'};

static size_t udp_len(const struct ping_session *s)
{
	return s->o->size < UDP_HDR ? UDP_HDR : (size_t)s->o->size;
}

static struct ping_probe *probe_of(struct ping_target *t, const uint8_t *b, size_t n)
{
	if (n < UDP_HDR || memcmp(b, magic, 4) != 0)
		return NULL;
	return session_probe(t, (uint16_t)(b[4] << 8 | b[5]));
}

static void on_errors(struct ping_target *t)
{
	struct ping_errmsg em;
	char from[INET6_ADDRSTRLEN] = "?", text[128];

	for (int i = 0; i < READ_BUDGET && ping_recv_err(t->fd, &em) == 1; i++) {
		struct ping_probe *p = probe_of(t, em.payload, em.payload_len);
		if (!p)
			continue;
		if (em.icmp) {
			const void *a =
			    em.offender.ss_family == AF_INET6
			        ? (const void *)&((struct sockaddr_in6 *)&em.offender)
			              ->sin6_addr
			        : (const void *)&((struct sockaddr_in *)&em.offender)
			              ->sin_addr;
			inet_ntop(em.offender.ss_family, a, from, sizeof from);
			icmp_error_text(t->family, em.type, em.code, em.info, text,
			                sizeof text);
		} else {
			snprintf(from, sizeof from, "%s", t->addr);
			snprintf(text, sizeof text, "local error: %s", strerror(em.err));
		}
		session_error(p, from, text);
	}
}

static void on_readable(struct sk_loop *loop, int fd, int events, void *data)
{
	struct ping_target *t = data;
	struct ping_session *s = t->s;
	struct ping_rx rx;
	char from[INET6_ADDRSTRLEN + 300];

	(void)loop;
	for (int i = 0; i < READ_BUDGET && !t->done; i++) {
		ssize_t n = ping_recv(fd, s->pkt, PING_PKT_MAX, &rx);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				on_errors(t);
			break;
		}
		struct ping_probe *p = probe_of(t, s->pkt, (size_t)n);
		if (!p)
			continue;
		struct ping_reply r = {
		    .bytes = (size_t)n,
		    .ttl = rx.ttl,
		    .truncated = (size_t)n < udp_len(s),
		    .from =
		        pout_from(s, t, (struct sockaddr *)&rx.from, from, sizeof from),
		};
		session_answer(p, rx.stamp_ns, &r);
	}
	if ((events & SK_WRITE) && !t->done)
		on_errors(t);
}

static int open_target(struct ping_session *s, struct ping_target *t, char *err,
                       size_t errlen)
{
	struct sockaddr_storage ss = t->sa;

	((struct sockaddr_in *)&ss)->sin_port = htons(s->o->port);
	t->fd = socket(t->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0 ||
	    ping_sockopts(t->fd, t->family, s->o->ttl, s->o->iface, true, err, errlen) <
	        0 ||
	    connect(t->fd, (struct sockaddr *)&ss, t->salen) < 0 ||
	    sk_loop_add(s->loop, t->fd, SK_READ, on_readable, t) < 0) {
		if (!err[0])
			snprintf(err, errlen, "udp socket for %s: %s", t->addr,
			         strerror(errno));
		return -1;
	}
	return 0;
}

static int udp_open(struct ping_session *s, char *err, size_t errlen)
{
	err[0] = '\0';
	for (size_t i = 0; i < s->ntargets; i++)
		if (open_target(s, &s->targets[i], err, errlen) < 0)
			return -1;
	return 0;
}

static int udp_send(struct ping_target *t, struct ping_probe *p)
{
	uint8_t *b = t->s->pkt;
	size_t len = udp_len(t->s);
	ssize_t n;

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)i;
	memcpy(b, magic, 4);
	b[4] = (uint8_t)(p->seq >> 8), b[5] = (uint8_t)p->seq;
	do
		n = send(t->fd, b, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == ECONNREFUSED) {
		/* The refusal is of an earlier probe, which the error queue names;
		 * this one went out. */
		on_errors(t);
		n = send(t->fd, b, len, 0);
	}
	return n == (ssize_t)len ? 0 : -1;
}

static void udp_close(struct ping_session *s)
{
	for (size_t i = 0; i < s->ntargets; i++) {
		struct ping_target *t = &s->targets[i];
		if (t->fd >= 0) {
			sk_loop_del(s->loop, t->fd);
			close(t->fd);
			t->fd = -1;
		}
	}
}

const struct ping_transport ping_udp_transport = {
    .open = udp_open,
    .send = udp_send,
    .drop = NULL,
    .close = udp_close,
};
