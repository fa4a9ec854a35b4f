/* loop.h — the event loop: fd-indexed I/O events, timers, signals.
 *
 * Shaped like Redis's ae: one table indexed by fd, level-triggered events
 * from one of two backends (epoll, or io_uring poll requests: see
 * docs/architecture.md), callbacks run from sk_loop_run().  Timers are intrusive
 * (struct sk_timer lives in the caller's object) in a binary min-heap, so
 * ten thousand connects each with its own timeout cost no allocation and
 * O(log n) per start/stop.  Signals arrive through a signalfd and run as
 * ordinary callbacks, never in signal context.
 *
 * Costs: add/mod/del are one epoll_ctl each (a mod that changes nothing
 * is free); a wakeup handles at most SK_LOOP_MAX_EVENTS events; the loop
 * never blocks when a timer is due. */
#ifndef SOCKIT_LOOP_H
#define SOCKIT_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct sk_loop;

enum { SK_READ = 1, SK_WRITE = 2 };

/* The kernel mechanism under a loop.  AUTO is only a request: it resolves
 * to one of the other two. */
enum sk_backend { SK_BACKEND_AUTO, SK_BACKEND_EPOLL, SK_BACKEND_URING };

/* "auto", "epoll" or "io_uring" to *out; 0, or -1 for anything else. */
int sk_backend_parse(const char *name, enum sk_backend *out);

/* "auto", "epoll" or "io_uring". */
const char *sk_backend_name(enum sk_backend b);

/* Whether io_uring can carry a loop here, probed once per process (a ring
 * with the setup flags the backend uses, the opcodes it needs, a provided
 * buffer ring).  The environment variable SOCKIT_NO_URING=1 makes the
 * answer no.  When no, *why (if not NULL) says why in a few words, e.g.
 * "disabled by SOCKIT_NO_URING" or "io_uring_setup: Operation not
 * permitted".  Thread-safe. */
bool sk_uring_available(const char **why);

/* What a request means here: EPOLL stays EPOLL, AUTO becomes URING when
 * available and EPOLL otherwise, URING stays URING when available and is
 * -1 (with *why) when not. */
int sk_backend_resolve(enum sk_backend want, enum sk_backend *out,
                       const char **why);

/* Events one epoll_wait returns at most: the cap on work per wakeup. */
#define SK_LOOP_MAX_EVENTS 512

/* I/O callback: events is SK_READ|SK_WRITE as reported (errors and hangup
 * are reported as both, so the handler's read or write sees them). */
typedef void sk_io_fn(struct sk_loop *loop, int fd, int events, void *data);

struct sk_timer;
typedef void sk_timer_fn(struct sk_loop *loop, struct sk_timer *t);

/* A timer lives inside the caller's object; zero it (or sk_timer_init)
 * before first use.  Fields are the loop's. */
struct sk_timer {
	uint64_t due;       /* monotonic ms */
	size_t slot;        /* heap index + 1; 0 when not armed */
	sk_timer_fn *fn;
	void *data;
};

typedef void sk_signal_fn(struct sk_loop *loop, int signo, void *data);

/* Create a loop for fds below setsize (it grows when a larger fd comes).
 * Returns NULL with errno. */
struct sk_loop *sk_loop_new(int setsize);

/* The same on backend b (EPOLL or URING; resolve AUTO first).  A URING
 * loop must run (sk_loop_once/run) in one thread only, the first that
 * runs it; other threads may add, change and delete fds while it is not
 * running.  Returns NULL with errno. */
struct sk_loop *sk_loop_new_backend(int setsize, enum sk_backend b);

/* The backend a loop runs on (EPOLL or URING). */
enum sk_backend sk_loop_backend(const struct sk_loop *loop);

/* Free the loop (the fds registered on it are the caller's). */
void sk_loop_free(struct sk_loop *loop);

/* Watch fd for events (SK_READ|SK_WRITE, may be 0 to park it), calling fn.
 * Re-adding a watched fd replaces its callback and mask.  0 or -1. */
int sk_loop_add(struct sk_loop *loop, int fd, int events, sk_io_fn *fn,
                void *data);

/* A connection accepted on listening socket lfd: cfd (non-blocking,
 * close-on-exec, the callee's to close) and its peer's address; or cfd
 * -1 and err EMFILE or ENFILE: out of descriptors, with clients still
 * waiting (the callee sheds one, or it is told again). */
typedef void sk_accept_fn(struct sk_loop *loop, int lfd, int cfd,
                          const struct sockaddr *peer, socklen_t peerlen,
                          int err, void *data);

/* Accept connections on listening socket lfd (non-blocking), calling fn
 * for each.  epoll: readiness, then accept4 up to 64 per wakeup; io_uring:
 * one multishot accept request (getpeername per client, no poll to
 * re-arm), readiness again if the kernel refuses it.  sk_loop_mod(lfd, 0)
 * pauses, SK_READ resumes (a connection the kernel accepted before the
 * pause landed is still delivered); sk_loop_del(lfd) before close(lfd)
 * stops it (on io_uring a connection accepted for a deleted listener is
 * closed).  0 or -1. */
int sk_loop_accept(struct sk_loop *loop, int lfd, sk_accept_fn *fn, void *data);

/* Change the events watched on fd; no syscall when unchanged. 0 or -1. */
int sk_loop_mod(struct sk_loop *loop, int fd, int events);

/* Current event mask of fd (0 when not watched). */
int sk_loop_events(const struct sk_loop *loop, int fd);

/* Stop watching fd.  Call before close(fd).  Safe from a callback: events
 * already fetched for fd in this wakeup are dropped. */
void sk_loop_del(struct sk_loop *loop, int fd);

/* Arm t to fire once after ms milliseconds (re-arming moves it). */
void sk_timer_start(struct sk_loop *loop, struct sk_timer *t, uint64_t ms,
                    sk_timer_fn *fn, void *data);

/* Disarm t; harmless when not armed. */
void sk_timer_stop(struct sk_loop *loop, struct sk_timer *t);

/* Whether t is armed. */
static inline bool sk_timer_armed(const struct sk_timer *t) { return t->slot != 0; }

/* Run fn on the loop when signo arrives (blocks it for normal delivery in
 * this thread).  Call before starting other threads so they inherit the
 * mask.  0 or -1. */
int sk_loop_on_signal(struct sk_loop *loop, int signo, sk_signal_fn *fn,
                      void *data);

/* Run until sk_loop_stop(); returns 0, or -1 if the backend fails. */
int sk_loop_run(struct sk_loop *loop);

/* Run one iteration, waiting at most timeout_ms (-1: until an event or
 * timer).  Returns events handled, or -1. */
int sk_loop_once(struct sk_loop *loop, int timeout_ms);

/* Run fn(loop, data) at the end of every wakeup: after its I/O callbacks
 * and timers, before the loop waits again.  One slot; fn NULL clears it.
 * For a protocol that gathers output for many connections during a
 * wakeup and sends it in one write each (chat's fan-out). */
typedef void sk_after_fn(struct sk_loop *loop, void *data);
void sk_loop_set_after(struct sk_loop *loop, sk_after_fn *fn, void *data);

/* Make sk_loop_run() return after the current iteration.  Thread-safe:
 * another thread may stop a loop (it wakes it through an eventfd). */
void sk_loop_stop(struct sk_loop *loop);

/* The loop's cached monotonic time in ms, updated each wakeup. */
uint64_t sk_loop_now(const struct sk_loop *loop);

/* Monotonic clock in ms and in ns, uncached. */
uint64_t sk_now_ms(void);
uint64_t sk_now_ns(void);

/* The poll timeout that honours both an idle timer (idle_ms, -1 none)
 * and a deadline (sk_now_ns() value, 0 none): the smaller, rounded up
 * to whole ms.  *by_deadline says which one it is, so a timeout of the
 * poll can be told apart ("deadline" or "idle"). */
int sk_wait_ms(uint64_t deadline_ns, int idle_ms, bool *by_deadline);

#endif
