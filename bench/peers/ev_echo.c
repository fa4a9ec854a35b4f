/* ev_echo.c — the canonical libevent bufferevent echo server (the
 * evconnlistener + bufferevent example of the libevent book), the
 * libevent peer of make bench: input buffer moved to the output buffer.
 *
 * usage: ev_echo [PORT]   (binds 127.0.0.1; prints
 * "listening tcp://127.0.0.1:PORT echo") */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void echo_read_cb(struct bufferevent *bev, void *ctx)
{
	(void)ctx;
	evbuffer_add_buffer(bufferevent_get_output(bev), bufferevent_get_input(bev));
}

static void echo_event_cb(struct bufferevent *bev, short events, void *ctx)
{
	(void)ctx;
	if (events & (BEV_EVENT_ERROR | BEV_EVENT_EOF))
		bufferevent_free(bev);
}

static void accept_conn_cb(struct evconnlistener *listener, evutil_socket_t fd,
                           struct sockaddr *address, int socklen, void *ctx)
{
	struct event_base *base = evconnlistener_get_base(listener);
	struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	int one = 1;

	(void)address; (void)socklen; (void)ctx;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	bufferevent_setcb(bev, echo_read_cb, NULL, echo_event_cb, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	                           .sin_port = htons((uint16_t)(argc > 1 ? atoi(argv[1]) : 0)),
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in bound;
	socklen_t len = sizeof bound;
	struct event_base *base = event_base_new();
	struct evconnlistener *listener = evconnlistener_new_bind(base, accept_conn_cb,
		NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 4096,
		(struct sockaddr *)&sin, sizeof sin);

	if (!listener) {
		perror("ev_echo: listen");
		return 1;
	}
	getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&bound, &len);
	printf("listening tcp://127.0.0.1:%d echo\n", ntohs(bound.sin_port));
	fflush(stdout);
	event_base_dispatch(base);
	return 0;
}
