/* conn.h — one load-generator connection and what the stream (client.c)
 * and datagram (dgram.c) halves do with it alike (conn.c, tally.c). */
#ifndef SOCKIT_BENCH_CONN_H
#define SOCKIT_BENCH_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <sys/types.h>

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
	/* io_uring (uring.c): requests in flight carry gen, so those of a
	 * closed connection are recognised when they complete. */
	bool on_ring, recv_armed, sending;
	uint32_t gen;
	char *sbuf;                  /* the bytes of the send in flight */
	size_t sbuf_cap;
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

/* Count w bytes of requests as written (sent, send_off). */
void conn_account_sent(const struct pattern *p, struct bench_conn *c, size_t w);

/* Stream half (client.c), for uring.c: bytes read (r > 0), EOF (0) or an
 * error (r < 0, err); write what is due. */
void stream_got(struct bench_thread *t, struct bench_conn *c, const char *buf,
                ssize_t r, int err);
int stream_dispatch(struct bench_thread *t, int timeout_ms);
bool stream_write(struct bench_thread *t, struct bench_conn *c);

/* io_uring half (uring.c). */
int bench_ring_new(struct bench_thread *t);
void bench_ring_free(struct bench_thread *t);
/* Move an established connection's reads and writes onto the ring. */
int bench_ring_attach(struct bench_thread *t, struct bench_conn *c);
/* Send [sent, queued) in one request (at most one in flight). */
void bench_ring_send(struct bench_thread *t, struct bench_conn *c);
/* Before close(c->fd): end c's requests (their completions are ignored). */
void bench_ring_detach(struct bench_thread *t, struct bench_conn *c);
/* One turn: submit, wait up to timeout_ms, run completions and epoll's
 * events (connects); -1 on a ring error. */
int bench_ring_turn(struct bench_thread *t, int timeout_ms);

/* Datagram half (dgram.c). */
void dgram_open(struct bench_thread *t, struct bench_conn *c);
void dgram_event(struct bench_thread *t, struct bench_conn *c, uint32_t ev);
void dgram_scan(struct bench_thread *t, struct bench_conn *c);

#endif
