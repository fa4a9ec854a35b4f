/* multi.c — `listen -k --max-conns N` with N above 1, as ncat's -k: up
 * to N clients at once on the event loop.  Without -e, stdin goes to
 * every client connected and every client's bytes go to stdout (ncat's
 * broadcast); with -e each client gets its own forked session and child.
 * Client N+1 is accepted and closed at once, with a line on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "netcat/netcat.h"
#include "sockit/buf.h"
#include "sockit/conn.h"
#include "sockit/loop.h"
#include "sockit/net.h"

#define CHUNK (64u << 10)          /* one read of stdin */
#define OUT_HIGH (256u << 10)      /* stdout this far behind pauses the clients */
#define IN_HIGH (256u << 10)       /* a client this far behind pauses stdin */

struct mclient {
	struct multi *m;
	struct sk_conn *c;
	LIST_ENTRY(mclient) link;
	struct nc_telnet *telnet;
	char name[SK_ADDRSTRLEN];
};

struct multi {
	const struct nc_opts *o;
	struct sk_loop *loop;
	int lfd;
	LIST_HEAD(, mclient) clients;
	long n;                      /* clients, or -e children, now */
	int *pids;                   /* -e: the children (max_conns slots) */
	bool in_eof, in_poll, out_poll, out_paused;
	struct sk_timer in_timer;    /* stdin that epoll refuses (a file) */
	struct sk_timer quit;        /* -q after stdin EOF */
	struct sk_buf out;           /* what stdout has not taken yet */
	struct nc_hexdump *hex;
	char crlf_last;
	char *in, *cooked;
	int saved_fl[2];             /* stdin's and stdout's flags, restored */
};

/* ---- stdin to every client ---- */

static bool all_keep_up(const struct multi *m)
{
	const struct mclient *k;

	LIST_FOREACH(k, &m->clients, link)
		if (sk_conn_queued(k->c) > IN_HIGH)
			return false;
	return true;
}

static void on_stdin(struct sk_loop *loop, int fd, int events, void *data);

static void stdin_timer(struct sk_loop *loop, struct sk_timer *t)
{
	on_stdin(loop, 0, SK_READ, t->data);
}

/* Read stdin only while someone is there to hear it and everyone keeps
 * up (nc's backpressure: the slowest client paces the rest). */
static void stdin_update(struct multi *m)
{
	bool want = !m->in_eof && !m->o->recv_only && !LIST_EMPTY(&m->clients) && all_keep_up(m);

	if (m->in_poll)
		sk_loop_mod(m->loop, 0, want ? SK_READ : 0);
	else if (want && !sk_timer_armed(&m->in_timer))
		sk_timer_start(m->loop, &m->in_timer, 0, stdin_timer, m);
}

static void quit_now(struct sk_loop *loop, struct sk_timer *t)
{
	(void)t;
	sk_loop_stop(loop);
}

/* stdin ended: every client gets FIN after what it was sent (and goes
 * on sending to stdout until it closes). */
static void stdin_ended(struct multi *m)
{
	struct mclient *next;

	m->in_eof = true;
	for (struct mclient *k = LIST_FIRST(&m->clients); k; k = next) {
		next = LIST_NEXT(k, link);   /* a shutdown may close (free) k */
		sk_conn_shutdown(k->c);
	}
	if (m->o->quit_ms >= 0)
		sk_timer_start(m->loop, &m->quit, (uint64_t)m->o->quit_ms, quit_now, m);
}

static void on_stdin(struct sk_loop *loop, int fd, int events, void *data)
{
	struct multi *m = data;
	ssize_t n = read(0, m->in, m->o->crlf ? CHUNK / 2 : CHUNK);
	const char *p = m->in;
	struct mclient *k, *next;

	(void)loop; (void)fd; (void)events;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		stdin_ended(m);
	} else {
		if (m->o->crlf) {
			n = (ssize_t)nc_crlf_filter(&m->crlf_last, m->in, (size_t)n, m->cooked);
			p = m->cooked;
		}
		if (m->hex)
			nc_hexdump_write(m->hex, '>', p, (size_t)n);
		for (k = LIST_FIRST(&m->clients); k; k = next) {
			next = LIST_NEXT(k, link);   /* a failed write frees k */
			sk_conn_write(k->c, p, (size_t)n);
		}
	}
	stdin_update(m);
}

/* ---- every client to stdout ---- */

static void pause_clients(struct multi *m, bool pause)
{
	struct mclient *k;

	m->out_paused = pause;
	LIST_FOREACH(k, &m->clients, link)
		pause ? sk_conn_pause(k->c) : sk_conn_resume(k->c);
}

/* Write what stdout takes now; above OUT_HIGH the clients wait. */
static void out_flush(struct multi *m)
{
	while (sk_buf_len(&m->out) > 0) {
		ssize_t w = write(1, sk_buf_head(&m->out), sk_buf_len(&m->out));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w < 0) {            /* our reader went away: nothing to print */
			sk_buf_consume(&m->out, sk_buf_len(&m->out));
			break;
		}
		sk_buf_consume(&m->out, (size_t)w);
	}
	if (m->out_poll)
		sk_loop_mod(m->loop, 1, sk_buf_len(&m->out) ? SK_WRITE : 0);
	if (m->out_paused && sk_buf_len(&m->out) < OUT_HIGH / 4)
		pause_clients(m, false);
	else if (!m->out_paused && sk_buf_len(&m->out) > OUT_HIGH)
		pause_clients(m, true);
}

static void on_stdout(struct sk_loop *loop, int fd, int events, void *data)
{
	(void)loop; (void)fd; (void)events;
	out_flush(data);
}

static void client_data(struct sk_conn *c, const char *data, size_t len)
{
	struct mclient *k = c->data;
	struct multi *m = k->m;
	char *room;

	if (m->o->send_only)
		return;
	if (!(room = sk_buf_reserve(&m->out, len)))
		return sk_conn_close(c, "out of memory");
	if (k->telnet) {
		const unsigned char *q;
		size_t done = 0;
		/* The filter takes at most NC_FILTER_MAX_IN per call. */
		for (size_t i = 0; i < len; i += NC_FILTER_MAX_IN) {
			size_t part = len - i < NC_FILTER_MAX_IN ? len - i : NC_FILTER_MAX_IN;
			done += nc_telnet_filter(k->telnet, data + i, part, room + done);
			size_t nq = nc_telnet_pending(k->telnet, &q);
			sk_conn_write(c, q, nq);
			nc_telnet_consume(k->telnet, nq);
		}
		len = done;
	} else {
		memcpy(room, data, len);
	}
	if (m->hex)
		nc_hexdump_write(m->hex, '<', room, len);
	sk_buf_commit(&m->out, len);
	out_flush(m);
}

static void client_eof(struct sk_conn *c)
{
	/* As ncat: a client that stops sending leaves (after what it was
	 * sent), making room for the next one. */
	sk_conn_end(c, "client closed");
}

static void client_drain(struct sk_conn *c)
{
	stdin_update(((struct mclient *)c->data)->m);
}

static void client_close(struct sk_conn *c, const char *reason)
{
	struct mclient *k = c->data;
	struct multi *m = k->m;

	nc_verbose(m->o, "%s: closed (%s)", k->name, reason);
	LIST_REMOVE(k, link);
	m->n--;
	nc_telnet_free(k->telnet);
	free(k);
	stdin_update(m);
}

static const struct sk_conn_ops client_ops = {
	.on_data = client_data, .on_eof = client_eof, .on_drain = client_drain,
	.on_close = client_close,
};

static void add_client(struct multi *m, int fd, struct sockaddr_storage *ss, socklen_t len)
{
	struct sk_conn_limits lim = sk_conn_default_limits;
	struct mclient *k = calloc(1, sizeof *k);

	if (!k || (m->o->telnet && !(k->telnet = nc_telnet_new()))) {
		free(k);
		close(fd);
		return;
	}
	k->m = m;
	sk_addr_format((struct sockaddr *)ss, len, k->name, sizeof k->name);
	if (nc_idle_ms(m->o) > 0)
		lim.idle_ms = (uint64_t)nc_idle_ms(m->o);
	k->c = sk_conn_new(m->loop, fd, (struct sockaddr *)ss, len, &client_ops, k, &lim);
	if (!k->c) {
		nc_telnet_free(k->telnet);
		free(k);
		close(fd);
		return;
	}
	LIST_INSERT_HEAD(&m->clients, k, link);
	m->n++;
	nc_verbose(m->o, "connection from %s", k->name);
	if (m->in_eof)
		sk_conn_shutdown(k->c);     /* stdin has nothing more for it */
	if (m->out_paused)
		sk_conn_pause(k->c);
	stdin_update(m);
}

/* ---- -e: a forked session per client ---- */

static void fork_session(struct multi *m, int fd)
{
	sigset_t all;

	fflush(NULL);
	int pid = fork();
	if (pid == 0) {
		/* The loop blocked these for its signalfd: the session wants
		 * them back. */
		sigemptyset(&all);
		sigaddset(&all, SIGINT), sigaddset(&all, SIGTERM), sigaddset(&all, SIGCHLD);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		close(m->lfd);
		_exit(nc_stream_session(m->o, fd, true, -1));
	}
	close(fd);
	if (pid < 0) {
		fprintf(stderr, "sockit listen: fork: %s\n", strerror(errno));
		return;
	}
	for (long i = 0; i < m->o->max_conns; i++)
		if (m->pids[i] == 0) {
			m->pids[i] = pid;
			break;
		}
	m->n++;
}

static void on_child(struct sk_loop *loop, int signo, void *data)
{
	struct multi *m = data;
	int pid;

	(void)loop; (void)signo;
	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		for (long i = 0; i < m->o->max_conns; i++)
			if (m->pids[i] == pid) {
				m->pids[i] = 0;
				m->n--;
				break;
			}
}

/* ---- accepting ---- */

static void on_accept(struct sk_loop *loop, int lfd, int events, void *data)
{
	struct multi *m = data;
	struct sockaddr_storage ss;
	socklen_t len;
	char shown[SK_ADDRSTRLEN];

	(void)loop; (void)events;
	for (int i = 0; i < 64; i++) {
		int fd = nc_accept_admitted(m->o, lfd, m->n, &ss, &len);
		if (fd == -1)
			return;
		if (fd < 0)
			continue;
		if (m->o->exec_cmd) {
			nc_verbose(m->o, "connection from %s",
			           sk_addr_format((struct sockaddr *)&ss, len, shown, sizeof shown));
			fork_session(m, fd);
		} else {
			add_client(m, fd, &ss, len);
		}
	}
}

static void on_stop(struct sk_loop *loop, int signo, void *data)
{
	(void)signo; (void)data;
	sk_loop_stop(loop);
}

/* Watch stdio on the loop; a regular file (which epoll refuses) is
 * always ready: stdin is read on a timer, stdout written at once. */
static void watch_stdio(struct multi *m)
{
	for (int fd = 0; fd < 2; fd++) {
		m->saved_fl[fd] = fcntl(fd, F_GETFL);
		/* A terminal is shared with the shell: left as it is. */
		if (m->saved_fl[fd] >= 0 && !isatty(fd) && !m->o->exec_cmd)
			(void)fcntl(fd, F_SETFL, m->saved_fl[fd] | O_NONBLOCK);
	}
	if (!m->o->exec_cmd && !m->o->recv_only)
		m->in_poll = sk_loop_add(m->loop, 0, 0, on_stdin, m) == 0;
	if (!m->o->exec_cmd && !m->o->send_only)
		m->out_poll = sk_loop_add(m->loop, 1, 0, on_stdout, m) == 0;
}

static void teardown(struct multi *m)
{
	while (!LIST_EMPTY(&m->clients))
		sk_conn_close(LIST_FIRST(&m->clients)->c, "shutting down");
	/* What the clients sent is printed in full before exit. */
	for (int fd = 0; fd < 2; fd++)
		if (m->saved_fl[fd] >= 0)
			(void)fcntl(fd, F_SETFL, m->saved_fl[fd] & ~O_NONBLOCK);
	out_flush(m);
	for (int fd = 0; fd < 2; fd++)
		if (m->saved_fl[fd] >= 0)
			(void)fcntl(fd, F_SETFL, m->saved_fl[fd]);
	if (m->in_poll)
		sk_loop_del(m->loop, 0);
	if (m->out_poll)
		sk_loop_del(m->loop, 1);
	for (long i = 0; m->pids && i < m->o->max_conns; i++)
		if (m->pids[i] > 0)
			kill(m->pids[i], SIGTERM);
	sk_timer_stop(m->loop, &m->in_timer);
	sk_timer_stop(m->loop, &m->quit);
	sk_loop_del(m->loop, m->lfd);
	sk_loop_free(m->loop);
	sk_buf_free(&m->out);
	nc_hexdump_close(m->hex);
	free(m->pids);
	free(m->in);
	free(m->cooked);
}

int nc_multi_run(const struct nc_opts *o, int lfd)
{
	struct multi m = { 0 };
	int rc = EXIT_OK;

	m.saved_fl[0] = m.saved_fl[1] = -1;
	m.o = o;
	LIST_INIT(&m.clients);
	m.lfd = lfd;
	m.loop = sk_loop_new(1024);
	m.in = malloc(CHUNK);
	m.cooked = malloc(CHUNK);
	m.pids = calloc((size_t)o->max_conns, sizeof *m.pids);
	if (!m.loop || !m.in || !m.cooked || !m.pids) {
		rc = nc_die(o, EXIT_NETWORK, "out of memory");
		goto out;
	}
	if (o->hexfile && !(m.hex = nc_hexdump_open(o->hexfile))) {
		rc = nc_die(o, EXIT_USAGE, "%s: %s", o->hexfile, strerror(errno));
		goto out;
	}
	sk_raise_fd_limit();
	sk_loop_on_signal(m.loop, SIGINT, on_stop, &m);
	sk_loop_on_signal(m.loop, SIGTERM, on_stop, &m);
	if (o->exec_cmd)
		sk_loop_on_signal(m.loop, SIGCHLD, on_child, &m);
	sk_loop_add(m.loop, lfd, SK_READ, on_accept, &m);
	watch_stdio(&m);
	if (sk_loop_run(m.loop) < 0)
		rc = nc_die(o, EXIT_NETWORK, "event loop: %s", strerror(errno));
out:
	if (m.loop)
		teardown(&m);
	else
		free(m.in), free(m.cooked), free(m.pids);
	return rc;
}
