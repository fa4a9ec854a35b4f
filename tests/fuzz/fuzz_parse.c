/* fuzz_parse.c — libFuzzer target for the bounded parsers: for any text,
 * sk_parse_num/sk_parse_size/sk_parse_duration either refuse it with a
 * reason or return a value inside the bounds asked for; an accepted
 * duration formats (sk_format_duration) to text that parses back to the
 * same value.
 *
 * fuzz-sources: lib/parse.c lib/error.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockit/error.h"
#include "sockit/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[64], err[SK_ERRLEN], back[48];
	long long v;
	uint64_t u, ns, again;

	if (size >= sizeof text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* Bounds from the first bytes, so the fuzzer explores them too. */
	long long lo = size > 0 ? (int8_t)data[0] : 0, hi = lo + (size > 1 ? data[1] : 0) * 1000;

	err[0] = '\0';
	if (sk_parse_num(text, lo, hi, &v, NULL, err, sizeof err) == 0) {
		if (v < lo || v > hi)
			abort();
	} else if (!err[0]) {
		abort();
	}
	if (sk_parse_size(text, 0, UINT64_MAX, &u, "size", err, sizeof err) == 0 &&
	    sk_parse_size(text, u, u, &u, "size", err, sizeof err) != 0)
		abort();
	if (sk_parse_duration(text, 0, UINT64_MAX, &ns, NULL, err, sizeof err) == 0) {
		sk_format_duration(ns, back, sizeof back);
		if (sk_parse_duration(back, 0, UINT64_MAX, &again, NULL, err, sizeof err) != 0 ||
		    again != ns)
			abort();
	}
	return 0;
}
