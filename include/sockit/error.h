/* error.h — the library's one error form: "what target: why". */
#ifndef SOCKIT_ERROR_H
#define SOCKIT_ERROR_H

#include <stddef.h>
#include <stdint.h>

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

/* The one wording for a deadline of sockit's own running out (a timeout
 * the caller gave, not the kernel's ETIMEDOUT, which keeps strerror's
 * "Connection timed out"): like sk_seterr, then ": " and
 * SK_DEADLINE_TEXT with the duration as a CLI duration reads ("250ms",
 * "5s", "1.5s"), e.g. "connect 127.0.0.1:9: timed out after 5s (sockit's
 * deadline)".  Sets errno to ETIMEDOUT.  Clients word their own deadlines
 * the same way (docs/security.md). */
#define SK_DEADLINE_TEXT "timed out after %s (sockit's deadline)"
void sk_seterr_deadline(char *err, size_t len, uint64_t ms, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
