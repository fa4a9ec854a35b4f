/* udp_echo_server.c — the tutorial's "Echo Server UDP", in plain C.
 *
 * usage: udp_echo_server [-n COUNT] [HOST [PORT]]    (default 127.0.0.1 5555)
 *
 * Each datagram that arrives goes straight back to the address it came
 * from.  There are no connections in UDP: one socket talks to everyone,
 * and recvfrom() tells us who sent each datagram.  PORT 0 lets the kernel
 * choose; the first line on stdout names it ("listening
 * udp://127.0.0.1:40123 echo").  -n COUNT stops after COUNT datagrams;
 * SIGINT or SIGTERM stop the server.
 *
 * Where the tutorial's Python goes wrong: recvfrom(1024) silently cuts
 * any longer datagram to 1024 bytes, and the rest is gone for good (UDP
 * keeps message boundaries, unlike TCP, so there is no "next read" that
 * would return it).  We use a buffer as large as the largest possible
 * datagram (65,507 bytes of payload over IPv4). */
#define _GNU_SOURCE      /* for ppoll() */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *call)
{
	fprintf(stderr, "udp_echo_server: %s: %s\n", call, strerror(errno));
	return -1;
}

static volatile sig_atomic_t stopping;   /* set by SIGINT/SIGTERM */
static sigset_t wait_mask;               /* the signal mask while we wait */

static void on_signal(int sig) { (void)sig; stopping = 1; }

/* Catch SIGINT and SIGTERM but keep them blocked, except while we wait
 * in ppoll().  Checking `stopping` and then calling recvfrom() would leave
 * a window in which a signal lands after the check and the server sleeps
 * on; ppoll() unblocks the signals and waits in one atomic step. */
static int catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &wait_mask) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return -1;
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	return 0;
}

/* Wait until fd is readable.  Returns 1 then, 0 once a signal has asked
 * us to stop, -1 on an error. */
static int wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (!stopping) {
		if (ppoll(&p, 1, NULL, &wait_mask) >= 0)
			return 1;
		if (errno != EINTR)
			return fail("ppoll");
	}
	return 0;
}

/* Receive one datagram and send it back.  Returns 0, or -1 on a fatal error. */
static int echo_one(int fd)
{
	static char buf[65536];             /* the largest UDP payload fits */
	struct sockaddr_in peer;
	socklen_t plen = sizeof peer;
	char ip[INET_ADDRSTRLEN];
	/* One recvfrom() returns exactly one datagram, and who sent it. */
	ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen);
	if (n < 0)
		return fail("recvfrom");
	inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
	printf("%zd bytes from %s:%u\n", n, ip, ntohs(peer.sin_port));
	fflush(stdout);
	/* A datagram goes out whole or not at all: no short writes in UDP. */
	if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen) < 0 && errno != EINTR)
		fail("sendto");   /* one client's trouble is not fatal */
	return 0;
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: udp_echo_server [-n COUNT] [HOST [PORT]]\n"
	"Default: 127.0.0.1 5555; -n: stop after COUNT datagrams.\n";

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof addr;
	long count = 0, port = 5555;
	char *end = "";
	int opt, rc = 0;
	while ((opt = getopt(argc, argv, "n:")) != -1)
		if (opt != 'n' || (count = strtol(optarg, &end, 10)) <= 0 || *end)
			goto usage;
	const char *host = optind < argc ? argv[optind] : "127.0.0.1";
	if (optind + 1 < argc)
		port = strtol(argv[optind + 1], &end, 10);
	if (argc - optind > 2 || *end || port < 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		goto usage;
	addr.sin_port = htons((unsigned short)port);

	if (catch_signals() < 0) {
		fail("sigaction");
		return 1;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		fail("socket");
		return 1;
	}
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		fail("bind");
		close(fd);
		return 1;
	}
	if (getsockname(fd, (struct sockaddr *)&addr, &alen) < 0) {   /* which port? */
		fail("getsockname");
		close(fd);
		return 1;
	}
	printf("listening udp://%s:%u echo\n", host, ntohs(addr.sin_port));
	fflush(stdout);
	/* Sleep in ppoll() until a datagram is waiting or a signal says stop. */
	for (long n = 0; (count == 0 || n < count) && (rc = wait_readable(fd)) > 0; n++)
		if ((rc = echo_one(fd)) < 0)
			break;
	close(fd);
	return rc < 0 ? 1 : 0;
usage:
	fprintf(stderr, "%s", usage_text);
	return 2;
}
