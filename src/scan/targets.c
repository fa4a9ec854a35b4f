/* targets.c — expand scan targets (names, addresses, CIDR) into hosts. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/targets.h"
#include "sockit/error.h"
#include "sockit/parse.h"

static int grow(struct target_list *tl, size_t more, const char *text,
                char *err, size_t errlen)
{
	if (more > TARGETS_MAX_HOSTS - tl->count) {
		sk_seterr(err, errlen, "target '%s': %zu addresses, at most %u in "
		          "one scan", text, tl->count + more, TARGETS_MAX_HOSTS);
		return -1;
	}
	if (tl->count + more <= tl->cap)
		return 0;
	size_t cap = tl->cap ? tl->cap : 16;
	while (cap < tl->count + more)
		cap *= 2;
	struct scan_host *h = realloc(tl->hosts, cap * sizeof *h);
	if (!h) {
		sk_seterr(err, errlen, "target '%s': out of memory", text);
		return -1;
	}
	tl->hosts = h;
	tl->cap = cap;
	return 0;
}

static int add_sockaddr(struct target_list *tl, const struct sockaddr *sa,
                        const char *text, char *err, size_t errlen)
{
	struct scan_host h = { .family = sa->sa_family };
	if (sa->sa_family == AF_INET) {
		memcpy(h.addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		memcpy(h.addr, &s6->sin6_addr, 16);
		h.scope = s6->sin6_scope_id;
	}
	/* "127.0.0.1 localhost" names one host: scan it once. */
	for (size_t i = 0; i < tl->count; i++)
		if (tl->hosts[i].family == h.family && tl->hosts[i].scope == h.scope &&
		    memcmp(tl->hosts[i].addr, h.addr, sizeof h.addr) == 0)
			return TARGET_OK;
	if (grow(tl, 1, text, err, errlen) < 0)
		return TARGET_BAD;
	tl->hosts[tl->count++] = h;
	return TARGET_OK;
}

/* Strip [brackets] around an IPv6 address into buf; false if malformed. */
static bool unbracket(const char *text, char *buf, size_t len)
{
	size_t n = strlen(text);
	if (text[0] == '[') {
		if (n < 2 || text[n - 1] != ']' || n - 2 >= len)
			return false;
		memmove(buf, text + 1, n - 2);
		buf[n - 2] = '\0';
		return true;
	}
	if (n >= len)
		return false;
	memmove(buf, text, n + 1);
	return true;
}

/* A name is plausible when it has only DNS characters (RFC 1123). */
static bool is_hostname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' &&
		    s[i] != '_')
			return false;
	return true;
}

static int lookup(struct target_list *tl, const char *text, const char *host,
                  int family, int flags, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_STREAM,
	                          .ai_flags = flags }, *res = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 && (flags & AI_NUMERICHOST)) {
		sk_seterr(err, errlen, "target '%s': not a host name, address or "
		          "address/prefix block", text);
		return TARGET_BAD;
	}
	if (rc != 0) {
		sk_seterr(err, errlen, "resolve %s: %s", text, gai_strerror(rc));
		return TARGET_UNRESOLVED;
	}
	rc = add_sockaddr(tl, res->ai_addr, text, err, errlen);
	freeaddrinfo(res);
	return rc;
}

/* Parse "ADDR/PREFIX": the network address in net, the prefix in *bits. */
static int parse_cidr(const char *text, struct scan_host *net, unsigned *bits,
                      char *err, size_t errlen)
{
	char buf[128];
	const char *slash = strrchr(text, '/');
	size_t alen = (size_t)(slash - text);
	if (alen >= sizeof buf)
		goto bad;
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	memset(net, 0, sizeof *net);
	if (inet_pton(AF_INET, buf, net->addr) == 1)
		net->family = AF_INET;
	else if (unbracket(buf, buf, sizeof buf) && inet_pton(AF_INET6, buf, net->addr) == 1)
		net->family = AF_INET6;
	else
		goto bad;
	long long v;
	/* The one bounded parser: no sign, no wrap, the whole text. */
	if (!isdigit((unsigned char)slash[1]) ||
	    sk_parse_num(slash + 1, 0, net->family == AF_INET ? 32 : 128, &v, NULL, NULL, 0) < 0)
		goto bad;
	*bits = (unsigned)v;
	return 0;
bad:
	sk_seterr(err, errlen, "target '%s': not an address/prefix block "
	          "(e.g. 192.0.2.0/24, 2001:db8::/120)", text);
	return -1;
}

/* Write the n addresses of the block net/bits into out, in order: the
 * network address once, then the index in the host bits.  n <= 65536, so
 * the index fits in the last two bytes (add_cidr refuses larger blocks);
 * a bit loop per address made a /16 cost 65536 x 128 steps. */
static void block_fill(struct scan_host *out, const struct scan_host *net,
                       unsigned bits, size_t n)
{
	unsigned alen = net->family == AF_INET ? 4 : 16;
	struct scan_host base = *net;

	for (unsigned b = bits; b < alen * 8; b++)
		base.addr[b >> 3] &= (uint8_t)~(0x80 >> (b & 7));
	for (size_t i = 0; i < n; i++) {
		out[i] = base;
		out[i].addr[alen - 1] |= (uint8_t)i;
		out[i].addr[alen - 2] |= (uint8_t)(i >> 8);
	}
}

static int add_cidr(struct target_list *tl, const char *text, char *err,
                    size_t errlen)
{
	struct scan_host net;
	unsigned bits;
	if (parse_cidr(text, &net, &bits, err, errlen) < 0)
		return TARGET_BAD;
	unsigned host_bits = (net.family == AF_INET ? 32 : 128) - bits;
	if (host_bits > 16) {
		sk_seterr(err, errlen, "target '%s': a /%u holds more than %u addresses "
		          "(smallest prefix /%u)", text, bits, TARGETS_MAX_HOSTS,
		          net.family == AF_INET ? 16 : 112);
		return TARGET_BAD;
	}
	size_t n = (size_t)1 << host_bits;
	if (grow(tl, n, text, err, errlen) < 0)
		return TARGET_BAD;
	block_fill(tl->hosts + tl->count, &net, bits, n);
	tl->count += n;
	return TARGET_OK;
}

int targets_add(struct target_list *tl, const char *text, int family,
                char *err, size_t errlen)
{
	char host[300];
	if (strchr(text, '/'))
		return add_cidr(tl, text, err, errlen);
	if (!unbracket(text, host, sizeof host) || !*host) {
		sk_seterr(err, errlen, "target '%s': not a host name, address or "
		          "address/prefix block", text);
		return TARGET_BAD;
	}
	if (strchr(host, ':') || !is_hostname(host) ||
	    strspn(host, "0123456789.") == strlen(host))
		return lookup(tl, text, host, family, AI_NUMERICHOST, err, errlen);
	return lookup(tl, text, host, family, 0, err, errlen);
}

void targets_free(struct target_list *tl)
{
	free(tl->hosts);
	memset(tl, 0, sizeof *tl);
}

socklen_t host_sockaddr(const struct scan_host *h, uint16_t port,
                        struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (h->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, h->addr, 4);
		return sizeof *s4;
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	s6->sin6_scope_id = h->scope;
	memcpy(&s6->sin6_addr, h->addr, 16);
	return sizeof *s6;
}

char *host_format(const struct scan_host *h, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	inet_ntop(h->family, h->addr, a, sizeof a);
	if (h->family == AF_INET6 && h->scope)
		snprintf(buf, len, "%s%%%u", a, h->scope);
	else
		snprintf(buf, len, "%s", a);
	return buf;
}
