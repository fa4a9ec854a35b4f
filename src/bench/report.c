/* report.c — the load generator's results: a short table or JSON. */
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/json.h"

static const char *const err_names[ERR_KINDS] = {
	[ERR_MISMATCH] = "mismatch", [ERR_UNEXPECTED] = "unexpected",
	[ERR_EOF] = "eof", [ERR_IO] = "io", [ERR_CONNECT] = "connect",
	[ERR_TIMEOUT] = "timeout",
};

const char *bench_err_name(enum bench_err e)
{
	return err_names[e];
}

const char *bench_mode_name(enum bench_mode m)
{
	switch (m) {
	case MODE_PINGPONG: return "pingpong";
	case MODE_PIPELINE: return "pipeline";
	case MODE_UDP:      return "udp";
	case MODE_CONNECT:  return "connect";
	case MODE_CAESAR:   return "caesar";
	case MODE_CHAT:     return "chat";
	}
	return "?";
}

static uint64_t total_errors(const struct bench_stats *st)
{
	uint64_t n = 0;

	for (int k = 0; k < ERR_KINDS; k++)
		n += st->errors[k];
	return n;
}

/* "812 us" or "1.25 ms": latencies from loopback to seconds. */
static const char *fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 10000)
		snprintf(buf, len, "%.2f us", (double)ns / 1e3);
	else if (ns < 1000000)
		snprintf(buf, len, "%.0f us", (double)ns / 1e3);
	else
		snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
	return buf;
}

/* A JSON string through the kit's one escaper. */
static const double pcts[] = { 50, 90, 99, 99.9 };
static const char *const pct_names[] = { "p50", "p90", "p99", "p99_9" };

void bench_json_latency(struct json *j, const struct histogram *h)
{
	json_key(j, "latency_us");
	json_object(j);
	for (int i = 0; i < 4; i++)
		json_kv_double(j, pct_names[i], (double)hist_percentile(h, pcts[i]) / 1e3, 1);
	json_kv_double(j, "max", (double)(h->count ? h->max : 0) / 1e3, 1);
	json_kv_double(j, "mean", hist_mean(h) / 1e3, 1);
	json_end(j);
}

void bench_print_latency(const struct histogram *h)
{
	char b[5][32];

	printf("latency      p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
	       fmt_ns(b[0], 32, hist_percentile(h, 50)),
	       fmt_ns(b[1], 32, hist_percentile(h, 90)),
	       fmt_ns(b[2], 32, hist_percentile(h, 99)),
	       fmt_ns(b[3], 32, hist_percentile(h, 99.9)),
	       fmt_ns(b[4], 32, h->count ? h->max : 0));
}

static void report_json(const struct bench_config *cfg,
                        const struct bench_stats *st, double secs)
{
	struct json j;

	json_start_compact(&j, stdout);
	json_object(&j);
	json_kv_str(&j, "endpoint", cfg->target);
	json_kv_str(&j, "mode", bench_mode_name(cfg->mode));
	json_kv_uint(&j, "depth", cfg->depth);
	json_kv_uint(&j, "connections", cfg->connections);
	json_kv_uint(&j, "size", cfg->size);
	json_kv_uint(&j, "threads", cfg->threads);
	json_kv_double(&j, "seconds", secs, 3);
	json_kv_uint(&j, "requests", st->ok);
	json_kv_uint(&j, "failed", st->failed);
	json_kv_double(&j, "rps", secs > 0 ? (double)st->ok / secs : 0, 1);
	json_kv_double(&j, "mbps", secs > 0 ? (double)st->bytes_in / secs / 1e6 : 0, 3);
	bench_json_latency(&j, &st->hist);
	json_key(&j, "errors");
	json_object(&j);
	json_kv_uint(&j, "total", total_errors(st));
	for (int k = 0; k < ERR_KINDS; k++)
		json_kv_uint(&j, err_names[k], st->errors[k]);
	json_end(&j);
	json_kv_uint(&j, "late", st->late);
	json_kv_uint(&j, "connects", st->connects);
	json_kv_uint(&j, "replies_total", st->replies_total);
	json_kv_str(&j, "first_error", st->first_error);
	json_end(&j);
	json_newline(&j);
}

static void report_errors(const struct bench_stats *st)
{
	uint64_t n = total_errors(st);

	printf("errors       %llu", (unsigned long long)n);
	for (int k = 0; k < ERR_KINDS; k++)
		if (st->errors[k])
			printf(" %s=%llu", err_names[k], (unsigned long long)st->errors[k]);
	if (st->late)
		printf(" (late replies %llu)", (unsigned long long)st->late);
	printf("\n");
	if (n)
		printf("first error  %s\n", st->first_error);
}

static void report_text(const struct bench_config *cfg,
                        const struct bench_stats *st, double secs)
{
	const struct histogram *h = &st->hist;

	printf("%s %s", cfg->target, bench_mode_name(cfg->mode));
	if (cfg->mode == MODE_PIPELINE)
		printf(" %u", cfg->depth);
	printf(": %u connections, %zu bytes, %u thread%s, %.2f s\n",
	       cfg->connections, cfg->size, cfg->threads,
	       cfg->threads == 1 ? "" : "s", secs);
	printf("requests     %llu ok, %llu failed\n", (unsigned long long)st->ok,
	       (unsigned long long)st->failed);
	printf("throughput   %.0f req/s, %.2f MB/s\n",
	       secs > 0 ? (double)st->ok / secs : 0,
	       secs > 0 ? (double)st->bytes_in / secs / 1e6 : 0);
	bench_print_latency(h);
	report_errors(st);
}

void bench_report(const struct bench_config *cfg, const struct bench_stats *st,
                  double seconds)
{
	if (cfg->json)
		report_json(cfg, st, seconds);
	else
		report_text(cfg, st, seconds);
	fflush(stdout);
}
