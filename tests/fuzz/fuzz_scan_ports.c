/* fuzz_scan_ports.c — libFuzzer target for the scanner's port-list parser:
 * any text either fails with a message or yields a sorted, duplicate-free
 * list within 1-65535.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iinclude -Isrc tests/fuzz/fuzz_scan_ports.c src/scan/ports.c \
 *     lib/error.c -o fuzz_scan_ports
 *
 * fuzz-sources: src/scan/ports.c lib/error.c lib/parse.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/ports.h"
#include "sockit/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether the list is sorted, duplicate-free and within 1-65535.  Left
 * out of coverage tracing: its comparisons, up to 65535 per input, are
 * the target's own and cost more than the parser under test. */
__attribute__((no_sanitize("coverage"), noinline))
static int list_ok(const struct port_list *pl)
{
	if (pl->count == 0 || pl->count > 65535)
		return 0;
	for (size_t i = 0; i < pl->count; i++)
		if (pl->ports[i] == 0 || (i && pl->ports[i] <= pl->ports[i - 1]))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct svc_table svc;
	static int loaded;
	struct port_list pl;
	char err[SK_ERRLEN];
	char *spec = malloc(size + 1);   /* exact size: over-reads trap */

	if (!loaded)
		loaded = 1, svc_load(&svc, "/etc/services");
	memcpy(spec, data, size);
	spec[size] = '\0';
	if (ports_parse(&pl, spec, &svc, err, sizeof err) == 0) {
		if (!list_ok(&pl))
			abort();
		ports_free(&pl);
	} else if (err[0] == '\0') {
		abort();
	}
	free(spec);
	return 0;
}
