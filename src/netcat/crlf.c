/* crlf.c — -C: send every LF as CRLF (what line-based servers expect). */
#include "netcat/netcat.h"

size_t nc_crlf_filter(void *ctx, const char *in, size_t n, char *out)
{
	char *last = ctx;       /* the previous chunk's last byte, or NULL */
	char prev = last ? *last : '\0';
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		/* An LF already preceded by CR (even across reads) stays as it is. */
		if (in[i] == '\n' && prev != '\r')
			out[o++] = '\r';
		out[o++] = prev = in[i];
	}
	if (last)
		*last = prev;
	return o;
}
