/* targets.h — scan targets: host names, IPv4/IPv6 addresses and CIDR
 * blocks, expanded into a bounded list of hosts. */
#ifndef SCAN_TARGETS_H
#define SCAN_TARGETS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Most hosts one scan may hold: a /16 of IPv4 or a /112 of IPv6. */
#define TARGETS_MAX_HOSTS 65536u

struct scan_host {
	sa_family_t family;            /* AF_INET or AF_INET6 */
	uint32_t scope;                /* IPv6 scope id (link-local) */
	uint8_t addr[16];              /* network byte order; 4 used for v4 */
};

struct target_list {
	struct scan_host *hosts;
	size_t count, cap;
};

enum { TARGET_OK = 0, TARGET_BAD = -1, TARGET_UNRESOLVED = -2 };

/* Add one target: a name (first address; family AF_INET/AF_INET6 to
 * insist on one, AF_UNSPEC for any), an address (IPv6 optionally in
 * brackets, with %scope), or ADDR/PREFIX (all addresses of the block,
 * network and broadcast included, as nmap does).  Returns TARGET_OK;
 * TARGET_BAD for malformed text or too many hosts; TARGET_UNRESOLVED when
 * a name does not resolve.  err says why ("target '10.0.0.0/8': 16777216
 * addresses, at most 65536"). */
int targets_add(struct target_list *tl, const char *text, int family,
                char *err, size_t errlen);

void targets_free(struct target_list *tl);

/* Socket address of host h at port. */
socklen_t host_sockaddr(const struct scan_host *h, uint16_t port,
                        struct sockaddr_storage *ss);

/* Text of host h ("127.0.0.1", "::1", "fe80::1%2"); returns buf. */
char *host_format(const struct scan_host *h, char *buf, size_t len);

#endif
