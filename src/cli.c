/* cli.c — helpers shared by the subcommands: errors and help detection. */
#include <stdarg.h>
#include <stdio.h>
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
