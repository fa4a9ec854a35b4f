/* cmd_scan.c — `sockit scan`: options, targets and ports in; the engine
 * (src/scan/engine.c) does the scanning. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "commands.h"
#include "scan/engine.h"
#include "scan/rtt.h"
#include "sockit/endpoint.h"
#include "sockit/error.h"
#include "sockit/net.h"

#define SERVICES_FILE "/etc/services"
#define CONCURRENCY_CAP 10000u
#define FD_RESERVE 64u

static const char usage_text[] =
"usage: sockit scan [OPTIONS] TARGET...\n"
"\n"
"Concurrent TCP connect scan.  Each port ends as open (the connect\n"
"succeeded), closed (refused: RST) or filtered (no answer after the\n"
"retries, or an ICMP unreachable / administratively prohibited).\n"
"\n"
"TARGET is a host name, an IPv4 or IPv6 address ([::1] or ::1), or a CIDR\n"
"block (192.0.2.0/24, 2001:db8::/120) of at most 65536 addresses; all\n"
"targets together hold at most 65536 hosts.  A name scans its first address.\n"
"\n"
"options:\n"
"  -p, --ports LIST       ports: numbers, ranges and /etc/services names,\n"
"                         comma-separated (22,80,http,8000-8100; -1024 is\n"
"                         1-1024, 60000- is 60000-65535); '-' is all 65535.\n"
"                         Default: 1-1024 plus every TCP port named in\n"
"                         /etc/services.\n"
"  -4, -6                 resolve names to IPv4 / IPv6 only\n"
"      --concurrency N    most connects in flight (default: the open-file\n"
"                         limit, raised to its hard maximum, less 64, at\n"
"                         most 10000)\n"
"      --retries N        retries for an unanswered port, 0-10 (default 2,\n"
"                         raised up to 6 when answers show packet loss);\n"
"                         also --max-retries, as in nmap\n"
"      --timeout DUR      fixed connect timeout; the default adapts like\n"
"                         TCP's RTO: SRTT + 4*RTTVAR of the answers so far\n"
"      --min-timeout DUR  lower bound of the adaptive timeout (default 100ms)\n"
"      --max-timeout DUR  upper bound of the adaptive timeout (default 10s)\n"
"      --rate N           at most N connects per second (also --max-rate)\n"
"      --threads N        event loops in parallel, 1-64 (default: one per\n"
"                         CPU, at most 4; 1 for scans under 4096 probes)\n"
"      --shard I/N        scan only slice I of N (1 <= I <= N): the slices\n"
"                         are disjoint and together cover the whole scan\n"
"      --banner           for open ports, print what the service says first\n"
"      --banner-timeout DUR  how long to wait for it (default 1.5s)\n"
"  -a, --all              list closed and filtered ports too\n"
"  -j, --json             one JSON object per line: {\"type\":\"port\",...} for\n"
"                         each result, then {\"type\":\"summary\",...}\n"
"      --progress         progress line on stderr (default when stderr is a\n"
"                         terminal); --no-progress turns it off\n"
"  -v, --verbose          the progress line, as --progress\n"
"  -q, --quiet            no progress line and no summary line (text)\n"
"  -h, --help             this text\n"
"\n"
"DUR is a number of seconds or has a unit: 250ms, 1.5s, 2m (as in nmap).\n"
"\n"
"Output: each open port as found (\"22/tcp open ssh\"; with several hosts\n"
"the address comes first), then a summary line.  Self-connects (on\n"
"loopback the kernel may pick the target port as source port) are\n"
"detected and retried, never reported open.\n"
"\n"
"Scan only what you may: loopback, or a network namespace of your own\n"
"(unshare -rn, ip netns).\n"
"\n"
"examples:\n"
"  sockit scan 127.0.0.1 -p 1-1024\n"
"  sockit scan --json -p 22,80,443 127.0.0.1\n"
"  sockit scan -a --timeout 200ms -p 7,9,13 ::1\n"
"\n"
"Exit status: 0 scan done, 1 network failure or interrupted, 2 bad usage.\n";

struct scan_args {
	struct scan_opts o;
	struct report rep;
	const char *ports_spec;
	int family;
	bool progress_set, progress;
};

enum { OPT_RETRIES = CLI_LONG(0), OPT_CONCURRENCY, OPT_TIMEOUT, OPT_MIN_TIMEOUT, OPT_MAX_TIMEOUT,
       OPT_RATE, OPT_SHARD, OPT_BANNER, OPT_BANNER_TIMEOUT, OPT_PROGRESS,
       OPT_NO_PROGRESS, OPT_THREADS, OPT_MAX_RETRIES, OPT_MAX_RATE };

/* The options that are not a plain value (CLI_CALL rows). */
static int option(void *ctx, int c, const char *arg, char *why, size_t len)
{
	struct scan_args *a = ctx;

	switch (c) {
	case '4': a->family = AF_INET; return 0;
	case '6': a->family = AF_INET6; return 0;
	case OPT_SHARD: return shard_parse(&a->o.shard, arg, why, len);
	case OPT_PROGRESS: case 'v': a->progress_set = a->progress = true; return 0;
	case OPT_NO_PROGRESS: a->progress_set = true; a->progress = false; return 0;
	case 'q': a->progress_set = true; a->progress = false; a->rep.quiet = true; return 0;
	}
	return -1;
}

/* Options into a; CLI_RUN with *first the first TARGET's index, or the
 * exit status (0 after --help). */
static int parse_args(struct scan_args *a, int argc, char **argv, int *first)
{
	const struct cli_option opts[] = {
		CLI_STR('p', "ports", &a->ports_spec),
		CLI_CALL_FLAG('4', NULL, option),
		CLI_CALL_FLAG('6', NULL, option),
		CLI_NUM(OPT_CONCURRENCY, "concurrency", &a->o.concurrency, 1, 1 << 20),
		CLI_NUM(OPT_RETRIES, "retries", &a->o.retries, 0, SCAN_MAX_RETRIES),
		CLI_NUM(OPT_MAX_RETRIES, "max-retries", &a->o.retries, 0, SCAN_MAX_RETRIES),
		CLI_DUR(OPT_TIMEOUT, "timeout", &a->o.timeout_ms, 1, 600000),
		CLI_DUR(OPT_MIN_TIMEOUT, "min-timeout", &a->o.min_timeout_ms, 1, 600000),
		CLI_DUR(OPT_MAX_TIMEOUT, "max-timeout", &a->o.max_timeout_ms, 1, 600000),
		CLI_NUM(OPT_RATE, "rate", &a->o.rate, 1, 100000000),
		CLI_NUM(OPT_MAX_RATE, "max-rate", &a->o.rate, 1, 100000000),
		CLI_NUM(OPT_THREADS, "threads", &a->o.threads, 1, 64),
		CLI_CALL(OPT_SHARD, "shard", option),
		CLI_FLAG(OPT_BANNER, "banner", &a->o.banner),
		CLI_DUR(OPT_BANNER_TIMEOUT, "banner-timeout", &a->o.banner_ms, 1, 60000),
		CLI_FLAG('a', "all", &a->rep.all),
		CLI_FLAG('j', "json", &a->rep.json),
		CLI_CALL_FLAG(OPT_PROGRESS, "progress", option),
		CLI_CALL_FLAG(OPT_NO_PROGRESS, "no-progress", option),
		CLI_CALL_FLAG('v', "verbose", option),
		CLI_CALL_FLAG('q', "quiet", option),
		CLI_END,
	};
	const struct cli_command cmd = { "scan", usage_text, opts, 0 };
	int rc = cli_parse(&cmd, argc, argv, a, first);

	if (rc != CLI_RUN)
		return rc;
	if (a->o.min_timeout_ms > a->o.max_timeout_ms)
		return cli_usage("scan", "--min-timeout %u ms exceeds --max-timeout %u ms",
		                 a->o.min_timeout_ms, a->o.max_timeout_ms);
	return CLI_RUN;
}

static int add_targets(struct target_list *tl, int family, int n, char **args)
{
	char err[SK_ERRLEN];
	if (n == 0)
		return cli_usage("scan", "no target");
	for (int i = 0; i < n; i++) {
		int rc = targets_add(tl, args[i], family, err, sizeof err);
		if (rc != TARGET_OK)
			return rc == TARGET_BAD ? cli_sub_fail(EXIT_USAGE, "scan", "%s", err)
			                        : cli_fail(EXIT_NETWORK, "%s", err);
	}
	return 0;
}

static int choose_ports(struct port_list *pl, const char *spec,
                        const struct svc_table *svc)
{
	char err[SK_ERRLEN];
	if (spec && ports_parse(pl, spec, svc, err, sizeof err) < 0)
		return cli_sub_fail(EXIT_USAGE, "scan", "%s", err);
	if (!spec && ports_default(pl, svc) < 0)
		return cli_fail(EXIT_NETWORK, "ports: out of memory");
	return 0;
}

/* Concurrency within the open-file limit (a few fds for the loop and
 * stdio stay spare). */
static int choose_concurrency(struct scan_opts *o)
{
	rlim_t nofile = (rlim_t)sk_raise_fd_limit();
	rlim_t room = nofile > FD_RESERVE * 2 ? nofile - FD_RESERVE : FD_RESERVE;
	if (o->concurrency == 0)
		o->concurrency = room < CONCURRENCY_CAP ? (unsigned)room : CONCURRENCY_CAP;
	else if (o->concurrency > room)
		return cli_sub_fail(EXIT_USAGE, "scan", "concurrency %u exceeds the open-file "
		           "limit (%llu, less %u spare)", o->concurrency,
		           (unsigned long long)nofile, FD_RESERVE);
	return 0;
}

/* Loopback scans are CPU-bound in the kernel's connect path: one loop per
 * core.  Small scans are not worth a thread. */
static unsigned choose_threads(uint64_t work)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (work < 4096 || cpus < 2)
		return 1;
	return cpus > 4 ? 4 : (unsigned)cpus;
}

static void defaults(struct scan_args *a)
{
	memset(a, 0, sizeof *a);
	a->o.retries = -1;
	a->o.min_timeout_ms = RTT_MIN_MS;
	a->o.max_timeout_ms = RTT_MAX_MS;
	a->o.banner_ms = 1500;
	a->o.shard = (struct shard){ 1, 1 };
	a->family = AF_UNSPEC;
	a->rep.out = stdout;
}

static int run_scan(struct scan_args *a, struct target_list *tl,
                    struct port_list *pl, struct svc_table *svc)
{
	struct scan_summary sum;
	char err[SK_ERRLEN] = "";
	a->o.targets = tl;
	a->o.ports = pl;
	a->o.report = &a->rep;
	a->rep.svc = svc;
	a->rep.host_column = tl->count > 1;
	a->rep.progress_tty = isatty(STDERR_FILENO);
	a->rep.progress = a->progress_set ? a->progress : a->rep.progress_tty;
	if (a->o.threads == 0)
		a->o.threads = choose_threads(tl->count * pl->count / a->o.shard.count);
	int rc = scan_run(&a->o, &sum, err, sizeof err);
	report_summary(&a->rep, &sum);
	if (rc < 0)
		return cli_fail(EXIT_NETWORK, "%s", err);
	return sum.interrupted ? EXIT_NETWORK : EXIT_OK;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_args a;
	struct target_list tl = { 0 };
	struct port_list pl = { 0 };
	struct svc_table svc;
	int rc;

	int first;

	defaults(&a);
	if ((rc = parse_args(&a, argc, argv, &first)) != CLI_RUN)
		return rc;
	svc_load(&svc, SERVICES_FILE);   /* without it: numbers only, no names */
	if ((rc = add_targets(&tl, a.family, argc - first, argv + first)) == 0 &&
	    (rc = choose_ports(&pl, a.ports_spec, &svc)) == 0 &&
	    (rc = choose_concurrency(&a.o)) == 0)
		rc = run_scan(&a, &tl, &pl, &svc);
	ports_free(&pl);
	targets_free(&tl);
	svc_free(&svc);
	return rc;
}
