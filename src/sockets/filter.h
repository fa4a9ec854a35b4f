/* filter.h — which sockets to show (ss's -t -u -x -4 -6 -l -a --state,
 * ports, pid) and in what order. */
#ifndef SOCKIT_SOCKETS_FILTER_H
#define SOCKIT_SOCKETS_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "sockets/sockets.h"

/* The selection flags as the user gave them. */
struct select_opts {
	bool tcp, udp, unix_;   /* -t -u -x; none given means all three */
	bool v4, v6;            /* -4 -6; none given means both */
	bool listening, all;    /* -l -a */
	uint32_t states;        /* --state, STATE_BIT()s; 0 when not given */
	unsigned query;         /* -A: NETID_BIT()s; 0 when not given */
	bool states_set;        /* states given (by a filter's state/exclude) even if 0 */
	int sport, dport, port; /* -1 when not given */
	int pid;                /* -1 when not given */
};

/* The resolved filter: what the kernel is asked for and what is kept. */
struct sock_filter {
	unsigned netids; /* NETID_BIT()s */
	bool v4, v6;
	uint32_t states[NETID_COUNT]; /* per netid, STATE_BIT()s */
	int sport, dport, port;       /* -1: any */
	int pid;                      /* -1: any */
};

enum sort_key { SORT_NONE, SORT_RECVQ, SORT_SENDQ, SORT_PORT, SORT_PID };

/* A selection with nothing chosen (ss with no arguments). */
void select_init(struct select_opts *o);

/* Turn flags into a filter the way ss does: without -t/-u/-x every netid;
 * -4/-6 alone select tcp+udp; without -l/-a/--state, TCP and UNIX show
 * every state but LISTEN, UNCONN, TIME-WAIT and SYN-RECV, UDP only ESTAB;
 * -l shows LISTEN and UNCONN; -a every state. */
void filter_setup(struct sock_filter *f, const struct select_opts *o);

/* Parse a comma-separated list of state names (ss's: established,
 * syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, closed,
 * close-wait, last-ack, listening, closing, and the groups all, connected,
 * synchronized, bucket, big; the column names ESTAB, LISTEN, UNCONN also
 * work) into *mask (OR-ed in).  Returns 0, or -1 with the bad name in
 * *bad. */
int filter_parse_states(const char *list, uint32_t *mask, const char **bad);

/* Whether e passes f.  A port filter never matches a UNIX socket. */
bool filter_match(const struct sock_filter *f, const struct sock_entry *e);

/* Whether f's states or ports narrow the given netid at all (so the kernel
 * request must carry them). */
bool filter_has_ports(const struct sock_filter *f);

/* Keep only the entries that pass f (pid must be filled in first when
 * f->pid is set). */
void filter_apply(const struct sock_filter *f, struct sock_list *l);

/* "recvq", "sendq", "port", "pid" -> key; returns -1 for anything else. */
int sort_parse(const char *name, enum sort_key *key);

/* Sort l: queues largest first, local port and pid smallest first; ties
 * keep collection order. */
void sort_sockets(struct sock_list *l, enum sort_key key);

#endif
