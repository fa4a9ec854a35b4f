/* ping.h — `sockit ping`: the options, targets and session every module
 * of src/ping/ shares. */
#ifndef PING_PING_H
#define PING_PING_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "sockit/loop.h"

/* Most targets one run pings (a /22, or that many names). */
#define PING_MAX_TARGETS 1024
/* Probes remembered per target: replies to older ones are ignored. */
#define PING_RING 1024
/* One packet in or out, with room for an IP header and control data. */
#define PING_PKT_MAX (65536 + 512)

enum ping_mode { PING_ICMP, PING_TCP, PING_UDP };

struct ping_opts {
	enum ping_mode mode;
	uint16_t port;        /* --tcp PORT, --udp [PORT] */
	long long count;      /* -c; 0 until interrupted */
	uint64_t interval_us; /* -i; 0 with -f alone: flood */
	bool interval_set;
	uint64_t timeout_us;  /* -W: wait for replies when none came */
	uint64_t deadline_us; /* -w: 0 none */
	long size;            /* -s payload bytes */
	int ttl;              /* -t; -1 the system's */
	int family;           /* -4/-6: AF_INET/AF_INET6; AF_UNSPEC */
	bool quiet, numeric, timestamps, outstanding, flood, audible;
	bool json, alive, verbose;
	const char *iface; /* -I name or address */
	char **hosts;      /* positional arguments */
	int nhosts;
};

/* Parse argv into o (defaults first).  Returns -1 when the run should go
 * on, else the exit status to end with (0 after --help, 2 after a usage
 * error, already reported on stderr as one line). */
int ping_parse_options(int argc, char **argv, struct ping_opts *o);

enum probe_state { PROBE_FREE, PROBE_OUT, PROBE_ANSWERED, PROBE_LOST, PROBE_FAILED };

struct ping_target;

/* One probe sent: the slot seq % PING_RING of its target. */
struct ping_probe {
	uint64_t sent_ns;      /* CLOCK_REALTIME, as kernel stamps are */
	uint64_t sent_mono_ns; /* for timeouts */
	uint16_t seq;
	uint8_t state; /* enum probe_state */
	bool replied;  /* a reply came (DUP! after this) */
	int fd;        /* --tcp: the connecting socket, or -1 */
	struct ping_target *t;
};

/* Counters of one target, iputils' names; times in microseconds. */
struct ping_stats {
	uint64_t transmitted, received, repeats, errors, corrupted;
	int64_t tmin, tmax, tsum;
	double tsum2;
	long ewma8; /* iputils' rtt: 8 x the moving average */
	long pipe;
	bool timed; /* some reply carried a time */
};

struct ping_session;

struct ping_target {
	struct ping_session *s;
	char name[256]; /* as given */
	char addr[INET6_ADDRSTRLEN];
	char src[INET6_ADDRSTRLEN]; /* the source address the route picks */
	bool by_name;               /* name is not the address text */
	struct sockaddr_storage sa;
	socklen_t salen;
	int family;
	struct ping_stats st;
	uint16_t next_seq;                    /* sequence of the next probe, from 1 */
	uint64_t first_send_ns, last_send_ns; /* monotonic */
	uint64_t next_send_ns;                /* monotonic: when the next probe is due */
	bool sending_done, done, any_output;
	int fd;                /* --udp: the connected socket */
	struct sk_timer timer; /* next send, then the linger */
	struct ping_probe ring[PING_RING];
};

/* How probes go out: ICMP through the shared sockets, TCP connects, UDP
 * datagrams.  send returns 0, or -1 with errno (the probe is counted sent
 * either way, as iputils counts a hard local error). */
struct ping_transport {
	int (*open)(struct ping_session *s, char *err, size_t errlen);
	int (*send)(struct ping_target *t, struct ping_probe *p);
	void (*drop)(struct ping_probe *p); /* a probe given up: free its fd */
	void (*close)(struct ping_session *s);
};

extern const struct ping_transport ping_icmp_transport;
extern const struct ping_transport ping_tcp_transport;
extern const struct ping_transport ping_udp_transport;

/* An ICMP socket of one family (socket.c). */
struct ping_socket {
	int fd; /* -1 when not open */
	int family;
	bool raw;       /* SOCK_RAW: IPv4 replies carry the IP header */
	uint16_t ident; /* echo id: the ping socket's port, or random */
};

struct ping_session {
	struct sk_loop *loop;
	const struct ping_opts *o;
	const struct ping_transport *tr;
	struct ping_target *targets;
	size_t ntargets, ndone;
	struct ping_socket sock4, sock6;
	uint64_t start_ns; /* monotonic */
	struct sk_timer deadline;
	bool stopping, flood, multi, setup_error;
	FILE *out;
	uint8_t *pkt; /* PING_PKT_MAX bytes: one packet in or out */
};

#endif
