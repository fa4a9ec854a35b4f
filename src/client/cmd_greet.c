/* cmd_greet.c — `sockit greet`: the tutorial's greeting client: print the
 * server's greeting, send a reply, wait for the server to close. */
#include <errno.h>
#include <getopt.h>
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

static void greet_help(FILE *out)
{
	fprintf(out,
"usage: sockit greet [OPTIONS] [ENDPOINT]\n"
"\n"
"The greeting client: connect, print the server's greeting (its first line,\n"
"or what it sent before going quiet), send the --reply text if given,\n"
"half-close and wait for the server to close the connection.  Anything the\n"
"server sends after the greeting is printed too.\n"
"\n"
"ENDPOINT defaults to tcp://127.0.0.1:12345 (sockit serve's greet); a\n"
"stream endpoint (tcp:// or unix:) is needed.\n"
"\n"
"options:\n"
"  --reply TEXT       send TEXT back to the server (sockit's greet server\n"
"                     logs it)\n"
"  -t, --timeout MS   wait at most MS per step (default 2000)\n"
"  -j, --json         print {\"endpoint\", \"greeting\", \"reply\"}\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 greeting received, 1 network failure or no greeting, 2 bad\n"
"usage.\n");
}

static int parse_args(int argc, char **argv, struct greet_args *a)
{
	static const struct option longopts[] = {
		{ "reply", required_argument, NULL, 'R' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof *a);
	a->o = (struct client_opts){ "tcp://127.0.0.1:12345", 2000, 0, false };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:jh", longopts, NULL)) != -1) {
		if (c == 'R')
			a->reply = optarg;
		else if (c == 't') {
			if (client_parse_int("greet", "timeout", optarg, 1, 3600000,
			                     &a->o.timeout_ms) < 0)
				return -1;
		} else if (c == 'j')
			a->o.json = true;
		else if (c == 'h')
			return greet_help(stdout), 1;
		else
			return bad_option("greet", c, argv), -1;
	}
	if (argc - optind > 1)
		return die(EXIT_USAGE, "greet: too many arguments (try --help)"), -1;
	if (optind < argc)
		a->o.endpoint = argv[optind];
	return 0;
}

/* Read the greeting: up to the first newline, or whatever came before
 * the server went quiet (the tutorial's server sends no newline). */
static ssize_t read_greeting(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t got = 0;
	int wait = timeout_ms;

	while (got < cap && !memchr(buf, '\n', got)) {
		int r = sk_wait_fd(fd, POLLIN, wait);
		if (r < 0)
			return -1;
		if (r == 0 && got > 0)
			break;
		if (r == 0)
			return errno = ETIMEDOUT, -1;
		ssize_t n = recv(fd, buf + got, cap - got, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (ssize_t)got;
		got += (size_t)n;
		wait = GREETING_QUIET_MS;
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
	printf("{\"endpoint\": ");
	json_string(stdout, a->o.endpoint, strlen(a->o.endpoint));
	printf(", \"greeting\": ");
	json_string(stdout, g, n);
	printf(", \"reply\": ");
	if (a->reply)
		json_string(stdout, a->reply, strlen(a->reply));
	else
		printf("null");
	printf("}\n");
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
	ssize_t n = client_read_all(fd, rest, cap, a->o.timeout_ms);
	return n < 0 && errno == ECONNRESET ? 0 : n;
}

int cmd_greet(int argc, char **argv)
{
	struct greet_args a;
	struct sk_endpoint ep;
	char buf[2 * GREETING_MAX];
	int status;

	int r = parse_args(argc, argv, &a);
	if (r != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	int fd = client_connect("greet", a.o.endpoint, &ep, true, a.o.timeout_ms, &status);
	if (fd < 0)
		return status;
	ssize_t n = read_greeting(fd, buf, GREETING_MAX, a.o.timeout_ms);
	if (n <= 0) {
		close(fd);
		return die(EXIT_NETWORK, "greet %s: %s", a.o.endpoint,
		           n == 0 ? "closed without a greeting" : strerror(errno));
	}
	ssize_t m = reply_and_drain(fd, &a, buf + n, sizeof buf - (size_t)n);
	int saved = errno;
	close(fd);
	print_result(&a, buf, (size_t)n + (m > 0 ? (size_t)m : 0));
	if (m < 0)
		return die(EXIT_NETWORK, "greet %s: %s", a.o.endpoint,
		           saved == EMSGSIZE ? "server kept sending" : strerror(saved));
	return EXIT_OK;
}
