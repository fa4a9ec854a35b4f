/* discard.c — the discard service, RFC 863: read and drop everything;
 * datagrams get no answer. */
#include "service.h"

static void discard_bytes(struct svc_conn *c, const char *data, size_t len)
{
	(void)c; (void)data; (void)len;
}

static void discard_eof(struct svc_conn *c)
{
	svc_end(c, "client closed");
}

static size_t discard_datagram(void *instance, const char *in, size_t len,
                               char *out, size_t outcap)
{
	(void)instance; (void)in; (void)len; (void)out; (void)outcap;
	return 0;
}

static const char *const discard_defaults[] = {
	"tcp://127.0.0.1:7009", "udp://127.0.0.1:7009", NULL,
};

const struct service svc_discard = {
	.name = "discard",
	.defaults = discard_defaults,
	.bytes = discard_bytes,
	.eof = discard_eof,
	.datagram = discard_datagram,
};
