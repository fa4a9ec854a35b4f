/* test_time.c — RFC 868 encoding: the RFC's own examples, network byte
 * order, the 2036 wrap, and the service's replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_host.h"
#include "rfc868.h"

extern const struct service svc_time;

/* RFC 868's table: 2,208,988,800 is 1970-01-01, 2,398,291,200 is
 * 1976-01-01, 2,524,521,600 is 1980-01-01, 2,629,584,000 is
 * 1983-05-01 (all 00:00 GMT). */
static void test_rfc_examples(void **st)
{
	(void)st;
	assert_int_equal(rfc868_seconds(0), 2208988800u);
	assert_int_equal(rfc868_seconds(189302400), 2398291200u);
	assert_int_equal(rfc868_seconds(315532800), 2524521600u);
	assert_int_equal(rfc868_seconds(420595200), 2629584000u);
}

static void test_byte_order(void **st)
{
	(void)st;
	unsigned char b[4];
	rfc868_encode(0, b);   /* 2208988800 = 0x83AA7E80 */
	assert_int_equal(b[0], 0x83);
	assert_int_equal(b[1], 0xAA);
	assert_int_equal(b[2], 0x7E);
	assert_int_equal(b[3], 0x80);
	assert_int_equal(rfc868_decode(b), 0);
}

/* 2036-02-07 06:28:16 UTC is where 32 bits wrap to 0 (era 1). */
static void test_wrap(void **st)
{
	(void)st;
	unsigned char b[4];
	int64_t wrap = 2085978496;    /* 2^32 - 2208988800 */
	rfc868_encode((time_t)wrap, b);
	assert_memory_equal(b, "\0\0\0\0", 4);
	assert_int_equal(rfc868_decode(b), wrap);
	rfc868_encode((time_t)wrap - 1, b);
	assert_memory_equal(b, "\xff\xff\xff\xff", 4);
	assert_int_equal(rfc868_decode(b), wrap - 1);
	rfc868_encode((time_t)1795000000, b);
	assert_int_equal(rfc868_decode(b), 1795000000);
}

static void test_service(void **st)
{
	(void)st;
	struct fake f;
	char out[16];
	time_t before = time(NULL);

	fake_init(&f, &svc_time, NULL);
	fake_open(&f);
	assert_int_equal(f.outlen, 4);
	assert_true(f.ended);
	int64_t t = rfc868_decode((unsigned char *)f.out);
	assert_true(t >= before && t <= time(NULL));
	assert_int_equal(svc_time.datagram(NULL, "", 0, out, sizeof out), 4);
	t = rfc868_decode((unsigned char *)out);
	assert_true(t >= before && t <= time(NULL));
	assert_int_equal(svc_time.datagram(NULL, "", 0, out, 3), 0);
	assert_true(svc_time.dgram_may_amplify);
	fake_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_examples),
		cmocka_unit_test(test_byte_order),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_service),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
