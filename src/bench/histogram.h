/* histogram.h — log-linear latency histogram for the load generator.
 *
 * Like HdrHistogram: values below 2^SUB_BITS are counted exactly, larger
 * ones fall into one of 2^SUB_BITS linear sub-buckets per power of two, so
 * every recorded value is known to within 1/2^SUB_BITS (1.6%).  The whole
 * uint64 range fits in a fixed array: recording is two shifts and an add,
 * with no allocation, and histograms of several threads merge by adding. */
#ifndef SOCKIT_BENCH_HISTOGRAM_H
#define SOCKIT_BENCH_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB      (1u << HIST_SUB_BITS)
/* Octaves HIST_SUB_BITS..63 each get HIST_SUB buckets, plus the exact
 * range below HIST_SUB. */
#define HIST_BUCKETS  ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct histogram {
	uint64_t count;
	uint64_t min, max;
	long double sum;                 /* for the mean; no overflow at ns scale */
	uint64_t bucket[HIST_BUCKETS];
};

/* Empty h. */
void hist_init(struct histogram *h);

/* Count one value (nanoseconds, or any unit). */
void hist_record(struct histogram *h, uint64_t v);

/* Add every count of src into dst. */
void hist_merge(struct histogram *dst, const struct histogram *src);

/* The value at or below which pct percent (0-100) of the values lie: the
 * highest value of that bucket, clamped to the recorded min and max.  0 for
 * an empty histogram. */
uint64_t hist_percentile(const struct histogram *h, double pct);

/* Mean of the recorded values; 0 when empty. */
double hist_mean(const struct histogram *h);

/* Bucket index of v, and the lowest and highest value of bucket i (for
 * the tests and the percentile walk). */
unsigned hist_index(uint64_t v);
uint64_t hist_bucket_low(unsigned i);
uint64_t hist_bucket_high(unsigned i);

#endif
