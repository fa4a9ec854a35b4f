/* tcp.c — the --tcp transport: each probe a non-blocking connect, timed
 * to the SYN-ACK (open) or the RST (closed), as tcping and hping -S. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ping/session.h"
#include "sockit/net.h"

static void tcp_drop(struct ping_probe *p)
{
	if (p->fd < 0)
		return;
	/* A reset, not a FIN: a thousand probes leave no TIME_WAIT behind. */
	struct linger lg = {1, 0};
	setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	sk_loop_del(p->t->s->loop, p->fd);
	close(p->fd);
	p->fd = -1;
}

static void on_connect(struct sk_loop *loop, int fd, int events, void *data)
{
	struct ping_probe *p = data;
	struct ping_target *t = p->t;
	char from[INET6_ADDRSTRLEN + 300];
	int err = sk_connect_result(fd);

	(void)loop; (void)events;
	if (err == 0 || err == ECONNREFUSED) {
		struct ping_reply r = {
		    .ttl = -1,
		    .state = err == 0 ? "open" : "closed",
		    .from =
		        pout_from(t->s, t, (struct sockaddr *)&t->sa, from, sizeof from),
		};
		session_answer(p, 0, &r);
	} else {
		session_error(p, t->addr, strerror(err));
	}
	tcp_drop(p);
}

static int tcp_send(struct ping_target *t, struct ping_probe *p)
{
	struct sockaddr_storage ss = t->sa;

	((struct sockaddr_in *)&ss)->sin_port = htons(t->s->o->port);
	tcp_drop(p);
	int fd = sk_connect_start((struct sockaddr *)&ss, t->salen, SOCK_STREAM);
	if (fd < 0)
		return -1;
	if (sk_loop_add(t->s->loop, fd, SK_WRITE, on_connect, p) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	p->fd = fd;
	return 0;
}

static int tcp_open(struct ping_session *s, char *err, size_t errlen)
{
	(void)s; (void)err; (void)errlen;
	sk_raise_fd_limit();
	return 0;
}

const struct ping_transport ping_tcp_transport = {
    .open = tcp_open,
    .send = tcp_send,
    .drop = tcp_drop,
    .close = NULL,
};
