/* proxy.c — --proxy: reach the target through SOCKS5 (RFC 1928, with
 * RFC 1929 user/password) or an HTTP CONNECT proxy, as OpenBSD nc's
 * -X 5 / -X connect.  Blocking-style exchanges with a bounded wait. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netcat/netcat.h"
#include "sockit/error.h"
#include "sockit/io.h"
#include "sockit/net.h"

#define PROXY_TIMEOUT_MS 10000
#define HTTP_HEAD_MAX 8192

int nc_proxy_parse(const char *url, char *scheme, size_t slen,
                   struct sk_endpoint *ep, char *err, size_t errlen)
{
	const char *sep = strstr(url, "://");
	char text[SK_HOSTLEN + SK_PORTLEN + 16];

	if (!sep || (size_t)(sep - url) >= slen) {
		sk_seterr(err, errlen, "--proxy '%s': expected socks5://HOST:PORT or http://HOST:PORT", url);
		return -1;
	}
	snprintf(scheme, slen, "%.*s", (int)(sep - url), url);
	if (strcmp(scheme, "socks5") != 0 && strcmp(scheme, "socks5h") != 0 &&
	    strcmp(scheme, "http") != 0) {
		sk_seterr(err, errlen, "--proxy '%s': unknown scheme '%s' (socks5, http)", url, scheme);
		return -1;
	}
	snprintf(text, sizeof text, "tcp://%.*s", (int)(sizeof text - 8), sep + 3);
	text[strcspn(text + 6, "/") + 6] = '\0';
	return sk_endpoint_parse(ep, text, err, errlen);
}

static int proxy_err(char *err, size_t errlen, const char *what)
{
	sk_seterr(err, errlen, "proxy: %s", what);
	return -1;
}

static int send_exact(int fd, const void *p, size_t n, char *err, size_t errlen)
{
	if (sk_send_all(fd, p, n, PROXY_TIMEOUT_MS) != (ssize_t)n)
		return sk_seterrno(err, errlen, "proxy: send"), -1;
	return 0;
}

static int recv_n(int fd, void *p, size_t n, char *err, size_t errlen)
{
	ssize_t r = sk_recv_exact(fd, p, n, PROXY_TIMEOUT_MS);

	if (r < 0)
		return sk_seterrno(err, errlen, "proxy: recv"), -1;
	if ((size_t)r != n)
		return proxy_err(err, errlen, "closed the connection");
	return 0;
}

static const char *socks_reply(unsigned char code)
{
	static const char *why[] = {
		"succeeded", "general failure", "connection not allowed by ruleset",
		"network unreachable", "host unreachable", "connection refused",
		"TTL expired", "command not supported", "address type not supported",
	};
	return code < sizeof why / sizeof why[0] ? why[code] : "unknown error";
}

/* RFC 1929 sub-negotiation. */
static int socks_auth(const struct nc_opts *o, int fd, char *err, size_t errlen)
{
	const char *colon = strchr(o->proxy_auth, ':');
	size_t ul = (size_t)(colon - o->proxy_auth), pl = strlen(colon + 1);
	unsigned char req[515], rep[2];

	if (ul > 255 || pl > 255)
		return proxy_err(err, errlen, "user or password longer than 255 bytes");
	req[0] = 1;
	req[1] = (unsigned char)ul;
	memcpy(req + 2, o->proxy_auth, ul);
	req[2 + ul] = (unsigned char)pl;
	memcpy(req + 3 + ul, colon + 1, pl);
	if (send_exact(fd, req, 3 + ul + pl, err, errlen) < 0 || recv_n(fd, rep, 2, err, errlen) < 0)
		return -1;
	return rep[1] == 0 ? 0 : proxy_err(err, errlen, "authentication failed");
}

/* Skip the bound address of a SOCKS5 reply (its length depends on type). */
static int socks_skip_addr(int fd, unsigned char atyp, char *err, size_t errlen)
{
	unsigned char b[262];
	size_t n;

	if (atyp == 1)
		n = 4;
	else if (atyp == 4)
		n = 16;
	else if (atyp == 3) {
		if (recv_n(fd, b, 1, err, errlen) < 0)
			return -1;
		n = b[0];
	} else
		return proxy_err(err, errlen, "bad SOCKS5 reply");
	return recv_n(fd, b, n + 2, err, errlen);
}

static int socks5(const struct nc_opts *o, int fd, const char *host, int port,
                  char *err, size_t errlen)
{
	unsigned char req[300], rep[4];
	size_t n = 0, hl = strlen(host);

	req[0] = 5;
	req[1] = 1;
	req[2] = o->proxy_auth ? 2 : 0;
	if (send_exact(fd, req, 3, err, errlen) < 0 || recv_n(fd, rep, 2, err, errlen) < 0)
		return -1;
	if (rep[0] != 5 || rep[1] != req[2])
		return proxy_err(err, errlen, "no acceptable SOCKS5 authentication method");
	if (o->proxy_auth && socks_auth(o, fd, err, errlen) < 0)
		return -1;
	req[n++] = 5, req[n++] = 1, req[n++] = 0;
	if (inet_pton(AF_INET, host, req + n + 1) == 1) {
		req[n] = 1;
		n += 5;
	} else if (inet_pton(AF_INET6, host, req + n + 1) == 1) {
		req[n] = 4;
		n += 17;
	} else {
		if (hl > 255)
			return proxy_err(err, errlen, "host name too long");
		req[n++] = 3;
		req[n++] = (unsigned char)hl;
		memcpy(req + n, host, hl);
		n += hl;
	}
	req[n++] = (unsigned char)(port >> 8);
	req[n++] = (unsigned char)port;
	if (send_exact(fd, req, n, err, errlen) < 0 || recv_n(fd, rep, 4, err, errlen) < 0)
		return -1;
	if (rep[1] != 0) {
		sk_seterr(err, errlen, "proxy: connect %s:%d: %s", host, port, socks_reply(rep[1]));
		return -1;
	}
	return socks_skip_addr(fd, rep[3], err, errlen);
}

static void base64(const char *in, char *out, size_t outlen)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;

	for (size_t i = 0; i < n && o + 5 < outlen; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		if (i + 1 < n) v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n) v |= (unsigned char)in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

/* Read the response head without consuming a byte past it: peek, find
 * the blank line, then take exactly that much. */
static int http_head(int fd, char *head, size_t cap, char *err, size_t errlen)
{
	for (;;) {
		if (sk_wait_fd(fd, POLLIN, PROXY_TIMEOUT_MS) <= 0)
			return proxy_err(err, errlen, "no answer to CONNECT");
		ssize_t n = recv(fd, head, cap - 1, MSG_PEEK);
		if (n <= 0)
			return proxy_err(err, errlen, "closed the connection");
		head[n] = '\0';
		char *end = strstr(head, "\r\n\r\n");
		if (end) {
			size_t len = (size_t)(end - head) + 4;
			if (recv_n(fd, head, len, err, errlen) < 0)
				return -1;
			head[len] = '\0';
			return 0;
		}
		if ((size_t)n >= cap - 1)
			return proxy_err(err, errlen, "response head too long");
		/* Wait for more than what we peeked (no spinning on the same bytes). */
		struct pollfd p = { fd, POLLIN, 0 };
		poll(&p, 1, 50);
	}
}

static int http_connect(const struct nc_opts *o, int fd, const char *host, int port,
                        char *err, size_t errlen)
{
	char req[1024], auth[700] = "", b64[600], head[HTTP_HEAD_MAX];
	bool v6 = strchr(host, ':') != NULL;
	int n, code = 0;

	if (o->proxy_auth) {
		base64(o->proxy_auth, b64, sizeof b64);
		snprintf(auth, sizeof auth, "Proxy-Authorization: Basic %s\r\n", b64);
	}
	n = snprintf(req, sizeof req, "CONNECT %s%s%s:%d HTTP/1.1\r\nHost: %s%s%s:%d\r\n%s\r\n",
	             v6 ? "[" : "", host, v6 ? "]" : "", port, v6 ? "[" : "", host,
	             v6 ? "]" : "", port, auth);
	if (n < 0 || (size_t)n >= sizeof req)
		return proxy_err(err, errlen, "request too long");
	if (send_exact(fd, req, (size_t)n, err, errlen) < 0 ||
	    http_head(fd, head, sizeof head, err, errlen) < 0)
		return -1;
	if (sscanf(head, "HTTP/%*d.%*d %d", &code) != 1)
		return proxy_err(err, errlen, "not an HTTP response");
	if (code != 200) {
		head[strcspn(head, "\r\n")] = '\0';
		sk_seterr(err, errlen, "proxy: CONNECT %s:%d: %s", host, port, head);
		return -1;
	}
	return 0;
}

int nc_proxy_handshake(const struct nc_opts *o, int fd, const char *host,
                       const char *port, char *err, size_t errlen)
{
	char scheme[16];
	struct sk_endpoint pep;
	int p = sk_parse_port(port, "tcp");

	if (p < 0)
		return proxy_err(err, errlen, "bad target port");
	if (nc_proxy_parse(o->proxy, scheme, sizeof scheme, &pep, err, errlen) < 0)
		return -1;
	if (strcmp(scheme, "http") == 0)
		return http_connect(o, fd, host, p, err, errlen);
	return socks5(o, fd, host, p, err, errlen);
}
