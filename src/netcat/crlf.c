/* crlf.c — -C: send every LF as CRLF (what line-based servers expect). */
#include "netcat/netcat.h"

size_t nc_crlf_filter(void *ctx, const char *in, size_t n, char *out)
{
	size_t o = 0;

	(void)ctx;
	for (size_t i = 0; i < n; i++) {
		/* An LF already preceded by CR stays as it is. */
		if (in[i] == '\n' && !(i > 0 && in[i - 1] == '\r'))
			out[o++] = '\r';
		out[o++] = in[i];
	}
	return o;
}
