/* cmd_qotd.c — `sockit qotd`: ask a quote-of-the-day server (RFC 865)
 * for a quote and print it. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "client/svcclient.h"

static void qotd_help(FILE *out)
{
	fprintf(out,
"usage: sockit qotd [OPTIONS] [ENDPOINT]\n"
"\n"
"Ask a quote-of-the-day server (RFC 865) for a quote and print it.  Over\n"
"TCP the server sends the quote and closes; over UDP (udp://HOST:PORT) one\n"
"empty datagram is sent and resent on timeout.  Quotes are under 512 bytes;\n"
"a longer answer is refused.\n"
"\n"
"ENDPOINT defaults to tcp://127.0.0.1:7017 (sockit serve's qotd).\n"
"\n"
"options:\n"
"  -t, --timeout MS   wait at most MS per step (default 2000)\n"
"  -r, --retries N    UDP: resend up to N times (default 2)\n"
"  -j, --json         print {\"endpoint\": ..., \"quote\": ...}\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 quote printed, 1 network failure or no answer, 2 bad usage.\n");
}

/* CRLF line ends as plain newlines; the trailing one dropped. */
static size_t unix_lines(char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '\r' && i + 1 < n && s[i + 1] == '\n'))
			s[o++] = s[i];
	while (o > 0 && (s[o - 1] == '\n' || s[o - 1] == '\r'))
		o--;
	return o;
}

int cmd_qotd(int argc, char **argv)
{
	struct client_opts o;
	char buf[4096];
	int status;

	int r = client_parse_opts(argc, argv, "tcp://127.0.0.1:7017", &o, qotd_help);
	if (r != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	ssize_t n = client_fetch("qotd", &o, buf, sizeof buf, &status);
	if (n < 0)
		return status;
	size_t len = unix_lines(buf, (size_t)n);
	return client_print_answer(&o, "quote", buf, len);
}
