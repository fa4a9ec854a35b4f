/* serve/plan.h — what `sockit serve` will run: services, endpoints,
 * settings; built from the command line or a config file. */
#ifndef SOCKIT_SERVE_PLAN_H
#define SOCKIT_SERVE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "serve/server.h"

#define PLAN_MAX_ENTRIES 64
#define PLAN_MAX_ENDPOINTS 64

struct serve_plan {
	struct serve_entry entries[PLAN_MAX_ENTRIES];
	size_t n;
	struct serve_limits lim;
	char *user;                /* --user / `user`, owned */
	char *strings[256];        /* banners and paths the plan owns */
	size_t nstrings;
	/* Where each entry came from, for plan_check's errors: the config
	 * file (NULL: the command line) and the line of its service block. */
	const char *source;
	int line[PLAN_MAX_ENTRIES];
	bool defaulted[PLAN_MAX_ENTRIES];  /* no endpoints given: defaults */
	int user_line;             /* the config's `user` line, 0: none */
};

/* An empty plan with the default limits. */
void plan_init(struct serve_plan *p);
void plan_free(struct serve_plan *p);

/* Add svc with its endpoints (texts); none means the service's defaults.
 * Returns 0, or -1 with err naming the bad endpoint. */
int plan_add(struct serve_plan *p, const struct service *svc,
             char *const *endpoints, size_t n, char *err, size_t errlen);

/* Keep a copy of s for the plan's lifetime; NULL on ENOMEM or when full. */
const char *plan_keep(struct serve_plan *p, const char *s);

/* Read a config file into p (format: docs/serve-config.md).  Returns 0,
 * or -1 with err "FILE:LINE: problem"; nothing starts on a bad file. */
int plan_load_file(struct serve_plan *p, const char *path, char *err, size_t errlen);

/* The same from an open stream, named name in errors (kept as the
 * plan's source, so it must outlive the plan): the fuzz target's way in. */
int plan_load_stream(struct serve_plan *p, FILE *f, const char *name, char *err,
                     size_t errlen);

/* Check the finished plan (after command-line options are applied) and
 * complete it: a service with a UDP opt-in (chargen) that runs on its
 * defaults with UDP enabled also gets the UDP twin of each default TCP
 * endpoint; a datagram endpoint is refused for a service that has no
 * datagram side, or whose UDP side is off; the user to become must
 * exist.  Returns 0, or -1 with err
 * ("FILE:LINE: ..." for entries from a config file). */
int plan_check(struct serve_plan *p, char *err, size_t errlen);

/* The user to run as after binding, replacing any earlier one (--user
 * replaces the config file's `user`); line: the config line that set it,
 * 0 for the command line.  0, or -1 with err filled (out of memory). */
int plan_set_user(struct serve_plan *p, const char *user, int line, char *err,
                  size_t errlen);

/* Parse one limit setting by its option name ("max-conn", "per-ip",
 * "idle-timeout", "threads", "max-queue") into p->lim.  0, or -1 with err;
 * 1 when name is not a limit. */
int plan_set_limit(struct serve_plan *p, const char *name, const char *value,
                   char *err, size_t errlen);

/* Parse one service option ("banner", "quotes", "max-request",
 * "read-timeout", "udp") into opt.  0, -1 with err, or 1 when unknown. */
int plan_set_option(struct serve_plan *p, struct svc_options *opt,
                    const char *name, const char *value, char *err, size_t errlen);

#endif
