/* unix_client.c — the tutorial's AF_UNIX stream client, in plain C.
 *
 * usage: unix_client [PATH [MESSAGE]]          (default /tmp/sock "Hello, world")
 *
 * Connects to the UNIX-domain socket at PATH, sends MESSAGE, reads the
 * whole echo back and prints it.  Exactly echo_client.c with a file name
 * for an address: the socket calls are the same for every family.
 *
 * As with TCP, one recv() is not "the message": a stream socket may hand
 * the echo back in pieces, so we read until all of it has come. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char *call)
{
	fprintf(stderr, "unix_client: %s: %s\n", call, strerror(errno));
	return 1;
}

/* send() may take fewer bytes than asked: loop. */
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

/* Read exactly len bytes; a smaller count means the peer closed early. */
static ssize_t recv_all(int fd, char *p, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = recv(fd, p + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (ssize_t)got;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int talk(int fd, const struct sockaddr_un *addr, const char *msg)
{
	size_t len = strlen(msg);
	char *echo = malloc(len + 1);
	ssize_t got;
	int rc = 0;
	if (echo == NULL)
		return fail("malloc");
	if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0)
		rc = fail("connect");
	else if (send_all(fd, msg, len) < 0)
		rc = fail("send");
	else if ((got = recv_all(fd, echo, len)) < 0)
		rc = fail("recv");
	else if ((size_t)got < len) {
		fprintf(stderr, "unix_client: server closed after %zd of %zu bytes\n", got, len);
		rc = 1;
	} else
		printf("Received '%.*s'\n", (int)len, echo);
	free(echo);
	return rc;
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: unix_client [PATH [MESSAGE]]\n"
	"Default: /tmp/sock \"Hello, world\".\n";

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *path = argc > 1 ? argv[1] : "/tmp/sock";
	const char *msg = argc > 2 ? argv[2] : "Hello, world";
	if (argc > 3 || strlen(path) >= sizeof addr.sun_path) {
		fprintf(stderr, "%s", usage_text);
		return 2;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket");
	int rc = talk(fd, &addr, msg);
	close(fd);
	return rc;
}
