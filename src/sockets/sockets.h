/* sockets.h — the socket records `sockit sockets` collects, filters and prints. */
#ifndef SOCKIT_SOCKETS_H
#define SOCKIT_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What ss calls the Netid column.  The bit of each is 1 << netid. */
enum netid {
	NETID_TCP,
	NETID_UDP,
	NETID_U_STR,
	NETID_U_DGR,
	NETID_U_SEQ,
	NETID_RAW,   /* raw IP sockets (inet_diag with IPPROTO_RAW) */
	NETID_P_RAW, /* AF_PACKET SOCK_RAW */
	NETID_P_DGR, /* AF_PACKET SOCK_DGRAM */
	NETID_NL,    /* AF_NETLINK */
	NETID_COUNT
};
#define NETID_BIT(n) (1u << (n))
#define NETIDS_UNIX                                                                      \
	(NETID_BIT(NETID_U_STR) | NETID_BIT(NETID_U_DGR) | NETID_BIT(NETID_U_SEQ))
/* ss's "inet": TCP, UDP and raw IP. */
#define NETIDS_INET   (NETID_BIT(NETID_TCP) | NETID_BIT(NETID_UDP) | NETID_BIT(NETID_RAW))
#define NETIDS_PACKET (NETID_BIT(NETID_P_RAW) | NETID_BIT(NETID_P_DGR))
#define NETIDS_ALL    ((1u << NETID_COUNT) - 1)

/* Kernel socket states (include/net/tcp_states.h); UDP and UNIX reuse them:
 * an unconnected datagram socket is in TCP_CLOSE, shown as UNCONN. */
enum sock_state {
	ST_ESTABLISHED = 1,
	ST_SYN_SENT,
	ST_SYN_RECV,
	ST_FIN_WAIT1,
	ST_FIN_WAIT2,
	ST_TIME_WAIT,
	ST_CLOSE,
	ST_CLOSE_WAIT,
	ST_LAST_ACK,
	ST_LISTEN,
	ST_CLOSING,
	ST_NEW_SYN_RECV,
	ST_MAX
};
#define STATE_BIT(s) (1u << (s))
#define STATES_ALL   ((1u << ST_MAX) - 2) /* bits 1..12 */

/* The part of struct tcp_info that -e puts in JSON ("tcp_info"). */
struct sock_tcpinfo {
	uint32_t rtt_us, rttvar_us;
	uint32_t snd_cwnd;
	uint32_t retransmits, total_retrans;
	uint64_t bytes_sent, bytes_acked, bytes_received;
};

/* What -m and -i show, kept apart so a plain listing stays small: the
 * socket memory counters (SK_MEMINFO_*), the whole struct tcp_info as the
 * kernel sent it, the congestion control name and BBR's numbers. */
struct sock_extra {
	bool has_skmem, has_info, has_bbr;
	uint32_t skmem[9];
	uint8_t info[256]; /* struct tcp_info, zero past what the kernel sent */
	char cong[16];
	uint64_t bbr_bw; /* bytes per second */
	uint32_t bbr_min_rtt_us, bbr_pacing_gain, bbr_cwnd_gain;
	bool has_dctcp, dctcp_enabled; /* INET_DIAG_DCTCPINFO */
	uint16_t dctcp_ce_state;
	uint32_t dctcp_alpha, dctcp_ab_ecn, dctcp_ab_tot;
	uint32_t vegas_rtt_us; /* INET_DIAG_VEGASINFO's rtt when enabled, else 0 */
};

/* One socket.  Addresses are in network byte order as the kernel gives
 * them (4 bytes used for AF_INET); ports in host order. */
struct sock_entry {
	uint8_t family; /* AF_INET, AF_INET6, AF_UNIX, AF_PACKET, AF_NETLINK */
	uint8_t netid;  /* enum netid */
	uint8_t state;  /* enum sock_state */
	bool has_tcpinfo;
	uint16_t lport, rport; /* raw: the IP protocol; packet: the ethertype */
	uint32_t rq, wq; /* Recv-Q, Send-Q (for listeners: backlog now, max) */
	uint32_t uid;
	bool has_uid;
	bool v6only; /* IPV6_V6ONLY (INET_DIAG_SKV6ONLY); false when unknown */
	bool has_v6only; /* the kernel sent it (inet6 LISTEN and UNCONN only) */
	bool has_shutdown; /* INET_DIAG_SHUTDOWN / UNIX_DIAG_SHUTDOWN came */
	uint8_t shutdown;  /* bit 0: no more receives, bit 1: no more sends */
	bool has_vfs;      /* UNIX bound to a path: its file's inode and device */
	uint32_t vfs_ino, vfs_dev;
	uint32_t n_icons;  /* UNIX listener: connections waiting to be accepted */
	uint32_t *icons;   /* their inodes (malloc'd); NULL when none or not asked */
	bool has_icons;    /* the kernel sent the list (it does for listeners) */
	uint32_t inode;
	uint32_t peer_inode; /* UNIX: the peer's inode, 0 if none */
	uint8_t laddr[16], raddr[16];
	char *path; /* UNIX bound name, malloc'd, "@x" if abstract; NULL if unnamed */
	struct sock_tcpinfo ti;
	uint8_t timer;      /* -o: 0 none, 1 retransmit, 2 keepalive, 3 TIME-WAIT, 4 probe */
	uint8_t retrans;    /* retransmits (keepalive: probes) so far */
	uint32_t expires;   /* ms until the timer fires */
	struct sock_extra *extra; /* malloc'd when -m/-i asked for it, else NULL */
	uint32_t cookie[2]; /* the kernel's socket cookie (SOCK_DESTROY needs it) */
	uint32_t ifindex;   /* bound device (SO_BINDTODEVICE, packet: bind), 0 if none */
	uint32_t nl_portid, nl_dst_portid, nl_dst_group; /* netlink addresses */
	uint8_t nl_proto, nl_state; /* netlink protocol; 1 when connected */
	uint32_t nl_groups; /* -e: the first 32 multicast groups it joined */
	bool has_pkinfo;    /* packet: PACKET_DIAG_INFO came (-e's ver: line) */
	uint8_t pk_version;
	uint32_t pk_copy_thresh, pk_flags;
	uint32_t mark;      /* SO_MARK (the kernel sends it to CAP_NET_ADMIN) */
	uint64_t cgroup_id; /* cgroup v2 id, 0 when unknown */
	/* The kernel's `autobound` (bind() did not lock the port), when it was
	 * asked (a recorded dump, --no-kernel-filter): auto_known says so. */
	bool auto_known, auto_bound;
	bool from_proc; /* read from /proc/net: no bytecode filtered it */
	uint32_t seq; /* collection order, the tie-break of sorts */
	int pid;      /* owner, from procmap; 0 when unknown */
	char comm[16];
};

/* A growable array of sockets. */
struct sock_list {
	struct sock_entry *v;
	size_t n, cap;
};

/* Append a zeroed entry; returns it, or NULL when out of memory. */
struct sock_entry *sock_list_add(struct sock_list *l);
/* Free every entry's path and the array; leaves an empty list. */
void sock_list_free(struct sock_list *l);
/* Remove every entry for which keep() is false, preserving order. */
void sock_list_retain(struct sock_list *l,
                      bool (*keep)(const struct sock_entry *, const void *),
                      const void *arg);

/* Whether e is an IPv4 or IPv6 socket (has addresses and ports). */
static inline bool sock_is_inet(const struct sock_entry *e)
{
	return e->family == 2 /* AF_INET */ || e->family == 10 /* AF_INET6 */;
}

/* Names as ss prints them: "tcp", "u_str"; "ESTAB", "UNCONN". */
const char *netid_name(unsigned netid);
const char *state_name(unsigned state, unsigned netid);

#endif
