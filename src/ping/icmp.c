/* icmp.c — ICMP/ICMPv6 echo packets: build, parse, checksum, error names. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ping/icmp.h"

enum {
	V4_ECHO_REPLY = 0,
	V4_UNREACH = 3,
	V4_QUENCH = 4,
	V4_REDIRECT = 5,
	V4_ECHO = 8,
	V4_TIME_EXCEEDED = 11,
	V4_PARAM = 12,
	V6_UNREACH = 1,
	V6_TOO_BIG = 2,
	V6_TIME_EXCEEDED = 3,
	V6_PARAM = 4,
	V6_ECHO = 128,
	V6_ECHO_REPLY = 129,
	STAMP_LEN = 16,
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint16_t icmp_checksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;

	/* Big-endian 16-bit words, so the result goes out as written. */
	for (; len > 1; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t icmp_build_echo(uint8_t *buf, size_t cap, int family, uint16_t id, uint16_t seq,
                       size_t datalen, uint64_t stamp_ns)
{
	size_t len = ICMP_ECHO_HDR + datalen;

	if (datalen > ICMP_MAX_DATA || cap < len)
		return 0;
	buf[0] = family == AF_INET6 ? V6_ECHO : V4_ECHO;
	buf[1] = 0;
	buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(id >> 8), buf[5] = (uint8_t)id;
	buf[6] = (uint8_t)(seq >> 8), buf[7] = (uint8_t)seq;
	for (size_t i = 0; i < datalen; i++)
		buf[ICMP_ECHO_HDR + i] = (uint8_t)i;
	if (datalen >= STAMP_LEN) {
		/* seconds and nanoseconds, 8 bytes each: like iputils' timeval,
		 * so a peer tool that reads it sees a time. */
		uint64_t sec = stamp_ns / 1000000000u, nsec = stamp_ns % 1000000000u;
		memcpy(buf + ICMP_ECHO_HDR, &sec, 8);
		memcpy(buf + ICMP_ECHO_HDR + 8, &nsec, 8);
	}
	if (family != AF_INET6) {
		uint16_t sum = icmp_checksum(buf, len);
		buf[2] = (uint8_t)(sum >> 8), buf[3] = (uint8_t)sum;
	}
	return len;
}

bool icmp_payload_ok(const uint8_t *data, size_t len)
{
	for (size_t i = STAMP_LEN; i < len; i++)
		if (data[i] != (uint8_t)i)
			return false;
	return true;
}

/* The echo request quoted by an IPv4 error at q (n bytes): its IP header,
 * then at least the 8 bytes of ICMP header.  0 or -1. */
static int quoted_v4(const uint8_t *q, size_t n, struct icmp_msg *m)
{
	if (n < 20 || q[0] >> 4 != 4)
		return -1;
	size_t hl = (size_t)(q[0] & 0x0f) * 4;
	if (hl < 20 || n < hl + ICMP_ECHO_HDR || q[9] != IPPROTO_ICMP)
		return -1;
	if (q[hl] != V4_ECHO)
		return -1;
	m->id = get16(q + hl + 4);
	m->seq = get16(q + hl + 6);
	memcpy(m->dst, q + 16, 4);
	m->has_dst = true;
	return 0;
}

/* The echo request quoted by an ICMPv6 error: a 40-byte IPv6 header
 * whose next header is ICMPv6 (we send no extension headers). */
static int quoted_v6(const uint8_t *q, size_t n, struct icmp_msg *m)
{
	if (n < 40 + ICMP_ECHO_HDR || q[0] >> 4 != 6 || q[6] != IPPROTO_ICMPV6)
		return -1;
	if (q[40] != V6_ECHO)
		return -1;
	m->id = get16(q + 44);
	m->seq = get16(q + 46);
	memcpy(m->dst, q + 24, 16);
	m->has_dst = true;
	return 0;
}

static bool is_error_type(int family, uint8_t type)
{
	if (family == AF_INET6)
		return type == V6_UNREACH || type == V6_TOO_BIG ||
		       type == V6_TIME_EXCEEDED || type == V6_PARAM;
	return type == V4_UNREACH || type == V4_TIME_EXCEEDED || type == V4_PARAM ||
	       type == V4_QUENCH || type == V4_REDIRECT;
}

/* Strip the IPv4 header of a raw socket's packet: *off and *ttl.  0/-1. */
static int strip_v4(const uint8_t *pkt, size_t len, size_t *off, int *ttl)
{
	if (len < 20 || pkt[0] >> 4 != 4)
		return -1;
	size_t hl = (size_t)(pkt[0] & 0x0f) * 4;
	if (hl < 20 || len < hl + ICMP_ECHO_HDR)
		return -1;
	*off = hl;
	*ttl = pkt[8];
	return 0;
}

int icmp_parse(const uint8_t *pkt, size_t len, int family, bool ip_header,
               struct icmp_msg *m)
{
	size_t off = 0;

	memset(m, 0, sizeof *m);
	m->ttl = -1;
	if (ip_header && family == AF_INET && strip_v4(pkt, len, &off, &m->ttl) < 0)
		return -1;
	if (len - off < ICMP_ECHO_HDR)
		return -1;
	const uint8_t *icmp = pkt + off;
	m->icmp_len = len - off;
	m->type = icmp[0];
	m->code = icmp[1];
	/* A ping socket's kernel has checked the sum; ICMPv6's covers a
	 * pseudo-header we never see, and the kernel checks it too. */
	m->bad_checksum =
	    ip_header && family == AF_INET && icmp_checksum(icmp, m->icmp_len) != 0;
	if (m->type == (family == AF_INET6 ? V6_ECHO_REPLY : V4_ECHO_REPLY)) {
		m->kind = ICMP_KIND_REPLY;
		m->id = get16(icmp + 4);
		m->seq = get16(icmp + 6);
		m->data_off = off + ICMP_ECHO_HDR;
		m->data_len = m->icmp_len - ICMP_ECHO_HDR;
		return 0;
	}
	if (!is_error_type(family, m->type))
		return 0; /* ICMP_KIND_OTHER */
	m->info = get32(icmp + 4);
	const uint8_t *q = icmp + ICMP_ECHO_HDR;
	size_t qn = m->icmp_len - ICMP_ECHO_HDR;
	int rc = family == AF_INET6 ? quoted_v6(q, qn, m) : quoted_v4(q, qn, m);
	if (rc == 0)
		m->kind = ICMP_KIND_ERROR;
	return 0;
}

static const char *v4_unreach(uint8_t code)
{
	static const char *const text[] = {
	    "Destination Net Unreachable",
	    "Destination Host Unreachable",
	    "Destination Protocol Unreachable",
	    "Destination Port Unreachable",
	    NULL,
	    "Source Route Failed",
	    "Destination Net Unknown",
	    "Destination Host Unknown",
	    "Source Host Isolated",
	    "Destination Net Prohibited",
	    "Destination Host Prohibited",
	    "Destination Net Unreachable for Type of Service",
	    "Destination Host Unreachable for Type of Service",
	    "Packet filtered",
	    "Precedence Violation",
	    "Precedence Cutoff",
	};
	return code < sizeof text / sizeof text[0] ? text[code] : NULL;
}

static char *v4_text(uint8_t type, uint8_t code, uint32_t info, char *buf, size_t len)
{
	const char *t = NULL;

	switch (type) {
	case V4_UNREACH:
		if (code == 4) {
			snprintf(buf, len, "Frag needed and DF set (mtu = %u)",
			         info & 0xffff);
			return buf;
		}
		if ((t = v4_unreach(code)) == NULL) {
			snprintf(buf, len, "Dest Unreachable, Bad Code: %u", code);
			return buf;
		}
		break;
	case V4_TIME_EXCEEDED:
		t = code == 0   ? "Time to live exceeded"
		    : code == 1 ? "Frag reassembly time exceeded"
		                : NULL;
		if (!t) {
			snprintf(buf, len, "Time exceeded, Bad Code: %u", code);
			return buf;
		}
		break;
	case V4_PARAM:
		snprintf(buf, len, "Parameter problem: pointer = %u", info >> 24);
		return buf;
	case V4_QUENCH:
		t = "Source Quench";
		break;
	case V4_REDIRECT:
		t = "Redirect";
		break;
	default:
		snprintf(buf, len, "Bad ICMP type: %u", type);
		return buf;
	}
	snprintf(buf, len, "%s", t);
	return buf;
}

static char *v6_text(uint8_t type, uint8_t code, uint32_t info, char *buf, size_t len)
{
	static const char *const unreach[] = {
	    "No route",
	    "Administratively prohibited",
	    "Beyond scope of source address",
	    "Address unreachable",
	    "Port unreachable",
	    "Source address failed ingress/egress policy",
	    "Reject route to destination",
	};

	switch (type) {
	case V6_UNREACH:
		if (code < sizeof unreach / sizeof unreach[0])
			snprintf(buf, len, "Destination unreachable: %s", unreach[code]);
		else
			snprintf(buf, len, "Destination unreachable: Unknown code %u",
			         code);
		break;
	case V6_TOO_BIG:
		snprintf(buf, len, "Packet too big: mtu=%u", info);
		break;
	case V6_TIME_EXCEEDED:
		snprintf(buf, len, "Time exceeded: %s",
		         code == 0   ? "Hop limit"
		         : code == 1 ? "Defragmentation failure"
		                     : "Unknown code");
		break;
	case V6_PARAM:
		snprintf(buf, len, "Parameter problem: %s at %u",
		         code == 0   ? "Wrong header field"
		         : code == 1 ? "Unknown header"
		         : code == 2 ? "Unknown option"
		                     : "Unknown code",
		         info);
		break;
	default:
		snprintf(buf, len, "Unknown icmp type: %u", type);
	}
	return buf;
}

char *icmp_error_text(int family, uint8_t type, uint8_t code, uint32_t info, char *buf,
                      size_t len)
{
	return family == AF_INET6 ? v6_text(type, code, info, buf, len)
	                          : v4_text(type, code, info, buf, len);
}
