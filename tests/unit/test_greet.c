/* test_greet.c — the greeting service: banner, reply logging (escaped,
 * bounded), EOF and timeout endings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_host.h"
#include "greet.h"

extern const struct service svc_greet;

static void test_banner_and_reply(void **st)
{
	(void)st;
	struct fake f;

	fake_init(&f, &svc_greet, NULL);
	fake_open(&f);
	assert_string_equal(f.out, "Thank you for connecting\n");
	assert_int_equal(f.timer_ms, 2000);
	/* The host prefixes every service log line with the peer address. */
	assert_non_null(strstr(f.log, "greeted"));
	svc_greet.bytes(&f.conn, "Thanks", 6);
	svc_greet.bytes(&f.conn, " a lot!\n", 8);
	assert_false(f.ended);
	svc_greet.eof(&f.conn);
	assert_true(f.ended);
	assert_int_equal(f.timer_ms, 0);
	assert_non_null(strstr(f.log, "replied \"Thanks a lot!\\n\" (client closed)"));
	fake_free(&f);
	/* close after the end logs nothing more */
	assert_null(strstr(strstr(f.log, "replied") + 1, "replied"));
}

static void test_options_and_timeout(void **st)
{
	(void)st;
	struct fake f;
	struct svc_options opt = { .banner = "hello", .read_timeout_ms = 50 };

	fake_init(&f, &svc_greet, &opt);
	fake_open(&f);
	assert_string_equal(f.out, "hello\n");
	assert_int_equal(f.timer_ms, 50);
	svc_greet.bytes(&f.conn, "\x01\xff\"", 3);
	svc_greet.timer(&f.conn);
	assert_true(f.ended);
	assert_non_null(strstr(f.log, "replied \"\\x01\\xff\\\"\" (timeout)"));
	fake_free(&f);
}

/* More than GREET_KEEP bytes: the first are kept, the rest counted. */
static void test_bounded(void **st)
{
	(void)st;
	struct fake f;
	char big[10000];

	memset(big, 'z', sizeof big);
	fake_init(&f, &svc_greet, NULL);
	fake_open(&f);
	svc_greet.bytes(&f.conn, big, sizeof big);
	svc_greet.bytes(&f.conn, big, 1);
	svc_greet.eof(&f.conn);
	assert_non_null(strstr(f.log, "(9233 more bytes dropped, client closed)"));
	fake_free(&f);
}

/* Bytes that escape to four characters each: the line stays within what
 * the host logs, ends with the tail, and counts every byte not shown. */
static void test_bounded_escaped(void **st)
{
	(void)st;
	struct fake f;
	char big[5000];
	char want[80];

	memset(big, 1, sizeof big);
	fake_init(&f, &svc_greet, NULL);
	fake_open(&f);
	svc_greet.bytes(&f.conn, big, sizeof big);
	svc_greet.eof(&f.conn);
	const char *line = strstr(f.log, "replied");
	assert_non_null(line);
	const char *nl = strchr(line, '\n');
	assert_true((size_t)(nl - line) < SVC_LOG_MAX - 1);
	snprintf(want, sizeof want, "\" (%d more bytes dropped, client closed)\n",
	         5000 - GREET_SHOW / 4);
	assert_int_equal(strncmp(nl + 1 - strlen(want), want, strlen(want)), 0);
	fake_free(&f);
}

/* The connection lost before EOF still logs what came. */
static void test_close_logs(void **st)
{
	(void)st;
	struct fake f;

	fake_init(&f, &svc_greet, NULL);
	fake_open(&f);
	svc_greet.bytes(&f.conn, "bye", 3);
	fake_free(&f);
	assert_non_null(strstr(f.log, "replied \"bye\" (connection closed)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_banner_and_reply),
		cmocka_unit_test(test_options_and_timeout),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_close_logs),
		cmocka_unit_test(test_bounded_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
