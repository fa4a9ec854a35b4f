/* escape.h — bytes from the network made safe to print: every byte
 * outside printable ASCII written as \xNN, so a hostile peer cannot put
 * a control sequence, a line end or a non-ASCII byte into a log line, a
 * table or a terminal. */
#ifndef SOCKIT_ESCAPE_H
#define SOCKIT_ESCAPE_H

#include <stddef.h>

/* Flags of sk_escape; 0 is the plain form (what sk_log writes). */
#define SK_ESCAPE_BACKSLASH 1u  /* '\' as \x5c too: the output reads back
                                   unambiguously (sockets' UNIX paths) */
#define SK_ESCAPE_C         2u  /* \n \r \t \\ \" by name, as in a C string
                                   (banners, replies shown in quotes) */

/* Write in (n bytes) into out (cap bytes, always NUL-terminated when cap
 * is not 0): bytes 0x20-0x7e as they are, every other byte as \xNN (two
 * lower-case hex digits), with flags as above.  Stops before an escape
 * that would not fit whole, so a cut output never ends in half an
 * escape.  Returns the length written (without the NUL); *used (unless
 * NULL) gets how many bytes of in the output covers. */
size_t sk_escape(char *out, size_t cap, const void *in, size_t n, unsigned flags,
                 size_t *used);

#endif
