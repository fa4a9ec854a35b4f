/* loop_uring.c — the loop's io_uring backend: readiness through one-shot
 * poll requests on a ring, re-armed at the end of each turn, and the
 * connection layer's own requests (lib/conn_uring.c) on the same ring;
 * everything a turn queued goes to the kernel in the one io_uring_enter
 * that also waits.  Also the probe that says whether io_uring is usable. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop_int.h"

/* Submission queue size: a turn's re-arms and sends rarely pass a few
 * hundred; when the queue fills it is submitted early, not lost. */
#define URING_ENTRIES 4096
/* Completions taken off the ring per batch. */
#define REAP_BATCH 256

/* ---- the probe ---- */

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static bool probe_ok;
static const char *probe_why;
static char probe_msg[96];

/* The ring flags every loop uses: one thread submits (SINGLE_ISSUER), and
 * task work runs when that thread waits (DEFER_TASKRUN, no interrupting
 * IPIs).  The submitter is the thread that creates the ring, so a loop
 * creates its ring in the first turn it runs (Debian's liburing 2.3 does
 * not export io_uring_enable_rings, for IORING_SETUP_R_DISABLED). */
static unsigned ring_flags(void)
{
	return IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
}

static int ring_init(struct io_uring *ring, unsigned entries, unsigned *features)
{
	struct io_uring_params p = { .flags = ring_flags() };
	int rc = io_uring_queue_init_params(entries, ring, &p);

	if (rc == 0 && features)
		*features = p.features;
	return rc;
}

static const char *fail(const char *fmt, const char *arg)
{
	snprintf(probe_msg, sizeof probe_msg, fmt, arg);
	return probe_msg;
}

/* kernel.io_uring_disabled: 0 allowed, 1 only for a group, 2 off. */
static bool sysctl_disabled(void)
{
	char c = '0';
	int fd = open("/proc/sys/kernel/io_uring_disabled", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '2';
}

static const char *missing_opcode(struct io_uring *ring)
{
	static const struct { int op; const char *name; } need[] = {
		{ IORING_OP_POLL_ADD, "POLL_ADD" }, { IORING_OP_POLL_REMOVE, "POLL_REMOVE" },
		{ IORING_OP_RECV, "RECV" }, { IORING_OP_SEND, "SEND" },
		{ IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL" }, { IORING_OP_ACCEPT, "ACCEPT" },
	};
	struct io_uring_probe *p = io_uring_get_probe_ring(ring);
	const char *missing = NULL;

	if (!p)
		return "PROBE";
	for (size_t i = 0; i < sizeof need / sizeof need[0] && !missing; i++)
		if (!io_uring_opcode_supported(p, need[i].op))
			missing = need[i].name;
	io_uring_free_probe(p);
	return missing;
}

/* Provided buffer rings (5.19) carry the connections' receives. */
static bool buf_ring_works(struct io_uring *ring)
{
	struct io_uring_buf_reg reg = { 0 };
	void *mem = NULL;

	if (posix_memalign(&mem, 4096, 4096) != 0)
		return false;
	memset(mem, 0, 4096);
	reg.ring_addr = (unsigned long)mem;
	reg.ring_entries = 8;
	reg.bgid = 0x7fff;
	bool ok = io_uring_register_buf_ring(ring, &reg, 0) == 0;
	if (ok)
		io_uring_unregister_buf_ring(ring, 0x7fff);
	free(mem);
	return ok;
}

static const char *probe_ring(void)
{
	struct io_uring ring;
	unsigned features = 0;
	const char *why = NULL;
	int rc = ring_init(&ring, 8, &features);

	if (rc == -EINVAL)
		return "kernel too old (ring setup flags)";
	if (rc < 0)
		return fail("io_uring_setup: %s", strerror(-rc));
	if (!(features & IORING_FEAT_EXT_ARG) || !(features & IORING_FEAT_NODROP))
		why = "kernel too old (no EXT_ARG/NODROP)";
	else if ((why = missing_opcode(&ring)) != NULL)
		why = fail("kernel too old (no %s)", why);
	else if (!buf_ring_works(&ring))
		why = "kernel too old (no provided buffer rings)";
	io_uring_queue_exit(&ring);
	return why;
}

static void probe(void)
{
	const char *env = getenv("SOCKIT_NO_URING");

	if (env && *env && strcmp(env, "0") != 0)
		probe_why = "disabled by SOCKIT_NO_URING";
	else if (sysctl_disabled())
		probe_why = "disabled by kernel.io_uring_disabled";
	else
		probe_why = probe_ring();
	probe_ok = probe_why == NULL;
}

bool sk_uring_available(const char **why)
{
	pthread_once(&probe_once, probe);
	if (!probe_ok && why)
		*why = probe_why;
	return probe_ok;
}

/* ---- the backend ---- */

struct uring_be {
	struct io_uring ring;
	bool enabled;
	bool ring_registered;    /* its fd registered by runner (below) */
	pthread_t runner;        /* the thread that created and runs it */
	int *dirty;              /* fds whose poll must be (re)armed or changed */
	size_t ndirty, capdirty;
	uint64_t *removes;       /* polls of deleted fds, to cancel */
	size_t nrem, caprem;
	uint32_t seq;
};

static struct uring_be *be(struct sk_loop *loop)
{
	return loop->be_data;
}

static int push(void *vec, size_t *n, size_t *cap, size_t size, const void *v)
{
	char **p = vec;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		char *np = realloc(*p, c * size);
		if (!np)
			return -1;
		*p = np;
		*cap = c;
	}
	memcpy(*p + *n * size, v, size);
	(*n)++;
	return 0;
}

/* The ring itself comes with the first turn (see ring_flags). */
static int uring_init(struct sk_loop *loop)
{
	struct uring_be *b = calloc(1, sizeof *b);

	if (!b)
		return -1;
	loop->be_data = b;
	return 0;
}

static void uring_fini(struct sk_loop *loop)
{
	struct uring_be *b = be(loop);

	/* The registration lives in the runner's task: io_uring_queue_exit
	 * undoes it by slot number in the calling thread, which from any
	 * other thread would drop that thread's own ring at that slot.  An
	 * out-of-range slot makes liburing's undo touch nothing; the runner's
	 * reference goes when that thread exits. */
	if (b->ring_registered && !pthread_equal(b->runner, pthread_self()))
		b->ring.enter_ring_fd = -1;
	if (b->enabled)
		io_uring_queue_exit(&b->ring);
	free(b->dirty);
	free(b->removes);
	free(b);
}

static int mark_dirty(struct sk_loop *loop, int fd, struct fd_entry *e)
{
	struct uring_be *b = be(loop);

	if (e->in_kernel)
		return 0;
	if (push(&b->dirty, &b->ndirty, &b->capdirty, sizeof fd, &fd) < 0)
		return -1;
	e->in_kernel = true;
	return 0;
}

/* Nothing goes to the kernel here: the poll is armed at the end of the
 * turn, so a mask that changes twice in a turn costs nothing, and any
 * thread may call this while the loop is not running. */
static int uring_apply(struct sk_loop *loop, int fd, struct fd_entry *e, int mask)
{
	(void)mask;
	return mark_dirty(loop, fd, e);
}

static void uring_del(struct sk_loop *loop, int fd, struct fd_entry *e)
{
	struct uring_be *b = be(loop);
	(void)fd;

	/* The poll in flight holds the file open; cancelling it (with this
	 * turn's submission) lets the caller's close() really close. */
	if (e->armed_ud)
		push(&b->removes, &b->nrem, &b->caprem, sizeof e->armed_ud, &e->armed_ud);
}

struct io_uring_sqe *sk__loop_sqe(struct sk_loop *loop)
{
	struct uring_be *b = be(loop);
	if (!b->enabled)
		return NULL;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);

	if (!sqe) {
		io_uring_submit(&b->ring);
		sqe = io_uring_get_sqe(&b->ring);
	}
	return sqe;
}

struct io_uring *sk__loop_ring(struct sk_loop *loop)
{
	return loop->be->kind == SK_BACKEND_URING && be(loop)->enabled ? &be(loop)->ring
	                                                               : NULL;
}

/* The loop's own requests have odd user_data (the connection layer's are
 * pointers): bit 1 tells a listener's multishot accept from a poll, the
 * fd sits above, and the top half is the poll's sequence number (only
 * the poll the slot armed last counts), or for an accept 16 bits of
 * sequence (which request is armed) and 16 of the slot's generation
 * (whether the listener is still the one that armed it: its clients
 * count, even after a pause cancelled it). */
#define UD_ACCEPT 2u

static uint64_t poll_ud(int fd, uint32_t seq)
{
	return (uint64_t)seq << 32 | (uint64_t)(uint32_t)fd << 2 | 1u;
}

static uint64_t accept_ud(int fd, uint32_t seq, uint32_t gen)
{
	return (uint64_t)(uint16_t)seq << 48 | (uint64_t)(uint16_t)gen << 32 |
	       (uint64_t)(uint32_t)fd << 2 | UD_ACCEPT | 1u;
}

static bool is_accept(uint64_t ud)
{
	return (ud & (UD_ACCEPT | 1u)) == (UD_ACCEPT | 1u);
}

static int ud_fd(uint64_t ud)
{
	return (int)((ud >> 2) & 0x3fffffff);
}

/* Stop request ud: a poll by its removal, an accept by a cancel. */
static int stop_request(struct sk_loop *loop, uint64_t ud)
{
	struct io_uring_sqe *sqe = sk__loop_sqe(loop);

	if (!sqe)
		return -1;
	if (is_accept(ud))
		io_uring_prep_cancel64(sqe, ud, 0);
	else
		io_uring_prep_poll_remove(sqe, ud);
	io_uring_sqe_set_data64(sqe, 0);
	return 0;
}

/* A listener's requests: one multishot accept, ending only with an error
 * (or a cancel); each client is one completion. */
static bool arm_accept(struct sk_loop *loop, int fd, struct fd_entry *e)
{
	struct io_uring_sqe *sqe = sk__loop_sqe(loop);

	if (!sqe)
		return false;
	io_uring_prep_multishot_accept(sqe, fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	e->armed_ud = accept_ud(fd, ++be(loop)->seq, e->gen);
	e->armed_mask = e->mask;
	io_uring_sqe_set_data64(sqe, e->armed_ud);
	return true;
}

/* Make fd's poll in flight match its wanted mask. */
static int reconcile_one(struct sk_loop *loop, int fd)
{
	struct uring_be *b = be(loop);
	struct fd_entry *e = &loop->fds[fd];
	struct io_uring_sqe *sqe;

	e->in_kernel = false;
	if (!e->fn)
		return 0;
	if (e->armed_ud && e->armed_mask != e->mask) {
		if (stop_request(loop, e->armed_ud) < 0)
			return -1;
		e->armed_ud = 0;
	}
	if (e->mask && !e->armed_ud && e->accept_fn && !e->accept_poll)
		return arm_accept(loop, fd, e) ? 0 : -1;
	if (e->mask && !e->armed_ud) {
		if (!(sqe = sk__loop_sqe(loop)))
			return -1;
		unsigned pm = (e->mask & SK_READ ? POLLIN : 0) |
		              (e->mask & SK_WRITE ? POLLOUT : 0);
		io_uring_prep_poll_add(sqe, fd, pm);
		e->armed_ud = poll_ud(fd, ++b->seq);
		e->armed_mask = e->mask;
		io_uring_sqe_set_data64(sqe, e->armed_ud);
	}
	return 0;
}

static int reconcile(struct sk_loop *loop)
{
	struct uring_be *b = be(loop);

	for (size_t i = 0; i < b->nrem; i++)
		if (stop_request(loop, b->removes[i]) < 0)
			goto full;
	b->nrem = 0;
	for (size_t i = 0; i < b->ndirty; i++)
		if (reconcile_one(loop, b->dirty[i]) < 0)
			goto full;
	b->ndirty = 0;
	return 0;
full:
	errno = EBUSY;
	return -1;
}

static void on_poll(struct sk_loop *loop, uint64_t ud, int res)
{
	int fd = ud_fd(ud);

	if (fd >= loop->nfds || loop->fds[fd].armed_ud != ud)
		return;    /* cancelled, or the fd was deleted since */
	struct fd_entry *e = &loop->fds[fd];
	e->armed_ud = 0;
	if (mark_dirty(loop, fd, e) < 0)
		return;
	unsigned rev = res < 0 ? POLLERR : (unsigned)res;
	int m = (rev & POLLIN ? SK_READ : 0) | (rev & POLLOUT ? SK_WRITE : 0);
	sk__loop_dispatch(loop, fd, e->gen, m, (rev & (POLLERR | POLLHUP)) != 0);
}

/* A client the multishot accept brought: to the listener's callback,
 * with its address (the request has no buffer per client for it: one
 * given to a multishot accept is overwritten by the next client).  A
 * client that has already reset makes getpeername say ENOTCONN; accept4
 * would still have given its address, and so does SO_PEERNAME (asked
 * for no more than the address's length, which is the local one's), so
 * it gets its session and its log line as on epoll. */
static void accepted(struct sk_loop *loop, int fd, struct fd_entry *e, int cfd)
{
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	socklen_t len = sizeof ss;

	if (getpeername(cfd, sa, &len) < 0) {
		len = sizeof ss;
		if (getsockname(cfd, sa, &len) < 0 ||
		    getsockopt(cfd, SOL_SOCKET, SO_PEERNAME, sa, &len) < 0) {
			close(cfd);
			return;
		}
	}
	e->accept_fn(loop, fd, cfd, sa, len, 0, e->data);
}

static void on_accept(struct sk_loop *loop, uint64_t ud, int res, unsigned flags)
{
	int fd = ud_fd(ud);
	struct fd_entry *e = fd < loop->nfds ? &loop->fds[fd] : NULL;
	bool live = e && e->accept_fn && (uint16_t)e->gen == (uint16_t)(ud >> 32);

	if (live && e->armed_ud == ud && !(flags & IORING_CQE_F_MORE)) {
		e->armed_ud = 0;    /* ended: re-armed at the end of the turn */
		(void)mark_dirty(loop, fd, e);    /* (out of memory: until its next mod) */
	}
	if (res >= 0) {
		if (live)
			accepted(loop, fd, e, res);
		else
			close(res);    /* for a listener deleted since */
		return;
	}
	if (!live || res == -ECANCELED)
		return;
	if (res == -EMFILE || res == -ENFILE)
		e->accept_fn(loop, fd, -1, NULL, 0, -res, e->data);
	else if (res != -EINTR && res != -EAGAIN && res != -ECONNABORTED)
		e->accept_poll = true;    /* readiness and accept4, as on epoll */
}

static void complete(struct sk_loop *loop, uint64_t ud, int res, unsigned flags)
{
	if (ud == 0)
		return;
	if (is_accept(ud)) {
		on_accept(loop, ud, res, flags);
		return;
	}
	if (ud & 1) {
		on_poll(loop, ud, res);
		return;
	}
	struct sk__uop *op = (struct sk__uop *)(uintptr_t)ud;
	op->fn(loop, op, res, flags);
}

/* Take completions off the ring before running any of them, so callbacks
 * are free to queue new requests (or submit, when the queue is full). */
static int reap(struct sk_loop *loop)
{
	struct uring_be *b = be(loop);
	struct io_uring_cqe *cqes[REAP_BATCH];
	struct { uint64_t ud; int res; unsigned flags; } got[REAP_BATCH];
	int handled = 0;

	while (handled < SK_LOOP_MAX_EVENTS) {
		unsigned n = io_uring_peek_batch_cqe(&b->ring, cqes, REAP_BATCH);
		for (unsigned i = 0; i < n; i++) {
			got[i].ud = io_uring_cqe_get_data64(cqes[i]);
			got[i].res = cqes[i]->res;
			got[i].flags = cqes[i]->flags;
		}
		io_uring_cq_advance(&b->ring, n);
		for (unsigned i = 0; i < n; i++)
			complete(loop, got[i].ud, got[i].res, got[i].flags);
		handled += (int)n;
		if (n < REAP_BATCH)
			break;
	}
	return handled;
}

static int uring_wait(struct sk_loop *loop, int timeout_ms)
{
	struct uring_be *b = be(loop);
	struct io_uring_cqe *cqe = NULL;
	int rc;

	if (!b->enabled) {
		if ((rc = ring_init(&b->ring, URING_ENTRIES, NULL)) < 0) {
			errno = -rc;
			return -1;
		}
		b->enabled = true;
		/* The turn's io_uring_enter then names the ring by its index
		 * in this thread's registered rings: no fd lookup per turn.
		 * Only the thread that runs the loop enters it (SINGLE_ISSUER),
		 * the one registering here.  Failure costs only that lookup. */
		b->runner = pthread_self();
		b->ring_registered = io_uring_register_ring_fd(&b->ring) == 1;
	}
	if (loop->conn_ring_flush)
		loop->conn_ring_flush(loop);
	if (reconcile(loop) < 0)
		return -1;
	if (timeout_ms < 0) {
		rc = io_uring_submit_and_wait(&b->ring, 1);
	} else {
		struct __kernel_timespec ts = { .tv_sec = timeout_ms / 1000,
		                                .tv_nsec = (timeout_ms % 1000) * 1000000LL };
		rc = io_uring_submit_and_wait_timeout(&b->ring, &cqe, 1, &ts, NULL);
	}
	if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
		errno = -rc;
		return -1;
	}
	sk__loop_woke(loop);
	return reap(loop);
}

const struct sk__backend sk__backend_uring = {
	.kind = SK_BACKEND_URING, .init = uring_init, .fini = uring_fini,
	.apply = uring_apply, .del = uring_del, .wait = uring_wait,
};
