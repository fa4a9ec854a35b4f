/* test_loop.c — the event loop: timer order, cancel and re-arm, I/O
 * events, deletion inside a wakeup, signals, connection backpressure and
 * the bound on what a flooding peer that never reads costs, each under
 * both backends (io_uring where this kernel has it). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "sockit/conn.h"
#include "sockit/loop.h"
#include "sockit/net.h"

/* The backend the running group tests. */
static enum sk_backend backend = SK_BACKEND_EPOLL;

static struct sk_loop *new_loop(int setsize)
{
	struct sk_loop *loop = sk_loop_new_backend(setsize, backend);

	assert_non_null(loop);
	assert_int_equal(sk_loop_backend(loop), backend);
	return loop;
}

struct record {
	int order[64];
	int n;
};

struct tagged {
	struct sk_timer t;
	struct record *rec;
	int tag;
};

static void note_timer(struct sk_loop *loop, struct sk_timer *t)
{
	struct tagged *x = t->data;
	(void)loop;
	x->rec->order[x->rec->n++] = x->tag;
}

static void run_until(struct sk_loop *loop, const int *n, int want)
{
	for (int i = 0; i < 200 && *n < want; i++)
		sk_loop_once(loop, 50);
}

static void test_timers_fire_in_deadline_order(void **state)
{
	struct sk_loop *loop = new_loop(64);
	struct record rec = { 0 };
	struct tagged x[6];
	static const int delays[6] = { 30, 10, 20, 0, 25, 5 };
	(void)state;

	memset(x, 0, sizeof x);
	for (int i = 0; i < 6; i++) {
		x[i].rec = &rec;
		x[i].tag = delays[i];
		sk_timer_start(loop, &x[i].t, (uint64_t)delays[i], note_timer, &x[i]);
	}
	sk_timer_stop(loop, &x[2].t);           /* cancel 20 */
	sk_timer_start(loop, &x[0].t, 1, note_timer, &x[0]);  /* 30 moves to 1 */
	x[0].tag = 1;
	run_until(loop, &rec.n, 5);
	assert_int_equal(rec.n, 5);
	static const int want[5] = { 0, 1, 5, 10, 25 };
	assert_memory_equal(rec.order, want, sizeof want);
	assert_false(sk_timer_armed(&x[2].t));
	sk_loop_free(loop);
}

static int fired_total;

static void count_timer(struct sk_loop *loop, struct sk_timer *t)
{
	(void)loop; (void)t;
	fired_total++;
}

static void test_many_timers_heap(void **state)
{
	enum { N = 2000 };
	static struct tagged x[N];
	struct sk_loop *loop = new_loop(64);
	int fired = 0;
	(void)state;

	memset(x, 0, sizeof x);
	for (int i = 0; i < N; i++) {
		sk_timer_start(loop, &x[i].t, (uint64_t)((i * 7919) % 20), count_timer, &x[i]);
	}
	for (int i = 0; i < N; i += 2)
		sk_timer_stop(loop, &x[i].t);
	/* Every odd timer fires once, every cancelled even one never. */
	for (int i = 0; i < 100 && fired < N / 2; i++) {
		sk_loop_once(loop, 50);
		fired = 0;
		for (int j = 1; j < N; j += 2)
			fired += !sk_timer_armed(&x[j].t);
	}
	assert_int_equal(fired, N / 2);
	assert_int_equal(fired_total, N / 2);
	sk_loop_free(loop);
}

struct io_state {
	int reads;
	int other_fd;
	bool delete_other;
};

static void on_read(struct sk_loop *loop, int fd, int events, void *data)
{
	struct io_state *s = data;
	char buf[16];

	assert_true(events & SK_READ);
	assert_true(read(fd, buf, sizeof buf) > 0);
	s->reads++;
	if (s->delete_other)
		sk_loop_del(loop, s->other_fd);
}

static void test_io_events_and_delete_in_wakeup(void **state)
{
	struct sk_loop *loop = new_loop(4);
	int a[2], b[2];
	struct io_state sa = { 0 }, sb = { 0 };
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	sa.other_fd = b[0];
	sb.other_fd = a[0];
	sa.delete_other = sb.delete_other = true;
	assert_int_equal(sk_loop_add(loop, a[0], SK_READ, on_read, &sa), 0);
	assert_int_equal(sk_loop_add(loop, b[0], SK_READ, on_read, &sb), 0);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "y", 1), 1);
	sk_loop_once(loop, 100);
	/* Whichever ran first deleted the other: exactly one callback. */
	assert_int_equal(sa.reads + sb.reads, 1);
	assert_int_equal(sk_loop_events(loop, a[0]) | sk_loop_events(loop, b[0]), SK_READ);
	for (int i = 0; i < 2; i++)
		close(a[i]), close(b[i]);
	sk_loop_free(loop);
}

static void on_sig(struct sk_loop *loop, int signo, void *data)
{
	*(int *)data = signo;
	sk_loop_stop(loop);
}

static void test_signal_stops_loop(void **state)
{
	struct sk_loop *loop = new_loop(16);
	int got = 0;
	(void)state;

	assert_int_equal(sk_loop_on_signal(loop, SIGUSR1, on_sig, &got), 0);
	kill(getpid(), SIGUSR1);
	assert_int_equal(sk_loop_run(loop), 0);
	assert_int_equal(got, SIGUSR1);
	sk_loop_free(loop);
}

struct sink { size_t got; bool closed; };

static void sink_data(struct sk_conn *c, const char *d, size_t n)
{
	(void)d;
	((struct sink *)c->data)->got += n;
}

static void sink_close(struct sk_conn *c, const char *reason)
{
	(void)reason;
	((struct sink *)c->data)->closed = true;
}

static const struct sk_conn_ops sink_ops = { .on_data = sink_data, .on_close = sink_close };

static void test_conn_backpressure_stops_reading(void **state)
{
	struct sk_loop *loop = new_loop(16);
	struct sink s = { 0 };
	struct sk_conn_limits lim = sk_conn_default_limits;
	char chunk[4096] = { 0 };
	int sv[2];
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	sk_set_bufsizes(sv[0], 4096, 4096);
	lim.high_water = 32 * 1024;
	lim.low_water = 8 * 1024;
	sk_loop_once(loop, 0);      /* an io_uring loop makes its ring */
	struct sk_conn *c = sk_conn_new(loop, sv[0], NULL, 0, &sink_ops, &s, &lim);
	assert_non_null(c);
	assert_int_equal(c->ring != NULL, backend == SK_BACKEND_URING);
	/* The peer never reads: the queue passes the high watermark. */
	for (int i = 0; i < 64; i++)
		assert_int_equal(sk_conn_write(c, chunk, sizeof chunk), 0);
	assert_true(c->backpressured);
	assert_false(sk_conn_reading(c));
	if (!c->ring)
		assert_false(sk_loop_events(loop, sv[0]) & SK_READ);
	/* The peer drains: reading resumes below the low watermark. */
	char sink[65536];
	for (int i = 0; i < 200 && c->backpressured; i++) {
		while (read(sv[1], sink, sizeof sink) > 0)
			;
		sk_loop_once(loop, 10);
	}
	assert_false(c->backpressured);
	assert_true(sk_conn_reading(c));
	if (!c->ring)
		assert_true(sk_loop_events(loop, sv[0]) & SK_READ);
	sk_conn_close(c, "test");
	assert_true(s.closed);
	close(sv[1]);
	sk_loop_free(loop);
}

static void echo_data(struct sk_conn *c, const char *d, size_t n)
{
	sk_conn_write(c, d, n);
}

static const struct sk_conn_ops echo_ops = { .on_data = echo_data, .on_close = sink_close };

/* A peer that floods an echoing connection and never reads: the server
 * stops taking its bytes once the queue passes the watermark, holding at
 * most the watermark plus one read (on io_uring the multishot receive is
 * capped and cancelled, so it cannot drain the peer's backlog into
 * memory).  Held = what left the socket (pushed - still unread there)
 * minus what went back out.  Once the peer reads, receiving resumes and
 * every byte comes back. */
static void test_conn_flooding_peer_held_to_the_watermark(void **state)
{
	struct sk_loop *loop = new_loop(16);
	struct sink s = { 0 };
	struct sk_conn_limits lim = sk_conn_default_limits;
	static char chunk[65536], back[65536];
	size_t pushed = 0, got = 0;
	int sv[2], unread = 0;
	ssize_t n;
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	sk_set_bufsizes(sv[0], 0, 4096);          /* replies back up at once */
	sk_set_bufsizes(sv[1], 0, 1 << 20);       /* the peer's backlog is large */
	lim.high_water = 32 * 1024;
	lim.low_water = 8 * 1024;
	sk_loop_once(loop, 0);
	struct sk_conn *c = sk_conn_new(loop, sv[0], NULL, 0, &echo_ops, &s, &lim);
	assert_non_null(c);
	for (int i = 0, quiet = 0; i < 1000 && quiet < 20; i++) {
		while ((n = write(sv[1], chunk, sizeof chunk)) > 0)
			pushed += (size_t)n;
		sk_loop_once(loop, 2);
		quiet = sk_conn_reading(c) ? 0 : quiet + 1;
	}
	assert_false(sk_conn_reading(c));
	assert_int_equal(ioctl(sv[0], FIONREAD, &unread), 0);
	size_t held = pushed - (size_t)unread - c->bytes_out;
	assert_true(held <= lim.high_water + lim.read_size);
	assert_true((size_t)unread > lim.read_size);   /* it really was left there */
	/* The peer reads: everything comes back, in full. */
	for (int i = 0; i < 5000 && got < pushed && !s.closed; i++) {
		while ((n = read(sv[1], back, sizeof back)) > 0)
			got += (size_t)n;
		sk_loop_once(loop, 2);
	}
	assert_int_equal(got, pushed);
	assert_true(sk_conn_reading(c));
	sk_conn_close(c, "test");
	close(sv[1]);
	sk_loop_free(loop);
}

/* An owner that pauses after its first bytes, and records all it gets. */
struct pauser { char got[64]; size_t n; int eofs; bool closed; };

static void pauser_data(struct sk_conn *c, const char *d, size_t n)
{
	struct pauser *p = c->data;

	assert_true(p->n + n <= sizeof p->got);
	memcpy(p->got + p->n, d, n);
	p->n += n;
	sk_conn_pause(c);
}

static void pauser_eof(struct sk_conn *c)
{
	((struct pauser *)c->data)->eofs++;
	sk_conn_write(c, "bye", 3);
	sk_conn_end(c, "done");
}

static void pauser_close(struct sk_conn *c, const char *reason)
{
	(void)reason;
	((struct pauser *)c->data)->closed = true;
}

static const struct sk_conn_ops pauser_ops = {
	.on_data = pauser_data, .on_eof = pauser_eof, .on_close = pauser_close,
};

static void turns(struct sk_loop *loop, int n)
{
	for (int i = 0; i < n; i++)
		sk_loop_once(loop, 5);
}

/* Paused, nothing is delivered (on io_uring what arrives meanwhile waits
 * in order); resumed, the rest comes, then EOF once, and the reply to the
 * EOF goes out before the close. */
static void test_conn_pause_keeps_order_and_eof(void **state)
{
	struct sk_loop *loop = new_loop(16);
	struct pauser p = { 0 };
	char buf[16];
	int sv[2];
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	sk_loop_once(loop, 0);
	struct sk_conn *c = sk_conn_new(loop, sv[0], NULL, 0, &pauser_ops, &p, NULL);
	assert_non_null(c);
	assert_int_equal(write(sv[1], "abc", 3), 3);
	for (int i = 0; i < 200 && p.n == 0; i++)
		sk_loop_once(loop, 10);
	assert_int_equal(p.n, 3);
	assert_int_equal(write(sv[1], "def", 3), 3);
	assert_int_equal(write(sv[1], "ghi", 3), 3);
	shutdown(sv[1], SHUT_WR);
	turns(loop, 10);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.eofs, 0);
	/* Resume after each delivery until everything and the EOF are in
	 * (the owner pauses again on every delivery). */
	for (int i = 0; i < 200 && !p.closed; i++) {
		sk_conn_resume(c);
		sk_loop_once(loop, 10);
	}
	assert_true(p.closed);
	assert_int_equal(p.eofs, 1);
	assert_int_equal(p.n, 9);
	assert_memory_equal(p.got, "abcdefghi", 9);
	assert_int_equal(read(sv[1], buf, sizeof buf), 3);
	assert_memory_equal(buf, "bye", 3);
	assert_int_equal(read(sv[1], buf, sizeof buf), 0);
	close(sv[1]);
	sk_loop_free(loop);
}

/* Each delivery is answered by writes of mixed sizes in one callback:
 * short ones (on io_uring copied beside the connection's ring state, or
 * moved to the queue when another write follows in the turn), a long one
 * and one past the early-send threshold; the peer must read every byte
 * in the order written, however the backend batches them. */
#define MIX_BIG (40 * 1024)

static char mix_byte(size_t i) { return (char)('a' + i % 23); }

struct mixer { size_t written; };

static void mix_write(struct sk_conn *c, struct mixer *m, size_t n)
{
	static char buf[MIX_BIG];

	for (size_t i = 0; i < n; i++)
		buf[i] = mix_byte(m->written + i);
	assert_int_equal(sk_conn_write(c, buf, n), 0);
	m->written += n;
}

static void mixer_data(struct sk_conn *c, const char *d, size_t n)
{
	static const size_t sizes[] = { 5, 200, 7, 3000, 1, MIX_BIG, 9 };
	struct mixer *m = c->data;
	(void)d;

	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
			mix_write(c, m, sizes[i]);
}

static const struct sk_conn_ops mixer_ops = { .on_data = mixer_data };

static void test_conn_mixed_writes_keep_order(void **state)
{
	struct sk_loop *loop = new_loop(16);
	struct mixer m = { 0 };
	static char got[8 * (MIX_BIG + 4096)];
	size_t have = 0;
	int sv[2];
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	sk_loop_once(loop, 0);
	struct sk_conn *c = sk_conn_new(loop, sv[0], NULL, 0, &mixer_ops, &m, NULL);
	assert_non_null(c);
	for (int round = 0; round < 3; round++) {
		size_t want = m.written;
		assert_int_equal(write(sv[1], "x", 1), 1);
		for (int i = 0; i < 500 && (want == m.written || have < m.written); i++) {
			sk_loop_once(loop, 2);
			ssize_t r = read(sv[1], got + have, sizeof got - have);
			if (r > 0)
				have += (size_t)r;
		}
		assert_true(m.written > want);
		assert_int_equal(have, m.written);
	}
	for (size_t i = 0; i < have; i++)
		if (got[i] != mix_byte(i))
			fail_msg("byte %zu: got %c, want %c", i, got[i], mix_byte(i));
	sk_conn_close(c, "done");
	close(sv[1]);
	sk_loop_free(loop);
}

/* Echo one byte through c's peer end; whether it came back. */
static bool echoes(struct sk_loop *loop, int peer, char ch)
{
	char got = 0;

	if (write(peer, &ch, 1) != 1)
		return false;
	for (int i = 0; i < 100; i++) {
		sk_loop_once(loop, 10);
		if (read(peer, &got, 1) == 1)
			return got == ch;
	}
	return false;
}

/* A connection closed while its receive is armed really closes its
 * socket (the peer reads EOF: on io_uring neither the cancelled receive
 * nor its fixed-file slot holds it), and a new connection on the same
 * fd number works (its slot is its own). */
static void test_conn_close_releases_socket_and_fd(void **state)
{
	struct sk_loop *loop = new_loop(16);
	struct sink s = { 0 }, s2 = { 0 };
	char buf[8];
	int sv[2], sv2[2];
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	sk_loop_once(loop, 0);
	struct sk_conn *c = sk_conn_new(loop, sv[0], NULL, 0, &echo_ops, &s, NULL);
	assert_non_null(c);
	assert_true(echoes(loop, sv[1], 'a'));
	sk_conn_close(c, "test");
	assert_true(s.closed);
	ssize_t n = -1;
	for (int i = 0; i < 100 && n < 0; i++) {
		sk_loop_once(loop, 10);
		n = read(sv[1], buf, sizeof buf);
	}
	assert_int_equal(n, 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv2), 0);
	assert_int_equal(sv2[0], sv[0]);    /* the lowest free number again */
	c = sk_conn_new(loop, sv2[0], NULL, 0, &echo_ops, &s2, NULL);
	assert_non_null(c);
	assert_true(echoes(loop, sv2[1], 'b'));
	sk_conn_close(c, "test");
	turns(loop, 3);
	close(sv[1]);
	close(sv2[1]);
	sk_loop_free(loop);
}

/* ---- sk_loop_accept ---- */

struct acc {
	int fds[8];
	int n;
	int ports[8];          /* the peers' ports, as the callback got them */
	int emfile;
	struct rlimit restore; /* set back at the first EMFILE */
};

static void on_accepted(struct sk_loop *loop, int lfd, int cfd, const struct sockaddr *peer,
                        socklen_t peerlen, int err, void *data)
{
	struct acc *a = data;
	(void)loop; (void)lfd;

	if (cfd < 0) {
		assert_true(err == EMFILE || err == ENFILE);
		if (a->emfile++ == 0)
			setrlimit(RLIMIT_NOFILE, &a->restore);
		return;
	}
	assert_true(a->n < 8);
	assert_int_equal(peerlen, sizeof(struct sockaddr_in));
	a->ports[a->n] = ntohs(((const struct sockaddr_in *)peer)->sin_port);
	a->fds[a->n++] = cfd;
}

static int tcp_listener(struct sockaddr_in *sa)
{
	socklen_t len = sizeof *sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	*sa = (struct sockaddr_in){ .sin_family = AF_INET,
	                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)sa, sizeof *sa), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)sa, &len), 0);
	return fd;
}

/* A blocking connect (loopback: it completes in the backlog, accepted
 * or not); *port is its local port.  -1 with errno when refused. */
static int client(const struct sockaddr_in *sa, int *port)
{
	struct sockaddr_in me;
	socklen_t len = sizeof me;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &len), 0);
	*port = ntohs(me.sin_port);
	return fd;
}

static void spin(struct sk_loop *loop, int turns)
{
	for (int i = 0; i < turns; i++)
		sk_loop_once(loop, 20);
}

/* Clients come with their addresses, non-blocking and close-on-exec; a
 * pause stops accepting (the client waits in the backlog) and a resume
 * takes it; after sk_loop_del and close the port is really closed
 * (io_uring: the accept request no longer holds the socket). */
static void test_accept_pause_resume_delete(void **state)
{
	struct sk_loop *loop = new_loop(16);
	struct acc a = { 0 };
	struct sockaddr_in sa;
	int cl[4], port[4];
	(void)state;

	int lfd = tcp_listener(&sa);
	assert_int_equal(sk_loop_accept(loop, lfd, on_accepted, &a), 0);
	for (int i = 0; i < 2; i++)
		assert_true((cl[i] = client(&sa, &port[i])) >= 0);
	run_until(loop, &a.n, 2);
	assert_int_equal(a.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(a.ports[i], port[i]);
		assert_true(fcntl(a.fds[i], F_GETFL) & O_NONBLOCK);
		assert_true(fcntl(a.fds[i], F_GETFD) & FD_CLOEXEC);
	}
	assert_int_equal(sk_loop_mod(loop, lfd, 0), 0);
	spin(loop, 1);             /* io_uring: the cancel goes in */
	assert_true((cl[2] = client(&sa, &port[2])) >= 0);
	spin(loop, 3);
	assert_int_equal(a.n, 2);
	assert_int_equal(sk_loop_mod(loop, lfd, SK_READ), 0);
	run_until(loop, &a.n, 3);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.ports[2], port[2]);
	sk_loop_del(loop, lfd);
	close(lfd);
	spin(loop, 1);
	errno = 0;
	assert_int_equal(client(&sa, &port[3]), -1);
	assert_int_equal(errno, ECONNREFUSED);
	spin(loop, 2);
	assert_int_equal(a.n, 3);
	for (int i = 0; i < 3; i++)
		close(cl[i]), close(a.fds[i]);
	sk_loop_free(loop);
}

/* Out of descriptors the callback hears EMFILE (here it raises the limit
 * again), and the waiting clients are accepted after.  (io_uring's
 * accept reads RLIMIT_NOFILE when it is armed, not per client.) */
static void test_accept_reports_emfile(void **state)
{
	struct sk_loop *loop = new_loop(16);
	struct acc a = { 0 };
	struct sockaddr_in sa;
	int cl[3], port[3];
	(void)state;

	int lfd = tcp_listener(&sa);
	sk_loop_once(loop, 0);     /* io_uring: its ring, before the limit */
	for (int i = 0; i < 3; i++)
		assert_true((cl[i] = client(&sa, &port[i])) >= 0);
	int lowest = dup(0);
	assert_true(lowest >= 0);
	close(lowest);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &a.restore), 0);
	struct rlimit low = { .rlim_cur = (rlim_t)lowest, .rlim_max = a.restore.rlim_max };
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	/* After the limit: io_uring's accept takes the limit when armed. */
	assert_int_equal(sk_loop_accept(loop, lfd, on_accepted, &a), 0);
	run_until(loop, &a.n, 3);
	setrlimit(RLIMIT_NOFILE, &a.restore);
	assert_true(a.emfile >= 1);
	assert_int_equal(a.n, 3);
	for (int i = 0; i < 3; i++)
		close(cl[i]), close(a.fds[i]);
	sk_loop_del(loop, lfd);
	close(lfd);
	sk_loop_free(loop);
}

/* A client that connected and reset before it was accepted still comes
 * to the callback, with its address (accept4 gives it on epoll; on
 * io_uring getpeername would say ENOTCONN), so the server logs it. */
static void test_accept_delivers_a_client_that_reset(void **state)
{
	struct sk_loop *loop = new_loop(16);
	struct acc a = { 0 };
	struct sockaddr_in sa;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int port;
	(void)state;

	int lfd = tcp_listener(&sa);
	int cl = client(&sa, &port);
	assert_true(cl >= 0);
	assert_int_equal(setsockopt(cl, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
	close(cl);                 /* RST while it waits in the backlog */
	assert_int_equal(sk_loop_accept(loop, lfd, on_accepted, &a), 0);
	run_until(loop, &a.n, 1);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.ports[0], port);
	close(a.fds[0]);
	sk_loop_del(loop, lfd);
	close(lfd);
	sk_loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_deadline_order),
		cmocka_unit_test(test_many_timers_heap),
		cmocka_unit_test(test_io_events_and_delete_in_wakeup),
		cmocka_unit_test(test_signal_stops_loop),
		cmocka_unit_test(test_conn_backpressure_stops_reading),
		cmocka_unit_test(test_conn_flooding_peer_held_to_the_watermark),
		cmocka_unit_test(test_conn_pause_keeps_order_and_eof),
		cmocka_unit_test(test_conn_mixed_writes_keep_order),
		cmocka_unit_test(test_conn_close_releases_socket_and_fd),
		cmocka_unit_test(test_accept_pause_resume_delete),
		cmocka_unit_test(test_accept_reports_emfile),
		cmocka_unit_test(test_accept_delivers_a_client_that_reset),
	};
	const char *why = NULL;
	int failed = cmocka_run_group_tests_name("loop (epoll)", tests, NULL, NULL);

	if (!sk_uring_available(&why)) {
		printf("loop (io_uring): skipped, %s\n", why);
		return failed;
	}
	backend = SK_BACKEND_URING;
	fired_total = 0;
	return failed + cmocka_run_group_tests_name("loop (io_uring)", tests, NULL, NULL);
}
