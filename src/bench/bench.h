/* bench.h — the load generator's configuration, per-thread state and the
 * functions its modules share (sockit bench; see src/cmd_bench.c). */
#ifndef SOCKIT_BENCH_BENCH_H
#define SOCKIT_BENCH_BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bench/histogram.h"

enum bench_mode { MODE_PINGPONG, MODE_PIPELINE, MODE_UDP, MODE_CONNECT,
                  MODE_CAESAR, MODE_CHAT };

/* Why a request failed; each kind is counted and reported. */
enum bench_err {
	ERR_MISMATCH,   /* a reply byte differs from what was sent/expected */
	ERR_UNEXPECTED, /* bytes arrived with no request outstanding */
	ERR_EOF,        /* the server closed with requests outstanding */
	ERR_IO,         /* read/write failed (reset, refused, ...) */
	ERR_CONNECT,    /* connect failed */
	ERR_TIMEOUT,    /* no (complete) reply within --timeout (UDP: loss) */
	ERR_KINDS
};

#define BENCH_MAX_DEPTH 1024
#define BENCH_MAX_SIZE  (16u << 20)
/* Request bodies start at one of this many offsets into a random buffer,
 * a different one for each consecutive request, so a stale reply (the
 * previous request's) or a shifted one never compares equal. */
#define PATTERN_SPREAD  251

struct bench_config {
	enum bench_mode mode;
	unsigned depth;              /* requests in flight per connection */
	unsigned connections;
	unsigned threads;
	size_t size;                 /* payload bytes per request */
	double duration_s;           /* used when requests == 0 */
	uint64_t requests;
	double warmup_s;
	uint64_t timeout_ms;
	bool json, quiet;
	atomic_bool *interrupted;    /* set (by the caller's signal handler) to end
	                                every thread early; what was measured is
	                                still reported */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int socktype;                /* SOCK_STREAM or SOCK_DGRAM */
	bool uring;                  /* stream replies and requests on io_uring */
	char target[256];            /* the endpoint as printed */
};

/* The bytes of every request and expected reply: request seq of a
 * connection is prefix + body[off..off+size) + suffix and its reply
 * reply_body[off..off+size) + reply_suffix, off = pattern_offset(). */
struct pattern {
	size_t size;
	char *body;                  /* size + PATTERN_SPREAD bytes */
	char *reply_body;            /* same for the reply (ciphertext) */
	const char *prefix, *suffix, *reply_suffix;
	size_t prefix_len, suffix_len, reply_suffix_len;
	size_t req_len, reply_len;   /* whole request / reply */
};

int pattern_init(struct pattern *p, enum bench_mode mode, size_t size);
void pattern_free(struct pattern *p);

static inline size_t pattern_offset(uint32_t conn, uint64_t seq)
{
	return (size_t)((conn * 7919u + seq * 61u) % PATTERN_SPREAD);
}

/* What one thread measured (after warmup). */
struct bench_stats {
	struct histogram hist;       /* latency, ns */
	uint64_t ok;                 /* verified replies */
	uint64_t failed;             /* requests that failed */
	uint64_t errors[ERR_KINDS];
	uint64_t late;               /* UDP replies that came after their timeout */
	uint64_t bytes_out, bytes_in;
	uint64_t last_ns;            /* when the last measured reply came */
	uint64_t connects;           /* connections opened */
	uint64_t replies_total;      /* verified replies, warmup included */
	char first_error[160];       /* the first error, for the report */
};

struct bench_conn;
struct bench_ring;

/* One load thread: its share of the connections, its own epoll. */
struct bench_thread {
	const struct bench_config *cfg;
	const struct pattern *pat;
	unsigned index;
	int epfd;
	struct bench_ring *ring;     /* io_uring (uring.c); NULL: epoll only */
	struct bench_conn *conns;
	unsigned nconns;
	uint64_t quota;              /* requests left to start (--requests) */
	bool limited;                /* quota applies */
	uint64_t measure_ns, end_ns; /* warmup end; end of the run (0: none) */
	uint64_t now;
	char *rbuf;
	size_t rbuf_len;
	struct bench_stats st;
	/* Read by the progress reporter while the thread runs. */
	_Atomic uint64_t progress_ok, progress_err;
	_Atomic bool finished;
	int setup_errno;
};

/* Run one thread's share to the end (pthread entry point). */
void *bench_thread_run(void *arg);

/* Shared by the stream and datagram halves of the engine. */
uint64_t bench_now(void);
void bench_error(struct bench_thread *t, enum bench_err kind, uint64_t n,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void bench_complete(struct bench_thread *t, uint64_t start_ns, size_t in,
                    size_t out);
bool bench_may_start(struct bench_thread *t);

/* Chat mode (chat.c): -c clients join channel as nick_prefix0, ...;
 * clients 0..senders-1 send, each at most window lines ahead of the
 * first receiver. */
struct chat_opts {
	unsigned senders;
	unsigned window;
	const char *channel;
	const char *nick_prefix;
};

/* Run the chat mode against cfg->addr and print its report; returns the
 * exit status (0 every delivery checked, 1 an error or nothing measured). */
int bench_chat(const struct bench_config *cfg, const struct chat_opts *o);

/* Check the chat options against cfg; 0 or EXIT_USAGE after saying why. */
int bench_chat_check(const struct bench_config *cfg, const struct chat_opts *o);

/* The shortest line (-s) that holds the chat mode's header. */
size_t bench_chat_min_size(const struct chat_opts *o);

/* Report the merged results (text or JSON) on stdout. */
void bench_report(const struct bench_config *cfg, const struct bench_stats *st,
                  double seconds);
const char *bench_mode_name(enum bench_mode m);

/* The latency percentiles of h, shared by every mode's report: the text
 * line ("latency      p50 229 us  ...") and the JSON "latency_us" object. */
struct json;
void bench_print_latency(const struct histogram *h);
void bench_json_latency(struct json *j, const struct histogram *h);
const char *bench_err_name(enum bench_err e);

#endif
