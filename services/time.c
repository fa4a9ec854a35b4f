/* time.c — the time service, RFC 868: four bytes, the seconds since
 * 1900-01-01 00:00 UTC in network byte order, then close. */
#include <time.h>

#include "rfc868.h"
#include "service.h"

uint32_t rfc868_seconds(time_t t)
{
	return (uint32_t)((uint64_t)((int64_t)t + RFC868_EPOCH_OFFSET));
}

void rfc868_encode(time_t t, unsigned char out[4])
{
	uint32_t s = rfc868_seconds(t);

	out[0] = (unsigned char)(s >> 24);
	out[1] = (unsigned char)(s >> 16);
	out[2] = (unsigned char)(s >> 8);
	out[3] = (unsigned char)s;
}

int64_t rfc868_decode(const unsigned char in[4])
{
	uint32_t s = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
	             (uint32_t)in[2] << 8 | in[3];
	int64_t t = (int64_t)s - RFC868_EPOCH_OFFSET;

	return t < 0 ? t + ((int64_t)1 << 32) : t;
}

static void time_open(struct svc_conn *c)
{
	unsigned char b[4];

	rfc868_encode(time(NULL), b);
	svc_send(c, b, sizeof b);
	svc_end(c, "sent time");
}

static size_t time_datagram(void *instance, const char *in, size_t len,
                            char *out, size_t outcap)
{
	(void)instance; (void)in; (void)len;
	if (outcap < 4)
		return 0;
	rfc868_encode(time(NULL), (unsigned char *)out);
	return 4;
}

/* Whatever the client sends is ignored; the reply was sent on open. */
static void time_bytes(struct svc_conn *c, const char *data, size_t len)
{
	(void)c; (void)data; (void)len;
}

static const char *const time_defaults[] = {
	"tcp://127.0.0.1:7037", "udp://127.0.0.1:7037", NULL,
};

const struct service svc_time = {
	.name = "time",
	.defaults = time_defaults,
	.open = time_open,
	.bytes = time_bytes,
	.datagram = time_datagram,
	.dgram_may_amplify = true,
};
