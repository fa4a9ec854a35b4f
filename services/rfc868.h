/* rfc868.h — the time service's wire format (RFC 868), declared apart
 * from time.c because a services/time.h would hide the C library's
 * <time.h> (services/ is on the include path). */
#ifndef SOCKIT_RFC868_H
#define SOCKIT_RFC868_H

#include <stdint.h>
#include <time.h>

/* Seconds between 1900-01-01 and 1970-01-01, both 00:00 UTC. */
#define RFC868_EPOCH_OFFSET 2208988800u

/* The 32-bit count of seconds since 1900 for Unix time t; it wraps in
 * 2036 (era 1), as the RFC's 32 bits must. */
uint32_t rfc868_seconds(time_t t);

/* Write rfc868_seconds(t) in network byte order into out. */
void rfc868_encode(time_t t, unsigned char out[4]);

/* Read 4 bytes back to Unix time, taking values below the 1970 offset
 * as era 1 (2036-2106), so the answer is right until 2106. */
int64_t rfc868_decode(const unsigned char in[4]);

#endif
