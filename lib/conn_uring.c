/* conn_uring.c — a stream connection on its loop's io_uring: a bounded
 * multishot receive (one-shot where the kernel cannot bound it) into a
 * provided-buffer ring shared by the loop's connections, and one send per
 * connection per turn carrying everything written during the turn, all
 * submitted with the turn's io_uring_enter.  No read, write or poll
 * system call per event. */
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn_int.h"
#include "loop_int.h"

/* Receive buffers per loop, 16 MiB: enough that a turn over a thousand
 * busy clients does not run dry (a dry ring fails a receive with ENOBUFS;
 * it is re-armed, at the cost of one request), and 16 KiB each
 * so a 16 KiB message is one completion, not four (measured: 4 KiB
 * buffers cost ~40% more server CPU per 16 KiB echo). */
#define NBUFS 1024                 /* a power of two */
#define BUFSZ 16384
#define BGID 1
#define PROBE_BGID 0x7ffe

struct loop_bufs {
	struct io_uring_buf_ring *br;
	char *mem;
	bool failed;                   /* registration failed: readiness instead */
	unsigned nslots;               /* the ring's fixed-file table (0: none) */
	unsigned returned;             /* buffers given back, not yet published */
	/* The buffer on_recv is delivering, so that the owner's write of its
	 * bytes can borrow it instead of copying them (sk__conn_ring_lend). */
	const char *cur;
	size_t cur_len;
	unsigned short cur_bid;
	bool cur_lent;
	struct sk__conn_ring *cur_ring;
	unsigned lent;                 /* buffers lent to sends now */
	struct sk__conn_ring *flush;   /* connections with bytes to send this turn */
	struct sk__conn_ring *zombies; /* closed, waiting for the kernel */
};

struct sk__conn_ring {
	struct sk_conn *c;
	struct sk__uop recv_op, send_op, cancel_op, slot_op, unslot_op;
	bool recv_armed, sending, in_flush, zombie;
	/* Its socket sits in the ring's fixed-file table at slot fd, so its
	 * receives and sends skip the per-request file lookup (fget/fput);
	 * the slot is cleared before the fd is closed, so a reused fd number
	 * never meets a stale slot. */
	bool fixed;                    /* requests name the slot */
	bool in_table;                 /* a slot update was queued: clear it */
	int files_busy;                /* slot updates in flight */
	int slot_fd;                   /* what the install puts in: the fd */
	bool lent;                     /* inflight is receive buffer lent_bid */
	unsigned short lent_bid;
	int cancelling;                /* cancel requests in flight */
	int busy;                      /* completions of c on the stack */
	struct sk_buf stash;           /* arrived while not reading */
	bool stash_eof;
	struct sk_timer replay;        /* delivers the stash after a resume */
	struct sk__conn_ring *next_flush;
	struct sk__conn_ring *zprev, *znext;   /* on loop_bufs.zombies */
};

/* Queue memory a connection keeps between messages: a buffer grown past
 * this is freed once the whole queue is empty, so a burst (or a slow
 * reader that caught up) leaves no high-watermark-sized allocation behind
 * on every client. */
#define KEEP_CAP 4096

static void trim(struct sk_buf *b)
{
	if (sk_buf_len(b) == 0 && b->cap > KEEP_CAP)
		sk_buf_free(b);
}

/* Writes of at least LEND_MIN bytes straight out of the receive buffer
 * they arrived in are sent from it, not copied (below, a copy is cheaper
 * than holding a 16 KiB buffer out of the ring); at most LEND_MAX buffers
 * are lent at once, so slow readers cannot starve the ring. */
#define LEND_MIN 1024
#define LEND_MAX (NBUFS / 2)

#define RING_OF(op, field) \
	((struct sk__conn_ring *)((char *)(op) - offsetof(struct sk__conn_ring, field)))

static void flush_all(struct sk_loop *loop);
static void give_buffer(struct loop_bufs *b, unsigned short bid);

/* The lent buffer's bytes are all sent (or the connection is gone): back
 * to the ring it goes, and inflight is an ordinary empty queue again. */
static void return_lent(struct sk__conn_ring *r)
{
	struct loop_bufs *b = r->c->loop->conn_ring;

	give_buffer(b, r->lent_bid);
	b->lent--;
	r->lent = false;
	r->c->inflight = (struct sk_buf)SK_BUF_INIT;
}

static void free_conn(struct sk__conn_ring *r)
{
	struct sk_conn *c = r->c;

	if (r->lent)
		return_lent(r);
	close(c->fd);
	sk_buf_free(&c->out);
	sk_buf_free(&c->inflight);
	sk_buf_free(&r->stash);
	free(r);
	free(c);
}

/* With the loop, after its ring: connections closed in its last turn
 * still waited for completions that will never come now. */
static void free_bufs(struct sk_loop *loop)
{
	struct loop_bufs *b = loop->conn_ring;

	while (b->zombies) {
		struct sk__conn_ring *r = b->zombies;
		b->zombies = r->znext;
		free_conn(r);
	}
	if (b->br)
		munmap(b->br, NBUFS * sizeof(struct io_uring_buf));
	if (b->mem)
		munmap(b->mem, (size_t)NBUFS * BUFSZ);
	free(b);
}

/* Give a buffer back as soon as its bytes are delivered; the kernel sees
 * the turn's returns at once (publish_buffers, before the submission),
 * one barrier per turn instead of one per buffer. */
static void give_buffer(struct loop_bufs *b, unsigned short bid)
{
	io_uring_buf_ring_add(b->br, b->mem + (size_t)bid * BUFSZ, BUFSZ, bid,
	                      io_uring_buf_ring_mask(NBUFS), (int)b->returned++);
}

static void publish_buffers(struct loop_bufs *b)
{
	if (b->returned) {
		io_uring_buf_ring_advance(b->br, b->returned);
		b->returned = 0;
	}
}

static int register_bufs(struct io_uring *ring, struct loop_bufs *b)
{
	struct io_uring_buf_reg reg = { 0 };
	void *br = mmap(NULL, NBUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
	                MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);

	if (br == MAP_FAILED)
		return -1;
	b->br = br;
	/* Touched as the kernel picks buffers round the ring: resident bit by
	 * bit, all 16 MiB once a busy worker has cycled it (populating it up
	 * front would cost every worker that much with its first client). */
	void *mem = mmap(NULL, (size_t)NBUFS * BUFSZ, PROT_READ | PROT_WRITE,
	                 MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (mem == MAP_FAILED)
		return -1;
	b->mem = mem;
	io_uring_buf_ring_init(b->br);
	reg.ring_addr = (unsigned long)b->br;
	reg.ring_entries = NBUFS;
	reg.bgid = BGID;
	if (io_uring_register_buf_ring(ring, &reg, 0) < 0)
		return -1;
	for (unsigned i = 0; i < NBUFS; i++)
		io_uring_buf_ring_add(b->br, b->mem + (size_t)i * BUFSZ, BUFSZ,
		                      (unsigned short)i, io_uring_buf_ring_mask(NBUFS), (int)i);
	io_uring_buf_ring_advance(b->br, NBUFS);
	return 0;
}

/* Fixed-file slots, one per possible fd (the slot is the fd number), up
 * to the descriptor limit (the kernel allows no more) and 64 Ki; 0 when
 * the kernel refuses: the connections then name their fds.  8 bytes a
 * slot. */
#define MAX_SLOTS 65536

static unsigned register_slots(struct io_uring *ring)
{
	struct rlimit rl;
	unsigned n = MAX_SLOTS;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n)
		n = (unsigned)rl.rlim_cur;
	return n && io_uring_register_files_sparse(ring, n) == 0 ? n : 0;
}

/* The loop's buffers, made with its first ring connection; NULL when the
 * loop cannot carry connections on its ring. */
static struct loop_bufs *loop_bufs(struct sk_loop *loop)
{
	struct io_uring *ring = sk__loop_ring(loop);

	if (!ring)
		return NULL;
	if (!loop->conn_ring) {
		struct loop_bufs *b = calloc(1, sizeof *b);
		if (!b)
			return NULL;
		loop->conn_ring = b;
		loop->conn_ring_free = free_bufs;
		loop->conn_ring_flush = flush_all;
		if (register_bufs(ring, b) < 0)
			b->failed = true;
		else
			b->nslots = register_slots(ring);
	}
	struct loop_bufs *b = loop->conn_ring;
	return b->failed ? NULL : b;
}

/* What a clearing update puts in a slot (the kernel only reads it). */
static int no_fd = -1;

/* Queue the update that puts c's socket in its slot (install) or takes
 * it out; false when no entry could be had.  The kernel reads the value
 * when it takes the entry, so each kind has its own. */
static bool update_slot(struct sk__conn_ring *r, bool install)
{
	struct io_uring_sqe *sqe = sk__loop_sqe(r->c->loop);

	if (!sqe)
		return false;
	r->slot_fd = r->c->fd;
	io_uring_prep_files_update(sqe, install ? &r->slot_fd : &no_fd, 1, r->c->fd);
	io_uring_sqe_set_data(sqe, install ? &r->slot_op : &r->unslot_op);
	r->files_busy++;
	return true;
}

/* Take c's socket out of its slot now, by a system call. */
static void unslot_now(struct sk__conn_ring *r)
{
	io_uring_register_files_update(sk__loop_ring(r->c->loop), (unsigned)r->c->fd,
	                               &no_fd, 1);
}

/* Empty c's slot when it closes, before its fd is (the table holds the
 * socket open, and the fd number may come back with the next accept).
 * Requests in flight keep their own hold on the socket, so the slot can
 * go at once: behind them in the ring when some are (the cancel that
 * ends them is in the same submission, so it costs no extra turn), by
 * a system call when none is, so that such a close stays immediate. */
static void clear_slot(struct sk__conn_ring *r)
{
	r->in_table = false;
	if ((r->recv_armed || r->sending || r->cancelling || r->files_busy) &&
	    update_slot(r, false))
		return;
	unslot_now(r);
}

/* Free c once nothing of the kernel's or of the stack refers to it. */
static void maybe_free(struct sk__conn_ring *r)
{
	struct sk_conn *c = r->c;

	if (!r->zombie || r->recv_armed || r->sending || r->cancelling || r->in_flush ||
	    r->busy || r->files_busy)
		return;
	struct loop_bufs *b = c->loop->conn_ring;
	if (r->zprev)
		r->zprev->znext = r->znext;
	else
		b->zombies = r->znext;
	if (r->znext)
		r->znext->zprev = r->zprev;
	free_conn(r);
}

static void on_recv(struct sk_loop *loop, struct sk__uop *op, int res, unsigned flags);
static void on_send(struct sk_loop *loop, struct sk__uop *op, int res, unsigned flags);
static void on_cancel(struct sk_loop *loop, struct sk__uop *op, int res, unsigned flags);
static void on_slot(struct sk_loop *loop, struct sk__uop *op, int res, unsigned flags);
static void on_unslot(struct sk_loop *loop, struct sk__uop *op, int res, unsigned flags);

/* ---- whether a multishot receive can be bounded here ---- */

static pthread_once_t mshot_once = PTHREAD_ONCE_INIT;
static bool mshot_ok;

/* Whether the kernel takes a total-length cap on a multishot receive
 * (sqe->optlen, Linux 6.17): the receive then ends by itself, without
 * IORING_CQE_F_MORE, once it has brought that many bytes.  Older kernels
 * refuse the field (EINVAL), or would not honour it (F_MORE set): the
 * connections then use one-shot receives.  Tried on a ring and a socket
 * pair of its own: two bytes waiting, a cap of one byte. */
static bool mshot_cap_works(void)
{
	struct io_uring ring;
	struct io_uring_buf_reg reg = { 0 };
	struct io_uring_cqe *cqe;
	int sv[2];
	bool ok = false;
	void *br = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE,
	                -1, 0);
	char buf[64];

	if (br == MAP_FAILED)
		return false;
	if (io_uring_queue_init(4, &ring, 0) < 0) {
		munmap(br, 4096);
		return false;
	}
	reg.ring_addr = (unsigned long)br;
	reg.ring_entries = 2;
	reg.bgid = PROBE_BGID;
	if (io_uring_register_buf_ring(&ring, &reg, 0) == 0 &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
		io_uring_buf_ring_init(br);
		io_uring_buf_ring_add(br, buf, sizeof buf, 0, io_uring_buf_ring_mask(2), 0);
		io_uring_buf_ring_advance(br, 1);
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		if (write(sv[1], "ab", 2) == 2 && sqe) {
			io_uring_prep_recv_multishot(sqe, sv[0], NULL, 0, 0);
			sqe->flags |= IOSQE_BUFFER_SELECT;
			sqe->buf_group = PROBE_BGID;
			sqe->file_index = 1;    /* optlen: the total cap */
			if (io_uring_submit_and_wait(&ring, 1) >= 0 &&
			    io_uring_peek_cqe(&ring, &cqe) == 0)
				ok = cqe->res > 0 && !(cqe->flags & IORING_CQE_F_MORE);
		}
		close(sv[0]);
		close(sv[1]);
	}
	io_uring_queue_exit(&ring);
	munmap(br, 4096);
	return ok;
}

/* SOCKIT_URING_ONESHOT=1 forces one-shot receives (how the tests reach
 * that path on a kernel that has the cap). */
static void probe_mshot(void)
{
	const char *env = getenv("SOCKIT_URING_ONESHOT");

	mshot_ok = !(env && *env && strcmp(env, "0") != 0) && mshot_cap_works();
}

/* Bytes one multishot receive may bring before it ends and is re-armed.
 * A receive takes whole buffers, so it can pass its cap by less than one
 * buffer: read_size - BUFSZ keeps what can arrive after the owner stopped
 * reading (before the cancel lands) under read_size, the most one epoll
 * read brings after the watermark. */
static unsigned mshot_cap(const struct sk_conn *c)
{
	size_t rs = c->lim.read_size;

	return rs >= 2 * BUFSZ ? (unsigned)(rs - BUFSZ) : BUFSZ;
}

static int arm_recv(struct sk__conn_ring *r)
{
	struct io_uring_sqe *sqe = sk__loop_sqe(r->c->loop);

	if (!sqe)
		return -1;
	/* An unbounded multishot receive goes on draining the socket into
	 * the loop's buffers after the owner stopped reading (a flooding
	 * client that never reads cost ~1.2 MiB of stash against the
	 * watermark); capped, it brings at most mshot_cap() more.  Without
	 * the cap: one-shot, re-armed per completion. */
	pthread_once(&mshot_once, probe_mshot);
	if (mshot_ok) {
		io_uring_prep_recv_multishot(sqe, r->c->fd, NULL, 0, 0);
		sqe->file_index = mshot_cap(r->c);    /* optlen: the total cap */
	} else {
		io_uring_prep_recv(sqe, r->c->fd, NULL, BUFSZ, 0);
	}
	sqe->flags |= IOSQE_BUFFER_SELECT | (r->fixed ? IOSQE_FIXED_FILE : 0);
	sqe->buf_group = BGID;
	io_uring_sqe_set_data(sqe, &r->recv_op);
	r->recv_armed = true;
	return 0;
}

static void cancel_recv(struct sk__conn_ring *r)
{
	struct io_uring_sqe *sqe = sk__loop_sqe(r->c->loop);

	if (!sqe)
		return;    /* the receive goes on; what it brings is stashed */
	io_uring_prep_cancel(sqe, &r->recv_op, 0);
	io_uring_sqe_set_data(sqe, &r->cancel_op);
	r->cancelling++;
}

bool sk__conn_ring_attach(struct sk_conn *c)
{
	if (!loop_bufs(c->loop))
		return false;
	struct sk__conn_ring *r = calloc(1, sizeof *r);
	if (!r)
		return false;
	r->c = c;
	r->recv_op.fn = on_recv;
	r->send_op.fn = on_send;
	r->cancel_op.fn = on_cancel;
	r->slot_op.fn = on_slot;
	r->unslot_op.fn = on_unslot;
	struct loop_bufs *b = c->loop->conn_ring;
	/* The install goes in before the receive, in the same submission
	 * (room for both: the receive cannot fail after it), and the kernel
	 * takes entries in order. */
	if ((unsigned)c->fd < b->nslots && io_uring_sq_space_left(sk__loop_ring(c->loop)) >= 2 &&
	    update_slot(r, true))
		r->fixed = r->in_table = true;
	if (arm_recv(r) < 0) {
		free(r);
		return false;
	}
	c->ring = r;
	return true;
}

static void replay_stash(struct sk_loop *loop, struct sk_timer *t);

void sk__conn_ring_update(struct sk_conn *c)
{
	struct sk__conn_ring *r = c->ring;
	struct loop_bufs *b = c->loop->conn_ring;
	bool reading = sk_conn_reading(c);

	if (reading && (sk_buf_len(&r->stash) || r->stash_eof)) {
		if (!sk_timer_armed(&r->replay))
			sk_timer_start(c->loop, &r->replay, 0, replay_stash, r);
	} else if (reading && !r->recv_armed) {
		if (arm_recv(r) < 0)
			sk_conn_close(c, "io_uring submission queue full");
	} else if (!reading && r->recv_armed && !r->cancelling && !c->dead) {
		cancel_recv(r);
	}
	if (sk_conn_queued(c) && !r->sending && !r->in_flush && !c->wr_shut) {
		r->in_flush = true;
		r->next_flush = b->flush;
		b->flush = r;
	}
}

/* Send what the socket takes of q now; whether all of it went. */
static bool send_now(struct sk_conn *c, struct sk_buf *q)
{
	while (sk_buf_len(q)) {
		ssize_t n = send(c->fd, sk_buf_head(q), sk_buf_len(q),
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		sk_buf_consume(q, (size_t)n);
		c->bytes_out += (size_t)n;
		c->last_active_ms = sk_loop_now(c->loop);
	}
	return true;
}

/* A turn's output waits for the turn's one send request; past SEND_NOW
 * bytes it goes at once by a send system call, as far as the socket takes
 * it, as epoll's sk_conn_write would have sent it.  So a turn that writes
 * a lot to one connection (chat's fan-out of a 64 KiB read, in 16 KiB
 * writes) does not pile it up in the queue, where a service's own limit
 * on queued bytes (chat's SendQ) would count it against a client that
 * reads at once.  One system call per 16 KiB or more: the bulk regime,
 * where it costs little; an echo's lent buffer never counts. */
#define SEND_NOW (16 * 1024)

void sk__conn_ring_send_early(struct sk_conn *c)
{
	struct sk__conn_ring *r = c->ring;

	if (sk_buf_len(&c->out) < SEND_NOW || r->sending || c->wr_shut)
		return;
	if (send_now(c, &c->inflight))
		send_now(c, &c->out);
	if (r->lent && sk_buf_len(&c->inflight) == 0)
		return_lent(r);
}

void sk__conn_ring_destroy(struct sk_conn *c)
{
	struct sk__conn_ring *r = c->ring;
	struct loop_bufs *b = c->loop->conn_ring;

	/* On epoll a write into an empty queue goes out at once, so a close
	 * right after a last word (chat's ERROR line before a hard drop)
	 * keeps it; here those bytes still wait for the turn's send: they go
	 * now, as far as the socket takes them.  Not behind a send in
	 * flight, whose bytes must go first. */
	if (!r->sending && !c->wr_shut && send_now(c, &c->inflight))
		send_now(c, &c->out);

	r->zombie = true;
	r->znext = b->zombies;
	if (b->zombies)
		b->zombies->zprev = r;
	b->zombies = r;
	sk_timer_stop(c->loop, &r->replay);
	/* Cancel whatever is in flight (the receive, a send) in one request;
	 * its completions free c. */
	if (r->recv_armed || r->sending) {
		struct io_uring_sqe *sqe = sk__loop_sqe(c->loop);
		if (sqe) {
			io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL);
			io_uring_sqe_set_data(sqe, &r->cancel_op);
			r->cancelling++;
		} else {
			shutdown(c->fd, SHUT_RDWR);    /* ends them all the same */
		}
	}
	if (r->in_table)
		clear_slot(r);
	maybe_free(r);
}

/* Data that arrived while the owner was not reading, in order, once it
 * reads again (from a timer: never inside the owner's resume call). */
static void replay_stash(struct sk_loop *loop, struct sk_timer *t)
{
	struct sk__conn_ring *r = t->data;
	struct sk_conn *c = r->c;
	(void)loop;

	sk_conn_hold(c);
	r->busy++;
	while (!c->dead && sk_conn_reading(c) && sk_buf_len(&r->stash)) {
		size_t n = sk_buf_len(&r->stash);
		if (n > c->lim.read_size)
			n = c->lim.read_size;
		/* on_data may write, pause or close: copy out of the stash first. */
		char chunk[BUFSZ];
		n = n > sizeof chunk ? sizeof chunk : n;
		memcpy(chunk, sk_buf_head(&r->stash), n);
		sk_buf_consume(&r->stash, n);
		sk__conn_input(c, chunk, n);
	}
	trim(&r->stash);
	if (!c->dead && sk_conn_reading(c) && r->stash_eof) {
		r->stash_eof = false;
		sk__conn_input(c, NULL, 0);
	}
	if (!c->dead)
		sk__conn_ring_update(c);
	r->busy--;
	if (sk_conn_release(c))
		return;
	maybe_free(r);
}

/* Bytes or EOF from the receive: to the owner, or to the stash while the
 * owner is not reading (or older bytes wait there). */
static void deliver(struct sk__conn_ring *r, const char *data, size_t n)
{
	struct sk_conn *c = r->c;

	if (!sk_conn_reading(c) || sk_buf_len(&r->stash) || r->stash_eof) {
		if (n == 0)
			r->stash_eof = true;
		else if (sk_buf_append(&r->stash, data, n) < 0)
			sk_conn_close(c, "out of memory");
		return;
	}
	sk__conn_input(c, data, n);
}

static void on_recv(struct sk_loop *loop, struct sk__uop *op, int res, unsigned flags)
{
	struct sk__conn_ring *r = RING_OF(op, recv_op);
	struct sk_conn *c = r->c;
	struct loop_bufs *b = loop->conn_ring;

	if (!(flags & IORING_CQE_F_MORE))
		r->recv_armed = false;
	r->busy++;
	if (!r->zombie) {
		sk_conn_hold(c);
		if (res > 0) {
			unsigned short bid = (unsigned short)(flags >> IORING_CQE_BUFFER_SHIFT);
			b->cur = b->mem + (size_t)bid * BUFSZ;
			b->cur_len = (size_t)res;
			b->cur_bid = bid;
			b->cur_ring = r;
			b->cur_lent = false;
			deliver(r, b->cur, (size_t)res);
			b->cur = NULL;
			if (!b->cur_lent)
				give_buffer(b, bid);
			res = 1;
		} else if (res == 0) {
			deliver(r, NULL, 0);
		} else if (res == -EBADF && r->fixed) {
			r->fixed = false;    /* the slot was refused: by fd, re-armed below */
		} else if (res != -ENOBUFS && res != -ECANCELED) {
			sk_conn_close(c, strerror(-res));
		}
		if (!c->dead && !r->recv_armed)
			sk__conn_ring_update(c);    /* re-arm if still reading */
		sk_conn_release(c);
	} else if (res > 0) {
		give_buffer(b, (unsigned short)(flags >> IORING_CQE_BUFFER_SHIFT));
	}
	r->busy--;
	maybe_free(r);
}

/* Before the turn's submission: one send per connection, carrying all it
 * was given this turn (the queue moves to inflight, which stays put
 * until the kernel is done with it). */
static void flush_list(struct sk_loop *loop, struct sk__conn_ring *r)
{
	while (r) {
		struct sk__conn_ring *next = r->next_flush;
		struct sk_conn *c = r->c;
		r->in_flush = false;
		if (!r->zombie && !r->sending && !c->wr_shut) {
			if (sk_buf_len(&c->inflight) == 0) {
				struct sk_buf t = c->inflight;
				c->inflight = c->out;
				c->out = t;
			}
			/* The queue may have gone out since (sk__conn_ring_send_early):
			 * an entry is taken only for a send, as one taken is
			 * submitted whatever it holds. */
			struct io_uring_sqe *sqe = sk_buf_len(&c->inflight) ? sk__loop_sqe(loop)
			                                                    : NULL;
			if (sqe) {
				io_uring_prep_send(sqe, c->fd, sk_buf_head(&c->inflight),
				                   sk_buf_len(&c->inflight), MSG_NOSIGNAL);
				if (r->fixed)
					sqe->flags |= IOSQE_FIXED_FILE;
				io_uring_sqe_set_data(sqe, &r->send_op);
				r->sending = true;
			} else if (sk_buf_len(&c->inflight)) {
				sk_conn_close(c, "io_uring submission queue full");
			}
		}
		maybe_free(r);
		r = next;
	}
}

/* A close in flush_list may run an owner's callback that writes to other
 * connections: their sends go out in this turn too. */
static void flush_all(struct sk_loop *loop)
{
	struct loop_bufs *b = loop->conn_ring;

	while (b->flush) {
		struct sk__conn_ring *r = b->flush;
		b->flush = NULL;
		flush_list(loop, r);
	}
	publish_buffers(b);
}

static void on_send(struct sk_loop *loop, struct sk__uop *op, int res, unsigned flags)
{
	struct sk__conn_ring *r = RING_OF(op, send_op);
	struct sk_conn *c = r->c;
	(void)loop; (void)flags;

	r->sending = false;
	r->busy++;
	if (!r->zombie) {
		sk_conn_hold(c);
		if (res == -EBADF && r->fixed) {
			r->fixed = false;    /* the slot was refused: again by fd */
		} else if (res < 0 && res != -EAGAIN && res != -EINTR) {
			sk_conn_close(c, strerror(-res));
		} else if (res > 0) {
			sk_buf_consume(&c->inflight, (size_t)res);
			c->bytes_out += (size_t)res;
			c->last_active_ms = sk_loop_now(c->loop);
		}
		if (r->lent && sk_buf_len(&c->inflight) == 0)
			return_lent(r);
		if (!c->dead)
			sk__conn_sent(c);    /* drains, closes, re-queues the rest */
		if (!c->dead && sk_conn_queued(c) == 0) {
			/* Only once all is out: a stream that keeps its queue
			 * busy (chargen) keeps its buffers, no malloc per send. */
			trim(&c->inflight);
			trim(&c->out);
		}
		if (!c->dead)
			sk__conn_ring_update(c);
		sk_conn_release(c);
	}
	r->busy--;
	maybe_free(r);
}

/* The install is done.  A refused one leaves the slot empty: the
 * requests that named it fail with EBADF and go again by fd (on_recv,
 * on_send), the next ones name the fd. */
static void on_slot(struct sk_loop *loop, struct sk__uop *op, int res, unsigned flags)
{
	struct sk__conn_ring *r = RING_OF(op, slot_op);
	(void)loop; (void)flags;

	r->files_busy--;
	if (res < 0)
		r->fixed = false;
	maybe_free(r);
}

/* The clearing is done; refused, it is done again by a system call
 * (the slot must not keep the socket open once c is gone). */
static void on_unslot(struct sk_loop *loop, struct sk__uop *op, int res, unsigned flags)
{
	struct sk__conn_ring *r = RING_OF(op, unslot_op);
	(void)loop; (void)flags;

	r->files_busy--;
	if (res < 0)
		unslot_now(r);
	maybe_free(r);
}

static void on_cancel(struct sk_loop *loop, struct sk__uop *op, int res, unsigned flags)
{
	struct sk__conn_ring *r = RING_OF(op, cancel_op);
	(void)loop; (void)res; (void)flags;

	r->cancelling--;
	maybe_free(r);
}

bool sk__conn_ring_lend(struct sk_conn *c, const void *data, size_t len)
{
	struct sk__conn_ring *r = c->ring;
	struct loop_bufs *b = c->loop->conn_ring;
	const char *p = data;

	/* Only the one send in order: nothing queued or in flight before it,
	 * and the bytes inside the buffer being delivered to this very
	 * connection (an echo); anything else is copied. */
	if (len < LEND_MIN || !b->cur || b->cur_lent || b->cur_ring != r || r->lent ||
	    r->sending || sk_conn_queued(c) || b->lent >= LEND_MAX || p < b->cur ||
	    p + len > b->cur + b->cur_len)
		return false;
	sk_buf_free(&c->inflight);
	c->inflight.data = (char *)b->cur;
	c->inflight.start = (size_t)(p - b->cur);
	c->inflight.end = c->inflight.start + len;
	c->inflight.cap = BUFSZ;
	r->lent = true;
	r->lent_bid = b->cur_bid;
	b->cur_lent = true;
	b->lent++;
	return true;
}
