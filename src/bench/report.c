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
static void json_str0(const char *s)
{
	json_string(stdout, s, strlen(s));
}

static const double pcts[] = { 50, 90, 99, 99.9 };
static const char *const pct_names[] = { "p50", "p90", "p99", "p99_9" };

static void report_json(const struct bench_config *cfg,
                        const struct bench_stats *st, double secs)
{
	printf("{\"endpoint\":");
	json_str0(cfg->target);
	printf(",\"mode\":\"%s\",\"depth\":%u,\"connections\":%u,\"size\":%zu,"
	       "\"threads\":%u,\"seconds\":%.3f,\"requests\":%llu,\"failed\":%llu,"
	       "\"rps\":%.1f,\"mbps\":%.3f,\"latency_us\":{",
	       bench_mode_name(cfg->mode), cfg->depth, cfg->connections, cfg->size,
	       cfg->threads, secs, (unsigned long long)st->ok,
	       (unsigned long long)st->failed, secs > 0 ? (double)st->ok / secs : 0,
	       secs > 0 ? (double)st->bytes_in / secs / 1e6 : 0);
	for (int i = 0; i < 4; i++)
		printf("\"%s\":%.1f,", pct_names[i],
		       (double)hist_percentile(&st->hist, pcts[i]) / 1e3);
	printf("\"max\":%.1f,\"mean\":%.1f},\"errors\":{\"total\":%llu",
	       (double)(st->hist.count ? st->hist.max : 0) / 1e3,
	       hist_mean(&st->hist) / 1e3, (unsigned long long)total_errors(st));
	for (int k = 0; k < ERR_KINDS; k++)
		printf(",\"%s\":%llu", err_names[k], (unsigned long long)st->errors[k]);
	printf("},\"late\":%llu,\"connects\":%llu,\"replies_total\":%llu,"
	       "\"first_error\":", (unsigned long long)st->late,
	       (unsigned long long)st->connects,
	       (unsigned long long)st->replies_total);
	json_str0(st->first_error);
	printf("}\n");
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
	char b[5][32];
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
	printf("latency      p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
	       fmt_ns(b[0], 32, hist_percentile(h, 50)),
	       fmt_ns(b[1], 32, hist_percentile(h, 90)),
	       fmt_ns(b[2], 32, hist_percentile(h, 99)),
	       fmt_ns(b[3], 32, hist_percentile(h, 99.9)),
	       fmt_ns(b[4], 32, h->count ? h->max : 0));
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
