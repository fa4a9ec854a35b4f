/* turn_stats.h — how long a loop's turns take (wall and thread CPU
 * time), for finding what makes a server's latency: off unless asked
 * (sockit serve: SOCKIT_TURN_STATS=1), one branch per turn when off.
 * Internal to sockit (sk__: not exported from libsockit.so). */
#ifndef SOCKIT_TURN_STATS_H
#define SOCKIT_TURN_STATS_H

#include <stddef.h>
#include <stdint.h>

struct sk_loop;

/* Start measuring loop's turns; 0, or -1 (out of memory). */
int sk__loop_turn_stats(struct sk_loop *loop);

/* One line summing up loop's turns so far into buf ("turns=N wall
 * p50=... p99=... p99.9=... max=... (E events, T timers) cpu p99=...
 * max=... (E events, T timers) over1ms=N over5ms=N over10ms=N
 * offcpu_over5ms=N maxevents=N maxtimers=N"); "" when not measuring. */
void sk__loop_turn_report(const struct sk_loop *loop, char *buf, size_t len);

/* The loop's side (loop.c, the backends): the wait returned, the turn
 * ended with events handled and timers run. */
void sk__turn_begin(struct sk_loop *loop);
void sk__turn_end(struct sk_loop *loop, int events, int timers);

#endif
