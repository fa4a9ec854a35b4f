/* fuzz_caesar.c — libFuzzer target for the Caesar request parser and
 * service: any input, fed whole and then split at a point the input
 * chooses, must give the same replies byte for byte (an over-long
 * message included: its reply is the error line alone), never read out of
 * bounds, and end on malformed input.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iinclude -Iservices -Itests/unit tests/fuzz/fuzz_caesar.c \
 *     services/[a-z]*.c -o fuzz_caesar
 *
 * fuzz-sources: services/[a-z]*.c services/chat/[a-z]*.c
 * lib/escape.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "caesar.h"
#include "fake_host.h"

extern const struct service svc_caesar;

static void feed(struct fake *f, const char *d, size_t n, size_t cut)
{
	struct svc_options opt = { .max_request = 64 };

	fake_init(f, &svc_caesar, &opt);
	fake_open(f);
	if (cut > n)
		cut = n;
	/* Copies of exactly the pieces' sizes, so ASan catches an over-read. */
	char *a = malloc(cut ? cut : 1), *b = malloc(n - cut ? n - cut : 1);
	memcpy(a, d, cut);
	memcpy(b, d + cut, n - cut);
	if (cut)
		svc_caesar.bytes(&f->conn, a, cut);
	if (!f->ended && n > cut)
		svc_caesar.bytes(&f->conn, b, n - cut);
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake whole, split;

	if (size == 0)
		return 0;
	size_t cut = data[0] % (size + 1);
	feed(&whole, (const char *)data + 1, size - 1, size);
	feed(&split, (const char *)data + 1, size - 1, cut);
	if (whole.ended != split.ended)
		abort();
	if (whole.outlen != split.outlen ||
	    (whole.outlen && memcmp(whole.out, split.out, whole.outlen)))
		abort();
	/* An over-long message's reply is its error line and nothing else:
	 * what comes before the closing error line is whole replies (the
	 * error text may also appear inside a reply, shifted by 0). */
	static const char too_long[] = "error: message longer than 64 bytes.";
	size_t tl = sizeof too_long - 1;
	if (whole.ended && whole.outlen >= tl &&
	    memcmp(whole.out + whole.outlen - tl, too_long, tl) == 0 &&
	    whole.outlen > tl && whole.out[whole.outlen - tl - 1] != '.')
		abort();
	/* Never more reply bytes than request bytes, plus one error line. */
	if (whole.outlen > size + 64)
		abort();
	fake_free(&whole);
	fake_free(&split);
	return 0;
}
