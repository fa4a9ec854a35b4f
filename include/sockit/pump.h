/* pump.h — move bytes between an input fd (stdin), a connected stream
 * socket and an output fd (stdout), both ways at once, with backpressure
 * and half-close: the loop `sockit echo` and `sockit caesar` run.
 *
 * Both directions run in one poll loop, so a large input never deadlocks
 * with both socket buffers full.  Backpressure as in nc's readwrite(): the
 * input is not read while `window` bytes wait to be sent, and the socket
 * is not read while the output blocks.  The library never prints: on
 * failure sk_pump_run returns -1 with errno and p->failed naming the step.
 *
 *     struct sk_pump p;
 *     sk_pump_init(&p, STDIN_FILENO, sock, STDOUT_FILENO);
 *     p.idle_ms = 5000;
 *     p.half_close = true;           // shutdown(SHUT_WR) after stdin's EOF
 *     if (sk_pump_run(&p) < 0) ... p.failed, errno, p.sent, p.received
 *     sk_pump_free(&p);
 *
 * Hooks (all optional, in p.ops, with p.ctx for the caller) change what
 * is sent (a request per input line), what is done with what arrives (a
 * reply parser), and when the run is over. */
#ifndef SOCKIT_PUMP_H
#define SOCKIT_PUMP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockit/buf.h"

struct sk_pump;

struct sk_pump_ops {
	/* Input bytes (n > 0) or the input's EOF (n == 0): queue what is to
	 * be sent with sk_pump_send.  NULL: send the input as it is.  0, or
	 * -1 to stop the run (errno set). */
	int (*input)(struct sk_pump *p, const char *data, size_t n);
	/* Socket bytes (n > 0) or the socket's EOF (n == 0).  NULL: write them
	 * to out_fd.  0, or -1 to stop the run (errno set). */
	int (*recv)(struct sk_pump *p, const char *data, size_t n);
	/* Whether to read input now, on top of the window; NULL: yes. */
	bool (*want_input)(struct sk_pump *p);
	/* Whether the run is complete; NULL: once the socket reached EOF. */
	bool (*done)(struct sk_pump *p);
	/* Whether the peer owes us something, so that idle_ms applies; NULL:
	 * always (nc -w: input and connection idle alike). */
	bool (*awaiting)(struct sk_pump *p);
};

struct sk_pump {
	int in_fd;        /* -1: no input (only what sk_pump_send queued) */
	int sock;         /* a connected stream socket */
	int out_fd;       /* where socket bytes go without a recv hook; -1 drops */
	size_t window;    /* queued bytes past which input is not read (256 KiB) */
	int idle_ms;      /* ETIMEDOUT after this long without progress (-1 never) */
	int deadline_ms;  /* ETIMEDOUT ("deadline") this long after sk_pump_run
	                     began, whatever the progress (-1 never) */
	bool half_close;  /* shutdown(SHUT_WR) once input ended and all is sent */
	volatile sig_atomic_t *stop;   /* non-NULL and set: EINTR ends the run */
	const struct sk_pump_ops *ops;
	void *ctx;

	/* State, read-only for the caller. */
	struct sk_buf queue;           /* bytes waiting to be sent */
	uint64_t sent, received;       /* socket bytes each way */
	bool in_eof, sock_eof, shut, send_failed;
	const char *failed;            /* "read input", "send", "receive",
	                                  "write output", "wait", "deadline",
	                                  "closed" */
	uint64_t deadline_ns;          /* set by sk_pump_run from deadline_ms */
};

/* Set p up with defaults (no hooks, window 256 KiB, no timers). */
void sk_pump_init(struct sk_pump *p, int in_fd, int sock, int out_fd);

/* Queue n bytes for the socket; 0 or -1 (ENOMEM). */
int sk_pump_send(struct sk_pump *p, const void *data, size_t n);

/* Run until done (0).  -1 with errno and p->failed: ETIMEDOUT ("wait")
 * when idle_ms passed while awaiting, ETIMEDOUT ("deadline") when
 * deadline_ms passed; EPIPE ("closed") when the socket
 * reached EOF before done; EINTR when *stop was set; a hook's errno; or
 * the failing call's.  A send that fails with EPIPE/ECONNRESET drops the
 * queue and stops reading input but keeps reading the socket, since a
 * peer that reset may have sent its reason first. */
int sk_pump_run(struct sk_pump *p);

/* Free the queue (the fds are the caller's). */
void sk_pump_free(struct sk_pump *p);

#endif
