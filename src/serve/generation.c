/* generation.c — one loaded set of services with their instances made,
 * apart from server.c and reload.c because both make and free them (the
 * server at start, a reload for each new config). */
#include <stdlib.h>

#include "serve/server_int.h"
#include "sockit/error.h"

/* Finish every instance that was made, then free g. */
void gen_free(struct generation *g)
{
	for (size_t i = 0; g->instances && i < g->n; i++)
		if (g->entries[i].svc->fini && g->instances[i])
			g->entries[i].svc->fini(g->instances[i]);
	free(g->instances);
	free(g);
}

/* A set of entries with their service instances made. */
struct generation *gen_new(const struct serve_entry *e, size_t n, char *err,
                           size_t errlen)
{
	struct generation *g = calloc(1, sizeof *g);
	char why[SK_ERRLEN] = "";

	if (!g || !(g->instances = calloc(n ? n : 1, sizeof *g->instances))) {
		free(g);
		sk_seterr(err, errlen, "out of memory");
		return NULL;
	}
	g->entries = e;
	g->n = n;
	for (size_t i = 0; i < n; i++)
		if (e[i].svc->init && e[i].svc->init(&e[i].opt, &g->instances[i],
		                                     why, sizeof why) < 0) {
			sk_seterr(err, errlen, "%s: %s", e[i].svc->name, why);
			gen_free(g);
			return NULL;
		}
	return g;
}
