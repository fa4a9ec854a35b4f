/* greet.h — helpers of the greeting service that unit tests reach. */
#ifndef SOCKIT_GREET_H
#define SOCKIT_GREET_H

#include <stddef.h>

#define GREET_BANNER_DEFAULT "Thank you for connecting"
#define GREET_TIMEOUT_DEFAULT_MS 2000
#define GREET_KEEP 4096   /* bytes of the client's reply kept for the log */

/* Write in (n bytes) into out (cap bytes, NUL-terminated) as printable
 * ASCII: \n \r \t \\ and \" as such, other bytes outside 0x20-0x7e as
 * \xNN.  Stops before an escape that would not fit.  Returns the length
 * written. */
size_t greet_escape(char *out, size_t cap, const char *in, size_t n);

#endif
