/* chargen.h — the character generator's pattern (RFC 864). */
#ifndef SOCKIT_CHARGEN_H
#define SOCKIT_CHARGEN_H

#include <stddef.h>

#define CHARGEN_COLS 72                       /* characters per line */
#define CHARGEN_LINE (CHARGEN_COLS + 2)       /* with CRLF */
#define CHARGEN_CHARS 95                      /* printable ASCII, ' ' to '~' */
#define CHARGEN_CYCLE (CHARGEN_CHARS * CHARGEN_LINE)  /* bytes before it repeats */
#define CHARGEN_UDP_MAX 512                   /* RFC 864: 0-512 bytes per datagram */

/* Write len bytes of the endless pattern starting at byte pos of it (any
 * value; taken mod CHARGEN_CYCLE): line i holds the 72 printable
 * characters starting with the (i mod 95)th, then CRLF.  Returns the
 * position after the last byte written, mod CHARGEN_CYCLE. */
size_t chargen_fill(char *out, size_t len, size_t pos);

#endif
