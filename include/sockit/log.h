/* log.h — timestamped log lines on stderr, one per event; quiet mode. */
#ifndef SOCKIT_LOG_H
#define SOCKIT_LOG_H

#include <stdbool.h>

enum sk_log_level { SK_LOG_ERROR, SK_LOG_INFO, SK_LOG_DEBUG };

/* Lines above level are dropped; SK_LOG_ERROR keeps only errors (quiet). */
void sk_log_set_level(enum sk_log_level level);
bool sk_log_enabled(enum sk_log_level level);

/* Write "2026-11-21T10:00:00.123Z LEVEL message\n" to stderr as one
 * write(2), so lines from several threads never interleave.  Bytes of
 * the message outside printable ASCII (0x20-0x7e) are written as \xNN:
 * a log line never carries a control sequence or a line end, whatever
 * text a client managed to get into it.  At most ~2 KB per line. */
void sk_log(enum sk_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
