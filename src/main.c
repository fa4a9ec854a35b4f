/* main.c — the sockit command: find the subcommand and run it. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct command {
	const char *name;
	cmd_fn *run;
	const char *summary;
};

/* One row per subcommand, in the order --help lists them. */
static const struct command commands[] = {
	{ "serve",   cmd_serve,   "run the echo, greet, caesar, ... servers" },
	{ "echo",    cmd_echo,    "send a message, print the echo (tcp/udp/unix)" },
	{ "greet",   cmd_greet,   "print a server's greeting, send a reply" },
	{ "caesar",  cmd_caesar,  "encrypt or decrypt with a Caesar server" },
	{ "daytime", cmd_daytime, "ask a daytime server (RFC 867)" },
	{ "time",    cmd_time,    "ask a time server (RFC 868), print the date" },
	{ "qotd",    cmd_qotd,    "ask a quote-of-the-day server (RFC 865)" },
	{ "scan",    cmd_scan,    "concurrent TCP port scan: open/closed/filtered" },
	{ "sockets", cmd_sockets, "list sockets: tcp/udp/unix, state, queues, owner (like ss)" },
	{ "ping",    cmd_ping,    "ICMP echo like iputils ping; many hosts, --tcp, --udp" },
	{ "resolve", cmd_resolve, "getaddrinfo in full; reverse and service look-ups" },
	{ "bench",   cmd_bench,   "load-test a server: ping-pong, pipeline, udp, connect rate" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: sockit COMMAND [OPTIONS] [ARGS]\n"
	             "       sockit help [COMMAND] | --version\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'sockit COMMAND --help' (or 'sockit help COMMAND') "
	             "describes each one.\n"
	             "Endpoints: tcp://HOST:PORT udp://HOST:PORT unix:PATH "
	             "unix:@NAME unixgram:PATH HOST:PORT\n"
	             "Exit status: 0 success, 1 network failure, 2 bad usage.\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* `sockit help [COMMAND]`: the overview, or COMMAND --help. */
static int help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	const struct command *c = find_command(argv[1]);
	if (!c)
		return cli_sub_fail(EXIT_USAGE, "help", "unknown command '%s' (try 'sockit "
		                "--help')", argv[1]);
	char *args[] = { argv[1], "--help", NULL };
	return c->run(2, args);
}

int main(int argc, char **argv)
{
	/* A peer that closes early must be an EPIPE error, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_is_help(argv[1])) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("sockit %s\n", cli_version());
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0)
		return help(argc - 1, argv + 1);
	const struct command *c = find_command(argv[1]);
	if (c)
		return c->run(argc - 1, argv + 1);
	return cli_fail(EXIT_USAGE, "unknown command '%s' (try 'sockit --help')", argv[1]);
}
