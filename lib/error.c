/* error.c — the library's error strings: "what target: why". */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sockit/error.h"
#include "sockit/parse.h"

void sk_seterr(char *err, size_t len, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

void sk_seterrno(char *err, size_t len, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		int n = vsnprintf(err, len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < len)
			snprintf(err + n, len - (size_t)n, ": %s", strerror(saved));
	}
	errno = saved;
}

void sk_seterr_deadline(char *err, size_t len, uint64_t ms, const char *fmt, ...)
{
	char d[32];
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		int n = vsnprintf(err, len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < len)
			snprintf(err + n, len - (size_t)n, ": " SK_DEADLINE_TEXT,
			         sk_format_duration(ms * 1000000u, d, sizeof d));
	}
	errno = ETIMEDOUT;
}
