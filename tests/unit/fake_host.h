/* fake_host.h — a service host with no sockets, for unit tests: it
 * records what a service sends, logs, and asks of the host.  Header-only
 * because each test_*.c is built on its own. */
#ifndef SOCKIT_FAKE_HOST_H
#define SOCKIT_FAKE_HOST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service.h"

struct fake {
	struct svc_conn conn;
	struct svc_options opt;
	char *out;            /* everything sent */
	size_t outlen, outcap;
	size_t queued;        /* what svc_queued reports */
	size_t queue_after;   /* sends beyond this many bytes count as queued */
	int sends;
	bool ended, shut, paused, dropped;
	const char *end_reason;
	uint64_t timer_ms;
	int timers_set;
	char log[65536];
	size_t loglen;
	const struct service *svc;
};

static inline struct fake *fake_of(struct svc_conn *c)
{
	return (struct fake *)((char *)c - offsetof(struct fake, conn));
}

static inline int fake_send(struct svc_conn *c, const void *d, size_t n)
{
	struct fake *f = fake_of(c);
	if (f->outlen + n + 1 > f->outcap) {
		/* Doubling: a realloc per send copied everything sent so far. */
		f->outcap = f->outcap ? f->outcap : 1024;
		while (f->outlen + n + 1 > f->outcap)
			f->outcap *= 2;
		f->out = realloc(f->out, f->outcap);
	}
	memcpy(f->out + f->outlen, d, n);
	f->outlen += n;
	f->out[f->outlen] = '\0';
	f->sends++;
	if (f->outlen > f->queue_after)
		f->queued = f->outlen - f->queue_after;
	return 0;
}

static inline size_t fake_queued(struct svc_conn *c) { return fake_of(c)->queued; }
static inline void fake_shutdown(struct svc_conn *c) { fake_of(c)->shut = true; }
static inline void fake_end(struct svc_conn *c, const char *why)
{
	fake_of(c)->ended = true;
	fake_of(c)->end_reason = why;
}
static inline void fake_drop(struct svc_conn *c, const char *why)
{
	fake_of(c)->ended = true;
	fake_of(c)->dropped = true;
	fake_of(c)->end_reason = why;
}
static inline void fake_pause(struct svc_conn *c) { fake_of(c)->paused = true; }
static inline void fake_resume(struct svc_conn *c) { fake_of(c)->paused = false; }
static inline void fake_set_timer(struct svc_conn *c, uint64_t ms)
{
	fake_of(c)->timer_ms = ms;
	fake_of(c)->timers_set++;
}
static inline void fake_vlog(struct svc_conn *c, const char *fmt, va_list ap)
{
	struct fake *f = fake_of(c);
	size_t room = sizeof f->log - f->loglen;
	int n = vsnprintf(f->log + f->loglen, room, fmt, ap);
	if (n > 0)
		f->loglen += (size_t)n < room ? (size_t)n : room - 1;
	if (f->loglen + 1 < sizeof f->log) {
		f->log[f->loglen++] = '\n';
		f->log[f->loglen] = '\0';
	}
}

static const struct svc_host_ops fake_ops = {
	.send = fake_send, .queued = fake_queued, .shutdown = fake_shutdown,
	.end = fake_end, .drop = fake_drop, .pause = fake_pause, .resume = fake_resume,
	.set_timer = fake_set_timer, .vlog = fake_vlog,
};

/* Set up f for svc with options opt (may be NULL); does not call open. */
static inline void fake_init(struct fake *f, const struct service *svc,
                             const struct svc_options *opt)
{
	/* All but the log's 64 KiB, which is kept NUL-ended at loglen:
	 * zeroing it was a good part of a fuzz input's time. */
	memset(f, 0, offsetof(struct fake, log));
	f->log[0] = '\0';
	f->loglen = 0;
	f->svc = svc;
	if (opt)
		f->opt = *opt;
	f->queue_after = (size_t)-1;
	f->conn.host = &fake_ops;
	f->conn.opt = &f->opt;
	f->conn.peer = "127.0.0.1:40000";
	f->conn.state = svc->state_size ? calloc(1, svc->state_size) : NULL;
	if (svc->init) {
		char err[256];
		if (svc->init(&f->opt, &f->conn.instance, err, sizeof err) < 0) {
			fprintf(stderr, "init: %s\n", err);
			abort();
		}
	}
}

/* Another client of first's instance (first set up by fake_init), not
 * opened: its own output, log and state. */
static inline void fake_init_peer(struct fake *f, const struct fake *first)
{
	memset(f, 0, offsetof(struct fake, log));
	f->log[0] = '\0';
	f->loglen = 0;
	f->svc = first->svc;
	f->opt = first->opt;
	f->queue_after = (size_t)-1;
	f->conn.host = first->conn.host;
	f->conn.opt = &f->opt;
	f->conn.peer = first->conn.peer;
	f->conn.instance = first->conn.instance;
	f->conn.state = f->svc->state_size ? calloc(1, f->svc->state_size) : NULL;
}

static inline void fake_open(struct fake *f)
{
	if (f->svc->open)
		f->svc->open(&f->conn);
}

static inline void fake_free(struct fake *f)
{
	if (f->svc->close)
		f->svc->close(&f->conn);
	if (f->svc->fini)
		f->svc->fini(f->conn.instance);
	free(f->conn.state);
	free(f->out);
	f->out = NULL;
	f->outcap = 0;
}

/* Forget what was sent so far. */
static inline void fake_clear(struct fake *f)
{
	f->outlen = 0;
	f->queued = 0;
	if (f->out)
		f->out[0] = '\0';
}

#endif
