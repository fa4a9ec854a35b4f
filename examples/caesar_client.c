/* caesar_client.c — the tutorial's Caesar-cipher client, in plain C.
 *
 * usage: caesar_client [HOST PORT] e|d SHIFT MESSAGE...   (default 127.0.0.1 5555)
 *        caesar_client [HOST PORT]
 *
 * Sends one request per MESSAGE on a single connection ("e10isi pesan.")
 * and prints each reply without its final '.'.  A reply starting with
 * "error:" is printed on stderr and ends the program with status 1.
 * Without a request it does what the tutorial's client does: encrypts
 * "isi pesan" with shift 10, then asks the server to decrypt the reply,
 * and prints both answers ("scs zockx", then "isi pesan").
 *
 * Where the tutorial's Python goes wrong: it sends the text as typed, so
 * a '.' inside the message ends the request early and the rest is read as
 * a broken second request.  A protocol that ends messages with a marker
 * cannot carry that marker inside them; we refuse such a message. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"

/* A reply: the longest message (4000) shifted, its '.', and room to spare. */
#define REPLY_MAX (4096 + 2)

static int fail(const char *call)
{
	fprintf(stderr, "caesar_client: %s: %s\n", call, strerror(errno));
	return 1;
}

/* One request and its reply, printed and kept in reply (without its final
 * '.', NUL-terminated).  Returns 0, or 1 after printing the error. */
static int request(int fd, struct reader *r, char mode, int shift, const char *msg,
                   char reply[static REPLY_MAX])
{
	char head[4];
	snprintf(head, sizeof head, "%c%02d", mode, shift);
	if (send_all(fd, head, 3) < 0 || send_all(fd, msg, strlen(msg)) < 0 ||
	    send_all(fd, ".", 1) < 0)
		return fail("send");
	ssize_t n = recv_until(r, '.', reply, REPLY_MAX);
	if (n == 0)
		errno = EPROTO;     /* the server closed instead of answering */
	if (n <= 0)
		return fail("recv");
	if (strncmp(reply, "error:", 6) == 0) {
		fprintf(stderr, "caesar_client: server says: %.*s\n", (int)n, reply);
		return 1;
	}
	reply[n - 1] = '\0';
	printf("%s\n", reply);
	return 0;
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: caesar_client [HOST PORT] e|d SHIFT MESSAGE...\n"
	"       caesar_client [HOST PORT]    (encrypt \"isi pesan\" with shift 10,\n"
	"                                     then decrypt the reply)\n"
	"HOST PORT default to 127.0.0.1 5555.\n";

static int usage(void)
{
	fprintf(stderr, "%s", usage_text);
	return 2;
}

/* The tutorial's exchange: "isi pesan" encrypted with shift 10, then the
 * answer sent back to be decrypted.  Returns 0 or 1. */
static int round_trip(int fd, struct reader *r)
{
	static char secret[REPLY_MAX], plain[REPLY_MAX];

	if (request(fd, r, 'e', 10, "isi pesan", secret) != 0)
		return 1;
	return request(fd, r, 'd', 10, secret, plain);
}

int main(int argc, char **argv)
{
	struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(5555) };
	const char *host = "127.0.0.1";
	char *end;
	int i = 1;
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
	/* HOST PORT are present when the first argument is not a mode. */
	if (argc > 2 && strcmp(argv[1], "e") != 0 && strcmp(argv[1], "d") != 0) {
		long port = strtol(argv[2], &end, 10);
		if (*end || port < 1 || port > 65535)
			return usage();
		host = argv[1];
		srv.sin_port = htons((unsigned short)port);
		i = 3;
	}
	bool tutorial = argc == i;
	if ((!tutorial && argc - i < 3) || inet_pton(AF_INET, host, &srv.sin_addr) != 1)
		return usage();
	char mode = 'e';
	long shift = 10;
	if (!tutorial) {
		mode = argv[i][0];
		shift = strtol(argv[i + 1], &end, 10);
		if ((mode != 'e' && mode != 'd') || argv[i][1] || *end || shift < 0 || shift > 99)
			return usage();
	}
	for (int m = i + 2; m < argc; m++)
		if (strchr(argv[m], '.') != NULL || strlen(argv[m]) > 4000) {
			fprintf(stderr, "caesar_client: a message may not contain '.' or exceed 4000 bytes\n");
			return 2;
		}

	int fd = socket(AF_INET, SOCK_STREAM, 0), rc = 0;
	if (fd < 0)
		return fail("socket");
	struct reader r;
	reader_init(&r, fd);
	if (connect(fd, (struct sockaddr *)&srv, sizeof srv) < 0)
		rc = fail("connect");
	if (rc == 0 && tutorial)
		rc = round_trip(fd, &r);
	for (int m = i + 2; rc == 0 && m < argc; m++) {
		static char reply[REPLY_MAX];
		rc = request(fd, &r, mode, (int)shift, argv[m], reply);
	}
	close(fd);
	return rc;
}
