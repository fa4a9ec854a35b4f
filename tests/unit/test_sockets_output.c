/* test_sockets_output.c — the ss-format pieces of `sockit sockets`: -e's
 * details, -i's fields (only those set, rates scaled unless -n) and -s's
 * summary counted from a list (a replayed dump). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/tcp.h>
#include <cmocka.h>

#include "sockets/output.h"

static struct sock_entry inet(uint8_t family, uint8_t state)
{
	struct sock_entry e;

	memset(&e, 0, sizeof e);
	e.family = family;
	e.netid = NETID_TCP;
	e.state = state;
	e.inode = 4242;
	e.cookie[0] = 0x57f3c;
	e.has_uid = true;
	e.has_shutdown = true;
	return e;
}

static const char *details(const struct sock_entry *e)
{
	static char buf[512];

	output_details_text(buf, sizeof buf, e, false);
	return buf;
}

static void test_details_like_ss(void **state)
{
	struct sock_entry e = inet(AF_INET, ST_ESTABLISHED);

	(void)state;
	/* Root's uid, no mark, no cgroup: left out, as ss does. */
	assert_string_equal(details(&e), " ino:4242 sk:57f3c <->");
	e.uid = 1000;
	e.mark = 0x2a;
	e.shutdown = 1;
	e.cookie[1] = 1;
	/* Bit 0: no more receives ("-" for "<"); bit 1: no more sends. */
	assert_string_equal(details(&e), " uid:1000 ino:4242 sk:100057f3c fwmark:0x2a -->");
	e.shutdown = 2;
	assert_string_equal(strrchr(details(&e), ' '), " <--");
	e.shutdown = 3;
	assert_string_equal(strrchr(details(&e), ' '), " ---");
	/* v6only comes before the shutdown state, when the kernel sent it. */
	e = inet(AF_INET6, ST_LISTEN);
	e.has_v6only = true;
	e.v6only = true;
	assert_string_equal(details(&e), " ino:4242 sk:57f3c v6only:1 <->");
	/* TIME-WAIT: no uid, no shutdown state. */
	e = inet(AF_INET, ST_TIME_WAIT);
	e.has_uid = e.has_shutdown = false;
	e.inode = 0;
	assert_string_equal(details(&e), " ino:0 sk:57f3c");
}

static void test_details_cgroup_offline(void **state)
{
	struct sock_entry e = inet(AF_INET, ST_LISTEN);

	(void)state;
	/* A dump's ids are another host's: the root only, the rest as ss
	 * prints an id no directory has. */
	cgroup_path_offline();
	e.cgroup_id = 1;
	assert_string_equal(details(&e), " ino:4242 sk:57f3c cgroup:/ <->");
	e.cgroup_id = 0x2b;
	assert_string_equal(details(&e), " ino:4242 sk:57f3c cgroup:unreachable:2b <->");
	cgroup_path_free();
}

static void test_details_unix(void **state)
{
	uint32_t waiting[2] = {7, 9};
	struct sock_entry e;

	(void)state;
	memset(&e, 0, sizeof e);
	e.family = AF_UNIX;
	e.netid = NETID_U_STR;
	e.state = ST_LISTEN;
	e.has_shutdown = true;
	e.has_vfs = true;
	e.vfs_ino = 10;
	e.vfs_dev = 0xFE00000; /* the kernel's 254:0, split as ss splits it */
	e.has_icons = true;
	e.icons = waiting;
	e.n_icons = 2;
	assert_string_equal(details(&e), " <-> ino:10 dev:0/65024 peers: 7 9");
	e.n_icons = 0;
	e.has_vfs = false;
	assert_string_equal(details(&e), " <-> peers:");
}

/* -i's text for a tcp_info t (and the socket's state). */
static const char *info(const struct tcp_info *t, uint8_t st, bool numeric, bool options)
{
	static char buf[2048];
	static struct sock_extra x;
	struct sock_entry e = inet(AF_INET, st);
	struct out_opts o;

	memset(&o, 0, sizeof o);
	o.info = true;
	o.oneline = true;
	o.numeric = numeric;
	o.timers = options;
	memset(&x, 0, sizeof x);
	memcpy(x.info, t, sizeof *t);
	x.has_info = true;
	strcpy(x.cong, "cubic");
	e.extra = &x;
	output_meminfo_text(buf, sizeof buf, &e, &o);
	return buf;
}

static void test_info_only_what_is_set(void **state)
{
	struct tcp_info t;

	(void)state;
	/* A listener: cwnd and the default reordering (3), nothing else. */
	memset(&t, 0, sizeof t);
	t.tcpi_snd_cwnd = 10;
	t.tcpi_reordering = 3;
	t.tcpi_rto = 3000000;         /* the default: not shown */
	t.tcpi_snd_ssthresh = 0x7fffffff; /* infinite: not shown */
	t.tcpi_sacked = 5;            /* a listener's backlog, not sacks */
	t.tcpi_options = TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK;
	assert_string_equal(info(&t, ST_LISTEN, true, false), " cubic cwnd:10");
	/* ts and sack only with -o, before the congestion control. */
	assert_string_equal(info(&t, ST_LISTEN, true, true), " ts sack cubic cwnd:10");
	t.tcpi_reordering = 0;
	assert_string_equal(info(&t, ST_LISTEN, true, false), " cubic cwnd:10 reordering:0");
}

static void test_info_rates(void **state)
{
	struct tcp_info t;

	(void)state;
	memset(&t, 0, sizeof t);
	t.tcpi_reordering = 3;
	t.tcpi_rtt = 1000; /* 1 ms */
	t.tcpi_snd_mss = 1000;
	t.tcpi_snd_cwnd = 10;
	t.tcpi_retrans = 1;
	t.tcpi_total_retrans = 4;
	/* 10 * 1000 bytes per ms: 80 Mbit/s; plain with -n. */
	assert_string_equal(info(&t, ST_ESTABLISHED, true, false),
	                    " cubic rtt:1/0 mss:1000 cwnd:10 send 80000000bps retrans:1/4");
	assert_string_equal(info(&t, ST_ESTABLISHED, false, false),
	                    " cubic rtt:1/0 mss:1000 cwnd:10 send 80Mbps retrans:1/4");
	t.tcpi_pacing_rate = 1500;    /* bytes/s: 12 kbit/s */
	t.tcpi_max_pacing_rate = ~0ULL; /* unlimited: not shown */
	assert_non_null(strstr(info(&t, ST_ESTABLISHED, false, false), " pacing_rate 12kbps "));
}

static void test_info_dctcp_and_vegas(void **state)
{
	struct sock_entry e = inet(AF_INET, ST_ESTABLISHED);
	struct sock_extra x;
	struct out_opts o;
	struct tcp_info t;
	char buf[512];

	(void)state;
	memset(&x, 0, sizeof x);
	memset(&o, 0, sizeof o);
	memset(&t, 0, sizeof t);
	o.info = o.oneline = o.numeric = true;
	t.tcpi_reordering = 3;
	t.tcpi_rtt = 1000;
	t.tcpi_snd_mss = 1000;
	t.tcpi_snd_cwnd = 10;
	memcpy(x.info, &t, sizeof t);
	x.has_info = x.has_dctcp = x.dctcp_enabled = true;
	x.dctcp_alpha = 1024;
	x.dctcp_ab_tot = 7;
	x.vegas_rtt_us = 2000; /* the send rate uses it: half of 80 Mbit/s */
	e.extra = &x;
	output_meminfo_text(buf, sizeof buf, &e, &o);
	assert_string_equal(buf, " rtt:1/0 mss:1000 cwnd:10 "
	                         "dctcp:(ce_state:0,alpha:1024,ab_ecn:0,ab_tot:7) send 40000000bps");
	x.dctcp_enabled = false;
	output_meminfo_text(buf, sizeof buf, &e, &o);
	assert_non_null(strstr(buf, " dctcp:fallback_mode send"));
}

static void test_summary_from_list(void **state)
{
	struct sock_list l = {NULL, 0, 0};
	struct ss_summary s;
	const struct {
		uint8_t family, netid, state;
	} socks[] = {
	    {AF_INET, NETID_TCP, ST_LISTEN},       {AF_INET, NETID_TCP, ST_ESTABLISHED},
	    {AF_INET6, NETID_TCP, ST_CLOSE_WAIT},  {AF_INET, NETID_TCP, ST_TIME_WAIT},
	    {AF_INET, NETID_UDP, ST_CLOSE},        {AF_INET6, NETID_UDP, ST_ESTABLISHED},
	    {AF_UNIX, NETID_U_STR, ST_ESTABLISHED},
	};

	(void)state;
	for (size_t i = 0; i < sizeof socks / sizeof socks[0]; i++) {
		struct sock_entry *e = sock_list_add(&l);

		assert_non_null(e);
		e->family = socks[i].family;
		e->netid = socks[i].netid;
		e->state = socks[i].state;
	}
	summary_from_list(&s, &l);
	assert_int_equal(s.socks, 7);
	assert_int_equal(s.tcp_all, 4);
	assert_int_equal(s.tcp_estab, 2); /* CurrEstab: ESTABLISHED and CLOSE-WAIT */
	assert_int_equal(s.tcp_tw, 1);
	assert_int_equal(s.tcp[0], 2);    /* TIME-WAIT is not in the TCP row */
	assert_int_equal(s.tcp[1], 1);
	assert_int_equal(s.udp[0], 1);
	assert_int_equal(s.udp[1], 1);
	sock_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_details_like_ss),
	    cmocka_unit_test(test_details_cgroup_offline),
	    cmocka_unit_test(test_details_unix),
	    cmocka_unit_test(test_info_only_what_is_set),
	    cmocka_unit_test(test_info_rates),
	    cmocka_unit_test(test_info_dctcp_and_vegas),
	    cmocka_unit_test(test_summary_from_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
