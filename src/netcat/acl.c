/* acl.c — --allow/--deny: networks in CIDR notation, matched against a
 * peer's address (IPv4-mapped IPv6 peers match IPv4 rules). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcat/netcat.h"

int nc_parse_cidr(const char *text, struct nc_cidr *c)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
	long long bits;

	if (hlen == 0 || hlen >= sizeof host)
		return -1;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	memset(c, 0, sizeof *c);
	if (inet_pton(AF_INET, host, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, host, c->addr) == 1)
		c->family = AF_INET6;
	else
		return -1;
	int max = c->family == AF_INET ? 32 : 128;
	bits = max;
	if (slash && sk_parse_num(slash + 1, 0, max, &bits, "prefix", NULL, 0) < 0)
		return -1;
	c->bits = (int)bits;
	return 0;
}

/* The peer as (family, bytes), unwrapping IPv4-mapped IPv6. */
static int peer_bytes(const struct sockaddr *sa, unsigned char out[16])
{
	if (sa->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(out, a->s6_addr + 12, 4);
			return AF_INET;
		}
		memcpy(out, a->s6_addr, 16);
		return AF_INET6;
	}
	return 0;
}

static bool cidr_match(const struct nc_cidr *c, int fam, const unsigned char *a)
{
	int full = c->bits / 8, rest = c->bits % 8;

	if (fam != c->family)
		return false;
	if (memcmp(a, c->addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (c->addr[full] & mask);
}

static void cidr_text(const struct nc_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(c->family, c->addr, a, sizeof a);
	snprintf(buf, len, "%s/%d", a, c->bits);
}

bool nc_peer_allowed(const struct nc_opts *o, const struct sockaddr *sa,
                     char *why, size_t whylen)
{
	unsigned char a[16];
	char rule[INET6_ADDRSTRLEN + 8];
	int fam = peer_bytes(sa, a);

	if (!fam)               /* UNIX peers have no address to match */
		return true;
	for (int i = 0; i < o->ndeny; i++)
		if (cidr_match(&o->deny[i], fam, a)) {
			cidr_text(&o->deny[i], rule, sizeof rule);
			snprintf(why, whylen, "--deny %s", rule);
			return false;
		}
	if (o->nallow == 0)
		return true;
	for (int i = 0; i < o->nallow; i++)
		if (cidr_match(&o->allow[i], fam, a))
			return true;
	snprintf(why, whylen, "not in --allow");
	return false;
}
