/* test_scan_shard.c — --shard I/N: parsing, and that the slices are
 * disjoint and cover all the work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "scan/shard.h"
#include "sockit/error.h"

static void test_parse(void **state)
{
	(void)state;
	struct shard s;
	char err[SK_ERRLEN];
	assert_int_equal(shard_parse(&s, "1/1", err, sizeof err), 0);
	assert_int_equal(s.index, 1);
	assert_int_equal(s.count, 1);
	assert_int_equal(shard_parse(&s, "3/7", err, sizeof err), 0);
	assert_int_equal(s.index, 3);
	assert_int_equal(s.count, 7);
	const char *bad[] = { "", "1", "0/3", "4/3", "1/0", "a/b", "1/", "/2",
	                      "1/2/3", "-1/2", "1/99999999", "1 /2" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(shard_parse(&s, bad[i], err, sizeof err), -1);
}

/* Every item of total is hit exactly once across the n slices. */
static void check_cover(uint64_t total, uint32_t n)
{
	unsigned char *seen = calloc(total ? total : 1, 1);
	uint64_t sum = 0;
	for (uint32_t i = 1; i <= n; i++) {
		struct shard s = { i, n };
		uint64_t size = shard_size(&s, total);
		sum += size;
		for (uint64_t k = 0; k < size; k++) {
			uint64_t w = shard_item(&s, k);
			assert_true(w < total);
			assert_int_equal(seen[w], 0);
			seen[w] = 1;
		}
	}
	assert_int_equal(sum, total);
	for (uint64_t w = 0; w < total; w++)
		assert_int_equal(seen[w], 1);
	free(seen);
}

static void test_disjoint_and_complete(void **state)
{
	(void)state;
	const uint64_t totals[] = { 0, 1, 2, 7, 100, 1000, 65535, 65536 };
	const uint32_t ns[] = { 1, 2, 3, 7, 64, 1000 };
	for (size_t a = 0; a < sizeof totals / sizeof totals[0]; a++)
		for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++)
			check_cover(totals[a], ns[b]);
}

static void test_balanced(void **state)
{
	(void)state;
	for (uint32_t i = 1; i <= 7; i++) {
		struct shard s = { i, 7 };
		uint64_t size = shard_size(&s, 65535);
		assert_in_range(size, 65535 / 7, 65535 / 7 + 1);
	}
	struct shard big = { 5, 10 };
	assert_int_equal(shard_size(&big, 3), 0);
	/* large work: 65536 hosts x 65535 ports does not overflow */
	uint64_t total = 65536ull * 65535ull;
	struct shard last = { 65536, 65536 };
	assert_int_equal(shard_size(&last, total), 65535);
	assert_int_equal(shard_item(&last, 65534), total - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_disjoint_and_complete),
		cmocka_unit_test(test_balanced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
