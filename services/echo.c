/* echo.c — the echo service, RFC 862: every byte back until the client
 * closes; each datagram back to its sender. */
#include <string.h>

#include "service.h"

/* Back-pressure is the host's: when the client stops reading, its queue
 * fills, the host stops reading from it, and memory stays bounded. */
static void echo_bytes(struct svc_conn *c, const char *data, size_t len)
{
	svc_send(c, data, len);
}

/* The client half-closed: finish sending what it sent, then close. */
static void echo_eof(struct svc_conn *c)
{
	svc_end(c, "client closed");
}

/* Never larger than the request: the reply is the request. */
static size_t echo_datagram(void *instance, const char *in, size_t len,
                            char *out, size_t outcap)
{
	(void)instance;
	size_t n = len < outcap ? len : outcap;
	memcpy(out, in, n);
	return n;
}

static const char *const echo_defaults[] = {
	"tcp://127.0.0.1:65432", "udp://127.0.0.1:65432", NULL,
};

const struct service svc_echo = {
	.name = "echo",
	.defaults = echo_defaults,
	.bytes = echo_bytes,
	.eof = echo_eof,
	.datagram = echo_datagram,
};
