/* kill.c — SOCK_DESTROY for each selected socket, one request and one ack
 * at a time over a NETLINK_SOCK_DIAG socket (libmnl). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include "sockets/kill.h"

/* What ss -K asks the kernel about: inet sockets from a sock_diag dump
 * (the request names the socket by its cookie). */
static bool killable(const struct sock_entry *e)
{
	return sock_is_inet(e) && !e->from_proc &&
	       (e->netid == NETID_TCP || e->netid == NETID_UDP || e->netid == NETID_RAW);
}

static uint8_t protocol_of(const struct sock_entry *e)
{
	return e->netid == NETID_TCP ? IPPROTO_TCP
	       : e->netid == NETID_UDP ? IPPROTO_UDP : IPPROTO_RAW;
}

/* One SOCK_DESTROY naming e exactly (addresses, ports, device, cookie).
 * Returns 0, or the errno the kernel answered with. */
static int destroy_one(struct mnl_socket *nl, const struct sock_entry *e, uint32_t seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *r;
	ssize_t n;

	nlh->nlmsg_type = SOCK_DESTROY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof *r);
	r->sdiag_family = e->family;
	r->sdiag_protocol = protocol_of(e);
	/* raw_diag finds the socket by its IP protocol (the "port" of a raw
	 * socket), in the byte inet_diag_req_raw calls sdiag_raw_protocol. */
	if (r->sdiag_protocol == IPPROTO_RAW)
		r->pad = (uint8_t)e->lport;
	r->idiag_states = ~0u;
	r->id.idiag_sport = htons(e->lport);
	r->id.idiag_dport = htons(e->rport);
	memcpy(r->id.idiag_src, e->laddr, 16);
	memcpy(r->id.idiag_dst, e->raddr, 16);
	r->id.idiag_if = e->ifindex;
	r->id.idiag_cookie[0] = e->cookie[0];
	r->id.idiag_cookie[1] = e->cookie[1];
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return errno;
	do
		n = mnl_socket_recvfrom(nl, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	/* The ack is an NLMSG_ERROR; mnl_cb_run turns its code into errno. */
	return mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), NULL, NULL) < 0
	           ? errno
	           : 0;
}

long kill_sockets(struct sock_list *l, size_t *tried, size_t *refused, int *why,
                  char *err, size_t errlen)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	size_t out = 0;
	long killed = 0;

	*tried = 0;
	*refused = 0;
	*why = 0;
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink sock_diag: %s", strerror(errno));
		if (nl)
			mnl_socket_close(nl);
		return -1;
	}
	for (size_t i = 0; i < l->n; i++) {
		struct sock_entry *e = &l->v[i];
		int rc = 0;

		if (killable(e)) {
			(*tried)++;
			if ((rc = destroy_one(nl, e, (uint32_t)i + 1)) == 0)
				killed++;
		}
		if (rc == 0) {
			l->v[out++] = *e;
			continue;
		}
		/* ENOENT: it went away by itself meanwhile — nothing to kill. */
		if (rc != ENOENT) {
			(*refused)++;
			*why = rc;
		}
		free(e->path);
		free(e->extra);
		free(e->icons);
	}
	l->n = out;
	mnl_socket_close(nl);
	return killed;
}
