/* libdemo.c — a program outside the tree built against an installed libsockit
 * through pkg-config: listen on loopback port 0, connect, echo one message. */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sockit/endpoint.h>
#include <sockit/error.h>
#include <sockit/io.h>
#include <sockit/net.h>

/* Accept the one client the demo connects, waiting at most 5 s. */
static int accept_one(int lfd)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);

	if (sk_wait_fd(lfd, POLLIN, 5000) != 1)
		return -1;
	return sk_accept(lfd, &peer, &plen);
}

/* Listen, connect, send a message one way and back, print what came back.
 * Exit 0 when the message survived the round trip, 1 otherwise. */
int main(void)
{
	static const char msg[] = "hello libsockit";
	char err[256], where[SK_ADDRSTRLEN], back[sizeof(msg)];
	struct sk_endpoint ep;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int lfd, cfd, afd;

	if (sk_endpoint_parse(&ep, "tcp://127.0.0.1:0", err, sizeof(err)) < 0 ||
	    (lfd = sk_listen(&ep, 8, 0, err, sizeof(err))) < 0) {
		fprintf(stderr, "libdemo: %s\n", err);
		return 1;
	}
	getsockname(lfd, (struct sockaddr *)&ss, &sslen);
	sk_addr_format_endpoint(SK_TCP, (struct sockaddr *)&ss, sslen, where, sizeof(where));
	if (sk_endpoint_parse(&ep, where, err, sizeof(err)) < 0 ||
	    (cfd = sk_connect(&ep, 5000, err, sizeof(err))) < 0) {
		fprintf(stderr, "libdemo: %s\n", err);
		return 1;
	}
	afd = accept_one(lfd);
	if (afd < 0 || sk_send_all(cfd, msg, sizeof(msg), 5000) < 0 ||
	    sk_recv_exact(afd, back, sizeof(back), 5000) != (ssize_t)sizeof(back) ||
	    sk_send_all(afd, back, sizeof(back), 5000) < 0 ||
	    sk_recv_exact(cfd, back, sizeof(back), 5000) != (ssize_t)sizeof(back) ||
	    memcmp(back, msg, sizeof(msg)) != 0) {
		perror("libdemo: round trip");
		return 1;
	}
	printf("%s via %s\n", back, where);
	close(afd);
	close(cfd);
	close(lfd);
	return 0;
}
