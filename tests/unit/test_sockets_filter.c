/* test_sockets_filter.c — ss-compatible selection, matching, sorting, and the
 * port bytecode for the kernel (run here through a model of the kernel's
 * inet_diag_bc_run and its audit). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <cmocka.h>

#include "sockets/collect.h"
#include "sockets/filter.h"

#define SS_CONN                                                                          \
	(STATES_ALL & ~(STATE_BIT(ST_LISTEN) | STATE_BIT(ST_CLOSE) |                     \
	                STATE_BIT(ST_TIME_WAIT) | STATE_BIT(ST_SYN_RECV)))

static struct sock_filter setup(void (*tweak)(struct select_opts *))
{
	struct select_opts o;
	struct sock_filter f;

	select_init(&o);
	if (tweak)
		tweak(&o);
	filter_setup(&f, &o);
	return f;
}

static void test_defaults_like_ss(void **state)
{
	struct sock_filter f = setup(NULL);

	(void)state;
	/* Every kind ss lists without options: raw, packet and netlink too. */
	assert_int_equal(f.netids, NETIDS_ALL);
	assert_true(f.netids & NETID_BIT(NETID_RAW) && f.netids & NETIDS_PACKET &&
	            f.netids & NETID_BIT(NETID_NL));
	assert_true(f.v4 && f.v6);
	assert_int_equal(f.states[NETID_TCP], SS_CONN);
	assert_int_equal(f.states[NETID_UDP], STATE_BIT(ST_ESTABLISHED));
	assert_int_equal(f.states[NETID_U_STR], SS_CONN);
	assert_int_equal(f.sport, -1);
	assert_int_equal(f.pid, -1);
}

static void only_v4(struct select_opts *o)
{
	o->v4 = true;
}
static void listening_tcp(struct select_opts *o)
{
	o->listening = true;
	o->tcp = true;
}
static void all_unix(struct select_opts *o)
{
	o->all = true;
	o->unix_ = true;
	o->v6 = true;
}

static void test_flags(void **state)
{
	struct sock_filter f = setup(only_v4);

	(void)state;
	assert_int_equal(f.netids, NETIDS_INET);
	assert_true(f.v4);
	assert_false(f.v6);
	f = setup(listening_tcp);
	assert_int_equal(f.netids, NETID_BIT(NETID_TCP));
	assert_int_equal(f.states[NETID_TCP], STATE_BIT(ST_LISTEN) | STATE_BIT(ST_CLOSE));
	f = setup(all_unix);
	assert_int_equal(f.netids, NETIDS_UNIX);
	assert_int_equal(f.states[NETID_U_DGR], STATES_ALL);
}

static void test_parse_states(void **state)
{
	uint32_t mask = 0;
	const char *bad = NULL;

	(void)state;
	assert_int_equal(filter_parse_states("established,LISTENING", &mask, &bad), 0);
	assert_int_equal(mask, STATE_BIT(ST_ESTABLISHED) | STATE_BIT(ST_LISTEN));
	mask = 0;
	assert_int_equal(filter_parse_states("bucket", &mask, &bad), 0);
	assert_int_equal(mask, STATE_BIT(ST_SYN_RECV) | STATE_BIT(ST_TIME_WAIT));
	mask = 0;
	assert_int_equal(filter_parse_states("connected", &mask, &bad), 0);
	assert_false(mask & (STATE_BIT(ST_LISTEN) | STATE_BIT(ST_CLOSE)));
	assert_true(mask & STATE_BIT(ST_TIME_WAIT));
	assert_int_equal(filter_parse_states("closed,nosuch,listen", &mask, &bad), -1);
	assert_string_equal(bad, "nosuch,listen");
	assert_int_equal(filter_parse_states("", &mask, &bad), -1);
	assert_int_equal(filter_parse_states("established,", &mask, &bad), -1);
}

static struct sock_entry tcp(uint8_t family, unsigned st, unsigned lport, unsigned rport)
{
	struct sock_entry e;

	memset(&e, 0, sizeof e);
	e.family = family;
	e.netid = NETID_TCP;
	e.state = (uint8_t)st;
	e.lport = (uint16_t)lport;
	e.rport = (uint16_t)rport;
	return e;
}

static void test_match(void **state)
{
	struct sock_filter f = setup(NULL);
	struct sock_entry e = tcp(AF_INET, ST_ESTABLISHED, 80, 5000), u;

	(void)state;
	assert_true(filter_match(&f, &e));
	e.state = ST_LISTEN;
	assert_false(filter_match(&f, &e)); /* default hides listeners */
	e.state = ST_NEW_SYN_RECV;
	f.states[NETID_TCP] = STATE_BIT(ST_SYN_RECV);
	assert_true(filter_match(&f, &e)); /* request sockets are SYN-RECV */
	f = setup(NULL);
	e.state = ST_ESTABLISHED;
	f.port = 5000;
	assert_true(filter_match(&f, &e));
	f.port = 81;
	assert_false(filter_match(&f, &e));
	f.port = -1;
	f.sport = 80;
	f.dport = 5000;
	assert_true(filter_match(&f, &e));
	f.dport = 80;
	assert_false(filter_match(&f, &e));
	memset(&u, 0, sizeof u);
	u.family = AF_UNIX;
	u.netid = NETID_U_STR;
	u.state = ST_ESTABLISHED;
	assert_false(filter_match(&f, &u)); /* port filters skip UNIX */
	f = setup(only_v4);
	e.family = AF_INET6;
	assert_false(filter_match(&f, &e));
	f = setup(NULL);
	f.pid = 42;
	e.family = AF_INET;
	assert_false(filter_match(&f, &e));
	e.pid = 42;
	assert_true(filter_match(&f, &e));
}

static void fill(struct sock_list *l, const unsigned rq[], const unsigned port[],
                 const int pid[], size_t n)
{
	memset(l, 0, sizeof *l);
	for (size_t i = 0; i < n; i++) {
		struct sock_entry *e = sock_list_add(l);

		*e = tcp(AF_INET, ST_ESTABLISHED, port[i], 1);
		e->rq = rq[i];
		e->wq = (uint32_t)i;
		e->pid = pid[i];
		e->inode = (uint32_t)(100 + i);
	}
}

static void test_sort(void **state)
{
	const unsigned rq[] = {5, 100, 5, 0, 7}, port[] = {443, 22, 80, 22, 8080};
	const int pid[] = {0, 30, 10, 20, 0};
	struct sock_list l;

	(void)state;
	fill(&l, rq, port, pid, 5);
	sort_sockets(&l, SORT_RECVQ);
	/* Largest first; the two 5s keep their order (inodes 100, 102). */
	assert_int_equal(l.v[0].rq, 100);
	assert_int_equal(l.v[1].rq, 7);
	assert_int_equal(l.v[2].inode, 100);
	assert_int_equal(l.v[3].inode, 102);
	sort_sockets(&l, SORT_PORT);
	assert_int_equal(l.v[0].lport, 22);
	assert_int_equal(l.v[1].lport, 22);
	assert_int_equal(l.v[4].lport, 8080);
	sort_sockets(&l, SORT_PID);
	assert_int_equal(l.v[0].pid, 10);
	assert_int_equal(l.v[2].pid, 30);
	assert_int_equal(l.v[3].pid, 0); /* unknown owners last */
	sort_sockets(&l, SORT_SENDQ);
	assert_int_equal(l.v[0].wq, 4);
	sock_list_free(&l);
}

static void test_sort_parse(void **state)
{
	enum sort_key k = SORT_NONE;

	(void)state;
	assert_int_equal(sort_parse("sendq", &k), 0);
	assert_int_equal(k, SORT_SENDQ);
	assert_int_equal(sort_parse("pid", &k), 0);
	assert_int_equal(k, SORT_PID);
	assert_int_equal(sort_parse("size", &k), -1);
}

static bool has_path(const struct sock_entry *e, const void *arg)
{
	(void)arg;
	return e->path != NULL;
}

static void test_retain_frees_dropped(void **state)
{
	struct sock_list l = {NULL, 0, 0};

	(void)state;
	for (int i = 0; i < 600; i++) {
		struct sock_entry *e = sock_list_add(&l);

		assert_non_null(e);
		e->inode = (uint32_t)i;
		e->path = i % 3 ? NULL : strdup("/x");
	}
	sock_list_retain(&l, has_path, NULL);
	assert_int_equal(l.n, 200);
	assert_int_equal(l.v[1].inode, 3);
	sock_list_free(&l);
	assert_int_equal(l.n, 0);
}

/* A list of 20,000 entries leaves malloc for its own mapping (grown by
 * mremap across 2 MiB steps): every entry survives the moves, a retain
 * and the free. */
static void test_list_grows_into_mapping(void **state)
{
	struct sock_list l = {NULL, 0, 0};

	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct sock_entry *e = sock_list_add(&l);

		assert_non_null(e);
		assert_int_equal(e->inode, 0); /* zeroed, also in the mapping */
		e->inode = (uint32_t)i;
		e->path = i % 1000 ? NULL : strdup("/x");
	}
	assert_true(l.cap >= 20000);
	for (size_t i = 0; i < l.n; i++)
		assert_int_equal(l.v[i].inode, i);
	sock_list_retain(&l, has_path, NULL);
	assert_int_equal(l.n, 20);
	assert_int_equal(l.v[19].inode, 19000);
	sock_list_free(&l);
	assert_null(l.v);
	assert_int_equal(l.cap, 0);
}

/* The kernel's inet_diag_bc_audit: walk the "yes" chain; every "no" must
 * land on an op boundary on that chain, or at the end, or 4 past it. */
static bool on_chain(const unsigned char *bc, int len, int target_left)
{
	int left = len;

	while (left > 0) {
		const struct inet_diag_bc_op *op = (const void *)(bc + (len - left));

		if (left == target_left)
			return true;
		left -= op->yes;
	}
	return false;
}

static bool audit(const unsigned char *bc, int len)
{
	int left = len;

	while (left > 0) {
		const struct inet_diag_bc_op *op = (const void *)(bc + (len - left));
		int min = op->code == INET_DIAG_BC_JMP ? 4 : 12;

		if (op->no < min || op->no > left + 4 || (op->no & 3))
			return false;
		if (op->no < left && !on_chain(bc, len, left - op->no))
			return false;
		if (op->yes < min || op->yes > left + 4 || (op->yes & 3))
			return false;
		left -= op->yes;
	}
	return left == 0;
}

/* The kernel's inet_diag_bc_run for the ops we emit. */
static bool run_bc(const unsigned char *bc, int len, int sport, int dport)
{
	int left = len;

	while (left > 0) {
		const struct inet_diag_bc_op *op = (const void *)(bc + (len - left));
		const struct inet_diag_hostcond *c = (const void *)(op + 1);
		bool yes = true;

		if (op->code == INET_DIAG_BC_JMP)
			yes = false;
		else if (op->code == INET_DIAG_BC_S_COND)
			yes = c->port == -1 || c->port == sport;
		else if (op->code == INET_DIAG_BC_D_COND)
			yes = c->port == -1 || c->port == dport;
		left -= yes ? op->yes : op->no;
	}
	return left == 0;
}

static void test_port_bytecode(void **state)
{
	struct sock_filter f = setup(NULL);
	unsigned char bc[128];
	size_t len;

	(void)state;
	assert_int_equal(diag_port_bytecode(&f, bc, sizeof bc), 0);
	f.port = 80;
	len = diag_port_bytecode(&f, bc, sizeof bc);
	assert_int_equal(len, 28);
	assert_true(audit(bc, (int)len));
	assert_true(run_bc(bc, (int)len, 80, 5000));
	assert_true(run_bc(bc, (int)len, 5000, 80));
	assert_false(run_bc(bc, (int)len, 81, 5000));
	f.port = -1;
	f.sport = 22;
	len = diag_port_bytecode(&f, bc, sizeof bc);
	assert_true(audit(bc, (int)len));
	assert_true(run_bc(bc, (int)len, 22, 1));
	assert_false(run_bc(bc, (int)len, 1, 22));
	f.dport = 443;
	f.port = 443;
	len = diag_port_bytecode(&f, bc, sizeof bc);
	assert_int_equal(len, 52);
	assert_true(audit(bc, (int)len));
	assert_true(run_bc(bc, (int)len, 22, 443));
	assert_false(run_bc(bc, (int)len, 22, 444));
	assert_false(run_bc(bc, (int)len, 23, 443));
	assert_int_equal(diag_port_bytecode(&f, bc, 40), 0); /* too small: none */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_like_ss),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_parse_states),
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_sort),
	    cmocka_unit_test(test_sort_parse),
	    cmocka_unit_test(test_retain_frees_dropped),
	    cmocka_unit_test(test_list_grows_into_mapping),
	    cmocka_unit_test(test_port_bytecode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
