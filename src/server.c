/* server.c — the server's life: bind every endpoint (one SO_REUSEPORT
 * socket per worker thread), announce readiness, run the workers, stop
 * cleanly on SIGINT/SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer_table.h"
#include "server_int.h"
#include "sockit/error.h"
#include "sockit/log.h"
#include "sockit/net.h"

const struct serve_limits serve_default_limits = {
	.max_conn = 0,
	.per_ip = 0,
	.idle_ms = 0,
	.threads = 1,
	.max_queue = 0,
};

/* Whether worker w serves this endpoint: UNIX sockets cannot be shared
 * with SO_REUSEPORT, and a single_thread service (chat) must see every
 * client, so those live on worker 0 only. */
static bool worker_serves(int w, const struct serve_entry *e,
                          const struct sk_endpoint *ep)
{
	return w == 0 || (!sk_endpoint_is_unix(ep) && !e->svc->single_thread);
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
	sk_addr_format_endpoint(l->ep.transport, (struct sockaddr *)&ss, len,
	                        l->name, sizeof l->name);
	uint16_t port = ss.ss_family == AF_INET ?
		ntohs(((struct sockaddr_in *)&ss)->sin_port) :
		ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	snprintf(l->ep.port, sizeof l->ep.port, "%u", port);
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

static int open_listener(struct server *srv, struct listener *l, int widx)
{
	char err[SK_ERRLEN];
	int flags = srv->nworkers > 1 ? SK_LISTEN_REUSEPORT : 0;

	l->fd = sk_listen(&l->ep, 4096, flags, err, sizeof err);
	if (l->fd < 0) {
		fprintf(stderr, "sockit: %s\n", err);
		return -1;
	}
	if (sk_endpoint_is_dgram(&l->ep))
		grow_receive_buffer(l->fd);
	if (widx == 0)
		learn_bound(l);
	return 0;
}

/* Bind every endpoint for every worker; the first worker's socket fixes
 * the port the others share. */
/* Bind one endpoint on every worker that serves it; worker 0's socket
 * fixes the port the others share. */
static int bind_endpoint(struct server *srv, const struct serve_entry *e,
                         void *instance, struct sk_endpoint ep)
{
	const struct listener *first = NULL;

	for (int w = 0; w < srv->nworkers; w++) {
		struct worker *wk = &srv->workers[w];
		if (!worker_serves(w, e, &ep))
			continue;
		struct listener *l = &wk->ls[wk->nls++];
		*l = (struct listener){ .w = wk, .entry = e, .instance = instance,
		                        .ep = ep, .fd = -1 };
		if (open_listener(srv, l, w) < 0)
			return -1;
		if (!first) {
			first = l;
			ep = l->ep;
		} else {
			memcpy(l->name, first->name, sizeof l->name);
		}
	}
	return 0;
}

static int bind_all(struct server *srv, const struct serve_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < entries[i].neps; j++)
			if (bind_endpoint(srv, &entries[i], srv->instances[i],
			                  entries[i].eps[j]) < 0)
				return -1;
	return 0;
}

static void announce(const struct server *srv)
{
	const struct worker *w = &srv->workers[0];

	for (size_t i = 0; i < w->nls; i++)
		printf("listening %s %s\n", w->ls[i].name, w->ls[i].entry->svc->name);
	fflush(stdout);
}

static int register_listeners(struct worker *w)
{
	for (size_t i = 0; i < w->nls; i++) {
		struct listener *l = &w->ls[i];
		sk_io_fn *fn = sk_endpoint_is_dgram(&l->ep) ? dgram_on_readable
		                                            : stream_on_accept;
		if (sk_loop_add(w->loop, l->fd, SK_READ, fn, l) < 0)
			return -1;
	}
	return 0;
}

static void on_stop_signal(struct sk_loop *loop, int signo, void *data)
{
	struct server *srv = data;
	(void)loop;

	sk_log(SK_LOG_INFO, "signal %d: shutting down", signo);
	for (int i = 0; i < srv->nworkers; i++)
		sk_loop_stop(srv->workers[i].loop);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	sk_loop_run(w->loop);
	stream_close_all(w);
	return NULL;
}

static int init_instances(struct server *srv, const struct serve_entry *e, size_t n)
{
	char err[SK_ERRLEN] = "";

	srv->instances = calloc(n, sizeof *srv->instances);
	if (!srv->instances)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (e[i].svc->init && e[i].svc->init(&e[i].opt, &srv->instances[i],
		                                     err, sizeof err) < 0) {
			fprintf(stderr, "sockit: %s: %s\n", e[i].svc->name, err);
			return -1;
		}
	return 0;
}

static int init_workers(struct server *srv, const struct serve_entry *e, size_t n)
{
	size_t neps = 0;

	for (size_t i = 0; i < n; i++)
		neps += e[i].neps;
	srv->workers = calloc((size_t)srv->nworkers, sizeof *srv->workers);
	if (!srv->workers)
		return -1;
	for (int i = 0; i < srv->nworkers; i++)
		srv->workers[i].spare_fd = -1;
	for (int i = 0; i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];
		w->srv = srv;
		w->index = i;
		w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		w->ls = calloc(neps ? neps : 1, sizeof *w->ls);
		w->loop = sk_loop_new(1024);
		if (!w->ls || !w->loop)
			return -1;
	}
	return 0;
}

/* A UNIX socket file we bound goes away with the server. */
static void remove_socket_file(const struct sk_endpoint *ep)
{
	if (sk_endpoint_is_unix(ep) && ep->path[0] != '@')
		unlink(ep->path);
}

static void free_server(struct server *srv, const struct serve_entry *e, size_t n)
{
	for (int i = 0; srv->workers && i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];
		for (size_t j = 0; j < w->nls; j++)
			if (w->ls[j].fd >= 0) {
				if (w->loop)
					sk_loop_del(w->loop, w->ls[j].fd);
				close(w->ls[j].fd);
				remove_socket_file(&w->ls[j].ep);
			}
		if (w->spare_fd >= 0)
			close(w->spare_fd);
		dgram_free(w);
		free(w->ls);
		sk_loop_free(w->loop);
	}
	for (size_t i = 0; srv->instances && i < n; i++)
		if (e[i].svc->fini && srv->instances[i])
			e[i].svc->fini(srv->instances[i]);
	free(srv->instances);
	free(srv->workers);
	peer_table_free(srv->peers);
}

/* After binding privileged ports: become user, for good. */
static int drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		fprintf(stderr, "sockit: --user %s: no such user\n", user);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		fprintf(stderr, "sockit: --user %s: %s\n", user, strerror(errno));
		return -1;
	}
	return 0;
}

static int run_workers(struct server *srv)
{
	struct worker *w0 = &srv->workers[0];

	if (sk_loop_on_signal(w0->loop, SIGINT, on_stop_signal, srv) < 0 ||
	    sk_loop_on_signal(w0->loop, SIGTERM, on_stop_signal, srv) < 0)
		return -1;
	for (int i = 0; i < srv->nworkers; i++)
		if (register_listeners(&srv->workers[i]) < 0)
			return -1;
	int started = 1;
	for (; started < srv->nworkers; started++)
		if (pthread_create(&srv->workers[started].thread, NULL, worker_main,
		                   &srv->workers[started]) != 0)
			break;
	if (started < srv->nworkers)
		on_stop_signal(w0->loop, 0, srv);
	worker_main(w0);
	for (int i = 1; i < started; i++)
		pthread_join(srv->workers[i].thread, NULL);
	return 0;
}

int server_run(const struct serve_entry *entries, size_t n,
               const struct serve_limits *lim, const char *user)
{
	struct server srv = { .lim = *lim, .nworkers = lim->threads > 0 ? lim->threads : 1 };
	int status = 1;

	atomic_init(&srv.nconn, 0);
	srv.peers = peer_table_new();
	if (!srv.peers || init_instances(&srv, entries, n) < 0 ||
	    init_workers(&srv, entries, n) < 0 || bind_all(&srv, entries, n) < 0)
		goto out;
	if (user && drop_privileges(user) < 0)
		goto out;
	announce(&srv);
	if (run_workers(&srv) < 0)
		fprintf(stderr, "sockit: serve: %s\n", strerror(errno));
	else
		status = 0;
out:
	free_server(&srv, entries, n);
	return status;
}
