/* collect.h — getting the socket list from the kernel: netlink sock_diag,
 * or /proc/net when sock_diag is unavailable. */
#ifndef SOCKIT_SOCKETS_COLLECT_H
#define SOCKIT_SOCKETS_COLLECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sockets/filter.h"
#include "sockets/sockets.h"

struct nlmsghdr;

/* The sock_diag requests we make; also the tag of a dump line. */
enum diag_kind { DIAG_TCP, DIAG_UDP, DIAG_UNIX, DIAG_RAW, DIAG_PACKET, DIAG_NETLINK, DIAG_KINDS };

struct collect_opts {
	const struct sock_filter *filter; /* states and ports go in the request */
	bool tcpinfo;                     /* -i, -e --json: ask for struct tcp_info too */
	bool force_proc;                  /* --proc: skip netlink */
	FILE *record;                     /* --record-dump: copy every reply here */
	const void *bc;                   /* compiled filter expression, or NULL: */
	size_t bclen;                     /* then the port filters go instead */
	unsigned ext;                     /* more INET_DIAG_* replies (1 << (X-1)) */
	bool mark_auto;                   /* ask the kernel which inet sockets are
	                                     autobound (auto_known, auto_bound) */
	uint16_t id_sport, id_dport;      /* TCP: only this local / remote port
	                                     (0: any), tested before the bytecode */
	bool id_exact;                    /* TCP: they are the whole bytecode */
	bool details;                     /* -e: UNIX file (VFS) and listener
	                                     queue (ICONS) too, as ss -e asks */
};

/* Collect every socket f selects (its states and ports narrow the kernel
 * request; the caller still applies f, which also has what the kernel
 * cannot filter).  Falls back to /proc/net per kind when sock_diag is
 * unavailable, saying so once on stderr.  Returns 0, or -1 with err. */
int collect_sockets(const struct collect_opts *o, struct sock_list *out, char *err,
                    size_t errlen);

/* Netlink: dump one kind into out.  Returns 0; -1 with errno (ENOENT,
 * EPROTONOSUPPORT when the kernel lacks that diag module). */
struct mnl_socket;
int collect_netlink_kind(struct mnl_socket *nl, enum diag_kind kind,
                         const struct collect_opts *o, struct sock_list *out);

/* Decode one SOCK_DIAG_BY_FAMILY reply of the given kind into out; the
 * message is checked against its own length.  Returns 0, 1 when the
 * message was skipped as malformed, -1 when out of memory. */
int diag_parse(const struct nlmsghdr *nlh, enum diag_kind kind, struct sock_list *out);
/* Whether diag_parse keeps the whole struct tcp_info of each TCP socket
 * (for -i); false by default, so a plain listing stays small. */
extern bool diag_keep_info;

/* Packet sockets (packet_diag, collect_packet.c): dump them all into out;
 * decode one reply (0, 1 when skipped as malformed, -1 out of memory). */
int collect_packet(struct mnl_socket *nl, const struct collect_opts *o,
                   struct sock_list *out);
int packet_diag_parse(const struct nlmsghdr *nlh, struct sock_list *out);

/* Netlink sockets (netlink_diag, collect_netlink_diag.c): the same pair. */
int collect_netlink_socks(struct mnl_socket *nl, const struct collect_opts *o,
                          struct sock_list *out);
int netlink_diag_parse(const struct nlmsghdr *nlh, struct sock_list *out);

/* Send one dump request built in nlh and decode every reply of the given
 * kind into out (recording each when o->record), until NLMSG_DONE.
 * Returns 0, or -1 with errno. */
int collect_run_dump(struct mnl_socket *nl, struct nlmsghdr *nlh, enum diag_kind kind,
                     const struct collect_opts *o, struct sock_list *out);

/* /proc/net fallback for one kind (raw too; packet and netlink: none).  Returns 0, or -1 with errno. */
int collect_proc_kind(enum diag_kind kind, const struct collect_opts *o,
                      struct sock_list *out);

/* Mark the inet entries l->v[first..] with the kernel's autobound answer:
 * auto_known, and auto_bound when the entry's cookie is among the n sorted
 * cookies (the sockets the kernel sent for the bytecode AUTO). */
void collect_mark_auto(struct sock_list *l, size_t first, const uint64_t *cookies,
                       size_t n);

/* Bytecode asking the kernel for the port filters of f; returns its
 * length (0 when f has none), at most cap bytes written to bc. */
size_t diag_port_bytecode(const struct sock_filter *f, void *bc, size_t cap);

#endif
