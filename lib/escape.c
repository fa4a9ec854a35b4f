/* escape.c — bytes outside printable ASCII written as \xNN (escape.h). */
#include <string.h>

#include "sockit/escape.h"

/* The escape of ch into esc (at most 4 bytes); returns its length. */
static size_t escape_one(unsigned char ch, unsigned flags, char esc[4])
{
	static const char hex[] = "0123456789abcdef";
	static const char named_in[] = "\n\r\t\\\"", named_out[] = "nrt\\\"";

	if (flags & SK_ESCAPE_C)
		for (size_t i = 0; named_in[i]; i++)
			if (ch == (unsigned char)named_in[i]) {
				esc[0] = '\\';
				esc[1] = named_out[i];
				return 2;
			}
	if (ch >= 0x20 && ch < 0x7f && !(ch == '\\' && (flags & SK_ESCAPE_BACKSLASH))) {
		esc[0] = (char)ch;
		return 1;
	}
	esc[0] = '\\';
	esc[1] = 'x';
	esc[2] = hex[ch >> 4];
	esc[3] = hex[ch & 15];
	return 4;
}

size_t sk_escape(char *out, size_t cap, const void *in, size_t n, unsigned flags,
                 size_t *used)
{
	const unsigned char *p = in;
	size_t o = 0, i = 0;

	if (cap > 0) {
		for (; i < n; i++) {
			char esc[4];
			size_t k = escape_one(p[i], flags, esc);
			if (o + k >= cap)       /* the NUL needs its byte */
				break;
			memcpy(out + o, esc, k);
			o += k;
		}
		out[o] = '\0';
	}
	if (used)
		*used = i;
	return o;
}
