/* cmd_time.c — `sockit time`: ask a time server (RFC 868) for the
 * seconds since 1900 and print them as a date. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "rfc868.h"
#include "client/svcclient.h"

static void time_help(FILE *out)
{
	fprintf(out,
"usage: sockit time [OPTIONS] [ENDPOINT]\n"
"\n"
"Ask a time server (RFC 868) for the time and print it as a UTC date,\n"
"2026-11-21T10:00:00Z.  The server answers with 4 bytes, the seconds since\n"
"1900-01-01 00:00 UTC in network byte order; values below 2208988800 are\n"
"read as after the 32-bit wrap of 2036.  Over TCP the server sends them and\n"
"closes; over UDP (udp://HOST:PORT) one empty datagram is sent and resent\n"
"on timeout.\n"
"\n"
"ENDPOINT defaults to tcp://127.0.0.1:7037 (sockit serve's time).\n"
"\n"
"options:\n"
"  -t, --timeout MS   wait at most MS per step (default 2000)\n"
"  -r, --retries N    UDP: resend up to N times (default 2)\n"
"  -j, --json         print {\"endpoint\", \"seconds_since_1900\", \"unix\",\n"
"                     \"utc\"}\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 time printed, 1 network failure or a reply that is not 4\n"
"bytes, 2 bad usage.\n");
}

int cmd_time(int argc, char **argv)
{
	struct client_opts o;
	unsigned char buf[64];
	char date[64];
	struct tm tm;
	int status;

	int r = client_parse_opts(argc, argv, "tcp://127.0.0.1:7037", &o, time_help);
	if (r != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	ssize_t n = client_fetch("time", &o, (char *)buf, sizeof buf, &status);
	if (n < 0)
		return status;
	if (n != 4)
		return die(EXIT_NETWORK, "time %s: reply of %zd bytes, want 4",
		           o.endpoint, n);
	int64_t t = rfc868_decode(buf);
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) ||
	    !strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return die(EXIT_NETWORK, "time %s: cannot format %" PRId64, o.endpoint, t);
	if (o.json) {
		printf("{\"endpoint\": ");
		json_string(stdout, o.endpoint, strlen(o.endpoint));
		printf(", \"seconds_since_1900\": %" PRIu32 ", \"unix\": %" PRId64
		       ", \"utc\": \"%s\"}\n", rfc868_seconds(tt), t, date);
	} else {
		printf("%s\n", date);
	}
	return EXIT_OK;
}
