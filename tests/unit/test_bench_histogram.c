/* test_bench_histogram.c — the load generator's log-linear histogram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "bench/histogram.h"

/* Every bucket's range starts right after the previous one ends, so each
 * value has exactly one bucket and the index is monotonic. */
static void test_buckets_tile_the_range(void **state)
{
	(void)state;
	for (unsigned i = 1; i < HIST_BUCKETS; i++)
		assert_int_equal(hist_bucket_low(i), hist_bucket_high(i - 1) + 1);
	assert_int_equal(hist_bucket_high(HIST_BUCKETS - 1), UINT64_MAX);
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		assert_int_equal(hist_index(hist_bucket_low(i)), i);
		assert_int_equal(hist_index(hist_bucket_high(i)), i);
	}
}

/* Small values are exact; larger ones are within 1/64 of the value. */
static void test_precision(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < HIST_SUB; v++)
		assert_int_equal(hist_bucket_low(hist_index(v)), v);
	uint64_t samples[] = { 64, 65, 1000, 123456, 999999999, 1ull << 40,
	                       (1ull << 62) + 12345, UINT64_MAX };
	for (size_t k = 0; k < sizeof samples / sizeof samples[0]; k++) {
		unsigned i = hist_index(samples[k]);
		uint64_t lo = hist_bucket_low(i), hi = hist_bucket_high(i);
		assert_true(lo <= samples[k] && samples[k] <= hi);
		assert_true((hi - lo) <= samples[k] / HIST_SUB);
	}
}

static void test_empty(void **state)
{
	(void)state;
	struct histogram h;
	hist_init(&h);
	assert_int_equal(h.count, 0);
	assert_int_equal(hist_percentile(&h, 50), 0);
	assert_true(hist_mean(&h) == 0.0);
}

/* 1..10000 uniformly: percentiles land within the bucket precision. */
static void test_percentiles_uniform(void **state)
{
	(void)state;
	struct histogram *h = malloc(sizeof *h);
	assert_non_null(h);
	hist_init(h);
	for (uint64_t v = 1; v <= 10000; v++)
		hist_record(h, v);
	assert_int_equal(h->count, 10000);
	assert_int_equal(h->min, 1);
	assert_int_equal(h->max, 10000);
	double want[] = { 50, 90, 99, 99.9 };
	for (size_t k = 0; k < 4; k++) {
		double exact = want[k] * 100;
		double got = (double)hist_percentile(h, want[k]);
		assert_true(got >= exact && got <= exact * (1 + 1.0 / HIST_SUB) + 1);
	}
	assert_int_equal(hist_percentile(h, 100), 10000);
	assert_int_equal(hist_percentile(h, 0), 1);
	assert_true(hist_mean(h) > 5000.4 && hist_mean(h) < 5000.6);
	free(h);
}

/* One slow outlier among fast values shows at max and p99.9 only when it
 * is more than 0.1% of the samples. */
static void test_outlier(void **state)
{
	(void)state;
	struct histogram *h = malloc(sizeof *h);
	assert_non_null(h);
	hist_init(h);
	for (int i = 0; i < 999; i++)
		hist_record(h, 20000);
	hist_record(h, 40000000);
	assert_true(hist_percentile(h, 99) <= 20000 * 65 / 64);
	assert_true(hist_percentile(h, 99.9) <= 20000 * 65 / 64);
	assert_int_equal(hist_percentile(h, 100), 40000000);
	assert_int_equal(h->max, 40000000);
	hist_record(h, 40000000);
	assert_true(hist_percentile(h, 99.9) >= 40000000 - 40000000 / 64);
	free(h);
}

static void test_merge(void **state)
{
	(void)state;
	struct histogram *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	assert_non_null(a);
	assert_non_null(b);
	hist_init(a);
	hist_init(b);
	for (int i = 0; i < 100; i++)
		hist_record(a, 100);
	for (int i = 0; i < 300; i++)
		hist_record(b, 5000);
	hist_merge(a, b);
	assert_int_equal(a->count, 400);
	assert_int_equal(a->min, 100);
	assert_int_equal(a->max, 5000);
	assert_true(hist_percentile(a, 25) <= 101);
	assert_true(hist_percentile(a, 26) >= 5000 - 5000 / 64);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_tile_the_range),
		cmocka_unit_test(test_precision),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_percentiles_uniform),
		cmocka_unit_test(test_outlier),
		cmocka_unit_test(test_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
