/* test_log.c — sk_log's lines: the timestamp and level, one line per
 * call, and every byte outside printable ASCII written as \xNN (a chat
 * QUIT reason or an OPER name reaches the log through it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockit/log.h"

/* Run one sk_log call with stderr on a pipe; the bytes it wrote go to
 * out (NUL-terminated), their count is returned. */
static size_t capture(char *out, size_t cap, const char *fmt, const char *arg)
{
	int p[2], saved = dup(STDERR_FILENO);

	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	dup2(p[1], STDERR_FILENO);
	sk_log(SK_LOG_INFO, fmt, arg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	ssize_t n = read(p[0], out, cap - 1);
	close(p[0]);
	assert_true(n > 0);
	out[n] = '\0';
	return (size_t)n;
}

static void test_line_shape(void **st)
{
	char got[4096];
	regex_t re;
	(void)st;

	capture(got, sizeof got, "hello %s", "world");
	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
	                         "[0-9]{2}\\.[0-9]{3}Z info hello world\n$",
	                         REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&re, got, 0, NULL, 0), 0);
	regfree(&re);
}

/* What a hostile client puts in a QUIT reason: an escape sequence, a
 * bell, DEL, bytes above 0x7f, a line end. */
static void test_control_bytes_escaped(void **st)
{
	char got[4096];
	(void)st;

	size_t n = capture(got, sizeof got, "closed: %s",
	                   "Quit: \x1b[2Jevil\x07\x7f\xff\n2026-01-01T00:00:00.000Z info forged");
	assert_non_null(strstr(got, "closed: Quit: \\x1b[2Jevil\\x07\\x7f\\xff\\x0a2026-01-01T"
	                       "00:00:00.000Z info forged\n"));
	for (size_t i = 0; i + 1 < n; i++)
		assert_true(got[i] >= 0x20 && got[i] < 0x7f);
	assert_int_equal(got[n - 1], '\n');
	assert_null(memchr(got, '\n', n - 1));
}

/* A message longer than a line is cut, never inside an escape, and the
 * line still ends with its newline. */
static void test_long_message_cut_whole(void **st)
{
	char big[3000], got[8192];
	(void)st;

	memset(big, '\x1b', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	size_t n = capture(got, sizeof got, "%s", big);
	assert_true(n <= 2048);
	assert_int_equal(got[n - 1], '\n');
	char *esc = strchr(got, '\\');
	assert_non_null(esc);
	assert_int_equal((size_t)(got + n - 1 - esc) % 4, 0);   /* whole \x1b each */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_shape),
		cmocka_unit_test(test_control_bytes_escaped),
		cmocka_unit_test(test_long_message_cut_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
