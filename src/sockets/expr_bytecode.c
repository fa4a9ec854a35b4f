/* expr_bytecode.c — compiling a filter expression to the kernel's inet_diag
 * bytecode (INET_DIAG_REQ_BYTECODE) the way iproute2's ss does, and models of
 * the kernel's audit and interpreter for the tests. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>

#include "sockets/expr.h"

/* Bytecode semantics (net/ipv4/inet_diag.c): each op has a length-in-bytes
 * "yes" (go there when the condition holds) and "no" (when it does not).
 * Running off the end exactly accepts; landing 4 bytes past it rejects.
 * Every condition op here has yes == its own length and no == "reject",
 * i.e. the bytes left from it plus 4, which is what and/or/not rewire. */

#define OP_SIZE ((long)sizeof(struct inet_diag_bc_op))
#define TOO_BIG (-2L)
#define INEXACT (-1L)

static void put_op(uint8_t *at, unsigned code, unsigned yes, unsigned no)
{
	struct inet_diag_bc_op op = {(unsigned char)code, (unsigned char)yes,
	                             (unsigned short)no};

	memcpy(at, &op, sizeof op);
}

/* A condition op of len bytes (yes = len, no = reject) followed by body. */
static long put_cond(uint8_t *out, long room, unsigned code, const void *body,
                     size_t blen)
{
	long len = OP_SIZE + (long)blen;

	if (len > room)
		return TOO_BIG;
	put_op(out, code, (unsigned)len, (unsigned)len + 4);
	if (blen)
		memcpy(out + OP_SIZE, body, blen);
	return len;
}

static long put_host(uint8_t *out, long room, unsigned code, const struct expr_host *h)
{
	uint8_t body[sizeof(struct inet_diag_hostcond) + 16];
	struct inet_diag_hostcond c;
	size_t alen = h->family == AF_INET6 ? 16 : 4;

	memset(&c, 0, sizeof c);
	c.family = h->family;
	c.prefix_len = h->prefix;
	c.port = h->port;
	memcpy(body, &c, sizeof c);
	memcpy(body + sizeof c, h->addr, alen);
	return put_cond(out, room, code, body, sizeof c + alen);
}

/* One leaf; INEXACT when the kernel has no such condition. */
static long put_leaf(const struct expr_node *n, uint8_t *out, long room)
{
	static const unsigned range_code[] = {
	    [EX_S_GE] = INET_DIAG_BC_S_GE, [EX_S_LE] = INET_DIAG_BC_S_LE,
	    [EX_D_GE] = INET_DIAG_BC_D_GE, [EX_D_LE] = INET_DIAG_BC_D_LE};
	struct inet_diag_bc_op port;
	struct inet_diag_markcond mc;

	switch ((enum expr_op)n->op) {
	case EX_SRC:
	case EX_DST:
		if (n->u.host.family == AF_UNIX)
			return INEXACT;
		return put_host(out, room,
		                n->op == EX_SRC ? INET_DIAG_BC_S_COND : INET_DIAG_BC_D_COND,
		                &n->u.host);
	case EX_S_GE:
	case EX_S_LE:
	case EX_D_GE:
	case EX_D_LE:
		memset(&port, 0, sizeof port);
		port.no = (unsigned short)n->u.num;
		return put_cond(out, room, range_code[n->op], &port, sizeof port);
	case EX_AUTO:
		return put_cond(out, room, INET_DIAG_BC_AUTO, NULL, 0);
	case EX_DEV:
		return put_cond(out, room, INET_DIAG_BC_DEV_COND, &n->u.num, 4);
	case EX_MARK:
		mc.mark = n->u.mark.mark;
		mc.mask = n->u.mark.mask;
		return put_cond(out, room, INET_DIAG_BC_MARK_COND, &mc, sizeof mc);
	case EX_CGROUP:
		return put_cond(out, room, INET_DIAG_BC_CGROUP_COND, &n->u.id, 8);
	default:
		return INEXACT;
	}
}

/* Make the rejecting exits of the first len bytes skip reloc more bytes
 * (the right side of an AND placed after them): ss's ssfilter_patch. */
static void patch(uint8_t *a, long len, long reloc)
{
	while (len > 0) {
		struct inet_diag_bc_op op;

		memcpy(&op, a, sizeof op);
		if (op.no == len + 4) {
			op.no = (unsigned short)(op.no + reloc);
			memcpy(a, &op, sizeof op);
		}
		len -= op.yes;
		a += op.yes;
	}
}

/* Compile node i into out.  exact: the code must accept exactly what the
 * node does; otherwise a superset will do, and 0 bytes (accept all) stands
 * for what cannot be compiled.  Returns the length, INEXACT or TOO_BIG. */
static long compile(const struct expr *x, int i, bool exact, uint8_t *out, long room)
{
	const struct expr_node *n = &x->node[i];
	long l1, l2;

	switch ((enum expr_op)n->op) {
	case EX_AND:
		if ((l1 = compile(x, n->a, exact, out, room)) < 0)
			return l1;
		if ((l2 = compile(x, n->b, exact, out + l1, room - l1)) < 0)
			return l2;
		patch(out, l1, l2);
		return l1 + l2;
	case EX_OR:
		if ((l1 = compile(x, n->a, exact, out, room)) <= 0)
			return l1;
		if (room - l1 < OP_SIZE)
			return TOO_BIG;
		if ((l2 = compile(x, n->b, exact, out + l1 + OP_SIZE, room - l1 - OP_SIZE)) <= 0)
			return l2;
		put_op(out + l1, INET_DIAG_BC_JMP, OP_SIZE, (unsigned)(l2 + OP_SIZE));
		return l1 + OP_SIZE + l2;
	case EX_NOT:
		l1 = compile(x, n->a, true, out, room);
		if (l1 == INEXACT)
			return exact ? INEXACT : 0;
		if (l1 < 0)
			return l1;
		if (room - l1 < OP_SIZE)
			return TOO_BIG;
		put_op(out + l1, INET_DIAG_BC_JMP, OP_SIZE, 2 * OP_SIZE);
		return l1 + OP_SIZE;
	default:
		l1 = put_leaf(n, out, room);
		return l1 == INEXACT && !exact ? 0 : l1;
	}
}

size_t expr_bytecode(const struct expr *x, void *bc, size_t cap)
{
	long len;

	if (x->root < 0)
		return 0;
	if (cap > EXPR_BC_MAX)
		cap = EXPR_BC_MAX;
	len = compile(x, x->root, false, bc, (long)cap);
	return len > 0 ? (size_t)len : 0;
}

/* The port a leaf of the AND chain from node i requires, if any. */
static int and_chain_port(const struct expr *x, int i, bool local)
{
	const struct expr_node *n = &x->node[i];
	int p;

	if (n->op == EX_AND) {
		if ((p = and_chain_port(x, n->a, local)) > 0)
			return p;
		return and_chain_port(x, n->b, local);
	}
	if (n->op == (local ? EX_SRC : EX_DST) && n->u.host.family != AF_UNIX &&
	    n->u.host.port > 0 && n->u.host.port <= 65535)
		return n->u.host.port;
	return 0;
}

uint16_t expr_required_port(const struct expr *x, bool local)
{
	return x->root < 0 ? 0 : (uint16_t)and_chain_port(x, x->root, local);
}

/* Whether node i is an AND chain of bare port conditions (no address),
 * each side's with the same port: lport, rport (0: none yet). */
static bool ports_only(const struct expr *x, int i, int *lport, int *rport)
{
	const struct expr_node *n = &x->node[i];
	int *want;

	if (n->op == EX_AND)
		return ports_only(x, n->a, lport, rport) && ports_only(x, n->b, lport, rport);
	if ((n->op != EX_SRC && n->op != EX_DST) || n->u.host.family != AF_UNSPEC ||
	    n->u.host.prefix != 0 || n->u.host.port <= 0)
		return false;
	want = n->op == EX_SRC ? lport : rport;
	if (*want && *want != n->u.host.port)
		return false;
	*want = n->u.host.port;
	return true;
}

bool expr_ports_only(const struct expr *x)
{
	int lport = 0, rport = 0;

	return x->root >= 0 && !x->has_auto && ports_only(x, x->root, &lport, &rport);
}

bool expr_bytecode_exact(const struct expr *x)
{
	uint8_t *scratch;
	bool exact;

	if (x->root < 0 || x->has_auto || !(scratch = malloc(EXPR_BC_MAX)))
		return false;
	exact = compile(x, x->root, true, scratch, EXPR_BC_MAX) > 0;
	free(scratch);
	return exact;
}

/* --- models of the kernel, for tests ---------------------------------- */

/* The bytes an op needs beyond its header; -1 when the kernel would say
 * EINVAL.  len is what is left from the op on. */
static long body_len(const uint8_t *bc, long len, unsigned code)
{
	struct inet_diag_hostcond c;
	long need;

	switch (code) {
	case INET_DIAG_BC_S_COND:
	case INET_DIAG_BC_D_COND:
		if (len < OP_SIZE + (long)sizeof c)
			return -1;
		memcpy(&c, bc + OP_SIZE, sizeof c);
		need = c.family == AF_UNSPEC ? 0 : c.family == AF_INET ? 4 : c.family == AF_INET6 ? 16 : -1;
		if (need < 0 || len < OP_SIZE + (long)sizeof c + need || c.prefix_len > 8 * need)
			return -1;
		return (long)sizeof c + need;
	case INET_DIAG_BC_S_GE:
	case INET_DIAG_BC_S_LE:
	case INET_DIAG_BC_D_GE:
	case INET_DIAG_BC_D_LE:
	case INET_DIAG_BC_S_EQ:
	case INET_DIAG_BC_D_EQ:
		return len < 2 * OP_SIZE ? -1 : OP_SIZE;
	case INET_DIAG_BC_DEV_COND:
		return len < OP_SIZE + 4 ? -1 : 4;
	case INET_DIAG_BC_MARK_COND:
	case INET_DIAG_BC_CGROUP_COND:
		return len < OP_SIZE + 8 ? -1 : 8;
	case INET_DIAG_BC_AUTO:
	case INET_DIAG_BC_JMP:
	case INET_DIAG_BC_NOP:
		return 0;
	}
	return -1;
}

/* Whether a jump to cc bytes before the end lands on an op boundary. */
static bool lands_on_op(const uint8_t *bc, long len, long cc)
{
	while (len >= 0) {
		struct inet_diag_bc_op op;

		if (cc > len)
			return false;
		if (cc == len)
			return true;
		memcpy(&op, bc, sizeof op);
		if (op.yes < 4 || op.yes & 3)
			return false;
		len -= op.yes;
		bc += op.yes;
	}
	return false;
}

bool expr_bytecode_valid(const void *code, size_t total)
{
	const uint8_t *bc = code;
	long len = (long)total;

	if (total < sizeof(struct inet_diag_bc_op) || total > EXPR_BC_MAX)
		return false;
	while (len > 0) {
		struct inet_diag_bc_op op;
		long body, min;

		if (len < OP_SIZE)
			return false;
		memcpy(&op, bc, sizeof op);
		if ((body = body_len(bc, len, op.code)) < 0)
			return false;
		min = OP_SIZE + body;
		if (op.code != INET_DIAG_BC_NOP) {
			if (op.no < min || op.no > len + 4 || (op.no & 3))
				return false;
			if (op.no < len && !lands_on_op(code, (long)total, len - op.no))
				return false;
		}
		if (op.yes < min || op.yes > len + 4 || (op.yes & 3))
			return false;
		bc += op.yes;
		len -= op.yes;
	}
	return len == 0;
}

/* A host condition as the kernel runs it: the same rule user space uses
 * (expr_eval.c keeps the kernel's meaning). */
static bool run_host(const uint8_t *at, bool src, const struct sock_entry *e)
{
	struct inet_diag_hostcond c;
	struct expr_host h;

	memcpy(&c, at, sizeof c);
	memset(&h, 0, sizeof h);
	h.family = c.family;
	h.prefix = c.prefix_len;
	h.port = c.port;
	memcpy(h.addr, at + sizeof c, c.family == AF_INET6 ? 16 : c.family == AF_INET ? 4 : 0);
	return expr_host_match(&h, e, src);
}

bool expr_bytecode_run(const struct expr *x, const void *code, size_t total,
                       const struct sock_entry *e)
{
	const uint8_t *bc = code;
	long len = (long)total;

	while (len > 0) {
		struct inet_diag_bc_op op, arg;
		bool yes = true;
		uint32_t u32;
		uint64_t u64;
		struct inet_diag_markcond mc;

		memcpy(&op, bc, sizeof op);
		memcpy(&arg, bc + (len >= 2 * OP_SIZE ? OP_SIZE : 0), sizeof arg);
		switch (op.code) {
		case INET_DIAG_BC_JMP:
			yes = false;
			break;
		case INET_DIAG_BC_S_GE:
			yes = e->lport >= arg.no;
			break;
		case INET_DIAG_BC_S_LE:
			yes = e->lport <= arg.no;
			break;
		case INET_DIAG_BC_D_GE:
			yes = e->rport >= arg.no;
			break;
		case INET_DIAG_BC_D_LE:
			yes = e->rport <= arg.no;
			break;
		case INET_DIAG_BC_S_EQ:
			yes = e->lport == arg.no;
			break;
		case INET_DIAG_BC_D_EQ:
			yes = e->rport == arg.no;
			break;
		case INET_DIAG_BC_AUTO:
			yes = e->auto_known ? e->auto_bound
			                    : e->lport >= x->lo_port && e->lport <= x->hi_port;
			break;
		case INET_DIAG_BC_S_COND:
		case INET_DIAG_BC_D_COND:
			yes = run_host(bc + OP_SIZE, op.code == INET_DIAG_BC_S_COND, e);
			break;
		case INET_DIAG_BC_DEV_COND:
			memcpy(&u32, bc + OP_SIZE, 4);
			yes = e->ifindex == u32;
			break;
		case INET_DIAG_BC_MARK_COND:
			memcpy(&mc, bc + OP_SIZE, sizeof mc);
			yes = (e->mark & mc.mask) == mc.mark;
			break;
		case INET_DIAG_BC_CGROUP_COND:
			memcpy(&u64, bc + OP_SIZE, 8);
			yes = e->cgroup_id == u64;
			break;
		}
		len -= yes ? op.yes : op.no;
		bc += yes ? op.yes : op.no;
	}
	return len == 0;
}
