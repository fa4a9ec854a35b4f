/* collect_packet.c — AF_PACKET sockets over netlink packet_diag (libmnl):
 * the request, and the decoding of its replies into sock_entry records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>

#include "sockets/collect.h"

/* The memory counters; the first one is what ss shows as Recv-Q. */
static void take_meminfo(struct sock_entry *e, const struct nlattr *a)
{
	uint32_t mem[9] = {0};
	size_t len = mnl_attr_get_payload_len(a);

	memcpy(mem, mnl_attr_get_payload(a), len < sizeof mem ? len : sizeof mem);
	e->rq = mem[SK_MEMINFO_RMEM_ALLOC];
	if (!e->extra && !(e->extra = calloc(1, sizeof *e->extra)))
		return;
	memcpy(e->extra->skmem, mem, sizeof mem);
	e->extra->has_skmem = true;
}

static int packet_attr_cb(const struct nlattr *a, void *data)
{
	struct sock_entry *e = data;

	if (mnl_attr_type_valid(a, PACKET_DIAG_MAX) <= 0)
		return MNL_CB_OK;
	switch (mnl_attr_get_type(a)) {
	case PACKET_DIAG_INFO:
		if (mnl_attr_get_payload_len(a) >= sizeof(struct packet_diag_info)) {
			const struct packet_diag_info *pi = mnl_attr_get_payload(a);

			e->ifindex = pi->pdi_index;
			e->pk_version = (uint8_t)pi->pdi_version;
			e->pk_copy_thresh = pi->pdi_copy_thresh;
			e->pk_flags = pi->pdi_flags;
			e->has_pkinfo = true;
		}
		break;
	case PACKET_DIAG_MEMINFO:
		take_meminfo(e, a);
		break;
	case PACKET_DIAG_UID:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			e->uid = mnl_attr_get_u32(a);
			e->has_uid = true;
		}
		break;
	}
	return MNL_CB_OK;
}

int packet_diag_parse(const struct nlmsghdr *nlh, struct sock_list *out)
{
	const struct packet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct sock_entry *e;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof *m) || m->pdiag_family != AF_PACKET)
		return 1;
	if (m->pdiag_type != SOCK_RAW && m->pdiag_type != SOCK_DGRAM)
		return 1;
	if (!(e = sock_list_add(out)))
		return -1;
	e->family = AF_PACKET;
	e->netid = m->pdiag_type == SOCK_RAW ? NETID_P_RAW : NETID_P_DGR;
	e->state = ST_CLOSE; /* ss shows every packet socket as UNCONN */
	e->lport = m->pdiag_num; /* the ethertype, in host order */
	e->inode = m->pdiag_ino;
	e->cookie[0] = m->pdiag_cookie[0];
	e->cookie[1] = m->pdiag_cookie[1];
	mnl_attr_parse(nlh, sizeof *m, packet_attr_cb, e);
	return 0;
}

/* Every packet socket is in one state (UNCONN): ask only when f wants it. */
int collect_packet(struct mnl_socket *nl, const struct collect_opts *o,
                   struct sock_list *out)
{
	char req[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct packet_diag_req *r;
	const struct sock_filter *f = o->filter;

	if (!((f->states[NETID_P_RAW] | f->states[NETID_P_DGR]) & STATE_BIT(ST_CLOSE)))
		return 0;
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof *r);
	r->sdiag_family = AF_PACKET;
	r->pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_MEMINFO; /* INFO brings the uid */
	return collect_run_dump(nl, nlh, DIAG_PACKET, o, out);
}
