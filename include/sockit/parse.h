/* parse.h — the one bounded parser for numbers, sizes and durations.
 * Every port, count, size and timeout sockit reads (command line, config
 * file, endpoint text) goes through these, like OpenBSD's strtonum: the
 * whole text must be valid, the value must lie in [min, max], nothing
 * wraps.  On failure err (if non-NULL) says why: with what non-NULL it
 * reads "port '99999' out of range 0-65535"; with what NULL only the
 * reason, "out of range 0-65535", for callers that frame it themselves. */
#ifndef SOCKIT_PARSE_H
#define SOCKIT_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* A decimal integer, optionally negative ("-5"), no sign '+', no spaces,
 * no hex.  Returns 0 and *out, or -1 with err. */
int sk_parse_num(const char *text, long long min, long long max,
                 long long *out, const char *what, char *err, size_t errlen);

/* A byte count: a decimal integer with an optional binary suffix K, M or
 * G (case-insensitive: 4K = 4096).  Returns 0 and *out, or -1 with err. */
int sk_parse_size(const char *text, uint64_t min, uint64_t max,
                  uint64_t *out, const char *what, char *err, size_t errlen);

/* A duration: a decimal number (digits, optionally '.' and more digits)
 * and an optional unit ns, us, ms, s, m or h; a bare number is seconds.
 * "250ms", "1.5s", "2m", "1h", "5" (5 s).  No sign, no exponent, no
 * spaces; digits past nanosecond precision are dropped.  The value in
 * nanoseconds must lie in [min_ns, max_ns].  Returns 0 and *ns, or -1
 * with err. */
int sk_parse_duration(const char *text, uint64_t min_ns, uint64_t max_ns,
                      uint64_t *ns, const char *what, char *err, size_t errlen);

/* Format a duration in nanoseconds the way sk_parse_duration reads it
 * back ("250ms", "1.5s", "2m", "0s"): the largest unit that shows it
 * exactly with at most three decimals.  Returns buf. */
char *sk_format_duration(uint64_t ns, char *buf, size_t len);

#endif
