/* loop_epoll.c — the loop's epoll backend: one epoll_ctl per mask change,
 * one epoll_wait per turn, then one read or write system call per event
 * (made by the callback). */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop_int.h"

struct epoll_be {
	int epfd;
	struct epoll_event events[SK_LOOP_MAX_EVENTS];
};

static int epoll_init(struct sk_loop *loop)
{
	struct epoll_be *b = calloc(1, sizeof *b);

	if (!b)
		return -1;
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (b->epfd < 0) {
		free(b);
		return -1;
	}
	loop->be_data = b;
	return 0;
}

static void epoll_fini(struct sk_loop *loop)
{
	struct epoll_be *b = loop->be_data;

	close(b->epfd);
	free(b);
}

/* Tell the kernel about fd's mask.  A mask of 0 leaves epoll entirely, so
 * a parked fd whose peer hung up cannot wake the loop over and over. */
static int epoll_apply(struct sk_loop *loop, int fd, struct fd_entry *e, int mask)
{
	struct epoll_be *b = loop->be_data;
	struct epoll_event ev = { 0 };

	ev.events = (mask & SK_READ ? EPOLLIN : 0) | (mask & SK_WRITE ? EPOLLOUT : 0);
	ev.data.u64 = (uint64_t)(uint32_t)fd | (uint64_t)e->gen << 32;
	int rc = 0;
	if (mask == 0 && e->in_kernel)
		rc = epoll_ctl(b->epfd, EPOLL_CTL_DEL, fd, NULL);
	else if (mask != 0)
		rc = epoll_ctl(b->epfd, e->in_kernel ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
		               fd, &ev);
	if (rc < 0)
		return -1;
	e->in_kernel = mask != 0;
	return 0;
}

static void epoll_del(struct sk_loop *loop, int fd, struct fd_entry *e)
{
	struct epoll_be *b = loop->be_data;

	if (e->in_kernel)
		epoll_ctl(b->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static int epoll_wait_run(struct sk_loop *loop, int timeout_ms)
{
	struct epoll_be *b = loop->be_data;
	int n = epoll_wait(b->epfd, b->events, SK_LOOP_MAX_EVENTS, timeout_ms);

	if (n < 0 && errno != EINTR)
		return -1;
	sk__loop_woke(loop);
	for (int i = 0; i < n; i++) {
		const struct epoll_event *ev = &b->events[i];
		int m = (ev->events & EPOLLIN ? SK_READ : 0) |
		        (ev->events & EPOLLOUT ? SK_WRITE : 0);
		sk__loop_dispatch(loop, (int)(uint32_t)ev->data.u64,
		                  (uint32_t)(ev->data.u64 >> 32), m,
		                  (ev->events & (EPOLLERR | EPOLLHUP)) != 0);
	}
	return n > 0 ? n : 0;
}

const struct sk__backend sk__backend_epoll = {
	.kind = SK_BACKEND_EPOLL, .init = epoll_init, .fini = epoll_fini,
	.apply = epoll_apply, .del = epoll_del, .wait = epoll_wait_run,
};
