/* shard.c — interleaved slices of the work: item w is in slice w mod N. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "scan/shard.h"
#include "sockit/error.h"

static bool parse_part(const char *s, size_t len, unsigned long *out)
{
	if (len == 0 || len > 6)
		return false;
	*out = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*out = *out * 10 + (unsigned long)(s[i] - '0');
	}
	return true;
}

int shard_parse(struct shard *s, const char *text, char *err, size_t errlen)
{
	const char *slash = strchr(text, '/');
	unsigned long i, n;

	if (!slash || !parse_part(text, (size_t)(slash - text), &i) ||
	    !parse_part(slash + 1, strlen(slash + 1), &n) ||
	    n < 1 || n > SHARD_MAX || i < 1 || i > n) {
		sk_seterr(err, errlen, "shard '%s': want I/N with 1 <= I <= N <= %u",
		          text, SHARD_MAX);
		return -1;
	}
	s->index = (uint32_t)i;
	s->count = (uint32_t)n;
	return 0;
}

uint64_t shard_size(const struct shard *s, uint64_t total)
{
	uint64_t first = s->index - 1;
	return total <= first ? 0 : (total - 1 - first) / s->count + 1;
}

uint64_t shard_item(const struct shard *s, uint64_t k)
{
	return (uint64_t)(s->index - 1) + k * s->count;
}
