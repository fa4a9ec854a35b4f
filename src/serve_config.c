/* serve_config.c — the `sockit serve -c FILE` format: global limits, then
 * one block per service.  See docs/serve-config.md. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_plan.h"
#include "sockit/error.h"

#define LINE_MAX_LEN 4096

struct block {
	const struct service *svc;
	struct svc_options opt;
	char *eps[PLAN_MAX_ENDPOINTS];
	size_t neps;
	int line;
};

static void block_clear(struct block *b)
{
	for (size_t i = 0; i < b->neps; i++)
		free(b->eps[i]);
	memset(b, 0, sizeof *b);
}

/* Add the finished block to the plan. */
static int block_finish(struct serve_plan *p, struct block *b, const char *path,
                        char *err, size_t errlen)
{
	char why[SK_ERRLEN];
	int rc = 0;

	if (!b->svc)
		return 0;
	if (plan_add(p, b->svc, b->eps, b->neps, why, sizeof why) < 0) {
		sk_seterr(err, errlen, "%s:%d: %s", path, b->line, why);
		rc = -1;
	} else {
		p->entries[p->n - 1].opt = b->opt;
	}
	block_clear(b);
	return rc;
}

static int add_listen(struct block *b, char *value, char *why, size_t whylen)
{
	for (char *tok = strtok(value, " \t"); tok; tok = strtok(NULL, " \t")) {
		if (b->neps == PLAN_MAX_ENDPOINTS) {
			sk_seterr(why, whylen, "more than %d endpoints", PLAN_MAX_ENDPOINTS);
			return -1;
		}
		if (!(b->eps[b->neps] = strdup(tok))) {
			sk_seterr(why, whylen, "out of memory");
			return -1;
		}
		b->neps++;
	}
	return 0;
}

/* One "key value" line; returns 0, or -1 with why. */
static int apply_line(struct serve_plan *p, struct block *b, const char *key,
                      char *value, int lineno, char *why, size_t whylen)
{
	if (strcmp(key, "service") == 0) {
		b->svc = svc_find(value);
		b->line = lineno;
		if (!b->svc)
			sk_seterr(why, whylen, "unknown service '%s'", value);
		return b->svc ? 0 : -1;
	}
	if (strcmp(key, "user") == 0 && !b->svc) {
		free(p->user);
		p->user = strdup(value);
		return 0;
	}
	if (!*value) {
		sk_seterr(why, whylen, "'%s' needs a value", key);
		return -1;
	}
	if (b->svc && strcmp(key, "listen") == 0)
		return add_listen(b, value, why, whylen);
	int rc = b->svc ? plan_set_option(p, &b->opt, key, value, why, whylen)
	                : plan_set_limit(p, key, value, why, whylen);
	if (rc == 1)
		sk_seterr(why, whylen, "unknown setting '%s'%s", key,
		          b->svc ? " in a service block" : " before the first service");
	return rc == 0 ? 0 : -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Split "key value..." in place; returns the value (may be ""). */
static char *split_key(char *line)
{
	char *sp = line + strcspn(line, " \t");

	if (*sp)
		*sp++ = '\0';
	return trim(sp);
}

static int read_lines(struct serve_plan *p, FILE *f, const char *path,
                      struct block *b, char *err, size_t errlen)
{
	char buf[LINE_MAX_LEN + 2], why[SK_ERRLEN];
	int lineno = 0;

	while (fgets(buf, sizeof buf, f)) {
		lineno++;
		if (!strchr(buf, '\n') && !feof(f)) {
			sk_seterr(err, errlen, "%s:%d: line longer than %d bytes", path,
			          lineno, LINE_MAX_LEN);
			return -1;
		}
		char *line = trim(buf);
		if (!*line || *line == '#')
			continue;
		char *value = split_key(line);
		if (strcmp(line, "service") == 0 && block_finish(p, b, path, err, errlen) < 0)
			return -1;
		if (apply_line(p, b, line, value, lineno, why, sizeof why) < 0) {
			sk_seterr(err, errlen, "%s:%d: %s", path, lineno, why);
			return -1;
		}
	}
	if (ferror(f)) {
		sk_seterrno(err, errlen, "%s", path);
		return -1;
	}
	return block_finish(p, b, path, err, errlen);
}

int plan_load_file(struct serve_plan *p, const char *path, char *err, size_t errlen)
{
	struct block b = { 0 };
	FILE *f = fopen(path, "r");

	if (!f) {
		sk_seterrno(err, errlen, "%s", path);
		return -1;
	}
	int rc = read_lines(p, f, path, &b, err, errlen);
	block_clear(&b);
	fclose(f);
	if (rc == 0 && p->n == 0) {
		sk_seterr(err, errlen, "%s: no service blocks", path);
		rc = -1;
	}
	return rc;
}
