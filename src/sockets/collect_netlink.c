/* collect_netlink.c — socket lists from the kernel over netlink sock_diag
 * (libmnl): TCP, UDP and raw IP over inet_diag, UNIX over unix_diag; packet
 * and netlink sockets are in collect_packet.c and collect_netlink_diag.c. */
#include <errno.h>
#include <pthread.h>
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
	/* raw_diag reads the raw protocol from the pad byte; IPPROTO_RAW there
	 * means every protocol (as ss asks). */
	if (proto == IPPROTO_RAW)
		r->pad = IPPROTO_RAW;
	if (o->tcpinfo && proto == IPPROTO_TCP)
		r->idiag_ext |= 1 << (INET_DIAG_INFO - 1);
	/* Only TCP's walk compares these in network order (UDP's in host
	 * order, on every kernel): elsewhere the bytecode alone filters. */
	if (proto == IPPROTO_TCP) {
		r->id.idiag_sport = htons(o->id_sport);
		r->id.idiag_dport = htons(o->id_dport);
	}
	r->idiag_ext |= (uint8_t)o->ext;
	if (bclen && !(proto == IPPROTO_TCP && o->id_exact))
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, bclen, bc);
}

static void put_unix_request(struct nlmsghdr *nlh, uint32_t states, bool mem,
                             bool details)
{
	struct unix_diag_req *r = mnl_nlmsg_put_extra_header(nlh, sizeof *r);

	r->sdiag_family = AF_UNIX;
	r->udiag_states = states;
	r->udiag_show =
	    UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID;
	if (mem)
		r->udiag_show |= UDIAG_SHOW_MEMINFO;
	if (details)
		r->udiag_show |= UDIAG_SHOW_VFS | UDIAG_SHOW_ICONS;
}

struct recv_ctx {
	enum diag_kind kind;
	struct sock_list *out;
	FILE *record;
	bool nomem;
	bool v6; /* an IPv6 entry was added (v6_last has work) */
};

static int reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct recv_ctx *c = data;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY && nlh->nlmsg_type != TCPDIAG_GETSOCK)
		return MNL_CB_OK;
	if (c->record)
		dump_write_msg(c->record, c->kind, nlh);
	if (diag_parse(nlh, c->kind, c->out) < 0) {
		c->nomem = true;
		return MNL_CB_ERROR;
	}
	if (c->out->n && c->out->v[c->out->n - 1].family == AF_INET6)
		c->v6 = true;
	return MNL_CB_OK;
}

/* NLMSG_DONE carries the dump's result: a negative errno when the kernel
 * could not run it (ENOENT: no diag module for that kind, e.g. raw_diag
 * not loaded), which libmnl's default handler would ignore. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	int err = 0;

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof err)
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof err);
	if (err < 0) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

/* Send one dump request and read replies until NLMSG_DONE. */
static int run_dump(struct mnl_socket *nl, struct nlmsghdr *nlh, struct recv_ctx *c);

int collect_run_dump(struct mnl_socket *nl, struct nlmsghdr *nlh, enum diag_kind kind,
                     const struct collect_opts *o, struct sock_list *out)
{
	struct recv_ctx c = {kind, out, o->record, false, false};

	return run_dump(nl, nlh, &c);
}

static int run_dump(struct mnl_socket *nl, struct nlmsghdr *nlh, struct recv_ctx *c)
{
	static uint32_t seq_counter;
	uint32_t seq = __atomic_add_fetch(&seq_counter, 1, __ATOMIC_RELAXED);
	unsigned portid = mnl_socket_get_portid(nl);
	char *buf;
	int rc = -1;

	nlh->nlmsg_seq = seq;
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
		static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {[NLMSG_DONE] = done_cb};

		rc = mnl_cb_run2(buf, (size_t)n, seq, portid, reply_cb, c, ctl, NLMSG_MIN_TYPE);
		if (rc <= MNL_CB_STOP)
			break;
	}
	int err = errno;
	free(buf);
	errno = err;
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
	char *req = malloc(EXPR_BC_MAX + 512);
	struct nlmsghdr *nlh;
	unsigned netid = kind == DIAG_TCP ? NETID_TCP : kind == DIAG_UDP ? NETID_UDP : NETID_RAW;
	int proto = kind == DIAG_TCP ? IPPROTO_TCP : kind == DIAG_UDP ? IPPROTO_UDP : IPPROTO_RAW;
	struct recv_ctx c = {kind, out, o->record, false, false};
	int rc;

	if (!req)
		return -1;
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	put_inet_request(nlh, family, proto, o->filter->states[netid], o);
	rc = run_dump(nl, nlh, &c);
	free(req);
	return rc;
}

/* The IPv6 half of a dump, run in a thread of its own on its own socket. */
struct v6_job {
	const struct collect_opts *o;
	enum diag_kind kind;
	struct sock_list out;
	int rc, err;
};

static void *v6_dump(void *arg)
{
	struct v6_job *j = arg;
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);

	j->rc = -1;
	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0)
		j->rc = dump_inet(nl, AF_INET6, j->kind, j->o, &j->out);
	j->err = errno;
	if (nl)
		mnl_socket_close(nl);
	return NULL;
}

/* Move every entry of from to the end of to (from is left empty). */
static int append(struct sock_list *to, struct sock_list *from)
{
	int rc = 0;

	for (size_t i = 0; i < from->n; i++) {
		struct sock_entry *e = sock_list_add(to);

		if (!e) {
			rc = -1;
			break;
		}
		*e = from->v[i];
		from->v[i].path = NULL;
		from->v[i].extra = NULL;
	}
	sock_list_free(from);
	return rc;
}

/* Stable partition of out->v[first..]: IPv4 entries, then IPv6 ones.
 * Only the IPv6 entries (usually the few) go through a copy; the IPv4 ones
 * close up in place.  Returns 0, or -1 (ENOMEM) with out unchanged. */
static int v6_last(struct sock_list *out, size_t first)
{
	size_t n6 = 0, k, j = 0, v6;
	struct sock_entry *tmp;

	/* Already in order (no IPv6, or none before an IPv4): nothing to move. */
	while (first < out->n && out->v[first].family == AF_INET)
		first++;
	for (v6 = first; v6 < out->n && out->v[v6].family != AF_INET; v6++)
		;
	if (v6 == out->n)
		return 0;
	for (size_t i = first; i < out->n; i++)
		n6 += out->v[i].family != AF_INET;
	if (!(tmp = malloc(n6 * sizeof *tmp))) {
		errno = ENOMEM;
		return -1;
	}
	k = first;
	for (size_t i = first; i < out->n; i++) {
		if (out->v[i].family != AF_INET)
			tmp[j++] = out->v[i];
		else
			out->v[k++] = out->v[i];
	}
	memcpy(out->v + k, tmp, n6 * sizeof *tmp);
	free(tmp);
	return 0;
}

/* TCP, both families in one walk of the kernel's hash tables: the legacy
 * TCPDIAG_GETSOCK dump runs inet_diag with AF_UNSPEC (every family), with
 * the same states, extensions and bytecode; a sock_diag request names one
 * family, so ss walks the tables twice.  Replies come in hash order; the
 * IPv6 ones are moved after the IPv4 ones, the order ss prints.  Returns 0,
 * or -1 with errno and nothing added to out. */
static int dump_tcp_one_walk(struct mnl_socket *nl, const struct collect_opts *o,
                             struct sock_list *out)
{
	char *req = malloc(EXPR_BC_MAX + 512);
	unsigned char ports[128];
	const void *bc = o->bc ? o->bc : ports;
	size_t bclen = o->bc ? o->bclen : diag_port_bytecode(o->filter, ports, sizeof ports);
	struct recv_ctx c = {DIAG_TCP, out, NULL, false, false};
	size_t first = out->n;
	struct inet_diag_req *r;
	struct nlmsghdr *nlh;
	int rc;

	if (!req)
		return -1;
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = TCPDIAG_GETSOCK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof *r);
	r->idiag_family = AF_UNSPEC;
	r->idiag_states = o->filter->states[NETID_TCP];
	r->id.idiag_sport = htons(o->id_sport);
	r->id.idiag_dport = htons(o->id_dport);
	r->idiag_ext = (uint8_t)o->ext;
	if (o->tcpinfo)
		r->idiag_ext |= 1 << (INET_DIAG_INFO - 1);
	if (bclen && !o->id_exact)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, bclen, bc);
	rc = run_dump(nl, nlh, &c);
	free(req);
	if (rc < 0) {
		int err = errno;

		while (out->n > first) {
			struct sock_entry *e = &out->v[--out->n];

			free(e->path);
			free(e->extra);
		}
		errno = err;
		return -1;
	}
	/* Without IPv6 replies the order is right already: no second pass
	 * over the entries. */
	return c.v6 ? v6_last(out, first) : 0;
}

/* Both families: the kernel walks its hash tables once per request, which
 * is most of a filtered listing's time, so the two requests run at once
 * on two sockets (ss sends them one after the other).  A recording keeps
 * one writer: then they run in turn. */
static int dump_both(struct mnl_socket *nl, enum diag_kind kind,
                     const struct collect_opts *o, struct sock_list *out)
{
	struct v6_job j = {o, kind, {NULL, 0, 0}, 0, 0};
	pthread_t t;
	int rc4;

	/* Kernels without the compat dump answer EINVAL or ENOENT: then two. */
	if (kind == DIAG_TCP && !o->record && dump_tcp_one_walk(nl, o, out) == 0)
		return 0;
	if (o->record || pthread_create(&t, NULL, v6_dump, &j) != 0) {
		if (dump_inet(nl, AF_INET, kind, o, out) < 0)
			return -1;
		return dump_inet(nl, AF_INET6, kind, o, out);
	}
	rc4 = dump_inet(nl, AF_INET, kind, o, out);
	int err4 = errno;
	pthread_join(t, NULL);
	if (rc4 < 0 || j.rc < 0) {
		sock_list_free(&j.out);
		errno = rc4 < 0 ? err4 : j.err;
		return -1;
	}
	if (append(out, &j.out) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static int dump_kind(struct mnl_socket *nl, enum diag_kind kind,
                     const struct collect_opts *o, struct sock_list *out);

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t cookie_of(const struct sock_entry *e)
{
	return (uint64_t)e->cookie[1] << 32 | e->cookie[0];
}

void collect_mark_auto(struct sock_list *l, size_t first, const uint64_t *cookies,
                       size_t n)
{
	for (size_t i = first; i < l->n; i++) {
		struct sock_entry *e = &l->v[i];
		uint64_t c = cookie_of(e);

		if (!sock_is_inet(e))
			continue;
		e->auto_known = true;
		e->auto_bound = n && bsearch(&c, cookies, n, sizeof c, cmp_u64);
	}
}

/* The kernel's `autobound` for the inet sockets out[first..] of one kind:
 * the same dump again with the bytecode AUTO alone and no extensions; the
 * sockets it sends (by cookie) are autobound.  User space cannot tell it
 * (the reply has no userlocks), and ss's live answer needs it.  Recorded
 * as "auto COOKIE" lines.  Returns 0, or -1 with errno (out is then as
 * the first dump left it, without the answer). */
static int mark_autobound(struct mnl_socket *nl, enum diag_kind kind,
                          const struct collect_opts *o, struct sock_list *out,
                          size_t first)
{
	static const struct inet_diag_bc_op auto_bc = {INET_DIAG_BC_AUTO, 4, 8};
	struct collect_opts ao = *o;
	struct sock_list got = {NULL, 0, 0};
	uint64_t *cookies;
	int rc = 0;

	ao.bc = &auto_bc;
	ao.bclen = sizeof auto_bc;
	ao.id_exact = false; /* the ports, if any, stay a pre-filter */
	ao.ext = 0;
	ao.tcpinfo = false;
	ao.record = NULL;
	if (o->filter->v4)
		rc = dump_inet(nl, AF_INET, kind, &ao, &got);
	if (rc == 0 && o->filter->v6)
		rc = dump_inet(nl, AF_INET6, kind, &ao, &got);
	if (rc < 0 || !(cookies = malloc((got.n + 1) * sizeof *cookies))) {
		int err = rc < 0 ? errno : ENOMEM;

		sock_list_free(&got);
		errno = err;
		return -1;
	}
	for (size_t i = 0; i < got.n; i++)
		cookies[i] = cookie_of(&got.v[i]);
	qsort(cookies, got.n, sizeof *cookies, cmp_u64);
	collect_mark_auto(out, first, cookies, got.n);
	if (o->record)
		dump_write_auto(o->record, cookies, got.n);
	free(cookies);
	sock_list_free(&got);
	return 0;
}

int collect_netlink_kind(struct mnl_socket *nl, enum diag_kind kind,
                         const struct collect_opts *o, struct sock_list *out)
{
	size_t first = out->n;
	bool inet = kind == DIAG_TCP || kind == DIAG_UDP || kind == DIAG_RAW;

	if (dump_kind(nl, kind, o, out) < 0)
		return -1;
	/* The sockets are in out already: a failed second dump must not send
	 * the caller to /proc for them again.  Without the kernel's answer
	 * they get ss's user-space reading of autobound alone. */
	if (inet && o->mark_auto)
		(void)mark_autobound(nl, kind, o, out, first);
	return 0;
}

/* One kind's dump (inet ones: the families f asks for). */
static int dump_kind(struct mnl_socket *nl, enum diag_kind kind,
                     const struct collect_opts *o, struct sock_list *out)
{
	const struct sock_filter *f = o->filter;
	char req[256];
	struct nlmsghdr *nlh;
	struct recv_ctx c = {kind, out, o->record, false, false};

	if (kind == DIAG_PACKET)
		return collect_packet(nl, o, out);
	if (kind == DIAG_NETLINK)
		return collect_netlink_socks(nl, o, out);
	if (kind != DIAG_UNIX) {
		if (f->v4 && f->v6)
			return dump_both(nl, kind, o, out);
		return dump_inet(nl, f->v4 ? AF_INET : AF_INET6, kind, o, out);
	}
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	put_unix_request(nlh, unix_states(f), o->ext & (1u << (INET_DIAG_SKMEMINFO - 1)),
	                 o->details);
	return run_dump(nl, nlh, &c);
}
