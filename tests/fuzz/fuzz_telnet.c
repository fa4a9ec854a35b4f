/* fuzz_telnet.c — libFuzzer target for --telnet's parser
 * (nc_telnet_filter).  The first byte picks a chunk size; the rest is
 * what a server sends.  Fed whole, then again in chunks to a fresh
 * parser, it must give the same data and the same refusals (the parser
 * resumes across reads), never more data than came in, and refusals that
 * are well-formed: IAC WONT/DONT OPT, one per DO/WILL, none for DONT/WONT.
 *
 * fuzz-sources: src/netcat/telnet.c */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcat/netcat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feed in[0..n) in chunks of at most chunk bytes; the data out in *out
 * (malloc'd), its length returned; the refusals appended to rep. */
static size_t run(const uint8_t *in, size_t n, size_t chunk, char **out,
                  unsigned char *rep, size_t *nrep)
{
	struct nc_telnet *t = nc_telnet_new();
	char *o = malloc(n + 1);
	size_t len = 0;
	const unsigned char *q;

	assert(t && o);
	*nrep = 0;
	for (size_t i = 0; i < n; i += chunk) {
		size_t k = n - i < chunk ? n - i : chunk;
		size_t got = nc_telnet_filter(t, (const char *)in + i, k, o + len);
		assert(got <= k);
		len += got;
		size_t p = nc_telnet_pending(t, &q);
		assert(p <= NC_TELNET_REPLY_MAX && p % 3 == 0);
		memcpy(rep + *nrep, q, p);
		*nrep += p;
		nc_telnet_consume(t, p);
		assert(!nc_telnet_full(t));
	}
	nc_telnet_free(t);
	*out = o;
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > NC_FILTER_MAX_IN)
		return 0;
	size_t chunk = data[0] % 17 + 1, n = size - 1;
	const uint8_t *in = data + 1;
	unsigned char *r1 = malloc(n + 3), *r2 = malloc(n + 3);
	char *o1, *o2;
	size_t n1, n2;
	size_t l1 = run(in, n, n ? n : 1, &o1, r1, &n1);
	size_t l2 = run(in, n, chunk, &o2, r2, &n2);

	assert(l1 == l2 && memcmp(o1, o2, l1) == 0);
	assert(n1 == n2 && memcmp(r1, r2, n1) == 0);
	assert(n1 <= n);
	for (size_t i = 0; i < n1; i += 3) {
		assert(r1[i] == 255);
		assert(r1[i + 1] == 252 || r1[i + 1] == 254);     /* WONT, DONT */
	}
	free(o1), free(o2), free(r1), free(r2);
	return 0;
}
