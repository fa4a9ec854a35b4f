/* epoll_echo.c — the "bare kernel" reference for make bench: a minimal
 * single-threaded TCP echo server, non-blocking, level-triggered epoll,
 * one read and one write per event.  No buffering beyond one read: when
 * the write is short the rest is kept and EPOLLOUT waited for, so the
 * reference stays correct under backpressure.
 *
 * usage: epoll_echo [PORT]   (binds 127.0.0.1; 0 or none picks a port and
 * prints "listening tcp://127.0.0.1:PORT echo") */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ 65536

struct client {
	int fd;
	size_t len, off;          /* pending bytes buf[off..len) */
	char buf[BUFSZ];
};

static int listen_on(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4096) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("epoll_echo: listen");
		exit(1);
	}
	printf("listening tcp://127.0.0.1:%d echo\n", ntohs(sa.sin_port));
	fflush(stdout);
	return fd;
}

static void drop(int ep, struct client *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void accept_one(int ep, int lfd)
{
	int one = 1;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	struct client *c;

	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c = malloc(sizeof *c);
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->len = c->off = 0;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* One write of the pending bytes; watch EPOLLOUT (not EPOLLIN) while some
 * remain, so a client that does not read stops being read from. */
static void flush(int ep, struct client *c)
{
	ssize_t w = write(c->fd, c->buf + c->off, c->len - c->off);

	if (w < 0 && errno != EAGAIN && errno != EINTR) {
		drop(ep, c);
		return;
	}
	if (w > 0)
		c->off += (size_t)w;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	if (c->off < c->len)
		ev.events = EPOLLOUT;
	else
		c->off = c->len = 0;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void on_client(int ep, struct client *c, unsigned events)
{
	if (c->len) {                      /* waiting to write the rest */
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			flush(ep, c);
		return;
	}
	ssize_t r = read(c->fd, c->buf, BUFSZ);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		drop(ep, c);
		return;
	}
	if (r < 0)
		return;
	ssize_t w = write(c->fd, c->buf, (size_t)r);
	if (w == r)
		return;
	if (w < 0 && errno != EAGAIN && errno != EINTR) {
		drop(ep, c);
		return;
	}
	c->len = (size_t)r;
	c->off = w > 0 ? (size_t)w : 0;
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

int main(int argc, char **argv)
{
	int lfd = listen_on(argc > 1 ? atoi(argv[1]) : 0);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL }, evs[512];

	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 512, -1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				accept_one(ep, lfd);
			else
				on_client(ep, evs[i].data.ptr, evs[i].events);
		}
	}
}
