/* svcclient.c — connect, fetch and print helpers for the clients of the
 * classic services (greet, caesar, daytime, time, qotd). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "commands.h"
#include "sockit/error.h"
#include "sockit/io.h"
#include "sockit/net.h"
#include "client/svcclient.h"

int client_connect(const char *cmd, const char *text, struct sk_endpoint *ep,
                   bool stream_only, int timeout_ms, int *status)
{
	char err[SK_ERRLEN];

	*status = EXIT_USAGE;
	if (sk_endpoint_parse(ep, text, err, sizeof err) < 0)
		return cli_error("%s: %s", cmd, err);
	if (stream_only && sk_endpoint_is_dgram(ep))
		return cli_error("%s: endpoint '%s': this protocol needs a "
		           "stream (tcp:// or unix:)", cmd, text);
	int fd = sk_connect(ep, timeout_ms, err, sizeof err);
	if (fd < 0) {
		*status = EXIT_NETWORK;
		return cli_error("%s", err);
	}
	return fd;
}

ssize_t client_read_all(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t got = 0;

	for (;;) {
		char extra;
		char *p = got < cap ? buf + got : &extra;
		size_t room = got < cap ? cap - got : 1;
		ssize_t n = sk_recv_exact(fd, p, room, timeout_ms);
		if (n < 0)
			return -1;
		if (got >= cap && n > 0) {
			errno = EMSGSIZE;
			return -1;
		}
		got += (size_t)n;
		if ((size_t)n < room)
			return (ssize_t)got;   /* EOF */
	}
}

/* One datagram exchange with retries: a lost request or reply is resent
 * after timeout_ms, up to 1 + retries times. */
static ssize_t dgram_query(int fd, char *buf, size_t cap,
                           const struct client_opts *o)
{
	for (int i = 0; i <= o->retries; i++) {
		if (send(fd, "", 0, MSG_NOSIGNAL) < 0)
			return -1;
		int r = sk_wait_fd(fd, POLLIN, o->timeout_ms);
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			return n;
	}
	errno = ETIMEDOUT;
	return -1;
}

ssize_t client_fetch(const char *cmd, const struct client_opts *o,
                     char *buf, size_t cap, int *status)
{
	struct sk_endpoint ep;
	int fd = client_connect(cmd, o->endpoint, &ep, false, o->timeout_ms, status);

	if (fd < 0)
		return -1;
	bool dgram = sk_endpoint_is_dgram(&ep);
	ssize_t n = dgram ? dgram_query(fd, buf, cap, o)
	                  : client_read_all(fd, buf, cap, o->timeout_ms);
	int saved = errno;
	close(fd);
	if (n < 0) {
		*status = EXIT_NETWORK;
		errno = saved;
		cli_fail(EXIT_NETWORK, "%s %s: %s%s", cmd, o->endpoint,
		    dgram && saved == ETIMEDOUT ? "no reply: " : "",
		    saved == EMSGSIZE ? "reply too long" : strerror(saved));
		return -1;
	}
	return n;
}

int client_parse_opts(int argc, char **argv, const char *defep,
                      struct client_opts *o, void (*help)(FILE *))
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct client_opts){ defep, 2000, 2, false };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:r:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (client_parse_int(argv[0], "timeout", optarg, 1, 3600000,
			                     &o->timeout_ms) < 0)
				return -1;
			break;
		case 'r':
			if (client_parse_int(argv[0], "retries", optarg, 0, 100,
			                     &o->retries) < 0)
				return -1;
			break;
		case 'j': o->json = true; break;
		case 'h': help(stdout); return 1;
		default:
			return bad_option(argv[0], c, argv), -1;
		}
	}
	if (argc - optind > 1)
		return cli_error("%s: too many arguments (try --help)",
		           argv[0]);
	if (optind < argc)
		o->endpoint = argv[optind];
	return 0;
}

int client_parse_int(const char *cmd, const char *what, const char *text,
                     long long min, long long max, int *out)
{
	char err[SK_ERRLEN];
	long long v;

	if (sk_parse_num(text, min, max, &v, what, err, sizeof err) < 0)
		return cli_error("%s: %s", cmd, err);
	*out = (int)v;
	return 0;
}

int client_print_answer(const struct client_opts *o, const char *key,
                        const char *text, size_t len)
{
	if (!o->json) {
		printf("%.*s\n", (int)len, text);
		return EXIT_OK;
	}
	printf("{\"endpoint\": ");
	json_string(stdout, o->endpoint, strlen(o->endpoint));
	printf(", \"%s\": ", key);
	json_string(stdout, text, len);
	printf("}\n");
	return EXIT_OK;
}
