/* test_backend.c — choosing a loop backend: the names, and the fallback
 * to epoll when io_uring is off (forced here by SOCKIT_NO_URING=1, set
 * before the once-per-process probe runs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sockit/loop.h"

static void test_names_round_trip(void **state)
{
	enum sk_backend b;
	(void)state;

	assert_int_equal(sk_backend_parse("auto", &b), 0);
	assert_int_equal(b, SK_BACKEND_AUTO);
	assert_int_equal(sk_backend_parse("epoll", &b), 0);
	assert_int_equal(b, SK_BACKEND_EPOLL);
	assert_int_equal(sk_backend_parse("io_uring", &b), 0);
	assert_int_equal(b, SK_BACKEND_URING);
	assert_string_equal(sk_backend_name(SK_BACKEND_URING), "io_uring");
	assert_string_equal(sk_backend_name(SK_BACKEND_EPOLL), "epoll");
	assert_string_equal(sk_backend_name(SK_BACKEND_AUTO), "auto");
	assert_int_equal(sk_backend_parse("uring", &b), -1);
	assert_int_equal(sk_backend_parse("", &b), -1);
	assert_int_equal(sk_backend_parse("EPOLL", &b), -1);
}

static void test_forced_off_falls_back(void **state)
{
	const char *why = NULL;
	enum sk_backend b = SK_BACKEND_URING;
	(void)state;

	assert_false(sk_uring_available(&why));
	assert_string_equal(why, "disabled by SOCKIT_NO_URING");
	/* auto falls back, an explicit io_uring is refused, epoll is epoll. */
	why = NULL;
	assert_int_equal(sk_backend_resolve(SK_BACKEND_AUTO, &b, &why), 0);
	assert_int_equal(b, SK_BACKEND_EPOLL);
	assert_string_equal(why, "disabled by SOCKIT_NO_URING");
	assert_int_equal(sk_backend_resolve(SK_BACKEND_URING, &b, &why), -1);
	assert_int_equal(sk_backend_resolve(SK_BACKEND_EPOLL, &b, &why), 0);
	assert_int_equal(b, SK_BACKEND_EPOLL);
	/* The answer is probed once: clearing the variable changes nothing. */
	unsetenv("SOCKIT_NO_URING");
	assert_false(sk_uring_available(NULL));
	struct sk_loop *loop = sk_loop_new_backend(16, b);
	assert_non_null(loop);
	assert_int_equal(sk_loop_backend(loop), SK_BACKEND_EPOLL);
	sk_loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_forced_off_falls_back),
	};

	setenv("SOCKIT_NO_URING", "1", 1);
	return cmocka_run_group_tests_name("backend", tests, NULL, NULL);
}
