/* test_qotd.c — quotes files (fortune format and one per line), limits,
 * the built-in list and the service's replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_host.h"
#include "qotd.h"

extern const struct service svc_qotd;

static void test_fortune_format(void **st)
{
	(void)st;
	struct qotd_list q;
	char err[128];
	const char *t = "first line\nsecond line\n%\n\n%\r\nthird\r\n%\n";
	size_t n;

	assert_int_equal(qotd_parse(&q, t, strlen(t), "q.txt", err, sizeof err), 0);
	assert_int_equal(q.n, 2);
	const char *s = qotd_next(&q, &n);
	assert_int_equal(n, strlen("first line\r\nsecond line\r\n"));
	assert_memory_equal(s, "first line\r\nsecond line\r\n", n);
	s = qotd_next(&q, &n);
	assert_memory_equal(s, "third\r\n", n);
	s = qotd_next(&q, &n);     /* round robin */
	assert_memory_equal(s, "first", 5);
	qotd_free(&q);
}

static void test_line_format(void **st)
{
	(void)st;
	struct qotd_list q;
	char err[128];
	const char *t = "one\n\ntwo 100%\nthree";
	size_t n;

	assert_int_equal(qotd_parse(&q, t, strlen(t), "q.txt", err, sizeof err), 0);
	assert_int_equal(q.n, 3);
	qotd_next(&q, &n);
	const char *s = qotd_next(&q, &n);
	assert_memory_equal(s, "two 100%\r\n", n);
	s = qotd_next(&q, &n);
	assert_memory_equal(s, "three\r\n", n);
	qotd_free(&q);
}

static void test_errors(void **st)
{
	(void)st;
	struct qotd_list q;
	char err[128], big[700];

	assert_int_equal(qotd_parse(&q, "\n\n%\n", 4, "e.txt", err, sizeof err), -1);
	assert_string_equal(err, "e.txt: no quotes");
	memset(big, 'x', sizeof big);
	memcpy(big, "ok\n%\n\n", 6);
	assert_int_equal(qotd_parse(&q, big, sizeof big, "b.txt", err, sizeof err), -1);
	assert_string_equal(err, "b.txt:4: quote longer than 511 bytes");
	/* 509 bytes + CRLF is 511: fits. */
	assert_int_equal(qotd_parse(&q, big + 6, 509, "c.txt", err, sizeof err), 0);
	qotd_free(&q);
	assert_int_equal(qotd_parse(&q, big + 6, 510, "c.txt", err, sizeof err), -1);
}

static void test_builtin_service(void **st)
{
	(void)st;
	struct fake f;
	char out[600];
	size_t n;

	fake_init(&f, &svc_qotd, NULL);
	fake_open(&f);
	assert_true(f.ended);
	assert_true(f.outlen > 10 && f.outlen < 512);
	assert_memory_equal(f.out + f.outlen - 2, "\r\n", 2);
	struct qotd_list *q = f.conn.instance;
	assert_true(q->n >= 5);
	for (size_t i = 0; i < q->n; i++) {
		n = svc_qotd.datagram(q, "", 0, out, sizeof out);
		assert_true(n > 10 && n < 512);
	}
	assert_int_equal(svc_qotd.datagram(q, "", 0, out, 8), 8);
	assert_true(svc_qotd.dgram_may_amplify);
	fake_free(&f);
}

static void test_file_option(void **st)
{
	(void)st;
	char path[] = "/tmp/sockit-qotd-XXXXXX", err[256];
	int fd = mkstemp(path);
	struct svc_options opt = { .quotes_file = path };
	void *inst = NULL;
	struct fake f;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "only one\n", 9), 9);
	close(fd);
	fake_init(&f, &svc_qotd, &opt);
	fake_open(&f);
	assert_string_equal(f.out, "only one\r\n");
	fake_free(&f);
	unlink(path);
	assert_int_equal(svc_qotd.init(&opt, &inst, err, sizeof err), -1);
	assert_non_null(strstr(err, "No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fortune_format),
		cmocka_unit_test(test_line_format),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_builtin_service),
		cmocka_unit_test(test_file_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
