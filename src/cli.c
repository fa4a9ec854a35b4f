/* cli.c — helpers shared by the subcommands: errors and help detection. */
#include <stdarg.h>
#include <stdio.h>
#include <getopt.h>
#include <string.h>

#include "commands.h"

int die(int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "sockit: %s\n", msg);
	return status;
}

int is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int bad_option(const char *cmd, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return die(EXIT_USAGE, "%s: option '%s' needs a value", cmd, arg);
	if (optopt && arg[0] == '-' && arg[1] != '-')
		return die(EXIT_USAGE, "%s: unknown option '-%c' (see sockit %s --help)",
		           cmd, optopt, cmd);
	return die(EXIT_USAGE, "%s: unknown option '%s' (see sockit %s --help)",
	           cmd, arg, cmd);
}
