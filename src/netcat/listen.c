/* listen.c — `sockit listen`: bind, announce, accept one client (or each
 * in turn with -k), check --allow/--deny, run the session. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "netcat/netcat.h"
#include "sockit/error.h"
#include "sockit/net.h"

void nc_say_listening(const struct nc_opts *o, int fd, enum sk_transport t,
                      bool always)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char shown[SK_ADDRSTRLEN];

	if (!always && !o->verbose)
		return;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	fprintf(stderr, "listening %s\n",
	        sk_addr_format_endpoint(t, (struct sockaddr *)&ss, len, shown, sizeof shown));
	fflush(stderr);
}

int nc_accept_admitted(const struct nc_opts *o, int lfd, long clients,
                       struct sockaddr_storage *ss, socklen_t *len)
{
	char shown[SK_ADDRSTRLEN], why[96];

	*len = sizeof *ss;
	int fd = sk_accept(lfd, ss, len);
	if (fd < 0)
		return -1;
	if (o->max_conns && clients >= o->max_conns)
		snprintf(why, sizeof why, "--max-conns %lld", o->max_conns);
	else if (nc_peer_allowed(o, (struct sockaddr *)ss, why, sizeof why))
		return fd;
	fprintf(stderr, "sockit %s: refused %s (%s)\n", o->cmd,
	        sk_addr_format((struct sockaddr *)ss, *len, shown, sizeof shown), why);
	close(fd);
	return -2;
}

/* Wait for and accept one client that the ACL lets in; fd, or -1 after
 * printing the error (timeout with -w). */
static int accept_one(const struct nc_opts *o, int lfd, int *rc)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char shown[SK_ADDRSTRLEN];

	for (;;) {
		int w = sk_wait_fd(lfd, POLLIN, o->wait_ms < 0 ? -1 : (int)o->wait_ms);
		if (w == 0) {
			*rc = nc_die(o, EXIT_NETWORK, "no client within %lld ms", o->wait_ms);
			return -1;
		}
		/* --max-conns is the session's to enforce (it refuses extras). */
		int fd = nc_accept_admitted(o, lfd, 0, &ss, &len);
		if (fd == -2 || (fd < 0 && (errno == EAGAIN || errno == EINTR ||
		                            errno == ECONNABORTED)))
			continue;
		if (fd < 0) {
			*rc = nc_die(o, EXIT_NETWORK, "accept: %s", strerror(errno));
			return -1;
		}
		nc_verbose(o, "connection from %s",
		           sk_addr_format((struct sockaddr *)&ss, len, shown, sizeof shown));
		return fd;
	}
}

/* Remove the UNIX socket file we created (not an abstract name). */
static void unlink_unix(const struct nc_opts *o)
{
	if (sk_endpoint_is_unix(&o->ep) && o->ep.path[0] && o->ep.path[0] != '@')
		unlink(o->ep.path);
}

static int serve_streams(const struct nc_opts *o, int lfd)
{
	int rc = EXIT_OK;

	do {
		int fd = accept_one(o, lfd, &rc);
		if (fd < 0)
			break;
		rc = nc_stream_session(o, fd, true, o->max_conns ? lfd : -1);
	} while (o->keep);
	return rc;
}

int nc_listen_run(const struct nc_opts *o)
{
	char err[SK_ERRLEN];
	bool port0 = !sk_endpoint_is_unix(&o->ep) && strcmp(o->ep.port, "0") == 0;
	int lfd, rc;

	if (o->tls && nc_tls_setup(o, true, false, err, sizeof err) < 0)
		return nc_die(o, EXIT_USAGE, "%s", err);
	lfd = sk_listen(&o->ep, 128, o->family == AF_INET6 ? SK_LISTEN_V6ONLY : 0,
	                err, sizeof err);
	if (lfd < 0)
		return nc_die(o, EXIT_NETWORK, "%s", err);
	nc_say_listening(o, lfd, o->ep.transport, port0);
	if (sk_endpoint_is_dgram(&o->ep))
		rc = nc_udp_listen(o, lfd);
	else if (o->broker)
		rc = nc_broker_run(o, lfd);
	else if (o->keep && o->max_conns > 1)
		rc = nc_multi_run(o, lfd);
	else
		rc = serve_streams(o, lfd);
	close(lfd);
	unlink_unix(o);
	nc_tls_cleanup();
	return rc;
}
