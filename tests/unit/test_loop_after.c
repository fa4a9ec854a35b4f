/* test_loop_after.c — sk_loop_set_after: the hook runs once at the end
 * of every wakeup, after the I/O callbacks and timers of that wakeup, and
 * not after it is cleared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "sockit/loop.h"

static char order[16];
static size_t norder;

static void on_read(struct sk_loop *loop, int fd, int events, void *data)
{
	char b[8];
	(void)loop; (void)events; (void)data;
	if (read(fd, b, sizeof b) > 0 && norder < sizeof order)
		order[norder++] = 'r';
}

static void on_timer(struct sk_loop *loop, struct sk_timer *t)
{
	(void)loop; (void)t;
	if (norder < sizeof order)
		order[norder++] = 't';
}

static void after(struct sk_loop *loop, void *data)
{
	(void)loop;
	(*(int *)data)++;
	if (norder < sizeof order)
		order[norder++] = 'a';
}

static void test_after_runs_last_each_wakeup(void **st)
{
	(void)st;
	struct sk_loop *loop = sk_loop_new(64);
	struct sk_timer t = { 0 };
	int p[2], calls = 0;

	assert_non_null(loop);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sk_loop_add(loop, p[0], SK_READ, on_read, NULL), 0);
	sk_loop_set_after(loop, after, &calls);
	assert_int_equal(write(p[1], "x", 1), 1);
	sk_timer_start(loop, &t, 0, on_timer, NULL);
	sk_loop_once(loop, 1000);
	assert_int_equal(calls, 1);
	assert_memory_equal(order, "rta", 3);
	sk_loop_set_after(loop, NULL, NULL);
	assert_int_equal(write(p[1], "y", 1), 1);
	sk_loop_once(loop, 1000);
	assert_int_equal(calls, 1);
	sk_loop_del(loop, p[0]);
	close(p[0]);
	close(p[1]);
	sk_loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_after_runs_last_each_wakeup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
