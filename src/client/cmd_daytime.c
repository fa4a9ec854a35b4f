/* cmd_daytime.c — `sockit daytime`: ask a daytime server (RFC 867) for
 * the date and time and print its answer. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "client/svcclient.h"

static void daytime_help(FILE *out)
{
	fprintf(out,
"usage: sockit daytime [OPTIONS] [ENDPOINT]\n"
"\n"
"Ask a daytime server (RFC 867) for the date and time and print its line.\n"
"Over TCP the server sends one line and closes; over UDP (udp://HOST:PORT)\n"
"one empty datagram is sent and resent on timeout.\n"
"\n"
"ENDPOINT defaults to tcp://127.0.0.1:7013 (sockit serve's daytime).\n"
"\n"
"options:\n"
"  -t, --timeout MS   wait at most MS per step (default 2000)\n"
"  -r, --retries N    UDP: resend up to N times (default 2)\n"
"  -j, --json         print {\"endpoint\": ..., \"daytime\": ...}\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 answer printed, 1 network failure or no answer, 2 bad usage.\n");
}

/* The line without its CRLF. */
static size_t trim_eol(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

int cmd_daytime(int argc, char **argv)
{
	struct client_opts o;
	char buf[1024];
	int status;

	int r = client_parse_opts(argc, argv, "tcp://127.0.0.1:7013", &o, daytime_help);
	if (r != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	ssize_t n = client_fetch("daytime", &o, buf, sizeof buf, &status);
	if (n < 0)
		return status;
	size_t len = trim_eol(buf, (size_t)n);
	return client_print_answer(&o, "daytime", buf, len);
}
