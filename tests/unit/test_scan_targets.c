/* test_scan_targets.c — target parsing: addresses, CIDR v4/v6, bounds. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "scan/targets.h"
#include "sockit/error.h"

static const char *fmt(const struct target_list *tl, size_t i)
{
	static char buf[128];
	return host_format(&tl->hosts[i], buf, sizeof buf);
}

static void test_single_addresses(void **state)
{
	(void)state;
	struct target_list tl = { 0 };
	char err[SK_ERRLEN];
	assert_int_equal(targets_add(&tl, "127.0.0.1", AF_UNSPEC, err, sizeof err), 0);
	assert_int_equal(targets_add(&tl, "::1", AF_UNSPEC, err, sizeof err), 0);
	assert_int_equal(targets_add(&tl, "[::1]", AF_UNSPEC, err, sizeof err), 0);
	assert_int_equal(targets_add(&tl, "2001:db8::5", AF_UNSPEC, err, sizeof err), 0);
	assert_int_equal(tl.count, 3);         /* [::1] is ::1 again */
	assert_string_equal(fmt(&tl, 0), "127.0.0.1");
	assert_int_equal(tl.hosts[0].family, AF_INET);
	assert_string_equal(fmt(&tl, 1), "::1");
	assert_int_equal(tl.hosts[1].family, AF_INET6);
	assert_string_equal(fmt(&tl, 2), "2001:db8::5");
	targets_free(&tl);
}

static void test_localhost_and_family(void **state)
{
	(void)state;
	struct target_list tl = { 0 };
	char err[SK_ERRLEN];
	assert_int_equal(targets_add(&tl, "localhost", AF_INET, err, sizeof err), 0);
	assert_string_equal(fmt(&tl, 0), "127.0.0.1");
	assert_int_equal(targets_add(&tl, "127.0.0.1", AF_INET, err, sizeof err), 0);
	assert_int_equal(tl.count, 1);
	/* a numeric address of the other family is refused under -6 */
	assert_int_equal(targets_add(&tl, "127.0.0.1", AF_INET6, err, sizeof err),
	                 TARGET_BAD);
	targets_free(&tl);
}

static void test_cidr_v4(void **state)
{
	(void)state;
	struct target_list tl = { 0 };
	char err[SK_ERRLEN];
	/* host bits are cleared: 192.0.2.77/30 is 192.0.2.76-79 */
	assert_int_equal(targets_add(&tl, "192.0.2.77/30", AF_UNSPEC, err, sizeof err), 0);
	assert_int_equal(tl.count, 4);
	assert_string_equal(fmt(&tl, 0), "192.0.2.76");
	assert_string_equal(fmt(&tl, 3), "192.0.2.79");
	assert_int_equal(targets_add(&tl, "198.18.0.1/32", AF_UNSPEC, err, sizeof err), 0);
	assert_string_equal(fmt(&tl, 4), "198.18.0.1");
	targets_free(&tl);
	assert_int_equal(targets_add(&tl, "10.1.0.0/16", AF_UNSPEC, err, sizeof err), 0);
	assert_int_equal(tl.count, 65536);
	assert_string_equal(fmt(&tl, 0), "10.1.0.0");
	assert_string_equal(fmt(&tl, 258), "10.1.1.2");
	assert_string_equal(fmt(&tl, 65535), "10.1.255.255");
	targets_free(&tl);
}

static void test_cidr_v6(void **state)
{
	(void)state;
	struct target_list tl = { 0 };
	char err[SK_ERRLEN];
	assert_int_equal(targets_add(&tl, "2001:db8::ff/120", AF_UNSPEC, err, sizeof err), 0);
	assert_int_equal(tl.count, 256);
	assert_string_equal(fmt(&tl, 0), "2001:db8::");
	assert_string_equal(fmt(&tl, 255), "2001:db8::ff");
	assert_int_equal(targets_add(&tl, "[::1]/128", AF_UNSPEC, err, sizeof err), 0);
	assert_string_equal(fmt(&tl, 256), "::1");
	targets_free(&tl);
	assert_int_equal(targets_add(&tl, "2001:db8:1::/112", AF_UNSPEC, err, sizeof err), 0);
	assert_string_equal(fmt(&tl, 0x1234), "2001:db8:1::1234");
	targets_free(&tl);
}

static void expect_bad(const char *text, const char *msg)
{
	struct target_list tl = { 0 };
	char err[SK_ERRLEN] = "";
	assert_int_equal(targets_add(&tl, text, AF_UNSPEC, err, sizeof err), TARGET_BAD);
	if (!strstr(err, msg))
		fail_msg("'%s': error '%s' lacks '%s'", text, err, msg);
	targets_free(&tl);
}

static void test_bad_targets(void **state)
{
	(void)state;
	expect_bad("10.0.0.0/8", "more than 65536");
	expect_bad("2001:db8::/64", "more than 65536");
	expect_bad("10.0.0.0/33", "not an address/prefix");
	expect_bad("::/129", "not an address/prefix");
	expect_bad("10.0.0.0/", "not an address/prefix");
	expect_bad("10.0.0.0/-1", "not an address/prefix");
	expect_bad("10.0.0.0/2x", "not an address/prefix");
	expect_bad("300.1.1.1/24", "not an address/prefix");
	expect_bad("host/24", "not an address/prefix");
	expect_bad("1.2.3.4.5", "not a host name");
	expect_bad("a b", "not a host name");
	expect_bad("[::1", "not a host name");
	expect_bad("[]", "not a host name");
	expect_bad("", "not a host name");
	expect_bad("::g", "not a host name");
}

static void test_total_bound(void **state)
{
	(void)state;
	struct target_list tl = { 0 };
	char err[SK_ERRLEN];
	assert_int_equal(targets_add(&tl, "10.0.0.0/16", AF_UNSPEC, err, sizeof err), 0);
	assert_int_equal(targets_add(&tl, "10.1.0.0/32", AF_UNSPEC, err, sizeof err),
	                 TARGET_BAD);
	assert_non_null(strstr(err, "at most 65536"));
	targets_free(&tl);
}

static void test_sockaddr(void **state)
{
	(void)state;
	struct target_list tl = { 0 };
	struct sockaddr_storage ss;
	char err[SK_ERRLEN];
	assert_int_equal(targets_add(&tl, "::1", AF_UNSPEC, err, sizeof err), 0);
	assert_int_equal(host_sockaddr(&tl.hosts[0], 443, &ss), sizeof(struct sockaddr_in6));
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
	assert_int_equal(ntohs(s6->sin6_port), 443);
	assert_true(IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
	targets_free(&tl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_addresses),
		cmocka_unit_test(test_localhost_and_family),
		cmocka_unit_test(test_cidr_v4),
		cmocka_unit_test(test_cidr_v6),
		cmocka_unit_test(test_bad_targets),
		cmocka_unit_test(test_total_bound),
		cmocka_unit_test(test_sockaddr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
