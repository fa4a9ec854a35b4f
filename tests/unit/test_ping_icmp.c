/* test_ping_icmp.c — the ping packet code: checksum, echo requests, and
 * the parser on replies, errors, truncated and hostile packets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "ping/icmp.h"

/* An IPv4 header of 20 bytes in front of an ICMP message. */
static size_t with_ip(uint8_t *out, const uint8_t *icmp, size_t n, uint8_t ttl)
{
	memset(out, 0, 20);
	out[0] = 0x45;
	out[8] = ttl;
	out[9] = 1;
	memcpy(out + 20, icmp, n);
	return n + 20;
}

static void test_checksum_known(void **state)
{
	(void)state;
	/* RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2. */
	const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	assert_int_equal(icmp_checksum(b, sizeof b), (uint16_t)~0xddf2);
}

static void test_build_v4_checksums_to_zero(void **state)
{
	(void)state;
	uint8_t b[128];
	size_t n = icmp_build_echo(b, sizeof b, AF_INET, 0x1234, 7, 56, 123456789);
	assert_int_equal(n, 64);
	assert_int_equal(b[0], 8);
	assert_int_equal(icmp_checksum(b, n), 0);
	assert_int_equal(b[4] << 8 | b[5], 0x1234);
	assert_int_equal(b[6] << 8 | b[7], 7);
	assert_true(icmp_payload_ok(b + 8, 56));
	/* too small a buffer, too big a payload */
	assert_int_equal(icmp_build_echo(b, 10, AF_INET, 1, 1, 56, 0), 0);
	assert_int_equal(
	    icmp_build_echo(b, sizeof b, AF_INET, 1, 1, ICMP_MAX_DATA + 1, 0), 0);
}

static void test_parse_v4_raw_reply(void **state)
{
	(void)state;
	uint8_t icmp[64], pkt[128];
	struct icmp_msg m;

	icmp_build_echo(icmp, sizeof icmp, AF_INET, 42, 3, 56, 0);
	icmp[0] = 0; /* reply: fix the sum by hand */
	icmp[2] = icmp[3] = 0;
	uint16_t sum = icmp_checksum(icmp, 64);
	icmp[2] = (uint8_t)(sum >> 8), icmp[3] = (uint8_t)sum;
	size_t n = with_ip(pkt, icmp, 64, 61);
	assert_int_equal(icmp_parse(pkt, n, AF_INET, true, &m), 0);
	assert_int_equal(m.kind, ICMP_KIND_REPLY);
	assert_int_equal(m.id, 42);
	assert_int_equal(m.seq, 3);
	assert_int_equal(m.ttl, 61);
	assert_int_equal(m.icmp_len, 64);
	assert_int_equal(m.data_len, 56);
	assert_false(m.bad_checksum);
	pkt[40] ^= 0xff; /* a payload byte flipped */
	assert_int_equal(icmp_parse(pkt, n, AF_INET, true, &m), 0);
	assert_true(m.bad_checksum);
}

static void test_parse_v4_error_quotes_echo(void **state)
{
	(void)state;
	uint8_t echo[64], err[8 + 20 + 8], pkt[128];
	struct icmp_msg m;

	icmp_build_echo(echo, sizeof echo, AF_INET, 99, 5, 56, 0);
	memset(err, 0, sizeof err);
	err[0] = 3, err[1] = 1; /* host unreachable */
	size_t q = with_ip(err + 8, echo, 8, 1);
	err[8 + 16] = 198, err[8 + 17] = 18, err[8 + 18] = 9, err[8 + 19] = 1;
	size_t n = with_ip(pkt, err, 8 + q, 64);
	assert_int_equal(icmp_parse(pkt, n, AF_INET, true, &m), 0);
	assert_int_equal(m.kind, ICMP_KIND_ERROR);
	assert_int_equal(m.id, 99);
	assert_int_equal(m.seq, 5);
	assert_true(m.has_dst);
	assert_int_equal(m.dst[0], 198);
	assert_int_equal(m.dst[3], 1);
	/* quoted packet cut short: not an error of ours */
	n = with_ip(pkt, err, 8 + 20 + 4, 64);
	assert_int_equal(icmp_parse(pkt, n, AF_INET, true, &m), 0);
	assert_int_equal(m.kind, ICMP_KIND_OTHER);
}

static void test_parse_v6_reply_and_error(void **state)
{
	(void)state;
	uint8_t b[128];
	struct icmp_msg m;

	size_t n = icmp_build_echo(b, sizeof b, AF_INET6, 7, 9, 20, 0);
	b[0] = 129;
	assert_int_equal(icmp_parse(b, n, AF_INET6, false, &m), 0);
	assert_int_equal(m.kind, ICMP_KIND_REPLY);
	assert_int_equal(m.seq, 9);
	assert_int_equal(m.ttl, -1);

	uint8_t e[8 + 40 + 8] = {3, 0}; /* time exceeded: hop limit */
	e[8] = 0x60;
	e[8 + 6] = 58;
	e[8 + 40] = 128;
	e[8 + 47] = 4;
	assert_int_equal(icmp_parse(e, sizeof e, AF_INET6, false, &m), 0);
	assert_int_equal(m.kind, ICMP_KIND_ERROR);
	assert_int_equal(m.seq, 4);
}

static void test_parse_rejects_short_and_bad_headers(void **state)
{
	(void)state;
	uint8_t b[64] = {0x45};
	struct icmp_msg m;

	assert_int_equal(icmp_parse(b, 0, AF_INET, true, &m), -1);
	assert_int_equal(icmp_parse(b, 27, AF_INET, true, &m), -1); /* 20 + 7 */
	b[0] = 0x4f;                                                /* ihl 60 > len */
	assert_int_equal(icmp_parse(b, 40, AF_INET, true, &m), -1);
	b[0] = 0x44; /* ihl 16 < 20 */
	assert_int_equal(icmp_parse(b, 40, AF_INET, true, &m), -1);
	b[0] = 0x65; /* not v4 */
	assert_int_equal(icmp_parse(b, 40, AF_INET, true, &m), -1);
	assert_int_equal(icmp_parse(b, 7, AF_INET6, false, &m), -1);
}

static void test_error_texts_as_iputils(void **state)
{
	(void)state;
	char t[128];
	assert_string_equal(icmp_error_text(AF_INET, 3, 1, 0, t, sizeof t),
	                    "Destination Host Unreachable");
	assert_string_equal(icmp_error_text(AF_INET, 11, 0, 0, t, sizeof t),
	                    "Time to live exceeded");
	assert_string_equal(icmp_error_text(AF_INET, 3, 4, 1400, t, sizeof t),
	                    "Frag needed and DF set (mtu = 1400)");
	assert_string_equal(icmp_error_text(AF_INET, 3, 99, 0, t, sizeof t),
	                    "Dest Unreachable, Bad Code: 99");
	assert_string_equal(icmp_error_text(AF_INET6, 1, 0, 0, t, sizeof t),
	                    "Destination unreachable: No route");
	assert_string_equal(icmp_error_text(AF_INET6, 3, 0, 0, t, sizeof t),
	                    "Time exceeded: Hop limit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checksum_known),
	    cmocka_unit_test(test_build_v4_checksums_to_zero),
	    cmocka_unit_test(test_parse_v4_raw_reply),
	    cmocka_unit_test(test_parse_v4_error_quotes_echo),
	    cmocka_unit_test(test_parse_v6_reply_and_error),
	    cmocka_unit_test(test_parse_rejects_short_and_bad_headers),
	    cmocka_unit_test(test_error_texts_as_iputils),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
