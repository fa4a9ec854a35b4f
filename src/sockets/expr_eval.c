/* expr_eval.c — running a parsed ss filter expression on one socket in user
 * space, with the kernel's meaning of every condition (inet_diag_bc_run), so
 * a replayed dump and a live kernel-filtered listing agree. */
#include <fnmatch.h>
#include <string.h>
#include <sys/socket.h>

#include "sockets/expr.h"

/* Whether the first bits of a and b agree. */
static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (!rest)
		return true;
	return ((a[bytes] ^ b[bytes]) & (0xff00 >> rest)) == 0;
}

/* An inet socket's address against an inet condition, as the kernel does:
 * a family must agree, except that an IPv4 rule matches a v4-mapped IPv6
 * address; no prefix matches any address. */
static bool inet_addr_ok(const struct expr_host *h, uint8_t family, const uint8_t *addr)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (h->family != AF_UNSPEC && h->family != family) {
		return family == AF_INET6 && h->family == AF_INET &&
		       memcmp(addr, mapped, 12) == 0 && prefix_match(addr + 12, h->addr, h->prefix);
	}
	return h->prefix == 0 || prefix_match(addr, h->addr, h->prefix);
}

/* src/dst.  A UNIX condition looks at the socket's own name (src) — the
 * peer's name is not in the reply, so dst matches only the glob "*". */
bool expr_host_match(const struct expr_host *h, const struct sock_entry *e, bool local)
{
	if (h->family == AF_UNIX) {
		const char *name = local && e->path ? e->path : "";

		return e->family == AF_UNIX && (!h->glob[0] || fnmatch(h->glob, name, 0) == 0);
	}
	if (e->family == AF_UNIX) /* only `*` (any address, any port) */
		return h->family == AF_UNSPEC && h->prefix == 0 && h->port < 0;
	if (h->port >= 0 && h->port != (local ? e->lport : e->rport))
		return false;
	return inet_addr_ok(h, e->family, local ? e->laddr : e->raddr);
}

static bool eval(const struct expr *x, int i, const struct sock_entry *e)
{
	const struct expr_node *n = &x->node[i];
	bool inet = e->family != AF_UNIX;

	switch ((enum expr_op)n->op) {
	case EX_AND:
		return eval(x, n->a, e) && eval(x, n->b, e);
	case EX_OR:
		return eval(x, n->a, e) || eval(x, n->b, e);
	case EX_NOT:
		return !eval(x, n->a, e);
	case EX_SRC:
	case EX_DST:
		return expr_host_match(&n->u.host, e, n->op == EX_SRC);
	case EX_S_GE:
		return inet && e->lport >= n->u.num;
	case EX_S_LE:
		return inet && e->lport <= n->u.num;
	case EX_D_GE:
		return inet && e->rport >= n->u.num;
	case EX_D_LE:
		return inet && e->rport <= n->u.num;
	case EX_AUTO:
		return inet && e->lport >= x->lo_port && e->lport <= x->hi_port;
	case EX_DEV:
		return inet && e->ifindex == n->u.num;
	case EX_MARK:
		return inet && (e->mark & n->u.mark.mask) == n->u.mark.mark;
	case EX_CGROUP:
		return inet && e->cgroup_id == n->u.id;
	case EX_UID_EQ:
		return e->has_uid && e->uid == n->u.num;
	case EX_UID_GE:
		return e->has_uid && e->uid >= n->u.num;
	case EX_UID_LE:
		return e->has_uid && e->uid <= n->u.num;
	}
	return false;
}

bool expr_match(const struct expr *x, const struct sock_entry *e)
{
	return x->root < 0 || eval(x, x->root, e);
}

static bool keep(const struct sock_entry *e, const void *arg)
{
	return expr_match(arg, e);
}

void expr_apply(const struct expr *x, struct sock_list *l)
{
	if (x->root >= 0)
		sock_list_retain(l, keep, x);
}

bool expr_uses(const struct expr *x, enum expr_op op)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->node[i].op == op)
			return true;
	return false;
}
