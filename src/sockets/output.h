/* output.h — printing sockets: ss-style columns, JSON, the summary. */
#ifndef SOCKIT_SOCKETS_OUTPUT_H
#define SOCKIT_SOCKETS_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "sockets/sockets.h"

struct out_opts {
	bool process;  /* -p: owner column / fields */
	bool extended; /* -e: ss's details (uid ino sk fwmark cgroup v6only shutdown) */
	bool header;   /* column titles (off with -H) */
	bool timers;   /* -o: timer:(name,expires,retrans) */
	bool memory;   /* -m: skmem:(...) */
	bool info;     /* -i: TCP internals */
	bool oneline;  /* -O: -m/-i on the socket's own line */
	bool no_netid; /* like ss: no Netid column when one netid is selected */
	bool no_state; /* and no State column when one state is */
	bool resolve;  /* -r: names for addresses and ports (getnameinfo) */
	bool numeric;  /* -n: -i's rates in plain bps (else k, M, G as ss) */
};

/* "127.0.0.1:80", "[::1]:80", "0.0.0.0:*" (port 0 shows as *), or for UNIX
 * ss's "PATH INODE" / "* PEER_INODE".  Non-printable bytes of a UNIX path
 * are written as \xNN.  Returns buf. */
char *format_local(const struct sock_entry *e, char *buf, size_t len);
char *format_peer(const struct sock_entry *e, char *buf, size_t len);

/* -r: whether format_local/format_peer print names (getnameinfo, which
 * may ask DNS) instead of numbers.  Off by default. */
void output_set_resolve(bool on);

/* The table: Netid State Recv-Q Send-Q Local Peer [Process] [Details],
 * address columns as wide as the longest address. */
void output_text(FILE *out, const struct sock_list *l, const struct out_opts *o);

/* One line, and the titles, with the given address column widths. */
void output_text_line(FILE *out, const struct sock_entry *e, const struct out_opts *o,
                      int lw, int pw);
void output_text_header(FILE *out, const struct out_opts *o, int lw, int pw);
/* The address column widths the table uses for l. */
void output_widths(const struct sock_list *l, int *lw, int *pw);

/* A JSON array of objects, one per socket, then a newline. */
void output_json(FILE *out, const struct sock_list *l, const struct out_opts *o);

/* -o's " timer:(keepalive,119min,0)" for e (nothing when no timer runs);
 * at most cap bytes with the NUL; returns the length. */
size_t output_timer_text(char *buf, size_t cap, const struct sock_entry *e);
/* -m's " skmem:(...)" and -i's TCP internals, after a newline and a tab
 * unless o->oneline (-O), as ss writes them. */
size_t output_meminfo_text(char *buf, size_t cap, const struct sock_entry *e,
                           const struct out_opts *o);
/* The same as JSON members (",\"timer\":{...}" ...). */
void output_extra_json(FILE *out, const struct sock_entry *e, const struct out_opts *o);

/* One socket as a JSON object (no newline). */
void output_json_object(FILE *out, const struct sock_entry *e, const struct out_opts *o);

/* -e's details as ss prints them after the peer (and process) column:
 * inet " uid:N ino:N sk:COOKIE fwmark:0xM cgroup:PATH v6only:B <->",
 * UNIX " <-> ino:N dev:MAJ/MIN peers: I...", packet " uid:N ino:N sk:C"
 * and its "ver:" line (on the same line with oneline), netlink " sk=0
 * cb=0 groups=0xN";
 * fields ss leaves out when zero or unknown are left out.  At most cap
 * bytes with the NUL; returns the length. */
size_t output_details_text(char *buf, size_t cap, const struct sock_entry *e,
                           bool oneline);
/* The same as JSON members: sk, fwmark, cgroup, v6only, shutdown, vfs, peers. */
void output_details_json(FILE *out, const struct sock_entry *e);

/* The cgroup v2 path of a cgroup id ("/", "/system.slice/x.service"), or
 * "unreachable:ID" as ss prints it; the mount is walked on first use. */
const char *cgroup_path(uint64_t id);
void cgroup_path_free(void);
/* Replaying a dump: the ids are another host's, so do not walk this one's
 * (only the root, id 1 everywhere, has a path; the rest are unreachable). */
void cgroup_path_offline(void);

/* ss -s's figures: from /proc/net/sockstat, sockstat6 and snmp, or
 * counted from a list (a replayed dump: no orphans or fragments known). */
struct ss_summary {
	long socks;
	long tcp_all, tcp_estab, tcp_closed, tcp_orphaned, tcp_tw;
	long raw[2], udp[2], tcp[2], frag[2]; /* [0] IPv4, [1] IPv6 */
};
/* Returns 0, or -1 when /proc/net/sockstat cannot be read. */
int summary_from_proc(struct ss_summary *s);
void summary_from_list(struct ss_summary *s, const struct sock_list *l);

/* -s: ss's summary as text (ss's layout, line for line); as JSON one
 * object with those figures under "sockstat" and the counts of the
 * selected sockets l by netid and state ("total", "netids"). */
void output_summary(FILE *out, const struct ss_summary *s, const struct sock_list *l,
                    bool json);

#endif
