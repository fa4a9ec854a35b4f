/* serve/listen.c — the server's listeners: open one endpoint on every
 * worker that serves it (worker 0 alone first, the others joining it with
 * SO_REUSEPORT), learn the port it really got, watch it on the worker's
 * loop, close it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/server_int.h"
#include "serve/systemd.h"
#include "sockit/error.h"
#include "sockit/net.h"

int lvec_push(struct lvec *v, struct listener *l)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		struct listener **nv = realloc(v->v, cap * sizeof *nv);
		if (!nv)
			return -1;
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = l;
	return 0;
}

/* Whether worker w serves this endpoint.  A single_thread service (chat)
 * must see every client: it lives on the worker kept for it (srv->solo),
 * so its fan-out never waits behind the other services' clients, nor
 * they behind it.  UNIX sockets cannot be shared with SO_REUSEPORT: they
 * live on worker 0.  The rest is shared by the stream workers. */
static bool worker_serves(const struct server *srv, int w, const struct serve_entry *e,
                          const struct sk_endpoint *ep)
{
	if (e->svc->single_thread)
		return w == srv->solo;
	if (sk_endpoint_is_unix(ep))
		return w == 0;
	return w < srv->nstream;
}

/* The endpoint as really bound: port 0 becomes the port the kernel chose,
 * so the other workers bind the same one. */
static void learn_bound(struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (sk_endpoint_is_unix(&l->ep)) {
		sk_endpoint_format(&l->ep, l->name, sizeof l->name);
		return;
	}
	getsockname(l->fd, (struct sockaddr *)&ss, &len);
	sk_addr_format_endpoint(l->ep.transport, (struct sockaddr *)&ss, len, l->name,
	                        sizeof l->name);
	uint16_t port = ss.ss_family == AF_INET
	                    ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
	                    : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	snprintf(l->ep.port, sizeof l->ep.port, "%u", port);
}

/* A UNIX socket file we bound goes away with its listener. */
static void remove_socket_file(const struct listener *l)
{
	if (sk_endpoint_is_unix(&l->ep) && l->ep.path[0] != '@' && !l->inherited)
		unlink(l->ep.path);
}

void listener_close(struct listener *l)
{
	if (l->fd < 0)
		return;
	sk_loop_del(l->w->loop, l->fd);
	close(l->fd);
	l->fd = -1;
	remove_socket_file(l);
}

void listener_discard(struct listener *l)
{
	/* Never watched, so no loop is touched: it may belong to a worker
	 * that is running right now. */
	close(l->fd);
	if (l->w->index == 0)
		remove_socket_file(l);
	free(l);
}

int listener_watch(struct listener *l)
{
	if (sk_endpoint_is_dgram(&l->ep))
		return sk_loop_add(l->w->loop, l->fd, SK_READ, dgram_on_readable, l);
	return sk_loop_accept(l->w->loop, l->fd, stream_on_accept, l);
}

/* A datagram server sees bursts from many clients between two wakeups;
 * the kernel's default receive buffer (~208 KiB) drops them sooner than a
 * few MiB.  Best effort: FORCE works for root, the plain option up to
 * net.core.rmem_max for others. */
static void grow_receive_buffer(int fd)
{
	int size = 4 << 20;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

/* How worker w binds an endpoint.  One worker: a plain exclusive bind.
 * Several: worker 0 binds first and alone (SK_LISTEN_GROUP_FIRST), so an
 * address that anyone else holds fails right there, even when the holder
 * set SO_REUSEPORT; the others join worker 0's socket.  The single_thread
 * worker's endpoints have no group: a plain exclusive bind.  Our own
 * listeners count as holders too: a reload that moves a port to another
 * service fails as "in use" (docs/serve-config.md), with any number of
 * workers. */
static int listen_flags(const struct server *srv, int w)
{
	if (srv->nworkers == 1 || (w == srv->solo && w != 0))
		return 0;
	return w == 0 ? SK_LISTEN_GROUP_FIRST : SK_LISTEN_REUSEPORT;
}

/* A listener for worker w on ep: on the inherited socket fd when it is
 * not -1, else on a socket bound now with flags. */
static struct listener *listener_open(struct server *srv, int w, int flags,
                                      const struct serve_entry *e, void *instance,
                                      const struct sk_endpoint *ep, const char *key,
                                      int fd, char *err, size_t errlen)
{
	struct listener *l = calloc(1, sizeof *l);

	if (!l) {
		sk_seterr(err, errlen, "out of memory");
		return NULL;
	}
	*l = (struct listener){
	    .w = &srv->workers[w], .entry = e, .instance = instance, .ep = *ep, .fd = -1};
	snprintf(l->key, sizeof l->key, "%s", key);
	l->seq = srv->nopened++;
	l->inherited = fd >= 0;
	l->fd = l->inherited ? fd : sk_listen(&l->ep, 4096, flags, err, errlen);
	if (l->fd < 0) {
		free(l);
		return NULL;
	}
	if (sk_endpoint_is_dgram(&l->ep))
		grow_receive_buffer(l->fd);
	learn_bound(l);
	return l;
}

int open_endpoint(struct server *srv, const struct serve_entry *e, void *instance,
                  const struct sk_endpoint *conf, struct listener **out, char *err,
                  size_t errlen)
{
	struct sk_endpoint ep = *conf;
	char text[SK_ADDRSTRLEN], key[SK_ADDRSTRLEN + 32];

	snprintf(key, sizeof key, "%s %s", e->svc->name,
	         sk_endpoint_format(conf, text, sizeof text));
	memset(out, 0, (size_t)srv->nworkers * sizeof *out);
	/* A socket systemd passed exists once: it cannot be bound again with
	 * SO_REUSEPORT for the other workers, so the first worker that serves
	 * the endpoint serves it alone. */
	int fd = sysd_take(conf), first = -1;
	for (int w = 0; w < srv->nworkers; w++) {
		if (!worker_serves(srv, w, e, &ep) || (fd >= 0 && first >= 0))
			continue;
		out[w] = listener_open(srv, w, listen_flags(srv, w), e, instance,
		                       &ep, key, fd, err, errlen);
		if (!out[w])
			goto fail;
		if (first < 0) {
			first = w;
			ep = out[w]->ep; /* the port the first got, for the others */
		} else {
			memcpy(out[w]->name, out[first]->name, sizeof out[w]->name);
		}
	}
	return 0;
fail:
	for (int w = 0; w < srv->nworkers; w++)
		if (out[w]) {
			listener_discard(out[w]);
			out[w] = NULL;
		}
	return -1;
}

void listeners_announce(const struct lvec *a, const struct lvec *b)
{
	size_t i = 0, j = 0, na = a ? a->n : 0, nb = b ? b->n : 0;

	while (i < na || j < nb) {
		const struct listener *l =
		    j == nb || (i < na && a->v[i]->seq < b->v[j]->seq) ? a->v[i++] : b->v[j++];
		printf("listening %s %s\n", l->name, l->entry->svc->name);
	}
	fflush(stdout);
}
