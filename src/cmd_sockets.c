/* cmd_sockets.c — `sockit sockets`: list sockets like ss/netstat, from
 * netlink sock_diag, with owners, filters, JSON, sorting and --watch. */
#include <errno.h>
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
};

static const char usage_text[] =
    "usage: sockit sockets [-tux46lapes] [OPTIONS]\n"
    "\n"
    "List sockets (TCP, UDP, UNIX) from the kernel over netlink sock_diag, like\n"
    "ss and netstat -tanp.  Addresses and ports are always numeric.\n"
    "\n"
    "Selection (as in ss):\n"
    "  -t, --tcp            TCP sockets          -u, --udp     UDP sockets\n"
    "  -x, --unix           UNIX sockets (u_str, u_dgr, u_seq)\n"
    "  -4, --ipv4 / -6, --ipv6   only that family (alone: TCP and UDP of it)\n"
    "  Without -t/-u/-x/-4/-6 every kind is listed.\n"
    "  -l, --listening      only LISTEN sockets and unconnected (UNCONN) ones\n"
    "  -a, --all            sockets in every state\n"
    "  Without -l/-a/--state, TCP and UNIX show every state but LISTEN, UNCONN,\n"
    "  TIME-WAIT and SYN-RECV, and UDP only connected (ESTAB) sockets.\n"
    "  --state LIST         comma-separated, repeatable: established syn-sent\n"
    "                       syn-recv fin-wait-1 fin-wait-2 time-wait closed\n"
    "                       close-wait last-ack listening closing, or the groups\n"
    "                       all connected synchronized bucket big\n"
    "  --sport N, --dport N local / remote port N (inet sockets only)\n"
    "  --port N             local or remote port N\n"
    "  --pid N              sockets held open by process N (implies owner look-up)\n"
    "  States and ports are filtered in the kernel request.\n"
    "\n"
    "Output:\n"
    "  -p, --process        owning process as PID/NAME (one pass over /proc/*/fd)\n"
    "  -e, --extended       uid, inode, and for TCP rtt/rttvar (ms), cwnd,\n"
    "                       retransmits (current/total), bytes sent/acked/received\n"
    "  -s, --summary        counts by netid and state of the selected sockets\n"
    "  -H, --no-header      no column titles\n"
    "  -n, --numeric        accepted for ss compatibility (always numeric)\n"
    "  -j, --json           one JSON document: an array of objects (with -s: one\n"
    "                       object)\n"
    "  --sort KEY           recvq, sendq (largest first), port (local), pid\n"
    "  --watch DUR          redraw every DUR (100ms-24h; a bare number is\n"
    "                       seconds); new sockets are marked +, vanished ones -\n"
    "                       (in colour on a terminal)\n"
    "  --count N, --frames N  with --watch, stop after N frames\n"
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
    "\n"
    "examples:\n"
    "  sockit sockets -tl\n"
    "  sockit sockets -t -a -p --sport 22\n"
    "  sockit sockets -s --json\n"
    "\n"
    "Exit status: 0 success, 1 the kernel or a file could not be read, 2 bad usage.\n";

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
};

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
	case 'n': return 0;
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
	}
	return -1;
}

/* Options that exclude each other: CLI_RUN, or EXIT_USAGE after saying so. */
static int check_combination(const struct sockets_cmd *c)
{
	if (c->watch && (c->json || c->summary))
		return cli_usage("sockets", "--watch draws the table; not with --json or "
		                 "--summary");
	if (c->frames && !c->watch)
		return cli_usage("sockets", "--count needs --watch");
	if (c->from_dump && (c->record_dump || c->netns || c->force_proc))
		return cli_usage("sockets", "--from-dump reads no kernel; not with "
		                 "--record-dump, --netns or --proc");
	return CLI_RUN;
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
		CLI_END,
	};
	const struct cli_command cmd = { "sockets", usage_text, opts, 0 };
	int first, rc = cli_parse(&cmd, argc, argv, c, &first);

	if (rc != CLI_RUN)
		return rc;
	if (first < argc)
		return cli_usage("sockets", "unexpected argument '%s'", argv[first]);
	filter_setup(&c->filter, &c->sel);
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
	dump_write_header(*rec);
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
	struct collect_opts o = {&c->filter, c->out.extended, c->force_proc, NULL};
	struct procscan *scan = NULL;
	int rc;

	if (open_record(c, &o.record, err, errlen) < 0)
		return -1;
	if (o.record) {
		everything(&all);
		o.filter = &all;
		o.tcpinfo = true;
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

/* One frame's worth: collect (or replay), attach owners, filter, sort. */
static int gather(void *ctx, struct sock_list *out, char *err, size_t errlen)
{
	const struct sockets_cmd *c = ctx;
	struct procmap pm = {NULL, 0, 0};
	int rc;

	if (c->from_dump)
		rc = dump_read(c->from_dump, out, &pm, err, errlen);
	else
		rc = collect_live(c, out, &pm, err, errlen);
	if (rc == 0) {
		procmap_fill(&pm, out);
		filter_apply(&c->filter, out);
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
		return cli_fail(EXIT_NETWORK, "sockets: netns %s: %s", name, strerror(errno));
	if (setns(fd, CLONE_NEWNET) < 0) {
		int e = errno;

		close(fd);
		return cli_fail(EXIT_NETWORK, "sockets: netns %s: setns: %s", name,
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
	return cli_fail(EXIT_NETWORK, "sockets: writing output: %s", strerror(errno));
}

static int run_once(const struct sockets_cmd *c)
{
	struct sock_list l = {NULL, 0, 0};
	char err[512];

	if (gather((void *)c, &l, err, sizeof err) < 0) {
		sock_list_free(&l);
		return cli_fail(EXIT_NETWORK, "%s", err);
	}
	if (c->summary)
		output_summary(stdout, &l, c->json);
	else if (c->json)
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

	if (rc != CLI_RUN)
		return rc;
	if (c.netns && (rc = enter_netns(c.netns)) != EXIT_OK)
		return rc;
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	return c.watch ? run_watch(&c) : run_once(&c);
}
