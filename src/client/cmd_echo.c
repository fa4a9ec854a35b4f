/* cmd_echo.c — `sockit echo`: send a message, print exactly the echo, and
 * check it byte for byte. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/json.h"
#include "client/svcclient.h"
#include "commands.h"
#include "sockit/buf.h"
#include "sockit/error.h"
#include "sockit/io.h"
#include "sockit/loop.h"
#include "sockit/net.h"
#include "sockit/pump.h"

#define DEFAULT_ENDPOINT "tcp://127.0.0.1:65432"
#define DGRAM_MAX 65507
#define CHUNK 65536

static const char echo_help[] =
"usage: sockit echo [OPTIONS] [MESSAGE]\n"
"       sockit echo [OPTIONS] ENDPOINT [MESSAGE]\n"
"\n"
"Send MESSAGE (or, without it, everything on stdin) to an echo server,\n"
"print exactly what comes back and check it byte for byte.  Over a stream\n"
"(tcp, unix) it exits as soon as every byte it sent has come back, without\n"
"waiting for the server to close; stdin is streamed, so input of any size\n"
"works.  Over a datagram transport (udp, unixgram) the message is one\n"
"datagram (at most 65507 bytes), resent on timeout.  ENDPOINT defaults to\n"
DEFAULT_ENDPOINT ".  One argument is the MESSAGE, unless it is written\n"
"with a scheme (tcp://, udp://, unix:, unixgram:); with two, the first is\n"
"the ENDPOINT, where HOST:PORT means tcp.\n"
"\n"
"options:\n"
"  -c, --count N        send the message N times, print one line per reply\n"
"                       and a summary (like ping); Ctrl-C ends early and\n"
"                       still prints the summary\n"
"  -i, --interval DUR   with --count: wait DUR between sends (default 0)\n"
"  -t, --timeout DUR    give up after DUR without progress (default 5s;\n"
"                       per try for datagrams, default 1s)\n"
"  -w, --deadline DUR   give up after DUR in all, whatever the progress\n"
"                       (default none); with --count, stop and summarise\n"
"      --retries N      datagram resends before giving up (default 3)\n"
"  -j, --json           with --count: one JSON line per reply, then the\n"
"                       summary as one JSON line\n"
"  -q, --quiet          print no echo (--count: only the summary); the exit\n"
"                       status says whether it matched\n"
"  -v, --verbose        say on stderr where it connected and what came back\n"
"  -h, --help           this text\n"
"\n"
CLI_HELP_DUR
"\n"
"examples:\n"
"  sockit echo tcp://127.0.0.1:65432 hello\n"
"  printf 'one\\ntwo\\n' | sockit echo 127.0.0.1:65432\n"
"  sockit echo --count 3 --interval 200ms udp://127.0.0.1:65432 ping\n"
"\n"
"exit status: 0 the whole echo came back unchanged (--count: every reply,\n"
"or at least one after Ctrl-C); 1 network failure, deadline, or a short,\n"
"long or different echo (which, on stderr); 2 bad usage.\n";

struct echo_args {
	struct sk_endpoint ep;
	const char *endpoint;
	const char *message;
	long long count;
	int timeout_ms;          /* -t: the idle timer, per wait */
	int deadline_ms;         /* -w: the whole run; 0 none */
	int interval_ms;
	long long retries;
	bool json, quiet;
	int verbose;
	uint64_t deadline_ns;    /* sk_now_ns() at which -w passes; 0 none */
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

enum wait_result { WAIT_READY = 1, WAIT_IDLE = 0, WAIT_ERROR = -1,
                   WAIT_DEADLINE = -2, WAIT_INTERRUPTED = -3 };

/* Wait up to ms (the idle timer) for events on fd, or only sleep when fd
 * is -1, never past the deadline; a SIGINT ends the wait. */
static enum wait_result wait_for(const struct echo_args *a, int fd, short events, int ms)
{
	for (;;) {
		bool by_deadline;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, fd >= 0 ? 1 : 0, sk_wait_ms(a->deadline_ns, ms, &by_deadline));
		if (interrupted)
			return WAIT_INTERRUPTED;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return WAIT_ERROR;
		if (n > 0 || fd < 0)
			return n > 0 || !by_deadline ? WAIT_READY : WAIT_DEADLINE;
		return by_deadline ? WAIT_DEADLINE : WAIT_IDLE;
	}
}

/* Say why a wait ended early; returns -1, or -2 for "stop quietly" (the
 * deadline or Ctrl-C in --count, which then summarises). */
static int wait_failed(const struct echo_args *a, enum wait_result w, const char *step)
{
	if (a->count && (w == WAIT_DEADLINE || w == WAIT_INTERRUPTED))
		return -2;
	char why[SK_ERRLEN];
	if (w == WAIT_DEADLINE) {
		sk_seterr_deadline(why, sizeof why, (uint64_t)a->deadline_ms, "%s (-w)", step);
		return cli_error("%s", why);
	}
	if (w == WAIT_INTERRUPTED)
		return cli_error("interrupted");
	if (w == WAIT_IDLE) {
		sk_seterr_deadline(why, sizeof why, (uint64_t)a->timeout_ms, "%s (-t)", step);
		return cli_error("%s", why);
	}
	return cli_error("%s: %s", step, strerror(errno));
}

/* Compare an echo with what was sent: 0 when equal, else -1 after saying
 * how it differs (short, long, or the first differing byte). */
static int compare_echo(const char *sent, size_t len, const char *got, size_t n)
{
	size_t common = n < len ? n : len;
	const char *d = NULL;

	for (size_t i = 0; i < common && !d; i++)
		if (sent[i] != got[i])
			d = got + i;
	if (d)
		return cli_error("wrong echo: byte %zu differs (sent 0x%02x, got "
		                 "0x%02x)", (size_t)(d - got),
		                 (unsigned char)sent[d - got], (unsigned char)*d);
	if (n < len)
		return cli_error("short echo: %zu of %zu bytes came back", n, len);
	if (n > len)
		return cli_error("long echo: %zu bytes came back for %zu sent", n, len);
	return 0;
}

/* --- stdin over a stream, through sk_pump ------------------------------- */

/* What was sent and has not come back yet, to compare the echo with. */
struct stream_check {
	struct sk_buf unacked;
	bool quiet;
	bool wrong;
	uint64_t offset;          /* bytes of echo checked so far */
};

static int check_input(struct sk_pump *p, const char *data, size_t n)
{
	struct stream_check *c = p->ctx;

	if (n == 0)
		return 0;
	if (sk_pump_send(p, data, n) < 0 || sk_buf_append(&c->unacked, data, n) < 0)
		return -1;
	return 0;
}

/* The echo goes to stdout as it arrives and is compared with what went
 * out; the server closing first is an error (it owes us the rest). */
static int check_recv(struct sk_pump *p, const char *data, size_t n)
{
	struct stream_check *c = p->ctx;
	size_t owed = sk_buf_len(&c->unacked);

	if (n == 0) {
		errno = EPIPE;
		return -1;
	}
	size_t cmp = n < owed ? n : owed;
	for (size_t i = 0; i < cmp; i++) {
		if (sk_buf_head(&c->unacked)[i] != data[i]) {
			cli_error("wrong echo: byte %llu differs (sent 0x%02x, got 0x%02x)",
			          (unsigned long long)(c->offset + i),
			          (unsigned char)sk_buf_head(&c->unacked)[i], (unsigned char)data[i]);
			c->wrong = true;
			errno = EBADMSG;
			return -1;
		}
	}
	if (n > owed) {
		cli_error("long echo: more bytes came back than were sent (%llu)",
		          (unsigned long long)p->sent);
		c->wrong = true;
		errno = EBADMSG;
		return -1;
	}
	sk_buf_consume(&c->unacked, cmp);
	c->offset += cmp;
	if (!c->quiet && sk_send_all(STDOUT_FILENO, data, n, -1) < 0)
		return -1;
	return 0;
}

/* Done when stdin ended, all of it went out and all of it came back. */
static bool echo_done(struct sk_pump *p)
{
	return p->in_eof && sk_buf_len(&p->queue) == 0 && p->received >= p->sent;
}

/* Stream stdin to the server while printing the echo: both directions at
 * once (sk_pump), or a large input would fill both socket buffers and
 * deadlock. */
static int stream_stdin(int fd, const struct echo_args *a)
{
	static const struct sk_pump_ops ops = { .input = check_input,
		.recv = check_recv, .done = echo_done };
	struct stream_check c = { .unacked = SK_BUF_INIT, .quiet = a->quiet };
	struct sk_pump p;

	sk_pump_init(&p, STDIN_FILENO, fd, STDOUT_FILENO);
	p.ops = &ops;
	p.ctx = &c;
	p.idle_ms = a->timeout_ms;
	if (a->deadline_ns) {
		uint64_t now = sk_now_ns();
		p.deadline_ms = now >= a->deadline_ns ? 0
		                : (int)((a->deadline_ns - now + 999999) / 1000000);
	}
	p.window = CHUNK;
	int rc = sk_pump_run(&p);
	bool deadline = rc < 0 && errno == ETIMEDOUT && strcmp(p.failed, "deadline") == 0;
	if (rc < 0 && c.wrong)
		;   /* already said */
	else if (rc < 0 && p.sock_eof)
		cli_error("server closed after %llu of %llu bytes came back",
		          (unsigned long long)p.received, (unsigned long long)p.sent);
	else if (rc < 0 && errno == ETIMEDOUT) {
		char why[SK_ERRLEN];
		sk_seterr_deadline(why, sizeof why,
		                   (uint64_t)(deadline ? a->deadline_ms : a->timeout_ms),
		                   "%llu of %llu bytes came back %s",
		                   (unsigned long long)p.received, (unsigned long long)p.sent,
		                   deadline ? "(-w)" : "(-t)");
		cli_error("%s", why);
	}
	else if (rc < 0)
		cli_error("%s: %s", p.failed, strerror(errno));
	if (rc == 0 && a->verbose)
		fprintf(stderr, "sockit echo: %llu bytes sent, %llu came back unchanged\n",
		        (unsigned long long)p.sent, (unsigned long long)p.received);
	sk_pump_free(&p);
	sk_buf_free(&c.unacked);
	return rc;
}

/* --- one message -------------------------------------------------------- */

/* One stream round trip of msg: the len bytes of echo in reply, *got of
 * them; bytes beyond len already waiting count as a long echo.  Returns
 * 0, -1 after printing why, or -2 (stop quietly, see wait_failed). */
static int stream_once(int fd, const struct echo_args *a, const char *msg,
                       size_t len, char *reply, size_t *got)
{
	if (sk_send_all(fd, msg, len, a->timeout_ms) < 0)
		return cli_error("send: %s", strerror(errno));
	*got = 0;
	while (*got < len) {
		enum wait_result w = wait_for(a, fd, POLLIN, a->timeout_ms);
		if (w == WAIT_IDLE) {
			char why[SK_ERRLEN];
			sk_seterr_deadline(why, sizeof why, (uint64_t)a->timeout_ms,
			                   "short echo: %zu of %zu bytes came back, then "
			                   "nothing (-t)", *got, len);
			return cli_error("%s", why);
		}
		if (w != WAIT_READY)
			return wait_failed(a, w, "receive");
		ssize_t n = recv(fd, reply + *got, len - *got, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return cli_error("receive: %s", strerror(errno));
		if (n == 0)
			return cli_error("server closed after %zu of %zu bytes", *got, len);
		*got += (size_t)n;
	}
	char extra;
	if (recv(fd, &extra, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
		*got = len + 1;   /* more than was sent: compare_echo says "long" */
	return 0;
}

/* One datagram round trip with resends; the reply length in *got. */
static int dgram_once(int fd, const struct echo_args *a, const char *msg,
                      size_t len, char *reply, size_t *got)
{
	for (long long try = 0; try <= a->retries; try++) {
		if (send(fd, msg, len, MSG_NOSIGNAL) < 0)
			return cli_error("send: %s", strerror(errno));
		enum wait_result w = wait_for(a, fd, POLLIN, a->timeout_ms);
		if (w == WAIT_IDLE)
			continue;
		if (w != WAIT_READY)
			return wait_failed(a, w, "receive");
		ssize_t n = recv(fd, reply, DGRAM_MAX, 0);
		if (n < 0)
			return cli_error("receive: %s", strerror(errno));
		*got = (size_t)n;
		return 0;
	}
	char why[SK_ERRLEN];
	sk_seterr_deadline(why, sizeof why, (uint64_t)a->timeout_ms,
	                   "no reply after %lld tries (-t, each)", a->retries + 1);
	return cli_error("%s", why);
}

static int round_trip(int fd, const struct echo_args *a, const char *msg,
                      size_t len, char *reply, size_t *got)
{
	return sk_endpoint_is_dgram(&a->ep) ? dgram_once(fd, a, msg, len, reply, got)
	                                    : stream_once(fd, a, msg, len, reply, got);
}

/* --- --count ------------------------------------------------------------ */

struct rtt_stats {
	long long sent, received, wrong;
	double min, max, sum;
};

static void print_summary(const struct echo_args *a, const struct rtt_stats *s,
                          const char *shown)
{
	double avg = s->received ? s->sum / (double)s->received : 0;

	if (a->json) {
		struct json j;
		json_start(&j, stdout);
		json_object(&j);
		json_kv_str(&j, "endpoint", shown);
		json_kv_int(&j, "sent", s->sent);
		json_kv_int(&j, "received", s->received);
		json_kv_int(&j, "wrong", s->wrong);
		json_kv_bool(&j, "interrupted", interrupted);
		json_key(&j, "rtt_ms");
		json_object(&j);
		json_kv_double(&j, "min", s->min, 3);
		json_kv_double(&j, "avg", avg, 3);
		json_kv_double(&j, "max", s->max, 3);
		json_end(&j);
		json_end(&j);
		json_newline(&j);
	} else {
		printf("--- %s echo statistics ---\n%lld sent, %lld received, %lld wrong, "
		       "rtt min/avg/max = %.3f/%.3f/%.3f ms\n", shown, s->sent,
		       s->received, s->wrong, s->min, avg, s->max);
	}
	fflush(stdout);
}

static void print_reply(const struct echo_args *a, const char *shown, long long seq,
                        size_t got, double ms, bool ok)
{
	if (a->quiet)
		return;
	if (a->json) {
		struct json j;
		json_start(&j, stdout);
		json_object(&j);
		json_kv_int(&j, "seq", seq);
		json_kv_uint(&j, "bytes", got);
		json_kv_double(&j, "time_ms", ms, 3);
		json_kv_bool(&j, "ok", ok);
		json_end(&j);
		json_newline(&j);
	} else {
		printf("%zu bytes from %s: seq=%lld time=%.3f ms%s\n", got, shown,
		       seq, ms, ok ? "" : " (WRONG ECHO)");
	}
	fflush(stdout);
}

static void add_rtt(struct rtt_stats *s, double ms, bool ok)
{
	s->received++;
	s->wrong += !ok;
	s->sum += ms;
	s->min = ms < s->min ? ms : s->min;
	s->max = ms > s->max ? ms : s->max;
}

/* --count: N round trips, one line each, then the summary.  Ctrl-C (and
 * the deadline) end the run early and still summarise, like ping: exit 0
 * after Ctrl-C when anything came back and nothing was wrong. */
static int run_count(int fd, const struct echo_args *a, const char *shown)
{
	size_t len = strlen(a->message);
	char *reply = malloc(len + 1 > DGRAM_MAX ? len + 1 : DGRAM_MAX);
	struct rtt_stats s = { .min = 1e18 };
	struct sigaction sa = { .sa_handler = on_sigint };   /* no SA_RESTART */
	int rc = 0;

	if (!reply)
		return cli_fail(EXIT_NETWORK, "out of memory");
	sigaction(SIGINT, &sa, NULL);
	for (long long i = 1; i <= a->count && !interrupted && rc == 0; i++) {
		if (i > 1 && a->interval_ms > 0) {
			enum wait_result w = wait_for(a, -1, 0, a->interval_ms);
			if (w != WAIT_READY)
				break;
		}
		size_t got = len;
		uint64_t t0 = sk_now_ns();
		s.sent++;
		rc = round_trip(fd, a, a->message, len, reply, &got);
		if (rc < 0) {
			s.sent -= rc == -2;   /* cut short by Ctrl-C/deadline: not lost */
			break;
		}
		double ms = (double)(sk_now_ns() - t0) / 1e6;
		bool ok = got == len && memcmp(reply, a->message, len) == 0;
		add_rtt(&s, ms, ok);
		print_reply(a, shown, i, got > len && !sk_endpoint_is_dgram(&a->ep) ? len : got,
		            ms, ok);
	}
	if (s.received == 0)
		s.min = 0;
	print_summary(a, &s, shown);
	free(reply);
	signal(SIGINT, SIG_DFL);
	if (interrupted)
		return s.received > 0 && s.wrong == 0 ? EXIT_OK : EXIT_NETWORK;
	return s.received == a->count && s.wrong == 0 ? EXIT_OK : EXIT_NETWORK;
}

/* One datagram's worth of stdin, for a datagram endpoint. */
static int read_stdin_datagram(char **msg, size_t *len)
{
	*msg = malloc(DGRAM_MAX + 1);
	ssize_t n = *msg ? sk_recv_exact(STDIN_FILENO, *msg, DGRAM_MAX + 1, -1) : -1;

	if (n < 0 || n > DGRAM_MAX) {
		free(*msg);
		*msg = NULL;
		if (n >= 0)
			return cli_sub_fail(EXIT_USAGE, "echo", "stdin: more than one "
			                    "datagram (65507 bytes)");
		return cli_fail(EXIT_NETWORK, "stdin: %s", strerror(errno));
	}
	*len = (size_t)n;
	return EXIT_OK;
}

static int run_once(int fd, const struct echo_args *a)
{
	if (!a->message && !sk_endpoint_is_dgram(&a->ep))
		return stream_stdin(fd, a) == 0 ? EXIT_OK : EXIT_NETWORK;

	char *stdin_msg = NULL;
	size_t len = a->message ? strlen(a->message) : 0;
	if (!a->message) {
		int st = read_stdin_datagram(&stdin_msg, &len);
		if (st != EXIT_OK)
			return st;
	}
	const char *msg = a->message ? a->message : stdin_msg;
	char *reply = malloc(len + 1 > DGRAM_MAX ? len + 1 : DGRAM_MAX);
	size_t got = 0;
	int rc = !reply ? cli_error("out of memory") : round_trip(fd, a, msg, len, reply, &got);
	/* What came back is printed even when it differs: the user sees it. */
	size_t shown = got > len && !sk_endpoint_is_dgram(&a->ep) ? len : got;
	if (rc == 0 && !a->quiet && sk_send_all(STDOUT_FILENO, reply, shown, -1) < 0)
		rc = cli_error("write stdout: %s", strerror(errno));
	if (rc == 0)
		rc = compare_echo(msg, len, reply, got);
	if (rc == 0 && a->verbose)
		fprintf(stderr, "sockit echo: %zu bytes came back unchanged\n", got);
	free(reply);
	free(stdin_msg);
	return rc == 0 ? EXIT_OK : EXIT_NETWORK;
}

static int parse_args(struct echo_args *a, int argc, char **argv)
{
	const struct cli_option opts[] = {
		CLI_NUM('c', "count", &a->count, 1, 1000000),
		CLI_DUR('i', "interval", &a->interval_ms, 0, 3600000),
		CLI_DUR('t', "timeout", &a->timeout_ms, 1, 3600000),
		CLI_DUR('w', "deadline", &a->deadline_ms, 1, 86400000),
		CLI_NUM(CLI_LONG(9), "retries", &a->retries, 0, 100),
		CLI_FLAG('j', "json", &a->json),
		CLI_FLAG('q', "quiet", &a->quiet),
		CLI_COUNT('v', "verbose", &a->verbose),
		CLI_END,
	};
	const struct cli_command cmd = { "echo", echo_help, opts, 0 };
	char err[SK_ERRLEN];
	int first, rc = cli_parse(&cmd, argc, argv, a, &first);

	if (rc != CLI_RUN)
		return rc;
	rc = cli_endpoint_message("echo", argc - first, argv + first, &a->endpoint,
	                          &a->message);
	if (rc != CLI_RUN)
		return rc;
	if (sk_endpoint_parse(&a->ep, a->endpoint, err, sizeof err) < 0)
		return cli_sub_fail(EXIT_USAGE, "echo", "%s", err);
	if (a->count && !a->message)
		return cli_usage("echo", "--count needs a MESSAGE argument");
	if (a->timeout_ms == 0)
		a->timeout_ms = sk_endpoint_is_dgram(&a->ep) ? 1000 : 5000;
	return CLI_RUN;
}

int cmd_echo(int argc, char **argv)
{
	struct echo_args a = { .endpoint = DEFAULT_ENDPOINT, .retries = 3 };
	char err[SK_ERRLEN], shown[SK_ADDRSTRLEN];

	int rc = parse_args(&a, argc, argv);
	if (rc != CLI_RUN)
		return rc;
	if (a.deadline_ms)
		a.deadline_ns = sk_now_ns() + (uint64_t)a.deadline_ms * 1000000ULL;
	int connect_ms = a.deadline_ms && a.deadline_ms < a.timeout_ms ? a.deadline_ms
	                                                              : a.timeout_ms;
	uint64_t t0 = sk_now_ns();
	int fd = sk_connect(&a.ep, connect_ms, err, sizeof err);
	if (fd < 0)
		return cli_fail(EXIT_NETWORK, "%s", err);
	sk_endpoint_format(&a.ep, shown, sizeof shown);
	client_say_connected("echo", a.verbose, fd, t0);
	rc = a.count ? run_count(fd, &a, shown) : run_once(fd, &a);
	close(fd);
	return rc;
}
