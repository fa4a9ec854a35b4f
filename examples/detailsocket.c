/* detailsocket.c — the tutorial's detailsocket.py: what getaddrinfo()
 * says about a host and a service, in plain C.
 *
 * usage: detailsocket [HOST [SERVICE]]          (default localhost http)
 *
 * getaddrinfo() turns a name ("localhost", "::1", "example.org") and a
 * service ("http", "80") into a list of ready-to-use socket addresses: one
 * entry per address and socket type, each with the three arguments for
 * socket() (family, type, protocol) and the address for bind()/connect().
 * It replaces gethostbyname(), which knows only IPv4.  AI_CANONNAME asks
 * for the host's canonical name; only the first entry carries it.
 *
 * For each entry we print what Python's socket.getaddrinfo() returns as a
 * tuple, with symbolic names where Python shows bare numbers (6) or enum
 * reprs (<SocketKind.SOCK_STREAM: 1>):
 *     Family        : AF_INET
 *     Type          : SOCK_STREAM
 *     Protocol      : IPPROTO_TCP
 *     Canonical name: 'localhost'
 *     Socket address: ('127.0.0.1', 80)
 * Note that HOST may be looked up over DNS; "localhost" and numeric
 * addresses are answered locally. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The constant's name, or its number when we do not know it. */
static const char *name_of(int value, const int *values, const char *const *names, char *buf)
{
	for (int i = 0; names[i] != NULL; i++)
		if (values[i] == value)
			return names[i];
	sprintf(buf, "%d", value);
	return buf;
}

/* The address as Python shows it: ('127.0.0.1', 80) or ('::1', 80, 0, 0). */
static void print_address(const struct sockaddr *sa)
{
	char ip[INET6_ADDRSTRLEN];
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
		printf("('%s', %u)\n", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
		printf("('%s', %u, %u, %u)\n", ip, ntohs(in6->sin6_port),
		       ntohl(in6->sin6_flowinfo), in6->sin6_scope_id);
	} else {
		printf("(family %d)\n", sa->sa_family);
	}
}

static void print_entry(const struct addrinfo *ai)
{
	static const int fams[] = { AF_INET, AF_INET6, AF_UNIX };
	static const char *const fam_names[] = { "AF_INET", "AF_INET6", "AF_UNIX", NULL };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET };
	static const char *const type_names[] = { "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW",
	                                          "SOCK_SEQPACKET", NULL };
	static const int protos[] = { IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
	static const char *const proto_names[] = { "IPPROTO_IP", "IPPROTO_TCP", "IPPROTO_UDP",
	                                           "IPPROTO_SCTP", NULL };
	char buf[16];
	printf("Family        : %s\n", name_of(ai->ai_family, fams, fam_names, buf));
	printf("Type          : %s\n", name_of(ai->ai_socktype, types, type_names, buf));
	printf("Protocol      : %s\n", name_of(ai->ai_protocol, protos, proto_names, buf));
	printf("Canonical name: '%s'\n", ai->ai_canonname ? ai->ai_canonname : "");
	printf("Socket address: ");
	print_address(ai->ai_addr);
	printf("\n");
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: detailsocket [HOST [SERVICE]]\n"
	"Prints what getaddrinfo() says (default: localhost http).\n";

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
	const char *host = argc > 1 ? argv[1] : "localhost";
	const char *service = argc > 2 ? argv[2] : "http";
	struct addrinfo hints = { .ai_flags = AI_CANONNAME }, *res;
	if (argc > 3) {
		fprintf(stderr, "%s", usage_text);
		return 2;
	}
	/* getaddrinfo() does not use errno: its result code goes through
	 * gai_strerror(). */
	int err = getaddrinfo(host, service, &hints, &res);
	if (err != 0) {
		fprintf(stderr, "detailsocket: getaddrinfo %s %s: %s\n", host, service, gai_strerror(err));
		return 1;
	}
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
		print_entry(ai);
	freeaddrinfo(res);     /* the list was allocated for us: give it back */
	return 0;
}
