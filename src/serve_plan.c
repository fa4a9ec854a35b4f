/* serve_plan.c — build the list of services to run, and check it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_plan.h"
#include "sockit/error.h"

void plan_init(struct serve_plan *p)
{
	memset(p, 0, sizeof *p);
	p->lim = serve_default_limits;
}

void plan_free(struct serve_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->entries[i].eps);
	for (size_t i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	free(p->user);
	memset(p, 0, sizeof *p);
}

const char *plan_keep(struct serve_plan *p, const char *s)
{
	if (p->nstrings == sizeof p->strings / sizeof p->strings[0])
		return NULL;
	char *copy = strdup(s);
	if (copy)
		p->strings[p->nstrings++] = copy;
	return copy;
}

static size_t count_defaults(const struct service *svc)
{
	size_t n = 0;

	while (svc->defaults && svc->defaults[n])
		n++;
	return n;
}

int plan_add(struct serve_plan *p, const struct service *svc,
             char *const *endpoints, size_t n, char *err, size_t errlen)
{
	char *const *texts = endpoints;

	if (p->n == PLAN_MAX_ENTRIES) {
		sk_seterr(err, errlen, "more than %d services", PLAN_MAX_ENTRIES);
		return -1;
	}
	if (n == 0) {
		texts = (char *const *)svc->defaults;
		n = count_defaults(svc);
	}
	struct serve_entry *e = &p->entries[p->n];
	*e = (struct serve_entry){ .svc = svc };
	e->eps = calloc(n ? n : 1, sizeof *e->eps);
	if (!e->eps) {
		sk_seterr(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (sk_endpoint_parse(&e->eps[i], texts[i], err, errlen) < 0) {
			free(e->eps);
			return -1;
		}
	e->neps = n;
	p->n++;
	return 0;
}

static int parse_seconds_ms(const char *value, long long max_s, uint64_t *ms,
                            const char *what, char *err, size_t errlen)
{
	char *end;

	errno = 0;
	double s = strtod(value, &end);
	if (end == value || *end || errno || s < 0 || s > (double)max_s) {
		sk_seterr(err, errlen, "%s '%s': expected seconds, 0-%lld", what,
		          value, max_s);
		return -1;
	}
	*ms = (uint64_t)(s * 1000.0 + 0.5);
	return 0;
}

int plan_set_limit(struct serve_plan *p, const char *name, const char *value,
                   char *err, size_t errlen)
{
	long long v;

	if (strcmp(name, "idle-timeout") == 0)
		return parse_seconds_ms(value, 86400 * 7, &p->lim.idle_ms, name, err, errlen);
	if (strcmp(name, "max-conn") == 0) {
		if (sk_parse_num(value, 0, 10000000, &v, name, err, errlen) < 0)
			return -1;
		p->lim.max_conn = (int)v;
	} else if (strcmp(name, "per-ip") == 0) {
		if (sk_parse_num(value, 0, 10000000, &v, name, err, errlen) < 0)
			return -1;
		p->lim.per_ip = (int)v;
	} else if (strcmp(name, "threads") == 0) {
		if (sk_parse_num(value, 1, 256, &v, name, err, errlen) < 0)
			return -1;
		p->lim.threads = (int)v;
	} else if (strcmp(name, "max-queue") == 0) {
		if (sk_parse_num(value, 4096, 1LL << 30, &v, name, err, errlen) < 0)
			return -1;
		p->lim.max_queue = (size_t)v;
	} else {
		return 1;
	}
	return 0;
}

int plan_set_option(struct serve_plan *p, struct svc_options *opt,
                    const char *name, const char *value, char *err, size_t errlen)
{
	long long v;

	if (strcmp(name, "banner") == 0 || strcmp(name, "quotes") == 0) {
		const char *kept = plan_keep(p, value);
		if (!kept) {
			sk_seterr(err, errlen, "%s: out of memory", name);
			return -1;
		}
		*(name[0] == 'b' ? &opt->banner : &opt->quotes_file) = kept;
	} else if (strcmp(name, "max-request") == 0) {
		if (sk_parse_num(value, 1, 64 << 20, &v, name, err, errlen) < 0)
			return -1;
		opt->max_request = (size_t)v;
	} else if (strcmp(name, "read-timeout") == 0) {
		return parse_seconds_ms(value, 3600, &opt->read_timeout_ms, name, err, errlen);
	} else if (strcmp(name, "udp") == 0) {
		if (strcmp(value, "yes") && strcmp(value, "no")) {
			sk_seterr(err, errlen, "udp '%s': expected yes or no", value);
			return -1;
		}
		opt->udp_enabled = value[0] == 'y';
	} else {
		return 1;
	}
	return 0;
}
