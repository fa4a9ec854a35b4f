/* net.c — sockets from endpoints: listen, connect, accept, options. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockit/error.h"
#include "sockit/loop.h"
#include "sockit/net.h"

static int sock_type(const struct sk_endpoint *ep)
{
	return sk_endpoint_is_dgram(ep) ? SOCK_DGRAM : SOCK_STREAM;
}

int sk_wait_fd(int fd, short events, int timeout_ms)
{
	uint64_t deadline = timeout_ms < 0 ? 0 : sk_now_ms() + (uint64_t)timeout_ms;
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int left = -1;
		if (timeout_ms >= 0) {
			uint64_t now = sk_now_ms();
			left = now >= deadline ? 0 : (int)(deadline - now);
		}
		int n = poll(&p, 1, left);
		if (n >= 0)
			return n > 0 ? 1 : 0;
		if (errno != EINTR)
			return -1;
	}
}

long sk_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur > (rlim_t)LONG_MAX ? LONG_MAX : (long)rl.rlim_cur;
}

int sk_set_nodelay(int fd, bool on)
{
	int v = on;
	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v);
}

int sk_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

int sk_set_bufsizes(int fd, int rcvbuf, int sndbuf)
{
	if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf))
		return -1;
	if (sndbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf))
		return -1;
	return 0;
}

int sk_accept(int lfd, struct sockaddr_storage *peer, socklen_t *peerlen)
{
	int fd;

	*peerlen = sizeof *peer;
	do
		fd = accept4(lfd, (struct sockaddr *)peer, peerlen,
		             SOCK_NONBLOCK | SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	return fd;
}

/* Whether someone accepts connections on the UNIX stream socket at sun. */
static bool unix_path_in_use(const struct sockaddr_un *sun, socklen_t len, int type)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return true;    /* cannot tell: do not remove */
	used = connect(fd, (const struct sockaddr *)sun, len) == 0 ||
	       (errno != ECONNREFUSED && errno != ENOENT);
	close(fd);
	return used;
}

/* A stale socket file left by a dead server is replaced; a live one, or a
 * file that is not a socket, is left alone and bind() reports EADDRINUSE. */
static void remove_stale_unix(const struct sk_endpoint *ep,
                              const struct sockaddr_un *sun, socklen_t len)
{
	struct stat st;

	if (ep->path[0] == '@' || lstat(ep->path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	if (!unix_path_in_use(sun, len, sock_type(ep)))
		unlink(ep->path);
}

static int listen_unix(const struct sk_endpoint *ep, int backlog,
                       char *err, size_t errlen)
{
	struct sockaddr_un sun;
	socklen_t len = sk_endpoint_unix_addr(ep, &sun);
	char shown[SK_ADDRSTRLEN];
	int fd = socket(AF_UNIX, sock_type(ep) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	sk_endpoint_format(ep, shown, sizeof shown);
	if (fd < 0) {
		sk_seterrno(err, errlen, "socket %s", shown);
		return -1;
	}
	remove_stale_unix(ep, &sun, len);
	if (bind(fd, (struct sockaddr *)&sun, len) < 0 ||
	    (ep->transport == SK_UNIX && listen(fd, backlog) < 0)) {
		sk_seterrno(err, errlen, "listen %s", shown);
		close(fd);
		return -1;
	}
	return fd;
}

/* One socket on one resolved address; -1 with errno. */
static int listen_addr(const struct addrinfo *ai, int type, int backlog,
                       int flags, bool dual_stack)
{
	int fd = socket(ai->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, v6only = !dual_stack || (flags & SK_LISTEN_V6ONLY);

	if (fd < 0)
		return -1;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if ((flags & SK_LISTEN_REUSEPORT) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
		goto fail;
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		goto fail;
	/* Before listen(): a TCP socket enters its reuseport group there. */
	if ((flags & SK_LISTEN_GROUP_FIRST) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, backlog) < 0)
		goto fail;
	return fd;
fail:
	{
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

int sk_listen(const struct sk_endpoint *ep, int backlog, int flags,
              char *err, size_t errlen)
{
	struct addrinfo *res;
	char shown[SK_ADDRSTRLEN];
	int fd = -1;

	if (sk_endpoint_is_unix(ep))
		return listen_unix(ep, backlog, err, errlen);
	if (sk_endpoint_resolve(ep, true, &res, err, errlen) < 0)
		return -1;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = listen_addr(ai, sock_type(ep), backlog, flags, ep->wildcard);
	if (fd < 0)
		sk_seterrno(err, errlen, "listen %s",
		            sk_endpoint_format(ep, shown, sizeof shown));
	freeaddrinfo(res);
	return fd;
}

int sk_connect_start(const struct sockaddr *sa, socklen_t salen, int type)
{
	int fd = socket(sa->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, sa, salen) == 0 || errno == EINPROGRESS || errno == EINTR)
		return fd;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int sk_connect_result(int fd)
{
	int soerr = 0;
	socklen_t len = sizeof soerr;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return errno;
	return soerr;
}

/* Start a connect and wait for it; returns the fd, or -1 with errno.
 * *ours tells our own timer's ETIMEDOUT from the kernel's. */
static int connect_wait(const struct sockaddr *sa, socklen_t salen, int type,
                        int timeout_ms, bool *ours)
{
	int fd = sk_connect_start(sa, salen, type);

	*ours = false;
	if (fd < 0)
		return -1;
	int ready = sk_wait_fd(fd, POLLOUT, timeout_ms);
	*ours = ready == 0;
	int rc = ready < 0 ? errno : ready == 0 ? ETIMEDOUT : sk_connect_result(fd);
	if (rc == 0)
		return fd;
	close(fd);
	errno = rc;
	return -1;
}

/* A unixgram client needs an address of its own for replies to reach it:
 * autobind gives it a unique abstract one. */
static int connect_unix(const struct sk_endpoint *ep, int timeout_ms, bool *ours)
{
	struct sockaddr_un sun;
	socklen_t len = sk_endpoint_unix_addr(ep, &sun);

	*ours = false;
	if (ep->transport == SK_UNIXGRAM) {
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		sa_family_t fam = AF_UNIX;
		if (fd < 0)
			return -1;
		if (bind(fd, (struct sockaddr *)&fam, sizeof fam) < 0 ||
		    connect(fd, (struct sockaddr *)&sun, len) < 0) {
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		return fd;
	}
	return connect_wait((struct sockaddr *)&sun, len, SOCK_STREAM, timeout_ms, ours);
}

/* "connect WHAT: why", in sockit's deadline wording when ours timed out. */
static void connect_err(char *err, size_t errlen, const char *what, bool ours,
                        int timeout_ms)
{
	if (ours)
		sk_seterr_deadline(err, errlen, (uint64_t)timeout_ms, "connect %s", what);
	else
		sk_seterrno(err, errlen, "connect %s", what);
}

int sk_connect(const struct sk_endpoint *ep, int timeout_ms,
               char *err, size_t errlen)
{
	struct addrinfo *res;
	char shown[SK_ADDRSTRLEN];
	int fd = -1;

	bool ours;

	if (sk_endpoint_is_unix(ep)) {
		fd = connect_unix(ep, timeout_ms, &ours);
		if (fd < 0)
			connect_err(err, errlen, ep->path, ours, timeout_ms);
		return fd;
	}
	if (sk_endpoint_resolve(ep, false, &res, err, errlen) < 0)
		return -1;
	/* Try every address; report the last one's failure. */
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = connect_wait(ai->ai_addr, ai->ai_addrlen, ai->ai_socktype, timeout_ms,
		                  &ours);
		if (fd < 0)
			connect_err(err, errlen,
			            sk_addr_format(ai->ai_addr, ai->ai_addrlen, shown, sizeof shown),
			            ours, timeout_ms);
	}
	freeaddrinfo(res);
	if (fd >= 0 && ep->transport == SK_TCP)
		sk_set_nodelay(fd, true);
	return fd;
}
