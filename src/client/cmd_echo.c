/* cmd_echo.c — `sockit echo`: send a message, print exactly the echo. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "sockit/buf.h"
#include "sockit/error.h"
#include "sockit/io.h"
#include "sockit/loop.h"
#include "sockit/net.h"

#define DEFAULT_ENDPOINT "tcp://127.0.0.1:65432"
#define DGRAM_MAX 65507
#define CHUNK 65536

static const char echo_help[] =
"usage: sockit echo [OPTIONS] [ENDPOINT] [MESSAGE]\n"
"\n"
"Send MESSAGE (or, without it, everything on stdin) to an echo server and\n"
"print exactly what comes back.  Over a stream (tcp, unix) it exits as soon\n"
"as every byte it sent has come back, without waiting for the server to\n"
"close; stdin is streamed, so input of any size works.  Over a datagram\n"
"transport (udp, unixgram) the message is one datagram (at most 65507\n"
"bytes), resent on timeout.  ENDPOINT defaults to " DEFAULT_ENDPOINT ";\n"
"a single argument is the endpoint if it parses as one, else the message.\n"
"\n"
"options:\n"
"  -c, --count N      send the message N times, print round-trip times\n"
"                     and a summary instead of the echo\n"
"  -t, --timeout S    give up after S seconds without progress (default 5;\n"
"                     per try for datagrams, default 1)\n"
"  -r, --retries N    datagram resends before giving up (default 3)\n"
"      --json         with --count: print the summary as JSON\n"
"  -h, --help         this text\n"
"\n"
"exit status: 0 the whole echo came back; 1 network failure, short or\n"
"wrong echo; 2 bad usage.\n";

struct echo_args {
	struct sk_endpoint ep;
	const char *message;
	long long count;
	int timeout_ms;
	long long retries;
	bool json;
};

/* Receive what has arrived, writing it to out; returns bytes or -1/0. */
static ssize_t pump_reply(int fd, int out)
{
	char buf[CHUNK];
	ssize_t n;

	do
		n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n > 0 && sk_send_all(out, buf, (size_t)n, -1) < 0)
		return -1;
	return n;
}

/* Stream stdin to the server while printing the echo: both directions at
 * once, or a large input would fill both socket buffers and deadlock. */
static int stream_stdin(int fd, int timeout_ms)
{
	struct sk_buf pending = SK_BUF_INIT;
	unsigned long long sent = 0, got = 0;
	bool in_eof = false;
	int rc = -1;

	for (;;) {
		if (in_eof && sk_buf_len(&pending) == 0 && got >= sent) {
			rc = 0;
			break;
		}
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN | (sk_buf_len(&pending) ? POLLOUT : 0) },
			{ .fd = in_eof || sk_buf_len(&pending) >= CHUNK ? -1 : 0, .events = POLLIN },
		};
		int n = poll(p, 2, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n == 0 ? ETIMEDOUT : errno;
			die(EXIT_NETWORK, "echo: %s after %llu of %llu bytes came back",
			    strerror(errno), got, sent);
			break;
		}
		if (p[1].revents) {
			char *room = sk_buf_reserve(&pending, CHUNK);
			ssize_t r = room ? read(0, room, CHUNK) : -1;
			if (r < 0 && errno != EINTR && errno != EAGAIN) {
				die(EXIT_NETWORK, "echo: read stdin: %s", strerror(errno));
				break;
			}
			if (r == 0)
				in_eof = true;
			if (r > 0)
				sk_buf_commit(&pending, (size_t)r);
		}
		if (p[0].revents & POLLOUT) {
			ssize_t w = send(fd, sk_buf_head(&pending), sk_buf_len(&pending),
			                 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0 && errno != EAGAIN && errno != EINTR) {
				die(EXIT_NETWORK, "echo: send: %s", strerror(errno));
				break;
			}
			if (w > 0) {
				sk_buf_consume(&pending, (size_t)w);
				sent += (size_t)w;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = pump_reply(fd, 1);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				die(EXIT_NETWORK, "echo: %s after %llu of %llu bytes came back",
				    r == 0 ? "server closed" : strerror(errno), got, sent);
				break;
			}
			if (r > 0)
				got += (size_t)r;
		}
	}
	sk_buf_free(&pending);
	return rc;
}

/* One stream round trip of msg; the echo goes to out (or is compared).
 * Returns 0, or -1 after printing why. */
static int stream_once(int fd, const char *msg, size_t len, char *reply, int timeout_ms)
{
	if (sk_send_all(fd, msg, len, timeout_ms) < 0)
		return die(EXIT_NETWORK, "echo: send: %s", strerror(errno)), -1;
	ssize_t got = sk_recv_exact(fd, reply, len, timeout_ms);
	if (got < 0)
		return die(EXIT_NETWORK, "echo: receive: %s", strerror(errno)), -1;
	if ((size_t)got < len)
		return die(EXIT_NETWORK, "echo: server closed after %zd of %zu bytes",
		           got, len), -1;
	return 0;
}

/* One datagram round trip with resends; the reply length in *got. */
static int dgram_once(int fd, const struct echo_args *a, const char *msg,
                      size_t len, char *reply, size_t *got)
{
	for (long long try = 0; try <= a->retries; try++) {
		if (send(fd, msg, len, MSG_NOSIGNAL) < 0)
			return die(EXIT_NETWORK, "echo: send: %s", strerror(errno)), -1;
		int ready = sk_wait_fd(fd, POLLIN, a->timeout_ms);
		if (ready < 0)
			return die(EXIT_NETWORK, "echo: %s", strerror(errno)), -1;
		if (ready == 0)
			continue;
		ssize_t n = recv(fd, reply, DGRAM_MAX, 0);
		if (n < 0)
			return die(EXIT_NETWORK, "echo: receive: %s", strerror(errno)), -1;
		*got = (size_t)n;
		return 0;
	}
	return die(EXIT_NETWORK, "echo: no reply after %lld tries", a->retries + 1), -1;
}

struct rtt_stats {
	long long sent, received, wrong;
	double min, max, sum;
};

static void print_summary(const struct echo_args *a, const struct rtt_stats *s,
                          const char *shown)
{
	double avg = s->received ? s->sum / (double)s->received : 0;

	if (a->json)
		printf("{\"endpoint\":\"%s\",\"sent\":%lld,\"received\":%lld,"
		       "\"wrong\":%lld,\"rtt_ms\":{\"min\":%.3f,\"avg\":%.3f,"
		       "\"max\":%.3f}}\n", shown, s->sent, s->received, s->wrong,
		       s->min, avg, s->max);
	else
		printf("--- %s echo statistics ---\n%lld sent, %lld received, %lld wrong, "
		       "rtt min/avg/max = %.3f/%.3f/%.3f ms\n", shown, s->sent,
		       s->received, s->wrong, s->min, avg, s->max);
}

/* --count: N round trips, one line each, then the summary. */
static int run_count(int fd, const struct echo_args *a, const char *shown)
{
	size_t len = strlen(a->message);
	char *reply = malloc(len > DGRAM_MAX ? len : DGRAM_MAX);
	struct rtt_stats s = { .min = 1e18 };
	bool dgram = sk_endpoint_is_dgram(&a->ep);

	if (!reply)
		return die(EXIT_NETWORK, "echo: out of memory");
	for (long long i = 1; i <= a->count; i++) {
		size_t got = len;
		uint64_t t0 = sk_now_ns();
		s.sent++;
		int rc = dgram ? dgram_once(fd, a, a->message, len, reply, &got)
		               : stream_once(fd, a->message, len, reply, a->timeout_ms);
		if (rc < 0)
			break;
		double ms = (double)(sk_now_ns() - t0) / 1e6;
		bool ok = got == len && memcmp(reply, a->message, len) == 0;
		s.received++;
		s.wrong += !ok;
		s.sum += ms;
		s.min = ms < s.min ? ms : s.min;
		s.max = ms > s.max ? ms : s.max;
		if (!a->json)
			printf("%zu bytes from %s: seq=%lld time=%.3f ms%s\n", got, shown,
			       i, ms, ok ? "" : " (WRONG ECHO)");
	}
	if (s.received == 0)
		s.min = 0;
	print_summary(a, &s, shown);
	free(reply);
	return s.received == s.sent && s.wrong == 0 ? EXIT_OK : EXIT_NETWORK;
}

static int run_once(int fd, const struct echo_args *a)
{
	if (!a->message && !sk_endpoint_is_dgram(&a->ep))
		return stream_stdin(fd, a->timeout_ms) == 0 ? EXIT_OK : EXIT_NETWORK;

	char *stdin_msg = NULL;
	size_t len = 0;
	if (!a->message) {
		stdin_msg = malloc(DGRAM_MAX + 1);
		ssize_t n = stdin_msg ? sk_recv_exact(0, stdin_msg, DGRAM_MAX + 1, -1) : -1;
		if (n < 0 || n > DGRAM_MAX) {
			free(stdin_msg);
			return die(n < 0 ? EXIT_NETWORK : EXIT_USAGE,
			           "echo: stdin: %s", n < 0 ? strerror(errno) :
			           "more than one datagram (65507 bytes)");
		}
		len = (size_t)n;
	} else {
		len = strlen(a->message);
	}
	const char *msg = a->message ? a->message : stdin_msg;
	char *reply = malloc(len > DGRAM_MAX ? len : DGRAM_MAX);
	size_t got = len;
	int rc = !reply ? -1 : sk_endpoint_is_dgram(&a->ep)
		? dgram_once(fd, a, msg, len, reply, &got)
		: stream_once(fd, msg, len, reply, a->timeout_ms);
	if (rc == 0 && sk_send_all(1, reply, got, -1) < 0) {
		die(EXIT_NETWORK, "echo: write stdout: %s", strerror(errno));
		rc = -1;
	}
	free(reply);
	free(stdin_msg);
	return rc == 0 ? EXIT_OK : EXIT_NETWORK;
}

static const struct option echo_options[] = {
	{ "count", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, 't' },
	{ "retries", required_argument, NULL, 'r' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_args(struct echo_args *a, int argc, char **argv)
{
	char err[SK_ERRLEN];
	long long v;
	int c, timeout_s = -1;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:t:r:h", echo_options, NULL)) != -1) {
		switch (c) {
		case 'h': fputs(echo_help, stdout); return -2;
		case 'j': a->json = true; break;
		case 'c': case 't': case 'r':
			if (sk_parse_num(optarg, c == 'r' ? 0 : 1, c == 'c' ? 1000000 : 3600,
			                 &v, c == 'c' ? "count" : c == 't' ? "timeout" : "retries",
			                 err, sizeof err) < 0)
				return die(EXIT_USAGE, "echo: %s", err);
			if (c == 'c') a->count = v;
			else if (c == 't') timeout_s = (int)v;
			else a->retries = v;
			break;
		default: return bad_option("echo", c, argv);
		}
	}
	argc -= optind, argv += optind;
	if (argc > 2)
		return die(EXIT_USAGE, "echo: too many arguments (see sockit echo --help)");
	const char *ep = DEFAULT_ENDPOINT;
	if (argc == 2 || (argc == 1 && sk_endpoint_parse(&a->ep, argv[0], NULL, 0) == 0))
		ep = argv[0], argv++, argc--;
	if (sk_endpoint_parse(&a->ep, ep, err, sizeof err) < 0)
		return die(EXIT_USAGE, "echo: %s", err);
	a->message = argc == 1 ? argv[0] : NULL;
	if (a->count && !a->message)
		return die(EXIT_USAGE, "echo: --count needs a MESSAGE argument");
	a->timeout_ms = 1000 * (timeout_s > 0 ? timeout_s : sk_endpoint_is_dgram(&a->ep) ? 1 : 5);
	return 0;
}

int cmd_echo(int argc, char **argv)
{
	struct echo_args a = { .retries = 3 };
	char err[SK_ERRLEN], shown[SK_ADDRSTRLEN];

	int rc = parse_args(&a, argc, argv);
	if (rc != 0)
		return rc == -2 ? EXIT_OK : rc;
	int fd = sk_connect(&a.ep, a.timeout_ms, err, sizeof err);
	if (fd < 0)
		return die(EXIT_NETWORK, "%s", err);
	sk_endpoint_format(&a.ep, shown, sizeof shown);
	rc = a.count ? run_count(fd, &a, shown) : run_once(fd, &a);
	close(fd);
	return rc;
}
