/* rate_limit.h — reply budgets for amplifying datagram services: per
 * source address across every worker, and per service for all sources. */
#ifndef SOCKIT_RATE_LIMIT_H
#define SOCKIT_RATE_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Per source address (all amplifying services together): a token bucket
 * of RATE_SRC_PER_SEC replies a second with a burst of RATE_SRC_BURST. */
#define RATE_SRC_PER_SEC 20
#define RATE_SRC_BURST 40
/* Per amplifying service, every source together: what a spoofed flood
 * from many addresses can reflect at most. */
#define RATE_SVC_PER_SEC 500
#define RATE_SVC_BURST 1000
/* The source table: RATE_SETS sets of RATE_WAYS entries, each holding a
 * source's full address.  A source whose set is full of busy sources
 * shares (is charged to) the emptiest of them: it never gets a fresh
 * budget, and nobody's budget is ever refilled by an eviction. */
#define RATE_SETS 4096
#define RATE_WAYS 4
#define RATE_MAX_SERVICES 16

struct rate_table;

/* A table shared by every worker thread (it locks internally, one mutex
 * per group of sets).  NULL on ENOMEM. */
struct rate_table *rate_table_new(void);
void rate_table_free(struct rate_table *t);

/* Whether service svc (any stable pointer naming it) may send one more
 * amplified reply to src at time now_ms (a monotonic clock); counts it if
 * so.  UNIX sources (no address, cannot be spoofed) are always allowed. */
bool rate_allow(struct rate_table *t, const void *svc, const struct sockaddr *src,
                uint64_t now_ms);

/* The set a source address (peer_key bytes) falls in: for tests that
 * need two addresses to collide. */
uint32_t rate_set_of(const unsigned char *key, size_t n);

#endif
