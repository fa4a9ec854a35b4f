/* options.c — `sockit ping`'s command line: iputils' letters, the long
 * options, durations, the usage text.  The only option-parsing file of
 * src/ping/, on the shared CLI kit (src/cli/cli.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ping/icmp.h"
#include "ping/ping.h"
#include "sockit/endpoint.h"
#include "sockit/error.h"
#include "sockit/parse.h"

/* The least interval a user who is not root may ask for (the brief's
 * rule: iputils once had 200 ms), and flood needs root. */
#define USER_MIN_INTERVAL_US 200000u
#define DEFAULT_UDP_PORT     65432

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
    "                  (default port 65432, sockit serve's echo; also\n"
    "                  --udp=PORT or --udp-port PORT)\n"
    "      --alive     print only the hosts that answered, one per line\n"
    "  -j, --json      one JSON object per line: reply, timeout, error, then a\n"
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

/* Long-only options. */
enum {
	OPT_TCP = CLI_LONG(0),
	OPT_UDP = CLI_LONG(1),
	OPT_JSON = CLI_LONG(2),
	OPT_ALIVE = CLI_LONG(3),
	OPT_UDP_PORT = CLI_LONG(4)
};

/* What the kit fills before the options are checked and converted:
 * durations arrive in nanoseconds, UINT64_MAX meaning "not given". */
struct raw_opts {
	struct ping_opts *o;
	uint64_t interval_ns, timeout_ns, deadline_ns;
	long long size, ttl;
};

static int port_of(const char *arg, const char *proto, uint16_t *port, char *why,
                   size_t len)
{
	int p = sk_parse_port(arg, proto);
	if (p <= 0) {
		snprintf(why, len, "a port 1-65535 or a service name");
		return -1;
	}
	*port = (uint16_t)p;
	return 0;
}

/* The options that are more than a value: mode, family, --udp's port. */
static int set_option(void *ctx, int key, const char *arg, char *why, size_t len)
{
	struct ping_opts *o = ((struct raw_opts *)ctx)->o;

	switch (key) {
	case '4':
		o->family = AF_INET;
		return 0;
	case '6':
		o->family = AF_INET6;
		return 0;
	case OPT_TCP:
		o->mode = PING_TCP;
		return port_of(arg, "tcp", &o->port, why, len);
	case OPT_UDP:
		o->mode = PING_UDP;
		return 0;
	case OPT_UDP_PORT:
		o->mode = PING_UDP;
		return port_of(arg, "udp", &o->port, why, len);
	}
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

/* --udp takes an optional port, which getopt has no form for: `--udp=7`
 * becomes `--udp-port 7` here, and so does a bare number right
 * after `--udp` (a number alone is never a host here).  Nothing after
 * `--` is rewritten: those words are hosts, as getopt reads them (each
 * split in two, they would outnumber the argv slots the hosts are
 * written back to).  out has room for 2 * argc + 1 pointers; returns
 * the new argc. */
static int udp_argv(int argc, char **argv, char **out)
{
	int n = 0;
	bool hosts_only = false;

	for (int i = 0; i < argc; i++) {
		if (hosts_only) {
			out[n++] = argv[i];
		} else if (i > 0 && strcmp(argv[i], "--") == 0) {
			hosts_only = true;
			out[n++] = argv[i];
		} else if (strncmp(argv[i], "--udp=", 6) == 0) {
			out[n++] = (char *)"--udp-port";
			out[n++] = argv[i] + 6;
		} else if (i > 0 && strcmp(argv[i], "--udp") == 0 && i + 1 < argc &&
		           all_digits(argv[i + 1])) {
			out[n++] = (char *)"--udp-port";
			out[n++] = argv[++i];
		} else {
			out[n++] = argv[i];
		}
	}
	out[n] = NULL;
	return n;
}

static uint64_t us_of(uint64_t ns, uint64_t dflt)
{
	return ns == UINT64_MAX ? dflt : (ns + 999) / 1000;
}

/* The rules between options, after all are read. */
static int check(struct ping_opts *o)
{
	bool root = geteuid() == 0;

	if (o->nhosts == 0)
		return cli_usage("ping", "no HOST given");
	if (o->flood && o->mode != PING_ICMP)
		return cli_usage("ping", "-f is for ICMP echo only");
	if (o->flood && !o->interval_set)
		o->interval_us = 0;
	if (!root && (o->flood || o->interval_us < USER_MIN_INTERVAL_US))
		return cli_sub_fail(
		    EXIT_USAGE, "ping",
		    "cannot flood; minimal interval allowed for user is 200ms");
	if (o->json && o->alive)
		return cli_usage("ping", "--json and --alive do not go together");
	return -1;
}

/* The kit's table: iputils' letters, long names for the rest. */
static int parse(int argc, char **argv, struct raw_opts *r, int *first)
{
	/* A day is far past any sensible ping timing, and keeps the
	 * microsecond arithmetic far from overflow. */
	const long long day_ms = 86400000;
	struct ping_opts *o = r->o;
	const struct cli_option opts[] = {
	    CLI_NUM('c', "count", &o->count, 1, 1ll << 40),
	    CLI_DUR_NS('i', "interval", &r->interval_ns, 0, day_ms),
	    CLI_DUR_NS('W', "timeout", &r->timeout_ns, 1, day_ms),
	    CLI_DUR_NS('w', "deadline", &r->deadline_ns, 0, day_ms),
	    CLI_NUM('s', "size", &r->size, 0, ICMP_MAX_DATA),
	    CLI_NUM('t', "ttl", &r->ttl, 1, 255),
	    CLI_FLAG('q', "quiet", &o->quiet),
	    CLI_FLAG('n', "numeric", &o->numeric),
	    CLI_FLAG('D', "timestamp", &o->timestamps),
	    CLI_FLAG('O', "outstanding", &o->outstanding),
	    CLI_FLAG('f', "flood", &o->flood),
	    CLI_FLAG('a', "audible", &o->audible),
	    CLI_FLAG('v', "verbose", &o->verbose),
	    CLI_STR('I', "interface", &o->iface),
	    CLI_CALL_FLAG('4', NULL, set_option),
	    CLI_CALL_FLAG('6', NULL, set_option),
	    CLI_CALL(OPT_TCP, "tcp", set_option),
	    CLI_CALL_FLAG(OPT_UDP, "udp", set_option),
	    CLI_CALL(OPT_UDP_PORT, "udp-port", set_option),
	    CLI_FLAG('j', "json", &o->json),
	    CLI_FLAG(OPT_ALIVE, "alive", &o->alive),
	    CLI_END,
	};
	const struct cli_command cmd = {"ping", usage_text, opts, 0};

	return cli_parse(&cmd, argc, argv, r, first);
}

int ping_parse_options(int argc, char **argv, struct ping_opts *o)
{
	struct raw_opts r = {.o = o,
	                     .interval_ns = UINT64_MAX,
	                     .timeout_ns = UINT64_MAX,
	                     .deadline_ns = UINT64_MAX,
	                     .size = 56,
	                     .ttl = -1};
	char **args = calloc((size_t)argc * 2 + 1, sizeof *args);
	int first;

	memset(o, 0, sizeof *o);
	o->family = AF_UNSPEC;
	o->port = DEFAULT_UDP_PORT;
	if (!args)
		return cli_sub_fail(EXIT_USAGE, "ping", "out of memory");
	int n = udp_argv(argc, argv, args);
	int rc = parse(n, args, &r, &first);
	if (rc == CLI_RUN && n - first > argc - 1)
		rc = cli_usage("ping", "too many arguments");   /* never past argv */
	if (rc == CLI_RUN) {
		/* The hosts are argv's own strings: keep them in argv. */
		o->nhosts = n - first;
		for (int i = 0; i < o->nhosts; i++)
			argv[i] = args[first + i];
		o->hosts = argv;
	}
	free(args);
	if (rc != CLI_RUN)
		return rc;
	o->interval_set = r.interval_ns != UINT64_MAX;
	o->interval_us = us_of(r.interval_ns, 1000000);
	o->timeout_us = us_of(r.timeout_ns, 10000000);
	o->deadline_us = us_of(r.deadline_ns, 0);
	o->size = (long)r.size;
	o->ttl = (int)r.ttl;
	return check(o);
}
