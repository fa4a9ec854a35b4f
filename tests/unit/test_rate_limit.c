/* test_rate_limit.c — the amplified-reply budgets (src/serve/rate_limit.c) on a
 * clock the test moves by hand: collisions never refill, a full set shares
 * the stricter budget, the service budget caps many sources, threads share
 * one table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include "serve/rate_limit.h"

static const int svc_a = 0, svc_b = 0; /* their addresses name services */

static struct sockaddr_in v4(uint32_t host_order)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(host_order);
	return a;
}

/* How many of n requests from a at time now are allowed. */
static int ask(struct rate_table *t, const void *svc, struct sockaddr_in *a, int n,
               uint64_t now)
{
	int ok = 0;
	for (int i = 0; i < n; i++)
		ok += rate_allow(t, svc, (struct sockaddr *)a, now);
	return ok;
}

/* count addresses of 10.0.0.0/8 in the same set as base. */
static int colliders(uint32_t base, struct sockaddr_in *out, int count)
{
	struct sockaddr_in b = v4(base);
	uint32_t want = rate_set_of((unsigned char *)&b.sin_addr, 4);
	int got = 0;
	for (uint32_t x = 0x0a000000; x < 0x0b000000 && got < count; x++) {
		struct sockaddr_in a = v4(x);
		if (x != base && rate_set_of((unsigned char *)&a.sin_addr, 4) == want)
			out[got++] = a;
	}
	return got;
}

static void test_burst_then_rate(void **st)
{
	(void)st;
	struct rate_table *t = rate_table_new();
	struct sockaddr_in a = v4(0x7f000001);
	assert_int_equal(ask(t, &svc_a, &a, 100, 1000), RATE_SRC_BURST);
	assert_int_equal(ask(t, &svc_a, &a, 100, 1500), RATE_SRC_PER_SEC / 2);
	/* The per-source budget covers every amplifying service. */
	assert_int_equal(ask(t, &svc_b, &a, 100, 1500), 0);
	/* A clock read a little earlier by another worker refills nothing. */
	assert_int_equal(ask(t, &svc_a, &a, 100, 1400), 0);
	rate_table_free(t);
}

/* Two sources in one set, alternating: each keeps its own budget. */
static void test_collision_keeps_budgets(void **st)
{
	(void)st;
	struct rate_table *t = rate_table_new();
	struct sockaddr_in a = v4(0x7f000001), c[1];
	assert_int_equal(colliders(0x7f000001, c, 1), 1);
	int ga = 0, gc = 0;
	for (int i = 0; i < 500; i++) {
		ga += ask(t, &svc_a, &a, 1, 1000);
		gc += ask(t, &svc_a, &c[0], 1, 1000);
	}
	assert_int_equal(ga, RATE_SRC_BURST);
	assert_int_equal(gc, RATE_SRC_BURST);
	rate_table_free(t);
}

/* Twice as many busy sources as ways: the newcomers get no budget of their
 * own, and nobody is evicted into a fresh one. */
static void test_full_set_never_refills(void **st)
{
	(void)st;
	struct rate_table *t = rate_table_new();
	struct sockaddr_in s[2 * RATE_WAYS];
	s[0] = v4(0x7f000001);
	assert_int_equal(colliders(0x7f000001, s + 1, 2 * RATE_WAYS - 1),
	                 2 * RATE_WAYS - 1);
	int total = 0;
	for (int round = 0; round < 200; round++)
		for (int i = 0; i < 2 * RATE_WAYS; i++)
			total += ask(t, &svc_a, &s[i], 1, 1000);
	assert_true(total <= RATE_WAYS * RATE_SRC_BURST);
	/* One second on: at most a second's refill per way. */
	int more = 0;
	for (int round = 0; round < 200; round++)
		for (int i = 0; i < 2 * RATE_WAYS; i++)
			more += ask(t, &svc_a, &s[i], 1, 2000);
	assert_true(more <= RATE_WAYS * RATE_SRC_PER_SEC);
	/* Idle for a full refill: a way may be taken over (it gives no more
	 * than its owner would have had). */
	assert_int_equal(ask(t, &svc_a, &s[2 * RATE_WAYS - 1], 100, 10000), RATE_SRC_BURST);
	rate_table_free(t);
}

static void test_service_budget(void **st)
{
	(void)st;
	struct rate_table *t = rate_table_new();
	int total = 0;
	for (uint32_t i = 0; i < 5000; i++) {
		struct sockaddr_in a = v4(0x0a000000 + i * 7919);
		total += ask(t, &svc_a, &a, 2, 1000);
	}
	assert_int_equal(total, RATE_SVC_BURST);
	/* Another service has its own budget. */
	struct sockaddr_in b = v4(0x0b000001);
	assert_int_equal(ask(t, &svc_b, &b, 5, 1000), 5);
	rate_table_free(t);
}

static void test_unix_always_allowed(void **st)
{
	(void)st;
	struct rate_table *t = rate_table_new();
	struct sockaddr_un_like { sa_family_t f; char p[20]; } u = { AF_UNIX, "x" };
	for (int i = 0; i < 100; i++)
		assert_true(rate_allow(t, &svc_a, (struct sockaddr *)&u, 1000));
	rate_table_free(t);
}

struct racer { struct rate_table *t; int got; };

static void *race(void *p)
{
	struct racer *r = p;
	struct sockaddr_in a = v4(0x7f000001);
	r->got = ask(r->t, &svc_a, &a, 1000, 5000);
	return NULL;
}

/* Four threads, one source, one instant: one budget between them. */
static void test_threads_share(void **st)
{
	(void)st;
	struct rate_table *t = rate_table_new();
	struct racer r[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){ t, 0 };
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	int total = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += r[i].got;
	}
	assert_int_equal(total, RATE_SRC_BURST);
	rate_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_collision_keeps_budgets),
		cmocka_unit_test(test_full_set_never_refills),
		cmocka_unit_test(test_service_budget),
		cmocka_unit_test(test_unix_always_allowed),
		cmocka_unit_test(test_threads_share),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
