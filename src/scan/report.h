/* report.h — the scanner's output: result lines (text or JSON lines), the
 * summary, and the progress line on stderr. */
#ifndef SCAN_REPORT_H
#define SCAN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scan/ports.h"
#include "scan/targets.h"

enum port_state { PORT_OPEN, PORT_CLOSED, PORT_FILTERED };

/* Most banner bytes kept and printed. */
#define BANNER_MAX 256

struct report {
	FILE *out;
	const struct svc_table *svc;
	bool json, all;
	bool quiet;                    /* -q: no text summary line */
	bool host_column;              /* more than one host: name it on each line */
	bool progress, progress_tty;
	uint64_t last_progress_ms;
};

struct scan_result {
	const struct scan_host *host;
	uint16_t port;
	enum port_state state;
	uint64_t rtt_us;               /* 0 when nothing answered */
	const char *reason;            /* "syn-ack", "conn-refused", "no-response", ... */
	const unsigned char *banner;
	size_t banner_len;
};

struct scan_summary {
	uint64_t hosts, ports, total, done;
	uint64_t open, closed, filtered;
	uint64_t probes, retries, self_connects, lossy_answers;
	double elapsed_s;
	uint32_t shard_index, shard_count;
	uint32_t timeout_ms;           /* the timeout in force at the end */
	bool interrupted;
};

const char *port_state_name(enum port_state s);

/* Longest result line (a JSON line with an escaped banner). */
#define REPORT_LINE_MAX (BANNER_MAX * 6 + 512)

/* Format one result line into buf: open ports always, closed and filtered
 * only with --all.  Returns its length, 0 when nothing is to be printed. */
size_t report_line(const struct report *r, const struct scan_result *res,
                   char *buf, size_t len);

/* Write formatted lines to the output (flush: now, not when buffered). */
void report_write(struct report *r, const char *lines, size_t len, bool flush);

/* report_line + report_write for one result. */
void report_result(struct report *r, const struct scan_result *res);

void report_summary(struct report *r, const struct scan_summary *s);

/* Progress on stderr: "\r 42.0% 27525/65535 probes  9120/s  ETA 4s". */
void report_progress(struct report *r, const struct scan_summary *s,
                     double rate_per_s, bool final);

/* Escape bytes for a JSON string, into out (NUL-terminated, truncated to
 * fit); for a terminal the text lines use sk_escape (sockit/escape.h). */
void escape_json(char *out, size_t outlen, const unsigned char *in, size_t len);

#endif
