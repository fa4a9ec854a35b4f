/* fuzz_ping_icmp.c — libFuzzer target for ping's reply parser: any bytes,
 * as any socket kind would hand them over, parse or fail without reading
 * past the end, and whatever parses stays inside the packet.
 *
 * fuzz-sources: src/ping/icmp.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ping/icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *pkt = malloc(size ? size : 1); /* exact size: over-reads trap */
	struct icmp_msg m;
	char text[128];

	memcpy(pkt, data, size);
	static const struct {
		int family;
		int ip;
	} kinds[] = {
	    {AF_INET, 1},
	    {AF_INET, 0},
	    {AF_INET6, 0},
	};
	for (size_t k = 0; k < 3; k++) {
		if (icmp_parse(pkt, size, kinds[k].family, kinds[k].ip, &m) < 0)
			continue;
		if (m.icmp_len > size || m.data_off + m.data_len > size)
			abort();
		if (m.kind == ICMP_KIND_REPLY)
			(void)icmp_payload_ok(pkt + m.data_off, m.data_len);
		icmp_error_text(kinds[k].family, m.type, m.code, m.info, text,
		                sizeof text);
		if (strlen(text) >= sizeof text)
			abort();
	}
	free(pkt);
	return 0;
}
