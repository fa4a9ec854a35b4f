/* engine.c — the scanner proper: non-blocking connects, completed through
 * the libsockit event loop, with one intrusive timer per probe.
 *
 * Work is numbered: item w is host (w mod H) at port index (w div H), so a
 * CIDR scan visits every host before it comes back to the next port, and
 * --shard takes every N-th item.  Each worker thread runs its own loop on
 * an interleaved sub-slice of that (the same slicing again).  A fixed array
 * of probe slots does a worker's work; a slot whose connect went
 * unanswered waits in a FIFO for its retry, ahead of new work.
 *
 * Speed on loopback: the RST to a closed port is processed before
 * connect() returns, so the engine asks for the result at once with a
 * second connect() on the same socket (ECONNREFUSED, 0 when connected,
 * EALREADY while pending).  That call also resets a refused socket to
 * unconnected, so the slot keeps it for its next probe of the same host:
 * a closed port costs two syscalls and no epoll_ctl.
 *
 * The window (probes in flight) starts small and grows by one per answer,
 * up to the concurrency; when answers that needed a retry become frequent
 * (losses, not just the odd drop) it halves, at most once per timeout.
 * Timeouts follow the measured RTT (rtt.c) unless --timeout fixes them. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan/engine.h"
#include "scan/rtt.h"
#include "sockit/error.h"
#include "sockit/loop.h"
#include "sockit/net.h"

#define WINDOW_START 512.0
#define WINDOW_MIN 8.0
#define LOSS_BACKOFF 0.10       /* share of answers that needed a retry */
#define STALL_PAUSE_MS 5        /* wait when the kernel has no socket/port */
#define STALLS_MAX 4000         /* consecutive stalls before giving up */
#define PENDING (-1)

enum phase { P_FREE, P_WAIT, P_CONNECT, P_BANNER };

struct scan;

struct probe {
	struct sk_timer timer;
	struct scan *sc;
	uint64_t item;
	uint64_t sent_ns, rtt_us;
	int fd;                        /* kept across probes when reusable */
	uint32_t fd_host;              /* host index fd was last used for */
	uint32_t next;                 /* wait list: slot index + 1, 0 ends */
	uint8_t tries, suspects, phase;
	bool fd_clean;                 /* refused and reset: connect() again */
};

/* What the worker threads share. */
struct shared {
	const struct scan_opts *o;
	pthread_mutex_t out_lock;
	uint32_t *unfinished;          /* per port: items in flight or waiting */
	uint64_t done, open;           /* atomics, for progress */
	struct sk_loop *main_loop;
	unsigned running;
};

struct scan {
	const struct scan_opts *o;
	struct shared *sh;
	struct scan_summary sum;       /* this worker's counts */
	struct shard sub;              /* this worker's slice of the shard */
	struct sk_loop *loop;
	struct probe *probes;
	uint32_t nprobes, *free_stack, nfree;
	uint32_t wait_head, wait_tail;
	uint32_t inflight;
	uint64_t next_k, slice, hosts;
	double window, loss_ewma, tokens, rate;
	uint64_t tokens_ns, last_cut_ms, answers;
	struct rtt_est rtt;
	struct sk_timer pace_timer;
	unsigned stalls;
	bool pumping, failed;
	char err[SK_ERRLEN];
	pthread_t thread;
	size_t outlen;                 /* result lines not yet written */
	bool out_open;                 /* ... among them an open port */
	char out[1 << 16];
};

static void pump(struct scan *sc);
static sk_io_fn on_io;
static sk_timer_fn on_timeout;

static uint32_t item_host_index(const struct scan *sc, uint64_t w)
{
	return (uint32_t)(w % sc->hosts);
}

static const struct scan_host *item_host(const struct scan *sc, uint64_t w)
{
	return &sc->o->targets->hosts[item_host_index(sc, w)];
}

static uint16_t item_port(const struct scan *sc, uint64_t w)
{
	return sc->o->ports->ports[w / sc->hosts];
}

static socklen_t item_addr(const struct scan *sc, uint64_t w,
                           struct sockaddr_storage *ss)
{
	return host_sockaddr(item_host(sc, w), item_port(sc, w), ss);
}

static uint32_t timeout_now(const struct scan *sc)
{
	return sc->o->timeout_ms ? sc->o->timeout_ms : rtt_timeout_ms(&sc->rtt);
}

/* Retries for an unanswered port: as asked, or by default 2, raised when
 * answers show losses so that an answering port is missed with odds
 * below one in a million (p^attempts < 1e-6). */
static unsigned retries_allowed(const struct scan *sc)
{
	if (sc->o->retries >= 0)
		return (unsigned)sc->o->retries;
	if (sc->answers < 50 || sc->sum.lossy_answers == 0)
		return 2;
	double p = (double)sc->sum.lossy_answers / (double)sc->answers;
	if (p >= 0.5)
		return SCAN_MAX_RETRIES;
	unsigned attempts = (unsigned)ceil(log(1e-6) / log(p));
	unsigned r = attempts > 1 ? attempts - 1 : 0;
	return r < 2 ? 2 : r > 6 ? 6 : r;
}

static void close_fd(struct probe *p)
{
	if (p->fd >= 0) {
		sk_loop_del(p->sc->loop, p->fd);
		close(p->fd);
	}
	p->fd = -1;
	p->fd_clean = false;
}

/* The probe leaves the network: stop watching it, stop its timer; its
 * socket is kept only when a refusal left it reusable. */
static void park(struct probe *p)
{
	struct scan *sc = p->sc;
	if (p->phase == P_CONNECT || p->phase == P_BANNER)
		sc->inflight--;
	if (!p->fd_clean)
		close_fd(p);
	else if (p->phase == P_CONNECT)
		sk_loop_del(sc->loop, p->fd);
	sk_timer_stop(sc->loop, &p->timer);
	p->phase = P_WAIT;
}

static void requeue(struct probe *p)
{
	struct scan *sc = p->sc;
	uint32_t idx = (uint32_t)(p - sc->probes) + 1;
	park(p);
	p->next = 0;
	if (sc->wait_tail)
		sc->probes[sc->wait_tail - 1].next = idx;
	else
		sc->wait_head = idx;
	sc->wait_tail = idx;
}

static void count(struct scan *sc, enum port_state st)
{
	struct scan_summary *s = &sc->sum;
	s->done++;
	*(st == PORT_OPEN ? &s->open : st == PORT_CLOSED ? &s->closed : &s->filtered) += 1;
	__atomic_fetch_add(&sc->sh->done, 1, __ATOMIC_RELAXED);
	if (st == PORT_OPEN)
		__atomic_fetch_add(&sc->sh->open, 1, __ATOMIC_RELAXED);
}

/* Hand this worker's buffered lines to the shared output. */
static void flush_out(struct scan *sc)
{
	if (sc->outlen == 0)
		return;
	pthread_mutex_lock(&sc->sh->out_lock);
	report_write(sc->o->report, sc->out, sc->outlen, sc->out_open);
	pthread_mutex_unlock(&sc->sh->out_lock);
	sc->outlen = 0;
	sc->out_open = false;
}

/* Buffer one result line; open ports go out at once. */
static void emit(struct scan *sc, const struct scan_result *res)
{
	if (sizeof sc->out - sc->outlen < REPORT_LINE_MAX)
		flush_out(sc);
	size_t n = report_line(sc->o->report, res, sc->out + sc->outlen,
	                       sizeof sc->out - sc->outlen);
	sc->outlen += n;
	if (res->state == PORT_OPEN) {
		sc->out_open = true;
		flush_out(sc);
	}
}

static void finish(struct probe *p, enum port_state st, const char *reason,
                   const unsigned char *banner, size_t blen)
{
	struct scan *sc = p->sc;
	park(p);
	struct scan_result res = { item_host(sc, p->item), item_port(sc, p->item),
	                           st, p->rtt_us, reason, banner, blen };
	if (st == PORT_OPEN || sc->o->report->all)
		emit(sc, &res);
	__atomic_fetch_sub(&sc->sh->unfinished[res.port], 1, __ATOMIC_RELAXED);
	count(sc, st);
	p->phase = P_FREE;
	sc->free_stack[sc->nfree++] = (uint32_t)(p - sc->probes);
	if (sc->sum.done == sc->slice)
		sk_loop_stop(sc->loop);
}

/* An answer came (SYN-ACK, RST or ICMP): feed the RTT estimate and the
 * window.  An answer to a retry means an earlier attempt was lost. */
static void on_answer(struct probe *p)
{
	struct scan *sc = p->sc;
	bool lossy = p->tries > 1;
	uint64_t now = sk_loop_now(sc->loop);

	p->rtt_us = (sk_now_ns() - p->sent_ns) / 1000;
	rtt_sample(&sc->rtt, p->rtt_us ? p->rtt_us : 1);
	sc->answers++;
	sc->stalls = 0;
	sc->sum.lossy_answers += lossy;
	sc->loss_ewma += ((lossy ? 1.0 : 0.0) - sc->loss_ewma) / 32.0;
	if (lossy && sc->loss_ewma > LOSS_BACKOFF &&
	    now - sc->last_cut_ms > timeout_now(sc)) {
		sc->window = fmax(sc->window / 2, WINDOW_MIN);
		sc->last_cut_ms = now;
	} else if (sc->window < sc->nprobes) {
		sc->window += 1;
	}
}

/* No answer within the timeout: retry, or call the port filtered. */
static void no_answer(struct probe *p)
{
	if (p->tries <= retries_allowed(p->sc))
		requeue(p);
	else
		finish(p, PORT_FILTERED, "no-response", NULL, 0);
}

static bool same_addr(const struct sockaddr_storage *a,
                      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET
	             ? ((const struct sockaddr_in *)ss)->sin_port
	             : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* Did this connect meet one of our own sockets rather than a listener?
 * 1: a self-connect (local == peer: the kernel picked the target port as
 * source port and TCP's simultaneous open "succeeded").  2: the source
 * port is a port we are probing right now on our own address, so two of
 * our connects may have opened each other.  0: a real answer. */
static int own_socket(struct scan *sc, int fd)
{
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof l, rl = sizeof r;
	if (getsockname(fd, (struct sockaddr *)&l, &ll) < 0 ||
	    getpeername(fd, (struct sockaddr *)&r, &rl) < 0 || !same_addr(&l, &r))
		return 0;
	if (port_of(&l) == port_of(&r))
		return 1;
	return __atomic_load_n(&sc->sh->unfinished[port_of(&l)], __ATOMIC_RELAXED) > 0 ? 2 : 0;
}

static void connected(struct probe *p)
{
	struct scan *sc = p->sc;
	int own = own_socket(sc, p->fd);
	if (own) {
		sc->sum.self_connects++;
		if (p->suspects++ < SCAN_MAX_SUSPECTS) {
			p->tries--;            /* not a loss: try again for free */
			requeue(p);
			return;
		}
		if (own == 1) {
			finish(p, PORT_CLOSED, "self-connect", NULL, 0);
			return;
		}
	}
	on_answer(p);
	if (!sc->o->banner) {
		finish(p, PORT_OPEN, "syn-ack", NULL, 0);
		return;
	}
	if (p->phase == P_CONNECT) {
		sk_loop_mod(sc->loop, p->fd, SK_READ);
	} else if (sk_loop_add(sc->loop, p->fd, SK_READ, on_io, p) == 0) {
		sc->inflight++;
	} else {
		finish(p, PORT_OPEN, "syn-ack", NULL, 0);
		return;
	}
	p->phase = P_BANNER;
	sk_timer_start(sc->loop, &p->timer, sc->o->banner_ms, on_timeout, p);
}

/* The connect ended with errno e (0: connected). */
static void answered(struct probe *p, int e)
{
	switch (e) {
	case 0:
		connected(p);
		break;
	case ECONNREFUSED:
		p->fd_clean = p->fd >= 0;    /* refused connects reset the socket */
		on_answer(p);
		finish(p, PORT_CLOSED, "conn-refused", NULL, 0);
		break;
	case ECONNRESET:
		on_answer(p);
		finish(p, PORT_CLOSED, "conn-refused", NULL, 0);
		break;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EACCES:
	case EPERM:
		on_answer(p);
		finish(p, PORT_FILTERED, e == EACCES || e == EPERM ? "admin-prohibited"
		       : e == EHOSTUNREACH ? "host-unreach" : "net-unreach", NULL, 0);
		break;
	case ETIMEDOUT:
		no_answer(p);
		break;
	default:
		finish(p, PORT_FILTERED, "error", NULL, 0);
		break;
	}
}

/* Where a connect on fd stands: 0 connected, PENDING, or the errno that
 * ended it.  A second connect() reports it and resets a failed socket. */
static int connect_state(const struct scan *sc, const struct probe *p)
{
	struct sockaddr_storage ss;
	socklen_t len = item_addr(sc, p->item, &ss);
	if (connect(p->fd, (struct sockaddr *)&ss, len) == 0)
		return 0;
	switch (errno) {
	case EISCONN: return 0;
	case EALREADY: case EINPROGRESS: case EINTR: return PENDING;
	case ECONNABORTED: return sk_connect_result(p->fd);
	default: return errno;
	}
}

static void read_banner(struct probe *p)
{
	unsigned char buf[BANNER_MAX];
	ssize_t n = read(p->fd, buf, sizeof buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	finish(p, PORT_OPEN, "syn-ack", n > 0 ? buf : NULL, n > 0 ? (size_t)n : 0);
}

static void on_io(struct sk_loop *loop, int fd, int events, void *data)
{
	(void)loop; (void)fd; (void)events;
	struct probe *p = data;
	struct scan *sc = p->sc;
	if (p->phase == P_CONNECT) {
		int e = connect_state(sc, p);
		if (e != PENDING)
			answered(p, e);
	} else if (p->phase == P_BANNER) {
		read_banner(p);
	}
	pump(sc);
}

static void on_timeout(struct sk_loop *loop, struct sk_timer *t)
{
	(void)loop;
	struct probe *p = t->data;
	struct scan *sc = p->sc;
	if (p->phase == P_BANNER) {
		finish(p, PORT_OPEN, "syn-ack", NULL, 0);
	} else {
		/* The estimate may have grown since this timer was set. */
		uint64_t waited = (sk_now_ns() - p->sent_ns) / 1000000;
		uint32_t want = timeout_now(sc);
		if (waited < want)
			sk_timer_start(sc->loop, &p->timer, want - waited, on_timeout, p);
		else
			no_answer(p);
	}
	pump(sc);
}

/* The kernel is out of sockets, ports or buffers: put the probe back and
 * pause briefly; give up only after many pauses without any answer. */
static int stall(struct probe *p, int e)
{
	struct scan *sc = p->sc;
	p->tries--;
	sc->sum.probes--;
	requeue(p);
	if (sc->inflight && sc->window > sc->inflight)
		sc->window = sc->inflight;
	if (++sc->stalls > STALLS_MAX) {
		errno = e;
		return -1;
	}
	sk_timer_start(sc->loop, &sc->pace_timer, STALL_PAUSE_MS,
	               sc->pace_timer.fn, sc);
	return 1;
}

static int start_failed(struct probe *p, int e)
{
	switch (e) {
	case ECONNREFUSED: case ECONNRESET: case EHOSTUNREACH: case ENETUNREACH:
	case EACCES: case EPERM: case ETIMEDOUT:
		answered(p, e);
		return 0;
	case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM: case EAGAIN:
	case EADDRNOTAVAIL: case EADDRINUSE:
		return stall(p, e);
	default:
		errno = e;
		return -1;
	}
}

/* Start the connect on the slot's socket: a refused one of the same host
 * is reused, anything else is replaced.  0 or an errno. */
static int open_connect(struct scan *sc, struct probe *p)
{
	struct sockaddr_storage ss;
	socklen_t len = item_addr(sc, p->item, &ss);
	uint32_t host = item_host_index(sc, p->item);

	if (p->fd >= 0 && p->fd_clean && p->fd_host == host) {
		p->fd_clean = false;
		if (connect(p->fd, (struct sockaddr *)&ss, len) == 0 ||
		    errno == EINPROGRESS)
			return 0;
		/* Whatever went wrong with the old socket, a new one decides. */
	}
	close_fd(p);
	p->fd = sk_connect_start((struct sockaddr *)&ss, len, SOCK_STREAM);
	p->fd_host = host;
	return p->fd < 0 ? errno : 0;
}

/* Send one probe.  0 sent (or answered at once), 1 paused, -1 fatal. */
static int launch(struct probe *p)
{
	struct scan *sc = p->sc;

	p->tries++;
	sc->sum.probes++;
	sc->sum.retries += p->tries > 1;
	p->sent_ns = sk_now_ns();
	int e = open_connect(sc, p);
	if (e)
		return start_failed(p, e);
	/* On loopback the answer is usually in before connect() returned. */
	if ((e = connect_state(sc, p)) != PENDING) {
		answered(p, e);
		return 0;
	}
	if (sk_loop_add(sc->loop, p->fd, SK_WRITE, on_io, p) < 0) {
		close_fd(p);
		return stall(p, errno);
	}
	p->phase = P_CONNECT;
	sc->inflight++;
	/* Before the first answer the timeout is TCP's cautious 1 s; look
	 * again sooner, as answers may shrink it (on_timeout re-arms). */
	uint32_t ms = timeout_now(sc);
	if (sc->rtt.samples == 0 && ms > sc->rtt.min_ms)
		ms = sc->rtt.min_ms;
	sk_timer_start(sc->loop, &p->timer, ms, on_timeout, p);
	return 0;
}

/* Token bucket for --rate; arms the pace timer when empty. */
static bool rate_allows(struct scan *sc)
{
	double rate = sc->rate;
	if (rate <= 0)
		return true;
	uint64_t now = sk_now_ns();
	double burst = fmax(1.0, rate / 50.0);
	sc->tokens = fmin(burst, sc->tokens + (double)(now - sc->tokens_ns) * rate / 1e9);
	sc->tokens_ns = now;
	if (sc->tokens >= 1.0) {
		sc->tokens -= 1.0;
		return true;
	}
	uint64_t ms = (uint64_t)ceil((1.0 - sc->tokens) / rate * 1000.0);
	sk_timer_start(sc->loop, &sc->pace_timer, ms ? ms : 1, sc->pace_timer.fn, sc);
	return false;
}

/* The next probe to send: a retry first, else a fresh item. */
static struct probe *take_next(struct scan *sc)
{
	if (sc->wait_head) {
		struct probe *p = &sc->probes[sc->wait_head - 1];
		sc->wait_head = p->next;
		if (!sc->wait_head)
			sc->wait_tail = 0;
		return p;
	}
	if (sc->next_k >= sc->slice || sc->nfree == 0)
		return NULL;
	struct probe *p = &sc->probes[sc->free_stack[--sc->nfree]];
	p->item = shard_item(&sc->o->shard, shard_item(&sc->sub, sc->next_k++));
	p->tries = p->suspects = 0;
	p->rtt_us = 0;
	p->phase = P_WAIT;
	__atomic_fetch_add(&sc->sh->unfinished[item_port(sc, p->item)], 1,
	                   __ATOMIC_RELAXED);
	return p;
}

static bool has_work(const struct scan *sc)
{
	return sc->wait_head || (sc->next_k < sc->slice && sc->nfree > 0);
}

static void fail(struct scan *sc, struct probe *p)
{
	char addr[128];
	host_format(item_host(sc, p->item), addr, sizeof addr);
	sk_seterrno(sc->err, sizeof sc->err, "connect %s port %u", addr,
	            item_port(sc, p->item));
	sc->failed = true;
	sk_loop_stop(sc->loop);
}

static void pump(struct scan *sc)
{
	if (sc->pumping || sc->failed)
		return;
	sc->pumping = true;     /* launch() may finish probes, which pump */
	while (sc->inflight < (uint32_t)sc->window && has_work(sc) &&
	       !sk_timer_armed(&sc->pace_timer) && rate_allows(sc)) {
		struct probe *p = take_next(sc);
		int rc = launch(p);
		if (rc < 0) {
			fail(sc, p);
			break;
		}
		if (rc > 0)
			break;
	}
	sc->pumping = false;
}

static void on_pace(struct sk_loop *loop, struct sk_timer *t)
{
	(void)loop;
	pump(t->data);
}

static int worker_setup(struct scan *sc, uint32_t nprobes)
{
	sc->nprobes = nprobes;
	sc->loop = sk_loop_new((int)nprobes + 64);
	sc->probes = calloc(nprobes, sizeof *sc->probes);
	sc->free_stack = calloc(nprobes, sizeof *sc->free_stack);
	if (!sc->loop || !sc->probes || !sc->free_stack)
		return -1;
	for (uint32_t i = 0; i < nprobes; i++) {
		sc->probes[i] = (struct probe){ .sc = sc, .fd = -1 };
		sc->free_stack[sc->nfree++] = nprobes - 1 - i;
	}
	sc->pace_timer.fn = on_pace;
	sc->pace_timer.data = sc;
	sc->window = fmin(WINDOW_START, nprobes);
	sc->tokens = 1.0;
	sc->tokens_ns = sk_now_ns();
	return 0;
}

static void worker_teardown(struct scan *sc)
{
	for (uint32_t i = 0; sc->probes && i < sc->nprobes; i++)
		if (sc->probes[i].fd >= 0)
			close(sc->probes[i].fd);
	if (sc->loop)
		sk_loop_free(sc->loop);
	free(sc->probes);
	free(sc->free_stack);
}

static void *worker_main(void *arg)
{
	struct scan *sc = arg;
	pump(sc);
	if (!sc->failed && sc->sum.done < sc->slice && sk_loop_run(sc->loop) < 0) {
		sk_seterrno(sc->err, sizeof sc->err, "scan: event loop");
		sc->failed = true;
	}
	flush_out(sc);
	/* The last worker out (or any that failed) wakes the main thread. */
	if (__atomic_sub_fetch(&sc->sh->running, 1, __ATOMIC_ACQ_REL) == 0 || sc->failed)
		sk_loop_stop(sc->sh->main_loop);
	return NULL;
}

/* Worker t of n gets every n-th item of the shard; timeouts and rate are
 * per worker, so the rate cap is split between them. */
static int worker_init(struct scan *sc, struct shared *sh, unsigned t,
                       unsigned n, uint64_t shard_total)
{
	const struct scan_opts *o = sh->o;
	uint32_t min = o->timeout_ms ? o->timeout_ms : o->min_timeout_ms;
	uint32_t max = o->timeout_ms ? o->timeout_ms : o->max_timeout_ms;
	uint32_t nprobes = o->concurrency / n ? o->concurrency / n : 1;

	sc->o = o;
	sc->sh = sh;
	sc->hosts = o->targets->count;
	sc->sub = (struct shard){ t + 1, n };
	sc->slice = shard_size(&sc->sub, shard_total);
	sc->rate = o->rate / n;
	rtt_init(&sc->rtt, min, max, o->timeout_ms ? o->timeout_ms : RTT_INITIAL_MS);
	return worker_setup(sc, nprobes);
}

static void on_signal(struct sk_loop *loop, int signo, void *data)
{
	(void)signo;
	((struct scan_summary *)data)->interrupted = true;
	sk_loop_stop(loop);
}

struct progress {
	struct sk_timer timer;
	struct shared *sh;
	struct scan_summary *sum;
	uint64_t start_ns, last_ns, last_done;
	double rate;
};

static void on_progress(struct sk_loop *loop, struct sk_timer *t)
{
	struct progress *pg = t->data;
	struct report *r = pg->sh->o->report;
	uint64_t now = sk_now_ns();
	uint64_t done = __atomic_load_n(&pg->sh->done, __ATOMIC_RELAXED);
	double dt = (double)(now - pg->last_ns) / 1e9;
	double inst = dt > 0 ? (double)(done - pg->last_done) / dt : 0;
	pg->rate = pg->rate ? 0.7 * pg->rate + 0.3 * inst : inst;
	pg->last_ns = now;
	pg->last_done = done;
	pg->sum->done = done;
	pg->sum->open = __atomic_load_n(&pg->sh->open, __ATOMIC_RELAXED);
	pthread_mutex_lock(&pg->sh->out_lock);
	report_progress(r, pg->sum, pg->rate, false);
	r->last_progress_ms = sk_loop_now(loop);
	pthread_mutex_unlock(&pg->sh->out_lock);
	sk_timer_start(loop, t, r->progress_tty ? 250 : 1000, on_progress, pg);
}

static void add_counts(struct scan_summary *sum, const struct scan *sc)
{
	sum->done += sc->sum.done;
	sum->open += sc->sum.open;
	sum->closed += sc->sum.closed;
	sum->filtered += sc->sum.filtered;
	sum->probes += sc->sum.probes;
	sum->retries += sc->sum.retries;
	sum->self_connects += sc->sum.self_connects;
	sum->lossy_answers += sc->sum.lossy_answers;
	if (timeout_now(sc) > sum->timeout_ms)
		sum->timeout_ms = timeout_now(sc);
}

/* Start the workers and wait in the main loop for them, for signals and
 * for progress ticks.  Returns the number of workers started. */
static unsigned run_workers(struct shared *sh, struct scan *w, unsigned n,
                            struct scan_summary *sum)
{
	struct progress pg = { .sh = sh, .sum = sum, .start_ns = sk_now_ns(),
	                       .last_ns = sk_now_ns() };
	unsigned started = 0;

	sk_loop_on_signal(sh->main_loop, SIGINT, on_signal, sum);
	sk_loop_on_signal(sh->main_loop, SIGTERM, on_signal, sum);
	if (sh->o->report->progress)
		sk_timer_start(sh->main_loop, &pg.timer, 250, on_progress, &pg);
	sh->running = n;
	for (; started < n; started++)
		if (pthread_create(&w[started].thread, NULL, worker_main, &w[started]) != 0)
			break;
	if (started < n)
		__atomic_sub_fetch(&sh->running, n - started, __ATOMIC_ACQ_REL);
	if (started > 0 && __atomic_load_n(&sh->running, __ATOMIC_ACQUIRE) > 0)
		sk_loop_run(sh->main_loop);
	for (unsigned i = 0; i < started; i++)
		sk_loop_stop(w[i].loop);
	for (unsigned i = 0; i < started; i++)
		pthread_join(w[i].thread, NULL);
	sk_timer_stop(sh->main_loop, &pg.timer);
	return started;
}

static int collect(struct scan *w, unsigned n, unsigned started,
                   struct scan_summary *sum, char *err, size_t errlen)
{
	int rc = started == n ? 0 : -1;
	if (rc < 0)
		sk_seterr(err, errlen, "scan: cannot start threads");
	sum->done = sum->open = 0;     /* progress ticks wrote estimates here */
	for (unsigned i = 0; i < n; i++) {
		add_counts(sum, &w[i]);
		if (w[i].failed && rc == 0) {
			snprintf(err, errlen, "%s", w[i].err);
			rc = -1;
		}
	}
	return rc;
}

int scan_run(const struct scan_opts *o, struct scan_summary *sum,
             char *err, size_t errlen)
{
	uint64_t start = sk_now_ns();
	uint64_t total = shard_size(&o->shard, (uint64_t)o->targets->count * o->ports->count);
	unsigned n = o->threads ? o->threads : 1;
	struct shared sh = { .o = o };
	struct scan *w = calloc(n, sizeof *w);
	int rc = -1;

	*sum = (struct scan_summary){ .hosts = o->targets->count, .ports = o->ports->count,
	        .total = total, .shard_index = o->shard.index, .shard_count = o->shard.count };
	pthread_mutex_init(&sh.out_lock, NULL);
	sh.unfinished = calloc(65536, sizeof *sh.unfinished);
	sh.main_loop = sk_loop_new(64);
	bool ok = w && sh.unfinished && sh.main_loop;
	for (unsigned t = 0; ok && t < n; t++)
		ok = worker_init(&w[t], &sh, t, n, total) == 0;
	if (!ok) {
		sk_seterrno(err, errlen, "scan: setup");
	} else {
		unsigned started = run_workers(&sh, w, n, sum);
		rc = collect(w, n, started, sum, err, errlen);
	}
	sum->elapsed_s = (double)(sk_now_ns() - start) / 1e9;
	if (o->report->progress && rc == 0)
		report_progress(o->report, sum, sum->elapsed_s > 0 ?
		                (double)sum->done / sum->elapsed_s : 0, true);
	for (unsigned t = 0; w && t < n; t++)
		worker_teardown(&w[t]);
	free(w);
	free(sh.unfinished);
	if (sh.main_loop)
		sk_loop_free(sh.main_loop);
	pthread_mutex_destroy(&sh.out_lock);
	return rc;
}
