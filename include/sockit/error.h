/* error.h — the library's one error form: "what target: why". */
#ifndef SOCKIT_ERROR_H
#define SOCKIT_ERROR_H

#include <stddef.h>

/* Size of an error buffer big enough for any message the library writes. */
#define SK_ERRLEN 256

/* Fill err (if non-NULL, of size len) with a printf-style message.  Used by
 * every library function that takes `char *err, size_t errlen`; the result
 * reads "connect 127.0.0.1:1: Connection refused".  Keeps errno. */
void sk_seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like sk_seterr, then appends ": " and strerror(errno).  Keeps errno. */
void sk_seterrno(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
