/* test_scan_report.c — result lines in text and JSON, and the escaping of
 * banners (hostile bytes from the network). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "scan/report.h"

static void test_escape_json(void **state)
{
	(void)state;
	char out[64];
	const unsigned char in[] = "a\r\n\"\\\x01\x7f";
	escape_json(out, sizeof out, in, sizeof in - 1);
	assert_string_equal(out, "a\\r\\n\\\"\\\\\\u0001\\u007f");
}

static void test_escape_json_empty(void **state)
{
	(void)state;
	char out[6];
	const unsigned char nul[] = { 'x', 0, 'y' };
	escape_json(out, sizeof out, nul, 0);
	assert_string_equal(out, "");
}

static struct scan_host v4(const char *a)
{
	struct scan_host h = { .family = AF_INET };
	inet_pton(AF_INET, a, h.addr);
	return h;
}

static void test_lines(void **state)
{
	(void)state;
	struct scan_host h = v4("192.0.2.7");
	struct report r = { 0 };
	char line[REPORT_LINE_MAX];
	const unsigned char banner[] = "hi\n";
	struct scan_result res = { &h, 22, PORT_OPEN, 1500, "syn-ack", banner, 3 };

	assert_true(report_line(&r, &res, line, sizeof line) > 0);
	assert_string_equal(line, "22/tcp open unknown \"hi\\n\"\n");
	/* A hostile banner reaches the terminal escaped (sk_escape's C form). */
	const unsigned char hostile[] = "SSH-2.0\r\n\t\"q\"\\\x01\xff\x1b[2J";
	res.banner = hostile;
	res.banner_len = sizeof hostile - 1;
	report_line(&r, &res, line, sizeof line);
	assert_string_equal(line, "22/tcp open unknown "
	                    "\"SSH-2.0\\r\\n\\t\\\"q\\\"\\\\\\x01\\xff\\x1b[2J\"\n");
	res.banner = banner;
	res.banner_len = 3;
	r.host_column = true;
	res.banner = NULL;
	report_line(&r, &res, line, sizeof line);
	assert_string_equal(line, "192.0.2.7 22/tcp open unknown\n");
	r.json = true;
	report_line(&r, &res, line, sizeof line);
	assert_string_equal(line, "{\"type\":\"port\",\"host\":\"192.0.2.7\",\"port\":22,"
	                    "\"proto\":\"tcp\",\"state\":\"open\",\"reason\":\"syn-ack\","
	                    "\"rtt_ms\":1.500}\n");
	/* closed and filtered only with --all */
	res.state = PORT_CLOSED;
	assert_int_equal(report_line(&r, &res, line, sizeof line), 0);
	r.all = true;
	assert_true(report_line(&r, &res, line, sizeof line) > 0);
	/* a line that does not fit is not cut in half: nothing is printed */
	assert_int_equal(report_line(&r, &res, line, 20), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_json),
		cmocka_unit_test(test_escape_json_empty),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
