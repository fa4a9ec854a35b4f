/* byteorder.c — host and network byte order, as on the tutorial's slides.
 *
 * usage: byteorder [NUMBER]                          (default 11111)
 *
 * A 16- or 32-bit number is stored in memory as 2 or 4 bytes.  Big-endian
 * machines store the most significant byte first; little-endian machines
 * (x86, most ARM) store it last.  Network protocols agreed on big-endian,
 * "network byte order", so port numbers and IPv4 addresses in socket
 * structures must be converted: htons()/htonl() (host to network, short
 * or long) and back with ntohs()/ntohl().  On a big-endian machine they
 * do nothing; on a little-endian one they swap the bytes.
 *
 * 11111 is 0x2b67.  Python's socket.htons(11111) prints 26411 (0x672b)
 * on a little-endian machine: the same two bytes, read back in the other
 * order. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

/* The bytes of an object as they lie in memory, lowest address first. */
static void show_bytes(const char *label, const void *p, size_t len)
{
	const unsigned char *b = p;
	printf("%-22s", label);
	for (size_t i = 0; i < len; i++)
		printf(" %02x", b[i]);
	printf("\n");
}

/* What -h/--help prints on stdout, and a usage error on stderr. */
static const char usage_text[] =
	"usage: byteorder [NUMBER 0..65535]\n"
	"Shows NUMBER (default 11111) in host and network byte order.\n";

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s", usage_text);
		return 0;
	}
	char *end = "";
	long n = argc > 1 ? strtol(argv[1], &end, 0) : 11111;
	if (argc > 2 || *end || n < 0 || n > 65535) {
		fprintf(stderr, "%s", usage_text);
		return 2;
	}
	uint16_t one = 1, h16 = (uint16_t)n, n16 = htons(h16);
	uint32_t h32 = (uint32_t)n, n32 = htonl(h32);
	/* On a little-endian machine the low byte of 1 comes first. */
	printf("this machine is %s-endian\n", *(unsigned char *)&one == 1 ? "little" : "big");
	printf("number %ld = 0x%04x\n", n, (unsigned)h16);
	show_bytes("host order, 16 bits:", &h16, sizeof h16);
	show_bytes("htons():", &n16, sizeof n16);
	show_bytes("host order, 32 bits:", &h32, sizeof h32);
	show_bytes("htonl():", &n32, sizeof n32);
	printf("htons(%ld) read as a number = %u (0x%04x)\n", n, (unsigned)n16, (unsigned)n16);
	printf("htonl(%ld) read as a number = %lu (0x%08lx)\n", n, (unsigned long)n32, (unsigned long)n32);
	printf("ntohs(htons(%ld)) = %u\n", n, (unsigned)ntohs(n16));
	return 0;
}
