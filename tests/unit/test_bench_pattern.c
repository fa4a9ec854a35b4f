/* test_bench_pattern.c — the load generator's payloads and reply checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bench/conn.h"

/* Gather a request's iovecs into one buffer. */
static size_t gather(const struct pattern *p, const struct bench_conn *c,
                     uint64_t seq, size_t skip, char *out)
{
	struct iovec iov[3];
	int n = conn_request_iov(p, c, seq, skip, iov);
	size_t len = 0;

	assert_true(n >= 0 && n <= 3);
	for (int i = 0; i < n; i++) {
		memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	return len;
}

/* Consecutive requests of a connection, and the same request number on
 * neighbouring connections, carry different bytes. */
static void test_payloads_differ(void **state)
{
	(void)state;
	struct pattern p;
	struct bench_conn c = { .id = 3 };
	char a[300], b[300];
	size_t bad;

	assert_int_equal(pattern_init(&p, MODE_PINGPONG, 64), 0);
	for (uint64_t s = 0; s < 1000; s++) {
		assert_int_equal(gather(&p, &c, s, 0, a), 64);
		assert_int_equal(gather(&p, &c, s + 1, 0, b), 64);
		assert_memory_not_equal(a, b, 64);
		/* The previous request's echo is not this request's reply. */
		assert_false(conn_reply_matches(&p, c.id, s + 1, 0, a, 64, &bad));
		assert_true(conn_reply_matches(&p, c.id, s, 0, a, 64, &bad));
	}
	assert_int_not_equal(pattern_offset(1, 5), pattern_offset(2, 5));
	pattern_free(&p);
}

/* A reply verified in pieces at any split; a flipped byte is found at
 * its position. */
static void test_split_and_flip(void **state)
{
	(void)state;
	struct pattern p;
	struct bench_conn c = { .id = 0 };
	char req[1100];
	size_t bad;

	assert_int_equal(pattern_init(&p, MODE_PINGPONG, 1000), 0);
	assert_int_equal(gather(&p, &c, 7, 0, req), 1000);
	for (size_t cut = 0; cut <= 1000; cut += 37) {
		assert_true(conn_reply_matches(&p, 0, 7, 0, req, cut, &bad));
		assert_true(conn_reply_matches(&p, 0, 7, cut, req + cut, 1000 - cut, &bad));
	}
	req[613] ^= 1;
	assert_false(conn_reply_matches(&p, 0, 7, 0, req, 1000, &bad));
	assert_int_equal(bad, 613);
	assert_false(conn_reply_matches(&p, 0, 7, 600, req + 600, 400, &bad));
	assert_int_equal(bad, 613);
	pattern_free(&p);
}

/* Skipping already-written bytes resumes a partial write exactly. */
static void test_skip_resumes(void **state)
{
	(void)state;
	struct pattern p;
	struct bench_conn c = { .id = 9 };
	char whole[200], part[200];

	assert_int_equal(pattern_init(&p, MODE_CAESAR, 50), 0);
	size_t n = gather(&p, &c, 4, 0, whole);
	assert_int_equal(n, 54);
	for (size_t skip = 0; skip <= n; skip++) {
		size_t m = gather(&p, &c, 4, skip, part);
		assert_int_equal(m, n - skip);
		assert_memory_equal(part, whole + skip, m);
	}
	pattern_free(&p);
}

static char shift7(char ch)
{
	if (ch >= 'a' && ch <= 'z')
		return (char)('a' + (ch - 'a' + 7) % 26);
	if (ch >= 'A' && ch <= 'Z')
		return (char)('A' + (ch - 'A' + 7) % 26);
	return ch;
}

/* Caesar: "e07" + message + "." with no '.' inside, and the expected
 * reply is the message shifted by 7 plus ".". */
static void test_caesar_requests(void **state)
{
	(void)state;
	struct pattern p;
	struct bench_conn c = { .id = 1 };
	char req[600], want[600];
	size_t bad;

	assert_int_equal(pattern_init(&p, MODE_CAESAR, 500), 0);
	assert_int_equal(p.req_len, 504);
	assert_int_equal(p.reply_len, 501);
	size_t n = gather(&p, &c, 2, 0, req);
	assert_int_equal(n, 504);
	assert_memory_equal(req, "e07", 3);
	assert_int_equal(req[503], '.');
	assert_null(memchr(req + 3, '.', 500));
	bool letters = false;
	for (size_t i = 0; i < 500; i++) {
		want[i] = shift7(req[3 + i]);
		letters |= want[i] != req[3 + i];
	}
	assert_true(letters);
	want[500] = '.';
	assert_true(conn_reply_matches(&p, 1, 2, 0, want, 501, &bad));
	/* The plaintext (what an echo server sends back) is wrong. */
	assert_false(conn_reply_matches(&p, 1, 2, 0, req + 3, 500, &bad));
	/* A wrong terminator is caught at its position. */
	want[500] = '!';
	assert_false(conn_reply_matches(&p, 1, 2, 0, want, 501, &bad));
	assert_int_equal(bad, 500);
	pattern_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payloads_differ),
		cmocka_unit_test(test_split_and_flip),
		cmocka_unit_test(test_skip_resumes),
		cmocka_unit_test(test_caesar_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
