/* test_serve_config.c — the `sockit serve -c FILE` parser and the plan
 * check: good files give the services, endpoints and settings they say;
 * every bad file fails with "FILE:LINE: problem" naming the right line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "serve/plan.h"
#include "sockit/error.h"

static char path[64];

/* Write len bytes of text to a fresh temporary file, load it into p and
 * check the plan.  Returns what plan_load_file/plan_check return. */
static int load_bytes(struct serve_plan *p, const char *text, size_t len, char *err,
                      size_t errlen)
{
	strcpy(path, "/tmp/sockit-cfg-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	plan_init(p);
	err[0] = '\0';
	int rc = plan_load_file(p, path, err, errlen);
	if (rc == 0)
		rc = plan_check(p, err, errlen);
	unlink(path);
	return rc;
}

static int load(struct serve_plan *p, const char *text, char *err, size_t errlen)
{
	return load_bytes(p, text, strlen(text), err, errlen);
}

static void test_good_file(void **state)
{
	struct serve_plan p;
	char err[SK_ERRLEN], ep[SK_ADDRSTRLEN];
	(void)state;

	assert_int_equal(load(&p,
	                      "# comment\n\n  threads 3\t\nmax-conn 100\nper-ip 7\r\n"
	                      "idle-timeout 1.5\nmax-queue 65536\nuser nobody\n"
	                      "service echo\n  listen tcp://127.0.0.1:0  udp://[::1]:0\n"
	                      "listen unix:@x\n"
	                      "service greet\nbanner  Hello there  \nread-timeout 0.25\n"
	                      "service caesar\nmax-request 10\n",
	                      err, sizeof err),
	                 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.lim.threads, 3);
	assert_int_equal(p.lim.max_conn, 100);
	assert_int_equal(p.lim.per_ip, 7);
	assert_int_equal(p.lim.idle_ms, 1500);
	assert_int_equal(p.lim.max_queue, 65536);
	assert_string_equal(p.user, "nobody");
	assert_string_equal(p.entries[0].svc->name, "echo");
	assert_int_equal(p.entries[0].neps, 3);
	assert_string_equal(sk_endpoint_format(&p.entries[0].eps[1], ep, sizeof ep),
	                    "udp://[::1]:0");
	assert_string_equal(p.entries[1].opt.banner, "Hello there");
	assert_int_equal(p.entries[1].opt.read_timeout_ms, 250);
	assert_int_equal(p.entries[1].neps, 1); /* greet's default */
	assert_int_equal(p.line[1], 12);
	assert_int_equal(p.entries[2].opt.max_request, 10);
	plan_free(&p);
}

/* chargen: `udp yes` with no listen adds udp://127.0.0.1:7019; a UDP
 * endpoint is fine with `udp yes`. */
static void test_chargen_udp(void **state)
{
	struct serve_plan p;
	char err[SK_ERRLEN], ep[SK_ADDRSTRLEN];
	(void)state;

	assert_int_equal(load(&p, "service chargen\nudp yes\n", err, sizeof err), 0);
	assert_int_equal(p.entries[0].neps, 2);
	assert_string_equal(sk_endpoint_format(&p.entries[0].eps[1], ep, sizeof ep),
	                    "udp://127.0.0.1:7019");
	plan_free(&p);
	assert_int_equal(load(&p, "service chargen\nudp no\n", err, sizeof err), 0);
	assert_int_equal(p.entries[0].neps, 1);
	plan_free(&p);
	assert_int_equal(load(&p,
	                      "service chargen\nlisten udp://127.0.0.1:0\n"
	                      "udp yes\n",
	                      err, sizeof err),
	                 0);
	assert_int_equal(p.entries[0].neps, 1);
	plan_free(&p);
}

struct bad {
	const char *text;
	int line;
	const char *names; /* the problem must mention this */
};

static const struct bad bads[] = {
    {"service echo\nlisten tcp://127.0.0.1:0\nbannr hi\n", 3, "unknown setting 'bannr'"},
    {"threads 2\nfrobnicate 1\nservice echo\n", 2, "unknown setting 'frobnicate'"},
    {"\n\nservice ecko\n", 3, "unknown service 'ecko'"},
    {"service\n", 1, "'service' needs a value"},
    {"service echo\nlisten tcp://127.0.0.1:99999\n", 2, "99999"},
    {"service echo\nlisten tcp://127.0.0.1:0 nonsense\n", 2, "nonsense"},
    {"service echo\nlisten\n", 2, "'listen' needs a value"},
    {"max-conn lots\nservice echo\n", 1, "max-conn 'lots'"},
    {"threads 0\nservice echo\n", 1, "threads"},
    {"threads 257\nservice echo\n", 1, "threads"},
    {"per-ip -1\nservice echo\n", 1, "per-ip"},
    {"max-queue 1\nservice echo\n", 1, "max-queue"},
    {"idle-timeout nan\nservice echo\n", 1, "idle-timeout 'nan'"},
    {"idle-timeout 1e3\nservice echo\n", 1, "idle-timeout"},
    {"idle-timeout 0x10\nservice echo\n", 1, "idle-timeout"},
    {"idle-timeout 1.2345\nservice echo\n", 1, "idle-timeout"},
    {"idle-timeout 99999999999999999999\nservice echo\n", 1, "idle-timeout"},
    {"service greet\nread-timeout 3601\n", 2, "read-timeout"},
    {"service greet\nread-timeout .5\n", 2, "read-timeout"},
    {"service caesar\nmax-request 0\n", 2, "max-request"},
    {"service chargen\nudp maybe\n", 2, "expected yes or no"},
    {"service echo\nmax-conn 5\n", 2, "'max-conn' is a global setting"},
    {"service echo\nuser nobody\n", 2, "'user' is a global setting"},
    {"listen tcp://127.0.0.1:0\nservice echo\n", 1, "'listen' outside a service block"},
    {"banner hi\n", 1, "'banner' outside a service block"},
    {"user\nservice echo\n", 1, "'user' needs a value"},
    {"\nuser no-such-user-xq\nservice echo\n", 2, "user 'no-such-user-xq': no such user"},
    {"service qotd\nquotes /nonexistent/quotes.txt\n", 2, "No such file"},
    {"# only comments\n\nthreads 2\n", 3, "no service blocks"},
    {"", 0, "no service blocks"},
    {"service echo\n\nservice chargen\nlisten udp://127.0.0.1:0\n", 3, "add 'udp yes'"},
    {"service caesar\nlisten udp://127.0.0.1:0\n", 1, "no datagram side"},
    {"service greet\nlisten unixgram:/tmp/x\n", 1, "no datagram side"},
};

static void expect_error(const char *text, size_t len, int line, const char *names)
{
	struct serve_plan p;
	char err[SK_ERRLEN], want[128];

	assert_int_equal(load_bytes(&p, text, len, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:%d: ", path, line);
	if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, names))
		fail_msg("file %.40s...: got \"%s\", want \"%s...%s\"", text, err, want,
		         names);
	plan_free(&p);
}

static void test_bad_files_name_file_and_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++)
		expect_error(bads[i].text, strlen(bads[i].text), bads[i].line,
		             bads[i].names);
}

/* A line of 4097 bytes is refused, not split; 4096 is fine.  A NUL byte
 * is refused rather than cutting the line short. */
static void test_line_limits(void **state)
{
	static char text[8192];
	(void)state;

	int n = snprintf(text, sizeof text, "service greet\nbanner ");
	memset(text + n, 'a', 4096 - 7);
	strcpy(text + n + 4096 - 7, "\n");
	struct serve_plan p;
	char err[SK_ERRLEN];
	assert_int_equal(load(&p, text, err, sizeof err), 0);
	assert_int_equal(strlen(p.entries[0].opt.banner), 4096 - 7);
	plan_free(&p);
	strcpy(text + n + 4096 - 7, "a\n");
	expect_error(text, strlen(text), 2, "line longer than 4096 bytes");
	static const char nul[] = "service echo\nlisten tcp://127.0.0.1:0\0 x\n";
	expect_error(nul, sizeof nul - 1, 2, "NUL byte");
}

/* No newline at the end of the file: the last line still counts. */
static void test_last_line_without_newline(void **state)
{
	struct serve_plan p;
	char err[SK_ERRLEN];
	(void)state;

	assert_int_equal(load(&p, "service greet\nbanner hi", err, sizeof err), 0);
	assert_string_equal(p.entries[0].opt.banner, "hi");
	plan_free(&p);
}

static void test_missing_file(void **state)
{
	struct serve_plan p;
	char err[SK_ERRLEN];
	(void)state;

	plan_init(&p);
	assert_int_equal(plan_load_file(&p, "/nonexistent/sockit.conf", err, sizeof err),
	                 -1);
	assert_string_equal(err, "/nonexistent/sockit.conf: No such file or directory");
	plan_free(&p);
}

/* The example shipped in docs/ must load. */
static void test_example_config_loads(void **state)
{
	struct serve_plan p;
	char err[SK_ERRLEN] = "";
	(void)state;

	plan_init(&p);
	if (plan_load_file(&p, "docs/examples/sockit.conf", err, sizeof err) < 0 ||
	    plan_check(&p, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_int_equal(p.n, 8);
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_file),
	    cmocka_unit_test(test_chargen_udp),
	    cmocka_unit_test(test_bad_files_name_file_and_line),
	    cmocka_unit_test(test_line_limits),
	    cmocka_unit_test(test_last_line_without_newline),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_example_config_loads),
	};
	return cmocka_run_group_tests_name("serve_config", tests, NULL, NULL);
}
