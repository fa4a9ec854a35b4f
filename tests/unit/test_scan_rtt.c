/* test_scan_rtt.c — the RTO estimator: first sample, smoothing, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scan/rtt.h"

static void test_initial_timeout(void **state)
{
	(void)state;
	struct rtt_est r;
	rtt_init(&r, 100, 10000, 1000);
	assert_int_equal(rtt_timeout_ms(&r), 1000);
}

static void test_first_sample(void **state)
{
	(void)state;
	struct rtt_est r;
	rtt_init(&r, 1, 10000, 1000);
	rtt_sample(&r, 40000);              /* 40 ms */
	/* srtt 40 ms, rttvar 20 ms: 40 + 80 */
	assert_int_equal(rtt_timeout_ms(&r), 120);
}

static void test_converges_on_steady_rtt(void **state)
{
	(void)state;
	struct rtt_est r;
	rtt_init(&r, 1, 10000, 1000);
	for (int i = 0; i < 200; i++)
		rtt_sample(&r, 40000);
	/* the variance decays towards zero, the RTO towards the RTT */
	assert_in_range(rtt_timeout_ms(&r), 40, 42);
	assert_in_range(r.srtt_us, 39990, 40010);
}

static void test_jitter_widens_timeout(void **state)
{
	(void)state;
	struct rtt_est steady, jittery;
	rtt_init(&steady, 1, 10000, 1000);
	rtt_init(&jittery, 1, 10000, 1000);
	for (int i = 0; i < 100; i++) {
		rtt_sample(&steady, 40000);
		rtt_sample(&jittery, i % 2 ? 20000 : 60000);
	}
	assert_true(rtt_timeout_ms(&jittery) > rtt_timeout_ms(&steady) + 50);
	assert_true(rtt_timeout_ms(&jittery) >= 60);  /* covers the slow answers */
}

static void test_bounds(void **state)
{
	(void)state;
	struct rtt_est r;
	rtt_init(&r, 100, 2000, 1000);
	rtt_sample(&r, 20);                  /* loopback: 20 us */
	assert_int_equal(rtt_timeout_ms(&r), 100);
	for (int i = 0; i < 50; i++)
		rtt_sample(&r, 5000000);         /* 5 s */
	assert_int_equal(rtt_timeout_ms(&r), 2000);
	rtt_sample(&r, UINT64_MAX);          /* absurd sample stays bounded */
	assert_int_equal(rtt_timeout_ms(&r), 2000);
}

static void test_adapts_down(void **state)
{
	(void)state;
	struct rtt_est r;
	rtt_init(&r, 10, 10000, 1000);
	for (int i = 0; i < 20; i++)
		rtt_sample(&r, 500000);
	uint32_t high = rtt_timeout_ms(&r);
	for (int i = 0; i < 100; i++)
		rtt_sample(&r, 10000);
	assert_true(rtt_timeout_ms(&r) < high / 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial_timeout),
		cmocka_unit_test(test_first_sample),
		cmocka_unit_test(test_converges_on_steady_rtt),
		cmocka_unit_test(test_jitter_widens_timeout),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_adapts_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
