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
		return die(EXIT_USAGE, "%s: %s", cmd, err), -1;
	if (stream_only && sk_endpoint_is_dgram(ep))
		return die(EXIT_USAGE, "%s: endpoint '%s': this protocol needs a "
		           "stream (tcp:// or unix:)", cmd, text), -1;
	int fd = sk_connect(ep, timeout_ms, err, sizeof err);
	if (fd < 0) {
		*status = EXIT_NETWORK;
		return die(EXIT_NETWORK, "%s", err), -1;
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
		die(EXIT_NETWORK, "%s %s: %s%s", cmd, o->endpoint,
		    dgram && saved == ETIMEDOUT ? "no reply: " : "",
		    saved == EMSGSIZE ? "reply too long" : strerror(saved));
		return -1;
	}
	return n;
}

/* Length of the valid UTF-8 sequence starting at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3
	           : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

void json_string(FILE *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = u[i];
		size_t k;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c >= 0x80 && (k = utf8_seq(u + i, n - i)) > 0) {
			fwrite(u + i, 1, k, out);
			i += k - 1;
		} else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);   /* a stray byte, as Latin-1 */
		else
			fputc(c, out);
	}
	fputc('"', out);
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
		return die(EXIT_USAGE, "%s: too many arguments (try --help)",
		           argv[0]), -1;
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
		return die(EXIT_USAGE, "%s: %s", cmd, err), -1;
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
