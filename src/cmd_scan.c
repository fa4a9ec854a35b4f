/* cmd_scan.c — `sockit scan`: options, targets and ports in; the engine
 * (src/scan/engine.c) does the scanning. */
#include <errno.h>
#include <getopt.h>
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
"  -c, --concurrency N    most connects in flight (default: the open-file\n"
"                         limit, raised to its hard maximum, less 64, at\n"
"                         most 10000)\n"
"      --retries N        retries for an unanswered port, 0-10 (default 2,\n"
"                         raised up to 6 when answers show packet loss)\n"
"      --timeout MS       fixed connect timeout; the default adapts like\n"
"                         TCP's RTO: SRTT + 4*RTTVAR of the answers so far\n"
"      --min-timeout MS   lower bound of the adaptive timeout (default 100)\n"
"      --max-timeout MS   upper bound of the adaptive timeout (default 10000)\n"
"      --rate N           at most N connects per second\n"
"      --threads N        event loops in parallel, 1-64 (default: one per\n"
"                         CPU, at most 4; 1 for scans under 4096 probes)\n"
"      --shard I/N        scan only slice I of N (1 <= I <= N): the slices\n"
"                         are disjoint and together cover the whole scan\n"
"      --banner           for open ports, print what the service says first\n"
"      --banner-timeout MS  how long to wait for it (default 1500)\n"
"  -a, --all              list closed and filtered ports too\n"
"      --json             one JSON object per line: {\"type\":\"port\",...} for\n"
"                         each result, then {\"type\":\"summary\",...}\n"
"      --progress         progress line on stderr (default when stderr is a\n"
"                         terminal); --no-progress turns it off\n"
"  -h, --help             this text\n"
"\n"
"Output: each open port as found (\"22/tcp open ssh\"; with several hosts\n"
"the address comes first), then a summary line.  Self-connects (on\n"
"loopback the kernel may pick the target port as source port) are\n"
"detected and retried, never reported open.\n"
"\n"
"Exit status: 0 scan done, 1 network failure or interrupted, 2 bad usage.\n";

struct scan_args {
	struct scan_opts o;
	struct report rep;
	const char *ports_spec;
	int family;
	bool progress_set, progress;
};

enum { OPT_RETRIES = 256, OPT_TIMEOUT, OPT_MIN_TIMEOUT, OPT_MAX_TIMEOUT,
       OPT_RATE, OPT_SHARD, OPT_BANNER, OPT_BANNER_TIMEOUT, OPT_JSON,
       OPT_PROGRESS, OPT_NO_PROGRESS, OPT_THREADS };

static const struct option long_opts[] = {
	{ "ports", required_argument, NULL, 'p' },
	{ "concurrency", required_argument, NULL, 'c' },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "min-timeout", required_argument, NULL, OPT_MIN_TIMEOUT },
	{ "max-timeout", required_argument, NULL, OPT_MAX_TIMEOUT },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "banner", no_argument, NULL, OPT_BANNER },
	{ "banner-timeout", required_argument, NULL, OPT_BANNER_TIMEOUT },
	{ "all", no_argument, NULL, 'a' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int num(const char *text, long long min, long long max, long long *out,
               const char *what)
{
	char err[SK_ERRLEN];
	if (sk_parse_num(text, min, max, out, what, err, sizeof err) == 0)
		return 0;
	return cli_fail(EXIT_USAGE, "scan: %s", err);
}

static int set_u32(const char *text, long long min, long long max,
                   uint32_t *out, const char *what)
{
	long long v;
	if (num(text, min, max, &v, what))
		return EXIT_USAGE;
	*out = (uint32_t)v;
	return 0;
}

/* One option; returns 0, or the exit status to leave with. */
static int option(struct scan_args *a, int c, const char *arg)
{
	long long v;
	char err[SK_ERRLEN];
	switch (c) {
	case 'p': a->ports_spec = arg; return 0;
	case '4': a->family = AF_INET; return 0;
	case '6': a->family = AF_INET6; return 0;
	case 'c': return set_u32(arg, 1, 1 << 20, &a->o.concurrency, "concurrency");
	case OPT_RETRIES:
		if (num(arg, 0, SCAN_MAX_RETRIES, &v, "retries"))
			return EXIT_USAGE;
		a->o.retries = (int)v;
		return 0;
	case OPT_TIMEOUT: return set_u32(arg, 1, 600000, &a->o.timeout_ms, "timeout");
	case OPT_MIN_TIMEOUT: return set_u32(arg, 1, 600000, &a->o.min_timeout_ms, "min-timeout");
	case OPT_MAX_TIMEOUT: return set_u32(arg, 1, 600000, &a->o.max_timeout_ms, "max-timeout");
	case OPT_RATE:
		if (num(arg, 1, 100000000, &v, "rate"))
			return EXIT_USAGE;
		a->o.rate = (double)v;
		return 0;
	case OPT_THREADS: return set_u32(arg, 1, 64, &a->o.threads, "threads");
	case OPT_SHARD:
		if (shard_parse(&a->o.shard, arg, err, sizeof err) < 0)
			return cli_fail(EXIT_USAGE, "scan: %s", err);
		return 0;
	case OPT_BANNER: a->o.banner = true; return 0;
	case OPT_BANNER_TIMEOUT: return set_u32(arg, 1, 60000, &a->o.banner_ms, "banner-timeout");
	case 'a': a->rep.all = true; return 0;
	case OPT_JSON: a->rep.json = true; return 0;
	case OPT_PROGRESS: a->progress_set = a->progress = true; return 0;
	case OPT_NO_PROGRESS: a->progress_set = true; a->progress = false; return 0;
	case 'h': fputs(usage_text, stdout); return -1;
	default: return cli_fail(EXIT_USAGE, "scan: bad option (try 'sockit scan --help')");
	}
}

static int parse_args(struct scan_args *a, int argc, char **argv)
{
	int c, rc;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "p:46c:ah", long_opts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return cli_fail(EXIT_USAGE, "scan: bad option '%s' (try 'sockit scan "
			           "--help')", argv[optind - 1]);
		if ((rc = option(a, c, optarg)) != 0)
			return rc;
	}
	if (a->o.min_timeout_ms > a->o.max_timeout_ms)
		return cli_fail(EXIT_USAGE, "scan: min-timeout %u exceeds max-timeout %u",
		           a->o.min_timeout_ms, a->o.max_timeout_ms);
	return 0;
}

static int add_targets(struct target_list *tl, int family, int n, char **args)
{
	char err[SK_ERRLEN];
	if (n == 0)
		return cli_fail(EXIT_USAGE, "scan: no target (try 'sockit scan --help')");
	for (int i = 0; i < n; i++) {
		int rc = targets_add(tl, args[i], family, err, sizeof err);
		if (rc != TARGET_OK)
			return cli_fail(rc == TARGET_BAD ? EXIT_USAGE : EXIT_NETWORK, "scan: %s", err);
	}
	return 0;
}

static int choose_ports(struct port_list *pl, const char *spec,
                        const struct svc_table *svc)
{
	char err[SK_ERRLEN];
	if (spec && ports_parse(pl, spec, svc, err, sizeof err) < 0)
		return cli_fail(EXIT_USAGE, "scan: %s", err);
	if (!spec && ports_default(pl, svc) < 0)
		return cli_fail(EXIT_NETWORK, "scan: ports: out of memory");
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
		return cli_fail(EXIT_USAGE, "scan: concurrency %u exceeds the open-file limit "
		           "(%llu, less %u spare)", o->concurrency,
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
		return cli_fail(EXIT_NETWORK, "scan: %s", err);
	return sum.interrupted ? EXIT_NETWORK : EXIT_OK;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_args a;
	struct target_list tl = { 0 };
	struct port_list pl = { 0 };
	struct svc_table svc;
	int rc;

	defaults(&a);
	if ((rc = parse_args(&a, argc, argv)) != 0)
		return rc < 0 ? EXIT_OK : rc;
	svc_load(&svc, SERVICES_FILE);   /* without it: numbers only, no names */
	if ((rc = add_targets(&tl, a.family, argc - optind, argv + optind)) == 0 &&
	    (rc = choose_ports(&pl, a.ports_spec, &svc)) == 0 &&
	    (rc = choose_concurrency(&a.o)) == 0)
		rc = run_scan(&a, &tl, &pl, &svc);
	ports_free(&pl);
	targets_free(&tl);
	svc_free(&svc);
	return rc;
}
