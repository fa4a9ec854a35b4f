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

/* What ss compares sport with: the port of an inet socket, the device
 * index of a packet socket, the (signed) port id of a netlink socket;
 * -1 (nothing matches) for UNIX. */
static long sport_of(const struct sock_entry *e)
{
	if (sock_is_inet(e))
		return e->lport;
	if (e->family == AF_PACKET)
		return e->ifindex;
	if (e->family == AF_NETLINK)
		return (int32_t)e->nl_portid;
	return -1;
}

/* src/dst.  A UNIX condition looks at the socket's own name (src) — the
 * peer's name is not in the reply, so dst matches only the glob "*". */
bool expr_host_match(const struct expr_host *h, const struct sock_entry *e, bool local)
{
	if (h->family == AF_UNIX) {
		const char *name = local && e->path ? e->path : "";

		return e->family == AF_UNIX && (!h->glob[0] || fnmatch(h->glob, name, 0) == 0);
	}
	/* Not inet: only `*` (any address, any port); ss also compares a
	 * packet or netlink socket's sport (see sport_of) with a port. */
	if (!sock_is_inet(e))
		return h->family == AF_UNSPEC && h->prefix == 0 &&
		       (h->port < 0 || (local && e->family != AF_UNIX && h->port == sport_of(e)));
	if (h->port >= 0 && h->port != (local ? e->lport : e->rport))
		return false;
	return inet_addr_ok(h, e->family, local ? e->laddr : e->raddr);
}

/* ss's user-space `autobound` (run_ssfilter, SSF_S_AUTO), or with kernel
 * set the kernel's (INET_DIAG_BC_AUTO) from the recorded answer. */
static bool autobound(const struct expr *x, const struct sock_entry *e, bool kernel)
{
	const char *p = e->path;

	if (kernel && sock_is_inet(e))
		return e->auto_bound;
	switch (e->family) {
	case AF_UNIX:
		/* Unnamed, or the name autobind gives: NUL and five hex digits. */
		return !p || (p[0] == '@' && strlen(p) == 6 &&
		              strspn(p + 1, "0123456789abcdef") == 5);
	case AF_PACKET:
		return e->ifindex == 0 && e->lport == 0; /* no device, no protocol */
	case AF_NETLINK:
		return (int32_t)e->nl_portid < 0; /* the kernel's ids are negative */
	}
	return sock_is_inet(e) && e->lport >= x->lo_port && e->lport <= x->hi_port;
}

static bool eval(const struct expr *x, int i, const struct sock_entry *e, bool kernel)
{
	const struct expr_node *n = &x->node[i];
	bool inet = sock_is_inet(e);

	switch ((enum expr_op)n->op) {
	case EX_AND:
		return eval(x, n->a, e, kernel) && eval(x, n->b, e, kernel);
	case EX_OR:
		return eval(x, n->a, e, kernel) || eval(x, n->b, e, kernel);
	case EX_NOT:
		return !eval(x, n->a, e, kernel);
	case EX_SRC:
	case EX_DST:
		return expr_host_match(&n->u.host, e, n->op == EX_SRC);
	case EX_S_GE:
		return sport_of(e) >= 0 && sport_of(e) >= (long)n->u.num;
	case EX_S_LE:
		return sport_of(e) >= 0 && sport_of(e) <= (long)n->u.num;
	case EX_D_GE:
		return inet && e->rport >= n->u.num;
	case EX_D_LE:
		return inet && e->rport <= n->u.num;
	case EX_AUTO:
		return autobound(x, e, kernel);
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
	if (x->root < 0)
		return true;
	if (!eval(x, x->root, e, false))
		return false;
	return !(x->has_auto && e->auto_known) || eval(x, x->root, e, true);
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
