/* serve/config.c — the `sockit serve -c FILE` format: global settings,
 * then one block per service.  See docs/serve-config.md.
 *
 * The file is hostile input like any other: lines are bounded, NUL bytes
 * and over-long lines are errors (never silently split), every number is
 * range-checked, and every error names FILE:LINE and the problem. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/plan.h"
#include "sockit/error.h"

#define LINE_MAX_LEN 4096

struct block {
	const struct service *svc;
	struct svc_options opt;
	char *eps[PLAN_MAX_ENDPOINTS];
	size_t neps;
	int line;
};

/* What the parser is reading. */
struct cfg {
	struct serve_plan *p;
	FILE *f;
	const char *path;
	int lineno;
	struct block b;
};

static void block_clear(struct block *b)
{
	for (size_t i = 0; i < b->neps; i++)
		free(b->eps[i]);
	memset(b, 0, sizeof *b);
}

/* Add the finished block to the plan. */
static int block_finish(struct cfg *c, char *err, size_t errlen)
{
	struct block *b = &c->b;
	char why[SK_ERRLEN];
	int rc = 0;

	if (!b->svc)
		return 0;
	if (plan_add(c->p, b->svc, b->eps, b->neps, why, sizeof why) < 0) {
		sk_seterr(err, errlen, "%s:%d: %s", c->path, b->line, why);
		rc = -1;
	} else {
		c->p->entries[c->p->n - 1].opt = b->opt;
		c->p->line[c->p->n - 1] = b->line;
	}
	block_clear(b);
	return rc;
}

/* `listen EP...`: each endpoint is checked here so that a bad one is
 * reported on its own line, not the block's. */
static int add_listen(struct block *b, char *value, char *why, size_t whylen)
{
	struct sk_endpoint ep;
	char *save = NULL;

	for (char *tok = strtok_r(value, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (b->neps == PLAN_MAX_ENDPOINTS) {
			sk_seterr(why, whylen, "more than %d endpoints",
			          PLAN_MAX_ENDPOINTS);
			return -1;
		}
		if (sk_endpoint_parse(&ep, tok, why, whylen) < 0)
			return -1;
		if (!(b->eps[b->neps] = strdup(tok))) {
			sk_seterr(why, whylen, "out of memory");
			return -1;
		}
		b->neps++;
	}
	return 0;
}

/* Whether key is one of the NULL-terminated list. */
static bool in_list(const char *key, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(key, list[i]) == 0)
			return true;
	return false;
}

static bool is_global(const char *key)
{
	static const char *const globals[] = {
	    "threads", "max-conn", "per-ip", "idle-timeout", "max-queue", "user", NULL};

	return in_list(key, globals);
}

static bool is_block_key(const char *key)
{
	static const char *const keys[] = {
	    "listen", "banner", "quotes", "max-request", "read-timeout", "udp",
	    "server-name", "password", "motd", "sendq", "flood-limit", "oper",
	    "ping-interval", "cluster", "cluster-password", "node-name",
	    "cluster-ttl", NULL};

	return in_list(key, keys);
}

/* A known key in the wrong part of the file gets its own message. */
static int misplaced(const struct block *b, const char *key, char *why, size_t whylen)
{
	if (b->svc && is_global(key)) {
		sk_seterr(why, whylen,
		          "'%s' is a global setting: put it before the "
		          "first service block",
		          key);
		return -1;
	}
	if (!b->svc && is_block_key(key)) {
		sk_seterr(why, whylen,
		          "'%s' outside a service block (start one with "
		          "'service NAME')",
		          key);
		return -1;
	}
	return 0;
}

/* A service option (plan_set_option checks that quotes is readable). */
static int set_option(struct cfg *c, const char *key, const char *value, char *why,
                      size_t whylen)
{
	return plan_set_option(c->p, &c->b.opt, key, value, why, whylen);
}

/* One "key value" line; returns 0, or -1 with why. */
static int apply_line(struct cfg *c, const char *key, char *value, char *why,
                      size_t whylen)
{
	struct block *b = &c->b;

	if (!*value) {
		sk_seterr(why, whylen, "'%s' needs a value", key);
		return -1;
	}
	if (strcmp(key, "service") == 0) {
		b->svc = svc_find(value);
		b->line = c->lineno;
		if (!b->svc)
			sk_seterr(why, whylen, "unknown service '%s'", value);
		return b->svc ? 0 : -1;
	}
	if (misplaced(b, key, why, whylen) < 0)
		return -1;
	if (strcmp(key, "user") == 0)
		return plan_set_user(c->p, value, c->lineno, why, whylen);
	if (strcmp(key, "listen") == 0)
		return add_listen(b, value, why, whylen);
	int rc = b->svc ? set_option(c, key, value, why, whylen)
	                : plan_set_limit(c->p, key, value, why, whylen);
	if (rc == 1)
		sk_seterr(why, whylen, "unknown setting '%s'", key);
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

/* Read one line into buf (at most LINE_MAX_LEN bytes, newline dropped).
 * Returns 1, 0 at EOF, or -1 with why: too long, NUL byte, read error. */
static int read_line(struct cfg *c, char *buf, char *why, size_t whylen)
{
	size_t n = 0;
	int ch;

	while ((ch = getc(c->f)) != EOF && ch != '\n') {
		if (ch == '\0') {
			sk_seterr(why, whylen, "NUL byte in line");
			return -1;
		}
		if (n == LINE_MAX_LEN) {
			sk_seterr(why, whylen, "line longer than %d bytes", LINE_MAX_LEN);
			return -1;
		}
		buf[n++] = (char)ch;
	}
	if (ferror(c->f)) {
		sk_seterrno(why, whylen, "read");
		return -1;
	}
	buf[n] = '\0';
	return ch == EOF && n == 0 ? 0 : 1;
}

static int read_lines(struct cfg *c, char *err, size_t errlen)
{
	char buf[LINE_MAX_LEN + 1], why[SK_ERRLEN];
	int got;

	while ((got = read_line(c, buf, why, sizeof why)) != 0) {
		c->lineno++;
		if (got < 0)
			goto bad;
		char *line = trim(buf);
		if (!*line || *line == '#')
			continue;
		char *value = split_key(line);
		if (strcmp(line, "service") == 0 && block_finish(c, err, errlen) < 0)
			return -1;
		if (apply_line(c, line, value, why, sizeof why) < 0)
			goto bad;
	}
	return block_finish(c, err, errlen);
bad:
	sk_seterr(err, errlen, "%s:%d: %s", c->path, c->lineno, why);
	return -1;
}

int plan_load_stream(struct serve_plan *p, FILE *f, const char *name, char *err,
                     size_t errlen)
{
	struct cfg c = {.p = p, .path = name, .f = f};

	p->source = name;
	int rc = read_lines(&c, err, errlen);
	block_clear(&c.b);
	if (rc == 0 && p->n == 0) {
		sk_seterr(err, errlen, "%s:%d: no service blocks (add 'service NAME')",
		          name, c.lineno);
		rc = -1;
	}
	return rc;
}

int plan_load_file(struct serve_plan *p, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");

	if (!f) {
		sk_seterrno(err, errlen, "%s", path);
		return -1;
	}
	int rc = plan_load_stream(p, f, path, err, errlen);
	fclose(f);
	return rc;
}
