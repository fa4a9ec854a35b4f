/* options.c — the command lines of `sockit connect`, `listen` and `relay`
 * (nc's letters), parsed and validated into struct nc_opts. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "commands.h"
#include "netcat/netcat.h"
#include "sockit/error.h"
#include "sockit/parse.h"

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
"  -w, --wait DUR        connect timeout, and quit after DUR idle; also\n"
"                        the TLS handshake's deadline (default 10s)\n"
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
"  echo hello | sockit connect 127.0.0.1 65432\n"
"  echo hi | sockit connect -u -q 1 udp://127.0.0.1:65432\n"
"  sockit connect -z -v -w 1 127.0.0.1 65432,7000-7020 2>&1\n"
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
"      --max-conns N     at most N clients at once; others are refused.\n"
"                        With -k and N above 1 (ncat's -k): all served at\n"
"                        once, stdin to every client, theirs to stdout\n"
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
"      --tls             with '-' on one side: TLS on the other\n"
"  -w, --wait DUR        each client's setup in all: its TLS handshake, the\n"
"                        connect to EP2, EP2's handshake (default 10s)\n"
"      --idle DUR        close a client idle this long (default: TCP never,\n"
"                        UDP 60s)\n"
"      --max-conns N     at most N clients (UDP: client addresses) at once\n"
"      --allow CIDR, --deny CIDR   as in listen\n"
"  -4, -6                EP2's addresses of that family only (-6: EP1\n"
"                        IPv6 only)\n"
"  -v, --verbose         each client's connect and close on stderr\n"
"  -h, --help            this text\n"
"\n"
"The options of connect and listen that shape a stdio session (-C, -x,\n"
"--telnet, -e, -k, -q, ...) do not apply: relay says so and exits 2.\n"
"\n"
"examples:\n"
"  echo hi | sockit relay - tcp://127.0.0.1:65432\n"
"  sockit relay tcp://127.0.0.1:8080 tcp://127.0.0.1:80\n"
"  sockit relay --tls-in tcp://127.0.0.1:8443 tcp://127.0.0.1:8080\n"
"\n"
"exit status: 0 stopped cleanly; 1 network failure; 2 bad usage.\n";

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

/* The options that need more than storing a value (kit CLI_CALL). */
static int opt_call(void *ctx, int key, const char *arg, char *why, size_t whylen)
{
	struct nc_opts *o = ctx;
	char err[SK_ERRLEN];
	uint64_t ns;

	switch (key) {
	case '4': o->family = AF_INET; break;
	case '6': o->family = AF_INET6; break;
	case 'l':
		/* connect -l is listen; listen -l is listen; relay says no later. */
		o->dash_l = true;
		if (o->mode == NC_CONNECT)
			o->mode = NC_LISTEN, o->cmd = "listen";
		break;
	case 'e': o->exec_cmd = arg; o->sh_exec = false; break;
	case 'c': o->exec_cmd = arg; o->sh_exec = true; break;
	case CLI_LONG(0): o->hexfile = "-"; break;
	case 'p':
		if (sk_parse_port(arg, "tcp") < 0)
			return snprintf(why, whylen, "not a port"), -1;
		o->src_port = arg;
		break;
	case 'q':
		/* nc's -q: a negative value means never. */
		if (arg[0] == '-') {
			o->quit_ms = -1;
			break;
		}
		if (sk_parse_duration(arg, 0, 86400ull * 1000000000, &ns, NULL, why, whylen) < 0)
			return -1;
		o->quit_ms = (long long)(ns / 1000000);
		break;
	case CLI_LONG(1):
		if (!strchr(arg, ':'))
			return snprintf(why, whylen, "expected USER:PASSWORD"), -1;
		o->proxy_auth = arg;
		break;
	case CLI_LONG(2):
	case CLI_LONG(3): {
		bool allow = key == CLI_LONG(2);
		int *cnt = allow ? &o->nallow : &o->ndeny;
		struct nc_cidr *tab = allow ? o->allow : o->deny;
		if (*cnt >= NC_MAX_CIDRS || nc_parse_cidr(arg, &tab[*cnt]) < 0)
			return snprintf(why, whylen, "expected a network like 10.0.0.0/8 or ::1"), -1;
		(*cnt)++;
		break;
	}
	default:
		(void)err;
		return snprintf(why, whylen, "unexpected"), -1;
	}
	return 0;
}

/* nc's letters, then the long options of DESIGN.md. */
static int parse_options(struct nc_opts *o, int argc, char **argv, int *first)
{
	const struct cli_option opts[] = {
		CLI_CALL_FLAG('4', NULL, opt_call), CLI_CALL_FLAG('6', NULL, opt_call),
		CLI_FLAG('b', "broadcast", &o->broadcast),
		CLI_FLAG('C', "crlf", &o->crlf),
		CLI_FLAG('d', "recv-only", &o->recv_only),
		CLI_FLAG('N', NULL, &o->dash_N),        /* the default already */
		CLI_FLAG('n', NULL, &o->dash_n),        /* numeric: resolving is ours */
		CLI_FLAG('k', "keep-open", &o->keep),
		CLI_CALL_FLAG('l', "listen", opt_call),
		CLI_FLAG('u', "udp", &o->udp),
		CLI_FLAG('U', "unix", &o->unix_),
		CLI_FLAG('v', "verbose", &o->verbose),
		CLI_FLAG('z', NULL, &o->zero),
		CLI_CALL('e', "exec", opt_call),
		CLI_CALL('c', "sh-exec", opt_call),
		CLI_STR('s', "source", &o->src_addr),
		CLI_CALL('p', "source-port", opt_call),
		CLI_DUR('w', "wait", &o->wait_ms, 1, 86400000),
		CLI_CALL('q', "quit", opt_call),
		CLI_DUR(CLI_LONG(4), "idle", &o->idle_ms, 1, 86400000),
		CLI_STR('x', "hexdump-file", &o->hexfile),
		CLI_CALL_FLAG(CLI_LONG(0), "hexdump", opt_call),
		CLI_FLAG(CLI_LONG(5), "lines", &o->lines_given),
		CLI_FLAG(CLI_LONG(6), "no-lines", &o->no_lines),
		CLI_FLAG(CLI_LONG(7), "broker", &o->broker),
		CLI_NUM(CLI_LONG(8), "max-conns", &o->max_conns, 1, 100000),
		CLI_CALL(CLI_LONG(2), "allow", opt_call),
		CLI_CALL(CLI_LONG(3), "deny", opt_call),
		CLI_FLAG(CLI_LONG(9), "telnet", &o->telnet),
		CLI_FLAG(CLI_LONG(10), "tls", &o->tls),
		CLI_FLAG(CLI_LONG(11), "tls-in", &o->tls_in),
		CLI_FLAG(CLI_LONG(12), "tls-out", &o->tls_out),
		CLI_FLAG(CLI_LONG(13), "insecure", &o->insecure),
		CLI_STR(CLI_LONG(14), "ca", &o->ca),
		CLI_STR(CLI_LONG(15), "cert", &o->cert),
		CLI_STR(CLI_LONG(16), "key", &o->key),
		CLI_STR(CLI_LONG(17), "proxy", &o->proxy),
		CLI_CALL(CLI_LONG(1), "proxy-auth", opt_call),
		CLI_FLAG(CLI_LONG(18), "send-only", &o->send_only),
		CLI_END,
	};
	const char *help = o->mode == NC_LISTEN ? listen_help
	                 : o->mode == NC_RELAY ? relay_help : connect_help;
	const struct cli_command cmd = { o->cmd, help, opts, 0 };

	return cli_parse(&cmd, argc, argv, o, first);
}

enum { M_C = 1, M_L = 2, M_R = 4 };   /* the modes an option acts in */

/* The three commands share one option table (nc's letters mean the same
 * everywhere), so each option given to a command it does nothing in is
 * a usage error naming it: never accepted and silently ignored. */
static int check_modes(const struct nc_opts *o)
{
	const struct { bool given; const char *name; int modes; } tab[] = {
		{ o->family != 0, "-4/-6", M_C | M_L | M_R },
		{ o->dash_l, "-l", M_C | M_L },
		{ o->keep, "-k", M_L },
		{ o->udp, "-u", M_C | M_L },
		{ o->unix_, "-U", M_C | M_L },
		{ o->zero, "-z", M_C },
		{ o->broadcast, "-b", M_C | M_L },
		{ o->crlf, "-C", M_C | M_L },
		{ o->recv_only, "-d/--recv-only", M_C | M_L },
		{ o->send_only, "--send-only", M_C | M_L },
		{ o->dash_N, "-N", M_C | M_L },
		{ o->dash_n, "-n", M_C | M_L },
		{ o->src_addr != NULL, "-s", M_C },
		{ o->src_port != NULL, "-p", M_C },
		{ o->quit_ms != -2, "-q", M_C | M_L },
		{ o->idle_ms != -1, "--idle", M_R },
		{ o->hexfile != NULL, "-x/--hexdump", M_C | M_L },
		{ o->exec_cmd != NULL, "-e/--sh-exec", M_C | M_L },
		{ o->lines_given, "--lines", M_C | M_L },
		{ o->no_lines, "--no-lines", M_C | M_L },
		{ o->broker, "--broker", M_L },
		{ o->max_conns != 0, "--max-conns", M_L | M_R },
		{ o->nallow + o->ndeny > 0, "--allow/--deny", M_L | M_R },
		{ o->telnet, "--telnet", M_C | M_L },
		{ o->tls_in, "--tls-in", M_R },
		{ o->tls_out, "--tls-out", M_R },
		{ o->insecure, "--insecure", M_C | M_R },
		{ o->proxy != NULL, "--proxy", M_C },
		{ o->proxy_auth != NULL, "--proxy-auth", M_C },
	};
	int mode = o->mode == NC_CONNECT ? M_C : o->mode == NC_LISTEN ? M_L : M_R;

	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (tab[i].given && !(tab[i].modes & mode))
			return usage_err(o, "%s does not apply to %s (see 'sockit %s --help')",
			                 tab[i].name, o->cmd, o->cmd);
	return 0;
}

/* The TLS options go with TLS, --proxy-auth with --proxy. */
static int check_needs(const struct nc_opts *o)
{
	bool any_tls = o->tls || o->tls_in || o->tls_out;
	const char *tls = o->mode == NC_RELAY ? "--tls-in or --tls-out" : "--tls";

	if (o->proxy_auth && !o->proxy)
		return usage_err(o, "--proxy-auth needs --proxy");
	if (!any_tls && (o->ca || o->cert || o->insecure))
		return usage_err(o, "%s needs %s", o->ca ? "--ca" : o->cert ? "--cert" : "--insecure",
		                 tls);
	if (o->mode == NC_RELAY && o->insecure && !o->tls_out && !(o->tls && o->in_stdio))
		return usage_err(o, "--insecure needs --tls-out (it is about EP2's certificate)");
	return 0;
}

/* relay: which side each TLS option is on, and what '-' allows. */
static int check_relay(const struct nc_opts *o)
{
	bool stdio = o->in_stdio || o->out_stdio;
	bool dgram = !o->in_stdio ? sk_endpoint_is_dgram(&o->ep) : sk_endpoint_is_dgram(&o->ep2);

	if (o->tls && !stdio)
		return usage_err(o, "--tls: which side? use --tls-in (EP1) or --tls-out (EP2)");
	if (o->tls_in && o->in_stdio)
		return usage_err(o, "--tls-in needs EP1 to be an endpoint, not '-'");
	if (o->tls_out && o->out_stdio)
		return usage_err(o, "--tls-out needs EP2 to be an endpoint, not '-'");
	if ((o->tls || o->tls_in || o->tls_out) && dgram)
		return usage_err(o, "TLS needs stream endpoints");
	if (stdio && o->max_conns)
		return usage_err(o, "--max-conns needs EP1 to be an endpoint: '-' is one session");
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
	if (o->zero && o->mode != NC_CONNECT)
		return usage_err(o, "-z is for connect");
	if (o->keep && o->mode == NC_CONNECT)
		return usage_err(o, "-k needs listen (-l)");
	if (check_modes(o) < 0 || check_needs(o) < 0 ||
	    (o->mode == NC_RELAY && check_relay(o) < 0))
		return -1;
	if (o->broker)
		o->keep = true;
	if (o->tls && dgram)
		return usage_err(o, "--tls needs a stream endpoint");
	if (o->proxy && (o->mode != NC_CONNECT || dgram))
		return usage_err(o, "--proxy needs connect over TCP");
	if ((o->cert == NULL) != (o->key == NULL))
		return usage_err(o, "--cert and --key go together");
	if (o->mode == NC_LISTEN && o->max_conns && dgram)
		return usage_err(o, "--max-conns needs a stream endpoint");
	if (o->keep && o->max_conns > 1 && o->tls && !o->exec_cmd && !o->broker)
		return usage_err(o, "--tls with -k --max-conns above 1 needs --exec "
		                 "(stdin is not shared over TLS)");
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
	int first, rc;

	memset(o, 0, sizeof *o);
	o->cmd = cmd;
	o->mode = strcmp(cmd, "listen") == 0 ? NC_LISTEN
	        : strcmp(cmd, "relay") == 0 ? NC_RELAY : NC_CONNECT;
	o->quit_ms = -2;            /* not given: validate() picks the default */
	o->wait_ms = -1;
	o->idle_ms = -1;
	rc = parse_options(o, argc, argv, &first);
	if (rc != CLI_RUN)
		return rc == EXIT_OK ? 1 : -1;
	o->lines = o->lines_given;
	if (o->mode == NC_RELAY) {
		if (parse_relay_eps(o, argc - first, argv + first) < 0)
			return -1;
	} else if (parse_target(o, o->udp, o->unix_, argc - first, argv + first) < 0) {
		return -1;
	}
	return validate(o);
}
