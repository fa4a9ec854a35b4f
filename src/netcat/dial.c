/* dial.c — connect for netcat: source address and port (-s/-p), -4/-6,
 * the -w timeout, every address tried, --proxy, and -z probes. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netcat/netcat.h"
#include "sockit/error.h"
#include "sockit/net.h"

/* Bind fd to -s/-p of the same family as the target.  0 or -1. */
static int bind_source(const struct nc_opts *o, int fd, int family, int type,
                       char *err, size_t errlen)
{
	struct addrinfo hints = { 0 }, *res;
	int one = 1, rc;

	if (!o->src_addr && !o->src_port)
		return 0;
	hints.ai_family = family;
	hints.ai_socktype = type;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(o->src_addr, o->src_port ? o->src_port : "0", &hints, &res);
	if (rc != 0) {
		sk_seterr(err, errlen, "source %s: %s", o->src_addr ? o->src_addr : "*",
		          gai_strerror(rc));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	rc = bind(fd, res->ai_addr, res->ai_addrlen);
	if (rc < 0)
		sk_seterrno(err, errlen, "bind %s port %s", o->src_addr ? o->src_addr : "*",
		            o->src_port ? o->src_port : "0");
	freeaddrinfo(res);
	return rc;
}

/* One address: socket, source bind, connect within timeout.  fd or -1
 * with errno (err filled). */
static int dial_one(const struct nc_opts *o, const struct addrinfo *ai,
                    char *err, size_t errlen)
{
	char shown[SK_ADDRSTRLEN];
	int fd, rc, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sk_seterrno(err, errlen, "socket"), -1;
	if (o->broadcast)
		(void)setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
	if (bind_source(o, fd, ai->ai_family, ai->ai_socktype, err, errlen) < 0)
		goto fail;
	sk_addr_format(ai->ai_addr, ai->ai_addrlen, shown, sizeof shown);
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (rc < 0 && errno == EINPROGRESS) {
		rc = sk_wait_fd(fd, POLLOUT, o->wait_ms < 0 ? -1 : (int)o->wait_ms);
		if (rc == 0)
			errno = ETIMEDOUT, rc = -1;
		else if (rc > 0 && (errno = sk_connect_result(fd)) == 0)
			rc = 0;
		else
			rc = -1;
	}
	if (rc < 0) {
		sk_seterrno(err, errlen, "connect %s", shown);
		goto fail;
	}
	if (ai->ai_socktype == SOCK_STREAM)
		sk_set_nodelay(fd, true);
	return fd;
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* A UNIX endpoint: the library's connect (unixgram autobinds). */
static int dial_unix(const struct nc_opts *o, const struct sk_endpoint *ep,
                     char *err, size_t errlen)
{
	return sk_connect(ep, o->wait_ms < 0 ? -1 : (int)o->wait_ms, err, errlen);
}

static int dial_direct(const struct nc_opts *o, const struct sk_endpoint *ep,
                       char *err, size_t errlen)
{
	struct addrinfo *res;
	int fd = -1;

	if (sk_endpoint_is_unix(ep))
		return dial_unix(o, ep, err, errlen);
	if (sk_endpoint_resolve(ep, false, &res, err, errlen) < 0)
		return -1;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		if (o->family && ai->ai_family != o->family)
			continue;
		fd = dial_one(o, ai, err, errlen);
	}
	if (fd < 0 && err && !*err)
		sk_seterr(err, errlen, "connect %s: no address of that family", ep->host);
	freeaddrinfo(res);
	return fd;
}

int nc_dial(const struct nc_opts *o, const struct sk_endpoint *ep,
            char *err, size_t errlen)
{
	struct sk_endpoint pep;
	char scheme[16];
	int fd;

	if (err)
		*err = '\0';
	if (!o->proxy)
		return dial_direct(o, ep, err, errlen);
	if (nc_proxy_parse(o->proxy, scheme, sizeof scheme, &pep, err, errlen) < 0)
		return -1;
	fd = dial_direct(o, &pep, err, errlen);
	if (fd < 0)
		return -1;
	if (nc_proxy_handshake(o, fd, ep->host, ep->port, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A UDP probe: send an empty datagram and wait briefly for the ICMP port
 * unreachable that says closed; silence is open (or filtered). */
static int probe_udp(int fd, const struct nc_opts *o)
{
	char b;
	int wait = o->wait_ms < 0 ? 500 : (int)o->wait_ms;

	if (send(fd, "", 0, 0) < 0)
		return -1;
	if (sk_wait_fd(fd, POLLIN, wait) > 0 && recv(fd, &b, 1, MSG_DONTWAIT) < 0 &&
	    errno != EAGAIN)
		return -1;
	return 0;
}

int nc_probe(const struct nc_opts *o, const struct sk_endpoint *ep,
             char *err, size_t errlen)
{
	struct nc_opts po = *o;
	int fd, rc = 0;

	if (po.wait_ms < 0)
		po.wait_ms = 5000;      /* a probe never waits the kernel's minutes */
	fd = nc_dial(&po, ep, err, errlen);
	if (fd < 0)
		return -1;
	if (sk_endpoint_is_dgram(ep) && probe_udp(fd, &po) < 0) {
		sk_seterrno(err, errlen, "connect %s port %s", ep->host, ep->port);
		rc = -1;
	}
	close(fd);
	return rc;
}
