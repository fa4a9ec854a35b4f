/* fuzz_qotd.c — libFuzzer target for the quotes-file parser: any file
 * either fails with a message or yields quotes that are each non-empty,
 * under 512 bytes and CRLF-terminated.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iinclude -Iservices tests/fuzz/fuzz_qotd.c services/[a-z]*.c \
 *     -o fuzz_qotd
 *
 * fuzz-sources: services/[a-z]*.c services/chat/[a-z]*.c
 * lib/escape.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qotd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qotd_list q;
	char err[256];
	char *copy = malloc(size ? size : 1);   /* exact size: over-reads trap */

	memcpy(copy, data, size);
	if (qotd_parse(&q, copy, size, "fuzz", err, sizeof err) == 0) {
		for (size_t i = 0; i < q.n; i++) {
			size_t n;
			const char *s = qotd_next(&q, &n);
			if (n < 3 || n >= 512 || memcmp(s + n - 2, "\r\n", 2) != 0)
				abort();
		}
		qotd_free(&q);
	} else if (strncmp(err, "fuzz", 4) != 0) {
		abort();
	}
	free(copy);
	return 0;
}
