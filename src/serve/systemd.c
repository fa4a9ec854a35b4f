/* serve/systemd.c — systemd's socket activation (sd_listen_fds(3)) and
 * notification (sd_notify(3)) protocols, written directly: both are a few
 * environment variables and one datagram, so no libsystemd is needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "serve/systemd.h"
#include "sockit/error.h"

#define SD_LISTEN_FDS_START 3

/* One socket systemd passed: its address as bound, the name it was given
 * (FileDescriptorName=, "" when none), and whether a listener took it. */
struct inherited {
	int fd;
	enum sk_transport transport;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char text[SK_ADDRSTRLEN];   /* "tcp://127.0.0.1:7", "unix:/run/x" */
	char name[256];
	bool taken;
};

/* The process's inherited sockets: read once, then shared by the start
 * and every reload (worker 0 only, so no lock). */
static struct {
	bool collected;
	size_t n;
	struct inherited in[SYSD_MAX_FDS];
} inh;

/* LISTEN_FDNAMES is colon-separated, in descriptor order; names missing
 * at the end stay "". */
static void split_names(const char *names)
{
	for (size_t i = 0; names && *names && i < inh.n; i++) {
		size_t len = strcspn(names, ":");
		snprintf(inh.in[i].name, sizeof inh.in[i].name, "%.*s", (int)len, names);
		names += len + (names[len] == ':');
	}
}

/* Which transport a socket is, from its domain and type; -1 when sockit
 * has none for it (SOCK_SEQPACKET, AF_NETLINK...). */
static int transport_of(int fd)
{
	int type = 0, domain = 0;
	socklen_t len = sizeof type;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -1;
	len = sizeof domain;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return -1;
	if (domain == AF_INET || domain == AF_INET6)
		return type == SOCK_STREAM ? SK_TCP : type == SOCK_DGRAM ? SK_UDP : -1;
	if (domain == AF_UNIX)
		return type == SOCK_STREAM ? SK_UNIX : type == SOCK_DGRAM ? SK_UNIXGRAM : -1;
	return -1;
}

/* Describe and check inherited socket i: a listening stream or a bound
 * datagram socket of a known transport (Accept=yes connections are
 * refused: sockit accepts its own clients). */
static int inspect(struct inherited *s, char *err, size_t errlen)
{
	int t = transport_of(s->fd), listening = 0;
	socklen_t len = sizeof listening;

	if (t < 0) {
		sk_seterr(err, errlen, "inherited fd %d: not a TCP, UDP or UNIX socket", s->fd);
		return -1;
	}
	s->transport = (enum sk_transport)t;
	s->addrlen = sizeof s->addr;
	if (getsockname(s->fd, (struct sockaddr *)&s->addr, &s->addrlen) < 0) {
		sk_seterrno(err, errlen, "inherited fd %d: getsockname", s->fd);
		return -1;
	}
	sk_addr_format_endpoint(s->transport, (struct sockaddr *)&s->addr, s->addrlen,
	                        s->text, sizeof s->text);
	if ((t == SK_TCP || t == SK_UNIX) &&
	    (getsockopt(s->fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
	     !listening)) {
		sk_seterr(err, errlen, "inherited fd %d (%s): a connection, not a listener "
		          "(use Accept=no)", s->fd, s->text);
		return -1;
	}
	/* The server's loop never blocks, and nothing it runs inherits these. */
	int fl = fcntl(s->fd, F_GETFL);
	if (fl < 0 || fcntl(s->fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(s->fd, F_SETFD, FD_CLOEXEC) < 0) {
		sk_seterrno(err, errlen, "inherited fd %d", s->fd);
		return -1;
	}
	return 0;
}

/* A decimal environment value in [1, max], or -1 (unset, or not one). */
static long env_num(const char *name, long max)
{
	const char *v = getenv(name);
	char *end;

	if (!v || !*v)
		return -1;
	errno = 0;
	long n = strtol(v, &end, 10);
	return errno || *end || n < 1 || n > max ? -1 : n;
}

/* Read LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES once.  Sockets meant for
 * another process (LISTEN_PID not ours) are left alone, as sd_listen_fds
 * does. */
static int collect(char *err, size_t errlen)
{
	if (inh.collected)
		return 0;
	inh.collected = true;
	long pid = env_num("LISTEN_PID", 1L << 30);
	if (pid != (long)getpid())
		return 0;
	const char *fds = getenv("LISTEN_FDS");
	long n = env_num("LISTEN_FDS", SYSD_MAX_FDS);
	if (n < 0) {
		sk_seterr(err, errlen, "LISTEN_FDS=%s: not a count 1-%d", fds ? fds : "",
		          SYSD_MAX_FDS);
		return -1;
	}
	inh.n = (size_t)n;
	for (size_t i = 0; i < inh.n; i++)
		inh.in[i] = (struct inherited){ .fd = SD_LISTEN_FDS_START + (int)i };
	split_names(getenv("LISTEN_FDNAMES"));
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (size_t i = 0; i < inh.n; i++)
		if (inspect(&inh.in[i], err, errlen) < 0)
			return -1;
	return 0;
}

/* Whether two inet socket addresses are the same address and port. */
static bool same_inet(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

/* Whether the inherited socket is bound where ep would bind: the same
 * transport, and for tcp/udp one of ep's passive addresses (so a name,
 * a service port or "*" match too), for unix the same path or name. */
static bool matches(const struct inherited *s, const struct sk_endpoint *ep)
{
	struct addrinfo *res;
	char err[SK_ERRLEN];
	bool found = false;

	if (s->transport != ep->transport)
		return false;
	if (sk_endpoint_is_unix(ep)) {
		const char *path = strchr(s->text, ':') + 1;
		return strcmp(path, ep->path) == 0;
	}
	if (sk_endpoint_resolve(ep, true, &res, err, sizeof err) < 0)
		return false;
	for (struct addrinfo *ai = res; ai && !found; ai = ai->ai_next)
		found = same_inet(ai->ai_addr, (const struct sockaddr *)&s->addr);
	freeaddrinfo(res);
	return found;
}

/* Whether some endpoint of the plan is bound by this socket. */
static bool plan_has(const struct serve_plan *p, const struct inherited *s)
{
	for (size_t i = 0; i < p->n; i++)
		for (size_t j = 0; j < p->entries[i].neps; j++)
			if (matches(s, &p->entries[i].eps[j]))
				return true;
	return false;
}

/* Give entry i the socket's endpoint: in place of its defaults the first
 * time, added after that. */
static int add_to_entry(struct serve_plan *p, size_t i, const struct inherited *s,
                        char *err, size_t errlen)
{
	struct serve_entry *e = &p->entries[i];
	size_t keep = p->defaulted[i] ? 0 : e->neps;
	struct sk_endpoint *eps = realloc(e->eps, (keep + 1) * sizeof *eps);

	if (!eps) {
		sk_seterr(err, errlen, "out of memory");
		return -1;
	}
	e->eps = eps;
	if (sk_endpoint_parse(&eps[keep], s->text, err, errlen) < 0)
		return -1;
	e->neps = keep + 1;
	p->defaulted[i] = false;
	return 0;
}

/* A socket no endpoint claims goes to the service it is named after. */
static int adopt_by_name(struct serve_plan *p, const struct inherited *s,
                         char *err, size_t errlen)
{
	const struct service *svc = s->name[0] ? svc_find(s->name) : NULL;
	char *text = (char *)s->text;

	if (!svc) {
		sk_seterr(err, errlen, "inherited socket %d (%s, name '%s') matches no "
		          "endpoint or service", s->fd, s->text, s->name);
		return -1;
	}
	for (size_t i = 0; i < p->n; i++)
		if (p->entries[i].svc == svc)
			return add_to_entry(p, i, s, err, errlen);
	return plan_add(p, svc, &text, 1, err, errlen);
}

int sysd_adopt(struct serve_plan *p, char *err, size_t errlen)
{
	if (collect(err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < inh.n; i++)
		if (!plan_has(p, &inh.in[i]) && adopt_by_name(p, &inh.in[i], err, errlen) < 0)
			return -1;
	return 0;
}

int sysd_take(const struct sk_endpoint *ep)
{
	for (size_t i = 0; i < inh.n; i++)
		if (!inh.in[i].taken && matches(&inh.in[i], ep)) {
			inh.in[i].taken = true;
			return inh.in[i].fd;
		}
	return -1;
}

/* $NOTIFY_SOCKET as a socket address; its length, or 0 when unusable. */
static socklen_t notify_addr(const char *path, struct sockaddr_un *sun)
{
	size_t len = strlen(path);

	if ((path[0] != '/' && path[0] != '@') || len < 2 || len >= sizeof sun->sun_path)
		return 0;
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len);
	if (path[0] == '@')
		sun->sun_path[0] = '\0';   /* abstract: not NUL-terminated */
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
}

int sysd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;

	if (!path || !*path)
		return 0;
	if (!(len = notify_addr(path, &sun))) {
		errno = EINVAL;
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	                   (struct sockaddr *)&sun, len);
	int saved = errno;
	close(fd);
	errno = saved;
	return n < 0 ? -1 : 1;
}

int sysd_notify_reloading(void)
{
	struct timespec ts;
	char state[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(state, sizeof state, "RELOADING=1\nMONOTONIC_USEC=%llu",
	         (unsigned long long)ts.tv_sec * 1000000ULL +
	             (unsigned long long)ts.tv_nsec / 1000);
	return sysd_notify(state);
}
