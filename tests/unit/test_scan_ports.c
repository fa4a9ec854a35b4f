/* test_scan_ports.c — port-list parsing and the services table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "scan/ports.h"
#include "sockit/error.h"

static const char services_text[] =
	"# comment line\n"
	"ssh\t\t22/tcp\t\t\t# SSH\n"
	"http\t\t80/tcp\t\twww\n"
	"http\t\t80/udp\n"
	"domain\t\t53/udp\n"
	"kerberos-adm\t749/tcp\n"
	"sockit-echo\t65432/tcp\n"
	"broken\t\t70000/tcp\n"
	"nameonly\n";

static char svc_path[64];

static int setup(void **state)
{
	struct svc_table *t = malloc(sizeof *t);
	strcpy(svc_path, "/tmp/test_scan_ports.XXXXXX");
	int fd = mkstemp(svc_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, services_text, sizeof services_text - 1),
	                 (ssize_t)(sizeof services_text - 1));
	close(fd);
	assert_int_equal(svc_load(t, svc_path), 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	svc_free(*state);
	free(*state);
	unlink(svc_path);
	return 0;
}

static void test_services_table(void **state)
{
	struct svc_table *t = *state;
	assert_string_equal(svc_name(t, 22), "ssh");
	assert_string_equal(svc_name(t, 80), "http");
	assert_null(svc_name(t, 53));              /* udp only */
	assert_null(svc_name(t, 65535));
	assert_int_equal(svc_port(t, "www"), 80);  /* alias */
	assert_int_equal(svc_port(t, "kerberos-adm"), 749);
	assert_int_equal(svc_port(t, "broken"), -1);
	assert_int_equal(svc_port(t, "domain"), -1);
}

static void expect_list(const struct svc_table *t, const char *spec,
                        const uint16_t *want, size_t n)
{
	struct port_list pl;
	char err[SK_ERRLEN] = "";
	assert_int_equal(ports_parse(&pl, spec, t, err, sizeof err), 0);
	assert_int_equal(pl.count, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pl.ports[i], want[i]);
	ports_free(&pl);
}

static void test_good_lists(void **state)
{
	const uint16_t a[] = { 22, 80, 8000, 8001, 8002 };
	expect_list(*state, "22,80,http,8000-8002", a, 5);
	const uint16_t b[] = { 1, 2, 3 };
	expect_list(*state, "-3", b, 3);
	expect_list(*state, "3,2,1,2", b, 3);
	const uint16_t c[] = { 65534, 65535 };
	expect_list(*state, "65534-", c, 2);
	const uint16_t d[] = { 749, 65432 };
	expect_list(*state, "kerberos-adm,sockit-echo", d, 2);
	const uint16_t e[] = { 7 };
	expect_list(*state, "7-7", e, 1);
}

static void test_all_ports(void **state)
{
	struct port_list pl;
	char err[SK_ERRLEN];
	assert_int_equal(ports_parse(&pl, "-", *state, err, sizeof err), 0);
	assert_int_equal(pl.count, 65535);
	assert_int_equal(pl.ports[0], 1);
	assert_int_equal(pl.ports[65534], 65535);
	ports_free(&pl);
	assert_int_equal(ports_parse(&pl, "1-65535", *state, err, sizeof err), 0);
	assert_int_equal(pl.count, 65535);
	ports_free(&pl);
}

static void expect_bad(const struct svc_table *t, const char *spec,
                       const char *msg)
{
	struct port_list pl;
	char err[SK_ERRLEN] = "";
	assert_int_equal(ports_parse(&pl, spec, t, err, sizeof err), -1);
	assert_null(pl.ports);
	if (!strstr(err, msg))
		fail_msg("'%s': error '%s' lacks '%s'", spec, err, msg);
}

static void test_bad_lists(void **state)
{
	expect_bad(*state, "", "empty list");
	expect_bad(*state, "22,,80", "empty item");
	expect_bad(*state, "22,", "empty item");
	expect_bad(*state, "0", "out of range");
	expect_bad(*state, "70000", "out of range");
	expect_bad(*state, "1-65536", "out of range");
	expect_bad(*state, "99999999999999999999", "out of range");
	expect_bad(*state, "100-50", "reversed");
	expect_bad(*state, "nosuchservice", "unknown service");
	expect_bad(*state, "domain", "unknown service");
	expect_bad(*state, "1-2-3", "bad port");
	expect_bad(*state, "+5", "bad port");
	expect_bad(*state, " 5", "bad port");
	expect_bad(*state, "--", "bad port");
}

static void test_default_list(void **state)
{
	struct port_list pl;
	assert_int_equal(ports_default(&pl, *state), 0);
	/* 1-1024 plus 65432 (749 and 22 and 80 are inside 1-1024) */
	assert_int_equal(pl.count, 1025);
	assert_int_equal(pl.ports[1023], 1024);
	assert_int_equal(pl.ports[1024], 65432);
	ports_free(&pl);
}

static void test_missing_services_file(void **state)
{
	(void)state;
	struct svc_table t;
	struct port_list pl;
	char err[SK_ERRLEN];
	assert_int_equal(svc_load(&t, "/nonexistent/services"), -1);
	assert_null(svc_name(&t, 22));
	assert_int_equal(ports_default(&pl, &t), 0);
	assert_int_equal(pl.count, 1024);
	ports_free(&pl);
	assert_int_equal(ports_parse(&pl, "ssh", &t, err, sizeof err), -1);
	svc_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_services_table),
		cmocka_unit_test(test_good_lists),
		cmocka_unit_test(test_all_ports),
		cmocka_unit_test(test_bad_lists),
		cmocka_unit_test(test_default_list),
		cmocka_unit_test(test_missing_services_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
