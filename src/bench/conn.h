/* conn.h — one load-generator connection and what the stream (client.c)
 * and datagram (dgram.c) halves do with it alike (conn.c, tally.c). */
#ifndef SOCKIT_BENCH_CONN_H
#define SOCKIT_BENCH_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "bench/bench.h"

enum conn_state { C_IDLE, C_CONNECTING, C_OPEN };

/* Requests [done, queued) are outstanding: their start times are in
 * start[seq % depth]; [sent, queued) are not yet fully written. */
struct bench_conn {
	int fd;
	uint32_t id;                 /* global connection number: picks payloads */
	enum conn_state state;
	uint32_t events;             /* epoll mask registered */
	uint64_t queued, sent, done;
	size_t send_off;             /* bytes of request `sent` written */
	size_t recv_off;             /* bytes of reply `done` verified */
	uint64_t since;              /* when the state began (ns) */
	uint64_t retry_ns;           /* C_IDLE: reopen at this time */
	uint64_t *start;
};

/* Point iov at request seq's bytes, skipping the first skip of them;
 * returns the number of entries used (at most 3). */
int conn_request_iov(const struct pattern *p, const struct bench_conn *c,
                     uint64_t seq, size_t skip, struct iovec *iov);

/* Whether n bytes at buf equal the reply to seq at positions [from,
 * from+n); on a difference *bad is its position in the reply. */
bool conn_reply_matches(const struct pattern *p, uint32_t id, uint64_t seq,
                        size_t from, const char *buf, size_t n, size_t *bad);

/* Register or change c's epoll mask; 0 or -1 with errno. */
int conn_watch(struct bench_thread *t, struct bench_conn *c, uint32_t events);

/* Datagram half (dgram.c). */
void dgram_open(struct bench_thread *t, struct bench_conn *c);
void dgram_event(struct bench_thread *t, struct bench_conn *c, uint32_t ev);
void dgram_scan(struct bench_thread *t, struct bench_conn *c);

#endif
