/* caesar_server.c — the tutorial's Caesar-cipher server, in plain C.
 *
 * usage: caesar_server [-n COUNT] [HOST [PORT]]      (default 127.0.0.1 5555)
 *
 * Protocol: the client sends "e" (encrypt) or "d" (decrypt), a two-digit
 * shift and the text, ended by a '.': "e10isi pesan."  The server answers
 * with the result and a '.': "scs zockx."  Letters shift around the
 * alphabet; everything else passes through.  Several requests may follow
 * one another on one connection.  A malformed request gets one reply
 * "error: <why>." and the connection is closed.
 *
 * PORT 0 lets the kernel choose; the first line on stdout names it
 * ("listening tcp://127.0.0.1:40123 caesar").  -n COUNT stops after COUNT
 * clients; SIGINT or SIGTERM stop the server once the current client is
 * done.
 *
 * Where the tutorial's Python goes wrong: a request like "eXYabc." makes
 * int(msg[1:3]) raise ValueError, which kills the whole server, not just
 * that client; and it reads requests one byte per system call with no
 * size limit (see frame.c). */
#define _GNU_SOURCE      /* for ppoll() */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"

#define MAX_REQUEST 4096

static int fail(const char *call)
{
	fprintf(stderr, "caesar_server: %s: %s\n", call, strerror(errno));
	return -1;
}

static volatile sig_atomic_t stopping;   /* set by SIGINT/SIGTERM */
static sigset_t wait_mask;               /* the signal mask while we wait */

static void on_signal(int sig) { (void)sig; stopping = 1; }

/* Catch SIGINT and SIGTERM but keep them blocked, except while we wait
 * in ppoll().  Checking `stopping` and then calling accept() would leave
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

/* Shift ASCII letters by shift places (0..25), in place. */
static void caesar(char *s, size_t len, int shift)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)('a' + (s[i] - 'a' + shift) % 26);
		else if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)('A' + (s[i] - 'A' + shift) % 26);
	}
}

/* Turn the request req[0..len) (ending in '.') into its reply, in place.
 * Returns NULL, or the reason the request is malformed. */
static const char *answer(char *req, size_t len)
{
	if (len < 4)
		return "request too short";
	if (req[0] != 'e' && req[0] != 'd')
		return "mode must be e or d";
	if (!isdigit((unsigned char)req[1]) || !isdigit((unsigned char)req[2]))
		return "shift must be two digits";
	int shift = ((req[1] - '0') * 10 + (req[2] - '0')) % 26;
	caesar(req + 3, len - 3, req[0] == 'e' ? shift : (26 - shift) % 26);
	return NULL;
}

/* Serve requests until the client closes or sends something bad. */
static void serve_client(int fd)
{
	static char req[MAX_REQUEST];
	char err[80];
	struct reader r;
	reader_init(&r, fd);
	for (;;) {
		ssize_t n = recv_until(&r, '.', req, sizeof req);
		if (n == 0)
			return;                 /* the client closed between requests */
		if (n < 0 && errno != EMSGSIZE) {
			fail("recv");           /* EPROTO: it closed mid-request */
			return;
		}
		const char *why = n < 0 ? "request too long" : answer(req, (size_t)n);
		if (why != NULL) {
			/* One error line, then hang up: after a malformed request we
			 * cannot tell where the next one would start. */
			snprintf(err, sizeof err, "error: %s.", why);
			if (send_all(fd, err, strlen(err)) < 0)
				fail("send");
			return;
		}
		if (send_all(fd, req + 3, (size_t)n - 3) < 0) {   /* "<result>." */
			fail("send");
			return;
		}
	}
}

static int listen_on(struct sockaddr_in *addr)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	socklen_t len = sizeof *addr;
	const char *call = NULL;
	if (fd < 0)
		return fail("socket");
	/* SO_REUSEADDR: a restarted server may bind while old connections to
	 * this port still sit in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		call = "setsockopt";
	else if (bind(fd, (struct sockaddr *)addr, sizeof *addr) < 0)
		call = "bind";
	else if (listen(fd, SOMAXCONN) < 0)
		call = "listen";
	else if (getsockname(fd, (struct sockaddr *)addr, &len) < 0)   /* which port? */
		call = "getsockname";
	if (call == NULL)
		return fd;
	fail(call);
	close(fd);
	return -1;
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: caesar_server [-n COUNT] [HOST [PORT]]\n"
	"Default: 127.0.0.1 5555; -n: stop after COUNT clients.\n";

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
	struct sockaddr_in addr = { .sin_family = AF_INET };
	long count = 0, served = 0, port = 5555;
	char *end = "", ip[INET_ADDRSTRLEN];
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
	int lfd = listen_on(&addr);
	if (lfd < 0)
		return 1;
	printf("listening tcp://%s:%u caesar\n", host, ntohs(addr.sin_port));
	fflush(stdout);
	/* Sleep in ppoll() until a client is waiting or a signal says stop. */
	while ((count == 0 || served < count) && (rc = wait_readable(lfd)) > 0) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof peer;
		int conn = accept(lfd, (struct sockaddr *)&peer, &plen);
		if (conn < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (conn < 0) {
			rc = fail("accept");
			break;
		}
		inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
		printf("Connected by %s:%u\n", ip, ntohs(peer.sin_port));
		fflush(stdout);
		serve_client(conn);
		close(conn);
		served++;
	}
	close(lfd);
	return rc < 0 ? 1 : 0;
usage:
	fprintf(stderr, "%s", usage_text);
	return 2;
}
