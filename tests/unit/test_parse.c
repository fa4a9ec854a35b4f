/* test_parse.c — the bounded parsers: numbers (ranges, overflow, no
 * wrap), sizes (K/M/G), durations (units, bare seconds, garbage). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "sockit/error.h"
#include "sockit/parse.h"

static void test_num(void **st)
{
	(void)st;
	char err[SK_ERRLEN];
	long long v;

	assert_int_equal(sk_parse_num("0", 0, 65535, &v, "port", err, sizeof err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(sk_parse_num("65535", 0, 65535, &v, "port", err, sizeof err), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(sk_parse_num("-3", -5, 5, &v, NULL, err, sizeof err), 0);
	assert_int_equal(v, -3);
	assert_int_equal(sk_parse_num("65536", 0, 65535, &v, "port", err, sizeof err),
	                 -1);
	assert_string_equal(err, "port '65536' out of range 0-65535");
	/* No wrap: 2^32+1 and 2^64+1 are out of range, not 1. */
	assert_int_equal(sk_parse_num("4294967297", 0, 65535, &v, NULL, err, sizeof err),
	                 -1);
	assert_string_equal(err, "out of range 0-65535");
	assert_int_equal(
	    sk_parse_num("18446744073709551617", 0, 65535, &v, NULL, err, sizeof err),
	    -1);
	assert_int_equal(sk_parse_num("99999999999999999999999", LLONG_MIN, LLONG_MAX, &v,
	                              NULL, err, sizeof err),
	                 -1);
	const char *bad[] = {"", "x", "1x", " 1", "1 ", "+1", "0x10", "-", "1.5", "--1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(
		    sk_parse_num(bad[i], -100, 100, &v, NULL, err, sizeof err), -1);
		assert_string_equal(err, "is not a number");
	}
}

static void test_size(void **st)
{
	(void)st;
	char err[SK_ERRLEN];
	uint64_t v;

	assert_int_equal(sk_parse_size("512", 1, UINT64_MAX, &v, NULL, err, sizeof err),
	                 0);
	assert_int_equal(v, 512);
	assert_int_equal(sk_parse_size("4K", 1, UINT64_MAX, &v, NULL, err, sizeof err),
	                 0);
	assert_int_equal(v, 4096);
	assert_int_equal(sk_parse_size("2m", 1, UINT64_MAX, &v, NULL, err, sizeof err),
	                 0);
	assert_int_equal(v, 2 << 20);
	assert_int_equal(sk_parse_size("1G", 1, UINT64_MAX, &v, NULL, err, sizeof err),
	                 0);
	assert_int_equal(v, 1 << 30);
	assert_int_equal(sk_parse_size("2K", 1, 1024, &v, "size", err, sizeof err), -1);
	assert_string_equal(err, "size '2K' out of range 1-1024");
	/* 2^34 G overflows 64 bits: out of range, never wrapped. */
	assert_int_equal(
	    sk_parse_size("17179869184G", 0, UINT64_MAX, &v, NULL, err, sizeof err), -1);
	assert_int_equal(sk_parse_size("99999999999999999999", 0, UINT64_MAX, &v, NULL,
	                               err, sizeof err),
	                 -1);
	const char *bad[] = {"", "K", "1KB", "1T", "-1", "1.5K", " 1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(
		    sk_parse_size(bad[i], 0, UINT64_MAX, &v, NULL, err, sizeof err), -1);
}

static uint64_t dur(const char *text)
{
	char err[SK_ERRLEN];
	uint64_t ns = 12345;

	if (sk_parse_duration(text, 0, UINT64_MAX, &ns, NULL, err, sizeof err) < 0)
		return UINT64_MAX;
	return ns;
}

static void test_duration(void **st)
{
	(void)st;
	assert_true(dur("250ms") == 250000000ULL);
	assert_true(dur("1.5s") == 1500000000ULL);
	assert_true(dur("2m") == 120000000000ULL);
	assert_true(dur("1h") == 3600000000000ULL);
	assert_true(dur("5") == 5000000000ULL); /* bare = seconds */
	assert_true(dur("0.25") == 250000000ULL);
	assert_true(dur("0") == 0);
	assert_true(dur("10us") == 10000);
	assert_true(dur("7ns") == 7);
	assert_true(dur("1.0000000019s") == 1000000001ULL); /* past ns: dropped */
	const char *bad[] = {"",
	                     "-1",
	                     "-1s",
	                     "+1",
	                     "1.",
	                     ".5",
	                     "1e3",
	                     "1 s",
	                     "1sec",
	                     "s",
	                     "1.5.2",
	                     "inf",
	                     "nan",
	                     "0x10",
	                     "1S",
	                     "1ms ",
	                     "99999999999999999999",
	                     "18446744073709551615h"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_true(dur(bad[i]) == UINT64_MAX);
}

static void test_duration_range(void **st)
{
	(void)st;
	char err[SK_ERRLEN];
	uint64_t ns;

	assert_int_equal(sk_parse_duration("2h", 1000000, 3600000000000ULL, &ns,
	                                   "timeout", err, sizeof err),
	                 -1);
	assert_string_equal(err, "timeout '2h' out of range 1ms-1h");
	assert_int_equal(
	    sk_parse_duration("0", 1000000, 3600000000000ULL, &ns, NULL, err, sizeof err),
	    -1);
	assert_string_equal(err, "out of range 1ms-1h");
	assert_int_equal(sk_parse_duration("x", 0, 1, &ns, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a duration"));
}

static void test_format_duration(void **st)
{
	(void)st;
	char b[32];
	struct {
		uint64_t ns;
		const char *text;
	} cases[] = {
	    {0, "0s"},
	    {250000000, "250ms"},
	    {1500000000, "1.5s"},
	    {120000000000ULL, "2m"},
	    {90000000000ULL, "1.5m"},
	    {3600000000000ULL, "1h"},
	    {86400000000000ULL, "24h"},
	    {1, "1ns"},
	    {1250000, "1.25ms"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_string_equal(sk_format_duration(cases[i].ns, b, sizeof b),
		                    cases[i].text);
		assert_true(dur(b) == cases[i].ns); /* reads back */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_num),
	    cmocka_unit_test(test_size),
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_duration_range),
	    cmocka_unit_test(test_format_duration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
