/* echo_client.c — the tutorial's TCP "Echo Client", in plain blocking C.
 *
 * usage: echo_client [HOST [PORT [MESSAGE]]]   (default 127.0.0.1 65432 "Hello, world")
 *
 * Connects, sends MESSAGE, reads until the whole echo is back, prints it.
 *
 * Where the tutorial's Python goes wrong: it does one s.recv(1024) and
 * calls that the echo.  TCP is a byte stream with no message boundaries:
 * recv() returns whatever has arrived so far, which may be the first few
 * bytes only.  We know how many bytes we sent, so we read until that many
 * have come back (or the server closes early, which is an error).
 *
 * Sending everything before reading is fine for a short message.  A message
 * larger than both sides' socket buffers (a few MB) would deadlock: we block
 * in send() while the server blocks sending us echoes we are not reading.
 * Real clients overlap the two with poll() (see `sockit echo`). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *call)
{
	fprintf(stderr, "echo_client: %s: %s\n", call, strerror(errno));
	return 1;
}

/* send() may take fewer bytes than asked: loop until all are sent. */
static int send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n, len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes.  Returns how many arrived: less than len means
 * the peer closed early; -1 is an error. */
static ssize_t recv_all(int fd, char *p, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = recv(fd, p + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int talk(int fd, const struct sockaddr_in *addr, const char *msg)
{
	size_t len = strlen(msg);
	char *echo = malloc(len + 1);
	if (echo == NULL)
		return fail("malloc");
	int rc = 0;
	ssize_t got;
	if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0)
		rc = fail("connect");
	else if (send_all(fd, msg, len) < 0)
		rc = fail("send");
	else if ((got = recv_all(fd, echo, len)) < 0)
		rc = fail("recv");
	else if ((size_t)got < len) {
		fprintf(stderr, "echo_client: server closed after %zd of %zu bytes\n", got, len);
		rc = 1;
	} else
		printf("Received '%.*s'\n", (int)len, echo);
	free(echo);
	return rc;
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: echo_client [HOST [PORT [MESSAGE]]]\n"
	"Default: 127.0.0.1 65432 \"Hello, world\".\n";

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
	struct sockaddr_in addr = { .sin_family = AF_INET };
	const char *host = argc > 1 ? argv[1] : "127.0.0.1";
	const char *msg = argc > 3 ? argv[3] : "Hello, world";
	char *end = "";
	long port = argc > 2 ? strtol(argv[2], &end, 10) : 65432;
	if (argc > 4 || *end || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		fprintf(stderr, "%s", usage_text);
		return 2;
	}
	addr.sin_port = htons((unsigned short)port);

	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket");
	int rc = talk(fd, &addr, msg);
	close(fd);
	return rc;
}
