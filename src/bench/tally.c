/* tally.c — a bench thread's clock, quota and counts: what the stream
 * (client.c) and datagram (dgram.c) halves both record into. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "bench/bench.h"

/* The monotonic clock in nanoseconds. */
uint64_t bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Count an error of kind failing n requests; the first one's text is
 * kept for the report. */
void bench_error(struct bench_thread *t, enum bench_err kind, uint64_t n,
                 const char *fmt, ...)
{
	va_list ap;

	t->st.errors[kind]++;
	t->st.failed += n;
	if (t->st.first_error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(t->st.first_error, sizeof t->st.first_error, fmt, ap);
		va_end(ap);
	}
	atomic_fetch_add_explicit(&t->progress_err, 1, memory_order_relaxed);
}

/* Count a verified reply; only requests started after the warmup and
 * completed before the end enter the statistics (and the quota counts
 * exactly those). */
void bench_complete(struct bench_thread *t, uint64_t start_ns, size_t in,
                    size_t out)
{
	atomic_fetch_add_explicit(&t->progress_ok, 1, memory_order_relaxed);
	if (start_ns < t->measure_ns || (t->end_ns && t->now >= t->end_ns))
		return;
	hist_record(&t->st.hist, t->now - start_ns);
	t->st.ok++;
	t->st.bytes_in += in;
	t->st.bytes_out += out;
	t->st.last_ns = t->now;
}

/* Whether another request may start now; takes it from the quota. */
bool bench_may_start(struct bench_thread *t)
{
	if (t->end_ns && t->now >= t->end_ns)
		return false;
	if (!t->limited || t->now < t->measure_ns)
		return true;
	if (t->quota == 0)
		return false;
	t->quota--;
	return true;
}
