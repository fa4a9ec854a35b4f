/* cmd_resolve.c — `sockit resolve`: every getaddrinfo result with its
 * family, type, protocol, canonical name and address (the tutorial's
 * detailsocket program, complete); reverse look-ups with getnameinfo;
 * /etc/services both ways, with the port in host and network byte order. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cli/json.h"
#include "commands.h"
#include "sockit/endpoint.h"
#include "sockit/error.h"
#include "sockit/loop.h"

struct resolve_cmd {
	int family;   /* AF_UNSPEC, AF_INET, AF_INET6 */
	int socktype; /* 0 or SOCK_* */
	int flags;    /* AI_* beyond AI_CANONNAME */
	bool json;
	int verbose;         /* -v: the call and its time on stderr */
	bool quiet;          /* -q: the table without its header */
	const char *reverse; /* -r ADDRESS */
	const char *service; /* --service NAME|PORT */
	const char *host, *port;
};

static const char usage_text[] =
    "usage: sockit resolve [OPTIONS] HOST [SERVICE]\n"
    "       sockit resolve -r ADDRESS [PORT]\n"
    "       sockit resolve --service NAME|PORT\n"
    "\n"
    "Print every getaddrinfo(3) result for HOST (and SERVICE, a name or number):\n"
    "family, socket type, protocol (as symbolic names: AF_INET6, SOCK_DGRAM,\n"
    "IPPROTO_UDP), the canonical name (AI_CANONNAME; glibc gives it on the\n"
    "first result only) and the socket address.\n"
    "\n"
    "Hints:\n"
    "  -4, -6               only IPv4 / only IPv6 (ai_family)\n"
    "  --type T             stream, dgram or raw (ai_socktype)\n"
    "  --passive            AI_PASSIVE: addresses to bind; HOST may be '*'\n"
    "  --numeric-host       AI_NUMERICHOST: HOST must be an address, no look-up\n"
    "  --numeric-service    AI_NUMERICSERV: SERVICE must be a number\n"
    "  --all                AI_ALL|AI_V4MAPPED: with -6, IPv4 results as ::ffff:a.b.c.d\n"
    "\n"
    "Other look-ups:\n"
    "  -r, --reverse ADDRESS  the host name of a numeric address (getnameinfo,\n"
    "                       NI_NAMEREQD); with PORT also its service name\n"
    "  --service NAME|PORT  /etc/services both ways (http <-> 80/tcp), for tcp\n"
    "                       and udp (or the --type given), with the port in host\n"
    "                       and network byte order\n"
    "  -j, --json           print one JSON document (an array; an object for -r)\n"
    "                       instead of a table\n"
    "  -v, --verbose        say on stderr which call was made and how long it took\n"
    "  -q, --quiet          the table without its header line\n"
    "\n"
    "A numeric SERVICE or PORT must be 0-65535 (getaddrinfo would wrap it).\n"
    "Errors are getaddrinfo's own text: 'sockit: resolve nosuch.invalid: Name or\n"
    "service not known'.\n"
    "\n"
    "examples:\n"
    "  sockit resolve localhost 80\n"
    "  sockit resolve -r 127.0.0.1 22\n"
    "  sockit resolve --service http --json\n"
    "\n"
    "Exit status: 0 found, 1 look-up failed, 2 bad usage.\n";

enum {
	OPT_TYPE = CLI_LONG(0),
	OPT_PASSIVE,
	OPT_NUMHOST,
	OPT_NUMSERV,
	OPT_ALL,
	OPT_SERVICE
};

struct name {
	int value;
	const char *text;
};

static const struct name families[] = {
    {AF_UNSPEC, "AF_UNSPEC"}, {AF_INET, "AF_INET"}, {AF_INET6, "AF_INET6"},
    {AF_UNIX, "AF_UNIX"},     {-1, NULL},
};
static const struct name types[] = {
    {SOCK_STREAM, "SOCK_STREAM"}, {SOCK_DGRAM, "SOCK_DGRAM"},
    {SOCK_RAW, "SOCK_RAW"},       {SOCK_SEQPACKET, "SOCK_SEQPACKET"},
    {SOCK_RDM, "SOCK_RDM"},       {-1, NULL},
};
static const struct name protocols[] = {
    {IPPROTO_IP, "IPPROTO_IP"},
    {IPPROTO_TCP, "IPPROTO_TCP"},
    {IPPROTO_UDP, "IPPROTO_UDP"},
    {IPPROTO_ICMP, "IPPROTO_ICMP"},
    {IPPROTO_ICMPV6, "IPPROTO_ICMPV6"},
    {IPPROTO_SCTP, "IPPROTO_SCTP"},
    {IPPROTO_UDPLITE, "IPPROTO_UDPLITE"},
    {IPPROTO_RAW, "IPPROTO_RAW"},
    {-1, NULL},
};

/* The symbolic name, or the number for anything not in the table. */
static const char *name_of(const struct name *table, int value, char *buf, size_t len)
{
	for (; table->text; table++)
		if (table->value == value)
			return table->text;
	snprintf(buf, len, "%d", value);
	return buf;
}

/* Numeric host and port of an inet address. */
static void split_addr(const struct addrinfo *ai, char *host, size_t len, unsigned *port)
{
	*port = 0;
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, (socklen_t)len, NULL, 0,
	                NI_NUMERICHOST) != 0)
		snprintf(host, len, "?");
	if (ai->ai_family == AF_INET)
		*port = ntohs(((const struct sockaddr_in *)ai->ai_addr)->sin_port);
	else if (ai->ai_family == AF_INET6)
		*port = ntohs(((const struct sockaddr_in6 *)ai->ai_addr)->sin6_port);
}

static void print_json_result(struct json *j, const struct addrinfo *ai)
{
	char f[16], t[16], p[16], host[NI_MAXHOST], sa[SK_ADDRSTRLEN];
	unsigned port;

	split_addr(ai, host, sizeof host, &port);
	json_object(j);
	json_kv_str(j, "family", name_of(families, ai->ai_family, f, sizeof f));
	json_kv_str(j, "type", name_of(types, ai->ai_socktype, t, sizeof t));
	json_kv_str(j, "protocol", name_of(protocols, ai->ai_protocol, p, sizeof p));
	json_kv_str(j, "canonname", ai->ai_canonname);
	json_kv_str(j, "address", host);
	json_kv_uint(j, "port", port);
	if (ai->ai_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ai->ai_addr;
		json_kv_uint(j, "flowinfo", ntohl(s6->sin6_flowinfo));
		json_kv_uint(j, "scope_id", s6->sin6_scope_id);
	}
	json_kv_str(j, "sockaddr", sk_addr_format(ai->ai_addr, ai->ai_addrlen, sa, sizeof sa));
	json_end(j);
}

static void print_table_result(const struct addrinfo *ai)
{
	char f[16], t[16], p[16], sa[SK_ADDRSTRLEN];

	printf("%-9s %-14s %-14s %-20s %s\n",
	       name_of(families, ai->ai_family, f, sizeof f),
	       name_of(types, ai->ai_socktype, t, sizeof t),
	       name_of(protocols, ai->ai_protocol, p, sizeof p),
	       ai->ai_canonname ? ai->ai_canonname : "-",
	       sk_addr_format(ai->ai_addr, ai->ai_addrlen, sa, sizeof sa));
}

/* The results as a table (with its header unless quiet) or JSON. */
static void print_results(const struct addrinfo *res, bool json, bool quiet)
{
	struct json j;

	if (json) {
		json_start(&j, stdout);
		json_array(&j);
	} else if (!quiet) {
		printf("%-9s %-14s %-14s %-20s %s\n", "FAMILY", "TYPE", "PROTOCOL",
		       "CANONNAME", "ADDRESS");
	}
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (json)
			print_json_result(&j, ai);
		else
			print_table_result(ai);
	}
	if (json) {
		json_end(&j);
		json_newline(&j);
	}
}

static const char *gai_text(int rc, int saved_errno)
{
	return rc == EAI_SYSTEM ? strerror(saved_errno) : gai_strerror(rc);
}

static int forward(const struct resolve_cmd *c)
{
	struct addrinfo hints, *res = NULL;
	const char *host = c->host;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = c->family;
	hints.ai_socktype = c->socktype;
	hints.ai_flags = c->flags | AI_CANONNAME;
	/* With AI_PASSIVE a NULL host means the wildcard address (which has
	 * no canonical name to ask for). */
	if ((c->flags & AI_PASSIVE) && strcmp(host, "*") == 0) {
		host = NULL;
		hints.ai_flags &= ~AI_CANONNAME;
	}
	uint64_t t0 = sk_now_ns();
	rc = getaddrinfo(host, c->port, &hints, &res);
	if (c->verbose)
		fprintf(stderr, "sockit resolve: getaddrinfo(%s, %s) in %.2f ms\n",
		        host ? host : "NULL", c->port ? c->port : "NULL",
		        (double)(sk_now_ns() - t0) / 1e6);
	if (rc != 0)
		return cli_fail(EXIT_NETWORK, "resolve %s: %s", c->host, gai_text(rc, errno));
	print_results(res, c->json, c->quiet);
	freeaddrinfo(res);
	return EXIT_OK;
}

static void print_reverse(const char *addr, const char *host, const char *serv, bool json)
{
	if (!json) {
		printf("%s %s%s%s\n", addr, host, serv ? " " : "", serv ? serv : "");
		return;
	}
	struct json j;
	json_start(&j, stdout);
	json_object(&j);
	json_kv_str(&j, "address", addr);
	json_kv_str(&j, "host", host);
	if (serv)
		json_kv_str(&j, "service", serv);
	json_end(&j);
	json_newline(&j);
}

/* Reverse: ADDRESS must be numeric ("[::1]" brackets allowed). */
static int reverse(const struct resolve_cmd *c)
{
	struct addrinfo hints, *res = NULL;
	char addr[SK_HOSTLEN], host[NI_MAXHOST], serv[NI_MAXSERV] = "";
	size_t len = strlen(c->reverse);
	int rc, flags = NI_NAMEREQD | (c->socktype == SOCK_DGRAM ? NI_DGRAM : 0);

	if (len >= 2 && c->reverse[0] == '[' && c->reverse[len - 1] == ']')
		snprintf(addr, sizeof addr, "%.*s", (int)(len - 2), c->reverse + 1);
	else
		snprintf(addr, sizeof addr, "%s", c->reverse);
	memset(&hints, 0, sizeof hints);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_family = c->family;
	if ((rc = getaddrinfo(addr, c->port ? c->port : "0", &hints, &res)) != 0)
		return rc == EAI_NONAME
		       ? cli_sub_fail(EXIT_USAGE, "resolve", "-r %s: not a numeric address "
		                      "or port", c->reverse)
		       : cli_fail(EXIT_NETWORK, "reverse %s: %s", c->reverse, gai_text(rc, errno));
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof host,
	                 c->port ? serv : NULL, c->port ? sizeof serv : 0, flags);
	freeaddrinfo(res);
	if (rc != 0)
		return cli_fail(EXIT_NETWORK, "reverse %s: %s", c->reverse,
		           gai_text(rc, errno));
	print_reverse(addr, host, c->port ? serv : NULL, c->json);
	return EXIT_OK;
}

/* One /etc/services entry: the port as this host holds it, and as the
 * 16-bit value sin_port holds (htons) — what the same two bytes read as
 * here.  On a little-endian host 80 becomes 20480 (0x5000). */
static void print_service(struct json *j, const struct servent *s)
{
	unsigned port = ntohs((uint16_t)s->s_port), net = (uint16_t)s->s_port;
	char bytes[8];

	if (!j) {
		printf("%-16s %5u/%-4s %5u (0x%04x)  %5u (0x%04x)  %02x %02x ", s->s_name,
		       port, s->s_proto, port, port, net, net, port >> 8, port & 0xff);
		for (char **a = s->s_aliases; *a; a++)
			printf("%s%s", a == s->s_aliases ? "" : ",", *a);
		printf("%s\n", *s->s_aliases ? "" : "-");
		return;
	}
	snprintf(bytes, sizeof bytes, "%02x %02x", port >> 8, port & 0xff);
	json_object(j);
	json_kv_str(j, "name", s->s_name);
	json_kv_uint(j, "port", port);
	json_kv_str(j, "proto", s->s_proto);
	json_kv_uint(j, "host_order", port);
	json_kv_uint(j, "network_order", net);
	json_kv_str(j, "bytes", bytes);
	json_key(j, "aliases");
	json_array(j);
	for (char **a = s->s_aliases; *a; a++)
		json_str(j, *a);
	json_end(j);
	json_end(j);
}

static int services(const struct resolve_cmd *c)
{
	const char *protos[] = {"tcp", "udp"};
	char err[SK_ERRLEN];
	long long port = -1;
	int found = 0;

	struct json j;

	if (c->service[0] >= '0' && c->service[0] <= '9' &&
	    sk_parse_num(c->service, 0, 65535, &port, "port", err, sizeof err) < 0)
		return cli_sub_fail(EXIT_USAGE, "resolve", "--service: %s", err);
	if (c->json) {
		json_start(&j, stdout);
		json_array(&j);
	} else
		printf("%-16s %10s %14s  %14s  %-5s %s\n", "SERVICE", "PORT/PROTO",
		       "HOST-ORDER", "NETWORK-ORDER", "BYTES", "ALIASES");
	for (int i = 0; i < 2; i++) {
		const struct servent *s;

		if ((c->socktype == SOCK_STREAM && i == 1) ||
		    (c->socktype == SOCK_DGRAM && i == 0))
			continue;
		s = port >= 0 ? getservbyport(htons((uint16_t)port), protos[i])
		              : getservbyname(c->service, protos[i]);
		if (s) {
			print_service(c->json ? &j : NULL, s);
			found++;
		}
	}
	endservent();
	if (c->json) {
		json_end(&j);
		json_newline(&j);
	}
	if (!found)
		return cli_fail(EXIT_NETWORK, "service %s: not in /etc/services",
		           c->service);
	return EXIT_OK;
}

/* Every resolve option but --help, through the kit (CLI_CALL rows). */
static int option(void *ctx, int opt, const char *arg, char *why, size_t len)
{
	struct resolve_cmd *c = ctx;

	switch (opt) {
	case '4': c->family = AF_INET; return 0;
	case '6': c->family = AF_INET6; return 0;
	case OPT_PASSIVE: c->flags |= AI_PASSIVE; return 0;
	case OPT_NUMHOST: c->flags |= AI_NUMERICHOST; return 0;
	case OPT_NUMSERV: c->flags |= AI_NUMERICSERV; return 0;
	case OPT_ALL: c->flags |= AI_ALL | AI_V4MAPPED; return 0;
	case OPT_TYPE:
		if (strcmp(arg, "stream") == 0)
			c->socktype = SOCK_STREAM;
		else if (strcmp(arg, "dgram") == 0)
			c->socktype = SOCK_DGRAM;
		else if (strcmp(arg, "raw") == 0)
			c->socktype = SOCK_RAW;
		else {
			snprintf(why, len, "expected stream, dgram or raw");
			return -1;
		}
		return 0;
	}
	return -1;
}

/* A numeric port must be 0-65535: getaddrinfo would take 99999 as 34463
 * (issue 14 item 4).  Names are left to getaddrinfo. */
static int check_port(const char *what, const char *text)
{
	char why[SK_ERRLEN];
	long long v;

	if (!text || !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
		return 0;
	if (sk_parse_num(text, 0, 65535, &v, NULL, why, sizeof why) < 0)
		return cli_bad_value("resolve", what, text, why);
	return 0;
}

/* Positional arguments: HOST [SERVICE] for a forward look-up, [PORT]
 * after -r, none with --service. */
static int positionals(struct resolve_cmd *c, int argc, char **argv)
{
	int n = argc, max = c->service ? 0 : c->reverse ? 1 : 2;

	if (c->service && c->reverse)
		return cli_usage("resolve", "-r and --service are separate look-ups");
	if (n > max || (n == 0 && !c->service && !c->reverse))
		return cli_usage("resolve", "expected %s",
		                 c->service   ? "no arguments after --service"
		                 : c->reverse ? "at most a PORT after -r ADDRESS"
		                              : "HOST [SERVICE]");
	if (c->reverse) {
		c->port = n ? argv[0] : NULL;
		return check_port("PORT", c->port);
	}
	c->host = n ? argv[0] : NULL;
	c->port = n > 1 ? argv[1] : NULL;
	if (c->host && strlen(c->host) >= SK_HOSTLEN)
		return cli_usage("resolve", "host name longer than %d bytes", SK_HOSTLEN - 1);
	return check_port("SERVICE", c->port);
}

int cmd_resolve(int argc, char **argv)
{
	struct resolve_cmd c;
	memset(&c, 0, sizeof c);
	const struct cli_option opts[] = {
		CLI_CALL_FLAG('4', "ipv4", option),
		CLI_CALL_FLAG('6', "ipv6", option),
		CLI_STR('r', "reverse", &c.reverse),
		CLI_CALL(OPT_TYPE, "type", option),
		CLI_CALL_FLAG(OPT_PASSIVE, "passive", option),
		CLI_CALL_FLAG(OPT_NUMHOST, "numeric-host", option),
		CLI_CALL_FLAG(OPT_NUMSERV, "numeric-service", option),
		CLI_CALL_FLAG(OPT_ALL, "all", option),
		CLI_FLAG('j', "json", &c.json),
		CLI_COUNT('v', "verbose", &c.verbose),
		CLI_FLAG('q', "quiet", &c.quiet),
		CLI_STR(OPT_SERVICE, "service", &c.service),
		CLI_END,
	};
	const struct cli_command cmd = { "resolve", usage_text, opts, 0 };
	int first, rc = cli_parse(&cmd, argc, argv, &c, &first);

	if (rc != CLI_RUN)
		return rc;
	if (positionals(&c, argc - first, argv + first) != 0)
		return EXIT_USAGE;
	if (c.service)
		return services(&c);
	/* --passive '*' alone: getaddrinfo needs a host or a service, and the
	 * wildcard is no host, so ask for port 0 (as a HOST alone shows :0). */
	if (c.host && !c.port && (c.flags & AI_PASSIVE) && strcmp(c.host, "*") == 0)
		c.port = "0";
	return c.reverse ? reverse(&c) : forward(&c);
}
