/* daytime.c — the daytime service, RFC 867: one line with the date and
 * time, then close; each datagram gets that line. */
#include <string.h>
#include <time.h>

#include "daytime.h"
#include "service.h"

/* RFC 867 leaves the format free; this is the one BSD inetd and xinetd
 * send (ctime's), which existing clients already parse. */
size_t daytime_format(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	if (cap == 0)
		return 0;
	buf[0] = '\0';
	if (!localtime_r(&t, &tm))
		return 0;
	size_t n = strftime(buf, cap, "%a %b %e %H:%M:%S %Y\r\n", &tm);
	return n;
}

static void daytime_open(struct svc_conn *c)
{
	char line[64];
	size_t n = daytime_format(time(NULL), line, sizeof line);

	svc_send(c, line, n);
	svc_end(c, "sent daytime");
}

/* Input is ignored; the host rate-limits replies per source address,
 * since this one is larger than an empty request. */
static size_t daytime_datagram(void *instance, const char *in, size_t len,
                               char *out, size_t outcap)
{
	(void)instance; (void)in; (void)len;
	return daytime_format(time(NULL), out, outcap);
}

/* Whatever the client sends is ignored; the reply was sent on open. */
static void daytime_bytes(struct svc_conn *c, const char *data, size_t len)
{
	(void)c; (void)data; (void)len;
}

static const char *const daytime_defaults[] = {
	"tcp://127.0.0.1:7013", "udp://127.0.0.1:7013", NULL,
};

const struct service svc_daytime = {
	.name = "daytime",
	.defaults = daytime_defaults,
	.open = daytime_open,
	.bytes = daytime_bytes,
	.datagram = daytime_datagram,
	.dgram_may_amplify = true,
};
