/* netcat.h — `sockit connect`, `sockit listen`, `sockit relay`: the
 * options, the byte mover (pump) and the modules that share them. */
#ifndef SOCKIT_NETCAT_H
#define SOCKIT_NETCAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "sockit/endpoint.h"

enum nc_mode { NC_CONNECT, NC_LISTEN, NC_RELAY };

/* One --allow/--deny network. */
struct nc_cidr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int bits;
};

#define NC_MAX_CIDRS 64
#define NC_MAX_PORTS 1024

/* Everything the command line says, validated. */
struct nc_opts {
	const char *cmd;              /* "connect", "listen", "relay" */
	enum nc_mode mode;
	struct sk_endpoint ep;        /* the target (connect) or the address (listen) */
	char ep_text[SK_HOSTLEN + SK_PORTLEN + 32];  /* as the user wrote it */
	int family;                   /* -4/-6: AF_INET/AF_INET6, else 0 */
	bool keep, zero, verbose, crlf, broadcast, broker, telnet, udp, unix_;
	bool lines, lines_given, no_lines, recv_only, send_only;
	bool dash_l, dash_N, dash_n;  /* given: -l, -N, -n (accepted as in nc) */
	long long quit_ms;            /* -q: -1 never (default for streams) */
	long long wait_ms;            /* -w: connect and idle timeout, -1 off
	                                 (relay: each client's setup) */
	const char *src_addr, *src_port;
	const char *hexfile;          /* -x FILE; "-" is stderr (--hexdump) */
	const char *exec_cmd;
	bool sh_exec;
	long long max_conns;          /* 0: no limit */
	struct nc_cidr allow[NC_MAX_CIDRS], deny[NC_MAX_CIDRS];
	int nallow, ndeny;
	int ports[NC_MAX_PORTS];      /* -z list; nports 0: the endpoint's port */
	int nports;
	/* TLS */
	bool tls, insecure;
	const char *ca, *cert, *key;
	/* proxy */
	const char *proxy, *proxy_auth;
	/* relay */
	struct sk_endpoint ep2;
	char ep2_text[SK_HOSTLEN + SK_PORTLEN + 32];
	bool in_stdio, out_stdio;     /* relay: `-` on that side */
	bool tls_in, tls_out;
	long long idle_ms;            /* relay: per-client idle timeout; -1 not
	                                 given, 0 none (set by the relay) */
};

/* A session's idle timeout (-1 none): -w in connect/listen, --idle when
 * the relay runs one session on stdio. */
static inline long long nc_idle_ms(const struct nc_opts *o)
{
	return o->idle_ms < 0 ? o->wait_ms : o->idle_ms == 0 ? -1 : o->idle_ms;
}

/* Parse argv for cmd (connect/listen/relay) into o.  Returns 0, 1 when
 * --help was printed (exit 0), or -1 after printing the one-line usage
 * error (exit 2). */
int nc_parse(struct nc_opts *o, const char *cmd, int argc, char **argv);

/* Print "sockit CMD: message" on stderr; returns status. */
int nc_die(const struct nc_opts *o, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Print "sockit CMD: message" on stderr when -v. */
void nc_verbose(const struct nc_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- ends and pumps (pump.c) ---- */

struct nc_tls;

/* One side of a stream: a socket (rfd == wfd), stdio (0 and 1), or a
 * socket wrapped in TLS. */
struct nc_end {
	int rfd, wfd;
	bool is_sock;        /* write EOF is shutdown(SHUT_WR) */
	bool wr_closed;      /* write side already shut */
	struct nc_tls *tls;  /* non-NULL: bytes go through TLS */
};

/* An optional transform of the bytes a pump moves (CRLF, telnet): writes
 * the result of in[0..n) to out (room for 2n bytes) and returns its
 * length. */
typedef size_t nc_filter_fn(void *ctx, const char *in, size_t n, char *out);

struct nc_hexdump;

/* Moves bytes from src to dst: splice() through a pipe when both ends
 * allow it, else a user-space buffer.  Never holds more than one pipe or
 * one buffer: while dst is full, src is not read (backpressure).  At src
 * EOF, once everything is written, dst's write side is shut. */
struct nc_pump {
	struct nc_end *src, *dst;
	int pipe[2];
	size_t inpipe;
	bool use_splice;
	char *buf;
	size_t cap, off, len;
	bool eof;            /* src reached EOF */
	bool done;           /* eof, everything written, dst shut */
	bool no_shutdown;    /* at EOF, leave dst's write side open */
	int wait_fd;         /* when not done: the fd to poll */
	short wait_events;   /* POLLIN or POLLOUT */
	uint64_t bytes;
	int err;             /* errno of a failure */
	const char *err_op;  /* "send", "recv", "write stdout", ... */
	nc_filter_fn *filter;
	void *filter_ctx;
	/* With a filter: whether it must not be fed now (its output queue is
	 * full, --telnet); the pump then stops with held set, waiting on
	 * nothing until its owner has drained the queue. */
	bool (*filter_full)(void *ctx);
	bool held;
	/* Stopped at its budget with a TLS source that may hold more bytes
	 * than poll shows (OpenSSL's decrypted and read-ahead bytes): run it
	 * again after serving the others, without sleeping in between. */
	bool again;
	struct nc_hexdump *hex;
	char hex_dir;        /* '>' or '<' */
};

/* Set up p from src to dst; splice only when allowed (plain fds). */
int nc_pump_init(struct nc_pump *p, struct nc_end *src, struct nc_end *dst,
                 bool allow_splice);
void nc_pump_free(struct nc_pump *p);

/* One session alone: a 1 MiB pipe (fewer wakeups).  Not for the relay:
 * a thousand such pipes would pass the per-user pipe quota
 * (fs.pipe-user-pages-soft), after which the kernel hands out tiny pipes. */
void nc_pump_grow_pipe(struct nc_pump *p);

/* Move bytes until src or dst would block, src is done, or budget bytes
 * moved (TLS sources too).  Returns 0 (see p->done, p->wait_fd/wait_events
 * and p->again: call again before sleeping), or -1 with p->err and
 * p->err_op. */
int nc_pump_run(struct nc_pump *p, size_t budget);

/* Shut the write side of e (close_notify first for TLS). */
void nc_end_shutdown(struct nc_end *e);

/* ---- one stream session (session.c) ---- */

struct nc_session_stats {
	uint64_t sent, received, start_ns;
};

/* Run stdin/stdout (or child, when child_fd >= 0) against the connected
 * stream socket net, until both directions are done, -q after stdin EOF,
 * or -w idle.  lfd >= 0: a listener whose extra clients are refused while
 * this one is served (--max-conns).  Returns the exit status. */
int nc_session_run(const struct nc_opts *o, struct nc_end *net, int child_fd,
                   int lfd);

/* Print the -v summary line: bytes each way, duration, rate. */
void nc_print_stats(const struct nc_opts *o, uint64_t sent, uint64_t received,
                    uint64_t start_ns);

/* ---- dialing (dial.c) ---- */

/* Connect to ep (through --proxy when set), honouring -s/-p, -4/-6 and
 * -w.  Returns the connected non-blocking fd, or -1 with err filled. */
int nc_dial(const struct nc_opts *o, const struct sk_endpoint *ep,
            char *err, size_t errlen);

/* Connect to one port of ep for -z; 0 open, -1 closed or filtered (err). */
int nc_probe(const struct nc_opts *o, const struct sk_endpoint *ep,
             char *err, size_t errlen);

/* ---- proxies (proxy.c) ---- */

/* Speak SOCKS5 or HTTP CONNECT on the connected fd to reach host:port.
 * Returns 0, or -1 with err. */
int nc_proxy_handshake(const struct nc_opts *o, int fd, const char *host,
                       const char *port, char *err, size_t errlen);

/* The proxy replies, parsed without I/O (proxy_reply.c).  Each returns
 * the bytes the reply takes (complete), -2 when more are needed, or -1
 * when it is malformed.  SOCKS5: the method the proxy chose; the RFC 1929
 * status (0 success); the CONNECT reply code (0 success), *need the
 * length the whole reply has once that is known (5 before).  HTTP: the
 * status code of the response head, which ends at its blank line and is
 * at most NC_HTTP_HEAD_MAX bytes. */
#define NC_HTTP_HEAD_MAX 8192
int nc_socks5_method_reply(const unsigned char *b, size_t n, int *method);
int nc_socks5_auth_reply(const unsigned char *b, size_t n, int *status);
int nc_socks5_connect_reply(const unsigned char *b, size_t n, int *rep, size_t *need);
int nc_http_connect_reply(const char *b, size_t n, int *code);

/* Parse a --proxy URL into scheme ("socks5"/"http"), host, port. */
int nc_proxy_parse(const char *url, char *scheme, size_t slen,
                   struct sk_endpoint *ep, char *err, size_t errlen);

/* ---- listen (listen.c), udp (udp.c), relay, broker, exec ---- */

/* Peer address against --allow/--deny; true when it may stay.  why is set
 * to the rule text on refusal. */
bool nc_peer_allowed(const struct nc_opts *o, const struct sockaddr *sa,
                     char *why, size_t whylen);
int nc_parse_cidr(const char *text, struct nc_cidr *c);

int nc_listen_run(const struct nc_opts *o);
/* A connected stream socket (ownership passes): TLS when asked (server
 * side when server), the -e child when asked, then the session. */
int nc_stream_session(const struct nc_opts *o, int fd, bool server, int lfd);
/* Accept the next waiting client and admit it if --max-conns (clients:
 * how many are held now) and --allow/--deny let it in: its fd, *ss and
 * *len filled.  A refused client is closed at once with one line on
 * stderr ("sockit listen: refused 127.0.0.1:5555 (--max-conns 2)") and
 * -2 is returned; -1 when accept fails (EAGAIN: nobody waits), errno
 * kept.  Every listener (listen, -k, --broker, relay) admits through it. */
int nc_accept_admitted(const struct nc_opts *o, int lfd, long clients,
                       struct sockaddr_storage *ss, socklen_t *len);
/* Print "listening ENDPOINT" on stderr with the address really bound. */
void nc_say_listening(const struct nc_opts *o, int fd, enum sk_transport t,
                      bool always);
int nc_connect_run(const struct nc_opts *o);
int nc_udp_connect(const struct nc_opts *o, int fd);
int nc_udp_listen(const struct nc_opts *o, int fd);
int nc_relay_run(const struct nc_opts *o);
int nc_broker_run(const struct nc_opts *o, int lfd);
/* listen -k --max-conns N above 1 (ncat's -k): up to N clients at once,
 * stdin to all of them and theirs to stdout, or -e's forked sessions. */
int nc_multi_run(const struct nc_opts *o, int lfd);

/* Start the -e/--sh-exec child on one end of a socketpair; returns our
 * end (non-blocking) and the child's pid, or -1 with errno. */
int nc_exec_start(const struct nc_opts *o, int *pid);
/* Wait for the child; returns its exit status. */
int nc_exec_wait(int pid);

/* ---- hexdump.c, telnet.c, crlf ---- */

struct nc_hexdump *nc_hexdump_open(const char *path);
void nc_hexdump_close(struct nc_hexdump *h);
/* Dump n bytes moving in direction dir ('>' sent, '<' received). */
void nc_hexdump_write(struct nc_hexdump *h, char dir, const char *data, size_t n);

/* The most a pump hands its filter in one call (a quarter of its buffer,
 * as the output may double). */
#define NC_FILTER_MAX_IN (64u << 10)

/* Telnet: strip IAC sequences from received data (nc_telnet_filter, an
 * nc_filter_fn: pure and resumable across calls), queueing a refusal of
 * every option request; the queue holds what one call can produce. */
#define NC_TELNET_REPLY_MAX NC_FILTER_MAX_IN
struct nc_telnet;
struct nc_telnet *nc_telnet_new(void);
void nc_telnet_free(struct nc_telnet *t);
size_t nc_telnet_filter(void *ctx, const char *in, size_t n, char *out);
/* The queued refusals: their length, *p pointing at them. */
size_t nc_telnet_pending(const struct nc_telnet *t, const unsigned char **p);
/* Drop the first n queued bytes (sent). */
void nc_telnet_consume(struct nc_telnet *t, size_t n);
/* Whether refusals are queued (a pump's filter_full). */
bool nc_telnet_full(void *ctx);

/* -C: every LF becomes CRLF; ctx (NULL or a char) carries the last byte
 * from one call to the next. */
size_t nc_crlf_filter(void *ctx, const char *in, size_t n, char *out);

/* ---- TLS (tls.c) ---- */

/* How long a TLS handshake may take when -w does not say (connect,
 * listen, and each relay client's setup): a peer that never sends its
 * hello, or trickles it, holds nothing longer than this. */
#define NC_TLS_HANDSHAKE_MS 10000

/* Wrap the connected fd in TLS as client (SNI and verification against
 * host) or server; runs the handshake, within timeout_ms in all
 * (-1: NC_TLS_HANDSHAKE_MS).  Returns the TLS state, or NULL with err naming the
 * reason ("certificate verify failed: hostname mismatch"). */
struct nc_tls *nc_tls_client(const struct nc_opts *o, int fd, const char *host,
                             int timeout_ms, char *err, size_t errlen);
struct nc_tls *nc_tls_server(const struct nc_opts *o, int fd, int timeout_ms,
                             char *err, size_t errlen);
/* Non-blocking variants for the relay: run the handshake with
 * nc_tls_handshake_step (or it happens on the first read or write);
 * their shutdown never waits. */
struct nc_tls *nc_tls_client_async(const struct nc_opts *o, int fd,
                                   const char *host, char *err, size_t errlen);
struct nc_tls *nc_tls_server_async(const struct nc_opts *o, int fd,
                                   char *err, size_t errlen);
/* One non-blocking step of t's handshake: 1 done, 0 in progress (wait
 * for *want, POLLIN or POLLOUT, on the fd), -1 failed (nc_tls_error
 * says why). */
int nc_tls_handshake_step(struct nc_tls *t, short *want);

/* Prepare the process's TLS contexts (listen: load or make the
 * certificate, printing its fingerprint).  0 or -1 with err. */
int nc_tls_setup(const struct nc_opts *o, bool server, bool client,
                 char *err, size_t errlen);
void nc_tls_cleanup(void);
void nc_tls_free(struct nc_tls *t);

/* Read/write through TLS: >0 bytes, 0 EOF (read), -1 with errno (EAGAIN:
 * *want says POLLIN or POLLOUT).  err_text gets the reason on failure. */
ssize_t nc_tls_read(struct nc_tls *t, void *buf, size_t n, short *want);
ssize_t nc_tls_write(struct nc_tls *t, const void *buf, size_t n, short *want);
void nc_tls_shutdown(struct nc_tls *t);
const char *nc_tls_error(struct nc_tls *t);

#endif
