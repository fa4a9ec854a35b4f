/* shard.h — split a scan's work into N disjoint slices (--shard I/N). */
#ifndef SCAN_SHARD_H
#define SCAN_SHARD_H

#include <stddef.h>
#include <stdint.h>

#define SHARD_MAX 65536u

/* Slice index of count, 1-based as written on the command line.  Item w of
 * the whole work belongs to slice (w mod count) + 1, so slices interleave:
 * each machine scans every host and port range a little. */
struct shard {
	uint32_t index, count;
};

/* Parse "I/N" with 1 <= I <= N <= SHARD_MAX; 0 or -1 with err. */
int shard_parse(struct shard *s, const char *text, char *err, size_t errlen);

/* How many of total items fall in the slice. */
uint64_t shard_size(const struct shard *s, uint64_t total);

/* The global index of the slice's k-th item (k < shard_size). */
uint64_t shard_item(const struct shard *s, uint64_t k);

#endif
