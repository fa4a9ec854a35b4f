/* engine.h — the loop-driven TCP connect prober behind `sockit scan`. */
#ifndef SCAN_ENGINE_H
#define SCAN_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "scan/ports.h"
#include "scan/report.h"
#include "scan/shard.h"
#include "scan/targets.h"

/* Most retries ever made for one unanswered port, and for one port whose
 * connects kept meeting our own sockets (self-connects). */
#define SCAN_MAX_RETRIES 10
#define SCAN_MAX_SUSPECTS 8

struct scan_opts {
	const struct target_list *targets;
	const struct port_list *ports;
	struct shard shard;
	unsigned concurrency;          /* most probes in flight (sockets open) */
	unsigned threads;              /* event loops, one per thread (>= 1) */
	int retries;                   /* -1: 2, more when losses are measured */
	uint32_t timeout_ms;           /* 0: adaptive, from the measured RTT */
	uint32_t min_timeout_ms, max_timeout_ms;
	double rate;                   /* connects per second; 0: no cap */
	bool banner;
	uint32_t banner_ms;
	struct report *report;
};

/* Scan every (host, port) of the shard; results go to opts->report as
 * they come.  Fills sum.  Returns 0, or -1 with err when the scan could
 * not run (a socket error that is not about the target). */
int scan_run(const struct scan_opts *opts, struct scan_summary *sum,
             char *err, size_t errlen);

#endif
