/* rtt.c — RFC 6298's smoothed RTT and variance, in microseconds. */
#include "scan/rtt.h"

void rtt_init(struct rtt_est *r, uint32_t min_ms, uint32_t max_ms,
              uint32_t initial_ms)
{
	r->srtt_us = r->rttvar_us = 0;
	r->samples = 0;
	r->min_ms = min_ms;
	r->max_ms = max_ms < min_ms ? min_ms : max_ms;
	r->initial_ms = initial_ms;
}

void rtt_sample(struct rtt_est *r, uint64_t rtt_us)
{
	int64_t m = rtt_us > INT32_MAX ? INT32_MAX : (int64_t)rtt_us;

	if (r->samples++ == 0) {
		r->srtt_us = m;
		r->rttvar_us = m / 2;
		return;
	}
	/* rttvar = 3/4 rttvar + 1/4 |srtt - m|; srtt = 7/8 srtt + 1/8 m */
	int64_t d = r->srtt_us - m;
	if (d < 0)
		d = -d;
	r->rttvar_us += (d - r->rttvar_us) / 4;
	r->srtt_us += (m - r->srtt_us) / 8;
}

uint32_t rtt_timeout_ms(const struct rtt_est *r)
{
	uint64_t ms;

	if (r->samples == 0)
		ms = r->initial_ms;
	else
		ms = ((uint64_t)(r->srtt_us + 4 * r->rttvar_us) + 999) / 1000;
	if (ms < r->min_ms)
		ms = r->min_ms;
	if (ms > r->max_ms)
		ms = r->max_ms;
	return (uint32_t)ms;
}
