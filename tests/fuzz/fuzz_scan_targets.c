/* fuzz_scan_targets.c — libFuzzer target for scan targets (addresses and
 * CIDR blocks): any text fails with a message or adds at most 65536 hosts
 * of one family.  Texts that would be looked up as host names are skipped:
 * a fuzzer must not send DNS queries.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iinclude -Isrc tests/fuzz/fuzz_scan_targets.c src/scan/targets.c \
 *     lib/error.c -o fuzz_scan_targets
 *
 * fuzz-sources: src/scan/targets.c lib/error.c lib/parse.c */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/targets.h"
#include "sockit/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Would targets_add resolve this as a name?  (Letters, no ':' or '/'.) */
static bool looks_like_name(const char *s)
{
	bool letter = false;
	for (; *s; s++) {
		if (*s == ':' || *s == '/')
			return false;
		letter |= isalpha((unsigned char)*s) != 0;
	}
	return letter;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target_list tl = { 0 };
	char err[SK_ERRLEN];
	char *text = malloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	if (strlen(text) == size && !looks_like_name(text)) {
		int rc = targets_add(&tl, text, AF_UNSPEC, err, sizeof err);
		if (rc == TARGET_OK && (tl.count == 0 || tl.count > TARGETS_MAX_HOSTS))
			abort();
		for (size_t i = 1; i < tl.count; i++)
			if (tl.hosts[i].family != tl.hosts[0].family)
				abort();
		if (rc != TARGET_OK && err[0] == '\0')
			abort();
	}
	targets_free(&tl);
	free(text);
	return 0;
}
