/* cmd_serve.c — `sockit serve`: run services on endpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "serve/plan.h"
#include "serve/systemd.h"
#include "sockit/error.h"
#include "sockit/log.h"

static const char serve_help[] =
"usage: sockit serve [OPTIONS] [SERVICE [ENDPOINT...]]\n"
"       sockit serve -c FILE [OPTIONS]\n"
"\n"
"Run sockit's servers.  With no SERVICE, every service runs on its default\n"
"loopback endpoints:\n"
"  echo     tcp://127.0.0.1:65432 udp://127.0.0.1:65432   (RFC 862)\n"
"  greet    tcp://127.0.0.1:12345\n"
"  caesar   tcp://127.0.0.1:5555\n"
"  discard  tcp+udp 127.0.0.1:7009 (RFC 863)   daytime tcp+udp :7013 (RFC 867)\n"
"  qotd     tcp+udp 127.0.0.1:7017 (RFC 865)   chargen tcp :7019 (RFC 864)\n"
"  time     tcp+udp 127.0.0.1:7037 (RFC 868)\n"
"  chat     tcp://127.0.0.1:6667  (IRC subset and a line mode, docs/chat.md)\n"
"With SERVICE and no ENDPOINT, that service runs on its defaults.  Port 0\n"
"picks a free port.  Once bound, one line per endpoint goes to stdout:\n"
"  listening tcp://127.0.0.1:40123 echo\n"
"Then one log line per connection goes to stderr (peer, bytes in/out,\n"
"duration, why it closed), and one per connection refused by a limit.\n"
"SIGINT or SIGTERM stops the server cleanly: listeners close, open\n"
"connections are closed, the process exits 0.\n"
"\n"
"SIGHUP with -c reloads FILE (command-line options still apply over it):\n"
"endpoints in both the old and the new file keep their sockets (port 0\n"
"keeps its port), and new connections there get the new settings; new\n"
"endpoints are bound and announced with readiness lines; removed ones\n"
"stop listening.  Established connections are never dropped.  A file that\n"
"fails to load or bind is logged and the running set kept.  threads and\n"
"user need a restart.  Without -c, SIGHUP is logged and ignored.\n"
"\n"
"chargen answers over UDP only when asked (--udp, or 'udp yes' in its\n"
"block): it then also binds udp://127.0.0.1:7019 when it runs on its\n"
"defaults.  A udp:// chargen endpoint without it, or a datagram endpoint\n"
"for a stream-only service (greet, caesar), is refused at start (exit 2).\n"
"\n"
"options:\n"
"  -c, --config FILE      run the services in FILE instead (no SERVICE\n"
"                         arguments); format in docs/serve-config.md:\n"
"                           # comment\n"
"                           threads|max-conn|per-ip|idle-timeout|\n"
"                           max-queue|user VALUE      (global, first)\n"
"                           service NAME              (starts a block)\n"
"                           listen EP [EP...]         (default: defaults)\n"
"                           banner|quotes|max-request|read-timeout|\n"
"                           server-name|password|motd|sendq|oper|\n"
"                           flood-limit|ping-interval|cluster|\n"
"                           cluster-password|node-name|cluster-ttl|\n"
"                           udp VALUE                 (in a block)\n"
"                         An error names FILE:LINE and nothing starts.\n"
"                         Options given here override the file's.\n"
"      --max-conn N       at most N connections at once (default: no limit);\n"
"                         more are accepted and closed at once, with a log line\n"
"      --per-ip N         at most N connections at once per client address\n"
"      --idle-timeout DUR close a connection silent for DUR (0.5, 500ms,\n"
"                         2m; a bare number is seconds; default: never)\n"
"      --threads N        worker threads sharing TCP/UDP ports with\n"
"                         SO_REUSEPORT, 1-256 (default: one per core); with\n"
"                         N > 1 chat runs on one more thread, of its own\n"
"      --max-queue BYTES  stop reading a client whose unsent replies pass\n"
"                         BYTES (default 256 KiB)\n"
"      --user NAME        after binding (ports below 1024 need root), switch\n"
"                         to user NAME and its group, dropping root for good\n"
"                         (an unknown NAME is a usage error, before binding)\n"
"      --banner TEXT      greet: the banner (default: Thank you for connecting)\n"
"      --quotes FILE      qotd: quotes, separated by lines holding only %\n"
"      --max-request N    caesar: longest message in bytes (default 65536)\n"
"      --read-timeout DUR greet: wait DUR for the reply (default 2s)\n"
"      --udp              chargen: also answer over UDP (bounded replies)\n"
"      --server-name NAME chat: the server's name in replies (default sockit)\n"
"      --password SECRET  chat: the PASS every client must send\n"
"      --motd FILE        chat: message of the day (else 422 MOTD missing)\n"
"      --sendq BYTES      chat: drop a client whose unsent output passes\n"
"                         BYTES with 'SendQ exceeded' (default 1M; K/M/G)\n"
"      --no-flood-limit   chat: no per-client command rate limit (benchmarks;\n"
"                         by default ~3 commands/s after a burst of 33)\n"
"      --oper-file FILE   chat: IRC operators, NAME:HASH per line, HASH as\n"
"                         'openssl passwd -6' prints it\n"
"      --ping-interval DUR chat: PING a client silent for DUR, drop it\n"
"                         after 2*DUR; registration must end within DUR\n"
"                         (default 2m)\n"
"      --cluster URL      chat: join a cluster of nodes sharing nicks and\n"
"                         rooms through Redis: redis://HOST:PORT[/DB] or\n"
"                         redis+unix:PATH (docs/chat-cluster.md)\n"
"      --cluster-password SECRET  chat: Redis AUTH (else $SOCKIT_CLUSTER_AUTH\n"
"                         or $REDISCLI_AUTH)\n"
"      --node-name NAME   chat: this node's name in the cluster (default\n"
"                         host:pid)\n"
"      --cluster-ttl DUR  chat: node liveness TTL; a node silent this long\n"
"                         is lost and its users QUIT (default 9s)\n"
"      --backend B        the kernel interface for connections: epoll,\n"
"                         io_uring (exit 1 where the kernel lacks it) or\n"
"                         auto (io_uring when available, else epoll with\n"
"                         one log line); default: $SOCKIT_BACKEND, else epoll\n"
"  -q, --quiet            log errors only\n"
"  -v, --verbose          also log each datagram (peer, bytes in and out):\n"
"                         UDP has no connection line\n"
"  -h, --help             this text\n"
"\n"
"examples:\n"
"  sockit serve\n"
"  sockit serve -c docs/examples/sockit.conf --idle-timeout 30s\n"
"  sockit serve --motd docs/examples/motd.txt --sendq 256K chat tcp://127.0.0.1:6667\n"
"\n"
"exit status: 0 after a clean stop, 1 when an endpoint cannot be bound or\n"
"the server fails, 2 for bad usage, a bad config file or a bad --quotes\n"
"file (missing or malformed, from either).\n";

/* The long options that are config-file settings, by key: CLI_LONG(i)
 * is setting_names[i], a limit before FIRST_SVC_OPTION, a per-service
 * option after. */
static const char *const setting_names[] = {
	"max-conn", "per-ip", "idle-timeout", "threads", "max-queue",
	"banner", "quotes", "max-request", "read-timeout", "udp",
	"server-name", "password", "motd", "sendq", "no-flood-limit", "oper-file",
	"ping-interval", "cluster", "cluster-password", "node-name", "cluster-ttl",
};
enum { FIRST_SVC_OPTION = 5, NSETTINGS = 21 };

#define MAX_CLI_LIMITS 32

struct serve_args {
	const char *config;
	const char *user;
	bool quiet;
	int verbose;
	struct svc_options opt;     /* from the command line, for every service */
	bool have_opt;
	/* Limits given on the command line, applied over a config file's,
	 * at start and at every reload. */
	const char *limit_name[MAX_CLI_LIMITS], *limit_value[MAX_CLI_LIMITS];
	size_t nlimits;
	int threads;                /* default: one per core */
	enum sk_backend backend;    /* --backend, else $SOCKIT_BACKEND, else epoll */
	int argc;                   /* SERVICE [ENDPOINT...] */
	char **argv;
};

/* The context of serve's CLI_CALL rows. */
struct serve_parse {
	struct serve_plan *cli;    /* holds what the options keep (banner, quotes) */
	struct serve_args *a;
};

/* A config-file setting given as an option: checked by the same code as
 * the file's (plan.c), kept to apply over the file at every reload. */
static int setting_option(void *ctx, int key, const char *arg, char *why, size_t len)
{
	struct serve_parse *sp = ctx;
	struct serve_args *a = sp->a;
	int i = key - CLI_LONG(0);
	const char *name = setting_names[i];

	if (i < FIRST_SVC_OPTION) {
		if (a->nlimits == MAX_CLI_LIMITS) {
			sk_seterr(why, len, "too many limit options");
			return -1;
		}
		a->limit_name[a->nlimits] = name;
		a->limit_value[a->nlimits++] = arg;
		return plan_set_limit(sp->cli, name, arg, why, len) == 0 ? 0 : -1;
	}
	a->have_opt = true;
	return plan_set_option(sp->cli, &a->opt, name, arg ? arg : "yes", why, len) == 0
	       ? 0 : -1;
}

/* --backend auto|epoll|io_uring. */
static int backend_option(void *ctx, int key, const char *arg, char *why, size_t len)
{
	struct serve_parse *sp = ctx;
	(void)key;

	if (sk_backend_parse(arg, &sp->a->backend) == 0)
		return 0;
	sk_seterr(why, len, "want auto, epoll or io_uring");
	(void)arg;
	return -1;
}

/* The default backend: $SOCKIT_BACKEND (how the tests run every suite on
 * both), else epoll.  A bad value is a usage error, like the option's. */
static int backend_from_env(struct serve_args *a)
{
	const char *env = getenv("SOCKIT_BACKEND");

	a->backend = SK_BACKEND_EPOLL;
	if (!env || !*env || sk_backend_parse(env, &a->backend) == 0)
		return 0;
	cli_fail(EXIT_USAGE, "serve: SOCKIT_BACKEND='%s' is not auto, epoll or io_uring",
	         env);
	return -1;
}

/* Options given on the command line apply to every service in the plan,
 * over what a config file said. */
static void apply_cli_options(struct serve_plan *plan, const struct svc_options *o)
{
	for (size_t i = 0; i < plan->n; i++) {
		struct svc_options *e = &plan->entries[i].opt;
		if (o->banner) e->banner = o->banner;
		if (o->quotes_file) e->quotes_file = o->quotes_file;
		if (o->max_request) e->max_request = o->max_request;
		if (o->read_timeout_ms) e->read_timeout_ms = o->read_timeout_ms;
		if (o->udp_enabled) e->udp_enabled = true;
		if (o->server_name) e->server_name = o->server_name;
		if (o->password) e->password = o->password;
		if (o->motd_file) e->motd_file = o->motd_file;
		if (o->oper_file) e->oper_file = o->oper_file;
		if (o->sendq) e->sendq = o->sendq;
		if (o->no_flood_limit) e->no_flood_limit = true;
		if (o->ping_ms) e->ping_ms = o->ping_ms;
		if (o->cluster) e->cluster = o->cluster;
		if (o->cluster_password) e->cluster_password = o->cluster_password;
		if (o->node_name) e->node_name = o->node_name;
		if (o->cluster_ttl_ms) e->cluster_ttl_ms = o->cluster_ttl_ms;
	}
}

/* The services to run, from a config file, SERVICE [EP...], or all. */
static int build_plan(struct serve_plan *plan, const struct serve_args *a,
                      char *err, size_t errlen)
{
	if (a->config) {
		if (a->argc > 0) {
			sk_seterr(err, errlen, "-c FILE takes no SERVICE arguments");
			return -1;
		}
		return plan_load_file(plan, a->config, err, errlen);
	}
	if (a->argc == 0) {
		for (size_t i = 0; svc_all[i]; i++)
			if (svc_all[i]->defaults &&
			    plan_add(plan, svc_all[i], NULL, 0, err, errlen) < 0)
				return -1;
		return 0;
	}
	const struct service *svc = svc_find(a->argv[0]);
	if (!svc) {
		sk_seterr(err, errlen, "unknown service '%s' (see sockit serve --help)",
		          a->argv[0]);
		return -1;
	}
	return plan_add(plan, svc, a->argv + 1, (size_t)(a->argc - 1), err, errlen);
}

/* The whole plan: services, then the command line over them, checked.
 * The same at start and at each SIGHUP reload. */
static int load_plan(struct serve_plan *plan, const struct serve_args *a,
                     char *err, size_t errlen)
{
	plan_init(plan);
	plan->lim.threads = a->threads;
	plan->lim.backend = a->backend;
	if (build_plan(plan, a, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < a->nlimits; i++)
		if (plan_set_limit(plan, a->limit_name[i], a->limit_value[i], err,
		                   errlen) != 0)
			return -1;
	if (a->have_opt)
		apply_cli_options(plan, &a->opt);
	if (a->user && plan_set_user(plan, a->user, 0, err, errlen) < 0)
		return -1;
	if (sysd_adopt(plan, err, errlen) < 0)
		return -1;
	return plan_check(plan, err, errlen);
}

/* SIGHUP: every reload makes a new plan; all of them live until the
 * server returns, since connections may still use an old one. */
struct plan_node {
	struct serve_plan plan;
	struct plan_node *next;
};

struct reloader {
	const struct serve_args *a;
	struct plan_node *plans;
};

static int reload_plan(void *ctx, const struct serve_entry **entries, size_t *n,
                       struct serve_limits *lim, char *err, size_t errlen)
{
	struct reloader *r = ctx;
	struct plan_node *pn = calloc(1, sizeof *pn);

	if (!pn) {
		sk_seterr(err, errlen, "out of memory");
		return -1;
	}
	if (load_plan(&pn->plan, r->a, err, errlen) < 0) {
		plan_free(&pn->plan);
		free(pn);
		return -1;
	}
	pn->next = r->plans;
	r->plans = pn;
	*entries = pn->plan.entries;
	*n = pn->plan.n;
	*lim = pn->plan.lim;
	return 0;
}

static void free_plans(struct reloader *r)
{
	while (r->plans) {
		struct plan_node *pn = r->plans;
		r->plans = pn->next;
		plan_free(&pn->plan);
		free(pn);
	}
}

/* CLI_RUN, or the exit status (0 after --help, 2 after a usage error). */
static int parse_args(struct serve_plan *cli, struct serve_args *a, int argc,
                      char **argv)
{
	struct serve_parse sp = { cli, a };
	struct cli_option opts[NSETTINGS + 8] = {
		CLI_STR('c', "config", &a->config),
		CLI_FLAG('q', "quiet", &a->quiet),
		CLI_COUNT('v', "verbose", &a->verbose),
		CLI_STR(CLI_LONG(NSETTINGS), "user", &a->user),
		CLI_CALL(CLI_LONG(NSETTINGS + 1), "backend", backend_option),
	};
	size_t n = 0;

	while (opts[n].name)    /* the rows above, however many */
		n++;

	for (int i = 0; i < NSETTINGS; i++) {
		struct cli_option o = CLI_CALL(CLI_LONG(i), setting_names[i], setting_option);
		if (strcmp(setting_names[i], "udp") == 0 ||
		    strcmp(setting_names[i], "no-flood-limit") == 0)
			o.kind = CLI_K_CALL_FLAG;   /* --udp, --no-flood-limit take no value */
		opts[n++] = o;
	}
	opts[n] = (struct cli_option)CLI_END;
	const struct cli_command cmd = { "serve", serve_help, opts, 0 };
	int first, rc = cli_parse(&cmd, argc, argv, &sp, &first);

	if (rc != CLI_RUN)
		return rc;
	a->argc = argc - first;
	a->argv = argv + first;
	return CLI_RUN;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_plan cli, plan;
	struct serve_args a = { 0 };
	struct reloader r = { .a = &a };
	struct serve_reload reload = { .load = reload_plan, .ctx = &r };
	char err[SK_ERRLEN];
	int status = EXIT_USAGE;

	plan_init(&cli);
	plan_init(&plan);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	a.threads = cores > 0 && cores < 64 ? (int)cores : 1;
	if (backend_from_env(&a) < 0)
		goto out;
	int rc = parse_args(&cli, &a, argc, argv);
	if (rc != CLI_RUN) {
		status = rc;
		goto out;
	}
	if (load_plan(&plan, &a, err, sizeof err) < 0) {
		cli_sub_fail(EXIT_USAGE, "serve", "%s", err);
		goto out;
	}
	if (a.quiet)
		sk_log_set_level(SK_LOG_ERROR);
	else if (a.verbose)
		sk_log_set_level(SK_LOG_DEBUG);
	status = server_run(plan.entries, plan.n, &plan.lim, plan.user,
	                    a.config ? &reload : NULL);
out:
	free_plans(&r);
	plan_free(&plan);
	plan_free(&cli);
	return status;
}
