/* fuzz_proxy_reply.c — libFuzzer target for the replies --proxy parses
 * (src/netcat/proxy_reply.c): the first byte picks the parser (SOCKS5
 * method choice, RFC 1929 status, SOCKS5 CONNECT reply, HTTP response
 * head to CONNECT), the rest is what a hostile proxy sends.  Every
 * parser must consume no more than it was given, and answer the same for
 * exactly what it consumed; a prefix shorter than that is "incomplete"
 * (-2), never another verdict (all prefixes up to 64 bytes, a sample
 * beyond).  The input sits at the
 * very end of its own allocation, so a read past it is an ASan error.
 *
 * fuzz-sources: src/netcat/proxy_reply.c */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcat/netcat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parser k on b[0..n): its result, the value it reports in *v. */
static int parse(int k, const unsigned char *b, size_t n, int *v)
{
	size_t need;

	switch (k) {
	case 0: return nc_socks5_method_reply(b, n, v);
	case 1: return nc_socks5_auth_reply(b, n, v);
	case 2: {
		int r = nc_socks5_connect_reply(b, n, v, &need);
		assert(need >= 5 && need <= 4 + 256 + 2);
		assert(r < 0 || (size_t)r == need);
		return r;
	}
	default: return nc_http_connect_reply((const char *)b, n, v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 2 * NC_HTTP_HEAD_MAX)
		return 0;
	int k = data[0] % 4, v = -1, v2;
	size_t n = size - 1;
	unsigned char *b = malloc(n ? n : 1);

	memcpy(b, data + 1, n);
	int r = parse(k, b, n, &v);
	assert(r == -1 || r == -2 || (r > 0 && (size_t)r <= n));
	if (r > 0) {
		/* The same verdict on exactly the reply, and "incomplete" or
		 * "bad" on any shorter prefix, never another complete reply. */
		unsigned char *e = malloc((size_t)r);
		memcpy(e, b, (size_t)r);
		assert(parse(k, e, (size_t)r, &v2) == r && v2 == v);
		free(e);
		for (size_t p = 0; p < (size_t)r; p = p < 64 ? p + 1 : p + (size_t)r / 8 + 1) {
			unsigned char *s = malloc(p ? p : 1);
			memcpy(s, b, p);
			assert(parse(k, s, p, &v2) == -2);
			free(s);
		}
		if (k == 3)
			assert(v >= 100 && v <= 999);
	}
	free(b);
	return 0;
}
