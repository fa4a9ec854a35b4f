/* proxy.c — --proxy: reach the target through SOCKS5 (RFC 1928, with
 * RFC 1929 user/password) or an HTTP CONNECT proxy, as OpenBSD nc's
 * -X 5 / -X connect.  Blocking-style exchanges within one deadline; the
 * replies are parsed by proxy_reply.c. */
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
#include "sockit/loop.h"
#include "sockit/net.h"

#define PROXY_TIMEOUT_MS 10000     /* the whole exchange, when -w does not say */

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

/* One proxy exchange: the socket and the deadline of the whole of it (a
 * proxy trickling its reply byte by byte gets no more time). */
struct px {
	int fd;
	uint64_t ms, deadline;  /* how long in all, and until when (sk_now_ms) */
	char *err;
	size_t errlen;
};

static int proxy_err(struct px *x, const char *what)
{
	sk_seterr(x->err, x->errlen, "proxy: %s", what);
	return -1;
}

static int left_ms(const struct px *x)
{
	uint64_t now = sk_now_ms();

	return now >= x->deadline ? 0 : (int)(x->deadline - now);
}

static int expired(struct px *x)
{
	sk_seterr_deadline(x->err, x->errlen, x->ms, "proxy");
	return -1;
}

static int send_exact(struct px *x, const void *p, size_t n)
{
	if (sk_send_all(x->fd, p, n, left_ms(x)) != (ssize_t)n)
		return errno == ETIMEDOUT ? expired(x)
		                          : (sk_seterrno(x->err, x->errlen, "proxy: send"), -1);
	return 0;
}

/* Exactly n bytes, within the deadline. */
static int recv_n(struct px *x, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(x->fd, (char *)p + got, n - got, MSG_DONTWAIT);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0)
			return proxy_err(x, "closed the connection");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return sk_seterrno(x->err, x->errlen, "proxy: recv"), -1;
		if (left_ms(x) == 0 || sk_wait_fd(x->fd, POLLIN, left_ms(x)) == 0)
			return expired(x);
	}
	return 0;
}

static const char *socks_reply(int code)
{
	static const char *why[] = {
		"succeeded", "general failure", "connection not allowed by ruleset",
		"network unreachable", "host unreachable", "connection refused",
		"TTL expired", "command not supported", "address type not supported",
	};
	return code >= 0 && code < (int)(sizeof why / sizeof why[0]) ? why[code] : "unknown error";
}

/* RFC 1929 sub-negotiation. */
static int socks_auth(const struct nc_opts *o, struct px *x)
{
	const char *colon = strchr(o->proxy_auth, ':');
	size_t ul = (size_t)(colon - o->proxy_auth), pl = strlen(colon + 1);
	unsigned char req[515], rep[2];
	int status;

	if (ul > 255 || pl > 255)
		return proxy_err(x, "user or password longer than 255 bytes");
	req[0] = 1;
	req[1] = (unsigned char)ul;
	memcpy(req + 2, o->proxy_auth, ul);
	req[2 + ul] = (unsigned char)pl;
	memcpy(req + 3 + ul, colon + 1, pl);
	if (send_exact(x, req, 3 + ul + pl) < 0 || recv_n(x, rep, 2) < 0)
		return -1;
	if (nc_socks5_auth_reply(rep, 2, &status) < 0)
		return proxy_err(x, "bad RFC 1929 reply");
	return status == 0 ? 0 : proxy_err(x, "authentication failed");
}

/* The CONNECT reply: its fixed part, then as much as its address type
 * says (RFC 1928 §6). */
static int socks_reply_read(struct px *x, const char *host, int port)
{
	unsigned char rep[4 + 1 + 255 + 2];
	size_t need;
	int code, r;

	if (recv_n(x, rep, 5) < 0)
		return -1;
	r = nc_socks5_connect_reply(rep, 5, &code, &need);
	if (r == -2 && need > 5 && need <= sizeof rep) {
		if (recv_n(x, rep + 5, need - 5) < 0)
			return -1;
		r = nc_socks5_connect_reply(rep, need, &code, &need);
	}
	if (r < 0)
		return proxy_err(x, "bad SOCKS5 reply");
	if (code != 0) {
		sk_seterr(x->err, x->errlen, "proxy: connect %s:%d: %s", host, port, socks_reply(code));
		return -1;
	}
	return 0;
}

static int socks5(const struct nc_opts *o, struct px *x, const char *host, int port)
{
	unsigned char req[300], rep[2];
	size_t n = 0, hl = strlen(host);
	int method;

	req[0] = 5;
	req[1] = 1;
	req[2] = o->proxy_auth ? 2 : 0;
	if (send_exact(x, req, 3) < 0 || recv_n(x, rep, 2) < 0)
		return -1;
	if (nc_socks5_method_reply(rep, 2, &method) < 0)
		return proxy_err(x, "not a SOCKS5 proxy");
	if (method != req[2])
		return proxy_err(x, "no acceptable SOCKS5 authentication method");
	if (o->proxy_auth && socks_auth(o, x) < 0)
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
			return proxy_err(x, "host name too long");
		req[n++] = 3;
		req[n++] = (unsigned char)hl;
		memcpy(req + n, host, hl);
		n += hl;
	}
	req[n++] = (unsigned char)(port >> 8);
	req[n++] = (unsigned char)port;
	if (send_exact(x, req, n) < 0)
		return -1;
	return socks_reply_read(x, host, port);
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

/* Whether the peer has shut down its sending side (nothing more will come). */
static bool peer_closed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Read the response head without consuming a byte past it (those are the
 * tunnel's): peek, parse, and while it is incomplete wait for more than
 * was peeked (SO_RCVLOWAT, so poll does not report the same bytes again);
 * then take exactly the head.  Its status code in *code. */
static int http_head(struct px *x, char *head, int *code)
{
	ssize_t last = 0;
	int r = -2;

	while (r == -2) {
		if (left_ms(x) == 0 || sk_wait_fd(x->fd, POLLIN, left_ms(x)) == 0) {
			r = expired(x);
			break;
		}
		ssize_t n = recv(x->fd, head, NC_HTTP_HEAD_MAX, MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		/* Readable with nothing new is EOF only if the peer said so: a
		 * wake-up below the low-water mark is waited out again. */
		if (n == last && n > 0 && !peer_closed(x->fd))
			continue;
		if (n <= 0 || n == last) {      /* readable, nothing new: EOF */
			r = n < 0 ? (sk_seterrno(x->err, x->errlen, "proxy: recv"), -1)
			          : proxy_err(x, "closed the connection");
			break;
		}
		last = n;
		r = nc_http_connect_reply(head, (size_t)n, code);
		if (r == -1)
			proxy_err(x, n >= NC_HTTP_HEAD_MAX ? "response head too long"
			                                   : "not an HTTP response");
		int lowat = (int)n + 1;
		if (r == -2)
			(void)setsockopt(x->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
	}
	int one = 1;
	(void)setsockopt(x->fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
	if (r < 0)
		return -1;
	if (recv_n(x, head, (size_t)r) < 0)
		return -1;
	head[r] = '\0';
	return 0;
}

static int http_connect(const struct nc_opts *o, struct px *x, const char *host, int port)
{
	char req[1024], auth[700] = "", b64[600], head[NC_HTTP_HEAD_MAX + 1];
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
		return proxy_err(x, "request too long");
	if (send_exact(x, req, (size_t)n) < 0 || http_head(x, head, &code) < 0)
		return -1;
	/* Any 2xx switches the connection to a tunnel (RFC 9110 §9.3.6). */
	if (code / 100 != 2) {
		head[strcspn(head, "\r\n")] = '\0';
		sk_seterr(x->err, x->errlen, "proxy: CONNECT %s:%d: %s", host, port, head);
		return -1;
	}
	return 0;
}

int nc_proxy_handshake(const struct nc_opts *o, int fd, const char *host,
                       const char *port, char *err, size_t errlen)
{
	char scheme[16];
	struct sk_endpoint pep;
	uint64_t ms = o->wait_ms >= 0 ? (uint64_t)o->wait_ms : PROXY_TIMEOUT_MS;
	struct px x = { fd, ms, sk_now_ms() + ms, err, errlen };
	int p = sk_parse_port(port, "tcp");

	if (p < 0)
		return proxy_err(&x, "bad target port");
	if (nc_proxy_parse(o->proxy, scheme, sizeof scheme, &pep, err, errlen) < 0)
		return -1;
	if (strcmp(scheme, "http") == 0)
		return http_connect(o, &x, host, p);
	return socks5(o, &x, host, p);
}
