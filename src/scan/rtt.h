/* rtt.h — the scanner's round-trip estimator: TCP's RTO (RFC 6298) fed
 * with connect completion times. */
#ifndef SCAN_RTT_H
#define SCAN_RTT_H

#include <stdbool.h>
#include <stdint.h>

/* Defaults: nmap's bounds for connect scans, TCP's initial RTO. */
#define RTT_MIN_MS 100
#define RTT_MAX_MS 10000
#define RTT_INITIAL_MS 1000

struct rtt_est {
	int64_t srtt_us, rttvar_us;    /* smoothed RTT and its mean deviation */
	uint64_t samples;
	uint32_t min_ms, max_ms, initial_ms;
};

/* Start with no samples: the timeout is initial_ms until the first one. */
void rtt_init(struct rtt_est *r, uint32_t min_ms, uint32_t max_ms,
              uint32_t initial_ms);

/* Feed one measured round trip (a connect answered with SYN-ACK, RST or an
 * ICMP error), in microseconds. */
void rtt_sample(struct rtt_est *r, uint64_t rtt_us);

/* SRTT + 4 * RTTVAR, rounded up to ms and kept within [min, max]. */
uint32_t rtt_timeout_ms(const struct rtt_est *r);

#endif
