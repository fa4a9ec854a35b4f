/* report.c — scan results as text or JSON lines, the summary, progress. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/json.h"
#include "scan/report.h"
#include "sockit/escape.h"

const char *port_state_name(enum port_state s)
{
	return s == PORT_OPEN ? "open" : s == PORT_CLOSED ? "closed" : "filtered";
}

/* The kit's JSON escaping (cli/json.h), into a line buffer. */
void escape_json(char *out, size_t outlen, const unsigned char *in, size_t len)
{
	json_escape_buf(out, outlen, (const char *)in, len, NULL);
}

/* snprintf into buf at *pos, never past len (a cut line is dropped by the
 * caller's check). */
static void add(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	if (*pos >= len)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	*pos += n > 0 ? (size_t)n : 0;
}

/* One port's JSON Lines record, by the kit's writer (compact), into buf:
 * its length, or 0 when it did not fit (a cut line is dropped). */
static size_t line_json(char *buf, size_t len, const struct scan_result *res,
                        const char *host, const char *svc)
{
	FILE *f = fmemopen(buf, len, "w");
	struct json j;

	if (!f)
		return 0;
	json_start_compact(&j, f);
	json_object(&j);
	json_kv_str(&j, "type", "port");
	json_kv_str(&j, "host", host);
	json_kv_uint(&j, "port", res->port);
	json_kv_str(&j, "proto", "tcp");
	json_kv_str(&j, "state", port_state_name(res->state));
	json_kv_str(&j, "reason", res->reason);
	if (svc)
		json_kv_str(&j, "service", svc);
	if (res->rtt_us)
		json_kv_double(&j, "rtt_ms", (double)res->rtt_us / 1000.0, 3);
	if (res->banner)
		json_kv_strn(&j, "banner", (const char *)res->banner, res->banner_len);
	json_end(&j);
	json_newline(&j);
	bool ok = fflush(f) == 0 && !ferror(f);
	long n = ftell(f);
	fclose(f);
	return ok && n > 0 && (size_t)n < len ? (size_t)n : 0;
}

static void line_text(const struct report *r, char *buf, size_t len,
                      size_t *pos, const struct scan_result *res,
                      const char *host, const char *svc)
{
	char esc[BANNER_MAX * 4 + 1];
	if (r->host_column)
		add(buf, len, pos, "%s ", host);
	add(buf, len, pos, "%u/tcp %s %s", res->port, port_state_name(res->state),
	    svc ? svc : "unknown");
	if (res->banner) {
		sk_escape(esc, sizeof esc, res->banner, res->banner_len, SK_ESCAPE_C, NULL);
		add(buf, len, pos, " \"%s\"", esc);
	}
	add(buf, len, pos, "\n");
}

size_t report_line(const struct report *r, const struct scan_result *res,
                   char *buf, size_t len)
{
	char host[128];
	size_t pos = 0;
	if (res->state != PORT_OPEN && !r->all)
		return 0;
	host_format(res->host, host, sizeof host);
	const char *svc = svc_name(r->svc, res->port);
	if (r->json)
		return line_json(buf, len, res, host, svc);
	line_text(r, buf, len, &pos, res, host, svc);
	return pos < len ? pos : 0;
}

void report_write(struct report *r, const char *lines, size_t len, bool flush)
{
	if (len == 0)
		return;
	if (r->progress_tty && r->last_progress_ms)
		fputs("\r\033[K", stderr);   /* keep the progress line off results */
	fwrite(lines, 1, len, r->out);
	/* Open ports are news: show them now even when stdout is a pipe. */
	if (flush)
		fflush(r->out);
}

void report_result(struct report *r, const struct scan_result *res)
{
	char line[REPORT_LINE_MAX];
	report_write(r, line, report_line(r, res, line, sizeof line),
	             res->state == PORT_OPEN);
}

void report_summary(struct report *r, const struct scan_summary *s)
{
	if (r->json) {
		struct json j;
		char shard[32];
		snprintf(shard, sizeof shard, "%u/%u", s->shard_index, s->shard_count);
		json_start_compact(&j, r->out);
		json_object(&j);
		json_kv_str(&j, "type", "summary");
		json_kv_uint(&j, "hosts", s->hosts);
		json_kv_uint(&j, "ports", s->ports);
		json_kv_uint(&j, "scanned", s->done);
		json_kv_uint(&j, "open", s->open);
		json_kv_uint(&j, "closed", s->closed);
		json_kv_uint(&j, "filtered", s->filtered);
		json_kv_uint(&j, "probes", s->probes);
		json_kv_uint(&j, "retries", s->retries);
		json_kv_uint(&j, "self_connects", s->self_connects);
		json_kv_uint(&j, "timeout_ms", s->timeout_ms);
		json_kv_double(&j, "elapsed_s", s->elapsed_s, 3);
		json_kv_str(&j, "shard", shard);
		json_kv_bool(&j, "interrupted", s->interrupted);
		json_end(&j);
		json_newline(&j);
	} else if (!r->quiet) {
		fprintf(r->out, "%s%" PRIu64 " host%s, %" PRIu64 " port%s scanned in "
		        "%.2f s: %" PRIu64 " open, %" PRIu64 " closed, %" PRIu64
		        " filtered\n", s->interrupted ? "interrupted: " : "",
		        s->hosts, s->hosts == 1 ? "" : "s", s->done,
		        s->done == 1 ? "" : "s", s->elapsed_s, s->open, s->closed,
		        s->filtered);
	}
	fflush(r->out);
}

void report_progress(struct report *r, const struct scan_summary *s,
                     double rate, bool final)
{
	if (!r->progress)
		return;
	double pct = s->total ? 100.0 * (double)s->done / (double)s->total : 100.0;
	double eta = rate > 0 ? (double)(s->total - s->done) / rate : 0;
	fprintf(stderr, "%sscan: %5.1f%% %" PRIu64 "/%" PRIu64 "  %.0f ports/s  "
	        "ETA %.0fs  open %" PRIu64 "%s", r->progress_tty ? "\r\033[K" : "",
	        pct, s->done, s->total, rate, eta, s->open,
	        r->progress_tty && !final ? "" : "\n");
	fflush(stderr);
}
