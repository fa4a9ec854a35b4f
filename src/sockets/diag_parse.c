/* diag_parse.c — decode sock_diag replies (inet_diag_msg, unix_diag_msg and
 * their attributes) into sock_entry records.  Used for live replies and for
 * replayed dumps, so every length is checked. */
#include <stddef.h>
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

/* Whether replies keep the whole tcp_info (-i); set once before a dump. */
bool diag_keep_info;

static void take_tcpinfo(struct sock_entry *e, const struct nlattr *a)
{
	struct tcp_info ti;
	size_t len = mnl_attr_get_payload_len(a);

	/* Older kernels send a shorter struct; missing fields stay zero. */
	memset(&ti, 0, sizeof ti);
	memcpy(&ti, mnl_attr_get_payload(a), len < sizeof ti ? len : sizeof ti);
	e->has_tcpinfo = true;
	e->ti.rtt_us = ti.tcpi_rtt;
	e->ti.rttvar_us = ti.tcpi_rttvar;
	e->ti.snd_cwnd = ti.tcpi_snd_cwnd;
	e->ti.retransmits = ti.tcpi_retransmits;
	e->ti.total_retrans = ti.tcpi_total_retrans;
	e->ti.bytes_sent = ti.tcpi_bytes_sent;
	e->ti.bytes_acked = ti.tcpi_bytes_acked;
	e->ti.bytes_received = ti.tcpi_bytes_received;
}

/* The record for -m/-i, made on first need; NULL when out of memory (the
 * extra fields are then just missing). */
static struct sock_extra *extra_of(struct sock_entry *e)
{
	if (!e->extra)
		e->extra = calloc(1, sizeof *e->extra);
	return e->extra;
}

static void take_skmem(struct sock_entry *e, const struct nlattr *a)
{
	struct sock_extra *x = extra_of(e);
	size_t len = mnl_attr_get_payload_len(a);

	if (!x)
		return;
	memcpy(x->skmem, mnl_attr_get_payload(a),
	       len < sizeof x->skmem ? len : sizeof x->skmem);
	x->has_skmem = true;
}

/* The whole tcp_info for -i (the -e subset is taken by take_tcpinfo). */
static void take_fullinfo(struct sock_entry *e, const struct nlattr *a)
{
	struct sock_extra *x = extra_of(e);
	size_t len = mnl_attr_get_payload_len(a);

	if (!x)
		return;
	memcpy(x->info, mnl_attr_get_payload(a), len < sizeof x->info ? len : sizeof x->info);
	x->has_info = true;
}

static void take_cong(struct sock_entry *e, const struct nlattr *a)
{
	struct sock_extra *x = extra_of(e);
	size_t len = mnl_attr_get_payload_len(a);

	if (!x)
		return;
	if (len >= sizeof x->cong)
		len = sizeof x->cong - 1;
	memcpy(x->cong, mnl_attr_get_payload(a), len);
	x->cong[len] = '\0';
	/* A module name; from a replayed dump it could be anything, and it is
	 * printed into JSON: keep only [a-z0-9_-]. */
	x->cong[strspn(x->cong, "abcdefghijklmnopqrstuvwxyz0123456789_-")] = '\0';
}

static void take_bbr(struct sock_entry *e, const struct nlattr *a)
{
	struct sock_extra *x;
	struct tcp_bbr_info b;

	if (mnl_attr_get_payload_len(a) < sizeof b || !(x = extra_of(e)))
		return;
	memcpy(&b, mnl_attr_get_payload(a), sizeof b);
	x->has_bbr = true;
	x->bbr_bw = (uint64_t)b.bbr_bw_hi << 32 | b.bbr_bw_lo;
	x->bbr_min_rtt_us = b.bbr_min_rtt;
	x->bbr_pacing_gain = b.bbr_pacing_gain;
	x->bbr_cwnd_gain = b.bbr_cwnd_gain;
}

/* DCTCP's and Vegas's congestion state (-i), as ss reads them. */
static void take_dctcp(struct sock_entry *e, const struct nlattr *a)
{
	struct sock_extra *x;
	struct tcp_dctcp_info d;

	if (mnl_attr_get_payload_len(a) < sizeof d || !(x = extra_of(e)))
		return;
	memcpy(&d, mnl_attr_get_payload(a), sizeof d);
	x->has_dctcp = true;
	x->dctcp_enabled = d.dctcp_enabled != 0;
	x->dctcp_ce_state = d.dctcp_ce_state;
	x->dctcp_alpha = d.dctcp_alpha;
	x->dctcp_ab_ecn = d.dctcp_ab_ecn;
	x->dctcp_ab_tot = d.dctcp_ab_tot;
}

static void take_vegas(struct sock_entry *e, const struct nlattr *a)
{
	struct sock_extra *x;
	struct tcpvegas_info v;

	if (mnl_attr_get_payload_len(a) < sizeof v || !(x = extra_of(e)))
		return;
	memcpy(&v, mnl_attr_get_payload(a), sizeof v);
	/* ss takes Vegas's rtt for the send rate when it is measured. */
	if (v.tcpv_enabled && v.tcpv_rtt && v.tcpv_rtt != 0x7fffffff)
		x->vegas_rtt_us = v.tcpv_rtt;
}

struct inet_ctx {
	struct sock_entry *e;
	bool full; /* keep the whole tcp_info (-i) */
};

/* Whether a's payload holds at least n bytes. */
static bool payload_has(const struct nlattr *a, size_t n)
{
	return a->nla_len >= NLA_HDRLEN + n;
}

static void inet_attr(const struct nlattr *a, struct inet_ctx *c)
{
	switch (a->nla_type & NLA_TYPE_MASK) {
	case INET_DIAG_INFO:
		take_tcpinfo(c->e, a);
		if (c->full)
			take_fullinfo(c->e, a);
		break;
	case INET_DIAG_SKMEMINFO:
		take_skmem(c->e, a);
		break;
	case INET_DIAG_CONG:
		take_cong(c->e, a);
		break;
	case INET_DIAG_BBRINFO:
		take_bbr(c->e, a);
		break;
	case INET_DIAG_DCTCPINFO:
		take_dctcp(c->e, a);
		break;
	case INET_DIAG_VEGASINFO:
		take_vegas(c->e, a);
		break;
	case INET_DIAG_SKV6ONLY:
		if (payload_has(a, 1)) {
			c->e->v6only = *(const uint8_t *)mnl_attr_get_payload(a) != 0;
			c->e->has_v6only = true;
		}
		break;
	case INET_DIAG_SHUTDOWN:
		if (payload_has(a, 1)) {
			c->e->shutdown = *(const uint8_t *)mnl_attr_get_payload(a);
			c->e->has_shutdown = true;
		}
		break;
	case INET_DIAG_MARK:
		if (payload_has(a, 4))
			memcpy(&c->e->mark, mnl_attr_get_payload(a), 4);
		break;
	case INET_DIAG_CGROUP_ID:
		if (payload_has(a, 8))
			memcpy(&c->e->cgroup_id, mnl_attr_get_payload(a), 8);
		break;
	}
}

/* The attributes after the inet_diag_msg, each checked against what is
 * left of the message (a listing walks thousands: no callback per one). */
static void inet_attrs(const struct nlmsghdr *nlh, struct inet_ctx *c)
{
	const unsigned char *p = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct inet_diag_msg));
	const unsigned char *end = (const unsigned char *)nlh + nlh->nlmsg_len;

	while (end - p >= (ptrdiff_t)NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > end - p)
			break;
		inet_attr(a, c);
		p += NLA_ALIGN(a->nla_len);
	}
}

static int parse_inet(const struct nlmsghdr *nlh, enum diag_kind kind,
                      struct sock_list *out)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct sock_entry *e;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof *m))
		return 1;
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return 1;
	if (!(e = sock_list_add(out)))
		return -1;
	e->family = m->idiag_family;
	e->netid = kind == DIAG_TCP ? NETID_TCP : kind == DIAG_UDP ? NETID_UDP : NETID_RAW;
	e->state = m->idiag_state;
	e->lport = ntohs(m->id.idiag_sport);
	e->rport = ntohs(m->id.idiag_dport);
	memcpy(e->laddr, m->id.idiag_src, 16);
	memcpy(e->raddr, m->id.idiag_dst, 16);
	e->rq = m->idiag_rqueue;
	e->wq = m->idiag_wqueue;
	e->uid = m->idiag_uid;
	/* TIME-WAIT and request sockets are not full sockets: no uid to show. */
	e->has_uid = e->state != ST_TIME_WAIT && e->state != ST_NEW_SYN_RECV;
	e->inode = m->idiag_inode;
	e->ifindex = m->id.idiag_if;
	e->cookie[0] = m->id.idiag_cookie[0];
	e->cookie[1] = m->id.idiag_cookie[1];
	e->timer = m->idiag_timer;
	e->retrans = m->idiag_retrans;
	e->expires = m->idiag_expires;
	struct inet_ctx c = {e, diag_keep_info};
	inet_attrs(nlh, &c);
	return 0;
}

/* A UNIX name: a path, or "@" + the abstract name (which starts with NUL
 * and is not terminated).  The kernel bounds it by sun_path's 108 bytes. */
static void take_unix_name(struct sock_entry *e, const struct nlattr *a)
{
	const char *name = mnl_attr_get_payload(a);
	size_t len = mnl_attr_get_payload_len(a);
	char *path;

	if (len == 0 || len > 108 || e->path)
		return;
	if (!(path = malloc(len + 1)))
		return;
	memcpy(path, name, len);
	path[len] = '\0';
	if (path[0] == '\0')
		path[0] = '@';
	e->path = path;
}

/* -e: a listener's queue of connections not yet accepted, as inodes. */
static void take_unix_icons(struct sock_entry *e, const struct nlattr *a)
{
	size_t n = mnl_attr_get_payload_len(a) / sizeof(uint32_t);

	if (e->has_icons)
		return;
	e->has_icons = true;
	if (n && (e->icons = malloc(n * sizeof *e->icons))) {
		memcpy(e->icons, mnl_attr_get_payload(a), n * sizeof *e->icons);
		e->n_icons = (uint32_t)n;
	}
}

static void take_unix_vfs(struct sock_entry *e, const struct nlattr *a)
{
	struct unix_diag_vfs v;

	if (mnl_attr_get_payload_len(a) < sizeof v)
		return;
	memcpy(&v, mnl_attr_get_payload(a), sizeof v);
	e->vfs_ino = v.udiag_vfs_ino;
	e->vfs_dev = v.udiag_vfs_dev;
	e->has_vfs = true;
}

static int unix_attr_cb(const struct nlattr *a, void *data)
{
	struct sock_entry *e = data;

	if (mnl_attr_type_valid(a, UNIX_DIAG_MAX) <= 0)
		return MNL_CB_OK;
	switch (mnl_attr_get_type(a)) {
	case UNIX_DIAG_NAME:
		take_unix_name(e, a);
		break;
	case UNIX_DIAG_PEER:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			e->peer_inode = mnl_attr_get_u32(a);
		break;
	case UNIX_DIAG_RQLEN:
		if (mnl_attr_get_payload_len(a) >= sizeof(struct unix_diag_rqlen)) {
			const struct unix_diag_rqlen *q = mnl_attr_get_payload(a);

			e->rq = q->udiag_rqueue;
			e->wq = q->udiag_wqueue;
		}
		break;
	case UNIX_DIAG_MEMINFO:
		take_skmem(e, a);
		break;
	case UNIX_DIAG_SHUTDOWN:
		if (mnl_attr_get_payload_len(a) >= 1) {
			e->shutdown = *(const uint8_t *)mnl_attr_get_payload(a);
			e->has_shutdown = true;
		}
		break;
	case UNIX_DIAG_VFS:
		take_unix_vfs(e, a);
		break;
	case UNIX_DIAG_ICONS:
		take_unix_icons(e, a);
		break;
	case UNIX_DIAG_UID:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			e->uid = mnl_attr_get_u32(a);
			e->has_uid = true;
		}
		break;
	}
	return MNL_CB_OK;
}

static int unix_netid(unsigned type)
{
	switch (type) {
	case SOCK_STREAM:
		return NETID_U_STR;
	case SOCK_DGRAM:
		return NETID_U_DGR;
	case SOCK_SEQPACKET:
		return NETID_U_SEQ;
	}
	return -1;
}

static int parse_unix(const struct nlmsghdr *nlh, struct sock_list *out)
{
	const struct unix_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct sock_entry *e;
	int netid;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof *m) || m->udiag_family != AF_UNIX)
		return 1;
	if ((netid = unix_netid(m->udiag_type)) < 0)
		return 1;
	if (!(e = sock_list_add(out)))
		return -1;
	e->family = AF_UNIX;
	e->netid = (uint8_t)netid;
	e->state = m->udiag_state;
	e->inode = m->udiag_ino;
	mnl_attr_parse(nlh, sizeof *m, unix_attr_cb, e);
	return 0;
}

int diag_parse(const struct nlmsghdr *nlh, enum diag_kind kind, struct sock_list *out)
{
	if (nlh->nlmsg_len < NLMSG_HDRLEN)
		return 1;
	/* TCP's one-walk dump answers with the legacy TCPDIAG_GETSOCK type. */
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY &&
	    !(kind == DIAG_TCP && nlh->nlmsg_type == TCPDIAG_GETSOCK))
		return 1;
	switch (kind) {
	case DIAG_UNIX:
		return parse_unix(nlh, out);
	case DIAG_PACKET:
		return packet_diag_parse(nlh, out);
	case DIAG_NETLINK:
		return netlink_diag_parse(nlh, out);
	default:
		return parse_inet(nlh, kind, out);
	}
}
