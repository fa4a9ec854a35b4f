/* fuzz_sockets_diag.c — libFuzzer target for the sock_diag reply decoder
 * that --from-dump feeds with file contents: the first byte picks the kind
 * (tcp, udp, unix), the rest is one netlink message.
 *
 * fuzz-sources: src/sockets/diag_parse.c src/sockets/sockets.c lib/error.c
 * lib/parse.c */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/netlink.h>

#include "sockets/collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t msg[8192 / 4];
	struct sock_list l = {NULL, 0, 0};
	struct nlmsghdr *nlh = (struct nlmsghdr *)msg;

	if (size < 1 + sizeof *nlh || size - 1 > sizeof msg)
		return 0;
	memcpy(msg, data + 1, size - 1);
	/* dump_read accepts a message only when its length field is exact. */
	nlh->nlmsg_len = (uint32_t)(size - 1);
	diag_parse(nlh, (enum diag_kind)(data[0] % DIAG_KINDS), &l);
	sock_list_free(&l);
	return 0;
}
