/* socket.c — ICMP sockets (ping socket, else raw), receive with TTL and
 * kernel time stamps, the error queue. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ping/socket.h"
#include "sockit/error.h"

/* linux/icmp.h clashes with net/if.h: its raw-socket filter, by hand. */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif

uint64_t ping_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int on(int fd, int level, int name)
{
	int one = 1;
	return setsockopt(fd, level, name, &one, sizeof one);
}

/* -I: an address binds the source, anything else names a device. */
static int bind_iface(int fd, int family, const char *iface, char *err, size_t errlen)
{
	struct sockaddr_storage ss = {0};
	socklen_t len = 0;

	if (family == AF_INET &&
	    inet_pton(AF_INET, iface, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		len = sizeof(struct sockaddr_in);
	else if (family == AF_INET6 &&
	         inet_pton(AF_INET6, iface, &((struct sockaddr_in6 *)&ss)->sin6_addr) ==
	             1)
		len = sizeof(struct sockaddr_in6);
	if (len) {
		ss.ss_family = (sa_family_t)family;
		if (bind(fd, (struct sockaddr *)&ss, len) == 0)
			return 0;
		sk_seterrno(err, errlen, "bind %s", iface);
		return -1;
	}
	if (strchr(iface, '.') || strchr(iface, ':') || if_nametoindex(iface) == 0) {
		errno = ENODEV;
		sk_seterrno(err, errlen, "interface '%s'", iface);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface,
	               (socklen_t)strlen(iface) + 1) == 0)
		return 0;
	sk_seterrno(err, errlen, "SO_BINDTODEVICE %s", iface);
	return -1;
}

int ping_sockopts(int fd, int family, int ttl, const char *iface, bool dgram, char *err,
                  size_t errlen)
{
	bool v6 = family == AF_INET6;
	int rc = on(fd, SOL_SOCKET, SO_TIMESTAMPNS);

	rc |= v6 ? on(fd, IPPROTO_IPV6, IPV6_RECVERR) : on(fd, IPPROTO_IP, IP_RECVERR);
	/* A raw IPv4 socket reads the TTL from the IP header itself. */
	if (v6)
		rc |= on(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT);
	else if (dgram)
		rc |= on(fd, IPPROTO_IP, IP_RECVTTL);
	if (rc) {
		sk_seterrno(err, errlen, "setsockopt");
		return -1;
	}
	if (ttl >= 0 &&
	    (v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl)
	        : setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl)) < 0) {
		sk_seterrno(err, errlen, "set ttl %d", ttl);
		return -1;
	}
	return iface ? bind_iface(fd, family, iface, err, errlen) : 0;
}

/* A raw socket sees every ICMP message on the host: let through only
 * echo replies and the errors that may quote our requests. */
static int raw_filter(int fd, int family)
{
	if (family == AF_INET6) {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
		return setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f);
	}
	/* A set bit blocks that type. */
	uint32_t f = ~(1u << ICMP_ECHOREPLY | 1u << ICMP_DEST_UNREACH |
	               1u << ICMP_TIME_EXCEEDED | 1u << ICMP_PARAMETERPROB);
	return setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof f);
}

/* The id the kernel gives a ping socket's echoes is its port: bind one
 * now (unless -I bound it already) and read it back. */
static int dgram_ident(struct ping_socket *ps)
{
	struct sockaddr_storage ss = {.ss_family = (sa_family_t)ps->family};
	socklen_t len = ps->family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                       : sizeof(struct sockaddr_in);
	struct sockaddr_storage got;
	socklen_t glen = sizeof got;

	if (getsockname(ps->fd, (struct sockaddr *)&got, &glen) == 0 &&
	    ((struct sockaddr_in *)&got)->sin_port != 0) {
		ps->ident = ntohs(((struct sockaddr_in *)&got)->sin_port);
		return 0;
	}
	if (bind(ps->fd, (struct sockaddr *)&ss, len) < 0)
		return -1;
	glen = sizeof got;
	if (getsockname(ps->fd, (struct sockaddr *)&got, &glen) < 0)
		return -1;
	ps->ident = ntohs(((struct sockaddr_in *)&got)->sin_port);
	return 0;
}

static int open_kind(int family, int type)
{
	int proto = family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	return socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
}

int ping_socket_open(struct ping_socket *ps, int family, int ttl, const char *iface,
                     char *err, size_t errlen)
{
	ps->family = family;
	ps->raw = false;
	ps->fd = open_kind(family, SOCK_DGRAM);
	int dgram_errno = errno;
	if (ps->fd < 0) {
		ps->fd = open_kind(family, SOCK_RAW);
		ps->raw = true;
	}
	if (ps->fd < 0) {
		sk_seterr(err, errlen,
		          "cannot open an ICMP%s socket: ping socket: %s "
		          "(the group is outside net.ipv4.ping_group_range), raw socket: "
		          "%s (needs root or CAP_NET_RAW)",
		          family == AF_INET6 ? "v6" : "", strerror(dgram_errno),
		          strerror(errno));
		return -1;
	}
	if (ping_sockopts(ps->fd, family, ttl, iface, !ps->raw, err, errlen) < 0)
		goto fail;
	if (ps->raw) {
		uint16_t r = (uint16_t)getpid();
		if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
			r ^= (uint16_t)time(NULL);
		ps->ident = r;
		if (raw_filter(ps->fd, family) < 0) {
			sk_seterrno(err, errlen, "ICMP filter");
			goto fail;
		}
	} else if (dgram_ident(ps) < 0) {
		sk_seterrno(err, errlen, "bind ping socket");
		goto fail;
	}
	/* Room for a flood's or a hundred targets' replies between reads. */
	int buf = 1 << 20;
	setsockopt(ps->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
	return 0;
fail:
	close(ps->fd);
	ps->fd = -1;
	return -1;
}

void ping_socket_close(struct ping_socket *ps)
{
	if (ps->fd >= 0)
		close(ps->fd);
	ps->fd = -1;
}

static void read_cmsgs(struct msghdr *mh, struct ping_rx *rx)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof ts);
			rx->stamp_ns =
			    (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		} else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
		           (c->cmsg_level == IPPROTO_IPV6 &&
		            c->cmsg_type == IPV6_HOPLIMIT)) {
			int v;
			if (c->cmsg_len >= CMSG_LEN(sizeof v)) {
				memcpy(&v, CMSG_DATA(c), sizeof v);
				rx->ttl = v;
			}
		}
	}
}

ssize_t ping_recv(int fd, uint8_t *buf, size_t cap, struct ping_rx *rx)
{
	union {
		char b[512];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {buf, cap};
	struct msghdr mh = {
	    .msg_name = &rx->from,
	    .msg_namelen = sizeof rx->from,
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = ctl.b,
	    .msg_controllen = sizeof ctl.b,
	};
	ssize_t n;

	do
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	rx->fromlen = mh.msg_namelen;
	rx->ttl = -1;
	rx->stamp_ns = 0;
	read_cmsgs(&mh, rx);
	return n;
}

int ping_recv_err(int fd, struct ping_errmsg *em)
{
	union {
		char b[512];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {em->payload, sizeof em->payload};
	struct msghdr mh = {
	    .msg_name = &em->dst,
	    .msg_namelen = sizeof em->dst,
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = ctl.b,
	    .msg_controllen = sizeof ctl.b,
	};

	memset(&em->dst, 0, sizeof em->dst);
	ssize_t n = recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	em->payload_len = (size_t)n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
			continue;
		struct sock_extended_err ee;
		if (c->cmsg_len < CMSG_LEN(sizeof ee))
			continue;
		memcpy(&ee, CMSG_DATA(c), sizeof ee);
		em->icmp = ee.ee_origin == SO_EE_ORIGIN_ICMP ||
		           ee.ee_origin == SO_EE_ORIGIN_ICMP6;
		em->err = (int)ee.ee_errno;
		em->type = ee.ee_type;
		em->code = ee.ee_code;
		em->info = ee.ee_info;
		memset(&em->offender, 0, sizeof em->offender);
		size_t off = CMSG_LEN(sizeof ee), have = c->cmsg_len;
		if (have > off)
			memcpy(&em->offender, CMSG_DATA(c) + sizeof ee,
			       have - off < sizeof em->offender ? have - off
			                                        : sizeof em->offender);
		return 1;
	}
	return 0;
}
