/* log.c — one timestamped line per event on stderr, in one write(2). */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "sockit/log.h"

static enum sk_log_level log_level = SK_LOG_INFO;
static const char *const level_names[] = { "error", "info", "debug" };

void sk_log_set_level(enum sk_log_level level)
{
	log_level = level;
}

bool sk_log_enabled(enum sk_log_level level)
{
	return level <= log_level;
}

void sk_log(enum sk_log_level level, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (!sk_log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ %s ",
	                      ts.tv_nsec / 1000000, level_names[level]);
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += (size_t)m < sizeof line - n - 1 ? (size_t)m : sizeof line - n - 2;
	line[n++] = '\n';
	/* Best effort: a log line that cannot be written is not an error. */
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}
