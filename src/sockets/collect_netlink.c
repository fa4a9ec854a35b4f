/* collect_netlink.c — socket lists from the kernel over netlink sock_diag
 * (libmnl): TCP and UDP over inet_diag, UNIX over unix_diag. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <linux/unix_diag.h>

#include "sockets/collect.h"
#include "sockets/dump.h"
#include "sockets/expr.h"

/* The kernel fills at most 32 KiB per read of a dump; a little more room
 * costs nothing and survives a kernel that sends more. */
#define RECV_BUFSZ (64 * 1024)

/* A condition on the local or remote port, any address. */
struct port_cond {
	struct inet_diag_bc_op op;
	struct inet_diag_hostcond cond;
};

static void put_cond(unsigned char *at, int code, int port, unsigned yes, unsigned no)
{
	struct port_cond c;

	memset(&c, 0, sizeof c);
	c.op.code = (unsigned char)code;
	c.op.yes = (unsigned char)yes;
	c.op.no = (unsigned short)no;
	c.cond.family = AF_UNSPEC;
	c.cond.prefix_len = 0;
	c.cond.port = port;
	memcpy(at, &c, sizeof c);
}

/* Bytecode runs from the start; a "yes" or "no" jump lands on the next op
 * to run, the exact end means accept, 4 bytes past the end means reject.
 * The kernel audits only the chain of "yes" jumps, so every op must be on
 * it: --port (sport OR dport) is built as iproute2 builds OR, with a JMP
 * whose "yes" leads into the second half. */
size_t diag_port_bytecode(const struct sock_filter *f, void *bc, size_t cap)
{
	const unsigned cs = sizeof(struct port_cond), js = sizeof(struct inet_diag_bc_op);
	size_t total =
	    (f->sport >= 0) * cs + (f->dport >= 0) * cs + (f->port >= 0) * (2 * cs + js);
	unsigned char *p = bc;
	size_t off = 0;

	if (total == 0 || total > cap)
		return 0;
	if (f->sport >= 0) {
		put_cond(p + off, INET_DIAG_BC_S_COND, f->sport, cs,
		         (unsigned)(total - off + 4));
		off += cs;
	}
	if (f->dport >= 0) {
		put_cond(p + off, INET_DIAG_BC_D_COND, f->dport, cs,
		         (unsigned)(total - off + 4));
		off += cs;
	}
	if (f->port >= 0) {
		struct inet_diag_bc_op jmp = {INET_DIAG_BC_JMP, (unsigned char)js,
		                              (unsigned short)(js + cs)};

		put_cond(p + off, INET_DIAG_BC_S_COND, f->port, cs, cs + js);
		memcpy(p + off + cs, &jmp, js);
		off += cs + js;
		put_cond(p + off, INET_DIAG_BC_D_COND, f->port, cs,
		         (unsigned)(total - off + 4));
	}
	return total;
}

static void put_inet_request(struct nlmsghdr *nlh, int family, int proto, uint32_t states,
                             const struct collect_opts *o)
{
	struct inet_diag_req_v2 *r = mnl_nlmsg_put_extra_header(nlh, sizeof *r);
	unsigned char ports[128];
	const void *bc = o->bc ? o->bc : ports;
	size_t bclen = o->bc ? o->bclen : diag_port_bytecode(o->filter, ports, sizeof ports);

	r->sdiag_family = (uint8_t)family;
	r->sdiag_protocol = (uint8_t)proto;
	r->idiag_states = states;
	if (o->tcpinfo && proto == IPPROTO_TCP)
		r->idiag_ext |= 1 << (INET_DIAG_INFO - 1);
	r->idiag_ext |= (uint8_t)o->ext;
	if (bclen)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, bclen, bc);
}

static void put_unix_request(struct nlmsghdr *nlh, uint32_t states, bool mem)
{
	struct unix_diag_req *r = mnl_nlmsg_put_extra_header(nlh, sizeof *r);

	r->sdiag_family = AF_UNIX;
	r->udiag_states = states;
	r->udiag_show =
	    UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID;
	if (mem)
		r->udiag_show |= UDIAG_SHOW_MEMINFO;
}

struct recv_ctx {
	enum diag_kind kind;
	struct sock_list *out;
	FILE *record;
	bool nomem;
};

static int reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct recv_ctx *c = data;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return MNL_CB_OK;
	if (c->record)
		dump_write_msg(c->record, c->kind, nlh);
	if (diag_parse(nlh, c->kind, c->out) < 0) {
		c->nomem = true;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* Send one dump request and read replies until NLMSG_DONE. */
static int run_dump(struct mnl_socket *nl, struct nlmsghdr *nlh, struct recv_ctx *c)
{
	static uint32_t seq;
	unsigned portid = mnl_socket_get_portid(nl);
	char *buf;
	int rc = -1;

	nlh->nlmsg_seq = ++seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	if (!(buf = malloc(RECV_BUFSZ)))
		return -1;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, RECV_BUFSZ);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, reply_cb, c);
		if (rc <= MNL_CB_STOP)
			break;
	}
	free(buf);
	if (c->nomem)
		errno = ENOMEM;
	return rc < 0 || c->nomem ? -1 : 0;
}

static uint32_t unix_states(const struct sock_filter *f)
{
	return f->states[NETID_U_STR] * !!(f->netids & NETID_BIT(NETID_U_STR)) |
	       f->states[NETID_U_DGR] * !!(f->netids & NETID_BIT(NETID_U_DGR)) |
	       f->states[NETID_U_SEQ] * !!(f->netids & NETID_BIT(NETID_U_SEQ));
}

static int dump_inet(struct mnl_socket *nl, int family, enum diag_kind kind,
                     const struct collect_opts *o, struct sock_list *out)
{
	/* Room for the largest bytecode the expression compiler makes. */
	static char req[EXPR_BC_MAX + 512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	unsigned netid = kind == DIAG_TCP ? NETID_TCP : NETID_UDP;
	struct recv_ctx c = {kind, out, o->record, false};

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	put_inet_request(nlh, family, kind == DIAG_TCP ? IPPROTO_TCP : IPPROTO_UDP,
	                 o->filter->states[netid], o);
	return run_dump(nl, nlh, &c);
}

int collect_netlink_kind(struct mnl_socket *nl, enum diag_kind kind,
                         const struct collect_opts *o, struct sock_list *out)
{
	const struct sock_filter *f = o->filter;
	char req[256];
	struct nlmsghdr *nlh;
	struct recv_ctx c = {kind, out, o->record, false};

	if (kind != DIAG_UNIX) {
		if (f->v4 && dump_inet(nl, AF_INET, kind, o, out) < 0)
			return -1;
		return f->v6 ? dump_inet(nl, AF_INET6, kind, o, out) : 0;
	}
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	put_unix_request(nlh, unix_states(f), o->ext & (1u << (INET_DIAG_SKMEMINFO - 1)));
	return run_dump(nl, nlh, &c);
}
