/* options.c — `sockit ping`'s command line: iputils' letters, the long
 * options, durations, the usage text.  The only option-parsing file of
 * src/ping/, so adopting the shared CLI kit stays local. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ping/icmp.h"
#include "ping/ping.h"
#include "sockit/endpoint.h"
#include "sockit/error.h"

/* The least interval a user who is not root may ask for (the brief's
 * rule: iputils once had 200 ms), and flood needs root. */
#define USER_MIN_INTERVAL_US 200000u
#define DEFAULT_UDP_PORT 65432

static const char usage_text[] =
"usage: sockit ping [OPTIONS] HOST...\n"
"\n"
"ICMP echo like iputils ping: same letters, same output, same exit status.\n"
"Uses an unprivileged ping socket where net.ipv4.ping_group_range allows it,\n"
"a raw socket otherwise (root or CAP_NET_RAW).  Several HOSTs (or a CIDR\n"
"block, at most 1024 addresses) are pinged at once, each paced on its own,\n"
"and end with one summary line each:\n"
"  HOST : xmt/rcv/%loss = 5/5/0%, min/avg/max = 0.030/0.045/0.061\n"
"\n"
"options:\n"
"  -c COUNT        stop after COUNT replies (or COUNT probes and the wait)\n"
"  -i INTERVAL     between probes (default 1s; below 200ms only for root)\n"
"  -W TIMEOUT      wait this long for replies when none came (default 10s)\n"
"  -w DEADLINE     stop after this long, whatever was received\n"
"  -s SIZE         payload bytes (default 56, at most 65507)\n"
"  -t TTL          IP time to live / IPv6 hop limit (1-255)\n"
"  -q              quiet: only the first line and the summary\n"
"  -n              numeric: never print names\n"
"  -D              print a [seconds.micros] time stamp before each line\n"
"  -O              report a probe still unanswered when the next goes out\n"
"  -f              flood (root): '.' per request, backspace per reply\n"
"  -a              audible: ring the bell on each reply\n"
"  -I IFACE|ADDR   send from this interface or source address\n"
"  -4, -6          IPv4 / IPv6 only\n"
"      --tcp PORT  TCP connect ping: time to SYN-ACK (open) or RST (closed)\n"
"      --udp [PORT]  UDP echo ping against an RFC 862 echo service\n"
"                  (default port 65432, sockit serve's echo)\n"
"      --alive     print only the hosts that answered, one per line\n"
"      --json      one JSON object per line: reply, timeout, error, then a\n"
"                  summary per host\n"
"  -v, --verbose   more detail (late replies)\n"
"  -h, --help      this text\n"
"\n"
"Durations take units (250ms, 1.5s, 2m); a bare number is seconds.\n"
"SIGINT (Ctrl-C) prints the summary and ends; SIGQUIT (Ctrl-\\) prints the\n"
"running statistics on stderr and goes on.\n"
"\n"
"examples:\n"
"  sockit ping -c 3 127.0.0.1\n"
"  sockit ping -c 5 -i 0.2 127.0.0.1 ::1 127.0.0.2\n"
"  sockit ping --udp -c 3 127.0.0.1      # against `sockit serve echo`\n"
"\n"
"Exit status: 0 some reply came, 1 no reply (or fewer than -c by -w's\n"
"deadline), 2 bad usage or another error.\n";

enum { OPT_TCP = 256, OPT_UDP, OPT_JSON, OPT_ALIVE };

static const struct option long_opts[] = {
	{ "count", required_argument, NULL, 'c' },
	{ "interval", required_argument, NULL, 'i' },
	{ "timeout", required_argument, NULL, 'W' },
	{ "deadline", required_argument, NULL, 'w' },
	{ "size", required_argument, NULL, 's' },
	{ "ttl", required_argument, NULL, 't' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "numeric", no_argument, NULL, 'n' },
	{ "tcp", required_argument, NULL, OPT_TCP },
	{ "udp", optional_argument, NULL, OPT_UDP },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "alive", no_argument, NULL, OPT_ALIVE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int usage_error(const char *fmt, const char *a, const char *b)
{
	fputs("sockit ping: ", stderr);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return 2;
}

/* Parse a duration: a decimal number with an optional unit (us, ms, s,
 * m, h); a bare number is seconds.  Into *us, at most max_us.  0 or -1. */
static int parse_duration(const char *text, uint64_t max_us, uint64_t *us)
{
	char *end;

	if (!isdigit((unsigned char)text[0]) && text[0] != '.')
		return -1;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || !isfinite(v) || v < 0)
		return -1;
	double scale = 1e6;
	if (strcmp(end, "us") == 0) scale = 1;
	else if (strcmp(end, "ms") == 0) scale = 1e3;
	else if (strcmp(end, "s") == 0 || *end == '\0') scale = 1e6;
	else if (strcmp(end, "m") == 0) scale = 60e6;
	else if (strcmp(end, "h") == 0) scale = 3600e6;
	else return -1;
	v *= scale;
	if (v > (double)max_us)
		return -1;
	*us = (uint64_t)llround(v);
	return 0;
}

static int duration_opt(const char *what, const char *arg, uint64_t *us)
{
	/* A day is far past any sensible ping timing, and keeps the
	 * microsecond arithmetic far from overflow. */
	if (parse_duration(arg, 86400ull * 1000000u, us) == 0)
		return 0;
	return usage_error("bad %s '%s' (a duration: 0.2, 250ms, 1.5s, 2m; at most 1 day)",
	                   what, arg);
}

static int number_opt(const char *what, const char *arg, long long min,
                      long long max, long long *out)
{
	char err[SK_ERRLEN];
	if (sk_parse_num(arg, min, max, out, what, err, sizeof err) == 0)
		return 0;
	return usage_error("%s%s", err, "");
}

static int port_opt(const char *arg, const char *proto, uint16_t *port)
{
	int p = sk_parse_port(arg, proto);
	if (p <= 0)
		return usage_error("bad port '%s' for --%s (1-65535)", arg, proto);
	*port = (uint16_t)p;
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* --udp takes an optional port: `--udp=7`, or a bare number after it
 * (a bare number is never a host here: hosts are names or addresses). */
static int udp_opt(int argc, char **argv, struct ping_opts *o)
{
	o->mode = PING_UDP;
	o->port = DEFAULT_UDP_PORT;
	if (optarg)
		return port_opt(optarg, "udp", &o->port);
	if (optind < argc && all_digits(argv[optind]))
		return port_opt(argv[optind++], "udp", &o->port);
	return 0;
}

static int one_option(int c, int argc, char **argv, struct ping_opts *o)
{
	long long n;
	int rc = 0;

	switch (c) {
	case 'c': rc = number_opt("count", optarg, 1, 1ll << 40, &o->count); break;
	case 'i': rc = duration_opt("interval", optarg, &o->interval_us);
	          o->interval_set = true; break;
	case 'W': rc = duration_opt("timeout", optarg, &o->timeout_us); break;
	case 'w': rc = duration_opt("deadline", optarg, &o->deadline_us); break;
	case 's': rc = number_opt("size", optarg, 0, ICMP_MAX_DATA, &n); o->size = (long)n; break;
	case 't': rc = number_opt("ttl", optarg, 1, 255, &n); o->ttl = (int)n; break;
	case 'q': o->quiet = true; break;
	case 'n': o->numeric = true; break;
	case 'D': o->timestamps = true; break;
	case 'O': o->outstanding = true; break;
	case 'f': o->flood = true; break;
	case 'a': o->audible = true; break;
	case 'v': o->verbose = true; break;
	case 'I': o->iface = optarg; break;
	case '4': o->family = AF_INET; break;
	case '6': o->family = AF_INET6; break;
	case OPT_TCP: o->mode = PING_TCP; rc = port_opt(optarg, "tcp", &o->port); break;
	case OPT_UDP: rc = udp_opt(argc, argv, o); break;
	case OPT_JSON: o->json = true; break;
	case OPT_ALIVE: o->alive = true; break;
	default: return 2;
	}
	return rc ? 2 : 0;
}

static int bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return usage_error("option '%s' needs a value%s", arg, "");
	if (optopt && arg[0] == '-' && arg[1] != '-') {
		char opt[3] = { '-', (char)optopt, 0 };
		return usage_error("unknown option '%s' (see '%s')", opt, "sockit ping --help");
	}
	return usage_error("unknown option '%s' (see '%s')", arg, "sockit ping --help");
}

/* The rules between options, after all are read. */
static int check(struct ping_opts *o)
{
	bool root = geteuid() == 0;

	if (o->nhosts == 0)
		return usage_error("no HOST given (see '%s')%s", "sockit ping --help", "");
	if (o->flood && o->mode != PING_ICMP)
		return usage_error("-f is for ICMP echo only%s%s", "", "");
	if (o->flood && !o->interval_set)
		o->interval_us = 0;
	if (!root && (o->flood || o->interval_us < USER_MIN_INTERVAL_US))
		return usage_error("cannot flood; minimal interval allowed for user is %s%s",
		                   "200ms", "");
	if (o->json && o->alive)
		return usage_error("--json and --alive do not go together%s%s", "", "");
	return -1;
}

int ping_parse_options(int argc, char **argv, struct ping_opts *o)
{
	int c;

	memset(o, 0, sizeof *o);
	o->interval_us = 1000000;
	o->timeout_us = 10000000;
	o->size = 56;
	o->ttl = -1;
	o->family = AF_UNSPEC;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:i:W:w:s:t:qnDOfavI:46h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		}
		if (c == '?' || c == ':')
			return bad_option(c, argv);
		if (one_option(c, argc, argv, o))
			return 2;
	}
	o->hosts = argv + optind;
	o->nhosts = argc - optind;
	return check(o);
}
