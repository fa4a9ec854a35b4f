/* fuzz_serve_config.c — libFuzzer target for the `sockit serve -c FILE`
 * parser and plan check: any file either loads into a plan within the
 * limits, or fails with "FILE:LINE: problem" (or "FILE: why").  The input
 * is read as a stream by plan_load_stream, what plan_load_file runs on
 * the file it opens.
 *
 * fuzz-sources: src/serve/config.c src/serve/plan.c src/serve/limits.c
 * src/serve/redis_url.c lib/endpoint.c
 * lib/error.c lib/parse.c services/[a-z]*.c services/chat/[a-z]*.c
 * lib/escape.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/plan.h"
#include "sockit/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_plan(const struct serve_plan *p)
{
	if (p->n == 0 || p->n > PLAN_MAX_ENTRIES || p->lim.threads < 1 ||
	    p->lim.threads > 256)
		abort();
	for (size_t i = 0; i < p->n; i++) {
		const struct serve_entry *e = &p->entries[i];
		if (!e->svc || e->neps == 0 || e->neps > 2 * PLAN_MAX_ENDPOINTS)
			abort();
		if (p->line[i] < 1)
			abort();
		if (e->opt.banner && strlen(e->opt.banner) > 4096)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char path[] = "fuzz.conf";
	struct serve_plan p;
	char err[SK_ERRLEN];

	if (size > 65536)
		return 0;
	/* A memory stream, not a file: an open, a truncate and a write per
	 * input were a third of the time, and plan_load_file only opens.
	 * (fmemopen may refuse 0 bytes: the empty file is /dev/null.) */
	FILE *f = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	if (!f)
		abort();
	plan_init(&p);
	err[0] = '\0';
	int rc = plan_load_stream(&p, f, path, err, sizeof err);
	fclose(f);
	if (rc == 0)
		rc = plan_check(&p, err, sizeof err);
	if (rc == 0)
		check_plan(&p);
	else if (strncmp(err, path, strlen(path)) != 0 || err[strlen(path)] != ':')
		abort(); /* every error names the file */
	plan_free(&p);
	return 0;
}
