/* endpoint.h — the endpoint notation of DESIGN.md: parse, resolve, format. */
#ifndef SOCKIT_ENDPOINT_H
#define SOCKIT_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "sockit/parse.h"

enum sk_transport { SK_TCP, SK_UDP, SK_UNIX, SK_UNIXGRAM };

#define SK_HOSTLEN 256
#define SK_PORTLEN 64
#define SK_PATHLEN sizeof(((struct sockaddr_un *)0)->sun_path)
/* Longest formatted endpoint or address ("unixgram:" + path, or a
 * "udp://[v6%scope]:port"). */
#define SK_ADDRSTRLEN 160

/* A parsed endpoint.  For tcp/udp, host is the name or address without
 * brackets ("" when wildcard) and port the service text as given; for
 * unix/unixgram, path is the file path, or "@name" for the abstract
 * namespace. */
struct sk_endpoint {
	enum sk_transport transport;
	bool wildcard;                 /* host was "*": all addresses, dual-stack */
	char host[SK_HOSTLEN];
	char port[SK_PORTLEN];
	char path[SK_PATHLEN];
};

/* Parse one endpoint: tcp://HOST:PORT, udp://HOST:PORT, unix:PATH,
 * unix:@NAME, unixgram:PATH, or bare HOST:PORT (TCP).  HOST may be a name,
 * an IPv4 address, [IPv6] or *; PORT a number 0-65535 or a service name.
 * Returns 0, or -1 with err naming the bad part
 * ("endpoint 'tcp://x:99999': port '99999' out of range 0-65535"). */
int sk_endpoint_parse(struct sk_endpoint *ep, const char *text,
                      char *err, size_t errlen);

/* Whether the transport is a datagram one (udp, unixgram). */
bool sk_endpoint_is_dgram(const struct sk_endpoint *ep);

/* Whether the transport is AF_UNIX. */
bool sk_endpoint_is_unix(const struct sk_endpoint *ep);

/* Write the canonical text of ep into buf ("tcp://[::1]:80", "unix:@x").
 * Returns buf. */
char *sk_endpoint_format(const struct sk_endpoint *ep, char *buf, size_t len);

/* Resolve a tcp/udp endpoint with getaddrinfo (AI_PASSIVE when passive);
 * a wildcard gives "::" then "0.0.0.0".  Returns 0 and a list to free with
 * freeaddrinfo, or -1 with err ("resolve nosuch: Name or service not
 * known"). */
int sk_endpoint_resolve(const struct sk_endpoint *ep, bool passive,
                        struct addrinfo **res, char *err, size_t errlen);

/* Fill a sockaddr_un for a unix/unixgram endpoint; returns its length
 * (abstract names are not NUL-terminated, so the length matters). */
socklen_t sk_endpoint_unix_addr(const struct sk_endpoint *ep,
                                struct sockaddr_un *sun);

/* Format a socket address without a scheme: "127.0.0.1:80", "[::1]:80",
 * "[fe80::1%2]:80", a UNIX path, "@NAME" (abstract) or "(unnamed)".
 * Returns buf. */
char *sk_addr_format(const struct sockaddr *sa, socklen_t salen,
                     char *buf, size_t len);

/* Format a bound socket address as an endpoint of the given transport
 * ("tcp://127.0.0.1:40123", "unixgram:/tmp/x").  Returns buf. */
char *sk_addr_format_endpoint(enum sk_transport t, const struct sockaddr *sa,
                              socklen_t salen, char *buf, size_t len);

/* Parse a port: a number 0-65535 or a service name from /etc/services for
 * proto ("tcp"/"udp").  Returns the port in host byte order, or -1. */
int sk_parse_port(const char *text, const char *proto);

#endif
