/* session.h — one `sockit ping` run: targets, the schedule of each,
 * matching answers to probes (id + sequence), duplicates, late replies,
 * timeouts, the end conditions of iputils. */
#ifndef PING_SESSION_H
#define PING_SESSION_H

#include "ping/ping.h"
#include "ping/report.h"

/* Run the whole ping described by o; returns the exit status (0 a reply
 * came, 1 none, 2 an error), having printed everything. */
int ping_session_run(const struct ping_opts *o);

/* For the transports: the target whose address is sa (NULL: none). */
struct ping_target *session_find(struct ping_session *s, const struct sockaddr *sa);

/* For the transports: the probe of t with sequence seq still remembered
 * (NULL when never sent or too old). */
struct ping_probe *session_probe(struct ping_target *t, uint16_t seq);

/* An answer to probe p arrived at stamp_ns (realtime; 0: now).  r holds
 * what the transport knows (bytes, ttl, from, state); the session fills
 * seq, rtt, dup and late, counts it and prints it. */
void session_answer(struct ping_probe *p, uint64_t stamp_ns, struct ping_reply *r);

/* Probe p failed with an error from `from` (ICMP error text). */
void session_error(struct ping_probe *p, const char *from, const char *text);

#endif
