/* relay.c — `sockit relay EP1 EP2`: every client of EP1 gets its own
 * connection to EP2, on one event loop; two pumps per client (splice
 * where possible) pass bytes and half-close both ways.  A client's setup
 * (its TLS handshake, the connect to EP2, EP2's TLS handshake, in that
 * order) runs within one deadline (-w, default 10 s).  UDP to UDP keeps
 * one upstream socket per client address, dropped after --idle. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "commands.h"
#include "netcat/netcat.h"
#include "sockit/error.h"
#include "sockit/loop.h"
#include "sockit/net.h"

#define RELAY_BUDGET (256u << 10)   /* bytes per direction per wakeup */
#define UDP_MAX_SESSIONS 4096
#define UDP_BUCKETS 1024
#define UDP_IDLE_DEFAULT 60000
#define DGRAM_MAX 65507
#define SETUP_DEFAULT_MS NC_TLS_HANDSHAKE_MS   /* -w not given */

struct relay {
	const struct nc_opts *o;
	struct sk_loop *loop;
	int lfd;
	struct addrinfo *up;          /* EP2's addresses (tcp) */
	struct sockaddr_un up_sun;    /* EP2 (unix) */
	socklen_t up_sunlen;
	long clients;
	LIST_HEAD(, rclient) all;     /* every client, to free them at exit */
	struct usess *buckets[UDP_BUCKETS];
	long sessions;
	char *dgram;
	int rc;
};

/* ---- streams ---- */

struct rclient {
	struct relay *r;
	LIST_ENTRY(rclient) link;
	struct nc_end a, b;           /* a: the client, b: upstream */
	struct nc_pump ab, ba;
	const struct addrinfo *ai;    /* the address being tried */
	bool running;
	struct sk_timer idle;
	struct sk_timer setup;        /* the deadline until the pumps start */
	struct sk_timer again;        /* 0 ms: a TLS pump stopped at its budget */
	uint64_t last_ms, moved;
	char name[SK_ADDRSTRLEN];
};

static void client_free(struct rclient *c, const char *why)
{
	struct relay *r = c->r;

	if (why)
		nc_verbose(r->o, "%s: closed (%s; %llu bytes in, %llu out)", c->name, why,
		           (unsigned long long)c->ab.bytes, (unsigned long long)c->ba.bytes);
	sk_timer_stop(r->loop, &c->idle);
	sk_timer_stop(r->loop, &c->setup);
	sk_timer_stop(r->loop, &c->again);
	sk_loop_del(r->loop, c->a.rfd);
	close(c->a.rfd);
	if (c->b.rfd >= 0) {
		sk_loop_del(r->loop, c->b.rfd);
		close(c->b.rfd);
	}
	nc_tls_free(c->a.tls);
	nc_tls_free(c->b.tls);
	if (c->running) {   /* before that the pumps are zeroes, not fds */
		nc_pump_free(&c->ab);
		nc_pump_free(&c->ba);
	}
	LIST_REMOVE(c, link);
	r->clients--;
	free(c);
}

/* The loop mask fd needs: what each unfinished pump waits for on it. */
static int mask_for(const struct rclient *c, int fd)
{
	const struct nc_pump *ps[2] = { &c->ab, &c->ba };
	int m = 0;

	for (int i = 0; i < 2; i++)
		if (!ps[i]->done && ps[i]->wait_fd == fd)
			m |= ps[i]->wait_events == POLLIN ? SK_READ : SK_WRITE;
	return m;
}

static const char *pump_why(const struct nc_pump *p)
{
	static char why[160];
	const struct nc_tls *t = p->src->tls ? p->src->tls : p->dst->tls;
	const char *tls = t ? nc_tls_error((struct nc_tls *)t) : NULL;

	snprintf(why, sizeof why, "%s: %s", p->err_op, tls ? tls : strerror(p->err));
	return why;
}

static void client_again(struct sk_loop *loop, struct sk_timer *t);

/* Run both pumps, RELAY_BUDGET bytes each at most, so that one fast
 * client never starves the others.  A TLS pump stopped at its budget
 * may have bytes in OpenSSL that no poll would report: a 0 ms timer
 * brings it back after this wakeup's other events, before the loop
 * sleeps (it then waits with timeout 0). */
static void client_io(struct sk_loop *loop, int fd, int events, void *data)
{
	struct rclient *c = data;
	uint64_t before = c->ab.bytes + c->ba.bytes;

	(void)loop; (void)fd; (void)events;
	if (nc_pump_run(&c->ab, RELAY_BUDGET) < 0)
		return client_free(c, pump_why(&c->ab));
	if (nc_pump_run(&c->ba, RELAY_BUDGET) < 0)
		return client_free(c, pump_why(&c->ba));
	if (c->ab.done && c->ba.done)
		return client_free(c, "both sides closed");
	if (c->ab.bytes + c->ba.bytes != before)
		c->last_ms = sk_loop_now(c->r->loop);
	sk_loop_mod(c->r->loop, c->a.rfd, mask_for(c, c->a.rfd));
	sk_loop_mod(c->r->loop, c->b.rfd, mask_for(c, c->b.rfd));
	if ((c->ab.again || c->ba.again) && !sk_timer_armed(&c->again))
		sk_timer_start(c->r->loop, &c->again, 0, client_again, c);
}

static void client_again(struct sk_loop *loop, struct sk_timer *t)
{
	struct rclient *c = t->data;

	client_io(loop, c->a.rfd, 0, c);
}

static void client_idle(struct sk_loop *loop, struct sk_timer *t)
{
	struct rclient *c = t->data;
	uint64_t due = c->last_ms + (uint64_t)c->r->o->idle_ms, now = sk_loop_now(loop);

	if (now >= due)
		return client_free(c, "idle");
	sk_timer_start(loop, &c->idle, due - now, client_idle, c);
}

/* Both sides ready (connected, TLS done): the two pumps start moving. */
static int client_start(struct rclient *c)
{
	const struct nc_opts *o = c->r->o;

	sk_timer_stop(c->r->loop, &c->setup);
	nc_pump_init(&c->ab, &c->a, &c->b, true);
	nc_pump_init(&c->ba, &c->b, &c->a, true);
	c->ba.hex_dir = '<';
	c->running = true;
	c->last_ms = sk_loop_now(c->r->loop);
	if (sk_loop_add(c->r->loop, c->a.rfd, SK_READ, client_io, c) < 0 ||
	    sk_loop_add(c->r->loop, c->b.rfd, SK_READ, client_io, c) < 0)
		return -1;
	if (o->idle_ms > 0)
		sk_timer_start(c->r->loop, &c->idle, (uint64_t)o->idle_ms, client_idle, c);
	client_io(c->r->loop, c->a.rfd, SK_READ, c);
	return 0;
}

static int connect_next(struct rclient *c);

/* The setup deadline passed: a client that never finished its TLS hello
 * (or an upstream that never answered) loses its slot. */
static void setup_expired(struct sk_loop *loop, struct sk_timer *t)
{
	struct rclient *c = t->data;
	const struct nc_opts *o = c->r->o;
	uint64_t ms = o->wait_ms >= 0 ? (uint64_t)o->wait_ms : SETUP_DEFAULT_MS;
	char why[SK_ERRLEN];

	(void)loop;
	if (c->b.rfd >= 0 && !c->b.tls) {
		/* EP2 did not answer: worth a line without -v, as a refusal. */
		sk_seterr_deadline(why, sizeof why, ms, "connect %s", o->ep2_text);
		fprintf(stderr, "sockit relay: %s\n", why);
		return client_free(c, NULL);
	}
	sk_seterr_deadline(why, sizeof why, ms, "%s",
	                   c->b.tls ? "TLS handshake with EP2" : "TLS handshake");
	client_free(c, why);
}

/* Step the handshake of end e; when it is done, go on with next.  The
 * loop watches e's fd with this callback meanwhile. */
static void handshake_io(struct sk_loop *loop, int fd, int events, void *data)
{
	struct rclient *c = data;
	struct nc_end *e = fd == c->a.rfd ? &c->a : &c->b;
	short want = POLLIN;
	int r = nc_tls_handshake_step(e->tls, &want);

	(void)events;
	if (r < 0) {
		const char *why = nc_tls_error(e->tls);
		if (e == &c->b)     /* EP2's certificate: the operator wants to know */
			fprintf(stderr, "sockit relay: %s: %s\n", c->r->o->ep2_text, why);
		return client_free(c, why);
	}
	if (r == 0) {
		sk_loop_add(loop, fd, want == POLLIN ? SK_READ : SK_WRITE, handshake_io, c);
		return;
	}
	sk_loop_mod(loop, fd, 0);
	if (e == &c->a) {
		if (connect_next(c) < 0) {
			fprintf(stderr, "sockit relay: connect %s: %s\n", c->r->o->ep2_text,
			        strerror(errno));
			client_free(c, NULL);
		}
		return;
	}
	if (client_start(c) < 0)
		client_free(c, "setup failed");
}

/* Start the handshake on end e (client side with tls_out, else server). */
static int handshake_start(struct rclient *c, struct nc_end *e)
{
	const struct nc_opts *o = c->r->o;
	char err[SK_ERRLEN];

	e->tls = e == &c->b ? nc_tls_client_async(o, e->rfd, o->ep2.host, err, sizeof err)
	                    : nc_tls_server_async(o, e->rfd, err, sizeof err);
	if (!e->tls)
		return -1;
	handshake_io(c->r->loop, e->rfd, SK_READ | SK_WRITE, c);
	return 0;
}

static void upstream_connected(struct sk_loop *loop, int fd, int events, void *data)
{
	struct rclient *c = data;
	int e = sk_connect_result(fd);

	(void)events;
	if (e != 0) {
		sk_loop_del(loop, fd);
		close(fd);
		c->b.rfd = c->b.wfd = -1;
		if (c->ai)
			c->ai = c->ai->ai_next;
		if (!c->ai || connect_next(c) < 0) {
			fprintf(stderr, "sockit relay: connect %s: %s\n", c->r->o->ep2_text,
			        strerror(e));
			return client_free(c, NULL);
		}
		return;
	}
	sk_loop_mod(loop, fd, 0);
	if (c->r->o->ep2.transport == SK_TCP)
		sk_set_nodelay(fd, true);
	if (c->r->o->tls_out) {
		if (handshake_start(c, &c->b) < 0)
			client_free(c, "setup failed");
		return;
	}
	if (client_start(c) < 0)
		client_free(c, "setup failed");
}

/* Start connecting to the current upstream address (of -4/-6's family
 * when given).  0 or -1 with errno. */
static int connect_next(struct rclient *c)
{
	struct relay *r = c->r;
	int fd;

	for (;;) {
		if (r->up_sunlen)
			fd = sk_connect_start((struct sockaddr *)&r->up_sun, r->up_sunlen, SOCK_STREAM);
		else if (r->o->family && c->ai->ai_family != r->o->family)
			fd = -1, errno = EAFNOSUPPORT;
		else
			fd = sk_connect_start(c->ai->ai_addr, c->ai->ai_addrlen, SOCK_STREAM);
		if (fd >= 0)
			break;
		if (r->up_sunlen || !(c->ai = c->ai->ai_next))
			return -1;
	}
	c->b = (struct nc_end){ fd, fd, true, false, NULL };
	return sk_loop_add(r->loop, fd, SK_WRITE, upstream_connected, c);
}

/* A new client: arm its setup deadline, then its TLS handshake (the
 * upstream connect waits for it, so a client that never says hello
 * costs no connection to EP2) or at once the connect. */
static void client_setup(struct relay *r, struct rclient *c)
{
	const struct nc_opts *o = r->o;

	sk_timer_start(r->loop, &c->setup,
	               o->wait_ms >= 0 ? (uint64_t)o->wait_ms : SETUP_DEFAULT_MS,
	               setup_expired, c);
	if (o->tls_in) {
		sk_loop_add(r->loop, c->a.rfd, 0, handshake_io, c);
		if (handshake_start(c, &c->a) < 0)
			client_free(c, "setup failed");
		return;
	}
	if (connect_next(c) < 0) {
		fprintf(stderr, "sockit relay: connect %s: %s\n", o->ep2_text, strerror(errno));
		client_free(c, NULL);
	}
}

static void on_accept(struct sk_loop *loop, int lfd, int events, void *data)
{
	struct relay *r = data;
	struct sockaddr_storage ss;
	socklen_t len;

	(void)loop; (void)events;
	for (int i = 0; i < 64; i++) {
		int fd = nc_accept_admitted(r->o, lfd, r->clients, &ss, &len);
		if (fd == -1)
			return;
		if (fd < 0)
			continue;
		struct rclient *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			continue;
		}
		sk_addr_format((struct sockaddr *)&ss, len, c->name, sizeof c->name);
		c->r = r;
		c->a = (struct nc_end){ fd, fd, true, false, NULL };
		c->ai = r->up;
		c->b = (struct nc_end){ -1, -1, true, false, NULL };
		LIST_INSERT_HEAD(&r->all, c, link);
		r->clients++;
		nc_verbose(r->o, "%s: connected", c->name);
		client_setup(r, c);
	}
}

/* ---- datagrams ---- */

struct usess {
	struct relay *r;
	struct usess *next;
	struct sockaddr_storage peer;
	socklen_t plen;
	unsigned bucket;
	int fd;
	uint64_t last_ms;
	struct sk_timer idle;
};

static unsigned hash_addr(const struct sockaddr_storage *a, socklen_t len)
{
	const unsigned char *p = (const unsigned char *)a;
	unsigned h = 2166136261u;

	for (socklen_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h % UDP_BUCKETS;
}

static void usess_free(struct usess *s)
{
	struct relay *r = s->r;
	struct usess **pp = &r->buckets[s->bucket];

	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	sk_timer_stop(r->loop, &s->idle);
	sk_loop_del(r->loop, s->fd);
	close(s->fd);
	r->sessions--;
	free(s);
}

static void usess_idle(struct sk_loop *loop, struct sk_timer *t)
{
	struct usess *s = t->data;
	uint64_t idle = s->r->o->idle_ms > 0 ? (uint64_t)s->r->o->idle_ms : UDP_IDLE_DEFAULT;
	uint64_t now = sk_loop_now(loop);

	if (now >= s->last_ms + idle)
		return usess_free(s);
	sk_timer_start(loop, &s->idle, s->last_ms + idle - now, usess_idle, s);
}

/* Upstream answered: back to the client, from the listening socket. */
static void usess_readable(struct sk_loop *loop, int fd, int events, void *data)
{
	struct usess *s = data;

	(void)events;
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, s->r->dgram, DGRAM_MAX, MSG_DONTWAIT);
		if (n < 0)
			return;     /* EAGAIN, or a refused upstream: nothing to pass */
		s->last_ms = sk_loop_now(loop);
		(void)sendto(s->r->lfd, s->r->dgram, (size_t)n, MSG_DONTWAIT,
		             (struct sockaddr *)&s->peer, s->plen);
	}
}

/* A connected socket to EP2 for one client address: the first address of
 * -4/-6's family (any without them).  fd, or -1 with err. */
static int udp_upstream(struct relay *r, char *err, size_t errlen)
{
	if (!r->up)
		return sk_connect(&r->o->ep2, 1000, err, errlen);   /* unixgram */
	for (const struct addrinfo *ai = r->up; ai; ai = ai->ai_next) {
		if (r->o->family && ai->ai_family != r->o->family)
			continue;
		int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			return fd;
		sk_seterrno(err, errlen, "connect %s", r->o->ep2_text);
		if (fd >= 0)
			close(fd);
	}
	return -1;
}

static struct usess *usess_get(struct relay *r, const struct sockaddr_storage *a,
                               socklen_t len)
{
	unsigned b = hash_addr(a, len);
	char err[SK_ERRLEN];

	for (struct usess *s = r->buckets[b]; s; s = s->next)
		if (s->plen == len && memcmp(&s->peer, a, len) == 0)
			return s;
	if (r->sessions >= (r->o->max_conns ? r->o->max_conns : UDP_MAX_SESSIONS)) {
		nc_verbose(r->o, "dropped a datagram: %ld sessions (--max-conns)", r->sessions);
		return NULL;
	}
	struct usess *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->fd = udp_upstream(r, err, sizeof err);
	if (s->fd < 0) {
		free(s);
		nc_verbose(r->o, "%s", err);
		return NULL;
	}
	s->r = r;
	memcpy(&s->peer, a, len);
	s->plen = len;
	s->bucket = b;
	s->next = r->buckets[b];
	r->buckets[b] = s;
	r->sessions++;
	s->last_ms = sk_loop_now(r->loop);
	sk_loop_add(r->loop, s->fd, SK_READ, usess_readable, s);
	sk_timer_start(r->loop, &s->idle,
	               r->o->idle_ms > 0 ? (uint64_t)r->o->idle_ms : UDP_IDLE_DEFAULT,
	               usess_idle, s);
	return s;
}

static void on_dgram(struct sk_loop *loop, int lfd, int events, void *data)
{
	struct relay *r = data;
	struct sockaddr_storage ss;
	char why[96];

	(void)events;
	for (int i = 0; i < 64; i++) {
		socklen_t len = sizeof ss;
		ssize_t n = recvfrom(lfd, r->dgram, DGRAM_MAX, MSG_DONTWAIT,
		                     (struct sockaddr *)&ss, &len);
		if (n < 0)
			return;
		if (!nc_peer_allowed(r->o, (struct sockaddr *)&ss, why, sizeof why))
			continue;
		struct usess *s = usess_get(r, &ss, len);
		if (!s)
			continue;
		s->last_ms = sk_loop_now(loop);
		(void)send(s->fd, r->dgram, (size_t)n, MSG_DONTWAIT);
	}
}

/* ---- setup ---- */

static void on_stop(struct sk_loop *loop, int signo, void *data)
{
	(void)signo; (void)data;
	sk_loop_stop(loop);
}

/* Resolve EP2 once, so each client costs one connect, no lookup. */
static int resolve_upstream(struct relay *r)
{
	char err[SK_ERRLEN];

	if (sk_endpoint_is_unix(&r->o->ep2)) {
		r->up_sunlen = sk_endpoint_unix_addr(&r->o->ep2, &r->up_sun);
		return 0;
	}
	if (sk_endpoint_resolve(&r->o->ep2, false, &r->up, err, sizeof err) < 0)
		return nc_die(r->o, EXIT_NETWORK, "%s", err), -1;
	for (const struct addrinfo *ai = r->up; ai; ai = ai->ai_next)
		if (!r->o->family || ai->ai_family == r->o->family)
			return 0;
	return nc_die(r->o, EXIT_NETWORK, "%s: no address of that family (-%c)",
	              r->o->ep2_text, r->o->family == AF_INET ? '4' : '6'), -1;
}

/* One side is stdio: it is connect (or listen) with the other side. */
static int relay_stdio(const struct nc_opts *o)
{
	static struct nc_opts so;

	so = *o;
	so.idle_ms = o->idle_ms > 0 ? o->idle_ms : 0;   /* -w is no idle timeout here */
	if (o->in_stdio) {
		so.ep = o->ep2;
		snprintf(so.ep_text, sizeof so.ep_text, "%s", o->ep2_text);
		so.tls = o->tls_out || o->tls;
		so.mode = NC_CONNECT;
		return nc_connect_run(&so);
	}
	so.tls = o->tls_in || o->tls;
	so.mode = NC_LISTEN;
	return nc_listen_run(&so);
}

int nc_relay_run(const struct nc_opts *o)
{
	static struct relay r;
	char err[SK_ERRLEN];
	bool dgram = sk_endpoint_is_dgram(&o->ep);

	if (o->in_stdio || o->out_stdio)
		return relay_stdio(o);
	memset(&r, 0, sizeof r);
	LIST_INIT(&r.all);
	r.o = o;
	r.rc = EXIT_OK;
	sk_raise_fd_limit();
	if ((o->tls_in || o->tls_out) &&
	    nc_tls_setup(o, o->tls_in, o->tls_out, err, sizeof err) < 0)
		return nc_die(o, EXIT_USAGE, "%s", err);
	if (resolve_upstream(&r) < 0)
		return EXIT_NETWORK;
	r.lfd = sk_listen(&o->ep, 1024, o->family == AF_INET6 ? SK_LISTEN_V6ONLY : 0,
	                  err, sizeof err);
	if (r.lfd < 0)
		return nc_die(o, EXIT_NETWORK, "%s", err);
	r.loop = sk_loop_new(1024);
	r.dgram = malloc(DGRAM_MAX);
	if (!r.loop || !r.dgram)
		return nc_die(o, EXIT_NETWORK, "out of memory");
	sk_loop_on_signal(r.loop, SIGINT, on_stop, &r);
	sk_loop_on_signal(r.loop, SIGTERM, on_stop, &r);
	sk_loop_add(r.loop, r.lfd, SK_READ, dgram ? on_dgram : on_accept, &r);
	nc_say_listening(o, r.lfd, o->ep.transport, true);
	if (sk_loop_run(r.loop) < 0)
		r.rc = nc_die(o, EXIT_NETWORK, "event loop: %s", strerror(errno));
	while (!LIST_EMPTY(&r.all))
		client_free(LIST_FIRST(&r.all), NULL);
	for (int b = 0; b < UDP_BUCKETS; b++)
		while (r.buckets[b])
			usess_free(r.buckets[b]);
	close(r.lfd);
	if (sk_endpoint_is_unix(&o->ep) && o->ep.path[0] != '@')
		unlink(o->ep.path);
	sk_loop_free(r.loop);
	free(r.dgram);
	if (r.up)
		freeaddrinfo(r.up);
	nc_tls_cleanup();
	return r.rc;
}
