/* options.c — cli_parse: a subcommand's option table over getopt_long,
 * with one message for every usage error. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "sockit/error.h"
#include "sockit/parse.h"

#define MAX_OPTS 64
#define HELP_KEY CLI_LONG(255) /* --help when the table takes 'h' */

/* What getopt_long needs, built from a table. */
struct getopt_spec {
	char shorts[3 * MAX_OPTS + 4];
	struct option longs[MAX_OPTS + 3];
};

static bool takes_arg(enum cli_kind k)
{
	return k == CLI_K_STR || k == CLI_K_NUM || k == CLI_K_SIZE || k == CLI_K_DUR ||
	       k == CLI_K_DUR_NS || k == CLI_K_CALL;
}

static const struct cli_option *find_key(const struct cli_option *opts, int key)
{
	for (; opts->kind != CLI_K_END; opts++)
		if (opts->key == key)
			return opts;
	return NULL;
}

/* Build the optstring (':' first so a missing value is reported as ':')
 * and the long table.  Returns 0, or -1 when the table is too large. */
static int build_spec(const struct cli_command *cmd, struct getopt_spec *g)
{
	size_t s = 0, l = 0;

	if (cmd->flags & CLI_IN_ORDER)
		g->shorts[s++] = '+';
	g->shorts[s++] = ':';
	for (const struct cli_option *o = cmd->opts; o->kind != CLI_K_END; o++) {
		if (l >= MAX_OPTS)
			return -1;
		if (o->key > 0 && o->key < 128) {
			g->shorts[s++] = (char)o->key;
			if (takes_arg(o->kind))
				g->shorts[s++] = ':';
		}
		if (o->name)
			g->longs[l++] = (struct option){
			    o->name, takes_arg(o->kind) ? required_argument : no_argument,
			    NULL, o->key};
	}
	bool h_taken = find_key(cmd->opts, 'h') != NULL;
	if (!h_taken)
		g->shorts[s++] = 'h';
	g->longs[l++] =
	    (struct option){"help", no_argument, NULL, h_taken ? HELP_KEY : 'h'};
	g->shorts[s] = '\0';
	g->longs[l] = (struct option){NULL, 0, NULL, 0};
	return 0;
}

/* The option as the user wrote it: "--name" when a long option matched
 * (longindex set), else "-c". */
static const char *shown_name(const struct getopt_spec *g, int longindex, int key,
                              char *buf, size_t len)
{
	if (longindex >= 0)
		snprintf(buf, len, "--%s", g->longs[longindex].name);
	else
		snprintf(buf, len, "-%c", key);
	return buf;
}

/* Store v into dst of the given width; -1 when it does not fit. */
static int store_int(void *dst, enum cli_width w, long long v)
{
	switch (w) {
	case CLI_W_INT:
		if (v < INT_MIN || v > INT_MAX)
			return -1;
		*(int *)dst = (int)v;
		return 0;
	case CLI_W_UINT:
		if (v < 0 || (unsigned long long)v > UINT_MAX)
			return -1;
		*(unsigned *)dst = (unsigned)v;
		return 0;
	case CLI_W_LONG:
		*(long *)dst = (long)v;
		return 0;
	case CLI_W_LLONG:
		*(long long *)dst = v;
		return 0;
	case CLI_W_ULONG:
	case CLI_W_ULLONG:
		if (v < 0)
			return -1;
		if (w == CLI_W_ULONG)
			*(unsigned long *)dst = (unsigned long)v;
		else
			*(unsigned long long *)dst = (unsigned long long)v;
		return 0;
	case CLI_W_DOUBLE:
		*(double *)dst = (double)v;
		return 0;
	case CLI_W_NONE:
		break;
	}
	return -1;
}

/* A duration option: ms (rounded up) into an integer, s into a double,
 * ns into a uint64_t for CLI_K_DUR_NS. */
static int set_duration(const struct cli_option *o, const char *arg, char *why,
                        size_t len)
{
	uint64_t lo = (uint64_t)(o->min > 0 ? o->min : 0) * 1000000ULL;
	uint64_t hi = (uint64_t)o->max * 1000000ULL, ns;

	if (sk_parse_duration(arg, lo, hi, &ns, NULL, why, len) < 0)
		return -1;
	if (o->kind == CLI_K_DUR_NS) {
		*(uint64_t *)o->dst = ns;
		return 0;
	}
	if (o->width == CLI_W_DOUBLE) {
		*(double *)o->dst = (double)ns / 1e9;
		return 0;
	}
	if (store_int(o->dst, o->width, (long long)((ns + 999999) / 1000000)) < 0) {
		snprintf(why, len, "too large");
		return -1;
	}
	return 0;
}

/* Parse and store one option's argument; -1 with why on a bad value. */
static int set_value(const struct cli_option *o, const char *arg, void *ctx, char *why,
                     size_t len)
{
	long long v;
	uint64_t u;

	why[0] = '\0';
	switch (o->kind) {
	case CLI_K_FLAG:
		*(bool *)o->dst = true;
		return 0;
	case CLI_K_COUNT:
		*(int *)o->dst += 1;
		return 0;
	case CLI_K_STR:
		*(const char **)o->dst = arg;
		return 0;
	case CLI_K_NUM:
		if (sk_parse_num(arg, o->min, o->max, &v, NULL, why, len) < 0)
			return -1;
		break;
	case CLI_K_SIZE:
		if (sk_parse_size(arg, (uint64_t)o->min, (uint64_t)o->max, &u, NULL, why,
		                  len) < 0)
			return -1;
		v = (long long)u;
		break;
	case CLI_K_DUR:
	case CLI_K_DUR_NS:
		return set_duration(o, arg, why, len);
	case CLI_K_CALL:
	case CLI_K_CALL_FLAG:
		return o->call(ctx, o->key, arg, why, len);
	case CLI_K_END:
		return -1;
	}
	if (store_int(o->dst, o->width, v) < 0) {
		snprintf(why, len, "out of range");
		return -1;
	}
	return 0;
}

/* '?' from getopt: an unknown option, or a long flag given "=value". */
static int report_unknown(const struct cli_command *cmd, const struct getopt_spec *g,
                          char **argv)
{
	const char *arg = argv[optind - 1];

	for (const struct option *l = g->longs; optopt && l->name; l++) {
		size_t n = strlen(l->name);
		if (l->val == optopt && strncmp(arg, "--", 2) == 0 &&
		    strncmp(arg + 2, l->name, n) == 0 && arg[2 + n] == '=')
			return cli_usage(cmd->name, "option '--%s' takes no value",
			                 l->name);
	}
	if (optopt > 0 && optopt < 128)
		return cli_usage(cmd->name, "unknown option '-%c'", optopt);
	return cli_usage(cmd->name, "unknown option '%.*s'", (int)strcspn(arg, "="), arg);
}

/* ':' from getopt: a missing value.  A long option is the last element
 * consumed; a short one may sit at the end of a cluster (-zp). */
static int report_missing(const struct cli_command *cmd, char **argv)
{
	const char *arg = argv[optind - 1];

	if (strncmp(arg, "--", 2) == 0)
		return cli_sub_fail(EXIT_USAGE, cmd->name, "option '%.*s' needs a value",
		                    (int)strcspn(arg, "="), arg);
	return cli_sub_fail(EXIT_USAGE, cmd->name, "option '-%c' needs a value", optopt);
}

int cli_parse(const struct cli_command *cmd, int argc, char **argv, void *ctx, int *first)
{
	struct getopt_spec g;
	char why[SK_ERRLEN], name[80];
	int c, longindex;

	if (build_spec(cmd, &g) < 0)
		return cli_sub_fail(EXIT_USAGE, cmd->name, "too many options");
	optind = 0; /* 0, not 1: GNU getopt then forgets any earlier scan */
	opterr = 0;
	while (longindex = -1,
	       (c = getopt_long(argc, argv, g.shorts, g.longs, &longindex)) != -1) {
		if (c == '?')
			return report_unknown(cmd, &g, argv);
		if (c == ':')
			return report_missing(cmd, argv);
		const struct cli_option *o = find_key(cmd->opts, c);
		if (!o || (c == 'h' && !find_key(cmd->opts, 'h')) || c == HELP_KEY) {
			fputs(cmd->help, stdout);
			return EXIT_OK;
		}
		if (set_value(o, optarg, ctx, why, sizeof why) < 0)
			return cli_bad_value(
			    cmd->name, shown_name(&g, longindex, c, name, sizeof name),
			    optarg ? optarg : "", why);
	}
	*first = optind;
	return CLI_RUN;
}
