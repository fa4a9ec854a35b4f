/* loop.c — the event loop's common half: the fd-indexed table, the timer
 * heap, signals through signalfd, an eventfd to stop it from other
 * threads, and the choice of backend (loop_epoll.c, loop_uring.c). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loop_int.h"
#include "turn_stats.h"

uint64_t sk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int sk_wait_ms(uint64_t deadline_ns, int idle_ms, bool *by_deadline)
{
	*by_deadline = false;
	if (!deadline_ns)
		return idle_ms;
	uint64_t now = sk_now_ns();
	long long left = now >= deadline_ns ? 0
	                 : (long long)((deadline_ns - now + 999999) / 1000000);
	if (idle_ms >= 0 && left > idle_ms)
		return idle_ms;
	*by_deadline = true;
	return left > INT_MAX ? INT_MAX : (int)left;
}

uint64_t sk_now_ms(void)
{
	return sk_now_ns() / 1000000u;
}

uint64_t sk_loop_now(const struct sk_loop *loop)
{
	return loop->now;
}

int sk_backend_parse(const char *name, enum sk_backend *out)
{
	static const char *const names[] = { "auto", "epoll", "io_uring" };

	for (int i = 0; i < 3; i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum sk_backend)i;
			return 0;
		}
	return -1;
}

const char *sk_backend_name(enum sk_backend b)
{
	return b == SK_BACKEND_URING ? "io_uring" : b == SK_BACKEND_EPOLL ? "epoll"
	                                                                  : "auto";
}

int sk_backend_resolve(enum sk_backend want, enum sk_backend *out, const char **why)
{
	if (want == SK_BACKEND_EPOLL) {
		*out = SK_BACKEND_EPOLL;
		return 0;
	}
	if (sk_uring_available(why)) {
		*out = SK_BACKEND_URING;
		return 0;
	}
	*out = SK_BACKEND_EPOLL;
	return want == SK_BACKEND_AUTO ? 0 : -1;
}

static void drain_wakefd(struct sk_loop *loop, int fd, int events, void *data)
{
	uint64_t v;
	(void)events; (void)data;
	while (read(fd, &v, sizeof v) > 0)
		;
	(void)loop;
}

struct sk_loop *sk_loop_new_backend(int setsize, enum sk_backend b)
{
	struct sk_loop *loop = calloc(1, sizeof *loop);

	if (!loop)
		return NULL;
	loop->be = b == SK_BACKEND_URING ? &sk__backend_uring : &sk__backend_epoll;
	loop->nfds = setsize > 64 ? setsize : 64;
	loop->fds = calloc((size_t)loop->nfds, sizeof *loop->fds);
	loop->wakefd = -1;
	loop->sigfd = -1;
	sigemptyset(&loop->sigs);
	loop->now = sk_now_ms();
	if (!loop->fds || loop->be->init(loop) < 0 ||
	    (loop->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    sk_loop_add(loop, loop->wakefd, SK_READ, drain_wakefd, NULL) < 0) {
		int saved = errno;
		sk_loop_free(loop);
		errno = saved;
		return NULL;
	}
	return loop;
}

struct sk_loop *sk_loop_new(int setsize)
{
	return sk_loop_new_backend(setsize, SK_BACKEND_EPOLL);
}

enum sk_backend sk_loop_backend(const struct sk_loop *loop)
{
	return loop->be->kind;
}

void sk_loop_free(struct sk_loop *loop)
{
	if (!loop)
		return;
	if (loop->be_data)
		loop->be->fini(loop);
	/* After the ring is gone: the kernel no longer writes into its
	 * receive buffers. */
	if (loop->conn_ring_free)
		loop->conn_ring_free(loop);
	if (loop->wakefd >= 0)
		close(loop->wakefd);
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	free(loop->fds);
	free(loop->heap);
	free(loop->turns);
	free(loop->read_buf);
	free(loop);
}

static int grow_table(struct sk_loop *loop, int fd)
{
	int n = loop->nfds;

	while (n <= fd)
		n *= 2;
	struct fd_entry *t = realloc(loop->fds, (size_t)n * sizeof *t);
	if (!t)
		return -1;
	memset(t + loop->nfds, 0, (size_t)(n - loop->nfds) * sizeof *t);
	loop->fds = t;
	loop->nfds = n;
	return 0;
}

/* Hand fd's new mask to the backend; the table follows on success. */
static int apply_mask(struct sk_loop *loop, int fd, struct fd_entry *e, int mask)
{
	if (loop->be->apply(loop, fd, e, mask) < 0)
		return -1;
	e->mask = mask;
	return 0;
}

int sk_loop_add(struct sk_loop *loop, int fd, int events, sk_io_fn *fn, void *data)
{
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (fd >= loop->nfds && grow_table(loop, fd) < 0)
		return -1;
	struct fd_entry *e = &loop->fds[fd];
	e->fn = fn;
	e->data = data;
	e->accept_fn = NULL;
	return apply_mask(loop, fd, e, events);
}

int sk_loop_accept(struct sk_loop *loop, int lfd, sk_accept_fn *fn, void *data)
{
	if (sk_loop_add(loop, lfd, SK_READ, sk__loop_accept_ready, data) < 0)
		return -1;
	loop->fds[lfd].accept_fn = fn;
	loop->fds[lfd].accept_poll = false;
	return 0;
}

/* Accepts per readiness event: a burst of clients is taken in a few
 * wakeups without starving the connections already there. */
#define ACCEPT_BUDGET 64

void sk__loop_accept_ready(struct sk_loop *loop, int fd, int events, void *data)
{
	uint32_t gen = loop->fds[fd].gen;
	sk_accept_fn *fn = loop->fds[fd].accept_fn;
	(void)events;

	for (int i = 0; i < ACCEPT_BUDGET; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int cfd;
		do
			cfd = accept4(fd, (struct sockaddr *)&ss, &len,
			              SOCK_NONBLOCK | SOCK_CLOEXEC);
		while (cfd < 0 && errno == EINTR);
		if (cfd >= 0)
			fn(loop, fd, cfd, (struct sockaddr *)&ss, len, 0, data);
		else if (errno == EMFILE || errno == ENFILE)
			fn(loop, fd, -1, NULL, 0, errno, data);
		else
			return;    /* EAGAIN, or a client already gone (ECONNABORTED) */
		/* The callback may have deleted the listener (or grown the
		 * table: look the slot up again). */
		if (loop->fds[fd].gen != gen || loop->fds[fd].accept_fn != fn)
			return;
	}
}

int sk_loop_mod(struct sk_loop *loop, int fd, int events)
{
	if (fd < 0 || fd >= loop->nfds || !loop->fds[fd].fn) {
		errno = EBADF;
		return -1;
	}
	struct fd_entry *e = &loop->fds[fd];
	if (e->mask == events)
		return 0;
	return apply_mask(loop, fd, e, events);
}

int sk_loop_events(const struct sk_loop *loop, int fd)
{
	return fd >= 0 && fd < loop->nfds ? loop->fds[fd].mask : 0;
}

void sk_loop_del(struct sk_loop *loop, int fd)
{
	if (fd < 0 || fd >= loop->nfds || !loop->fds[fd].fn)
		return;
	struct fd_entry *e = &loop->fds[fd];
	loop->be->del(loop, fd, e);
	uint32_t gen = e->gen + 1;
	memset(e, 0, sizeof *e);
	e->gen = gen;
}

/* ---- timers: a binary min-heap of pointers; t->slot is index + 1. ---- */

static bool timer_before(const struct sk_timer *a, const struct sk_timer *b)
{
	return a->due < b->due;
}

static void heap_set(struct sk_loop *loop, size_t i, struct sk_timer *t)
{
	loop->heap[i] = t;
	t->slot = i + 1;
}

static void heap_up(struct sk_loop *loop, size_t i)
{
	struct sk_timer *t = loop->heap[i];

	while (i > 0 && timer_before(t, loop->heap[(i - 1) / 2])) {
		heap_set(loop, i, loop->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(loop, i, t);
}

static void heap_down(struct sk_loop *loop, size_t i)
{
	struct sk_timer *t = loop->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= loop->nheap)
			break;
		if (c + 1 < loop->nheap && timer_before(loop->heap[c + 1], loop->heap[c]))
			c++;
		if (!timer_before(loop->heap[c], t))
			break;
		heap_set(loop, i, loop->heap[c]);
		i = c;
	}
	heap_set(loop, i, t);
}

static int heap_push(struct sk_loop *loop, struct sk_timer *t)
{
	if (loop->nheap == loop->heapcap) {
		size_t cap = loop->heapcap ? loop->heapcap * 2 : 64;
		struct sk_timer **h = realloc(loop->heap, cap * sizeof *h);
		if (!h)
			return -1;
		loop->heap = h;
		loop->heapcap = cap;
	}
	heap_set(loop, loop->nheap++, t);
	heap_up(loop, loop->nheap - 1);
	return 0;
}

void sk_timer_stop(struct sk_loop *loop, struct sk_timer *t)
{
	if (!t->slot)
		return;
	size_t i = t->slot - 1;
	struct sk_timer *last = loop->heap[--loop->nheap];
	t->slot = 0;
	if (i == loop->nheap)
		return;
	heap_set(loop, i, last);
	heap_down(loop, i);
	heap_up(loop, last->slot - 1);
}

void sk_timer_start(struct sk_loop *loop, struct sk_timer *t, uint64_t ms,
                    sk_timer_fn *fn, void *data)
{
	sk_timer_stop(loop, t);
	t->due = sk_now_ms() + ms;
	t->fn = fn;
	t->data = data;
	/* Out of memory for the heap leaves the timer disarmed: callers that
	 * depend on it see !sk_timer_armed(t). */
	heap_push(loop, t);
}

/* Run the timers due now.  A timer re-armed for 0 ms from its own
 * callback runs on the next iteration, not in a loop here. */
static int run_timers(struct sk_loop *loop)
{
	size_t budget = loop->nheap;
	int ran = 0;

	while (budget-- > 0 && loop->nheap > 0 && loop->heap[0]->due <= loop->now) {
		struct sk_timer *t = loop->heap[0];
		sk_timer_stop(loop, t);
		t->fn(loop, t);
		ran++;
	}
	return ran;
}

static int next_timeout(const struct sk_loop *loop, int timeout_ms)
{
	if (loop->nheap == 0)
		return timeout_ms;
	uint64_t now = sk_now_ms();
	uint64_t due = loop->heap[0]->due;
	int wait = due <= now ? 0 : due - now > 3600000 ? 3600000 : (int)(due - now);
	return timeout_ms >= 0 && timeout_ms < wait ? timeout_ms : wait;
}

/* ---- signals ---- */

static void on_signalfd(struct sk_loop *loop, int fd, int events, void *data)
{
	struct signalfd_siginfo si;
	(void)events; (void)data;

	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
		if (si.ssi_signo < NSIG && loop->sigfn[si.ssi_signo])
			loop->sigfn[si.ssi_signo](loop, (int)si.ssi_signo,
			                          loop->sigdata[si.ssi_signo]);
}

int sk_loop_on_signal(struct sk_loop *loop, int signo, sk_signal_fn *fn, void *data)
{
	if (signo <= 0 || signo >= NSIG) {
		errno = EINVAL;
		return -1;
	}
	sigaddset(&loop->sigs, signo);
	if (pthread_sigmask(SIG_BLOCK, &loop->sigs, NULL) != 0)
		return -1;
	int fd = signalfd(loop->sigfd, &loop->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (loop->sigfd < 0 && sk_loop_add(loop, fd, SK_READ, on_signalfd, NULL) < 0) {
		close(fd);
		return -1;
	}
	loop->sigfd = fd;
	loop->sigfn[signo] = fn;
	loop->sigdata[signo] = data;
	return 0;
}

/* ---- running ---- */

void sk__loop_woke(struct sk_loop *loop)
{
	loop->now = sk_now_ms();
	if (loop->turns)
		sk__turn_begin(loop);
}

void sk__loop_dispatch(struct sk_loop *loop, int fd, uint32_t gen, int events,
                       bool err)
{
	if (fd < 0 || fd >= loop->nfds)
		return;
	struct fd_entry *e = &loop->fds[fd];
	if (!e->fn || e->gen != gen)
		return;    /* deleted (and maybe reused) earlier in this wakeup */
	/* Errors and hangups go to whichever side is watching, so its read or
	 * write meets them and closes. */
	int m = (events | (err ? e->mask : 0)) & e->mask;
	if (m)
		e->fn(loop, fd, m, e->data);
}

int sk_loop_once(struct sk_loop *loop, int timeout_ms)
{
	int n = loop->be->wait(loop, next_timeout(loop, timeout_ms));
	if (n < 0)
		return -1;
	int t = run_timers(loop);
	if (loop->after)
		loop->after(loop, loop->after_data);
	if (loop->turns)
		sk__turn_end(loop, n, t);
	return n + t;
}

void sk_loop_set_after(struct sk_loop *loop, sk_after_fn *fn, void *data)
{
	loop->after = fn;
	loop->after_data = data;
}

int sk_loop_run(struct sk_loop *loop)
{
	int rc = 0;

	while (rc == 0 && !__atomic_load_n(&loop->stop, __ATOMIC_ACQUIRE))
		rc = sk_loop_once(loop, -1) < 0 ? -1 : 0;
	__atomic_store_n(&loop->stop, false, __ATOMIC_RELEASE);
	return rc;
}

void sk_loop_stop(struct sk_loop *loop)
{
	uint64_t one = 1;

	__atomic_store_n(&loop->stop, true, __ATOMIC_RELEASE);
	ssize_t w = write(loop->wakefd, &one, sizeof one);
	(void)w;
}
