/* test_ping_options.c — ping_parse_options on the command lines whose
 * hosts it writes back into argv: `--udp=N` and `--udp N` before the
 * hosts, and words after `--` (hosts, never rewritten, however many look
 * like --udp=N).  argv is followed by guard slots that must stay as they
 * are: the parse may use argv[0..argc) only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ping/ping.h"

#define GUARDS 8

static char guard[] = "guard";

/* Parse the NULL-ended words (after "ping") with guard slots after
 * argv's NULL; the guards are checked after the parse. */
static int parse(struct ping_opts *o, char **argv, const char *w0, ...)
{
	va_list ap;
	int argc = 0;

	argv[argc++] = (char *)"ping";
	va_start(ap, w0);
	for (const char *w = w0; w; w = va_arg(ap, const char *))
		argv[argc++] = (char *)w;
	va_end(ap);
	argv[argc] = NULL;
	for (int i = 1; i <= GUARDS; i++)
		argv[argc + i] = guard;
	int rc = ping_parse_options(argc, argv, o);
	assert_null(argv[argc]);
	for (int i = 1; i <= GUARDS; i++)
		assert_ptr_equal(argv[argc + i], guard);
	return rc;
}

static void test_udp_port_forms(void **state)
{
	char *argv[16 + GUARDS];
	struct ping_opts o;

	(void)state;
	assert_int_equal(parse(&o, argv, "--udp=7", "127.0.0.1", NULL), -1);
	assert_int_equal(o.mode, PING_UDP);
	assert_int_equal(o.port, 7);
	assert_int_equal(o.nhosts, 1);
	assert_string_equal(o.hosts[0], "127.0.0.1");

	assert_int_equal(parse(&o, argv, "--udp", "9", "::1", "127.0.0.1", NULL), -1);
	assert_int_equal(o.port, 9);
	assert_int_equal(o.nhosts, 2);
	assert_string_equal(o.hosts[1], "127.0.0.1");

	assert_int_equal(parse(&o, argv, "--udp", "127.0.0.1", NULL), -1);
	assert_int_equal(o.port, 65432);
	assert_int_equal(o.nhosts, 1);
}

/* The regression: each --udp=N after `--` was split into two words, so
 * the hosts written back into argv ran past its end. */
static void test_words_after_dashdash_are_hosts(void **state)
{
	char *argv[16 + GUARDS];
	struct ping_opts o;

	(void)state;
	assert_int_equal(parse(&o, argv, "--", "--udp=1", "--udp=2", "--udp=3",
	                       "--udp=4", "--udp", "5", NULL),
	                 -1);
	assert_int_equal(o.mode, PING_ICMP);
	assert_int_equal(o.nhosts, 6);
	assert_string_equal(o.hosts[0], "--udp=1");
	assert_string_equal(o.hosts[3], "--udp=4");
	assert_string_equal(o.hosts[4], "--udp");
	assert_string_equal(o.hosts[5], "5");

	/* Before `--` they are still options. */
	assert_int_equal(parse(&o, argv, "--udp=3", "--", "--udp=4", NULL), -1);
	assert_int_equal(o.mode, PING_UDP);
	assert_int_equal(o.port, 3);
	assert_int_equal(o.nhosts, 1);
	assert_string_equal(o.hosts[0], "--udp=4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_udp_port_forms),
	    cmocka_unit_test(test_words_after_dashdash_are_hosts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
