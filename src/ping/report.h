/* report.h — everything `sockit ping` prints: iputils' lines and summary,
 * flood dots, per-host summaries for several hosts, JSON Lines. */
#ifndef PING_REPORT_H
#define PING_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "ping/ping.h"

/* One answer to a probe, as the session matched it. */
struct ping_reply {
	uint16_t seq;
	size_t bytes;   /* ICMP (or UDP payload) bytes received */
	int ttl;        /* -1 unknown */
	int64_t rtt_us; /* -1 when the run does not time replies */
	bool dup, bad_checksum, late, truncated;
	const char *from;  /* the sender, as iputils prints it */
	const char *state; /* --tcp: "open" or "closed"; else NULL */
};

/* "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data." for one target. */
void pout_header(struct ping_session *s, struct ping_target *t);

void pout_reply(struct ping_session *s, struct ping_target *t,
                const struct ping_reply *r);

/* An ICMP error about probe seq: "From 10.0.0.1 icmp_seq=3 Destination
 * Host Unreachable". */
void pout_error(struct ping_session *s, struct ping_target *t, uint16_t seq,
                const char *from, const char *text);

/* A local failure to send ("sendmsg: Network is unreachable"). */
void pout_send_error(struct ping_session *s, struct ping_target *t, int err);

/* A probe sent: flood's dot. */
void pout_sent(struct ping_session *s);

/* -O: "no answer yet for icmp_seq=N". */
void pout_outstanding(struct ping_session *s, struct ping_target *t, uint16_t seq);

/* A probe given up (JSON only: {"type":"timeout",...}). */
void pout_timeout(struct ping_session *s, struct ping_target *t, uint16_t seq);

/* The end: iputils' statistics for one host, one line per host for
 * several, the answering hosts for --alive, or JSON summary lines. */
void pout_summary(struct ping_session *s);

/* SIGQUIT: "\r5/5 packets, 0% loss, min/avg/ewma/max = ..." on stderr. */
void pout_status(struct ping_session *s);

/* The text an address is printed as in reply lines: "localhost
 * (127.0.0.1)" when the target was named, the reply came from its address
 * and -n is off; the bare address otherwise.  Never a DNS look-up. */
const char *pout_from(struct ping_session *s, struct ping_target *t,
                      const struct sockaddr *sa, char *buf, size_t len);

#endif
