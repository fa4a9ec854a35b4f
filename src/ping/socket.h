/* socket.h — the ICMP sockets: an unprivileged ping socket where the
 * system allows it, a raw socket otherwise; receiving replies with their
 * TTL and kernel time stamp, and ICMP errors from the error queue. */
#ifndef PING_SOCKET_H
#define PING_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ping/ping.h"

/* Open ps for family (AF_INET/AF_INET6): a ping socket (SOCK_DGRAM) first,
 * then SOCK_RAW; non-blocking, SO_TIMESTAMPNS, IP(V6)_RECVERR, the TTL /
 * hop limit of ttl (-1: leave it), bound to iface (a name or an address;
 * NULL none).  Returns 0, or -1 with err naming both reasons and the
 * sysctl when neither kind may be opened. */
int ping_socket_open(struct ping_socket *ps, int family, int ttl, const char *iface,
                     char *err, size_t errlen);

void ping_socket_close(struct ping_socket *ps);

/* Set on a socket: receive errors (IP_RECVERR / IPV6_RECVERR), the TTL
 * / hop limit of ttl (-1 leaves it), kernel time stamps, iface binding.
 * Shared with the UDP transport.  0, or -1 with err. */
int ping_sockopts(int fd, int family, int ttl, const char *iface, bool dgram, char *err,
                  size_t errlen);

/* One received datagram's envelope. */
struct ping_rx {
	struct sockaddr_storage from;
	socklen_t fromlen;
	int ttl;           /* from control data; -1 none */
	uint64_t stamp_ns; /* kernel receive time (realtime); 0 none */
};

/* recvmsg one datagram into buf; -1 with errno (EAGAIN: nothing queued). */
ssize_t ping_recv(int fd, uint8_t *buf, size_t cap, struct ping_rx *rx);

/* One entry of the error queue. */
struct ping_errmsg {
	bool icmp; /* from an ICMP message; else a local error */
	int err;   /* the errno it means */
	uint8_t type, code;
	uint32_t info;
	struct sockaddr_storage offender; /* who sent the ICMP error */
	struct sockaddr_storage dst;      /* where the failed packet went */
	uint8_t payload[64];              /* the start of the packet that failed */
	size_t payload_len;
};

/* Read one error-queue entry.  1 read, 0 queue empty, -1 error. */
int ping_recv_err(int fd, struct ping_errmsg *em);

/* Realtime now in ns (the clock kernel time stamps use). */
uint64_t ping_realtime_ns(void);

#endif
