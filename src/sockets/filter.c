/* filter.c — ss-compatible socket selection, matching and sorting. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sockets/filter.h"

#define SS_CONN                                                                          \
	(STATES_ALL & ~(STATE_BIT(ST_LISTEN) | STATE_BIT(ST_CLOSE) |                     \
	                STATE_BIT(ST_TIME_WAIT) | STATE_BIT(ST_SYN_RECV)))
#define CONNECTED (STATES_ALL & ~(STATE_BIT(ST_LISTEN) | STATE_BIT(ST_CLOSE)))
#define BUCKET    (STATE_BIT(ST_SYN_RECV) | STATE_BIT(ST_TIME_WAIT))

void select_init(struct select_opts *o)
{
	memset(o, 0, sizeof *o);
	o->sport = o->dport = o->port = o->pid = -1;
}

static unsigned selected_netids(const struct select_opts *o)
{
	unsigned ids = o->query;

	if (o->tcp)
		ids |= NETID_BIT(NETID_TCP);
	if (o->udp)
		ids |= NETID_BIT(NETID_UDP);
	if (o->unix_)
		ids |= NETIDS_UNIX;
	if (ids)
		return ids;
	/* Like ss: -4/-6 alone mean the inet sockets; nothing at all, every kind. */
	return (o->v4 || o->v6) ? NETIDS_INET : NETIDS_INET | NETIDS_UNIX;
}

static uint32_t default_states(unsigned netid)
{
	return netid == NETID_UDP ? STATE_BIT(ST_ESTABLISHED) : SS_CONN;
}

void filter_setup(struct sock_filter *f, const struct select_opts *o)
{
	memset(f, 0, sizeof *f);
	f->netids = selected_netids(o);
	f->v4 = o->v4 || !o->v6;
	f->v6 = o->v6 || !o->v4;
	for (unsigned id = 0; id < NETID_COUNT; id++) {
		if (o->states || o->states_set)
			f->states[id] = o->states;
		else if (o->all)
			f->states[id] = STATES_ALL;
		else if (o->listening)
			f->states[id] = STATE_BIT(ST_LISTEN) | STATE_BIT(ST_CLOSE);
		else
			f->states[id] = default_states(id);
	}
	f->sport = o->sport;
	f->dport = o->dport;
	f->port = o->port;
	f->pid = o->pid;
}

struct state_word {
	const char *name;
	uint32_t mask;
};

static const struct state_word state_words[] = {
    {"all", STATES_ALL},
    {"connected", CONNECTED},
    {"synchronized", CONNECTED & ~STATE_BIT(ST_SYN_SENT)},
    {"bucket", BUCKET},
    {"big", STATES_ALL & ~BUCKET},
    {"established", STATE_BIT(ST_ESTABLISHED)},
    {"estab", STATE_BIT(ST_ESTABLISHED)},
    {"syn-sent", STATE_BIT(ST_SYN_SENT)},
    {"syn-recv", STATE_BIT(ST_SYN_RECV)},
    {"fin-wait-1", STATE_BIT(ST_FIN_WAIT1)},
    {"fin-wait-2", STATE_BIT(ST_FIN_WAIT2)},
    {"time-wait", STATE_BIT(ST_TIME_WAIT)},
    {"closed", STATE_BIT(ST_CLOSE)},
    {"close", STATE_BIT(ST_CLOSE)},
    {"unconnected", STATE_BIT(ST_CLOSE)},
    {"unconn", STATE_BIT(ST_CLOSE)},
    {"close-wait", STATE_BIT(ST_CLOSE_WAIT)},
    {"last-ack", STATE_BIT(ST_LAST_ACK)},
    {"listening", STATE_BIT(ST_LISTEN)},
    {"listen", STATE_BIT(ST_LISTEN)},
    {"closing", STATE_BIT(ST_CLOSING)},
};

static int state_word(const char *word, size_t len, uint32_t *mask)
{
	for (size_t i = 0; i < sizeof state_words / sizeof state_words[0]; i++) {
		if (strlen(state_words[i].name) == len &&
		    strncasecmp(state_words[i].name, word, len) == 0) {
			*mask |= state_words[i].mask;
			return 0;
		}
	}
	return -1;
}

int filter_parse_states(const char *list, uint32_t *mask, const char **bad)
{
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");

		if (state_word(p, len, mask) < 0) {
			*bad = p;
			return -1;
		}
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static bool family_match(const struct sock_filter *f, const struct sock_entry *e)
{
	if (e->family == AF_INET)
		return f->v4;
	if (e->family == AF_INET6)
		return f->v6;
	return true;
}

static bool port_match(const struct sock_filter *f, const struct sock_entry *e)
{
	if (!filter_has_ports(f))
		return true;
	if (e->family == AF_UNIX)
		return false;
	if (f->sport >= 0 && e->lport != f->sport)
		return false;
	if (f->dport >= 0 && e->rport != f->dport)
		return false;
	return f->port < 0 || e->lport == f->port || e->rport == f->port;
}

bool filter_has_ports(const struct sock_filter *f)
{
	return f->sport >= 0 || f->dport >= 0 || f->port >= 0;
}

bool filter_match(const struct sock_filter *f, const struct sock_entry *e)
{
	unsigned state = e->state == ST_NEW_SYN_RECV ? ST_SYN_RECV : e->state;

	if (e->netid >= NETID_COUNT || !(f->netids & NETID_BIT(e->netid)))
		return false;
	if (state >= ST_MAX || !(f->states[e->netid] & STATE_BIT(state)))
		return false;
	if (!family_match(f, e) || !port_match(f, e))
		return false;
	return f->pid < 0 || e->pid == f->pid;
}

static bool keep_matching(const struct sock_entry *e, const void *arg)
{
	return filter_match(arg, e);
}

void filter_apply(const struct sock_filter *f, struct sock_list *l)
{
	sock_list_retain(l, keep_matching, f);
}

int sort_parse(const char *name, enum sort_key *key)
{
	static const char *const names[] = {"recvq", "sendq", "port", "pid"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(name, names[i]) == 0) {
			*key = (enum sort_key)(SORT_RECVQ + i);
			return 0;
		}
	}
	return -1;
}

/* Three-way compare without overflow; `desc` flips the order. */
static int cmp_u(uint64_t a, uint64_t b, bool desc)
{
	int c = (a > b) - (a < b);

	return desc ? -c : c;
}


static int compare_entries(const void *pa, const void *pb, void *key)
{
	const struct sock_entry *a = pa, *b = pb;
	int c = 0;

	switch (*(const enum sort_key *)key) {
	case SORT_RECVQ:
		c = cmp_u(a->rq, b->rq, true);
		break;
	case SORT_SENDQ:
		c = cmp_u(a->wq, b->wq, true);
		break;
	case SORT_PORT:
		c = cmp_u(a->lport, b->lport, false);
		break;
	/* Unknown owners (pid 0) go last. */
	case SORT_PID:
		c = cmp_u((uint32_t)a->pid - 1u, (uint32_t)b->pid - 1u, false);
		break;
	case SORT_NONE:
		break;
	}
	return c ? c : cmp_u(a->seq, b->seq, false);
}

void sort_sockets(struct sock_list *l, enum sort_key key)
{
	if (key == SORT_NONE || l->n < 2)
		return;
	for (size_t i = 0; i < l->n; i++)
		l->v[i].seq = (uint32_t)i;
	/* qsort_r hands the key to the comparison: no global. */
	qsort_r(l->v, l->n, sizeof l->v[0], compare_entries, &key);
}
