/* test_cli_options.c — cli_parse: typed values, the one message for
 * every usage error (unknown option, also inside a short cluster; missing
 * value; bad value; value given to a flag), --help, positionals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

struct args {
	bool json;
	int verbose;
	long long count;
	int timeout_ms;
	double interval_s;
	unsigned port;
	uint64_t size;
	const char *file;
	int mode;
};

static int set_mode(void *ctx, int key, const char *arg, char *why, size_t len)
{
	struct args *a = ctx;

	(void)key;
	if (strcmp(arg, "fast") == 0) {
		a->mode = 1;
		return 0;
	}
	snprintf(why, len, "expected fast");
	return -1;
}

static char errbuf[4096];

/* Run cli_parse on a NULL-ended word list with stderr captured in errbuf
 * (stdout, for --help, too).  Returns cli_parse's answer. */
static int parse(struct args *a, int *first, const char *w0, ...)
{
	const struct cli_option opts[] = {
	    CLI_FLAG('j', "json", &a->json),
	    CLI_COUNT('v', "verbose", &a->verbose),
	    CLI_NUM('c', "count", &a->count, 1, 1000),
	    CLI_DUR('t', "timeout", &a->timeout_ms, 1, 3600000),
	    CLI_DUR('i', "interval", &a->interval_s, 0, 60000),
	    CLI_NUM('p', "port", &a->port, 0, 65535),
	    CLI_SIZE('s', "size", &a->size, 1, 1 << 30),
	    CLI_STR('f', "file", &a->file),
	    CLI_CALL(CLI_LONG(0), "mode", set_mode),
	    CLI_END,
	};
	const struct cli_command cmd = {"frob", "usage: sockit frob\n", opts, 0};
	char *argv[32] = {"frob", (char *)w0};
	int argc = w0 ? 2 : 1;
	va_list ap;

	va_start(ap, w0);
	for (const char *w; w0 && (w = va_arg(ap, const char *)) != NULL;)
		argv[argc++] = (char *)w;
	va_end(ap);
	fflush(stderr);
	fflush(stdout);
	FILE *cap = tmpfile();
	int saved_err = dup(2), saved_out = dup(1);
	dup2(fileno(cap), 2);
	dup2(fileno(cap), 1);
	int rc = cli_parse(&cmd, argc, argv, a, first);
	fflush(stdout);
	dup2(saved_err, 2);
	dup2(saved_out, 1);
	close(saved_err);
	close(saved_out);
	rewind(cap);
	size_t n = fread(errbuf, 1, sizeof errbuf - 1, cap);
	errbuf[n] = '\0';
	fclose(cap);
	return rc;
}

static void test_values(void **st)
{
	(void)st;
	struct args a = {0};
	int first;

	assert_int_equal(parse(&a, &first, "-jvv", "-c", "7", "--timeout=250ms", "-i",
	                       "1.5", "--port", "65535", "-s4K", "-f", "x", "--mode",
	                       "fast", "pos1", "--", "-pos2", NULL),
	                 CLI_RUN);
	assert_true(a.json);
	assert_int_equal(a.verbose, 2);
	assert_int_equal(a.count, 7);
	assert_int_equal(a.timeout_ms, 250);
	assert_true(a.interval_s == 1.5);
	assert_int_equal(a.port, 65535);
	assert_int_equal(a.size, 4096);
	assert_string_equal(a.file, "x");
	assert_int_equal(a.mode, 1);
	assert_string_equal(errbuf, "");
	assert_int_equal(first, 15); /* frob, 13 option words, "--" */
}

static void test_bare_duration_is_seconds(void **st)
{
	(void)st;
	struct args a = {0};
	int first;

	assert_int_equal(parse(&a, &first, "-t", "2", NULL), CLI_RUN);
	assert_int_equal(a.timeout_ms, 2000);
	assert_int_equal(parse(&a, &first, "-t", "1.5ms", NULL), CLI_RUN);
	assert_int_equal(a.timeout_ms, 2); /* rounded up, never 0 */
}

static void test_errors(void **st)
{
	(void)st;
	struct {
		const char *w[4];
		const char *msg;
	} cases[] = {
	    {{"-x"}, "sockit frob: unknown option '-x' (see 'sockit frob --help')\n"},
	    {{"-jx"}, "sockit frob: unknown option '-x' (see 'sockit frob --help')\n"},
	    {{"-zq"}, "sockit frob: unknown option '-z' (see 'sockit frob --help')\n"},
	    {{"--bogus"},
	     "sockit frob: unknown option '--bogus' (see 'sockit frob --help')\n"},
	    {{"--bogus=1"},
	     "sockit frob: unknown option '--bogus' (see 'sockit frob --help')\n"},
	    {{"--json=1"},
	     "sockit frob: option '--json' takes no value (see 'sockit frob --help')\n"},
	    {{"-c"}, "sockit frob: option '-c' needs a value\n"},
	    {{"-jc"}, "sockit frob: option '-c' needs a value\n"},
	    {{"pos", "--count"}, "sockit frob: option '--count' needs a value\n"},
	    {{"-c", "x"}, "sockit frob: bad value for '-c': 'x' (is not a number)\n"},
	    {{"--count=0"},
	     "sockit frob: bad value for '--count': '0' (out of range 1-1000)\n"},
	    {{"-p", "65536"},
	     "sockit frob: bad value for '-p': '65536' (out of range 0-65535)\n"},
	    {{"-p", "4294967297"},
	     "sockit frob: bad value for '-p': '4294967297' (out of range 0-65535)\n"},
	    {{"-t", "-1"},
	     "sockit frob: bad value for '-t': '-1' (is not a duration (a "
	     "number of seconds, or with a unit: 250ms, 1.5s, 2m, 1h))\n"},
	    {{"-t", "2h"},
	     "sockit frob: bad value for '-t': '2h' (out of range 1ms-1h)\n"},
	    {{"--mode", "slow"},
	     "sockit frob: bad value for '--mode': 'slow' (expected fast)\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct args a = {0};
		int first;
		const char **w = cases[i].w;
		int rc = parse(&a, &first, w[0], w[1], w[2], w[3], NULL);
		assert_int_equal(rc, EXIT_USAGE);
		assert_string_equal(errbuf, cases[i].msg);
	}
}

static void test_help(void **st)
{
	(void)st;
	struct args a = {0};
	int first;

	assert_int_equal(parse(&a, &first, "-j", "--help", NULL), EXIT_OK);
	assert_string_equal(errbuf, "usage: sockit frob\n");
	assert_int_equal(parse(&a, &first, "-h", NULL), EXIT_OK);
	assert_int_equal(parse(&a, &first, "--he", NULL), EXIT_OK); /* abbreviation */
}

static void test_in_order_and_reentry(void **st)
{
	(void)st;
	bool json = false;
	const struct cli_option opts[] = {CLI_FLAG('j', "json", &json), CLI_END};
	const struct cli_command cmd = {"frob", "", opts, CLI_IN_ORDER};
	char *argv[] = {"frob", "-j", "ep", "-j", "msg", "-5", NULL};
	int first;

	assert_int_equal(cli_parse(&cmd, 6, argv, NULL, &first), CLI_RUN);
	assert_int_equal(first, 2); /* stopped at "ep" */
	/* Again from "ep" (its slot is skipped as the command name): stops at
	 * "msg", so the "-5" after it stays a positional. */
	assert_int_equal(cli_parse(&cmd, 4, argv + 2, NULL, &first), CLI_RUN);
	assert_int_equal(first, 2);
	assert_string_equal(argv[2 + first], "msg");
}

static void test_fail_paths(void **st)
{
	(void)st;
	assert_int_equal(cli_usage("frob", "too many arguments"), EXIT_USAGE);
	assert_int_equal(cli_fail(EXIT_NETWORK, "frob: x"), EXIT_NETWORK);
	assert_int_equal(cli_error("frob: x"), -1);
	assert_true(cli_is_help("--help") && cli_is_help("-h") && !cli_is_help("-hx"));
	assert_non_null(cli_version());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_bare_duration_is_seconds),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_help),
	    cmocka_unit_test(test_in_order_and_reentry),
	    cmocka_unit_test(test_fail_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
