/* test_sockets_expr.c — ss filter expressions: lexing, parsing (and where
 * errors point), evaluation against the recorded dump tests/data/sockets.dump
 * with exact expected selections, and the bytecode compiler checked through
 * models of the kernel's audit and interpreter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <cmocka.h>

#include "sockets/dump.h"
#include "sockets/expr.h"
#include "sockets/filter.h"

static struct sock_list dump;

/* The dump, every socket of it (recorded with -a inside unshare -n). */
static int load_dump(void **state)
{
	struct procmap m = {NULL, 0, 0};
	char err[256];
	const char *dir = getenv("SOCKIT_SRCDIR");
	char path[512];

	(void)state;
	snprintf(path, sizeof path, "%s/tests/data/sockets.dump", dir ? dir : ".");
	if (dump_read(path, &dump, &m, NULL, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	procmap_free(&m);
	return 0;
}

static int free_dump(void **state)
{
	(void)state;
	sock_list_free(&dump);
	return 0;
}

/* Parse text (split on blanks as a shell would) into x; returns the rc. */
static int parse(struct expr *x, const char *text, char *err, size_t errlen)
{
	struct expr_lex *lx = malloc(sizeof *lx);
	char *argv[1] = {(char *)text};
	int rc;

	assert_non_null(lx);
	rc = expr_lex_args(lx, 1, argv, err, errlen);
	if (rc == 0)
		rc = expr_parse(x, lx, err, errlen);
	free(lx);
	return rc;
}

static struct expr *must_parse(const char *text)
{
	struct expr *x = malloc(sizeof *x);
	char err[256] = "";

	assert_non_null(x);
	if (parse(x, text, err, sizeof err) != 0)
		fail_msg("'%s': %s", text, err);
	x->lo_port = 32768; /* the dump's kernel's range, not this machine's */
	x->hi_port = 60999;
	return x;
}

/* "netid:lport:rport" of every dump socket x selects, space-separated, in
 * dump order. */
static void selection(const struct expr *x, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < dump.n; i++) {
		const struct sock_entry *e = &dump.v[i];

		if (expr_match(x, e))
			n += (size_t)snprintf(out + n, len - n, "%s%s:%u:%u", n ? " " : "",
			                      netid_name(e->netid), e->lport, e->rport);
	}
}

static size_t count(const struct expr *x)
{
	size_t n = 0;

	for (size_t i = 0; i < dump.n; i++)
		n += expr_match(x, &dump.v[i]);
	return n;
}

static void expect(const char *text, const char *want)
{
	struct expr *x = must_parse(text);
	char got[4096];

	selection(x, got, sizeof got);
	if (strcmp(got, want) != 0)
		fail_msg("'%s'\n  got:  %s\n  want: %s", text, got, want);
	free(x);
}

static void test_dump_is_the_known_set(void **state)
{
	(void)state;
	assert_int_equal(dump.n, 20);
}

static void test_ports(void **state)
{
	(void)state;
	expect("sport = :57229", "tcp:57229:0 tcp:57229:50898");
	expect("sport 57229", "tcp:57229:0 tcp:57229:50898");
	expect("dport eq 57229", "tcp:50898:57229");
	expect("( sport = :57229 or dport = :57229 )",
	       "tcp:57229:0 tcp:57229:50898 tcp:50898:57229");
	/* > is not <=, as in ss: a UNIX socket has no port to be <=, so it
	 * passes (ss -x 'sport > :0' lists every UNIX socket too). */
	expect("sport > :57000",
	       "tcp:57333:0 tcp:57229:0 tcp:57229:50898 tcp:58526:57333 udp:60674:0 "
	       "u_str:0:0 u_str:0:0 u_str:0:0 u_str:0:0 u_str:0:0 u_dgr:0:0");
	expect("sport gt 57000 and sport lt 58000 and src 127.0.0.1/8",
	       "tcp:57333:0 tcp:57229:0 tcp:57229:50898");
	expect("sport >= :57333 sport <= 57333", "tcp:57333:0");
	expect("sport < :1024", "u_str:0:0 u_str:0:0 u_str:0:0 u_str:0:0 u_str:0:0 u_dgr:0:0");
	expect("dport != :0 and dport ne 57229 and src 127.0.0.1",
	       "tcp:44086:50289 tcp:50289:44086 tcp:57229:50898 tcp:58526:57333 "
	       "udp:34547:60674");
}

static void test_addresses(void **state)
{
	(void)state;
	expect("src [::1]", "tcp:35407:0 tcp:50814:35407 tcp:35407:50814 udp:56751:0");
	expect("dst [::1]:35407", "tcp:50814:35407");
	expect("src inet6:[::/0]", "tcp:35407:0 tcp:50814:35407 tcp:35407:50814 udp:56751:0");
	expect("dst 127.0.0.1", "tcp:44086:50289 tcp:50289:44086 tcp:57229:50898 "
	                        "tcp:50898:57229 tcp:58526:57333 udp:34547:60674");
	expect("dst 0.0.0.0", "tcp:57333:0 tcp:57229:0 tcp:50289:0 udp:60674:0");
	expect("src 127.0.0.1:57333", "tcp:57333:0");
	expect("src *:50289", "tcp:50289:0 tcp:50289:44086");
	expect("src 127.0.0.1/8 and dport >= :50000",
	       "tcp:44086:50289 tcp:57229:50898 tcp:50898:57229 tcp:58526:57333 "
	       "udp:34547:60674");
	expect("src 10.0.0.0/8", "");
}

static void test_logic(void **state)
{
	struct expr *x;

	(void)state;
	x = must_parse("src *");
	assert_int_equal(count(x), 20);
	free(x);
	/* not: the v6 sockets, and the UNIX ones (an inet condition is false
	 * for them). */
	x = must_parse("not src 127.0.0.1");
	assert_int_equal(count(x), 4 + 6);
	free(x);
	x = must_parse("! ! src 127.0.0.1");
	assert_int_equal(count(x), 10);
	free(x);
	/* ss reduces left to right with no precedence: (a or b) and c. */
	expect("sport = :57333 or sport = :57229 and dport = :50898", "tcp:57229:50898");
	expect("sport = :57229 and dport = :50898 or sport = :57333",
	       "tcp:57333:0 tcp:57229:50898");
	expect("not ( sport > :1000 or dport > :1000 ) and src [::1]", "");
	expect("( ( ( sport = :35407 ) ) ) && ( dport = :50814 || dport = :0 )",
	       "tcp:35407:0 tcp:35407:50814");
}

static void test_unix_uid_autobound(void **state)
{
	struct expr *x;

	(void)state;
	expect("src unix:*sockets-test.sock", "u_str:0:0 u_str:0:0");
	expect("src @sockit-test-*", "u_dgr:0:0");
	x = must_parse("uid = 0");
	assert_int_equal(count(x), 19); /* all but the TIME-WAIT entry */
	free(x);
	x = must_parse("uid > 0"); /* not (uid <= 0): true where there is no uid */
	assert_int_equal(count(x), 1);
	free(x);
	/* ss's user-space reading: every inet port is in 32768-60999, and the
	 * three unnamed UNIX sockets count too. */
	x = must_parse("autobound");
	assert_true(x->has_auto);
	assert_int_equal(count(x), 14 + 3);
	x->lo_port = 50000;
	x->hi_port = 55000;
	assert_int_equal(count(x), 4 + 3);
	free(x);
}

/* An entry with only what `autobound` looks at. */
static struct sock_entry entry(uint8_t family, uint16_t lport)
{
	struct sock_entry e;

	memset(&e, 0, sizeof e);
	e.family = family;
	e.lport = lport;
	return e;
}

static void test_autobound_as_ss_reads_it(void **state)
{
	struct expr *yes = must_parse("autobound"), *no = must_parse("not autobound");
	struct sock_entry e = entry(AF_UNIX, 0);
	char name[8];

	(void)state;
	/* UNIX: unnamed, or the autobind name "@" + five hex digits. */
	assert_true(expr_match(yes, &e));
	e.path = name;
	snprintf(name, sizeof name, "@0001f");
	assert_true(expr_match(yes, &e));
	snprintf(name, sizeof name, "@0001g");
	assert_false(expr_match(yes, &e));
	snprintf(name, sizeof name, "@00001f");
	assert_false(expr_match(yes, &e));
	snprintf(name, sizeof name, "/a");
	assert_true(expr_match(no, &e));
	/* Packet: no protocol and no device; netlink: a negative port id. */
	e = entry(AF_PACKET, 0);
	assert_true(expr_match(yes, &e));
	e.ifindex = 1;
	assert_false(expr_match(yes, &e));
	e = entry(AF_NETLINK, 0);
	e.nl_portid = (uint32_t)-4096;
	assert_true(expr_match(yes, &e));
	e.nl_portid = 4096;
	assert_false(expr_match(yes, &e));
	/* Inet: the ephemeral range; with the kernel's answer recorded, both
	 * readings must pass, as live ss (bytecode, then user space) does. */
	e = entry(AF_INET, 40000);
	assert_true(expr_match(yes, &e));
	e.auto_known = true; /* bind() chose 40000 itself: not autobound */
	assert_false(expr_match(yes, &e));
	assert_false(expr_match(no, &e)); /* in the range: user space says no */
	e.lport = 80;
	assert_true(expr_match(no, &e));
	e.auto_bound = true; /* the kernel chose 80?  then neither passes */
	assert_false(expr_match(yes, &e));
	assert_false(expr_match(no, &e));
	e.lport = 40000;
	assert_true(expr_match(yes, &e));
	free(yes);
	free(no);
}

static void test_bytecode_exactness(void **state)
{
	static const struct {
		const char *text;
		bool exact;
	} cases[] = {
	    {"dport = :80", true},
	    {"not ( sport = :22 or dst 10.0.0.0/8 )", true},
	    {"dport = :80 and uid = 0", false}, /* uid is left to user space */
	    {"autobound", false},               /* ss reads it twice */
	    {"src unix:*x or sport = :1", false},
	    {"state listening", false}, /* no expression: nothing compiled */
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct expr *x = must_parse(cases[i].text);

		if (expr_bytecode_exact(x) != cases[i].exact)
			fail_msg("'%s': exact %d", cases[i].text, !cases[i].exact);
		free(x);
	}
}

static void test_required_ports(void **state)
{
	static const struct {
		const char *text;
		unsigned sport, dport;
		bool only;
	} cases[] = {
	    {"dport = :80", 0, 80, true},
	    {"sport = :22 and dport = :80", 22, 80, true},
	    {"dport = :80 dport = :80", 0, 80, true},
	    {"dport = :80 and dport = :81", 0, 80, false},
	    {"dst 127.0.0.1:80", 0, 80, false},
	    {"dport = :80 and not src 10.0.0.0/8", 0, 80, false},
	    {"dport = :80 or sport = :22", 0, 0, false},
	    {"not dport = :80", 0, 0, false},
	    {"dport = :0", 0, 0, false},
	    {"dport >= :80", 0, 0, false},
	    {"state established ( sport = :22 )", 22, 0, true},
	    {"dport = :80 and autobound", 0, 80, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct expr *x = must_parse(cases[i].text);

		if (expr_required_port(x, true) != cases[i].sport ||
		    expr_required_port(x, false) != cases[i].dport ||
		    expr_ports_only(x) != cases[i].only)
			fail_msg("'%s': sport %u dport %u only %d", cases[i].text,
			         expr_required_port(x, true), expr_required_port(x, false),
			         expr_ports_only(x));
		free(x);
	}
}

static void test_states(void **state)
{
	struct expr *x;

	(void)state;
	x = must_parse("state listening");
	assert_true(x->states_given);
	assert_int_equal(x->states, STATE_BIT(ST_LISTEN));
	assert_int_equal(x->root, -1);
	free(x);
	x = must_parse("exclude listening exclude time-wait sport = :1");
	assert_int_equal(x->states,
	                 STATES_ALL & ~(STATE_BIT(ST_LISTEN) | STATE_BIT(ST_TIME_WAIT)));
	assert_true(x->root >= 0);
	free(x);
	x = must_parse("state established state bucket");
	assert_int_equal(x->states, STATE_BIT(ST_ESTABLISHED) | STATE_BIT(ST_SYN_RECV) |
	                                STATE_BIT(ST_TIME_WAIT));
	free(x);
	x = must_parse("");
	assert_false(x->states_given);
	assert_int_equal(x->root, -1);
	assert_int_equal(count(x), 20);
	free(x);
}

/* The message names the token and its column. */
static void expect_error(const char *text, const char *token, unsigned col)
{
	struct expr *x = malloc(sizeof *x);
	char err[256] = "", want[32];

	assert_non_null(x);
	assert_int_equal(parse(x, text, err, sizeof err), -1);
	snprintf(want, sizeof want, "column %u", col);
	if (!strstr(err, token) || !strstr(err, want))
		fail_msg("'%s': %s (want '%s' at %s)", text, err, token, want);
	free(x);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("dport = :nosuch", ":nosuch", 9);
	expect_error("sport > 65536", "65536", 9);
	expect_error("sport > *", "*", 9);
	expect_error("( dport = 22", "the end", 13);
	expect_error("dport = 22 )", ")", 12);
	expect_error("( )", ")", 3);
	expect_error("src 1.2.3.4/33", "1.2.3.4/33", 5);
	expect_error("src [::1", "[::1", 5);
	expect_error("dst ::1", "::1", 5);
	expect_error("state nosuch", "nosuch", 7);
	expect_error("state", "the end", 6);
	expect_error("dport", "the end", 6);
	expect_error("dport = or", "or", 9);
	expect_error("src != 1.2.3.4", "!=", 5);
	expect_error("sport = 1 and", "the end", 14);
	expect_error("not", "the end", 4);
	expect_error("fwmark = 0x1/zz", "0x1/zz", 10);
	expect_error("uid = -1", "-1", 7);
	expect_error("dev = no-such-device-here", "no-such-device-here", 7);
}

static void test_limits(void **state)
{
	static char text[EXPR_MAX_TEXT * 2];
	struct expr *x = malloc(sizeof *x);
	char err[256];
	size_t n = 0;

	(void)state;
	assert_non_null(x);
	/* Nesting beyond the bound is refused, not a stack overflow. */
	for (int i = 0; i < EXPR_MAX_DEPTH + 5; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "( ");
	snprintf(text + n, sizeof text - n, "sport = 1");
	assert_int_equal(parse(x, text, err, sizeof err), -1);
	assert_non_null(strstr(err, "nested"));
	for (n = 0; n + 4 < sizeof text;)
		n += (size_t)snprintf(text + n, sizeof text - n, "! ");
	assert_int_equal(parse(x, text, err, sizeof err), -1);
	assert_non_null(strstr(err, "longer than"));
	free(x);
}

/* --- bytecode --------------------------------------------------------- */

struct op {
	uint8_t code, yes;
	uint16_t no;
};

static size_t compile(const char *text, uint8_t *bc, size_t cap)
{
	struct expr *x = must_parse(text);
	size_t len = expr_bytecode(x, bc, cap);

	free(x);
	return len;
}

static void test_bytecode_as_ss_builds_it(void **state)
{
	uint8_t bc[256];
	struct op op[3];
	struct inet_diag_hostcond c;
	size_t len;

	(void)state;
	/* sport = :22: one S_COND, any family (4 address bytes, as ss). */
	assert_int_equal(len = compile("sport = :22", bc, sizeof bc), 16);
	memcpy(op, bc, 4);
	memcpy(&c, bc + 4, sizeof c);
	assert_int_equal(op[0].code, INET_DIAG_BC_S_COND);
	assert_int_equal(op[0].yes, 16);
	assert_int_equal(op[0].no, 20);
	assert_int_equal(c.family, AF_UNSPEC);
	assert_int_equal(c.port, 22);
	/* a or b: a, JMP over b, b. */
	assert_int_equal(len = compile("sport = :1 or dport = :2", bc, sizeof bc), 36);
	memcpy(&op[1], bc + 16, 4);
	assert_int_equal(op[1].code, INET_DIAG_BC_JMP);
	assert_int_equal(op[1].no, 20);
	/* not a: a, then JMP past the end + 4 (reject). */
	assert_int_equal(len = compile("! sport = :1", bc, sizeof bc), 20);
	memcpy(&op[1], bc + 16, 4);
	assert_int_equal(op[1].no, 8);
	/* sport > :1024 is not (sport <= 1024): S_LE + port word + JMP. */
	assert_int_equal(len = compile("sport > :1024", bc, sizeof bc), 12);
	memcpy(op, bc, 8);
	assert_int_equal(op[0].code, INET_DIAG_BC_S_LE);
	assert_int_equal(op[1].no, 1024);
	/* Nothing for the kernel: no expression, uid alone, a UNIX name. */
	assert_int_equal(compile("", bc, sizeof bc), 0);
	assert_int_equal(compile("uid = 0", bc, sizeof bc), 0);
	assert_int_equal(compile("not uid = 0 or sport = 1", bc, sizeof bc), 0);
	assert_int_equal(compile("src unix:/x", bc, sizeof bc), 0);
	/* Beside AND, what the kernel cannot run is dropped: sport alone. */
	assert_int_equal(compile("uid = 0 and sport = :22", bc, sizeof bc), 16);
	/* Too small a buffer: nothing, never a partial program. */
	assert_int_equal(compile("sport = :1 or dport = :2", bc, 20), 0);
}

static const char *const corpus[] = {
    "sport = :57229", "dport = :57229", "( sport = :57229 or dport = :57229 )",
    "sport > :57000", "sport < :50000", "sport >= :50289 and sport <= :57229",
    "dport gt 40000 or dport lt 10", "not dport = :0", "src [::1]", "dst [::1]:35407",
    "src 127.0.0.1/8 and dport >= :50000", "src 127.0.0.0/31", "dst 0.0.0.0",
    "src *:50289", "src inet6:[::/0]", "! ( src 127.0.0.1 or dst [::1] )",
    "not ( sport = :57229 or ( sport = :35407 and dst [::1] ) )",
    "sport = :57333 or sport = :57229 and dport = :50898",
    "( ( ( sport = :35407 ) ) ) and ( dport = :50814 or dport = :0 )",
    "! ! ! sport = :35407", "autobound", "not autobound and src [::1]",
    "dev = 1", "dev != 0", "fwmark = 0/0", "fwmark != 0x10/0xff", "uid = 0 and sport = :57229",
    "uid = 0 or sport = :1", "not ( uid = 0 and dport = :57229 )", "src unix:* or sport = :1",
};

/* Every program the compiler makes passes the kernel's audit, and the
 * kernel would send exactly the sockets user space keeps (a superset when
 * part of the expression cannot be compiled). */
static void test_bytecode_agrees_with_user_space(void **state)
{
	static uint8_t bc[EXPR_BC_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
		struct expr *x = must_parse(corpus[i]);
		size_t len = expr_bytecode(x, bc, sizeof bc);
		bool exact = !expr_uses(x, EX_UID_EQ) && !expr_uses(x, EX_UID_GE) &&
		             !expr_uses(x, EX_UID_LE);

		if (len && !expr_bytecode_valid(bc, len))
			fail_msg("'%s': the kernel would refuse the bytecode", corpus[i]);
		for (size_t k = 0; len && k < dump.n; k++) {
			const struct sock_entry *e = &dump.v[k];
			bool kernel, user;

			if (e->family == AF_UNIX)
				continue;
			kernel = expr_bytecode_run(x, bc, len, e);
			user = expr_match(x, e);
			if (exact ? kernel != user : user && !kernel)
				fail_msg("'%s': kernel %d, user space %d for %s:%u:%u", corpus[i],
				         kernel, user, netid_name(e->netid), e->lport, e->rport);
		}
		free(x);
	}
}

static void test_audit_model_refuses_bad_programs(void **state)
{
	uint8_t bc[64];
	struct op op;

	(void)state;
	memset(bc, 0, sizeof bc);
	assert_false(expr_bytecode_valid(bc, 0));
	/* A JMP whose target is past the end + 4. */
	op = (struct op){INET_DIAG_BC_JMP, 4, 12};
	memcpy(bc, &op, 4);
	assert_false(expr_bytecode_valid(bc, 4));
	/* A port comparison without its port word. */
	op = (struct op){INET_DIAG_BC_S_GE, 4, 8};
	memcpy(bc, &op, 4);
	assert_false(expr_bytecode_valid(bc, 4));
	/* An unknown op code. */
	op = (struct op){200, 4, 8};
	memcpy(bc, &op, 4);
	assert_false(expr_bytecode_valid(bc, 4));
	/* AUTO alone is fine. */
	op = (struct op){INET_DIAG_BC_AUTO, 4, 8};
	memcpy(bc, &op, 4);
	assert_true(expr_bytecode_valid(bc, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dump_is_the_known_set),
	    cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_logic),
	    cmocka_unit_test(test_unix_uid_autobound),
	    cmocka_unit_test(test_autobound_as_ss_reads_it),
	    cmocka_unit_test(test_required_ports),
	    cmocka_unit_test(test_bytecode_exactness),
	    cmocka_unit_test(test_states),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_bytecode_as_ss_builds_it),
	    cmocka_unit_test(test_bytecode_agrees_with_user_space),
	    cmocka_unit_test(test_audit_model_refuses_bad_programs),
	};
	return cmocka_run_group_tests(tests, load_dump, free_dump);
}
