/* turn_stats.c — histograms of a loop's turn lengths: the wall time from
 * the wait's return to the end of the turn (callbacks, timers, the after
 * hook) beside the thread's CPU time over the same span.  Their
 * difference is time the thread was runnable but not running: a long
 * turn with little CPU was preempted, one with as much CPU did too much
 * work. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "loop_int.h"
#include "turn_stats.h"

/* 20 µs buckets up to 200 ms; the last one holds everything longer. */
#define BUCKET_NS 20000u
#define NBUCKETS 10001

struct sk__turn_stats {
	uint64_t wall0, cpu0;
	uint64_t turns, over1, over5, over10, offcpu_over5;
	uint64_t max_wall, max_cpu;
	int max_events, max_timers;
	int max_wall_events, max_wall_timers, max_cpu_events, max_cpu_timers;
	uint32_t wall[NBUCKETS], cpu[NBUCKETS];
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int sk__loop_turn_stats(struct sk_loop *loop)
{
	if (!loop->turns && !(loop->turns = calloc(1, sizeof *loop->turns)))
		return -1;
	return 0;
}

void sk__turn_begin(struct sk_loop *loop)
{
	loop->turns->wall0 = sk_now_ns();
	loop->turns->cpu0 = thread_cpu_ns();
}

static size_t bucket(uint64_t ns)
{
	uint64_t b = ns / BUCKET_NS;
	return b < NBUCKETS - 1 ? (size_t)b : NBUCKETS - 1;
}

void sk__turn_end(struct sk_loop *loop, int events, int timers)
{
	struct sk__turn_stats *s = loop->turns;
	uint64_t wall = sk_now_ns() - s->wall0, cpu = thread_cpu_ns() - s->cpu0;

	if (!s->wall0)
		return;
	s->turns++;
	s->wall[bucket(wall)]++;
	s->cpu[bucket(cpu)]++;
	s->over1 += wall >= 1000000;
	s->over5 += wall >= 5000000;
	s->over10 += wall >= 10000000;
	s->offcpu_over5 += wall - (cpu < wall ? cpu : wall) >= 5000000;
	if (wall > s->max_wall) {
		s->max_wall = wall;
		s->max_wall_events = events;
		s->max_wall_timers = timers;
	}
	if (cpu > s->max_cpu) {
		s->max_cpu = cpu;
		s->max_cpu_events = events;
		s->max_cpu_timers = timers;
	}
	if (events > s->max_events)
		s->max_events = events;
	if (timers > s->max_timers)
		s->max_timers = timers;
	s->wall0 = 0;
}

/* The q-quantile of a histogram, in ms (the bucket's upper edge). */
static double quantile(const uint32_t *h, uint64_t n, double q)
{
	uint64_t want = (uint64_t)(q * (double)n), seen = 0;

	for (size_t i = 0; i < NBUCKETS; i++) {
		seen += h[i];
		if (seen > want)
			return (double)(i + 1) * BUCKET_NS / 1e6;
	}
	return (double)NBUCKETS * BUCKET_NS / 1e6;
}

void sk__loop_turn_report(const struct sk_loop *loop, char *buf, size_t len)
{
	const struct sk__turn_stats *s = loop->turns;

	if (!s || !s->turns) {
		snprintf(buf, len, "%s", s ? "turns=0" : "");
		return;
	}
	snprintf(buf, len,
	         "turns=%llu wall p50=%.2fms p99=%.2fms p99.9=%.2fms max=%.2fms "
	         "(%d events, %d timers) cpu p99=%.2fms p99.9=%.2fms max=%.2fms "
	         "(%d events, %d timers) over1ms=%llu over5ms=%llu over10ms=%llu "
	         "offcpu_over5ms=%llu maxevents=%d maxtimers=%d",
	         (unsigned long long)s->turns, quantile(s->wall, s->turns, 0.5),
	         quantile(s->wall, s->turns, 0.99), quantile(s->wall, s->turns, 0.999),
	         (double)s->max_wall / 1e6, s->max_wall_events, s->max_wall_timers,
	         quantile(s->cpu, s->turns, 0.99), quantile(s->cpu, s->turns, 0.999),
	         (double)s->max_cpu / 1e6, s->max_cpu_events, s->max_cpu_timers,
	         (unsigned long long)s->over1, (unsigned long long)s->over5,
	         (unsigned long long)s->over10, (unsigned long long)s->offcpu_over5,
	         s->max_events, s->max_timers);
}
