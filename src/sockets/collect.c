/* collect.c — choose the source per kind: netlink sock_diag first, the
 * /proc/net files when the kernel has no sock_diag for that kind. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "sockets/collect.h"

static const char *const kind_label[DIAG_KINDS] = {"tcp",    "udp",    "unix",
                                                   "raw",    "packet", "netlink"};

static bool kind_wanted(enum diag_kind kind, const struct sock_filter *f)
{
	if (kind == DIAG_TCP)
		return f->netids & NETID_BIT(NETID_TCP);
	if (kind == DIAG_UDP)
		return f->netids & NETID_BIT(NETID_UDP);
	if (kind == DIAG_RAW)
		return f->netids & NETID_BIT(NETID_RAW);
	if (kind == DIAG_PACKET)
		return f->netids & NETIDS_PACKET;
	if (kind == DIAG_NETLINK)
		return f->netids & NETID_BIT(NETID_NL);
	return f->netids & NETIDS_UNIX;
}

/* The errors that mean "this kernel cannot answer", not "it failed". */
static bool unavailable(int err)
{
	return err == ENOENT || err == EPROTONOSUPPORT || err == EOPNOTSUPP ||
	       err == EAFNOSUPPORT || err == EACCES || err == EPERM;
}

static int fallback(enum diag_kind kind, const struct collect_opts *o,
                    struct sock_list *out, int why, char *err, size_t errlen)
{
	/* raw_diag is often not loaded (and cannot be from a user namespace):
	 * like ss, read /proc/net/raw without a word. */
	if (!o->force_proc && kind != DIAG_RAW)
		fprintf(stderr,
		        "sockit: netlink sock_diag for %s unavailable (%s); "
		        "reading /proc/net instead\n",
		        kind_label[kind], strerror(why));
	size_t first = out->n;

	if (collect_proc_kind(kind, o, out) == 0) {
		while (first < out->n)
			out->v[first++].from_proc = true;
		return 0;
	}
	snprintf(err, errlen, "/proc/net/%s: %s", kind_label[kind],
	         strerror(errno));
	return -1;
}

int collect_sockets(const struct collect_opts *o, struct sock_list *out, char *err,
                    size_t errlen)
{
	struct mnl_socket *nl = o->force_proc ? NULL : mnl_socket_open(NETLINK_SOCK_DIAG);
	int why = o->force_proc ? 0 : errno;
	int rc = 0;

	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		why = errno;
		mnl_socket_close(nl);
		nl = NULL;
	}
	for (int k = 0; rc == 0 && k < DIAG_KINDS; k++) {
		if (!kind_wanted((enum diag_kind)k, o->filter))
			continue;
		if (!nl)
			rc = fallback((enum diag_kind)k, o, out, why, err, errlen);
		else if (collect_netlink_kind(nl, (enum diag_kind)k, o, out) == 0)
			continue;
		else if (unavailable(errno))
			rc = fallback((enum diag_kind)k, o, out, errno, err, errlen);
		else {
			snprintf(err, errlen, "netlink %s dump: %s",
			         kind_label[k], strerror(errno));
			rc = -1;
		}
	}
	if (nl)
		mnl_socket_close(nl);
	return rc;
}
