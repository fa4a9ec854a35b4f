/* options.c — the command lines of `sockit connect`, `listen` and `relay`
 * (nc's letters), parsed and validated into struct nc_opts. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "netcat/netcat.h"
#include "sockit/error.h"

static const char connect_help[] =
"usage: sockit connect [OPTIONS] ENDPOINT\n"
"       sockit connect [OPTIONS] HOST PORT...\n"
"\n"
"netcat: stdin goes to the socket, the socket to stdout, both at once with\n"
"backpressure and no byte lost.  Half-close is right by default: at stdin\n"
"EOF sockit sends FIN (shutdown) and keeps printing until the peer closes.\n"
"Bytes move with splice() where both ends allow it.  ENDPOINT is\n"
"tcp://HOST:PORT, udp://HOST:PORT, unix:PATH, unixgram:PATH or HOST:PORT.\n"
"\n"
"options (nc's letters):\n"
"  -l, --listen          listen instead (see 'sockit listen --help')\n"
"  -u, --udp             UDP (as udp://); -U, --unix: HOST is a UNIX path\n"
"  -4, -6                IPv4 / IPv6 only\n"
"  -z                    probe: connect and close; PORT may be a list\n"
"                        (22,80,8000-8010); exit 0 if any port is open\n"
"  -w, --wait DUR        connect timeout, and quit after DUR idle\n"
"  -q, --quit DUR        quit DUR after stdin EOF (default: wait for the\n"
"                        peer to close; UDP: at once); -1 never\n"
"  -N, -d                accepted as in nc (-N is the default; -d is\n"
"                        --recv-only)\n"
"  -v, --verbose         the connection, then bytes each way, duration and\n"
"                        rate on stderr\n"
"  -s ADDR, -p PORT      source address and port\n"
"  -C, --crlf            send LF as CRLF\n"
"  -b                    UDP broadcast\n"
"  -x, --hexdump-file F  hex dump of both directions to F (--hexdump: stderr)\n"
"  -e, --exec CMD        run CMD with its stdin/stdout on the socket\n"
"      --sh-exec CMD     the same through /bin/sh -c\n"
"      --lines           UDP: one datagram per line (default on a terminal)\n"
"      --no-lines        UDP: one datagram per read\n"
"      --telnet          answer telnet option negotiation (refuse all)\n"
"      --recv-only, --send-only   one direction only\n"
"      --tls             TLS; verified against the system store, SNI\n"
"      --ca FILE, --insecure, --cert FILE, --key FILE\n"
"      --proxy URL       socks5://H:P or http://H:P (CONNECT)\n"
"      --proxy-auth U:P  proxy user and password\n"
"  -h, --help            this text\n"
"\n"
"Durations take units: 250ms, 1.5s, 2m; a bare number is seconds.\n"
"\n"
"examples:\n"
"  printf 'GET / HTTP/1.0\\r\\n\\r\\n' | sockit connect 127.0.0.1 8080\n"
"  sockit connect -z -w 1 127.0.0.1 22,80,8000-8010\n"
"  echo hi | sockit connect -u -q 1 udp://127.0.0.1:65432\n"
"\n"
"exit status: 0 the session ended cleanly (or -z: a port is open);\n"
"1 network failure (refused, reset, timeout, TLS verification); 2 bad usage.\n";

static const char listen_help[] =
"usage: sockit listen [OPTIONS] ENDPOINT|PORT\n"
"\n"
"netcat's listen mode: wait for one client, then stdin goes to it and its\n"
"bytes to stdout, half-close done right (see 'sockit connect --help').\n"
"A bare PORT listens on every address.  With port 0 (or -v) the address\n"
"really bound is printed on stderr: 'listening tcp://127.0.0.1:40123'.\n"
"UDP: datagrams are printed as they come; stdin goes to the sender of the\n"
"last datagram.\n"
"\n"
"options: those of connect, and\n"
"  -k, --keep-open       serve the next client after one leaves\n"
"      --max-conns N     at most N clients at once; others are refused\n"
"      --allow CIDR      only these peers (repeatable)\n"
"      --deny CIDR       never these peers (repeatable); refused peers are\n"
"                        closed at once and logged\n"
"      --broker          with -k: every client's lines go to all others\n"
"      --tls             TLS server: --cert/--key, or a throw-away\n"
"                        self-signed certificate (fingerprint on stderr)\n"
"  -h, --help            this text\n"
"\n"
"examples:\n"
"  sockit listen -v 127.0.0.1 9000 > upload.bin\n"
"  sockit listen -k --sh-exec 'date' tcp://127.0.0.1:1313\n"
"  sockit listen -k --broker tcp://127.0.0.1:4000\n"
"\n"
"exit status: 0 the session ended cleanly; 1 network failure; 2 bad usage.\n";

static const char relay_help[] =
"usage: sockit relay [OPTIONS] EP1 EP2\n"
"\n"
"Forward every client of EP1 (a listening endpoint) to its own connection\n"
"to EP2: bytes both ways, half-close passed through, many clients at once\n"
"on one event loop.  '-' is stdio (one session).  UDP to UDP keeps one\n"
"upstream socket per client address, closed after --idle.  The address\n"
"really bound is printed on stderr ('listening tcp://127.0.0.1:40123').\n"
"\n"
"options:\n"
"      --tls-in          TLS on EP1's side (termination; --cert/--key or a\n"
"                        self-signed certificate)\n"
"      --tls-out         TLS towards EP2 (origination; --ca, --insecure)\n"
"      --idle DUR        close a client idle this long (default: TCP never,\n"
"                        UDP 60s)\n"
"      --max-conns N     at most N clients at once\n"
"      --allow CIDR, --deny CIDR   as in listen\n"
"  -4, -6, -v            as in connect\n"
"  -h, --help            this text\n"
"\n"
"examples:\n"
"  sockit relay tcp://127.0.0.1:8080 tcp://127.0.0.1:80\n"
"  sockit relay unix:/tmp/app.sock tcp://127.0.0.1:5432\n"
"  sockit relay --tls-in tcp://127.0.0.1:8443 tcp://127.0.0.1:8080\n"
"\n"
"exit status: 0 stopped cleanly; 1 network failure; 2 bad usage.\n";

enum {
	O_LINES = 256, O_NOLINES, O_BROKER, O_MAXCONNS, O_ALLOW, O_DENY,
	O_SHEXEC, O_TELNET, O_TLS, O_CA, O_CERT, O_KEY, O_INSECURE, O_PROXY,
	O_PROXYAUTH, O_RECVONLY, O_SENDONLY, O_HEXDUMP, O_TLSIN, O_TLSOUT,
	O_IDLE,
};

static const struct option long_opts[] = {
	{ "listen", no_argument, NULL, 'l' },
	{ "keep-open", no_argument, NULL, 'k' },
	{ "udp", no_argument, NULL, 'u' },
	{ "unix", no_argument, NULL, 'U' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "wait", required_argument, NULL, 'w' },
	{ "quit", required_argument, NULL, 'q' },
	{ "source", required_argument, NULL, 's' },
	{ "source-port", required_argument, NULL, 'p' },
	{ "crlf", no_argument, NULL, 'C' },
	{ "exec", required_argument, NULL, 'e' },
	{ "hexdump-file", required_argument, NULL, 'x' },
	{ "help", no_argument, NULL, 'h' },
	{ "lines", no_argument, NULL, O_LINES },
	{ "no-lines", no_argument, NULL, O_NOLINES },
	{ "broker", no_argument, NULL, O_BROKER },
	{ "max-conns", required_argument, NULL, O_MAXCONNS },
	{ "allow", required_argument, NULL, O_ALLOW },
	{ "deny", required_argument, NULL, O_DENY },
	{ "sh-exec", required_argument, NULL, O_SHEXEC },
	{ "telnet", no_argument, NULL, O_TELNET },
	{ "tls", no_argument, NULL, O_TLS },
	{ "ca", required_argument, NULL, O_CA },
	{ "cert", required_argument, NULL, O_CERT },
	{ "key", required_argument, NULL, O_KEY },
	{ "insecure", no_argument, NULL, O_INSECURE },
	{ "proxy", required_argument, NULL, O_PROXY },
	{ "proxy-auth", required_argument, NULL, O_PROXYAUTH },
	{ "recv-only", no_argument, NULL, O_RECVONLY },
	{ "send-only", no_argument, NULL, O_SENDONLY },
	{ "hexdump", no_argument, NULL, O_HEXDUMP },
	{ "tls-in", no_argument, NULL, O_TLSIN },
	{ "tls-out", no_argument, NULL, O_TLSOUT },
	{ "idle", required_argument, NULL, O_IDLE },
	{ NULL, 0, NULL, 0 },
};

static void vsay(const struct nc_opts *o, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	fprintf(stderr, "sockit %s: %s\n", o->cmd, msg);
}

int nc_die(const struct nc_opts *o, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(o, fmt, ap);
	va_end(ap);
	return status;
}

void nc_verbose(const struct nc_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->verbose)
		return;
	va_start(ap, fmt);
	vsay(o, fmt, ap);
	va_end(ap);
}

/* Parse a duration: a number with an optional unit (ms, s, m, h); a bare
 * number is seconds; "-1" (or any negative) means never.  Returns 0 and
 * *ms, or -1. */
static int parse_duration(const char *text, long long *ms)
{
	char *end;
	double v, scale = 1000;

	errno = 0;
	v = strtod(text, &end);
	if (end == text || errno || !isfinite(v))
		return -1;
	if (v < 0 && strcmp(end, "") == 0) {
		*ms = -1;
		return 0;
	}
	if (strcmp(end, "ms") == 0)
		scale = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		scale = 1000;
	else if (strcmp(end, "m") == 0)
		scale = 60000;
	else if (strcmp(end, "h") == 0)
		scale = 3600000;
	else
		return -1;
	if (v < 0 || v * scale > 1e12)
		return -1;
	*ms = (long long)(v * scale + 0.5);
	return 0;
}

/* Append the ports of one -z list item ("80", "8000-8010", "http"). */
static int add_ports(struct nc_opts *o, const char *item, const char *proto)
{
	char lo[SK_PORTLEN], *dash;
	int a, b;

	snprintf(lo, sizeof lo, "%s", item);
	dash = strchr(lo, '-');
	if (dash)
		*dash = '\0';
	a = sk_parse_port(lo, proto);
	b = dash ? sk_parse_port(dash + 1, proto) : a;
	if (a < 0 || b < 0 || b < a)
		return -1;
	for (int p = a; p <= b; p++) {
		if (o->nports >= NC_MAX_PORTS)
			return -1;
		o->ports[o->nports++] = p;
	}
	return 0;
}

static int usage_err(const struct nc_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_err(const struct nc_opts *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(o, fmt, ap);
	va_end(ap);
	return -1;
}

/* Turn the positional words into o->ep: ENDPOINT, PORT (listen), HOST
 * PORT, HOST PORTLIST (-z), or a UNIX path with -U. */
static int parse_target(struct nc_opts *o, bool udp, bool unix_, int n,
                        char **words)
{
	char text[SK_HOSTLEN + SK_PORTLEN + 32], err[SK_ERRLEN];
	const char *scheme = udp ? "udp://" : "tcp://";

	if (n < 1)
		return usage_err(o, "missing endpoint (see 'sockit %s --help')", o->cmd);
	if (unix_) {
		if (n != 1)
			return usage_err(o, "-U takes one path");
		snprintf(text, sizeof text, "%s%s", udp ? "unixgram:" : "unix:", words[0]);
	} else if (n == 1 && o->mode == NC_LISTEN &&
	           strspn(words[0], "0123456789") == strlen(words[0])) {
		snprintf(text, sizeof text, "%s*:%s", scheme, words[0]);
	} else if (n == 1) {
		if (strstr(words[0], "://") || strncmp(words[0], "unix", 4) == 0)
			snprintf(text, sizeof text, "%s", words[0]);
		else
			snprintf(text, sizeof text, "%s%s", scheme, words[0]);
	} else {
		const char *host = words[0];
		bool v6 = strchr(host, ':') && host[0] != '[';
		if (n > 2 && !o->zero)
			return usage_err(o, "too many arguments (see 'sockit %s --help')", o->cmd);
		const char *first = words[1];
		char port0[SK_PORTLEN];
		snprintf(port0, sizeof port0, "%.*s", (int)strcspn(first, ",-"), first);
		snprintf(text, sizeof text, "%s%s%s%s:%s", scheme, v6 ? "[" : "", host,
		         v6 ? "]" : "", port0);
		if (o->zero) {
			for (int i = 1; i < n; i++) {
				char list[512], *save, *tok;
				snprintf(list, sizeof list, "%s", words[i]);
				for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
					if (add_ports(o, tok, udp ? "udp" : "tcp") < 0)
						return usage_err(o, "bad port list '%s'", words[i]);
			}
		}
	}
	snprintf(o->ep_text, sizeof o->ep_text, "%.*s", (int)sizeof o->ep_text - 1, text);
	if (sk_endpoint_parse(&o->ep, text, err, sizeof err) < 0)
		return usage_err(o, "%s", err);
	if (udp && o->ep.transport == SK_TCP)
		o->ep.transport = SK_UDP;
	if (udp && o->ep.transport == SK_UNIX)
		o->ep.transport = SK_UNIXGRAM;
	return 0;
}

/* relay: EP1 and EP2, each an endpoint or "-". */
static int parse_relay_eps(struct nc_opts *o, int n, char **words)
{
	char err[SK_ERRLEN];

	if (n != 2)
		return usage_err(o, "needs two endpoints (see 'sockit relay --help')");
	o->in_stdio = strcmp(words[0], "-") == 0;
	o->out_stdio = strcmp(words[1], "-") == 0;
	if (o->in_stdio && o->out_stdio)
		return usage_err(o, "at most one side may be '-'");
	if (!o->in_stdio) {
		snprintf(o->ep_text, sizeof o->ep_text, "%.*s", (int)sizeof o->ep_text - 1, words[0]);
		if (sk_endpoint_parse(&o->ep, words[0], err, sizeof err) < 0)
			return usage_err(o, "%s", err);
	}
	if (!o->out_stdio) {
		snprintf(o->ep2_text, sizeof o->ep2_text, "%.*s", (int)sizeof o->ep2_text - 1, words[1]);
		if (sk_endpoint_parse(&o->ep2, words[1], err, sizeof err) < 0)
			return usage_err(o, "%s", err);
	}
	if (!o->in_stdio && !o->out_stdio &&
	    sk_endpoint_is_dgram(&o->ep) != sk_endpoint_is_dgram(&o->ep2))
		return usage_err(o, "cannot relay between a datagram and a stream endpoint");
	return 0;
}

static int bad_opt(const struct nc_opts *o, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return usage_err(o, "option '%s' needs a value", arg);
	if (optopt && optopt < 256 && arg[0] == '-' && arg[1] != '-')
		return usage_err(o, "unknown option '-%c' (see 'sockit %s --help')",
		                 optopt, o->cmd);
	return usage_err(o, "unknown option '%s' (see 'sockit %s --help')", arg, o->cmd);
}

static int set_duration(struct nc_opts *o, const char *name, const char *text,
                        long long *out)
{
	if (parse_duration(text, out) < 0)
		return usage_err(o, "%s: bad duration '%s' (e.g. 2, 1.5s, 250ms)", name, text);
	return 0;
}

/* Apply one option; returns 0, 1 for --help, -1 on a usage error. */
static int apply(struct nc_opts *o, int c, bool *udp, bool *unix_, char **argv)
{
	char err[SK_ERRLEN];
	long long n;

	switch (c) {
	case '4': o->family = AF_INET; break;
	case '6': o->family = AF_INET6; break;
	case 'b': o->broadcast = true; break;
	case 'C': o->crlf = true; break;
	case 'd': o->recv_only = true; break;
	case 'N': break;                         /* the default already */
	case 'n': break;                         /* numeric: we resolve anyway */
	case 'k': o->keep = true; break;
	case 'l': o->mode = NC_LISTEN; o->cmd = "listen"; break;
	case 'u': *udp = true; break;
	case 'U': *unix_ = true; break;
	case 'v': o->verbose = true; break;
	case 'z': o->zero = true; break;
	case 'e': o->exec_cmd = optarg; o->sh_exec = false; break;
	case O_SHEXEC: o->exec_cmd = optarg; o->sh_exec = true; break;
	case 's': o->src_addr = optarg; break;
	case 'p':
		if (sk_parse_port(optarg, "tcp") < 0)
			return usage_err(o, "-p: bad port '%s'", optarg);
		o->src_port = optarg;
		break;
	case 'w': return set_duration(o, "-w", optarg, &o->wait_ms);
	case 'q': return set_duration(o, "-q", optarg, &o->quit_ms);
	case O_IDLE: return set_duration(o, "--idle", optarg, &o->idle_ms);
	case 'x': o->hexfile = optarg; break;
	case O_HEXDUMP: o->hexfile = "-"; break;
	case O_LINES: o->lines = o->lines_given = true; break;
	case O_NOLINES: o->no_lines = true; break;
	case O_BROKER: o->broker = true; break;
	case O_TELNET: o->telnet = true; break;
	case O_RECVONLY: o->recv_only = true; break;
	case O_SENDONLY: o->send_only = true; break;
	case O_TLS: o->tls = true; break;
	case O_TLSIN: o->tls_in = true; break;
	case O_TLSOUT: o->tls_out = true; break;
	case O_INSECURE: o->insecure = true; break;
	case O_CA: o->ca = optarg; break;
	case O_CERT: o->cert = optarg; break;
	case O_KEY: o->key = optarg; break;
	case O_PROXY: o->proxy = optarg; break;
	case O_PROXYAUTH:
		if (!strchr(optarg, ':'))
			return usage_err(o, "--proxy-auth: expected USER:PASSWORD");
		o->proxy_auth = optarg;
		break;
	case O_MAXCONNS:
		if (sk_parse_num(optarg, 1, 100000, &n, "--max-conns", err, sizeof err) < 0)
			return usage_err(o, "%s", err);
		o->max_conns = n;
		break;
	case O_ALLOW:
	case O_DENY: {
		bool allow = c == O_ALLOW;
		int *cnt = allow ? &o->nallow : &o->ndeny;
		struct nc_cidr *tab = allow ? o->allow : o->deny;
		if (*cnt >= NC_MAX_CIDRS || nc_parse_cidr(optarg, &tab[*cnt]) < 0)
			return usage_err(o, "%s: bad network '%s' (e.g. 10.0.0.0/8, ::1)",
			                 allow ? "--allow" : "--deny", optarg);
		(*cnt)++;
		break;
	}
	case 'h': return 1;
	default: return bad_opt(o, c, argv);
	}
	return 0;
}

/* Combinations that make no sense are usage errors, said once. */
static int validate(struct nc_opts *o)
{
	bool dgram = o->mode != NC_RELAY && sk_endpoint_is_dgram(&o->ep);

	if (o->recv_only && o->send_only)
		return usage_err(o, "--recv-only and --send-only exclude each other");
	if (o->broker && (o->mode != NC_LISTEN || dgram))
		return usage_err(o, "--broker needs listen on a stream endpoint");
	if (o->broker)
		o->keep = true;
	if (o->zero && o->mode != NC_CONNECT)
		return usage_err(o, "-z is for connect");
	if (o->keep && o->mode == NC_CONNECT)
		return usage_err(o, "-k needs listen (-l)");
	if (o->tls && dgram)
		return usage_err(o, "--tls needs a stream endpoint");
	if (o->proxy && (o->mode != NC_CONNECT || dgram))
		return usage_err(o, "--proxy needs connect over TCP");
	if ((o->cert == NULL) != (o->key == NULL))
		return usage_err(o, "--cert and --key go together");
	if (o->exec_cmd && (dgram || o->broker))
		return usage_err(o, "--exec needs a stream endpoint without --broker");
	if (o->quit_ms == -2)
		o->quit_ms = (dgram && o->mode == NC_CONNECT) ? 0 : -1;
	if (!o->lines_given && !o->no_lines && dgram)
		o->lines = isatty(0);
	if (o->no_lines)
		o->lines = false;
	return 0;
}

int nc_parse(struct nc_opts *o, const char *cmd, int argc, char **argv)
{
	bool udp = false, unix_ = false;
	int c, r;

	memset(o, 0, sizeof *o);
	o->cmd = cmd;
	o->mode = strcmp(cmd, "listen") == 0 ? NC_LISTEN
	        : strcmp(cmd, "relay") == 0 ? NC_RELAY : NC_CONNECT;
	o->quit_ms = -2;            /* not given: validate() picks the default */
	o->wait_ms = -1;
	o->idle_ms = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":46bCdDe:hklNnp:q:s:uUvw:x:z",
	                        long_opts, NULL)) != -1) {
		r = apply(o, c, &udp, &unix_, argv);
		if (r != 0) {
			if (r == 1)
				fputs(o->mode == NC_LISTEN ? listen_help
				      : o->mode == NC_RELAY ? relay_help : connect_help, stdout);
			return r;
		}
	}
	if (o->mode == NC_RELAY) {
		if (parse_relay_eps(o, argc - optind, argv + optind) < 0)
			return -1;
	} else if (parse_target(o, udp, unix_, argc - optind, argv + optind) < 0) {
		return -1;
	}
	return validate(o);
}
