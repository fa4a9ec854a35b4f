/* cmd_greet.c — `sockit greet`: the tutorial's greeting client: print the
 * server's greeting, send a reply, wait for the server to close. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "commands.h"
#include "sockit/io.h"
#include "sockit/net.h"
#include "client/svcclient.h"

#define GREETING_MAX 4096
/* After the first bytes of a greeting that has no newline, wait this long
 * for more before taking what came as the whole greeting. */
#define GREETING_QUIET_MS 200

struct greet_args {
	struct client_opts o;
	const char *reply;      /* NULL: send nothing */
};

static const char greet_help[] =
"usage: sockit greet [OPTIONS] [REPLY]\n"
"       sockit greet [OPTIONS] ENDPOINT [REPLY]\n"
"\n"
"The greeting client: connect, print the server's greeting (its first line,\n"
"or what it sent before going quiet), send the REPLY text if given,\n"
"half-close and wait for the server to close the connection.  Anything the\n"
"server sends after the greeting is printed too.\n"
"\n"
"ENDPOINT defaults to tcp://127.0.0.1:12345 (sockit serve's greet); a\n"
"stream endpoint (tcp:// or unix:) is needed.  One argument is the REPLY\n"
"unless it is written with a scheme (tcp://, unix:); with two, the first\n"
"is the ENDPOINT, where HOST:PORT means tcp.\n"
"\n"
"options:\n"
"  --reply TEXT        send TEXT back to the server (the same as REPLY;\n"
"                      sockit's greet server logs it)\n"
"  -t, --timeout DUR   the idle timer: wait at most DUR per step (default 2s)\n"
"  -w, --deadline DUR  give up after DUR in all (default 30s)\n"
"  -j, --json          print {\"endpoint\", \"greeting\", \"reply\"}\n"
CLIENT_VERBOSE_HELP
"  -h, --help          this text\n"
"\n"
CLI_HELP_DUR
"\n"
"examples:\n"
"  sockit greet\n"
"  sockit greet tcp://127.0.0.1:12345 'terima kasih'\n"
"  sockit greet --json -w 5s 127.0.0.1:12345 thanks\n"
"\n"
"Exit status: 0 greeting received, 1 network failure, deadline or no\n"
"greeting, 2 bad usage.\n";

static int parse_args(int argc, char **argv, struct greet_args *a)
{
	memset(a, 0, sizeof *a);
	a->o = (struct client_opts){ .endpoint = "tcp://127.0.0.1:12345",
	                             .timeout_ms = 2000, .deadline_ms = 30000 };
	const struct cli_option opts[] = {
		CLIENT_OPTIONS(&a->o),
		CLI_STR(CLI_LONG(0), "reply", &a->reply),
		CLI_END,
	};
	const struct cli_command cmd = { "greet", greet_help, opts, 0 };
	int first, rc = cli_parse(&cmd, argc, argv, a, &first);

	if (rc != CLI_RUN)
		return rc;
	rc = cli_endpoint_message("greet", argc - first, argv + first, &a->o.endpoint,
	                          &a->reply);
	client_start_deadline(&a->o);
	return rc;
}

/* Read the greeting: up to the first newline, or whatever came before
 * the server went quiet (the tutorial's server sends no newline). */
static ssize_t read_greeting(int fd, char *buf, size_t cap, const struct client_opts *o)
{
	struct client_opts quiet = *o;
	size_t got = 0;

	while (got < cap && !memchr(buf, '\n', got)) {
		int r = client_wait(got ? &quiet : o, fd, POLLIN);
		if (r < 0 || (r == 0 && errno == ETIME))
			return -1;
		if (r == 0 && got > 0)
			break;
		if (r == 0)
			return -1;
		ssize_t n = recv(fd, buf + got, cap - got, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (ssize_t)got;
		got += (size_t)n;
		quiet.timeout_ms = GREETING_QUIET_MS;
	}
	return (ssize_t)got;
}

static void print_result(const struct greet_args *a, const char *g, size_t n)
{
	if (!a->o.json) {
		fwrite(g, 1, n, stdout);
		if (n == 0 || g[n - 1] != '\n')
			putchar('\n');
		return;
	}
	while (n > 0 && (g[n - 1] == '\n' || g[n - 1] == '\r'))
		n--;
	struct json j;
	json_start(&j, stdout);
	json_object(&j);
	json_kv_str(&j, "endpoint", a->o.endpoint);
	json_kv_strn(&j, "greeting", g, n);
	json_kv_str(&j, "reply", a->reply);
	json_end(&j);
	json_newline(&j);
}

/* Send the reply, half-close, and read to EOF so the server has logged
 * the reply before we exit; returns bytes that followed the greeting. */
static ssize_t reply_and_drain(int fd, const struct greet_args *a, char *rest,
                               size_t cap)
{
	if (a->reply && sk_send_all(fd, a->reply, strlen(a->reply),
	                            a->o.timeout_ms) < 0)
		return -1;
	if (shutdown(fd, SHUT_WR) < 0 && errno != ENOTCONN)
		return -1;
	ssize_t n = client_read_all_opts(fd, rest, cap, &a->o);
	return n < 0 && errno == ECONNRESET ? 0 : n;
}

int cmd_greet(int argc, char **argv)
{
	struct greet_args a;
	struct sk_endpoint ep;
	char buf[2 * GREETING_MAX];
	int status;

	int r = parse_args(argc, argv, &a);
	if (r != CLI_RUN)
		return r;
	int fd = client_connect("greet", &a.o, &ep, true, &status);
	if (fd < 0)
		return status;
	char why[128];
	ssize_t n = read_greeting(fd, buf, GREETING_MAX, &a.o);
	if (n <= 0) {
		int e = errno;
		close(fd);
		return cli_fail(EXIT_NETWORK, "%s: %s", a.o.endpoint,
		                n == 0 ? "closed without a greeting"
		                : client_wait_error(&a.o, e, why, sizeof why));
	}
	ssize_t m = reply_and_drain(fd, &a, buf + n, sizeof buf - (size_t)n);
	int saved = errno;
	close(fd);
	print_result(&a, buf, (size_t)n + (m > 0 ? (size_t)m : 0));
	if (m >= 0) {
		char what[64];
		snprintf(what, sizeof what, "greeting of %zd bytes%s", n,
		         a.reply ? ", reply sent" : "");
		client_say_done("greet", &a.o, what);
	}
	if (m < 0)
		return cli_fail(EXIT_NETWORK, "%s: %s", a.o.endpoint,
		                saved == EMSGSIZE ? "server kept sending"
		                : client_wait_error(&a.o, saved, why, sizeof why));
	return EXIT_OK;
}
