/* server.c — the server's life: make the services, bind every endpoint
 * (listen.c), announce readiness, run the workers, reload on SIGHUP
 * (reload.c), stop cleanly on SIGINT/SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "serve/bus_redis.h"
#include "serve/peer_table.h"
#include "serve/rate_limit.h"
#include "serve/server_int.h"
#include "serve/systemd.h"
#include "sockit/error.h"
#include "sockit/log.h"
#include "sockit/net.h"
#include "turn_stats.h"

/* Bind every endpoint of the set for every worker that serves it. */
static int bind_all(struct server *srv)
{
	struct listener *out[srv->nworkers];
	const struct generation *g = srv->gen;
	char err[SK_ERRLEN];

	for (size_t i = 0; i < g->n; i++)
		for (size_t j = 0; j < g->entries[i].neps; j++) {
			if (open_endpoint(srv, &g->entries[i], g->instances[i],
			                  &g->entries[i].eps[j], out, err, sizeof err) < 0) {
				fprintf(stderr, "sockit: %s\n", err);
				return -1;
			}
			for (int w = 0; w < srv->nworkers; w++)
				if (out[w] && lvec_push(&srv->workers[w].ls, out[w]) < 0) {
					listener_close(out[w]);
					free(out[w]);
					fprintf(stderr, "sockit: out of memory\n");
					return -1;
				}
		}
	return 0;
}

static void announce(const struct server *srv)
{
	const struct worker *solo = &srv->workers[srv->solo];

	listeners_announce(&srv->workers[0].ls, srv->solo ? &solo->ls : NULL);
}

static int register_listeners(struct worker *w)
{
	for (size_t i = 0; i < w->ls.n; i++)
		if (listener_watch(w->ls.v[i]) < 0)
			return -1;
	return 0;
}

/* Tell systemd (NOTIFY_SOCKET) the server's state; a failure is logged,
 * never fatal. */
static void notify(const char *state)
{
	if (sysd_notify(state) < 0)
		sk_log(SK_LOG_ERROR, "notify %s: %s", state, strerror(errno));
}

static void on_stop_signal(struct sk_loop *loop, int signo, void *data)
{
	struct server *srv = data;
	(void)loop;

	srv->stopping = true;
	sk_log(SK_LOG_INFO, "signal %d: shutting down", signo);
	notify("STOPPING=1");
	for (int i = 0; i < srv->nworkers; i++)
		sk_loop_stop(srv->workers[i].loop);
}

/* SIGHUP: reload the config when there is one (reload.c). */
static void on_hangup(struct sk_loop *loop, int signo, void *data)
{
	struct server *srv = data;
	(void)loop; (void)signo;

	/* systemd's reload waits for RELOADING=1 then READY=1, also when
	 * there is nothing to reload. */
	if (srv->stopping)
		return;
	if (sysd_notify_reloading() < 0)
		sk_log(SK_LOG_ERROR, "notify RELOADING=1: %s", strerror(errno));
	if (srv->reload)
		server_reload(srv);
	else
		sk_log(SK_LOG_INFO, "SIGHUP: ignored (no config file to reload)");
	notify("READY=1");
}

/* The 0 ms timer's callback: the wakeup it causes is the point. */
static void run_again(struct sk_loop *loop, struct sk_timer *t)
{
	(void)loop;
	(void)t;
}

/* The single_thread worker's end of wakeup: the single_thread services
 * that asked for it send what they gathered (a few listeners at most; an
 * instance shared by several listeners is called once per listener,
 * which is harmless).  A service that left some for later gets the next
 * wakeup at once: a 0 ms timer keeps the loop from sleeping, and the
 * events already waiting run first. */
static void worker_after(struct sk_loop *loop, void *data)
{
	struct worker *w = data;
	bool more = false;

	/* The cluster's Redis writes of this wakeup leave before the clients'
	 * replies do (a client told "done" finds it in Redis from any node). */
	for (size_t i = 0; i < w->srv->nbuses; i++)
		redis_bus_flush(w->srv->buses[i]);
	for (size_t i = 0; i < w->ls.n; i++) {
		const struct service *svc = w->ls.v[i]->entry->svc;
		if (svc->single_thread && svc->wakeup_end && w->ls.v[i]->instance)
			more |= svc->wakeup_end(w->ls.v[i]->instance);
	}
	/* Listeners a reload closed may still have clients. */
	for (struct listener *l = w->retired; l; l = l->next_retired)
		if (l->entry->svc->single_thread && l->entry->svc->wakeup_end && l->instance)
			more |= l->entry->svc->wakeup_end(l->instance);
	if (more && !sk_timer_armed(&w->again))
		sk_timer_start(loop, &w->again, 0, run_again, w);
}

/* SOCKIT_TURN_STATS=1: how long the worker's loop turns took, one line
 * at the end (lib/turn_stats.c). */
static void report_turns(const struct worker *w)
{
	char line[512];

	sk__loop_turn_report(w->loop, line, sizeof line);
	if (line[0])
		sk_log(SK_LOG_INFO, "serve: worker %d%s turns: %s", w->index,
		       w->index == w->srv->solo && w->srv->solo ? " (single_thread)" : "",
		       line);
}

/* Threads other than the main one get a name (top -H, perf, tests):
 * sk-worker-N for stream workers, sk-single for the single_thread one.
 * The main thread keeps the command's name, which ps and pgrep show. */
static void name_thread(const struct worker *w)
{
	char name[16];

	if (w->index == 0)
		return;
	if (w->index == w->srv->solo)
		snprintf(name, sizeof name, "sk-single");
	else
		snprintf(name, sizeof name, "sk-worker-%d", w->index);
	pthread_setname_np(pthread_self(), name);
}

/* One worker thread's life: its loop until stop.  Workers other than 0
 * also park here while worker 0 reloads: their loop stops, they wait at
 * the barrier until the new listeners are in place, then run on. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct server *srv = w->srv;

	if (w->index == srv->solo)
		sk_loop_set_after(w->loop, worker_after, w);
	name_thread(w);
	for (;;) {
		sk_loop_run(w->loop);
		if (w->index == 0 || !atomic_load(&srv->reloading))
			break;
		pthread_barrier_wait(&srv->park);    /* parked */
		pthread_barrier_wait(&srv->park);    /* reload done */
	}
	report_turns(w);
	stream_close_all(w);
	return NULL;
}

/* The backend every worker's loop runs on: --backend auto falls back to
 * epoll with one log line; an explicit io_uring the kernel lacks is an
 * error (exit 1), not a silent change. */
static int choose_backend(struct server *srv)
{
	const char *why = "unknown";
	enum sk_backend b;

	if (sk_backend_resolve(srv->lim.backend, &b, &why) < 0) {
		fprintf(stderr, "sockit: serve: --backend io_uring: %s\n", why);
		return -1;
	}
	if (srv->lim.backend == SK_BACKEND_AUTO && b == SK_BACKEND_EPOLL)
		sk_log(SK_LOG_INFO, "serve: io_uring unavailable (%s), using epoll", why);
	srv->lim.backend = b;
	return 0;
}

static bool has_single_thread(const struct generation *g)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->entries[i].svc->single_thread)
			return true;
	return false;
}

/* --threads N stream workers, and with N > 1 one more for the
 * single_thread services when the set has one (a reload that brings the
 * first one runs it on worker 0). */
static int init_workers(struct server *srv)
{
	bool turns = getenv("SOCKIT_TURN_STATS") != NULL;

	srv->nstream = srv->nworkers;
	if (srv->nstream > 1 && has_single_thread(srv->gen))
		srv->solo = srv->nworkers++;
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
		w->loop = sk_loop_new_backend(1024, srv->lim.backend);
		if (!w->loop || (turns && sk__loop_turn_stats(w->loop) < 0))
			return -1;
	}
	return 0;
}

static void free_listeners(struct worker *w)
{
	for (size_t j = 0; j < w->ls.n; j++) {
		if (w->loop)
			listener_close(w->ls.v[j]);
		else
			close(w->ls.v[j]->fd);
		free(w->ls.v[j]);
	}
	free(w->ls.v);
	while (w->retired) {
		struct listener *l = w->retired;
		w->retired = l->next_retired;
		free(l);
	}
}

/* A service that asks for a cluster gets its bus on the single_thread
 * worker's loop (a clusterable service is single_thread, so it runs
 * there). */
static int attach_buses(struct server *srv)
{
	struct generation *g = srv->gen;
	char err[SK_ERRLEN];

	for (size_t i = 0; i < g->n; i++) {
		const struct serve_entry *e = &g->entries[i];
		if (!e->opt.cluster)
			continue;
		if (!e->svc->bus_attach) {
			fprintf(stderr, "sockit: serve: %s cannot run in a cluster\n",
			        e->svc->name);
			return -1;
		}
		struct svc_bus **v = realloc(srv->buses, (srv->nbuses + 1) * sizeof *v);
		if (!v)
			return -1;
		srv->buses = v;
		struct svc_bus *b = redis_bus_new(srv->workers[srv->solo].loop, e->opt.cluster,
		                                  e->opt.cluster_password, e->opt.node_name,
		                                  e->opt.cluster_ttl_ms, err, sizeof err);
		if (!b) {
			fprintf(stderr, "sockit: serve: %s\n", err);
			return -1;
		}
		srv->buses[srv->nbuses++] = b;
		if (e->svc->bus_attach(g->instances[i], b) < 0) {
			fprintf(stderr, "sockit: serve: %s: cluster: out of memory\n",
			        e->svc->name);
			return -1;
		}
		fprintf(stderr, "sockit: %s: cluster %s as node %s\n", e->svc->name,
		        e->opt.cluster, b->node);
	}
	return 0;
}

static void free_server(struct server *srv)
{
	for (size_t i = 0; i < srv->nbuses; i++)
		redis_bus_free(srv->buses[i]);
	free(srv->buses);
	for (int i = 0; srv->workers && i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];
		free_listeners(w);
		if (w->spare_fd >= 0)
			close(w->spare_fd);
		dgram_free(w);
		sk_loop_free(w->loop);
	}
	while (srv->gen) {
		struct generation *g = srv->gen;
		srv->gen = g->prev;
		gen_free(g);
	}
	free(srv->workers);
	peer_table_free(srv->peers);
	rate_table_free(srv->rates);
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

/* Before the readiness lines: a script that signals the server as soon as
 * it has read them must find the signals handled, not fatal.  Before the
 * worker threads too, so that they inherit the blocked mask. */
static int watch_signals(struct server *srv)
{
	struct sk_loop *loop = srv->workers[0].loop;

	if (sk_loop_on_signal(loop, SIGINT, on_stop_signal, srv) < 0 ||
	    sk_loop_on_signal(loop, SIGTERM, on_stop_signal, srv) < 0 ||
	    sk_loop_on_signal(loop, SIGHUP, on_hangup, srv) < 0) {
		fprintf(stderr, "sockit: signals: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int run_workers(struct server *srv)
{
	struct worker *w0 = &srv->workers[0];

	for (int i = 0; i < srv->nworkers; i++)
		if (register_listeners(&srv->workers[i]) < 0)
			return -1;
	if (pthread_barrier_init(&srv->park, NULL, (unsigned)srv->nworkers) != 0)
		return -1;
	srv->started = 1;
	for (; srv->started < srv->nworkers; srv->started++)
		if (pthread_create(&srv->workers[srv->started].thread, NULL, worker_main,
		                   &srv->workers[srv->started]) != 0)
			break;
	if (srv->started < srv->nworkers)
		on_stop_signal(w0->loop, 0, srv);
	worker_main(w0);
	for (int i = 1; i < srv->started; i++)
		pthread_join(srv->workers[i].thread, NULL);
	pthread_barrier_destroy(&srv->park);
	return 0;
}

int server_run(const struct serve_entry *entries, size_t n,
               const struct serve_limits *lim, const char *user,
               const struct serve_reload *reload)
{
	struct server srv = { .lim = *lim, .reload = reload,
	                      .nworkers = lim->threads > 0 ? lim->threads : 1 };
	char err[SK_ERRLEN];
	int status = 1;

	/* Thousands of clients need thousands of descriptors. */
	sk_raise_fd_limit();
	atomic_init(&srv.nconn, 0);
	atomic_init(&srv.reloading, false);
	srv.peers = peer_table_new();
	srv.rates = rate_table_new();
	/* A service that cannot start from its options (a quotes file with no
	 * quotes) is bad usage, exit 2, like an option check that caught it. */
	if (srv.peers && srv.rates && !(srv.gen = gen_new(entries, n, err, sizeof err))) {
		fprintf(stderr, "sockit serve: %s\n", err);
		status = 2;
	}
	if (!srv.peers || !srv.rates || !srv.gen || choose_backend(&srv) < 0 ||
	    init_workers(&srv) < 0 || bind_all(&srv) < 0 || attach_buses(&srv) < 0)
		goto out;
	if (watch_signals(&srv) < 0 || (user && drop_privileges(user) < 0))
		goto out;
	announce(&srv);
	notify("READY=1");
	if (run_workers(&srv) < 0)
		fprintf(stderr, "sockit: %s\n", strerror(errno));
	else
		status = 0;
out:
	free_server(&srv);
	return status;
}
