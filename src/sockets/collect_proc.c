/* collect_proc.c — the fallback when netlink sock_diag is unavailable:
 * parse /proc/net/{tcp,tcp6,udp,udp6,unix}.  Less detail (no TCP info, no
 * UNIX peers or queues); the caller filters as usual. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockets/collect.h"

/* /proc prints each 32-bit word of an address with %08X in host order. */
static int parse_addr(const char *hex, size_t words, uint8_t out[16])
{
	for (size_t i = 0; i < words; i++) {
		char word[9];
		char *end;
		uint32_t v;

		memcpy(word, hex + 8 * i, 8);
		word[8] = '\0';
		v = (uint32_t)strtoul(word, &end, 16);
		if (*end)
			return -1;
		memcpy(out + 4 * i, &v, 4);
	}
	return 0;
}

static int parse_inet_line(const char *line, int family, unsigned netid,
                           struct sock_entry *e)
{
	char local[40], remote[40];
	unsigned lport, rport, state, tx, rx, uid;
	unsigned long inode;
	size_t words = family == AF_INET ? 1 : 4;

	if (sscanf(line,
	           " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %x:%x %*x:%*x %*x %u "
	           "%*d %lu",
	           local, &lport, remote, &rport, &state, &tx, &rx, &uid, &inode) != 9)
		return -1;
	if (strlen(local) != 8 * words || strlen(remote) != 8 * words ||
	    parse_addr(local, words, e->laddr) < 0 ||
	    parse_addr(remote, words, e->raddr) < 0)
		return -1;
	e->family = (uint8_t)family;
	e->netid = (uint8_t)netid;
	e->state = (uint8_t)state;
	e->lport = (uint16_t)lport;
	e->rport = (uint16_t)rport;
	e->rq = rx;
	e->wq = tx;
	e->uid = uid;
	e->has_uid = true;
	e->inode = (uint32_t)inode;
	return 0;
}

static int read_inet(const char *path, int family, unsigned netid, struct sock_list *out)
{
	FILE *f = fopen(path, "r");
	char line[512];
	struct sock_entry e;

	if (!f)
		return -1;
	if (!fgets(line, sizeof line, f)) /* the column titles */
		line[0] = '\0';
	while (fgets(line, sizeof line, f)) {
		struct sock_entry *slot;

		memset(&e, 0, sizeof e);
		if (parse_inet_line(line, family, netid, &e) < 0)
			continue;
		if (!(slot = sock_list_add(out))) {
			fclose(f);
			errno = ENOMEM;
			return -1;
		}
		*slot = e;
	}
	fclose(f);
	return 0;
}

/* /proc/net/unix: socket states (SS_*), not TCP states; a listener has
 * __SO_ACCEPTCON (1 << 16) in Flags. */
static int parse_unix_line(const char *line, struct sock_entry *e, char *path,
                           size_t pathlen)
{
	unsigned long flags, inode;
	unsigned type, st;
	int used = 0;

	if (sscanf(line, "%*x: %*x %*x %lx %x %x %lu%n", &flags, &type, &st, &inode,
	           &used) != 4)
		return -1;
	switch (type) {
	case SOCK_STREAM:
		e->netid = NETID_U_STR;
		break;
	case SOCK_DGRAM:
		e->netid = NETID_U_DGR;
		break;
	case SOCK_SEQPACKET:
		e->netid = NETID_U_SEQ;
		break;
	default:
		return -1;
	}
	e->family = AF_UNIX;
	e->state = (flags & (1ul << 16)) ? ST_LISTEN
	           : st == 3             ? ST_ESTABLISHED
	                                 : ST_CLOSE;
	e->inode = (uint32_t)inode;
	snprintf(path, pathlen, "%s", line + used + strspn(line + used, " "));
	path[strcspn(path, "\n")] = '\0';
	return 0;
}

static int read_unix(struct sock_list *out)
{
	FILE *f = fopen("/proc/net/unix", "r");
	char line[512], path[256];
	struct sock_entry e, *slot;

	if (!f)
		return -1;
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	while (fgets(line, sizeof line, f)) {
		memset(&e, 0, sizeof e);
		if (parse_unix_line(line, &e, path, sizeof path) < 0)
			continue;
		if (!(slot = sock_list_add(out)) ||
		    (path[0] && !(e.path = strdup(path)))) {
			fclose(f);
			errno = ENOMEM;
			return -1;
		}
		*slot = e;
	}
	fclose(f);
	return 0;
}

int collect_proc_kind(enum diag_kind kind, const struct collect_opts *o,
                      struct sock_list *out)
{
	const struct sock_filter *f = o->filter;
	static const char *const files[][2] = {
	    [DIAG_TCP] = {"/proc/net/tcp", "/proc/net/tcp6"},
	    [DIAG_UDP] = {"/proc/net/udp", "/proc/net/udp6"},
	    [DIAG_RAW] = {"/proc/net/raw", "/proc/net/raw6"},
	};
	static const unsigned netids[] = {
	    [DIAG_TCP] = NETID_TCP, [DIAG_UDP] = NETID_UDP, [DIAG_RAW] = NETID_RAW};
	const char *v4, *v6;
	unsigned netid;

	if (kind == DIAG_UNIX)
		return read_unix(out);
	/* Packet and netlink sockets have no /proc fallback here. */
	if (kind == DIAG_PACKET || kind == DIAG_NETLINK)
		return 0;
	v4 = files[kind][0];
	v6 = files[kind][1];
	netid = netids[kind];
	if (f->v4 && read_inet(v4, AF_INET, netid, out) < 0)
		return -1;
	/* No IPv6 in the kernel means no tcp6 file and no IPv6 sockets. */
	if (f->v6 && read_inet(v6, AF_INET6, netid, out) < 0 && errno != ENOENT)
		return -1;
	return 0;
}
