/* endpoint.c — parse, resolve and format the endpoint notation. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockit/endpoint.h"
#include "sockit/error.h"

struct scheme {
	const char *prefix;
	enum sk_transport transport;
};

static const struct scheme schemes[] = {
	{ "tcp://", SK_TCP },
	{ "udp://", SK_UDP },
	{ "unixgram:", SK_UNIXGRAM },
	{ "unix:", SK_UNIX },
};

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int sk_parse_port(const char *text, const char *proto)
{
	long long v;

	if (all_digits(text))
		return sk_parse_num(text, 0, 65535, &v, "port", NULL, 0) ? -1 : (int)v;
	struct servent *se = getservbyname(text, proto);
	return se ? ntohs((uint16_t)se->s_port) : -1;
}

static bool valid_service_name(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static int parse_port(struct sk_endpoint *ep, const char *port,
                      const char *text, char *err, size_t errlen)
{
	const char *proto = ep->transport == SK_UDP ? "udp" : "tcp";
	char why[SK_ERRLEN];
	long long v;

	if (!*port) {
		sk_seterr(err, errlen, "endpoint '%s': missing port", text);
		return -1;
	}
	if (strlen(port) >= sizeof ep->port) {
		sk_seterr(err, errlen, "endpoint '%s': port too long", text);
		return -1;
	}
	if (all_digits(port)) {
		if (sk_parse_num(port, 0, 65535, &v, "port", why, sizeof why) < 0) {
			sk_seterr(err, errlen, "endpoint '%s': %s", text, why);
			return -1;
		}
	} else if (!valid_service_name(port) || sk_parse_port(port, proto) < 0) {
		sk_seterr(err, errlen, "endpoint '%s': unknown %s service '%s'",
		          text, proto, port);
		return -1;
	}
	strcpy(ep->port, port);
	return 0;
}

static bool valid_hostname(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 253)
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.' && *h != '_')
			return false;
	return true;
}

/* "[v6]:port", "*:port" or "host:port" after the scheme. */
static int parse_inet(struct sk_endpoint *ep, const char *rest,
                      const char *text, char *err, size_t errlen)
{
	char host[SK_HOSTLEN];
	const char *port;

	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');
		if (!close || close[1] != ':') {
			sk_seterr(err, errlen, "endpoint '%s': expected [IPv6]:PORT", text);
			return -1;
		}
		size_t n = (size_t)(close - rest - 1);
		struct in6_addr a6;
		if (n >= sizeof host) {
			sk_seterr(err, errlen, "endpoint '%s': host too long", text);
			return -1;
		}
		memcpy(host, rest + 1, n);
		host[n] = '\0';
		char *scope = strchr(host, '%');
		if (scope)
			*scope = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1) {
			sk_seterr(err, errlen, "endpoint '%s': bad IPv6 address '%.*s'",
			          text, (int)n, rest + 1);
			return -1;
		}
		if (scope)
			*scope = '%';
		port = close + 2;
	} else {
		const char *colon = strrchr(rest, ':');
		if (!colon) {
			sk_seterr(err, errlen, "endpoint '%s': expected HOST:PORT", text);
			return -1;
		}
		size_t n = (size_t)(colon - rest);
		if (n >= sizeof host) {
			sk_seterr(err, errlen, "endpoint '%s': host too long", text);
			return -1;
		}
		memcpy(host, rest, n);
		host[n] = '\0';
		if (memchr(host, ':', n)) {
			sk_seterr(err, errlen, "endpoint '%s': IPv6 address needs "
			          "brackets, as in [::1]:PORT", text);
			return -1;
		}
		ep->wildcard = strcmp(host, "*") == 0;
		if (!ep->wildcard && !valid_hostname(host)) {
			sk_seterr(err, errlen, "endpoint '%s': bad host '%s'", text, host);
			return -1;
		}
		if (ep->wildcard)
			host[0] = '\0';
		port = colon + 1;
	}
	strcpy(ep->host, host);
	return parse_port(ep, port, text, err, errlen);
}

static int parse_unix(struct sk_endpoint *ep, const char *path,
                      const char *text, char *err, size_t errlen)
{
	size_t n = strlen(path);

	if (n == 0 || (path[0] == '@' && n == 1)) {
		sk_seterr(err, errlen, "endpoint '%s': missing path", text);
		return -1;
	}
	if (n >= sizeof ep->path) {
		sk_seterr(err, errlen, "endpoint '%s': path longer than %zu bytes",
		          text, sizeof ep->path - 1);
		return -1;
	}
	memcpy(ep->path, path, n + 1);
	return 0;
}

int sk_endpoint_parse(struct sk_endpoint *ep, const char *text,
                      char *err, size_t errlen)
{
	const char *rest = text;

	memset(ep, 0, sizeof *ep);
	ep->transport = SK_TCP;
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		size_t n = strlen(schemes[i].prefix);
		if (strncmp(text, schemes[i].prefix, n) == 0) {
			ep->transport = schemes[i].transport;
			rest = text + n;
			break;
		}
	}
	if (rest == text && strstr(text, "://")) {
		sk_seterr(err, errlen, "endpoint '%s': unknown scheme (use tcp://, "
		          "udp://, unix: or unixgram:)", text);
		return -1;
	}
	if (sk_endpoint_is_unix(ep))
		return parse_unix(ep, rest, text, err, errlen);
	return parse_inet(ep, rest, text, err, errlen);
}

bool sk_endpoint_is_dgram(const struct sk_endpoint *ep)
{
	return ep->transport == SK_UDP || ep->transport == SK_UNIXGRAM;
}

bool sk_endpoint_is_unix(const struct sk_endpoint *ep)
{
	return ep->transport == SK_UNIX || ep->transport == SK_UNIXGRAM;
}

static const char *scheme_of(enum sk_transport t)
{
	switch (t) {
	case SK_TCP: return "tcp://";
	case SK_UDP: return "udp://";
	case SK_UNIX: return "unix:";
	case SK_UNIXGRAM: return "unixgram:";
	}
	return "?";
}

char *sk_endpoint_format(const struct sk_endpoint *ep, char *buf, size_t len)
{
	const char *s = scheme_of(ep->transport);

	if (sk_endpoint_is_unix(ep))
		snprintf(buf, len, "%s%s", s, ep->path);
	else if (ep->wildcard)
		snprintf(buf, len, "%s*:%s", s, ep->port);
	else if (strchr(ep->host, ':'))
		snprintf(buf, len, "%s[%s]:%s", s, ep->host, ep->port);
	else
		snprintf(buf, len, "%s%s:%s", s, ep->host, ep->port);
	return buf;
}

int sk_endpoint_resolve(const struct sk_endpoint *ep, bool passive,
                        struct addrinfo **res, char *err, size_t errlen)
{
	struct addrinfo hints = { 0 };
	char shown[SK_ADDRSTRLEN];

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = ep->transport == SK_UDP ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	if (all_digits(ep->port))
		hints.ai_flags |= AI_NUMERICSERV;
	const char *host = ep->wildcard ? "::" : ep->host;
	int rc = getaddrinfo(host, ep->port, &hints, res);
	if (rc != 0 && ep->wildcard)
		rc = getaddrinfo("0.0.0.0", ep->port, &hints, res);
	if (rc != 0) {
		sk_seterr(err, errlen, "resolve %s: %s",
		          sk_endpoint_format(ep, shown, sizeof shown),
		          rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	return 0;
}

socklen_t sk_endpoint_unix_addr(const struct sk_endpoint *ep,
                                struct sockaddr_un *sun)
{
	size_t n = strlen(ep->path);

	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, ep->path, n);
	if (ep->path[0] == '@') {
		/* Abstract: a leading NUL, and the length says where it ends. */
		sun->sun_path[0] = '\0';
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	}
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

static char *format_unix(const struct sockaddr_un *sun, socklen_t salen,
                         char *buf, size_t len)
{
	size_t off = offsetof(struct sockaddr_un, sun_path);
	size_t n = salen > off ? salen - off : 0;

	if (n > sizeof sun->sun_path)
		n = sizeof sun->sun_path;
	if (n == 0)
		snprintf(buf, len, "(unnamed)");
	else if (sun->sun_path[0] == '\0')
		snprintf(buf, len, "@%.*s", (int)(n - 1), sun->sun_path + 1);
	else
		snprintf(buf, len, "%.*s", (int)strnlen(sun->sun_path, n), sun->sun_path);
	return buf;
}

char *sk_addr_format(const struct sockaddr *sa, socklen_t salen,
                     char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN + 16];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		if (s6->sin6_scope_id)
			snprintf(host + strlen(host), sizeof host - strlen(host), "%%%u",
			         s6->sin6_scope_id);
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_UNIX) {
		format_unix((const struct sockaddr_un *)sa, salen, buf, len);
	} else {
		snprintf(buf, len, "(family %d)", sa->sa_family);
	}
	return buf;
}

char *sk_addr_format_endpoint(enum sk_transport t, const struct sockaddr *sa,
                              socklen_t salen, char *buf, size_t len)
{
	char addr[SK_ADDRSTRLEN];

	snprintf(buf, len, "%s%s", scheme_of(t), sk_addr_format(sa, salen, addr, sizeof addr));
	return buf;
}
