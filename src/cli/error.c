/* error.c — the one error path: one line on stderr, the exit status back. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#ifndef SOCKIT_VERSION
#define SOCKIT_VERSION "unknown"
#endif

/* Write "sockit" + (sub ? " SUB" : "") + ": " + message + tail + "\n" as
 * one write, so lines from several processes never interleave. */
static void report(const char *sub, const char *tail, const char *fmt, va_list ap)
{
	char msg[1024];
	int n = snprintf(msg, sizeof msg, "sockit%s%s: ", sub ? " " : "", sub ? sub : "");

	if (n < 0 || (size_t)n >= sizeof msg)
		n = 0;
	vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	fprintf(stderr, "%s%s\n", msg, tail);
}

int cli_fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(NULL, "", fmt, ap);
	va_end(ap);
	return status;
}

int cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(NULL, "", fmt, ap);
	va_end(ap);
	return -1;
}

int cli_sub_fail(int status, const char *sub, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(sub, "", fmt, ap);
	va_end(ap);
	return status;
}

int cli_usage(const char *sub, const char *fmt, ...)
{
	char tail[96];
	va_list ap;

	snprintf(tail, sizeof tail, " (see 'sockit %s --help')", sub);
	va_start(ap, fmt);
	report(sub, tail, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int cli_bad_value(const char *sub, const char *what, const char *text, const char *why)
{
	if (why && *why)
		return cli_sub_fail(EXIT_USAGE, sub, "bad value for '%s': '%s' (%s)",
		                    what, text, why);
	return cli_sub_fail(EXIT_USAGE, sub, "bad value for '%s': '%s'", what, text);
}

bool cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

const char *cli_version(void)
{
	return SOCKIT_VERSION;
}
