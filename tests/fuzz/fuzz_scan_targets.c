/* fuzz_scan_targets.c — libFuzzer target for scan targets (addresses and
 * CIDR blocks): any text fails with a message or adds at most 65536 hosts
 * of one family.
 *
 * A fuzzer must never send a DNS query: this file's getaddrinfo (an
 * executable's definition takes precedence over libc's) answers every
 * look-up that is not AI_NUMERICHOST with EAI_NONAME at once, and hands
 * numeric ones to libc.  The old guard skipped texts with letters only,
 * so "1-2" or "0_0" went to the resolver: a DNS round trip per input held
 * the target at ~200 exec/s, and sent queries off the machine.  The
 * scripts also run every target inside `unshare -n` where they can.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iinclude -Isrc tests/fuzz/fuzz_scan_targets.c src/scan/targets.c \
 *     lib/error.c -ldl -o fuzz_scan_targets
 *
 * fuzz-sources: src/scan/targets.c lib/error.c lib/parse.c */
#include <dlfcn.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/targets.h"
#include "sockit/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool named; /* the current input asked for a name look-up */

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
	static int (*real)(const char *, const char *, const struct addrinfo *,
	                   struct addrinfo **);

	if (!hints || !(hints->ai_flags & AI_NUMERICHOST)) {
		named = true;
		return EAI_NONAME;
	}
	if (!real && !(real = (int (*)(const char *, const char *, const struct addrinfo *,
	                               struct addrinfo **))dlsym(RTLD_NEXT, "getaddrinfo")))
		abort();
	return real(node, service, hints, res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target_list tl = { 0 };
	char err[SK_ERRLEN];
	char *text = malloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	named = false;
	if (strlen(text) == size) {
		int rc = targets_add(&tl, text, AF_UNSPEC, err, sizeof err);
		if (rc == TARGET_OK && (tl.count == 0 || tl.count > TARGETS_MAX_HOSTS))
			abort();
		for (size_t i = 1; i < tl.count; i++)
			if (tl.hosts[i].family != tl.hosts[0].family)
				abort();
		if (rc != TARGET_OK && err[0] == '\0')
			abort();
		if (named && rc != TARGET_UNRESOLVED)
			abort();    /* a failed look-up must say so */
	}
	targets_free(&tl);
	free(text);
	return 0;
}
