/* fuzz_endpoint.c — libFuzzer target for the endpoint parser: any text
 * either fails with an error naming the endpoint, or parses into an
 * endpoint whose canonical text parses back to the same endpoint.
 *
 *   tests/fuzz/build.sh builds it (see fuzz-sources below); by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iinclude tests/fuzz/fuzz_endpoint.c lib/endpoint.c lib/error.c \
 *     -o fuzz_endpoint
 *
 * fuzz-sources: lib/endpoint.c lib/parse.c lib/error.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockit/endpoint.h"
#include "sockit/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct sk_endpoint *a, const struct sk_endpoint *b)
{
	if (a->transport != b->transport || a->wildcard != b->wildcard ||
	    strcmp(a->host, b->host) || strcmp(a->port, b->port) ||
	    strcmp(a->path, b->path))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_endpoint ep, again;
	char err[SK_ERRLEN], canon[SK_ADDRSTRLEN], canon2[SK_ADDRSTRLEN];

	if (size > 4096)
		return 0;
	char *text = malloc(size + 1); /* exact size: over-reads trap */
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if (sk_endpoint_parse(&ep, text, err, sizeof err) == 0) {
		/* Names fit their fields, and the canonical form round-trips. */
		if (strnlen(ep.host, sizeof ep.host) == sizeof ep.host ||
		    strnlen(ep.port, sizeof ep.port) == sizeof ep.port)
			abort();
		sk_endpoint_format(&ep, canon, sizeof canon);
		if (strlen(canon) < sizeof canon - 1) { /* not cut short */
			if (sk_endpoint_parse(&again, canon, err, sizeof err) != 0)
				abort();
			same(&ep, &again);
			sk_endpoint_format(&again, canon2, sizeof canon2);
			if (strcmp(canon, canon2) != 0)
				abort();
		}
	} else if (strncmp(err, "endpoint '", 10) != 0) {
		abort();
	}
	free(text);
	return 0;
}
