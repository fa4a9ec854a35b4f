/* greet.h — helpers of the greeting service that unit tests reach. */
#ifndef SOCKIT_GREET_H
#define SOCKIT_GREET_H

#include <stddef.h>

#define GREET_BANNER_DEFAULT "Thank you for connecting"
#define GREET_TIMEOUT_DEFAULT_MS 2000
/* The client's reply goes into the log line escaped, at most
 * GREET_SHOW characters of it: with the rest of the line that stays well
 * within the host's SVC_LOG_MAX, so the "(N more bytes dropped, why)"
 * tail is never cut.  Only as many bytes as can be shown are kept. */
#define GREET_SHOW 768
#define GREET_KEEP GREET_SHOW

#endif
