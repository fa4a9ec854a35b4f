/* serve/stream.c — stream clients: accept with limits, one session per
 * connection bridging sk_conn and the service, one log line at close. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "serve/peer_table.h"
#include "serve/server_int.h"
#include "sockit/log.h"
#include "sockit/net.h"

/* Bytes a TCP connection's kernel send buffer may hold that the peer's
 * window has not yet let out (TCP_NOTSENT_LOWAT).  Without it the kernel
 * grows a send buffer to tcp_wmem's maximum (4 MiB here) for a client
 * that never reads: the server copied ~4.2 MiB into each one before it
 * stopped, most of its CPU time in the soak, and the kernel held it.
 * Bytes in flight are not counted, so a long fat path keeps its window. */
#define NOTSENT_LOWAT (128 * 1024)

struct session {
	struct svc_conn svc;          /* first: the service's view */
	struct listener *l;
	struct sk_conn *conn;
	struct sk_timer timer;        /* the service's svc_set_timer */
	struct session *prev, *next;
	bool counted_ip;
	char *reason;                 /* a copy of the service's close reason */
	char peer[SK_ADDRSTRLEN];
	/* the service's state_size bytes follow */
};

static struct session *of(struct svc_conn *c)
{
	return (struct session *)c;
}

static int host_send(struct svc_conn *c, const void *d, size_t n)
{
	return sk_conn_write(of(c)->conn, d, n);
}

static size_t host_queued(struct svc_conn *c)
{
	return sk_conn_queued(of(c)->conn);
}

static void host_shutdown(struct svc_conn *c) { sk_conn_shutdown(of(c)->conn); }
static void host_pause(struct svc_conn *c) { sk_conn_pause(of(c)->conn); }
static void host_resume(struct svc_conn *c) { sk_conn_resume(of(c)->conn); }

/* The reason is logged after the service's close callback, which may
 * free the service's copy (chat's "Quit: ..."): keep one of our own.  The
 * first reason given is the one logged, as sk_conn keeps the first. */
static const char *keep_reason(struct session *s, const char *reason)
{
	if (!s->reason)
		s->reason = strdup(reason);
	return s->reason ? s->reason : "closed by the service";
}

static void host_end(struct svc_conn *c, const char *reason)
{
	sk_conn_end(of(c)->conn, keep_reason(of(c), reason));
}

/* Close now, queue discarded (chat drops a client over its SendQ).  When
 * c is not the connection whose callback runs, the close is immediate and
 * the service's close callback runs before this returns. */
static void host_drop(struct svc_conn *c, const char *reason)
{
	sk_conn_close(of(c)->conn, keep_reason(of(c), reason));
}

static void on_service_timer(struct sk_loop *loop, struct sk_timer *t)
{
	struct session *s = t->data;
	struct sk_conn *conn = s->conn;
	(void)loop;

	sk_conn_hold(conn);
	s->l->entry->svc->timer(&s->svc);
	sk_conn_release(conn);
}

static void host_set_timer(struct svc_conn *c, uint64_t ms)
{
	struct session *s = of(c);

	if (ms == 0 || !s->l->entry->svc->timer)
		sk_timer_stop(s->l->w->loop, &s->timer);
	else
		sk_timer_start(s->l->w->loop, &s->timer, ms, on_service_timer, s);
}

static void host_vlog(struct svc_conn *c, const char *fmt, va_list ap)
{
	char msg[SVC_LOG_MAX];

	if (!sk_log_enabled(SK_LOG_INFO))
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	sk_log(SK_LOG_INFO, "%s %s peer=%s %s", of(c)->l->name,
	       of(c)->l->entry->svc->name, of(c)->peer, msg);
}

static const struct svc_host_ops host_ops = {
	.send = host_send, .queued = host_queued, .shutdown = host_shutdown,
	.end = host_end, .drop = host_drop, .pause = host_pause, .resume = host_resume,
	.set_timer = host_set_timer, .vlog = host_vlog,
};

static void conn_data(struct sk_conn *conn, const char *d, size_t n)
{
	struct session *s = conn->data;
	s->l->entry->svc->bytes(&s->svc, d, n);
}

static void conn_eof(struct sk_conn *conn)
{
	struct session *s = conn->data;
	const struct service *svc = s->l->entry->svc;

	if (svc->eof)
		svc->eof(&s->svc);
	else
		sk_conn_end(conn, "client closed");
}

static void conn_drain(struct sk_conn *conn)
{
	struct session *s = conn->data;
	if (s->l->entry->svc->writable)
		s->l->entry->svc->writable(&s->svc);
}

static void log_close(const struct session *s, const struct sk_conn *conn,
                      const char *reason)
{
	uint64_t ms = sk_loop_now(conn->loop) - conn->opened_ms;

	sk_log(SK_LOG_INFO, "%s %s peer=%s in=%llu out=%llu time=%llu.%03llus "
	       "closed: %s", s->l->name, s->l->entry->svc->name, s->peer,
	       (unsigned long long)conn->bytes_in, (unsigned long long)conn->bytes_out,
	       (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000), reason);
}

static void conn_closed(struct sk_conn *conn, const char *reason)
{
	struct session *s = conn->data;
	struct worker *w = s->l->w;

	if (s->l->entry->svc->close)
		s->l->entry->svc->close(&s->svc);
	sk_timer_stop(w->loop, &s->timer);
	log_close(s, conn, reason);
	if (s->counted_ip)
		peer_table_release(w->srv->peers, (struct sockaddr *)&conn->peer);
	atomic_fetch_sub(&w->srv->nconn, 1);
	if (s->prev)
		s->prev->next = s->next;
	else
		w->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s->reason);
	free(s);
}

static const struct sk_conn_ops conn_ops = {
	.on_data = conn_data, .on_eof = conn_eof, .on_drain = conn_drain,
	.on_close = conn_closed,
};

static void format_peer(struct session *s, const struct sockaddr_storage *ss,
                        socklen_t len)
{
	if (ss->ss_family == AF_UNIX)
		snprintf(s->peer, sizeof s->peer, "unix");
	else
		sk_addr_format((const struct sockaddr *)ss, len, s->peer, sizeof s->peer);
}

/* Refuse a connection the limits do not allow: close at once, log why. */
static void refuse(struct listener *l, int fd, const struct sockaddr_storage *ss,
                   socklen_t len, const char *why)
{
	char peer[SK_ADDRSTRLEN];

	close(fd);
	sk_log(SK_LOG_INFO, "%s %s peer=%s refused: %s", l->name,
	       l->entry->svc->name,
	       ss->ss_family == AF_UNIX ? "unix" :
	       sk_addr_format((const struct sockaddr *)ss, len, peer, sizeof peer), why);
}

static bool admit(struct listener *l, int fd, const struct sockaddr_storage *ss,
                  socklen_t len, bool *counted_ip)
{
	struct server *srv = l->w->srv;

	*counted_ip = false;
	if (srv->lim.max_conn > 0 && atomic_load(&srv->nconn) >= srv->lim.max_conn) {
		refuse(l, fd, ss, len, "too many connections (--max-conn)");
		return false;
	}
	if (srv->lim.per_ip > 0) {
		if (!peer_table_acquire(srv->peers, (const struct sockaddr *)ss, srv->lim.per_ip)) {
			refuse(l, fd, ss, len, "too many connections from this address (--per-ip)");
			return false;
		}
		*counted_ip = true;
	}
	return true;
}

static struct sk_conn_limits conn_limits(const struct server *srv)
{
	struct sk_conn_limits lim = sk_conn_default_limits;

	lim.idle_ms = srv->lim.idle_ms;
	if (srv->lim.max_queue) {
		lim.high_water = srv->lim.max_queue;
		lim.low_water = srv->lim.max_queue / 4;
	}
	return lim;
}

static void start_session(struct listener *l, int fd,
                          const struct sockaddr_storage *ss, socklen_t len)
{
	const struct service *svc = l->entry->svc;
	struct worker *w = l->w;
	struct sk_conn_limits lim = conn_limits(w->srv);
	bool counted;

	if (!admit(l, fd, ss, len, &counted))
		return;
	struct session *s = calloc(1, sizeof *s + svc->state_size);
	if (!s || !(s->conn = sk_conn_new(w->loop, fd, (const struct sockaddr *)ss, len,
	                                     &conn_ops, s, &lim))) {
		if (counted)
			peer_table_release(w->srv->peers, (const struct sockaddr *)ss);
		free(s);
		refuse(l, fd, ss, len, "out of memory");
		return;
	}
	atomic_fetch_add(&w->srv->nconn, 1);
	s->l = l;
	s->counted_ip = counted;
	s->svc = (struct svc_conn){ .host = &host_ops, .host_data = s,
		.state = s + 1, .instance = l->instance, .opt = &l->entry->opt,
		.peer = s->peer };
	format_peer(s, ss, len);
	if (l->ep.transport == SK_TCP) {
		int lowat = NOTSENT_LOWAT;
		sk_set_nodelay(fd, true);
		setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
	}
	s->next = w->sessions;
	if (s->next)
		s->next->prev = s;
	w->sessions = s;
	if (svc->open) {
		sk_conn_hold(s->conn);
		svc->open(&s->svc);
		sk_conn_release(s->conn);
	}
}

/* Out of descriptors: give up the spare one to accept and close the
 * waiting client, so the listener does not report readable forever. */
static void shed_with_spare(struct listener *l)
{
	struct worker *w = l->w;

	if (w->spare_fd >= 0) {
		close(w->spare_fd);
		int fd = accept(l->fd, NULL, NULL);
		if (fd >= 0)
			close(fd);
		w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	sk_log(SK_LOG_ERROR, "%s %s refused: out of file descriptors", l->name,
	       l->entry->svc->name);
}

/* One client from the listener (sk_loop_accept: accept4 after readiness
 * on epoll, 64 per wakeup at most; a multishot accept on io_uring), or
 * the news that descriptors ran out. */
void stream_on_accept(struct sk_loop *loop, int lfd, int cfd, const struct sockaddr *peer,
                      socklen_t peerlen, int err, void *data)
{
	struct listener *l = data;
	struct sockaddr_storage ss = { 0 };
	(void)loop; (void)lfd;

	if (cfd < 0) {
		if (err == EMFILE || err == ENFILE)
			shed_with_spare(l);
		return;
	}
	if (peerlen > sizeof ss)
		peerlen = sizeof ss;
	memcpy(&ss, peer, peerlen);
	start_session(l, cfd, &ss, peerlen);
}

void stream_close_all(struct worker *w)
{
	while (w->sessions)
		sk_conn_close(w->sessions->conn, "server shutting down");
}
