/* cmd_sockets.c — `sockit sockets`: list sockets like ss/netstat, from
 * netlink sock_diag, with owners, filters, JSON, sorting and --watch. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "sockit/endpoint.h"
#include "sockit/error.h"
#include "sockets/collect.h"
#include "sockets/dump.h"
#include "sockets/events.h"
#include "sockets/expr.h"
#include "sockets/kill.h"
#include "sockets/filter.h"
#include "sockets/output.h"
#include "sockets/procmap.h"
#include "sockets/watch.h"

struct sockets_cmd {
	struct select_opts sel;
	struct sock_filter filter;
	struct out_opts out;
	enum sort_key sort;
	bool json, summary, force_proc;
	double watch; /* 0: no --watch */
	long frames;
	const char *netns, *from_dump, *record_dump;
	const char *filter_file; /* -F */
	bool kill, events;       /* -K, -E */
	bool user_filter;        /* --no-kernel-filter: no bytecode, all in user space */
	bool kernel_exact;       /* the bytecode is the whole expression */
	bool has_expr;           /* a filter was given (arguments or -F) */
	struct expr *expr;       /* the trailing filter expression (heap: it is big) */
	unsigned char *bc;       /* its kernel part, bclen bytes; NULL if none */
	size_t bclen;
};

static const char usage_text[] =
    "usage: sockit sockets [-tuxw046lapesnHomiOKEr] [OPTIONS] [FILTER]\n"
    "\n"
    "List sockets (TCP, UDP, raw, UNIX, packet, netlink) from the kernel over\n"
    "netlink sock_diag, like ss and netstat -tanp, with ss's letters and ss's\n"
    "filter language.\n"
    "\n"
    "Selection (as in ss):\n"
    "  -t, --tcp            TCP sockets          -u, --udp     UDP sockets\n"
    "  -x, --unix           UNIX sockets (u_str, u_dgr, u_seq)\n"
    "  -w, --raw            raw IP sockets (Local Port: the IP protocol)\n"
    "  -0, --packet         AF_PACKET sockets (p_raw, p_dgr): [ETHERTYPE]:DEVICE\n"
    "  --netlink            netlink sockets (nl): PROTOCOL:PORTID\n"
    "  -4, --ipv4 / -6, --ipv6   only that family (alone: TCP, UDP, raw of it)\n"
    "  -A, --query LIST     all inet tcp udp raw unix unix_stream unix_dgram\n"
    "                       unix_seqpacket packet packet_raw packet_dgram netlink\n"
    "                       (comma-separated)\n"
    "  Without -t/-u/-x/-w/-0/--netlink/-4/-6/-A every kind is listed.\n"
    "  -l, --listening      only LISTEN sockets and unconnected (UNCONN) ones\n"
    "  -a, --all            sockets in every state\n"
    "  Without -l/-a/--state, TCP, raw and UNIX show every state but LISTEN, UNCONN,\n"
    "  TIME-WAIT and SYN-RECV, and UDP only connected (ESTAB) sockets.\n"
    "  --state LIST         comma-separated, repeatable: established syn-sent\n"
    "                       syn-recv fin-wait-1 fin-wait-2 time-wait closed\n"
    "                       close-wait last-ack listening closing, or the groups\n"
    "                       all connected synchronized bucket big\n"
    "  --sport N, --dport N local / remote port N (inet sockets only)\n"
    "  --port N             local or remote port N\n"
    "  --pid N              sockets held open by process N (implies owner look-up)\n"
    "\n"
    "Filter (ss's grammar; the trailing arguments, or -F FILE):\n"
    "  FILTER := [ state STATE | exclude STATE ]... [ EXPRESSION ]\n"
    "  EXPRESSION: conditions joined by and (&, &&, or nothing), or (|, ||),\n"
    "  not (!) and ( ); and/or bind left to right, as in ss.  Conditions:\n"
    "    src|dst [=] ADDR[/PREFIX][:PORT]   127.0.0.1:22, [::1], 10.0.0.0/8, *:80,\n"
    "                                       inet:/inet6: ADDR, unix:GLOB\n"
    "    sport|dport OP PORT   OP: = != < > <= >= (eq ne lt gt le ge); PORT 22,\n"
    "                          :22, :ssh (/etc/services), * (any)\n"
    "    dev [=|!=] NAME|INDEX   fwmark|mark [=|!=] MARK[/MASK]\n"
    "    cgroup [=|!=] PATH   autobound   uid OP N (sockit's own)\n"
    "  -F, --filter FILE    read the filter from FILE ('-': stdin; # comments)\n"
    "  What the kernel can run goes into the request as inet_diag bytecode (as\n"
    "  ss does); the rest (uid, UNIX names) is applied here.\n"
    "  --no-kernel-filter   apply the whole filter here (no bytecode)\n"
    "\n"
    "Output:\n"
    "  -p, --process        owning process as PID/NAME (one pass over /proc/*/fd)\n"
    "  -e, --extended       ss's details after the addresses: uid:N (not root's),\n"
    "                       ino:N sk:COOKIE fwmark:0xN cgroup:PATH v6only:0|1 and\n"
    "                       the shutdown state <-> (UNIX: ino:N dev:M/N peers: ...;\n"
    "                       packet: ver: line; netlink: sk=0 cb=0 groups=0xN);\n"
    "                       implies -o, as in ss\n"
    "  -o, --options        timers: timer:(keepalive|on|timewait|persist,TIME,N)\n"
    "  -m, --memory         socket memory: skmem:(r,rb,t,tb,f,w,o,bl,d)\n"
    "  -i, --info           TCP internals as ss prints them, each only when set:\n"
    "                       congestion control, wscale, rto, rtt, mss, cwnd,\n"
    "                       ssthresh, bytes, segs, bbr:(...), send, pacing and\n"
    "                       delivery rates, retrans, rcv_space, minrtt (ts, sack,\n"
    "                       ecn with -o)\n"
    "  -O, --oneline        -m/-i on the socket's line (else on a second line)\n"
    "  -r, --resolve        names for addresses and ports (may query DNS)\n"
    "  -s, --summary        ss's summary (/proc/net/sockstat: Total, TCP, and RAW\n"
    "                       UDP TCP INET FRAG by IP version); with a kind, family,\n"
    "                       state, port or filter chosen the listing follows, as in\n"
    "                       ss; with -j also the selected sockets' counts by netid\n"
    "                       and state\n"
    "  -H, --no-header      no column titles\n"
    "  -n, --numeric        -i's rates in plain bps, as ss -n (addresses and ports\n"
    "                       are numeric anyway)\n"
    "  -j, --json           one JSON document: an array of objects (with -s: one\n"
    "                       object; with -E: one object per line); -o -m -i add\n"
    "                       timer, skmem, info\n"
    "  --sort KEY           recvq, sendq (largest first), port (local), pid\n"
    "  --watch DUR          redraw every DUR (100ms-24h; a bare number is\n"
    "                       seconds); new sockets are marked +, vanished ones -\n"
    "                       (in colour on a terminal)\n"
    "  --count N, --frames N  with --watch, stop after N frames; with -E, events\n"
    "  As in ss, the Netid column is left out when one kind is selected, and the\n"
    "  State column when one state is.\n"
    "\n"
    "Actions:\n"
    "  -K, --kill           close the selected TCP (TIME-WAIT too), UDP and raw\n"
    "                       sockets (SOCK_DESTROY, needs CAP_NET_ADMIN), as ss -K;\n"
    "                       lists them (and, untouched, UNIX/packet/netlink ones),\n"
    "                       says how many were closed on stderr\n"
    "  -E, --events         print TCP/UDP sockets as they are destroyed, until\n"
    "                       SIGINT or --count events\n"
    "\n"
    "Sources:\n"
    "  --netns NAME         query inside the network namespace /run/netns/NAME\n"
    "  --proc               read /proc/net instead of netlink (the fallback used\n"
    "                       automatically, with a note on stderr, when sock_diag\n"
    "                       is unavailable; no TCP info, no UNIX peers/queues)\n"
    "  --record-dump FILE   also write every raw netlink reply (all kinds, all\n"
    "                       states) and the owners of those sockets to FILE\n"
    "  --from-dump FILE     read sockets and owners from such a FILE instead of\n"
    "                       the kernel; filters and output apply as usual\n"
    "\n"
    "examples:\n"
    "  sockit sockets -o state established '( dport = :ssh or sport = :ssh )'\n"
    "  sockit sockets -tanp 'sport >= :1024 and not dst 127.0.0.0/8'\n"
    "  sockit sockets -K dst 192.0.2.7 and dport = :443\n"
    "\n"
    "exit status: 0 success, 1 the kernel or a file could not be read, 2 bad usage\n"
    "(a malformed filter names the bad word and its column).\n";

enum {
	OPT_STATE = CLI_LONG(0),
	OPT_SPORT,
	OPT_DPORT,
	OPT_PORT,
	OPT_PID,
	OPT_SORT,
	OPT_WATCH,
	OPT_COUNT,
	OPT_NETNS,
	OPT_FROM_DUMP,
	OPT_RECORD_DUMP,
	OPT_PROC,
	OPT_NO_KFILTER,
	OPT_NETLINK,
};

/* -A QUERY: ss's socket table names, comma-separated. */
static int parse_query(struct sockets_cmd *c, const char *arg, char *why, size_t len)
{
	static const struct {
		const char *name;
		unsigned ids;
	} names[] = {
	    {"all", NETIDS_ALL},
	    {"inet", NETIDS_INET},
	    {"tcp", NETID_BIT(NETID_TCP)},
	    {"udp", NETID_BIT(NETID_UDP)},
	    {"raw", NETID_BIT(NETID_RAW)},
	    {"unix", NETIDS_UNIX},
	    {"unix_stream", NETID_BIT(NETID_U_STR)},
	    {"unix_dgram", NETID_BIT(NETID_U_DGR)},
	    {"unix_seqpacket", NETID_BIT(NETID_U_SEQ)},
	    {"packet", NETIDS_PACKET},
	    {"packet_raw", NETID_BIT(NETID_P_RAW)},
	    {"packet_dgram", NETID_BIT(NETID_P_DGR)},
	    {"netlink", NETID_BIT(NETID_NL)},
	};
	const char *p = arg;

	for (;;) {
		size_t n = strcspn(p, ",");
		size_t i;

		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strlen(names[i].name) == n && strncmp(names[i].name, p, n) == 0)
				break;
		if (i == sizeof names / sizeof names[0]) {
			snprintf(why, len,
			         "'%.*s': expected all, inet, tcp, udp, raw, unix, "
			         "unix_stream, unix_dgram, unix_seqpacket, packet, packet_raw, "
			         "packet_dgram or netlink",
			         (int)n, p);
			return -1;
		}
		c->sel.query |= names[i].ids;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

/* The ss selection flags and the values that need more than a number
 * (CLI_CALL rows). */
static int option(void *ctx, int opt, const char *arg, char *why, size_t len)
{
	struct sockets_cmd *c = ctx;
	const char *bad;

	switch (opt) {
	case 't': c->sel.tcp = true; return 0;
	case 'u': c->sel.udp = true; return 0;
	case 'x': c->sel.unix_ = true; return 0;
	case '4': c->sel.v4 = true; return 0;
	case '6': c->sel.v6 = true; return 0;
	case 'l': c->sel.listening = true; return 0;
	case 'a': c->sel.all = true; return 0;
	case 'H': c->out.header = false; return 0;
	case 'n': c->out.numeric = true; return 0;
	case OPT_STATE:
		if (filter_parse_states(arg, &c->sel.states, &bad) == 0)
			return 0;
		snprintf(why, len, "unknown state '%.*s'", (int)strcspn(bad, ","), bad);
		return -1;
	case OPT_SORT:
		if (sort_parse(arg, &c->sort) == 0)
			return 0;
		snprintf(why, len, "expected recvq, sendq, port or pid");
		return -1;
	case 'A':
	case CLI_LONG(21):
		return parse_query(c, arg, why, len);
	case 'w': c->sel.raw = true; return 0;
	case '0': c->sel.packet = true; return 0;
	case OPT_NETLINK: c->sel.netlink = true; return 0;
	}
	return -1;
}

/* Options that exclude each other: CLI_RUN, or EXIT_USAGE after saying so. */
static int check_combination(const struct sockets_cmd *c)
{
	if (c->watch && (c->json || c->summary))
		return cli_usage("sockets", "--watch draws the table; not with --json or "
		                 "--summary");
	if (c->frames && !c->watch && !c->events)
		return cli_usage("sockets", "--count needs --watch or -E");
	if ((c->kill || c->events) && (c->from_dump || c->watch || c->summary))
		return cli_usage("sockets", "-K and -E act on the live kernel; not with "
		                 "--from-dump, --watch or --summary");
	if (c->kill && c->events)
		return cli_usage("sockets", "-K and -E are separate runs");
	if (c->from_dump && (c->record_dump || c->netns || c->force_proc))
		return cli_usage("sockets", "--from-dump reads no kernel; not with "
		                 "--record-dump, --netns or --proc");
	return CLI_RUN;
}

/* Tokens from -F FILE or from the trailing arguments (not both, as in ss). */
static int lex_filter(const struct sockets_cmd *c, struct expr_lex *lx, int argc,
                      char **argv, char *err, size_t errlen)
{
	FILE *f;
	int rc;

	if (!c->filter_file)
		return expr_lex_args(lx, argc, argv, err, errlen);
	if (argc > 0) {
		snprintf(err, errlen, "-F gives the filter; unexpected argument '%s'",
		         argv[0]);
		return -1;
	}
	if (!(f = strcmp(c->filter_file, "-") ? fopen(c->filter_file, "r") : stdin)) {
		snprintf(err, errlen, "-F %s: %s", c->filter_file, strerror(errno));
		return -1;
	}
	rc = expr_lex_file(lx, f, err, errlen);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* Parse the filter expression (leading state/exclude words included) and
 * compile its kernel part.  Returns 0, or -1 after a usage error. */
static int parse_filter(struct sockets_cmd *c, int argc, char **argv)
{
	struct expr_lex *lx = malloc(sizeof *lx);
	char err[512];
	int rc = -1;

	c->expr = malloc(sizeof *c->expr);
	c->bc = malloc(EXPR_BC_MAX);
	if (!lx || !c->expr || !c->bc)
		snprintf(err, sizeof err, "%s", strerror(ENOMEM));
	else if (lex_filter(c, lx, argc, argv, err, sizeof err) == 0 &&
	         expr_parse(c->expr, lx, err, sizeof err) == 0)
		rc = 0;
	free(lx);
	if (rc < 0)
		return cli_sub_fail(EXIT_USAGE, "sockets", "%s", err), -1;
	if (c->expr->states_given) {
		c->sel.states = c->expr->states;
		c->sel.states_set = true;
	}
	if (!c->user_filter)
		c->bclen = expr_bytecode(c->expr, c->bc, EXPR_BC_MAX);
	c->kernel_exact = c->bclen && expr_bytecode_exact(c->expr);
	return 0;
}

static void free_cmd(struct sockets_cmd *c)
{
	free(c->expr);
	free(c->bc);
}

static unsigned popcount(uint32_t v)
{
	return (unsigned)__builtin_popcount(v);
}

/* ss leaves out the Netid column when one netid is selected, and the State
 * column when one state is: a script's `awk '{print $4}'` then means the
 * same column for both tools. */
static void choose_columns(struct sockets_cmd *c)
{
	uint32_t states = 0;

	for (unsigned id = 0; id < NETID_COUNT; id++)
		if (c->filter.netids & NETID_BIT(id))
			states |= c->filter.states[id];
	c->out.no_netid = popcount(c->filter.netids) == 1;
	c->out.no_state = popcount(states) == 1;
}

/* CLI_RUN, or the exit status (0 after --help, 2 after a usage error). */
static int parse_args(struct sockets_cmd *c, int argc, char **argv)
{
	memset(c, 0, sizeof *c);
	select_init(&c->sel);
	c->out.header = true;
	const struct cli_option opts[] = {
		CLI_CALL_FLAG('t', "tcp", option),
		CLI_CALL_FLAG('u', "udp", option),
		CLI_CALL_FLAG('x', "unix", option),
		CLI_CALL_FLAG('4', "ipv4", option),
		CLI_CALL_FLAG('6', "ipv6", option),
		CLI_CALL_FLAG('l', "listening", option),
		CLI_CALL_FLAG('a', "all", option),
		CLI_FLAG('p', "process", &c->out.process),
		CLI_FLAG('e', "extended", &c->out.extended),
		CLI_FLAG('s', "summary", &c->summary),
		CLI_CALL_FLAG('n', "numeric", option),
		CLI_CALL_FLAG('H', "no-header", option),
		CLI_CALL(OPT_STATE, "state", option),
		CLI_NUM(OPT_SPORT, "sport", &c->sel.sport, 0, 65535),
		CLI_NUM(OPT_DPORT, "dport", &c->sel.dport, 0, 65535),
		CLI_NUM(OPT_PORT, "port", &c->sel.port, 0, 65535),
		CLI_NUM(OPT_PID, "pid", &c->sel.pid, 1, 4194304),
		CLI_FLAG('j', "json", &c->json),
		CLI_CALL(OPT_SORT, "sort", option),
		CLI_DUR(OPT_WATCH, "watch", &c->watch, 100, 86400000),
		CLI_NUM(OPT_COUNT, "count", &c->frames, 1, 1000000),
		CLI_NUM(CLI_LONG(20), "frames", &c->frames, 1, 1000000),
		CLI_STR(OPT_NETNS, "netns", &c->netns),
		CLI_STR(OPT_FROM_DUMP, "from-dump", &c->from_dump),
		CLI_STR(OPT_RECORD_DUMP, "record-dump", &c->record_dump),
		CLI_FLAG(OPT_PROC, "proc", &c->force_proc),
		CLI_STR('F', "filter", &c->filter_file),
		CLI_FLAG(OPT_NO_KFILTER, "no-kernel-filter", &c->user_filter),
		CLI_FLAG('o', "options", &c->out.timers),
		CLI_FLAG('m', "memory", &c->out.memory),
		CLI_FLAG('i', "info", &c->out.info),
		CLI_FLAG('O', "oneline", &c->out.oneline),
		CLI_FLAG('r', "resolve", &c->out.resolve),
		CLI_FLAG('K', "kill", &c->kill),
		CLI_FLAG('E', "events", &c->events),
		CLI_CALL('A', "query", option),
		CLI_CALL(CLI_LONG(21), "socket", option),
		CLI_CALL_FLAG('w', "raw", option),
		CLI_CALL_FLAG('0', "packet", option),
		CLI_CALL_FLAG(OPT_NETLINK, "netlink", option),
		CLI_END,
	};
	const struct cli_command cmd = { "sockets", usage_text, opts, 0 };
	int first, rc = cli_parse(&cmd, argc, argv, c, &first);

	if (rc != CLI_RUN)
		return rc;
	/* The positionals are the filter expression, as in ss. */
	c->has_expr = argc > first || c->filter_file;
	if (parse_filter(c, argc - first, argv + first) < 0)
		return EXIT_USAGE;
	/* ss -e shows the timers too (it sets -o). */
	if (c->out.extended)
		c->out.timers = true;
	filter_setup(&c->filter, &c->sel);
	choose_columns(c);
	return check_combination(c);
}

static bool need_owners(const struct sockets_cmd *c)
{
	return c->out.process || c->sel.pid > 0 || c->sort == SORT_PID || c->record_dump;
}

/* A dump holds everything, so that any filter can be replayed from it. */
static void everything(struct sock_filter *f)
{
	struct select_opts all;

	select_init(&all);
	all.all = true;
	filter_setup(f, &all);
}

static int open_record(const struct sockets_cmd *c, FILE **rec, char *err, size_t errlen)
{
	if (!c->record_dump)
		return 0;
	if (!(*rec = fopen(c->record_dump, "w"))) {
		snprintf(err, errlen, "sockets: %s: %s", c->record_dump, strerror(errno));
		return -1;
	}
	uint16_t lo, hi;

	expr_port_range(&lo, &hi);
	dump_write_header(*rec, lo, hi);
	return 0;
}

static int close_record(const struct sockets_cmd *c, FILE *rec, int rc, char *err,
                        size_t errlen)
{
	if (!rec)
		return rc;
	if (fclose(rec) != 0 && rc == 0) {
		snprintf(err, errlen, "sockets: %s: %s", c->record_dump, strerror(errno));
		return -1;
	}
	return rc;
}

static int collect_live(const struct sockets_cmd *c, struct sock_list *out,
                        struct procmap *pm, char *err, size_t errlen)
{
	struct sock_filter all;
	/* tcp_info: -i's, and -e's "tcp_info" in JSON (the text has none). */
	struct collect_opts o = {&c->filter, c->out.info || (c->out.extended && c->json),
	                         c->force_proc,
	                         NULL, c->bclen ? c->bc : NULL, c->bclen, 0, false, 0, 0, false, false};
	struct procscan *scan = NULL;
	int rc;

	/* `autobound` needs the kernel's answer beside ss's user-space one
	 * (expr_match); a dump keeps it for any later filter. */
	o.mark_auto = c->expr->has_auto || c->record_dump;
	o.details = c->out.extended || c->record_dump;
	/* A port every selected socket must have lets the kernel skip the
	 * others before it runs the bytecode (most of a filtered dump's
	 * time: each bytecode run reads several cache lines of a socket). */
	if (!c->user_filter) {
		o.id_sport = expr_required_port(c->expr, true);
		o.id_dport = expr_required_port(c->expr, false);
		o.id_exact = c->bclen && expr_ports_only(c->expr);
	}
	if (!o.id_sport && c->filter.sport > 0)
		o.id_sport = (uint16_t)c->filter.sport;
	if (!o.id_dport && c->filter.dport > 0)
		o.id_dport = (uint16_t)c->filter.dport;
	if (c->out.memory)
		o.ext |= 1u << (INET_DIAG_SKMEMINFO - 1);
	if (c->out.info)
		o.ext |= 1u << (INET_DIAG_CONG - 1) | 1u << (INET_DIAG_VEGASINFO - 1);
	diag_keep_info = c->out.info;
	if (open_record(c, &o.record, err, errlen) < 0)
		return -1;
	if (o.record) {
		everything(&all);
		o.filter = &all;
		o.tcpinfo = true;
		o.bc = NULL; /* a dump holds every socket */
		o.bclen = 0;
		o.id_sport = o.id_dport = 0;
	}
	/* The /proc walk runs in threads while the kernel answers the dump.
	 * --pid alone needs only that process's fds: just /proc/PID/fd. */
	if (need_owners(c) &&
	    !(scan = procmap_scan_start(c->record_dump || c->out.process ? 0 : c->sel.pid,
	                                err, errlen)))
		return close_record(c, o.record, -1, err, errlen);
	rc = collect_sockets(&o, out, err, errlen);
	if (scan && procmap_scan_finish(scan, pm, rc ? NULL : err, rc ? 0 : errlen) < 0)
		rc = -1;
	if (rc == 0 && o.record)
		dump_write_owners(o.record, pm, out);
	return close_record(c, o.record, rc, err, errlen);
}

/* Whether e passes the selection and the filter.  An inet socket the
 * kernel sent for an exact bytecode already passed the filter there. */
static bool selected(const struct sock_entry *e, const void *arg)
{
	const struct sockets_cmd *c = arg;

	if (!filter_match(&c->filter, e))
		return false;
	if (c->kernel_exact && !c->from_dump && !c->record_dump && sock_is_inet(e) &&
	    !e->from_proc)
		return true;
	return expr_match(c->expr, e);
}

/* One frame's worth: collect (or replay), attach owners, filter, sort. */
static int gather(void *ctx, struct sock_list *out, char *err, size_t errlen)
{
	const struct sockets_cmd *c = ctx;
	struct procmap pm = {NULL, 0, 0};
	int rc;

	struct dump_ports ports;

	if (c->from_dump) {
		rc = dump_read(c->from_dump, out, &pm, &ports, err, errlen);
		/* `autobound` as on the host that recorded it. */
		if (rc == 0 && ports.known && c->expr->has_auto) {
			c->expr->lo_port = ports.lo;
			c->expr->hi_port = ports.hi;
		}
	} else
		rc = collect_live(c, out, &pm, err, errlen);
	if (rc == 0) {
		procmap_fill(&pm, out);
		sock_list_retain(out, selected, c);
		sort_sockets(out, c->sort);
	}
	procmap_free(&pm);
	return rc;
}

static int enter_netns(const char *name)
{
	char path[300];
	int fd;

	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strlen(name) > 255)
		return cli_bad_value("sockets", "--netns", name, "not a namespace name");
	snprintf(path, sizeof path, "/run/netns/%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return cli_fail(EXIT_NETWORK, "netns %s: %s", name, strerror(errno));
	if (setns(fd, CLONE_NEWNET) < 0) {
		int e = errno;

		close(fd);
		return cli_fail(EXIT_NETWORK, "netns %s: setns: %s", name,
		           strerror(e));
	}
	close(fd);
	return EXIT_OK;
}

static int finish_output(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return EXIT_OK;
	/* A reader that stopped early (| head) is not worth a message. */
	if (errno == EPIPE)
		return EXIT_NETWORK;
	return cli_fail(EXIT_NETWORK, "writing output: %s", strerror(errno));
}

/* -K: destroy what was selected, keep in l what was destroyed, and say on
 * stderr how many (and why some could not be). */
static int kill_matching(struct sock_list *l, char *err, size_t errlen)
{
	size_t matched, refused;
	int why;
	long n = kill_sockets(l, &matched, &refused, &why, err, errlen);

	if (n < 0)
		return -1;
	/* Nothing could be killed at all: a failure, not a result. */
	if (n == 0 && refused) {
		snprintf(err, errlen, "sockets: -K: the kernel refused all %zu sockets: %s",
		         refused, strerror(why));
		return -1;
	}
	fprintf(stderr, "sockit sockets: killed %ld of %zu matching sockets", n, matched);
	if (refused)
		fprintf(stderr, " (%zu refused: %s)", refused, strerror(why));
	fputc('\n', stderr);
	return 0;
}

static int run_events(const struct sockets_cmd *c)
{
	struct events_opts eo = {&c->filter, c->expr, &c->out, c->json, c->frames};
	char err[256];

	if (events_run(stdout, &eo, err, sizeof err) < 0)
		return cli_fail(EXIT_NETWORK, "%s", err);
	return finish_output();
}

/* ss -s prints only the summary unless a table, family or filter was
 * chosen (ss's do_default); then the listing follows it. */
static bool summary_only(const struct sockets_cmd *c)
{
	const struct select_opts *s = &c->sel;

	return !(s->tcp || s->udp || s->unix_ || s->raw || s->packet || s->netlink || s->v4 ||
	         s->v6 || s->query || s->states || s->states_set || s->sport >= 0 ||
	         s->dport >= 0 || s->port >= 0 || s->pid > 0 || c->has_expr);
}

/* -s's figures: the kernel's counters, or for a dump its sockets, all of
 * them (as the counters count every socket, whatever is selected). */
static int summary_figures(const struct sockets_cmd *c, struct ss_summary *s, char *err,
                           size_t errlen)
{
	struct sock_list all = {NULL, 0, 0};
	struct procmap pm = {NULL, 0, 0};
	struct dump_ports ports;
	int rc;

	if (!c->from_dump) {
		if (summary_from_proc(s) == 0)
			return 0;
		snprintf(err, errlen, "sockets: /proc/net/sockstat: %s", strerror(errno));
		return -1;
	}
	rc = dump_read(c->from_dump, &all, &pm, &ports, err, errlen);
	if (rc == 0)
		summary_from_list(s, &all);
	procmap_free(&pm);
	sock_list_free(&all);
	return rc;
}

static int run_summary(const struct sockets_cmd *c)
{
	struct sock_list l = {NULL, 0, 0};
	struct ss_summary s;
	char err[512];
	bool list = c->json || !summary_only(c);

	if (summary_figures(c, &s, err, sizeof err) < 0 ||
	    (list && gather((void *)c, &l, err, sizeof err) < 0)) {
		sock_list_free(&l);
		return cli_fail(EXIT_NETWORK, "%s", err);
	}
	output_summary(stdout, &s, &l, c->json);
	if (list && !c->json)
		output_text(stdout, &l, &c->out);
	sock_list_free(&l);
	return finish_output();
}

static int run_once(const struct sockets_cmd *c)
{
	struct sock_list l = {NULL, 0, 0};
	char err[512];

	if (c->summary)
		return run_summary(c);
	if (gather((void *)c, &l, err, sizeof err) < 0) {
		sock_list_free(&l);
		return cli_fail(EXIT_NETWORK, "%s", err);
	}
	if (c->kill && kill_matching(&l, err, sizeof err) < 0) {
		sock_list_free(&l);
		return cli_fail(EXIT_NETWORK, "%s", err);
	}
	if (c->json)
		output_json(stdout, &l, &c->out);
	else
		output_text(stdout, &l, &c->out);
	sock_list_free(&l);
	return finish_output();
}

static int run_watch(struct sockets_cmd *c)
{
	struct watch_opts w = {c->watch, c->frames, isatty(STDOUT_FILENO) == 1,
	                       "sockit sockets"};
	int rc = watch_run(stdout, &w, &c->out, gather, c);

	return rc == EXIT_OK ? finish_output() : rc;
}

int cmd_sockets(int argc, char **argv)
{
	static char outbuf[1 << 16];
	struct sockets_cmd c;
	int rc = parse_args(&c, argc, argv);

	if (rc == CLI_RUN && (!c.netns || (rc = enter_netns(c.netns)) == EXIT_OK)) {
		setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
		output_set_resolve(c.out.resolve);
		if (c.from_dump)
			cgroup_path_offline();
		rc = c.events ? run_events(&c) : c.watch ? run_watch(&c) : run_once(&c);
	}
	free_cmd(&c);
	cgroup_path_free();
	return rc;
}
