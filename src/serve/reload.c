/* serve/reload.c — SIGHUP: switch the running server to a freshly loaded
 * set of services without dropping a connection.
 *
 * Runs on worker 0, from its signal callback.  In order:
 *  1. load the new set and make its service instances — on any error,
 *     log it and keep running the old set untouched;
 *  2. match listeners by key (service + endpoint as configured): a match
 *     keeps its socket, so established connections and queued clients
 *     stay; every endpoint without a match is bound now, on every worker
 *     that serves it — a bind failure undoes the new binds and keeps the
 *     old set, so a reload is all or nothing;
 *  3. park the other workers (stop their loops, meet at a barrier), so
 *     their listener tables and loops can be changed without a race;
 *  4. swap: kept listeners take the new options and instance (for new
 *     connections; old ones keep what they started with), new ones are
 *     watched, removed ones are closed and retired (not freed: their
 *     sessions still point at them), the limits are updated;
 *  5. release the workers and print a readiness line per new endpoint.
 * Old sets and retired listeners are freed when the server stops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/server_int.h"
#include "sockit/error.h"
#include "sockit/log.h"

/* What a reload adds: per worker, the listeners opened for it. */
struct staged {
	struct lvec *per_worker; /* nworkers vectors */
	int nworkers;
};

static void staged_drop(struct staged *st)
{
	for (int w = 0; w < st->nworkers; w++) {
		for (size_t i = 0; i < st->per_worker[w].n; i++) {
			listener_discard(st->per_worker[w].v[i]);
		}
		free(st->per_worker[w].v);
	}
	free(st->per_worker);
}

/* Mark the listener with this key on each worker as kept, with its new
 * entry; returns whether any worker had one. */
static bool claim(struct server *srv, const char *key, const struct serve_entry *e,
                  void *instance)
{
	bool found = false;

	for (int w = 0; w < srv->nworkers; w++) {
		struct lvec *ls = &srv->workers[w].ls;
		for (size_t i = 0; i < ls->n; i++) {
			struct listener *l = ls->v[i];
			if (l->keep || strcmp(l->key, key) != 0)
				continue;
			l->keep = true;
			l->new_entry = e;
			l->new_instance = instance;
			found = true;
			break;
		}
	}
	return found;
}

static void unclaim_all(struct server *srv)
{
	for (int w = 0; w < srv->nworkers; w++)
		for (size_t i = 0; i < srv->workers[w].ls.n; i++)
			srv->workers[w].ls.v[i]->keep = false;
}

/* One endpoint of the new set: keep its listener, or bind it anew. */
static int plan_endpoint(struct server *srv, struct staged *st,
                         const struct serve_entry *e, void *instance,
                         const struct sk_endpoint *ep, char *err, size_t errlen)
{
	struct listener *out[srv->nworkers];
	char text[SK_ADDRSTRLEN], key[SK_ADDRSTRLEN + 32];

	snprintf(key, sizeof key, "%s %s", e->svc->name,
	         sk_endpoint_format(ep, text, sizeof text));
	if (claim(srv, key, e, instance))
		return 0;
	if (open_endpoint(srv, e, instance, ep, out, err, errlen) < 0)
		return -1;
	for (int w = 0; w < srv->nworkers; w++)
		if (out[w] && lvec_push(&st->per_worker[w], out[w]) < 0) {
			for (int k = w; k < srv->nworkers; k++)
				if (out[k])
					listener_discard(out[k]);
			sk_seterr(err, errlen, "out of memory");
			return -1;
		}
	return 0;
}

static int plan_all(struct server *srv, struct staged *st, const struct generation *g,
                    char *err, size_t errlen)
{
	st->nworkers = srv->nworkers;
	st->per_worker = calloc((size_t)srv->nworkers, sizeof *st->per_worker);
	if (!st->per_worker) {
		sk_seterr(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < g->n; i++)
		for (size_t j = 0; j < g->entries[i].neps; j++)
			if (plan_endpoint(srv, st, &g->entries[i], g->instances[i],
			                  &g->entries[i].eps[j], err, errlen) < 0)
				return -1;
	return 0;
}

/* Stop the other workers' loops and wait until all are parked. */
static void park(struct server *srv)
{
	if (srv->nworkers == 1)
		return;
	atomic_store(&srv->reloading, true);
	for (int w = 1; w < srv->nworkers; w++)
		sk_loop_stop(srv->workers[w].loop);
	pthread_barrier_wait(&srv->park);
}

static void unpark(struct server *srv)
{
	if (srv->nworkers == 1)
		return;
	atomic_store(&srv->reloading, false);
	pthread_barrier_wait(&srv->park);
}

/* Whether w's listeners are the ones the log counts and names: worker 0
 * has one of every endpoint but the single_thread worker's. */
static bool reports(const struct worker *w)
{
	return w->index == 0 || w->index == w->srv->solo;
}

/* Worker w's listeners: kept ones switch entry, the rest are closed and
 * retired; then the new ones join and are watched.  Counts into n[3]:
 * kept, added, removed (one listener per endpoint, for the log). */
static void swap_worker(struct worker *w, struct lvec *added, size_t n[3])
{
	size_t out = 0;
	bool counts = reports(w);

	for (size_t i = 0; i < w->ls.n; i++) {
		struct listener *l = w->ls.v[i];
		if (l->keep) {
			/* A single_thread service's instance is state all its
			 * clients share (chat's nicks and channels): a kept
			 * listener keeps it, or a reload would split its users
			 * in two networks.  Its settings change on a restart. */
			if (!l->entry->svc->single_thread)
				l->instance = l->new_instance;
			l->entry = l->new_entry;
			l->keep = false;
			w->ls.v[out++] = l;
			n[0] += counts;
			continue;
		}
		if (counts)
			sk_log(SK_LOG_INFO, "SIGHUP: closing %s %s", l->name,
			       l->entry->svc->name);
		listener_close(l);
		l->next_retired = w->retired;
		w->retired = l;
		n[2] += counts;
	}
	w->ls.n = out;
	for (size_t i = 0; i < added->n; i++) {
		struct listener *l = added->v[i];
		/* Room was made by lvec_push below before parking. */
		w->ls.v[w->ls.n++] = l;
		if (listener_watch(l) < 0)
			sk_log(SK_LOG_ERROR, "SIGHUP: %s: cannot watch", l->name);
		n[1] += counts;
	}
	added->n = 0;
}

/* Grow every worker's table so that the swap cannot fail half-way. */
static int reserve(struct server *srv, const struct staged *st)
{
	for (int w = 0; w < srv->nworkers; w++) {
		struct lvec *ls = &srv->workers[w].ls;
		size_t need = ls->n + st->per_worker[w].n;
		if (need <= ls->cap)
			continue;
		struct listener **nv = realloc(ls->v, need * sizeof *nv);
		if (!nv)
			return -1;
		ls->v = nv;
		ls->cap = need;
	}
	return 0;
}

/* A copy of what a reload adds to v (the staged vectors are emptied by
 * the swap), for the readiness lines after it. */
static struct lvec copy_added(const struct lvec *v)
{
	struct lvec c = { .n = v->n, .cap = v->n };

	c.v = malloc((v->n ? v->n : 1) * sizeof *c.v);
	if (!c.v)
		c.n = 0;
	else if (v->n)
		memcpy(c.v, v->v, v->n * sizeof *c.v);
	return c;
}

static void apply(struct server *srv, struct generation *g, struct staged *st,
                  const struct serve_limits *lim)
{
	size_t n[3] = {0, 0, 0};
	struct lvec added0 = copy_added(&st->per_worker[0]);
	struct lvec added_solo = copy_added(&st->per_worker[srv->solo]);

	park(srv);
	for (int w = 0; w < srv->nworkers; w++)
		swap_worker(&srv->workers[w], &st->per_worker[w], n);
	srv->lim.max_conn = lim->max_conn;
	srv->lim.per_ip = lim->per_ip;
	srv->lim.idle_ms = lim->idle_ms;
	srv->lim.max_queue = lim->max_queue;
	g->prev = srv->gen;
	srv->gen = g;
	unpark(srv);
	listeners_announce(&added0, srv->solo ? &added_solo : NULL);
	free(added0.v);
	free(added_solo.v);
	sk_log(SK_LOG_INFO,
	       "SIGHUP: reloaded: %zu endpoints kept, %zu added, "
	       "%zu closed",
	       n[0], n[1], n[2]);
}

void server_reload(struct server *srv)
{
	const struct serve_entry *e;
	struct serve_limits lim;
	struct staged st = {0};
	struct generation *g = NULL;
	char err[SK_ERRLEN] = "";
	size_t n;

	if (srv->stopping)
		return;
	if (srv->started != srv->nworkers) {
		sk_log(SK_LOG_ERROR, "SIGHUP: not every worker runs; no reload");
		return;
	}
	if (srv->reload->load(srv->reload->ctx, &e, &n, &lim, err, sizeof err) < 0 ||
	    !(g = gen_new(e, n, err, sizeof err)) ||
	    plan_all(srv, &st, g, err, sizeof err) < 0 || reserve(srv, &st) < 0) {
		if (!err[0])
			snprintf(err, sizeof err, "out of memory");
		sk_log(SK_LOG_ERROR, "SIGHUP: reload failed, running set kept: %s", err);
		unclaim_all(srv);
		if (st.per_worker)
			staged_drop(&st);
		if (g)
			gen_free(g);
		return;
	}
	if (lim.threads != srv->lim.threads)
		sk_log(SK_LOG_INFO, "SIGHUP: threads stays %d (a change needs a restart)",
		       srv->lim.threads);
	apply(srv, g, &st, &lim);
	staged_drop(&st);
}
