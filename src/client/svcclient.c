/* svcclient.c — connect, fetch and print helpers for the clients of the
 * classic services (greet, caesar, daytime, time, qotd). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "commands.h"
#include "sockit/error.h"
#include "sockit/io.h"
#include "sockit/loop.h"
#include "sockit/net.h"
#include "client/svcclient.h"

int client_connect(const char *cmd, const struct client_opts *o, struct sk_endpoint *ep,
                   bool stream_only, int *status)
{
	const char *text = o->endpoint;
	char err[SK_ERRLEN];

	*status = EXIT_USAGE;
	if (sk_endpoint_parse(ep, text, err, sizeof err) < 0)
		return cli_sub_fail(-1, cmd, "%s", err);
	if (stream_only && sk_endpoint_is_dgram(ep))
		return cli_sub_fail(-1, cmd, "endpoint '%s': this protocol needs a "
		           "stream (tcp:// or unix:)", text);
	int fd = sk_connect(ep, o->timeout_ms, err, sizeof err);
	if (fd < 0) {
		*status = EXIT_NETWORK;
		return cli_error("%s", err);
	}
	client_say_connected(cmd, o->verbose, fd, o->start_ns);
	return fd;
}

void client_say_connected(const char *cmd, int verbose, int fd, uint64_t start_ns)
{
	struct sockaddr_storage peer, local;
	socklen_t plen = sizeof peer, llen = sizeof local;
	char p[SK_ADDRSTRLEN], l[SK_ADDRSTRLEN];

	if (!verbose)
		return;
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0)
		plen = 0;   /* an unconnected datagram socket: no peer */
	if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0)
		llen = 0;
	fprintf(stderr, "sockit %s: connected to %s from %s in %.2f ms\n", cmd,
	        plen ? sk_addr_format((struct sockaddr *)&peer, plen, p, sizeof p) : "?",
	        llen ? sk_addr_format((struct sockaddr *)&local, llen, l, sizeof l) : "?",
	        (double)(sk_now_ns() - start_ns) / 1e6);
}

void client_say_done(const char *cmd, const struct client_opts *o, const char *what)
{
	if (o->verbose)
		fprintf(stderr, "sockit %s: %s in %.2f ms\n", cmd, what,
		        (double)(sk_now_ns() - o->start_ns) / 1e6);
}

void client_start_deadline(struct client_opts *o)
{
	o->start_ns = sk_now_ns();
	if (o->deadline_ms > 0)
		o->deadline_ns = sk_now_ns() + (uint64_t)o->deadline_ms * 1000000ULL;
}

int client_wait(const struct client_opts *o, int fd, short events)
{
	for (;;) {
		bool by_deadline;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, sk_wait_ms(o->deadline_ns, o->timeout_ms, &by_deadline));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = by_deadline ? ETIME : ETIMEDOUT;
		return n < 0 ? -1 : n > 0;
	}
}

const char *client_wait_error(const struct client_opts *o, int e, char *buf, size_t len)
{
	if (e == ETIMEDOUT)
		sk_seterr_deadline(buf, len, (uint64_t)o->timeout_ms, "no reply (-t)");
	else if (e == ETIME)
		sk_seterr_deadline(buf, len, (uint64_t)o->deadline_ms, "overall (-w)");
	else
		snprintf(buf, len, "%s", strerror(e));
	return buf;
}

ssize_t client_read_all_opts(int fd, char *buf, size_t cap, const struct client_opts *o)
{
	size_t got = 0;
	char extra;

	for (;;) {
		int w = client_wait(o, fd, POLLIN);
		if (w <= 0)
			return -1;
		char *p = got < cap ? buf + got : &extra;
		ssize_t n = recv(fd, p, got < cap ? cap - got : 1, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return (ssize_t)got;   /* EOF */
		if (got >= cap) {
			errno = EMSGSIZE;
			return -1;
		}
		got += (size_t)n;
	}
}

ssize_t client_read_all(int fd, char *buf, size_t cap, int timeout_ms)
{
	struct client_opts o = { .timeout_ms = timeout_ms };

	return client_read_all_opts(fd, buf, cap, &o);
}

/* One datagram exchange with retries: a lost request or reply is resent
 * after timeout_ms, up to 1 + retries times. */
static ssize_t dgram_query(int fd, char *buf, size_t cap,
                           const struct client_opts *o)
{
	for (int i = 0; i <= o->retries; i++) {
		if (send(fd, "", 0, MSG_NOSIGNAL) < 0)
			return -1;
		int r = client_wait(o, fd, POLLIN);
		if (r < 0 || (r == 0 && errno == ETIME))
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
	int fd = client_connect(cmd, o, &ep, false, status);

	if (fd < 0)
		return -1;
	bool dgram = sk_endpoint_is_dgram(&ep);
	ssize_t n = dgram ? dgram_query(fd, buf, cap, o) : client_read_all_opts(fd, buf, cap, o);
	int saved = errno;
	char why[128];
	close(fd);
	if (n < 0) {
		*status = EXIT_NETWORK;
		if (dgram && saved == ETIMEDOUT)
			sk_seterr_deadline(why, sizeof why, (uint64_t)o->timeout_ms,
			                   "no reply after %d tries (-t, each)", o->retries + 1);
		else if (saved == EMSGSIZE)
			snprintf(why, sizeof why, "reply too long");
		else
			client_wait_error(o, saved, why, sizeof why);
		cli_fail(EXIT_NETWORK, "%s: %s", o->endpoint, why);
		errno = saved;
		return -1;
	}
	if (o->verbose) {
		char what[64];
		snprintf(what, sizeof what, "%zd bytes back", n);
		client_say_done(cmd, o, what);
	}
	return n;
}

int client_print_answer(const struct client_opts *o, const char *key,
                        const char *text, size_t len)
{
	struct json j;

	if (!o->json) {
		printf("%.*s\n", (int)len, text);
		return EXIT_OK;
	}
	json_start(&j, stdout);
	json_object(&j);
	json_kv_str(&j, "endpoint", o->endpoint);
	json_kv_strn(&j, key, text, len);
	json_end(&j);
	json_newline(&j);
	return EXIT_OK;
}
