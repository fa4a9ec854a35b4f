/* connect.c — `sockit connect`: dial, optionally probe (-z), wrap in TLS,
 * then run the stream or datagram session. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "netcat/netcat.h"
#include "sockit/error.h"
#include "sockit/loop.h"

/* -z: one line per port with -v; 0 when any port is open (nc). */
static int probe_all(const struct nc_opts *o)
{
	struct sk_endpoint ep = o->ep;
	char err[SK_ERRLEN];
	int open = 0, n = o->nports ? o->nports : 1;

	for (int i = 0; i < n; i++) {
		if (o->nports)
			snprintf(ep.port, sizeof ep.port, "%d", o->ports[i]);
		if (nc_probe(o, &ep, err, sizeof err) == 0) {
			open++;
			nc_verbose(o, "%s port %s open", sk_endpoint_is_unix(&ep) ? ep.path : ep.host,
			           ep.port);
		} else {
			nc_verbose(o, "%s", err);
		}
	}
	return open ? EXIT_OK : EXIT_NETWORK;
}

/* -v: "connected to tcp://127.0.0.1:80 from 127.0.0.1:5555". */
static void say_connected(const struct nc_opts *o, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char ep[SK_ADDRSTRLEN], local[SK_ADDRSTRLEN] = "?";

	if (!o->verbose)
		return;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		sk_addr_format((struct sockaddr *)&ss, len, local, sizeof local);
	nc_verbose(o, "connected to %s from %s", sk_endpoint_format(&o->ep, ep, sizeof ep),
	           local);
}

/* A connected stream: TLS if asked, the child if asked, then pump. */
int nc_stream_session(const struct nc_opts *o, int fd, bool server, int lfd)
{
	struct nc_end net = { fd, fd, true, false, NULL };
	char err[SK_ERRLEN];
	int rc, child = -1, pid = -1, tmo = o->wait_ms < 0 ? -1 : (int)o->wait_ms;

	if (o->tls) {
		net.tls = server ? nc_tls_server(o, fd, tmo, err, sizeof err)
		                 : nc_tls_client(o, fd, o->ep.host, tmo, err, sizeof err);
		if (!net.tls) {
			close(fd);
			return nc_die(o, EXIT_NETWORK, "%s", err);
		}
	}
	if (o->exec_cmd && (child = nc_exec_start(o, &pid)) < 0) {
		nc_tls_free(net.tls);
		close(fd);
		return nc_die(o, EXIT_NETWORK, "exec %s: %s", o->exec_cmd, strerror(errno));
	}
	rc = nc_session_run(o, &net, child, lfd);
	if (child >= 0) {
		close(child);
		nc_exec_wait(pid);
	}
	nc_tls_free(net.tls);
	close(fd);
	return rc;
}

int nc_connect_run(const struct nc_opts *o)
{
	char err[SK_ERRLEN];
	int fd;

	if (o->zero)
		return probe_all(o);
	if (o->tls && nc_tls_setup(o, false, true, err, sizeof err) < 0)
		return nc_die(o, EXIT_USAGE, "%s", err);
	fd = nc_dial(o, &o->ep, err, sizeof err);
	if (fd < 0)
		return nc_die(o, EXIT_NETWORK, "%s", err);
	say_connected(o, fd);
	if (sk_endpoint_is_dgram(&o->ep))
		return nc_udp_connect(o, fd);
	return nc_stream_session(o, fd, false, -1);
}
