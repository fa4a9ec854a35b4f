/* cmd_bench.c — sockit bench: a load generator for echo-style servers
 * (ping-pong, pipelined, UDP, connect rate, Caesar), every reply checked. */
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "commands.h"
#include "sockit/endpoint.h"
#include "sockit/error.h"
#include "sockit/loop.h"
#include "sockit/net.h"

#define MAX_CONNECTIONS 1000000
#define MAX_THREADS     64
#define MAX_UDP_SIZE    65507
#define FD_SLACK        16      /* stdio, the resolver; plus one epoll fd a thread */

static const char usage_text[] =
"usage: sockit bench [OPTIONS] [ENDPOINT] [MODE [K]]\n"
"\n"
"Load-test a server and verify every reply byte for byte.\n"
"\n"
"MODE is one of:\n"
"  pingpong     each connection sends a request, waits for the whole echo,\n"
"               repeats (default for stream endpoints)\n"
"  pipeline K   like pingpong with K requests in flight per connection\n"
"  udp          datagram ping-pong on connected UDP sockets; a request with\n"
"               no reply within --timeout is counted as lost (default for\n"
"               udp:// endpoints)\n"
"  connect      a new connection per request: connect, one exchange, close\n"
"               (measures the accept rate; latency includes the handshake)\n"
"  caesar       Caesar protocol requests 'e07<message>.'; each reply is\n"
"               checked against the expected ciphertext\n"
"  chat         -c IRC clients register and join --channel; --senders of\n"
"               them send PRIVMSG lines of -s bytes (CRLF included), each\n"
"               sender at most --window lines ahead of the first receiver;\n"
"               every delivery is checked (sender, order per sender) and\n"
"               timed; after the run every message must reach every member\n"
"               within --timeout.  For throughput turn the server's flood\n"
"               control off (sockit serve --no-flood-limit; ngircd\n"
"               DefaultUserModes = F)\n"
"\n"
"ENDPOINT defaults to tcp://127.0.0.1:65432 (echo), tcp://127.0.0.1:5555\n"
"for caesar, tcp://127.0.0.1:6667 for chat.  Each request carries --size\n"
"payload bytes, a different pattern each time, so a stale, shifted or\n"
"corrupted reply is caught.\n"
"\n"
"options:\n"
"  -c, --connections N  concurrent connections (default 50); thousands work:\n"
"                       the descriptor limit is raised as far as allowed\n"
"  -s, --size BYTES     payload bytes per request (default 64)\n"
"  -d, --duration DUR   measure for DUR (default 5s)\n"
"  -n, --requests N     measure N requests instead of a duration\n"
"  -t, --threads T      load threads, connections shared among them (default 1)\n"
"      --warmup DUR     run DUR before measuring (default 0; no -w: in\n"
"                       the clients and ping -w is the overall deadline)\n"
"      --timeout DUR    a reply later than this is an error (default 2s)\n"
"      --senders S      chat: clients that send (default 1)\n"
"      --window N       chat: lines a sender may be ahead (default 500)\n"
"      --channel #C     chat: the channel (default #bench)\n"
"      --nick-prefix P  chat: nicks are P0, P1, ... (default b)\n"
"      --backend B      the load generator's stream connections on epoll\n"
"                       (default), io_uring (exit 1 where the kernel lacks\n"
"                       it) or auto; UDP and connect mode use epoll always\n"
"  -j, --json           print the results as one JSON line\n"
"  -q, --quiet          no progress line on stderr\n"
"  -h, --help           this text\n"
"\n"
"DUR is a number of seconds or has a unit: 250ms, 1.5s, 2m.  -s takes\n"
"K, M or G (binary): -s 4K is 4096 bytes.\n"
"\n"
"Output: requests/s, MB/s of replies, latency p50/p90/p99/p99.9/max and\n"
"errors by kind; a progress line per second on stderr.\n"
"Ctrl-C (SIGINT) or SIGTERM ends the run early; what was measured is\n"
"still reported.  A run that measured nothing (no reply verified: a\n"
"server that never answers, like discard) says why and exits 1.\n"
"\n"
"examples:\n"
"  sockit bench -c 10 -d 2s tcp://127.0.0.1:65432\n"
"  sockit bench -n 10000 --json 127.0.0.1:65432 pipeline 16\n"
"  sockit bench -c 20 -d 1 --window 5 --timeout 10s chat\n"
"\n"
"Exit status: 0 every reply verified, 1 any error (mismatch, early close,\n"
"timeout/loss, refused) or nothing measured, 2 bad usage.\n";

struct bench_args {
	struct bench_config cfg;
	struct chat_opts chat;
	const char *endpoint;
	bool mode_set;
	enum sk_backend backend;
};

/* --backend auto|epoll|io_uring. */
static int backend_option(void *ctx, int key, const char *arg, char *why, size_t len)
{
	struct bench_args *a = ctx;
	(void)key;

	if (sk_backend_parse(arg, &a->backend) == 0)
		return 0;
	snprintf(why, len, "want auto, epoll or io_uring");
	return -1;
}

static int parse_mode(struct bench_args *a, char **pos, int n, int *i)
{
	static const struct { const char *name; enum bench_mode mode; } modes[] = {
		{ "pingpong", MODE_PINGPONG }, { "pipeline", MODE_PIPELINE },
		{ "udp", MODE_UDP }, { "connect", MODE_CONNECT },
		{ "caesar", MODE_CAESAR }, { "chat", MODE_CHAT },
	};
	char why[SK_ERRLEN];
	long long k;

	for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		if (strcmp(pos[*i], modes[m].name) != 0)
			continue;
		if (a->mode_set)
			return cli_usage("bench", "more than one mode given");
		a->mode_set = true;
		a->cfg.mode = modes[m].mode;
		if (modes[m].mode != MODE_PIPELINE)
			return 0;
		if (*i + 1 >= n)
			return cli_usage("bench", "pipeline needs K, the requests in flight");
		(*i)++;
		if (sk_parse_num(pos[*i], 1, BENCH_MAX_DEPTH, &k, NULL, why, sizeof why) < 0)
			return cli_bad_value("bench", "K", pos[*i], why);
		a->cfg.depth = (unsigned)k;
		return 0;
	}
	if (a->endpoint)
		return cli_usage("bench", "unexpected argument '%s'", pos[*i]);
	a->endpoint = pos[*i];
	return 0;
}

/* Options and MODE/ENDPOINT words into a: CLI_RUN or the exit status. */
static int parse_args(struct bench_args *a, int argc, char **argv)
{
	struct bench_config *cfg = &a->cfg;
	int rc;

	memset(a, 0, sizeof *a);
	a->backend = SK_BACKEND_EPOLL;
	cfg->connections = 50;
	cfg->size = 64;
	cfg->duration_s = 5;
	cfg->threads = 1;
	cfg->depth = 1;
	cfg->timeout_ms = 2000;
	a->chat = (struct chat_opts){ 1, 500, "#bench", "b" };
	const struct cli_option opts[] = {
		CLI_NUM('c', "connections", &cfg->connections, 1, MAX_CONNECTIONS),
		CLI_SIZE('s', "size", &cfg->size, 1, BENCH_MAX_SIZE),
		CLI_DUR('d', "duration", &cfg->duration_s, 0, 86400000),
		CLI_NUM('n', "requests", &cfg->requests, 1, 1LL << 40),
		CLI_NUM('t', "threads", &cfg->threads, 1, MAX_THREADS),
		CLI_DUR(CLI_LONG(1), "warmup", &cfg->warmup_s, 0, 3600000),
		CLI_DUR(CLI_LONG(0), "timeout", &cfg->timeout_ms, 1, 3600000),
		CLI_NUM(CLI_LONG(10), "senders", &a->chat.senders, 1, 1000),
		CLI_NUM(CLI_LONG(11), "window", &a->chat.window, 1, 1000000),
		CLI_STR(CLI_LONG(12), "channel", &a->chat.channel),
		CLI_STR(CLI_LONG(13), "nick-prefix", &a->chat.nick_prefix),
		CLI_FLAG('j', "json", &cfg->json),
		CLI_FLAG('q', "quiet", &cfg->quiet),
		CLI_CALL(CLI_LONG(2), "backend", backend_option),
		CLI_END,
	};
	const struct cli_command cmd = { "bench", usage_text, opts, 0 };
	int first;

	if ((rc = cli_parse(&cmd, argc, argv, a, &first)) != CLI_RUN)
		return rc;
	char **pos = argv + first;
	int n = argc - first;
	for (int i = 0; i < n; i++)
		if ((rc = parse_mode(a, pos, n, &i)) != 0)
			return rc;
	return CLI_RUN;
}

/* The mode follows the endpoint's transport unless given; sizes must fit
 * the transport. */
static int check_config(struct bench_args *a, const struct sk_endpoint *ep)
{
	struct bench_config *cfg = &a->cfg;
	bool dgram = sk_endpoint_is_dgram(ep);

	if (!a->mode_set && dgram)
		cfg->mode = MODE_UDP;
	if (ep->transport == SK_UNIXGRAM)
		return cli_sub_fail(EXIT_USAGE, "bench", "unixgram endpoints are not supported");
	if (cfg->mode == MODE_UDP && ep->transport == SK_UNIX)
		return cli_sub_fail(EXIT_USAGE, "bench", "udp mode needs a udp:// or HOST:PORT endpoint");
	if (cfg->mode != MODE_UDP && dgram)
		return cli_sub_fail(EXIT_USAGE, "bench", "%s mode needs a stream endpoint",
		           bench_mode_name(cfg->mode));
	if (cfg->mode == MODE_UDP && cfg->size > MAX_UDP_SIZE)
		return cli_sub_fail(EXIT_USAGE, "bench", "udp datagrams carry at most %d bytes",
		           MAX_UDP_SIZE);
	cfg->socktype = cfg->mode == MODE_UDP ? SOCK_DGRAM : SOCK_STREAM;
	if (cfg->mode == MODE_CHAT)
		return bench_chat_check(cfg, &a->chat);
	if (cfg->threads > cfg->connections)
		cfg->threads = cfg->connections;
	return 0;
}

/* Blocking connect within timeout_ms, to find which address answers. */
static int probe(const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0;
	socklen_t elen = sizeof err;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	if (fd < 0)
		return errno;
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS)
			err = errno;
		else if (poll(&pfd, 1, timeout_ms) <= 0)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
	}
	close(fd);
	return err;
}

/* Resolve the endpoint; for TCP take the first address that accepts a
 * connection (localhost may resolve to ::1 first while the server is on
 * 127.0.0.1). */
static int pick_address(struct bench_config *cfg, const struct sk_endpoint *ep)
{
	struct addrinfo *res, *ai;
	char err[256], addr[SK_ADDRSTRLEN];
	int e = 0;

	if (sk_endpoint_is_unix(ep)) {
		cfg->addrlen = sk_endpoint_unix_addr(ep, (struct sockaddr_un *)&cfg->addr);
		e = probe((struct sockaddr *)&cfg->addr, cfg->addrlen, (int)cfg->timeout_ms);
		return e ? cli_fail(EXIT_NETWORK, "connect %s: %s", cfg->target, strerror(e)) : 0;
	}
	if (sk_endpoint_resolve(ep, false, &res, err, sizeof err) < 0)
		return cli_fail(EXIT_NETWORK, "%s", err);
	for (ai = res; ai; ai = ai->ai_next) {
		if (cfg->socktype == SOCK_STREAM &&
		    (e = probe(ai->ai_addr, ai->ai_addrlen, (int)cfg->timeout_ms)) != 0)
			continue;
		memcpy(&cfg->addr, ai->ai_addr, ai->ai_addrlen);
		cfg->addrlen = ai->ai_addrlen;
		break;
	}
	if (!ai)
		sk_addr_format(res->ai_addr, res->ai_addrlen, addr, sizeof addr);
	freeaddrinfo(res);
	return ai ? 0 : cli_fail(EXIT_NETWORK, "connect %s: %s", addr, strerror(e));
}

/* Thousands of connections need thousands of descriptors: raise the soft
 * limit to the hard one, and say so when even that is too few. */
static int raise_fd_limit(unsigned connections, unsigned threads)
{
	long need = (long)connections + threads + FD_SLACK;
	long have = sk_raise_fd_limit();

	if (have < 0)
		return cli_fail(EXIT_NETWORK, "getrlimit: %s", strerror(errno));
	if (have < need)
		return cli_fail(EXIT_NETWORK, "%u connections need %ld descriptors, "
		           "the hard limit is %ld (raise it with ulimit -Hn as root, "
		           "or use fewer connections)", connections, need, have);
	return 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool all_finished(struct bench_thread *th, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!atomic_load(&th[i].finished))
			return false;
	return true;
}

/* One line a second on stderr while the threads run. */
static void progress(struct bench_thread *th, unsigned n, uint64_t t0)
{
	uint64_t last_ok = 0, next = t0 + 1000000000ull;
	unsigned sec = 0;

	while (!all_finished(th, n)) {
		sleep_ms(20);
		uint64_t now = bench_now();
		if (now < next)
			continue;
		uint64_t ok = 0, err = 0;
		for (unsigned i = 0; i < n; i++) {
			ok += atomic_load_explicit(&th[i].progress_ok, memory_order_relaxed);
			err += atomic_load_explicit(&th[i].progress_err, memory_order_relaxed);
		}
		fprintf(stderr, "bench: %3us %10llu req/s %8llu errors%s\n", ++sec,
		        (unsigned long long)(ok - last_ok), (unsigned long long)err,
		        now < th[0].measure_ns ? " (warmup)" : "");
		last_ok = ok;
		next += 1000000000ull;
	}
}

/* The one flag a signal handler may reach; the threads see it through
 * bench_config.interrupted. */
static atomic_bool interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	atomic_store(&interrupted, true);
}

/* Ctrl-C ends the run early and still reports what was measured; the
 * load threads block the signals so only this thread takes them. */
static void catch_interrupts(void)
{
	struct sigaction sa = { .sa_handler = on_interrupt };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Give each thread its share of the connections and requests. */
static void init_threads(struct bench_thread *th, unsigned n,
                         const struct bench_config *cfg,
                         const struct pattern *pat, uint64_t t0)
{
	for (unsigned i = 0; i < n; i++) {
		struct bench_thread *t = &th[i];
		t->cfg = cfg;
		t->pat = pat;
		t->index = i;
		t->nconns = cfg->connections / n + (i < cfg->connections % n);
		t->limited = cfg->requests > 0;
		t->quota = cfg->requests / n + (i < cfg->requests % n);
		t->measure_ns = t0 + (uint64_t)(cfg->warmup_s * 1e9);
		t->end_ns = t->limited ? 0 : t->measure_ns + (uint64_t)(cfg->duration_s * 1e9);
		hist_init(&t->st.hist);
	}
}

/* Start the threads with SIGINT/SIGTERM blocked, so only the main thread
 * takes them.  Returns how many started; the rest are marked finished. */
static unsigned start_threads(struct bench_thread *th, pthread_t *tid, unsigned n)
{
	sigset_t block, old;
	unsigned i;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < n; i++) {
		int e = pthread_create(&tid[i], NULL, bench_thread_run, &th[i]);
		if (e != 0) {
			cli_fail(EXIT_NETWORK, "pthread_create: %s", strerror(e));
			atomic_store(&interrupted, true);
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (unsigned j = i; j < n; j++)
		atomic_store(&th[j].finished, true);
	return i;
}

static void merge_stats(struct bench_stats *total, const struct bench_thread *t)
{
	const struct bench_stats *st = &t->st;

	hist_merge(&total->hist, &st->hist);
	total->ok += st->ok;
	total->failed += st->failed;
	total->late += st->late;
	total->bytes_in += st->bytes_in;
	total->bytes_out += st->bytes_out;
	total->connects += st->connects;
	total->replies_total += atomic_load(&t->progress_ok);
	for (int k = 0; k < ERR_KINDS; k++)
		total->errors[k] += st->errors[k];
	if (!total->first_error[0])
		memcpy(total->first_error, st->first_error, sizeof total->first_error);
	if (st->last_ns > total->last_ns)
		total->last_ns = st->last_ns;
}

/* The measured time: up to the last reply for --requests, else the
 * duration, or up to an interrupt. */
static double measured_seconds(const struct bench_config *cfg,
                               const struct bench_stats *total, uint64_t start)
{
	uint64_t now = bench_now();

	if (cfg->requests)
		return total->last_ns > start ? (double)(total->last_ns - start) / 1e9 : 0;
	return now > start ? fmin(cfg->duration_s, (double)(now - start) / 1e9) : 0;
}

/* Run the threads, each with its share of connections and requests. */
static int run_threads(const struct bench_config *cfg, const struct pattern *pat,
                       struct bench_stats *total, double *secs)
{
	unsigned n = cfg->threads;
	struct bench_thread *th = calloc(n, sizeof *th);
	pthread_t *tid = calloc(n, sizeof *tid);
	uint64_t t0 = bench_now();
	int rc = 0;

	if (!th || !tid) {
		free(th);
		free(tid);
		return cli_fail(EXIT_NETWORK, "out of memory");
	}
	init_threads(th, n, cfg, pat, t0);
	unsigned started = start_threads(th, tid, n);
	if (started < n)
		rc = EXIT_NETWORK;
	if (!cfg->quiet)
		progress(th, started, t0);
	else
		while (!all_finished(th, started))
			sleep_ms(20);
	for (unsigned i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
		if (th[i].setup_errno && !rc)
			rc = cli_fail(EXIT_NETWORK, "thread setup: %s", strerror(th[i].setup_errno));
		merge_stats(total, &th[i]);
	}
	*secs = measured_seconds(cfg, total, th[0].measure_ns);
	free(th);
	free(tid);
	return rc;
}

static bool any_error(const struct bench_stats *st)
{
	for (int k = 0; k < ERR_KINDS; k++)
		if (st->errors[k])
			return true;
	return st->failed > 0;
}

/* No reply was verified: the numbers mean nothing, so say why and fail
 * (issue 10 item 6: a discard server used to give "0 requests, exit 0"). */
static int measured_nothing(const struct bench_config *cfg, const struct bench_stats *st,
                            double secs)
{
	if (atomic_load(&interrupted) && secs < 0.001)
		return cli_fail(EXIT_NETWORK, "measured nothing: interrupted before "
		                "the measurement began");
	if (st->connects == 0)
		return cli_fail(EXIT_NETWORK, "measured nothing: no connection to %s "
		                "succeeded", cfg->target);
	if (st->bytes_in == 0)
		return cli_fail(EXIT_NETWORK, "measured nothing: %s never replied in "
		                "%.2f s (%llu bytes sent; a server that does not echo, like "
		                "discard, cannot be measured)", cfg->target, secs,
		                (unsigned long long)st->bytes_out);
	return cli_fail(EXIT_NETWORK, "measured nothing: no reply was verified in "
	                "%.2f s (%s)", secs, st->first_error[0] ? st->first_error
	                : "no error recorded");
}

int cmd_bench(int argc, char **argv)
{
	struct bench_args a;
	struct sk_endpoint ep;
	struct pattern pat;
	char err[256];
	int rc = parse_args(&a, argc, argv);

	if (rc != CLI_RUN)
		return rc;
	a.cfg.interrupted = &interrupted;
	if (!a.endpoint)
		a.endpoint = a.cfg.mode == MODE_CAESAR ? "tcp://127.0.0.1:5555"
		           : a.cfg.mode == MODE_CHAT ? "tcp://127.0.0.1:6667"
		           : a.cfg.mode == MODE_UDP ? "udp://127.0.0.1:65432"
		           : "tcp://127.0.0.1:65432";
	if (sk_endpoint_parse(&ep, a.endpoint, err, sizeof err) < 0)
		return cli_sub_fail(EXIT_USAGE, "bench", "%s", err);
	if ((rc = check_config(&a, &ep)) != 0)
		return rc;
	enum sk_backend be;
	const char *why = "unknown";
	if (sk_backend_resolve(a.backend, &be, &why) < 0)
		return cli_fail(EXIT_NETWORK, "bench: --backend io_uring: %s", why);
	a.cfg.uring = be == SK_BACKEND_URING;
	/* udp mode on a HOST:PORT endpoint talks UDP to that address. */
	if (a.cfg.mode == MODE_UDP && ep.transport == SK_TCP)
		ep.transport = SK_UDP;
	sk_endpoint_format(&ep, a.cfg.target, sizeof a.cfg.target);
	if ((rc = pick_address(&a.cfg, &ep)) != 0 ||
	    (rc = raise_fd_limit(a.cfg.connections, a.cfg.threads)) != 0)
		return rc;
	if (a.cfg.mode == MODE_CHAT) {
		catch_interrupts();
		return bench_chat(&a.cfg, &a.chat);
	}
	if (pattern_init(&pat, a.cfg.mode, a.cfg.size) < 0)
		return cli_fail(EXIT_NETWORK, "out of memory");

	struct bench_stats *total = calloc(1, sizeof *total);
	double secs = 0;
	if (!total) {
		pattern_free(&pat);
		return cli_fail(EXIT_NETWORK, "out of memory");
	}
	hist_init(&total->hist);
	catch_interrupts();
	rc = run_threads(&a.cfg, &pat, total, &secs);
	if (!rc) {
		bench_report(&a.cfg, total, secs);
		rc = any_error(total) ? EXIT_NETWORK : EXIT_OK;
		if (total->ok == 0)
			rc = measured_nothing(&a.cfg, total, secs);
	}
	free(total);
	pattern_free(&pat);
	return rc;
}
