/* daytime.h — the daytime service's reply text (RFC 867). */
#ifndef SOCKIT_DAYTIME_H
#define SOCKIT_DAYTIME_H

#include <stddef.h>
#include <time.h>

/* Write the local time t as inetd does, "Sat Nov 21 11:25:19 2026\r\n",
 * into buf (cap bytes, at least 32); returns the length (without NUL). */
size_t daytime_format(time_t t, char *buf, size_t cap);

#endif
