/* test_daytime.c — the daytime line (RFC 867) and the discard service
 * (RFC 863), which has nothing to test on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "daytime.h"
#include "fake_host.h"

extern const struct service svc_daytime, svc_discard;

static void test_format(void **st)
{
	(void)st;
	char buf[64];
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(daytime_format(0, buf, sizeof buf), 26);
	assert_string_equal(buf, "Thu Jan  1 00:00:00 1970\r\n");
	daytime_format(1795000000, buf, sizeof buf);
	assert_string_equal(buf, "Wed Nov 18 11:06:40 2026\r\n");
	assert_int_equal(daytime_format(0, buf, 10), 0);
}

static void test_service(void **st)
{
	(void)st;
	struct fake f;
	char out[64];

	fake_init(&f, &svc_daytime, NULL);
	fake_open(&f);
	assert_true(f.ended);
	assert_int_equal(f.outlen, 26);
	assert_memory_equal(f.out + 24, "\r\n", 2);
	assert_int_equal(svc_daytime.datagram(NULL, "", 0, out, sizeof out), 26);
	assert_true(svc_daytime.dgram_may_amplify);
	fake_free(&f);
}

static void test_discard(void **st)
{
	(void)st;
	struct fake f;
	char out[64];

	fake_init(&f, &svc_discard, NULL);
	fake_open(&f);
	svc_discard.bytes(&f.conn, "anything", 8);
	assert_int_equal(f.outlen, 0);
	assert_false(f.ended);
	svc_discard.eof(&f.conn);
	assert_true(f.ended);
	assert_int_equal(svc_discard.datagram(NULL, "abc", 3, out, sizeof out), 0);
	fake_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_discard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
