/* icmp.h — ICMP and ICMPv6 echo packets: build requests, parse what comes
 * back, name the errors as iputils does.  Pure functions: no sockets, no
 * globals, every length checked (the parser is fuzzed). */
#ifndef PING_ICMP_H
#define PING_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of an ICMP echo header (type, code, checksum, id, sequence). */
#define ICMP_ECHO_HDR 8

/* Largest echo payload: a 64 KiB IPv4 datagram less the IP and ICMP
 * headers (iputils' limit for -s). */
#define ICMP_MAX_DATA 65507

enum icmp_kind {
	ICMP_KIND_OTHER, /* not ours to report (echo request, unknown type) */
	ICMP_KIND_REPLY, /* an echo reply */
	ICMP_KIND_ERROR, /* unreachable, time exceeded, ... quoting an echo */
};

/* What icmp_parse found in one received packet. */
struct icmp_msg {
	enum icmp_kind kind;
	uint8_t type, code;        /* of the received message */
	uint16_t id, seq;          /* the echo's, or the quoted echo's for an error */
	uint32_t info;             /* MTU (frag needed / packet too big), pointer */
	int ttl;                   /* from the IPv4 header; -1 when not there */
	bool bad_checksum;         /* IPv4 with a header: the ICMP sum is wrong */
	size_t icmp_len;           /* bytes of the ICMP message */
	size_t data_off, data_len; /* echo payload within the packet */
	bool has_dst;              /* error: the quoted packet's destination */
	uint8_t dst[16];           /* 4 bytes for IPv4, 16 for IPv6 */
};

/* The Internet checksum (RFC 1071) of len bytes: 0 over a packet that
 * carries a correct one. */
uint16_t icmp_checksum(const void *buf, size_t len);

/* Write an echo request of datalen payload bytes into buf (cap bytes):
 * the payload is iputils' (byte i is i & 0xff), with the 16-byte send time
 * stamp at its start when it fits.  The IPv4 checksum is filled in (the
 * kernel does ICMPv6's).  Returns the packet length, 0 when cap is short. */
size_t icmp_build_echo(uint8_t *buf, size_t cap, int family, uint16_t id, uint16_t seq,
                       size_t datalen, uint64_t stamp_ns);

/* Parse one packet as received on an ICMP socket of family.  ip_header:
 * the packet starts with an IPv4 header (raw IPv4 sockets).  Returns 0
 * with *m filled, -1 when the packet is malformed (short, bad header). */
int icmp_parse(const uint8_t *pkt, size_t len, int family, bool ip_header,
               struct icmp_msg *m);

/* Whether the payload at data (len bytes) is the pattern icmp_build_echo
 * writes after the time stamp: true when it is, or too short to tell. */
bool icmp_payload_ok(const uint8_t *data, size_t len);

/* iputils' text for an ICMP error ("Destination Host Unreachable",
 * "Time to live exceeded", "Destination unreachable: No route"), written
 * into buf; returns buf. */
char *icmp_error_text(int family, uint8_t type, uint8_t code, uint32_t info, char *buf,
                      size_t len);

#endif
