/* hiredis_loop.c — the hiredis adapter for sk_loop (see hiredis_loop.h).
 *
 * One difference from ae.h: sk_loop reports read and write in one
 * callback, and hiredis may free the context (and call cleanup) while
 * handling the read; cleanup inside the callback therefore only marks the
 * adapter dead and the callback frees it on its way out. */
#include <stdlib.h>

#include "serve/hiredis_loop.h"

struct sk_redis_ev {
	redisAsyncContext *ac;
	struct sk_loop *loop;
	int fd;
	int events;                /* SK_READ|SK_WRITE wanted by hiredis */
	bool added, in_cb, dead;
};

static void on_io(struct sk_loop *loop, int fd, int events, void *data)
{
	struct sk_redis_ev *e = data;

	(void)loop; (void)fd;
	e->in_cb = true;
	if ((events & SK_READ) && (e->events & SK_READ))
		redisAsyncHandleRead(e->ac);
	if (!e->dead && (events & SK_WRITE) && (e->events & SK_WRITE))
		redisAsyncHandleWrite(e->ac);
	e->in_cb = false;
	if (e->dead)
		free(e);
}

static void update(struct sk_redis_ev *e, int events)
{
	if (events == e->events && e->added)
		return;
	e->events = events;
	if (!e->added) {
		if (sk_loop_add(e->loop, e->fd, events, on_io, e) == 0)
			e->added = true;
	} else {
		sk_loop_mod(e->loop, e->fd, events);
	}
}

static void add_read(void *p)
{
	struct sk_redis_ev *e = p;
	update(e, e->events | SK_READ);
}

static void del_read(void *p)
{
	struct sk_redis_ev *e = p;
	update(e, e->events & ~SK_READ);
}

static void add_write(void *p)
{
	struct sk_redis_ev *e = p;
	update(e, e->events | SK_WRITE);
}

static void del_write(void *p)
{
	struct sk_redis_ev *e = p;
	update(e, e->events & ~SK_WRITE);
}

/* hiredis is about to close the fd: stop watching it first. */
static void cleanup(void *p)
{
	struct sk_redis_ev *e = p;

	if (e->added)
		sk_loop_del(e->loop, e->fd);
	e->added = false;
	if (e->in_cb)
		e->dead = true;
	else
		free(e);
}

int sk_redis_attach(struct sk_loop *loop, redisAsyncContext *ac)
{
	struct sk_redis_ev *e;

	if (ac->ev.data != NULL || !(e = calloc(1, sizeof *e)))
		return REDIS_ERR;
	e->ac = ac;
	e->loop = loop;
	e->fd = ac->c.fd;
	ac->ev.addRead = add_read;
	ac->ev.delRead = del_read;
	ac->ev.addWrite = add_write;
	ac->ev.delWrite = del_write;
	ac->ev.cleanup = cleanup;
	ac->ev.data = e;
	return REDIS_OK;
}
