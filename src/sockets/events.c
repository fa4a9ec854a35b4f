/* events.c — ss -E: the sock_diag destruction multicast groups, each
 * message decoded, filtered and printed as it comes. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include "sockets/collect.h"
#include "sockets/events.h"

static volatile sig_atomic_t stop_events;

static void on_signal(int sig)
{
	(void)sig;
	stop_events = 1;
}

/* The groups for the netids f selects. */
static unsigned groups_for(const struct sock_filter *f)
{
	unsigned g = 0;

	if (f->netids & NETID_BIT(NETID_TCP))
		g |= (f->v4 ? 1u << (SKNLGRP_INET_TCP_DESTROY - 1) : 0) |
		     (f->v6 ? 1u << (SKNLGRP_INET6_TCP_DESTROY - 1) : 0);
	if (f->netids & NETID_BIT(NETID_UDP))
		g |= (f->v4 ? 1u << (SKNLGRP_INET_UDP_DESTROY - 1) : 0) |
		     (f->v6 ? 1u << (SKNLGRP_INET6_UDP_DESTROY - 1) : 0);
	return g;
}

/* The protocol of an event: its INET_DIAG_PROTOCOL attribute. */
static int proto_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == INET_DIAG_PROTOCOL &&
	    mnl_attr_get_payload_len(a) >= 1)
		*(int *)data = *(const uint8_t *)mnl_attr_get_payload(a);
	return MNL_CB_OK;
}

struct ev_ctx {
	FILE *out;
	const struct events_opts *o;
	long seen;
};

static void print_event(struct ev_ctx *c, const struct sock_entry *e)
{
	if (c->o->json) {
		output_json_object(c->out, e, c->o->out);
		fputc('\n', c->out);
	} else {
		output_text_line(c->out, e, c->o->out, 0, 0);
	}
	fflush(c->out);
	c->seen++;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ev_ctx *c = data;
	struct sock_list l = {NULL, 0, 0};
	int proto = IPPROTO_TCP;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(struct inet_diag_msg), proto_cb, &proto);
	if (diag_parse(nlh, proto == IPPROTO_UDP ? DIAG_UDP : DIAG_TCP, &l) == 0 && l.n == 1) {
		struct sock_entry *e = &l.v[0];
		unsigned id = e->netid;
		bool fam = e->family == AF_INET ? c->o->filter->v4 : c->o->filter->v6;

		if ((c->o->filter->netids & NETID_BIT(id)) && fam && expr_match(c->o->expr, e))
			print_event(c, e);
	}
	sock_list_free(&l);
	return c->o->count && c->seen >= c->o->count ? MNL_CB_STOP : MNL_CB_OK;
}

static int listen_loop(struct mnl_socket *nl, struct ev_ctx *c, char *err, size_t errlen)
{
	static char buf[1 << 16];
	struct pollfd p = {mnl_socket_get_fd(nl), POLLIN, 0};

	while (!stop_events) {
		ssize_t n;
		int rc;

		if (poll(&p, 1, 500) <= 0)
			continue;
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof buf)) < 0) {
			if (errno == EINTR || errno == ENOBUFS) /* overrun: keep going */
				continue;
			snprintf(err, errlen, "sockets: events: %s", strerror(errno));
			return -1;
		}
		rc = mnl_cb_run(buf, (size_t)n, 0, 0, event_cb, c);
		if (rc == MNL_CB_STOP)
			return 0;
	}
	return 0;
}

int events_run(FILE *out, const struct events_opts *o, char *err, size_t errlen)
{
	struct sigaction sa;
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	struct ev_ctx c = {out, o, 0};
	int rc;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!nl || mnl_socket_bind(nl, groups_for(o->filter), MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "sockets: events: netlink sock_diag: %s",
		         strerror(errno));
		if (nl)
			mnl_socket_close(nl);
		return -1;
	}
	fputs("sockit sockets: waiting for socket destruction events\n", stderr);
	fflush(stderr);
	rc = listen_loop(nl, &c, err, errlen);
	mnl_socket_close(nl);
	return rc;
}
