/* cmd_serve.c — `sockit serve`: run services on endpoints. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "serve_plan.h"
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
"With SERVICE and no ENDPOINT, that service runs on its defaults.  Port 0\n"
"picks a free port.  Once bound, one line per endpoint goes to stdout:\n"
"  listening tcp://127.0.0.1:40123 echo\n"
"Then one log line per connection goes to stderr (peer, bytes in/out,\n"
"duration, why it closed).  SIGINT or SIGTERM stops the server cleanly.\n"
"SIGHUP does not reload a config file: restart the server to apply one.\n"
"\n"
"options:\n"
"  -c, --config FILE      run the services in FILE (docs/serve-config.md):\n"
"                         global settings, then blocks of\n"
"                           service NAME / listen EP... / OPTION VALUE\n"
"      --max-conn N       at most N connections at once (default: no limit)\n"
"      --per-ip N         at most N connections per client address\n"
"      --idle-timeout S   close a connection silent for S seconds\n"
"      --threads N        worker threads sharing TCP/UDP ports with\n"
"                         SO_REUSEPORT (default: one per core)\n"
"      --max-queue BYTES  stop reading a client whose unsent replies pass\n"
"                         BYTES (default 256 KiB)\n"
"      --user NAME        drop privileges to NAME after binding\n"
"      --banner TEXT      greet: the banner (default: Thank you for connecting)\n"
"      --quotes FILE      qotd: quotes, separated by lines holding only %%\n"
"      --max-request N    caesar: longest message in bytes (default 65536)\n"
"      --read-timeout S   greet: wait S seconds for the reply (default 2)\n"
"      --udp              chargen: also answer over UDP (bounded replies)\n"
"  -q, --quiet            log errors only\n"
"  -h, --help             this text\n";

enum { OPT_LIMIT = 256, OPT_SVC, OPT_USER };

static const struct option serve_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "max-conn", required_argument, NULL, OPT_LIMIT },
	{ "per-ip", required_argument, NULL, OPT_LIMIT },
	{ "idle-timeout", required_argument, NULL, OPT_LIMIT },
	{ "threads", required_argument, NULL, OPT_LIMIT },
	{ "max-queue", required_argument, NULL, OPT_LIMIT },
	{ "user", required_argument, NULL, OPT_USER },
	{ "banner", required_argument, NULL, OPT_SVC },
	{ "quotes", required_argument, NULL, OPT_SVC },
	{ "max-request", required_argument, NULL, OPT_SVC },
	{ "read-timeout", required_argument, NULL, OPT_SVC },
	{ "udp", no_argument, NULL, OPT_SVC },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct serve_args {
	const char *config;
	const char *user;
	bool quiet;
	struct svc_options opt;     /* from the command line, for every service */
	bool have_opt;
};

static int parse_option(struct serve_plan *plan, struct serve_args *a, int c,
                        int idx, char *err, size_t errlen)
{
	const char *name = serve_options[idx].name;

	switch (c) {
	case 'c': a->config = optarg; return 0;
	case 'q': a->quiet = true; return 0;
	case OPT_USER: a->user = optarg; return 0;
	case OPT_LIMIT: return plan_set_limit(plan, name, optarg, err, errlen);
	case OPT_SVC:
		a->have_opt = true;
		return plan_set_option(plan, &a->opt, name, optarg ? optarg : "yes",
		                       err, errlen);
	}
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
	}
}

/* The services to run, from a config file, SERVICE [EP...], or all. */
static int build_plan(struct serve_plan *plan, const struct serve_args *a,
                      int argc, char **argv, char *err, size_t errlen)
{
	if (a->config) {
		if (argc > 0) {
			sk_seterr(err, errlen, "serve: -c FILE takes no SERVICE arguments");
			return -1;
		}
		return plan_load_file(plan, a->config, err, errlen);
	}
	if (argc == 0) {
		for (size_t i = 0; svc_all[i]; i++)
			if (svc_all[i]->defaults &&
			    plan_add(plan, svc_all[i], NULL, 0, err, errlen) < 0)
				return -1;
		return 0;
	}
	const struct service *svc = svc_find(argv[0]);
	if (!svc) {
		sk_seterr(err, errlen, "serve: unknown service '%s' (see sockit serve --help)",
		          argv[0]);
		return -1;
	}
	return plan_add(plan, svc, argv + 1, (size_t)(argc - 1), err, errlen);
}

int cmd_serve(int argc, char **argv)
{
	struct serve_plan plan;
	struct serve_args a = { 0 };
	char err[SK_ERRLEN];
	int c, idx = 0, status = EXIT_USAGE;

	plan_init(&plan);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	plan.lim.threads = cores > 0 && cores < 64 ? (int)cores : 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:qh", serve_options, &idx)) != -1) {
		if (c == 'h') {
			fputs(serve_help, stdout);
			plan_free(&plan);
			return EXIT_OK;
		}
		if (c == '?' || c == ':') {
			bad_option("serve", c, argv);
			goto out;
		}
		if (parse_option(&plan, &a, c, idx, err, sizeof err) != 0) {
			die(EXIT_USAGE, "serve: %s", err);
			goto out;
		}
	}
	if (build_plan(&plan, &a, argc - optind, argv + optind, err, sizeof err) < 0) {
		die(EXIT_USAGE, "%s", err);
		goto out;
	}
	if (a.have_opt)
		apply_cli_options(&plan, &a.opt);
	if (a.quiet)
		sk_log_set_level(SK_LOG_ERROR);
	status = server_run(plan.entries, plan.n, &plan.lim, a.user ? a.user : plan.user);
out:
	plan_free(&plan);
	return status;
}
