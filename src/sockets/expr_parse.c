/* expr_parse.c — ss(8)'s filter grammar over the tokens of expr_lex.c: a
 * recursive-descent parser building the tree of struct expr. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockets/expr.h"
#include "sockets/filter.h"

/* The words ss's lexer knows (misc/ssfilter.y yylex), plus mark and uid. */
enum kw {
	K_NONE,
	K_NOT,
	K_AND,
	K_OR,
	K_LP,
	K_RP,
	K_DST,
	K_SRC,
	K_DPORT,
	K_SPORT,
	K_DEV,
	K_MARK,
	K_CGROUP,
	K_UID,
	K_AUTO,
	K_GE,
	K_LE,
	K_NE,
	K_EQ,
	K_GT,
	K_LT,
};

static const struct {
	const char *word;
	enum kw kw;
} words[] = {
    {"!", K_NOT},        {"not", K_NOT},       {"&", K_AND},       {"&&", K_AND},
    {"and", K_AND},      {"|", K_OR},          {"||", K_OR},       {"or", K_OR},
    {"(", K_LP},         {")", K_RP},          {"dst", K_DST},     {"src", K_SRC},
    {"dport", K_DPORT},  {"sport", K_SPORT},   {"dev", K_DEV},     {"fwmark", K_MARK},
    {"mark", K_MARK},    {"cgroup", K_CGROUP}, {"uid", K_UID},     {"autobound", K_AUTO},
    {">=", K_GE},        {"ge", K_GE},         {"geq", K_GE},      {"<=", K_LE},
    {"le", K_LE},        {"leq", K_LE},        {"!=", K_NE},       {"ne", K_NE},
    {"neq", K_NE},       {"=", K_EQ},          {"==", K_EQ},       {"eq", K_EQ},
    {">", K_GT},         {"gt", K_GT},         {"<", K_LT},        {"lt", K_LT},
};

static enum kw classify(const char *s)
{
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(words[i].word, s) == 0)
			return words[i].kw;
	return K_NONE;
}

struct pstate {
	struct expr *x;
	const struct expr_lex *lx;
	size_t i;
	int depth;
	char *err;
	size_t errlen;
};

/* Report a problem at token i (or at the end of the text); returns -1. */
static int fail_at(struct pstate *ps, size_t i, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (i < ps->lx->n)
		snprintf(ps->err, ps->errlen, "filter: '%.60s' (column %u): %s",
		         ps->lx->tok[i].s, ps->lx->tok[i].col, why);
	else
		snprintf(ps->err, ps->errlen, "filter: at the end (column %zu): %s",
		         strlen(ps->lx->text) + 1, why);
	return -1;
}

static const char *peek(const struct pstate *ps)
{
	return ps->i < ps->lx->n ? ps->lx->tok[ps->i].s : NULL;
}

static enum kw peek_kw(const struct pstate *ps)
{
	const char *s = peek(ps);

	return s ? classify(s) : K_NONE;
}

static int new_node(struct pstate *ps, enum expr_op op, int a, int b, size_t at)
{
	struct expr_node *n;

	if (ps->x->n == EXPR_MAX_NODES)
		return fail_at(ps, at, "more than %d conditions", EXPR_MAX_NODES);
	n = &ps->x->node[ps->x->n];
	memset(n, 0, sizeof *n);
	n->op = (uint8_t)op;
	n->a = (int16_t)a;
	n->b = (int16_t)b;
	n->col = at < ps->lx->n ? ps->lx->tok[at].col : 0;
	return (int)ps->x->n++;
}

/* A port: "22", ":22", ":ssh", "*" / ":*" / "" (any: -1).  Numbers are
 * read like ss's get_integer (0x.. hex, 0.. octal).  Returns 0 or -1. */
static int parse_port(const char *s, int *port)
{
	struct servent *se;
	char *end;
	long v;

	if (*s == ':')
		s++;
	*port = -1;
	if (!*s || strcmp(s, "*") == 0)
		return 0;
	errno = 0;
	v = strtol(s, &end, 0);
	if (!errno && end != s && !*end) {
		if (v < 0 || v > 65535)
			return -1;
		*port = (int)v;
		return 0;
	}
	/* /etc/services only: never a network look-up. */
	if ((se = getservbyname(s, "tcp")) || (se = getservbyname(s, "udp"))) {
		*port = ntohs((uint16_t)se->s_port);
		return 0;
	}
	return -1;
}

/* "ADDR" or "ADDR/BITS" (numeric IPv4 or IPv6) into h. */
static int parse_prefix(char *s, uint8_t family, struct expr_host *h)
{
	char *slash = strchr(s, '/');
	unsigned max;

	if (slash)
		*slash = '\0';
	if (family != AF_INET6 && inet_pton(AF_INET, s, h->addr) == 1)
		h->family = AF_INET;
	else if (family != AF_INET && inet_pton(AF_INET6, s, h->addr) == 1)
		h->family = AF_INET6;
	else
		return -1;
	max = h->family == AF_INET ? 32 : 128;
	h->prefix = (uint8_t)max;
	if (slash) {
		char *end;
		unsigned long bits;

		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || bits > max)
			return -1;
		h->prefix = (uint8_t)bits;
	}
	return 0;
}

/* Split "ADDR:PORT", "[ADDR]:PORT", "*:PORT" the way ss does: the port is
 * after the last ':' (after the '/' of a prefix, if any).  Returns the port
 * text (may be ""), and cuts it off text; NULL when a '[' is not closed. */
static char *split_port(char *text)
{
	char *p;

	if (text[0] == '[') {
		memmove(text, text + 1, strlen(text));
		if (!(p = strchr(text, ']')))
			return NULL;
		*p++ = '\0';
		return p;
	}
	if (text[0] == '*') {
		if (text[1] != ':')
			return text + 1;
		text[1] = '\0';
		return text + 2;
	}
	p = strchr(text, '/');
	p = strrchr(p ? p : text, ':');
	if (!p)
		return text + strlen(text);
	*p = '\0';
	return p + 1;
}

/* HOST[/PREFIX][:PORT], [V6][:PORT], *[:PORT], unix:GLOB (or a name
 * starting with / or @), with optional inet: / inet6: in front. */
static int parse_host(struct pstate *ps, size_t at, struct expr_host *h)
{
	char buf[EXPR_MAX_TEXT + 1], *port, *s = buf;
	uint8_t family = AF_UNSPEC;

	memset(h, 0, sizeof *h);
	h->port = -1;
	snprintf(buf, sizeof buf, "%s", ps->lx->tok[at].s);
	if (strncmp(s, "unix:", 5) == 0 || s[0] == '/' || s[0] == '@') {
		s += strncmp(s, "unix:", 5) == 0 ? 5 : 0;
		if (strlen(s) >= sizeof h->glob)
			return fail_at(ps, at, "a UNIX name is at most %zu bytes",
			               sizeof h->glob - 1);
		h->family = AF_UNIX;
		snprintf(h->glob, sizeof h->glob, "%s", strcmp(s, "*") ? s : "");
		return 0;
	}
	if (strncmp(s, "inet:", 5) == 0)
		family = AF_INET, s += 5;
	else if (strncmp(s, "inet6:", 6) == 0)
		family = AF_INET6, s += 6;
	if (!(port = split_port(s)))
		return fail_at(ps, at, "'[' without ']'");
	if (*port && parse_port(port, &h->port) < 0)
		return fail_at(ps, at, "'%s' is not a port (0-65535 or a name from "
		                       "/etc/services)",
		               *port == ':' ? port + 1 : port);
	h->family = family;
	if (*s && strcmp(s, "*") != 0 && parse_prefix(s, family, h) < 0)
		return fail_at(ps, at, "an address (IPv4, [IPv6], optional /PREFIX) is "
		                       "expected, not '%s'",
		               s);
	return 0;
}

/* The value after a keyword and its operator: there must be one, and it
 * must not be one of the grammar's own words. */
static int take_value(struct pstate *ps, size_t kw_at)
{
	if (!peek(ps))
		return fail_at(ps, ps->i, "'%s' needs a value", ps->lx->tok[kw_at].s);
	if (peek_kw(ps) != K_NONE)
		return fail_at(ps, ps->i, "a value for '%s' is expected here",
		               ps->lx->tok[kw_at].s);
	return (int)ps->i++;
}

/* Wrap n in NOT when neg.  Returns the node or -1. */
static int maybe_not(struct pstate *ps, int n, bool neg, size_t at)
{
	return n < 0 || !neg ? n : new_node(ps, EX_NOT, n, -1, at);
}

/* src/dst [=] HOST (ss has no != here: `not src X` says it) */
static int parse_addr_cond(struct pstate *ps, enum expr_op op, size_t at)
{
	enum kw k = peek_kw(ps);
	int v, n;

	if (k == K_EQ)
		ps->i++;
	else if (k != K_NONE)
		return fail_at(ps, ps->i, "'%s' takes = or nothing here (for != write "
		                          "'not %s ...')",
		               ps->lx->tok[at].s, ps->lx->tok[at].s);
	if ((v = take_value(ps, at)) < 0 || (n = new_node(ps, op, -1, -1, at)) < 0)
		return -1;
	if (parse_host(ps, (size_t)v, &ps->x->node[n].u.host) < 0)
		return -1;
	return n;
}

/* The comparison operator of a port or uid condition; K_EQ when none. */
static int take_cmp(struct pstate *ps, size_t at, enum kw *cmp)
{
	enum kw k = peek_kw(ps);

	if (k == K_NONE) {
		*cmp = K_EQ;
		return 0;
	}
	if (k < K_GE)
		return fail_at(ps, ps->i, "'%s' takes = != < > <= >= here",
		               ps->lx->tok[at].s);
	*cmp = k;
	ps->i++;
	return 0;
}

/* A range node GE/LE (ge, le), or its negation for gt (not le) and lt (not
 * ge), exactly as ss builds them. */
static int range_node(struct pstate *ps, enum kw cmp, enum expr_op ge, enum expr_op le,
                      uint32_t num, size_t at)
{
	int n = new_node(ps, cmp == K_GE || cmp == K_LT ? ge : le, -1, -1, at);

	if (n < 0)
		return -1;
	ps->x->node[n].u.num = num;
	return maybe_not(ps, n, cmp == K_GT || cmp == K_LT, at);
}

/* sport/dport OP PORT: = and != are address conditions on the port alone
 * (as in ss); the others are range comparisons. */
static int parse_port_cond(struct pstate *ps, bool local, size_t at)
{
	enum kw cmp = K_EQ;
	int v, n, port;

	if (take_cmp(ps, at, &cmp) < 0 || (v = take_value(ps, at)) < 0)
		return -1;
	if (parse_port(ps->lx->tok[v].s, &port) < 0)
		return fail_at(ps, (size_t)v,
		               "not a port (0-65535, :PORT or a name from /etc/services)");
	if (cmp == K_EQ || cmp == K_NE) {
		if ((n = new_node(ps, local ? EX_SRC : EX_DST, -1, -1, at)) < 0)
			return -1;
		ps->x->node[n].u.host.port = port;
		return maybe_not(ps, n, cmp == K_NE, at);
	}
	if (port < 0)
		return fail_at(ps, (size_t)v, "a comparison needs a port number");
	return range_node(ps, cmp, local ? EX_S_GE : EX_D_GE, local ? EX_S_LE : EX_D_LE,
	                  (uint32_t)port, at);
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (*s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* uid OP N (sockit's own: ss has no uid condition). */
static int parse_uid_cond(struct pstate *ps, size_t at)
{
	enum kw cmp = K_EQ;
	uint32_t uid;
	int v, n;

	if (take_cmp(ps, at, &cmp) < 0 || (v = take_value(ps, at)) < 0)
		return -1;
	if (parse_u32(ps->lx->tok[v].s, &uid) < 0)
		return fail_at(ps, (size_t)v, "not a user id");
	if (cmp == K_EQ || cmp == K_NE) {
		if ((n = new_node(ps, EX_UID_EQ, -1, -1, at)) < 0)
			return -1;
		ps->x->node[n].u.num = uid;
		return maybe_not(ps, n, cmp == K_NE, at);
	}
	return range_node(ps, cmp, EX_UID_GE, EX_UID_LE, uid, at);
}

/* Where the cgroup v2 hierarchy is mounted (from /proc/mounts: on hybrid
 * systems it is /sys/fs/cgroup/unified); /sys/fs/cgroup when not listed. */
static void cgroup2_root(char *root, size_t len)
{
	char line[1024], dev[256], dir[512], type[64];
	FILE *f = fopen("/proc/mounts", "r");

	snprintf(root, len, "/sys/fs/cgroup");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%255s %511s %63s", dev, dir, type) == 3 &&
		    strcmp(type, "cgroup2") == 0) {
			snprintf(root, len, "%s", dir);
			break;
		}
	}
	fclose(f);
}

/* The cgroup v2 id of PATH (relative to the cgroup2 mount), as ss finds
 * it: the inode-based file handle of the directory. */
static int cgroup_id(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	char root[512], full[PATH_MAX];
	int mnt;

	cgroup2_root(root, sizeof root);
	if (snprintf(full, sizeof full, "%s/%s", root, path) >= (int)sizeof full)
		return -1;
	h.fh.handle_bytes = sizeof h.id;
	if (name_to_handle_at(AT_FDCWD, full, &h.fh, &mnt, 0) < 0 ||
	    h.fh.handle_bytes != sizeof h.id)
		return -1;
	memcpy(id, h.fh.f_handle, sizeof *id);
	return 0;
}

/* dev, fwmark/mark, cgroup: [=|!=] VALUE */
static int parse_value_cond(struct pstate *ps, enum kw kw, size_t at)
{
	enum kw k = peek_kw(ps);
	static const enum expr_op ops[] = {[K_DEV] = EX_DEV, [K_MARK] = EX_MARK,
	                                   [K_CGROUP] = EX_CGROUP};
	struct expr_node *node;
	const char *s;
	char *slash;
	int v, n;

	if (k == K_EQ || k == K_NE)
		ps->i++;
	else if (k != K_NONE)
		return fail_at(ps, ps->i, "'%s' takes = or != here", ps->lx->tok[at].s);
	if ((v = take_value(ps, at)) < 0 || (n = new_node(ps, ops[kw], -1, -1, at)) < 0)
		return -1;
	s = ps->lx->tok[v].s;
	node = &ps->x->node[n];
	if (kw == K_DEV) {
		if (!(node->u.num = if_nametoindex(s)) && parse_u32(s, &node->u.num) < 0)
			return fail_at(ps, (size_t)v, "no such device");
	} else if (kw == K_MARK) {
		char buf[64];

		snprintf(buf, sizeof buf, "%s", s);
		node->u.mark.mask = UINT32_MAX;
		if ((slash = strchr(buf, '/')))
			*slash = '\0';
		if (parse_u32(buf, &node->u.mark.mark) < 0 ||
		    (slash && parse_u32(slash + 1, &node->u.mark.mask) < 0))
			return fail_at(ps, (size_t)v, "not a MARK[/MASK]");
	} else if (cgroup_id(s, &node->u.id) < 0) {
		return fail_at(ps, (size_t)v, "no such cgroup (v2)");
	}
	return maybe_not(ps, n, k == K_NE, at);
}

static int parse_list(struct pstate *ps);

static int parse_cond(struct pstate *ps, enum kw k, size_t at)
{
	switch (k) {
	case K_SRC:
		return parse_addr_cond(ps, EX_SRC, at);
	case K_DST:
		return parse_addr_cond(ps, EX_DST, at);
	case K_SPORT:
		return parse_port_cond(ps, true, at);
	case K_DPORT:
		return parse_port_cond(ps, false, at);
	case K_UID:
		return parse_uid_cond(ps, at);
	case K_DEV:
	case K_MARK:
	case K_CGROUP:
		return parse_value_cond(ps, k, at);
	case K_AUTO:
		return new_node(ps, EX_AUTO, -1, -1, at);
	default:
		return fail_at(ps, at, "expected a condition (src dst sport dport dev "
		                       "fwmark cgroup autobound uid), '(' or 'not'");
	}
}

/* expr: '(' list ')' | '!' expr | condition */
static int parse_expr(struct pstate *ps)
{
	size_t at = ps->i;
	enum kw k;
	int n;

	if (!peek(ps))
		return fail_at(ps, at, "a condition is missing");
	if (ps->depth >= EXPR_MAX_DEPTH)
		return fail_at(ps, at, "nested more than %d deep", EXPR_MAX_DEPTH);
	k = peek_kw(ps);
	ps->i++;
	if (k == K_LP) {
		ps->depth++;
		if ((n = parse_list(ps)) < 0)
			return -1;
		ps->depth--;
		if (peek_kw(ps) != K_RP)
			return fail_at(ps, ps->i, "')' expected (to close column %u)",
			               ps->lx->tok[at].col);
		ps->i++;
		return n;
	}
	if (k == K_NOT) {
		ps->depth++;
		n = parse_expr(ps);
		ps->depth--;
		return n < 0 ? -1 : new_node(ps, EX_NOT, n, -1, at);
	}
	return parse_cond(ps, k, at);
}

/* list: expr (('or' | 'and' | nothing) expr)*, left to right with no
 * precedence between and and or — ss's yacc grammar reduces that way. */
static int parse_list(struct pstate *ps)
{
	int n = parse_expr(ps);

	while (n >= 0 && peek(ps) && peek_kw(ps) != K_RP) {
		enum kw k = peek_kw(ps);
		size_t at = ps->i;
		int m;

		if (k == K_OR || k == K_AND)
			ps->i++;
		if ((m = parse_expr(ps)) < 0)
			return -1;
		n = new_node(ps, k == K_OR ? EX_OR : EX_AND, n, m, at);
	}
	return n;
}

/* Leading `state NAME` and `exclude NAME` words, as ss's main() takes
 * them: state adds to (and first clears) the set, exclude removes from it
 * (starting from every state). */
static int parse_states(struct pstate *ps)
{
	for (;;) {
		const char *w = peek(ps), *bad;
		bool excl = w && (strcmp(w, "exclude") == 0 || strcmp(w, "excl") == 0);
		uint32_t mask = 0;

		if (!w || (!excl && strcmp(w, "state") != 0))
			return 0;
		if (++ps->i >= ps->lx->n)
			return fail_at(ps, ps->i, "'%s' needs a state name", w);
		if (filter_parse_states(ps->lx->tok[ps->i].s, &mask, &bad) < 0)
			return fail_at(ps, ps->i, "unknown state (see --help for the names)");
		if (!ps->x->states_given)
			ps->x->states = excl ? STATES_ALL : 0;
		ps->x->states = excl ? ps->x->states & ~mask : ps->x->states | mask;
		ps->x->states_given = true;
		ps->i++;
	}
}

void expr_port_range(uint16_t *lo_port, uint16_t *hi_port)
{
	unsigned lo = 1024, hi = 4999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2 || lo > hi || hi > 65535)
			lo = 1024, hi = 4999;
		fclose(f);
	}
	*lo_port = (uint16_t)lo;
	*hi_port = (uint16_t)hi;
}

int expr_parse(struct expr *x, const struct expr_lex *lx, char *err, size_t errlen)
{
	struct pstate ps = {x, lx, 0, 0, err, errlen};

	x->n = 0;
	x->root = -1;
	x->states = 0;
	x->states_given = false;
	x->has_auto = false;
	x->lo_port = x->hi_port = 0;
	if (parse_states(&ps) < 0)
		return -1;
	if (ps.i == lx->n)
		return 0;
	if ((x->root = parse_list(&ps)) < 0)
		return -1;
	if (ps.i < lx->n)
		return fail_at(&ps, ps.i, "no '(' to close");
	/* Only `autobound` needs the range: a listing opens nothing else. */
	if ((x->has_auto = expr_uses(x, EX_AUTO)))
		expr_port_range(&x->lo_port, &x->hi_port);
	return 0;
}
