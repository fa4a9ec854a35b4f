/* proxy_reply.c — the proxy replies --proxy reads, parsed without I/O
 * (picohttpparser's contract: bytes consumed, -2 incomplete, -1 bad), so
 * a hostile proxy meets a fuzzed parser: the SOCKS5 method choice and
 * CONNECT reply (RFC 1928), the user/password status (RFC 1929) and the
 * HTTP response head to CONNECT (RFC 9110 §9.3.6). */
#include <string.h>

#include "netcat/netcat.h"

int nc_socks5_method_reply(const unsigned char *b, size_t n, int *method)
{
	if (n < 2)
		return -2;
	if (b[0] != 5)
		return -1;
	*method = b[1];
	return 2;
}

int nc_socks5_auth_reply(const unsigned char *b, size_t n, int *status)
{
	if (n < 2)
		return -2;
	/* RFC 1929's VER is 1; some servers answer 5 (the SOCKS version). */
	if (b[0] != 1 && b[0] != 5)
		return -1;
	*status = b[1];
	return 2;
}

int nc_socks5_connect_reply(const unsigned char *b, size_t n, int *rep, size_t *need)
{
	size_t addr;

	*need = 5;              /* enough to know the length of any reply */
	if (n < 4)
		return -2;
	if (b[0] != 5 || b[2] != 0)
		return -1;
	switch (b[3]) {
	case 1: addr = 4; break;
	case 4: addr = 16; break;
	case 3:
		if (n < 5)
			return -2;
		addr = 1 + (size_t)b[4];
		break;
	default:
		return -1;
	}
	*need = 4 + addr + 2;
	if (n < *need)
		return -2;
	*rep = b[1];
	return (int)*need;
}

/* "HTTP/d.d NNN" at the start of the status line: NNN, or -1. */
static int status_code(const char *b, size_t n)
{
	if (n < 12 || memcmp(b, "HTTP/", 5) != 0 || b[5] < '0' || b[5] > '9' ||
	    b[6] != '.' || b[7] < '0' || b[7] > '9' || b[8] != ' ')
		return -1;
	int code = 0;
	for (int i = 9; i < 12; i++) {
		if (b[i] < '0' || b[i] > '9')
			return -1;
		code = code * 10 + (b[i] - '0');
	}
	if (code < 100 || (n > 12 && b[12] != ' ' && b[12] != '\r'))
		return -1;
	return code;
}

int nc_http_connect_reply(const char *b, size_t n, int *code)
{
	size_t scan = n < NC_HTTP_HEAD_MAX ? n : NC_HTTP_HEAD_MAX;

	for (size_t i = 0; i < scan; i++) {
		if (b[i] == '\0')
			return -1;          /* no NUL in a head: hostile or not HTTP */
		if (i >= 3 && memcmp(b + i - 3, "\r\n\r\n", 4) == 0) {
			if ((*code = status_code(b, i + 1)) < 0)
				return -1;
			return (int)(i + 1);
		}
	}
	if (memcmp(b, "HTTP/", n < 5 ? n : 5) != 0)
		return -1;              /* not even the start of a response */
	return n >= NC_HTTP_HEAD_MAX ? -1 : -2;
}
