/* serve/plan.c — build the list of services to run, and check it. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/plan.h"
#include "sockit/error.h"
#include "sockit/parse.h"

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
	bool defaulted = n == 0;

	if (p->n == PLAN_MAX_ENTRIES) {
		sk_seterr(err, errlen, "more than %d services", PLAN_MAX_ENTRIES);
		return -1;
	}
	if (n == 0) {
		texts = (char *const *)svc->defaults;
		n = count_defaults(svc);
		if (n == 0) {
			sk_seterr(err, errlen, "%s has no default endpoints: name one",
			          svc->name);
			return -1;
		}
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
	p->line[p->n] = 0;
	p->defaulted[p->n] = defaulted;
	p->n++;
	return 0;
}

/* Services whose UDP side answers only when asked (`udp yes`, --udp):
 * RFC 864 chargen over UDP is a classic amplifier, so DESIGN.md keeps it
 * off unless the operator turns it on. */
static bool udp_opt_in(const struct service *svc)
{
	return strcmp(svc->name, "chargen") == 0;
}

/* Append the udp:// twin of each default tcp:// endpoint of entry i. */
static int add_udp_twins(struct serve_entry *e, char *err, size_t errlen)
{
	size_t n = e->neps;
	struct sk_endpoint *eps = realloc(e->eps, 2 * n * sizeof *eps);

	if (!eps) {
		sk_seterr(err, errlen, "out of memory");
		return -1;
	}
	e->eps = eps;
	for (size_t i = 0; i < n; i++)
		if (eps[i].transport == SK_TCP) {
			eps[e->neps] = eps[i];
			eps[e->neps++].transport = SK_UDP;
		}
	return 0;
}

/* "FILE:LINE: " for an entry from a config file, else "". */
static void where(const struct serve_plan *p, size_t i, char *buf, size_t len)
{
	if (p->source)
		snprintf(buf, len, "%s:%d: ", p->source, p->line[i]);
	else
		buf[0] = '\0';
}

static int check_entry(struct serve_plan *p, size_t i, char *err, size_t errlen)
{
	struct serve_entry *e = &p->entries[i];
	char at[PATH_MAX + 32], ep[SK_ADDRSTRLEN];

	where(p, i, at, sizeof at);
	for (size_t j = 0; j < e->neps; j++) {
		if (!sk_endpoint_is_dgram(&e->eps[j]))
			continue;
		sk_endpoint_format(&e->eps[j], ep, sizeof ep);
		if (!e->svc->datagram) {
			sk_seterr(err, errlen, "%s%s: %s: %s has no datagram side "
			          "(stream endpoints only)", at, e->svc->name, ep, e->svc->name);
			return -1;
		}
		if (udp_opt_in(e->svc) && !e->opt.udp_enabled) {
			sk_seterr(err, errlen, "%s%s: %s: %s over UDP is off unless asked "
			          "(%s)", at, e->svc->name, ep, e->svc->name,
			          p->source ? "add 'udp yes' to the block" : "add --udp");
			return -1;
		}
	}
	return 0;
}

/* Unknown users are a usage error found before anything is bound, not a
 * failure after binding. */
static int check_user(const struct serve_plan *p, char *err, size_t errlen)
{
	char at[PATH_MAX + 32] = "";

	if (!p->user || getpwnam(p->user))
		return 0;
	if (p->source && p->user_line)
		snprintf(at, sizeof at, "%s:%d: ", p->source, p->user_line);
	sk_seterr(err, errlen, "%suser '%s': no such user", at, p->user);
	return -1;
}

int plan_set_user(struct serve_plan *p, const char *user, int line, char *err,
                  size_t errlen)
{
	char *u = strdup(user);

	if (!u) {
		sk_seterr(err, errlen, "out of memory");
		return -1;
	}
	free(p->user);
	p->user = u;
	p->user_line = line;
	return 0;
}

int plan_check(struct serve_plan *p, char *err, size_t errlen)
{
	if (check_user(p, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < p->n; i++) {
		struct serve_entry *e = &p->entries[i];
		if (p->defaulted[i] && udp_opt_in(e->svc) && e->opt.udp_enabled &&
		    add_udp_twins(e, err, errlen) < 0)
			return -1;
		if (check_entry(p, i, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* A duration setting in whole milliseconds, at most max_s seconds,
 * through libsockit's one duration parser: "2", "0.25", "250ms", "2m"
 * (a bare number is seconds).  Returns 0 and *ms, or -1 with err. */
static int parse_seconds_ms(const char *value, long long max_s, uint64_t *ms,
                            const char *what, char *err, size_t errlen)
{
	uint64_t ns;

	if (sk_parse_duration(value, 0, (uint64_t)max_s * 1000000000ULL, &ns, what,
	                      err, errlen) < 0)
		return -1;
	if (ns % 1000000) {
		sk_seterr(err, errlen, "%s '%s': finer than a millisecond", what, value);
		return -1;
	}
	*ms = ns / 1000000;
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

	/* quotes must name a readable file now, from the command line as from
	 * a config file: a typo is bad usage (exit 2), not a failure at start. */
	if (strcmp(name, "quotes") == 0 && access(value, R_OK) < 0) {
		sk_seterrno(err, errlen, "quotes '%s'", value);
		return -1;
	}
	if (strcmp(name, "banner") == 0 || strcmp(name, "quotes") == 0) {
		const char *kept = plan_keep(p, value);
		if (!kept) {
			sk_seterr(err, errlen, "%s: too many banner and quotes settings",
			          name);
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
