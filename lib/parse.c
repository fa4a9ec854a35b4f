/* parse.c — bounded parsers for numbers, sizes and durations. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockit/error.h"
#include "sockit/parse.h"

/* Fill err with "WHAT 'TEXT' WHY", or just WHY when what is NULL. */
static int parse_fail(char *err, size_t errlen, const char *what, const char *text,
                      const char *why)
{
	if (what)
		sk_seterr(err, errlen, "%s '%s' %s", what, text, why);
	else
		sk_seterr(err, errlen, "%s", why);
	errno = EINVAL;
	return -1;
}

int sk_parse_num(const char *text, long long min, long long max, long long *out,
                 const char *what, char *err, size_t errlen)
{
	char why[96];
	char *end;

	const char *digits = text[0] == '-' ? text + 1 : text;
	if (!isdigit((unsigned char)*digits))
		return parse_fail(err, errlen, what, text, "is not a number");
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (*end)
		return parse_fail(err, errlen, what, text, "is not a number");
	if (errno == ERANGE || v < min || v > max) {
		snprintf(why, sizeof why, "out of range %lld-%lld", min, max);
		return parse_fail(err, errlen, what, text, why);
	}
	*out = v;
	return 0;
}

/* The decimal digits at *s as a uint64_t; -1 on none or overflow. */
static int take_u64(const char **s, uint64_t *v)
{
	const char *p = *s;

	*v = 0;
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	*s = p;
	return 0;
}

int sk_parse_size(const char *text, uint64_t min, uint64_t max, uint64_t *out,
                  const char *what, char *err, size_t errlen)
{
	const char *p = text;
	char why[96];
	uint64_t v;
	unsigned shift = 0;

	if (take_u64(&p, &v) < 0)
		return parse_fail(err, errlen, what, text,
		                  isdigit((unsigned char)*text)
		                      ? "is too large"
		                      : "is not a size (a number, "
		                        "optionally with K, M or G)");
	switch (*p) {
	case 'k':
	case 'K':
		shift = 10;
		p++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		p++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		p++;
		break;
	}
	if (*p)
		return parse_fail(err, errlen, what, text,
		                  "is not a size (a number, "
		                  "optionally with K, M or G)");
	bool over = shift && v > (UINT64_MAX >> shift);
	v <<= shift;
	if (over || v < min || v > max) {
		snprintf(why, sizeof why, "out of range %" PRIu64 "-%" PRIu64, min, max);
		return parse_fail(err, errlen, what, text, why);
	}
	*out = v;
	return 0;
}

struct unit {
	const char *name;
	uint64_t ns;
};

/* Longest names first so "ms" is not read as "m" + junk. */
static const struct unit units[] = {
    {"ns", 1},
    {"us", 1000},
    {"ms", 1000000},
    {"s", 1000000000ULL},
    {"m", 60000000000ULL},
    {"h", 3600000000000ULL},
};

static const struct unit *find_unit(const char *s)
{
	if (!*s)
		return &units[3]; /* a bare number is seconds */
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(s, units[i].name) == 0)
			return &units[i];
	return NULL;
}

int sk_parse_duration(const char *text, uint64_t min_ns, uint64_t max_ns, uint64_t *ns,
                      const char *what, char *err, size_t errlen)
{
	static const char shape[] = "is not a duration (a number of seconds, or "
	                            "with a unit: 250ms, 1.5s, 2m, 1h)";
	const char *p = text;
	uint64_t whole, frac = 0, scale = 1;
	char why[128], lo[32], hi[32];

	if (take_u64(&p, &whole) < 0)
		return parse_fail(err, errlen, what, text,
		                  isdigit((unsigned char)*text) ? "is too long" : shape);
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return parse_fail(err, errlen, what, text, shape);
		/* Nine digits are a nanosecond of a second; later ones are noise. */
		for (; isdigit((unsigned char)*p); p++)
			if (scale < 1000000000ULL)
				frac = frac * 10 + (uint64_t)(*p - '0'), scale *= 10;
	}
	const struct unit *u = find_unit(p);
	if (!u)
		return parse_fail(err, errlen, what, text, shape);
	unsigned __int128 v =
	    (unsigned __int128)whole * u->ns + (unsigned __int128)frac * u->ns / scale;
	if (v < min_ns || v > max_ns) {
		snprintf(why, sizeof why, "out of range %s-%s",
		         sk_format_duration(min_ns, lo, sizeof lo),
		         sk_format_duration(max_ns, hi, sizeof hi));
		return parse_fail(err, errlen, what, text, why);
	}
	*ns = (uint64_t)v;
	return 0;
}

char *sk_format_duration(uint64_t ns, char *buf, size_t len)
{
	if (ns == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	for (size_t i = sizeof units / sizeof units[0]; i-- > 0;) {
		uint64_t u = units[i].ns, milli = u / 1000 ? u / 1000 : 1;
		if (ns < u && i > 0)
			continue;
		if (ns % u == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", ns / u, units[i].name);
			return buf;
		}
		if (u >= 1000 && ns % milli == 0) {
			uint64_t f = (ns % u) / milli;
			int digits = f % 100 == 0 ? 1 : f % 10 == 0 ? 2 : 3;
			uint64_t shown = digits == 1 ? f / 100 : digits == 2 ? f / 10 : f;
			snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64 "%s", ns / u, digits,
			         shown, units[i].name);
			return buf;
		}
	}
	snprintf(buf, len, "%" PRIu64 "ns", ns);
	return buf;
}
