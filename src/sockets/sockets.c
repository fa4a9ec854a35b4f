/* sockets.c — the socket list container and the ss-style names of netids and states. */
#include <stdlib.h>
#include <string.h>

#include "sockets/sockets.h"

struct sock_entry *sock_list_add(struct sock_list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct sock_entry *v = realloc(l->v, cap * sizeof *v);

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof l->v[0]);
	return &l->v[l->n++];
}

void sock_list_free(struct sock_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].extra);
		free(l->v[i].icons);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

void sock_list_retain(struct sock_list *l,
                      bool (*keep)(const struct sock_entry *, const void *),
                      const void *arg)
{
	size_t out = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (keep(&l->v[i], arg))
			l->v[out++] = l->v[i];
		else {
			free(l->v[i].path);
			free(l->v[i].extra);
			free(l->v[i].icons);
		}
	}
	l->n = out;
}

const char *netid_name(unsigned netid)
{
	static const char *const names[NETID_COUNT] = {
	    [NETID_TCP] = "tcp",     [NETID_UDP] = "udp",     [NETID_U_STR] = "u_str",
	    [NETID_U_DGR] = "u_dgr", [NETID_U_SEQ] = "u_seq", [NETID_RAW] = "raw",
	    [NETID_P_RAW] = "p_raw", [NETID_P_DGR] = "p_dgr", [NETID_NL] = "nl",
	};
	return netid < NETID_COUNT ? names[netid] : "?";
}

const char *state_name(unsigned state, unsigned netid)
{
	static const char *const names[ST_MAX] = {
	    [0] = "UNKNOWN",
	    [ST_ESTABLISHED] = "ESTAB",
	    [ST_SYN_SENT] = "SYN-SENT",
	    [ST_SYN_RECV] = "SYN-RECV",
	    [ST_FIN_WAIT1] = "FIN-WAIT-1",
	    [ST_FIN_WAIT2] = "FIN-WAIT-2",
	    [ST_TIME_WAIT] = "TIME-WAIT",
	    [ST_CLOSE] = "UNCONN",
	    [ST_CLOSE_WAIT] = "CLOSE-WAIT",
	    [ST_LAST_ACK] = "LAST-ACK",
	    [ST_LISTEN] = "LISTEN",
	    [ST_CLOSING] = "CLOSING",
	    [ST_NEW_SYN_RECV] = "SYN-RECV",
	};
	(void)netid; /* ss prints UNCONN for every socket in CLOSE; so do we */
	return state < ST_MAX ? names[state] : "UNKNOWN";
}
