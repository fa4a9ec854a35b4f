/* fetch.c — `sockit daytime`, `sockit qotd`, `sockit time`: the clients of
 * the "answer on connect" services, one table row per service. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/svcclient.h"
#include "commands.h"
#include "rfc868.h"

/* One service a fetch client asks.  answer() turns the raw reply (n bytes
 * in buf, which it may rewrite) into output and returns the exit status. */
struct fetch_kind {
	const char *name;             /* subcommand, and the error prefix */
	const char *defep;            /* sockit serve's default endpoint */
	size_t cap;                   /* longest reply accepted */
	const char *help;
	int (*answer)(const struct client_opts *o, char *buf, size_t n);
};

/* The option lines every fetch client shares, and the lines after its
 * own --json one. */
#define FETCH_OPTIONS \
"  -t, --timeout DUR  the idle timer: wait at most DUR per step (default 2s)\n" \
"  -w, --deadline DUR give up after DUR in all (default 30s)\n" \
"      --retries N    UDP: resend up to N times (default 2)\n" \
"  -v, --verbose      say on stderr where it connected, from where, and\n" \
"                     how long the answer took\n"
#define FETCH_HELP_END \
"  -h, --help         this text\n" \
"\n" \
CLI_HELP_DUR \
"\n"

static const char daytime_help[] =
"usage: sockit daytime [OPTIONS] [ENDPOINT]\n"
"\n"
"Ask a daytime server (RFC 867) for the date and time and print its line.\n"
"Over TCP the server sends one line and closes; over UDP (udp://HOST:PORT)\n"
"one empty datagram is sent and resent on timeout.\n"
"\n"
"ENDPOINT defaults to tcp://127.0.0.1:7013 (sockit serve's daytime);\n"
"HOST:PORT means tcp.\n"
"\n"
"options:\n"
FETCH_OPTIONS
"  -j, --json         print {\"endpoint\": ..., \"daytime\": ...}\n"
FETCH_HELP_END
"examples:\n"
"  sockit daytime\n"
"  sockit daytime udp://127.0.0.1:7013\n"
"  sockit daytime --json -t 500ms 127.0.0.1:7013\n"
"\n"
"Exit status: 0 answer printed, 1 network failure or no answer, 2 bad usage.\n";

static const char qotd_help[] =
"usage: sockit qotd [OPTIONS] [ENDPOINT]\n"
"\n"
"Ask a quote-of-the-day server (RFC 865) for a quote and print it.  Over\n"
"TCP the server sends the quote and closes; over UDP (udp://HOST:PORT) one\n"
"empty datagram is sent and resent on timeout.  Quotes are under 512 bytes;\n"
"a longer answer is refused.\n"
"\n"
"ENDPOINT defaults to tcp://127.0.0.1:7017 (sockit serve's qotd);\n"
"HOST:PORT means tcp.\n"
"\n"
"options:\n"
FETCH_OPTIONS
"  -j, --json         print {\"endpoint\": ..., \"quote\": ...}\n"
FETCH_HELP_END
"examples:\n"
"  sockit qotd\n"
"  sockit qotd udp://127.0.0.1:7017\n"
"  sockit qotd --json 127.0.0.1:7017\n"
"\n"
"Exit status: 0 quote printed, 1 network failure or no answer, 2 bad usage.\n";

static const char time_help[] =
"usage: sockit time [OPTIONS] [ENDPOINT]\n"
"\n"
"Ask a time server (RFC 868) for the time and print it as a UTC date,\n"
"2026-11-21T10:00:00Z.  The server answers with 4 bytes, the seconds since\n"
"1900-01-01 00:00 UTC in network byte order; values below 2208988800 are\n"
"read as after the 32-bit wrap of 2036.  Over TCP the server sends them and\n"
"closes; over UDP (udp://HOST:PORT) one empty datagram is sent and resent\n"
"on timeout.\n"
"\n"
"ENDPOINT defaults to tcp://127.0.0.1:7037 (sockit serve's time);\n"
"HOST:PORT means tcp.\n"
"\n"
"options:\n"
FETCH_OPTIONS
"  -j, --json         print {\"endpoint\", \"seconds_since_1900\", \"unix\",\n"
"                     \"utc\"}\n"
FETCH_HELP_END
"examples:\n"
"  sockit time\n"
"  sockit time udp://127.0.0.1:7037\n"
"  sockit time --json 127.0.0.1:7037\n"
"\n"
"Exit status: 0 time printed, 1 network failure or a reply that is not 4\n"
"bytes, 2 bad usage.\n";

/* daytime: the line without its CRLF. */
static int daytime_answer(const struct client_opts *o, char *buf, size_t n)
{
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	return client_print_answer(o, "daytime", buf, n);
}

/* qotd: CRLF line ends as plain newlines, the trailing one dropped. */
static int qotd_answer(const struct client_opts *o, char *buf, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		if (!(buf[i] == '\r' && i + 1 < n && buf[i + 1] == '\n'))
			buf[len++] = buf[i];
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	return client_print_answer(o, "quote", buf, len);
}

/* time: exactly 4 bytes, printed as a UTC date (or the three numbers). */
static int time_answer(const struct client_opts *o, char *buf, size_t n)
{
	char date[64];
	struct tm tm;

	if (n != 4)
		return cli_fail(EXIT_NETWORK, "%s: reply of %zu bytes, want 4",
		           o->endpoint, n);
	int64_t t = rfc868_decode((const unsigned char *)buf);
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) ||
	    !strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return cli_fail(EXIT_NETWORK, "%s: cannot format %" PRId64, o->endpoint, t);
	if (!o->json) {
		printf("%s\n", date);
		return EXIT_OK;
	}
	struct json j;
	json_start(&j, stdout);
	json_object(&j);
	json_kv_str(&j, "endpoint", o->endpoint);
	json_kv_uint(&j, "seconds_since_1900", rfc868_seconds(tt));
	json_kv_int(&j, "unix", t);
	json_kv_str(&j, "utc", date);
	json_end(&j);
	json_newline(&j);
	return EXIT_OK;
}

static const struct fetch_kind fetch_daytime = {
	"daytime", "tcp://127.0.0.1:7013", 1024, daytime_help, daytime_answer,
};
static const struct fetch_kind fetch_qotd = {
	"qotd", "tcp://127.0.0.1:7017", 4096, qotd_help, qotd_answer,
};
static const struct fetch_kind fetch_time = {
	"time", "tcp://127.0.0.1:7037", 64, time_help, time_answer,
};

/* The options of every fetch client, parsed into o: CLI_RUN to go on, or
 * the exit status to return at once (EXIT_OK after --help, EXIT_USAGE).
 * The only place that knows the command line.  The one positional is the
 * ENDPOINT (these clients send no message), HOST:PORT allowed. */
static int fetch_parse(const struct fetch_kind *k, int argc, char **argv,
                       struct client_opts *o)
{
	*o = (struct client_opts){ .endpoint = k->defep, .timeout_ms = 2000,
	                           .deadline_ms = 30000, .retries = 2 };
	const struct cli_option opts[] = {
		CLIENT_OPTIONS(o),
		CLI_NUM(CLI_LONG(9), "retries", &o->retries, 0, 100),
		CLI_END,
	};
	const struct cli_command cmd = { k->name, k->help, opts, 0 };
	int first, rc = cli_parse(&cmd, argc, argv, o, &first);

	if (rc != CLI_RUN)
		return rc;
	if (argc - first > 1)
		return cli_usage(k->name, "too many arguments");
	if (argc - first == 1)
		o->endpoint = argv[first];
	client_start_deadline(o);
	return CLI_RUN;
}

/* Run fetch client k: parse, fetch one reply, print it. */
static int fetch_run(const struct fetch_kind *k, int argc, char **argv)
{
	struct client_opts o;
	char buf[4096];
	int status;

	status = fetch_parse(k, argc, argv, &o);
	if (status != CLI_RUN)
		return status;
	size_t cap = k->cap < sizeof buf ? k->cap : sizeof buf;
	ssize_t n = client_fetch(k->name, &o, buf, cap, &status);
	if (n < 0)
		return status;
	return k->answer(&o, buf, (size_t)n);
}

int cmd_daytime(int argc, char **argv) { return fetch_run(&fetch_daytime, argc, argv); }
int cmd_qotd(int argc, char **argv)    { return fetch_run(&fetch_qotd, argc, argv); }
int cmd_time(int argc, char **argv)    { return fetch_run(&fetch_time, argc, argv); }
