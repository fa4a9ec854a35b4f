/* collect_netlink_diag.c — AF_NETLINK sockets over netlink netlink_diag
 * (libmnl): the request, and the decoding of its replies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netlink_diag.h>
#include <linux/sock_diag.h>

#include "sockets/collect.h"

/* The memory counters: Recv-Q and Send-Q are the allocated memory, as ss
 * shows them; the whole set is kept for -m. */
static void take_meminfo(struct sock_entry *e, const struct nlattr *a)
{
	uint32_t mem[9] = {0};
	size_t len = mnl_attr_get_payload_len(a);

	memcpy(mem, mnl_attr_get_payload(a), len < sizeof mem ? len : sizeof mem);
	e->rq = mem[SK_MEMINFO_RMEM_ALLOC];
	e->wq = mem[SK_MEMINFO_WMEM_ALLOC];
	if (!e->extra && !(e->extra = calloc(1, sizeof *e->extra)))
		return;
	memcpy(e->extra->skmem, mem, sizeof mem);
	e->extra->has_skmem = true;
}

static int nl_attr_cb(const struct nlattr *a, void *data)
{
	struct sock_entry *e = data;

	if (mnl_attr_type_valid(a, NETLINK_DIAG_MAX) <= 0)
		return MNL_CB_OK;
	if (mnl_attr_get_type(a) == NETLINK_DIAG_MEMINFO)
		take_meminfo(e, a);
	/* -e: a bitmap of groups; ss prints its first 32 bits. */
	else if (mnl_attr_get_type(a) == NETLINK_DIAG_GROUPS &&
	         mnl_attr_get_payload_len(a) >= sizeof e->nl_groups)
		memcpy(&e->nl_groups, mnl_attr_get_payload(a), sizeof e->nl_groups);
	return MNL_CB_OK;
}

int netlink_diag_parse(const struct nlmsghdr *nlh, struct sock_list *out)
{
	const struct netlink_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct sock_entry *e;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof *m) || m->ndiag_family != AF_NETLINK)
		return 1;
	if (!(e = sock_list_add(out)))
		return -1;
	e->family = AF_NETLINK;
	e->netid = NETID_NL;
	e->state = ST_CLOSE; /* ss shows every netlink socket as UNCONN */
	e->nl_proto = m->ndiag_protocol;
	e->nl_state = m->ndiag_state;
	e->nl_portid = m->ndiag_portid;
	e->nl_dst_portid = m->ndiag_dst_portid;
	e->nl_dst_group = m->ndiag_dst_group;
	e->inode = m->ndiag_ino;
	e->cookie[0] = m->ndiag_cookie[0];
	e->cookie[1] = m->ndiag_cookie[1];
	mnl_attr_parse(nlh, sizeof *m, nl_attr_cb, e);
	return 0;
}

/* Every netlink socket is in one state (UNCONN): ask only when f wants it. */
int collect_netlink_socks(struct mnl_socket *nl, const struct collect_opts *o,
                          struct sock_list *out)
{
	char req[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct netlink_diag_req *r;

	if (!(o->filter->states[NETID_NL] & STATE_BIT(ST_CLOSE)))
		return 0;
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof *r);
	r->sdiag_family = AF_NETLINK;
	r->sdiag_protocol = NDIAG_PROTO_ALL;
	r->ndiag_show = NDIAG_SHOW_MEMINFO | (o->details ? NDIAG_SHOW_GROUPS : 0);
	return collect_run_dump(nl, nlh, DIAG_NETLINK, o, out);
}
