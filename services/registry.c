/* registry.c — the table of services, and the shared svc_log. */
#include <stdarg.h>
#include <string.h>

#include "service.h"

extern const struct service svc_echo, svc_greet, svc_caesar, svc_discard,
	svc_daytime, svc_qotd, svc_chargen, svc_time, svc_chat;

const struct service *const svc_all[] = {
	&svc_echo,
	&svc_greet,
	&svc_caesar,
	&svc_discard,
	&svc_daytime,
	&svc_qotd,
	&svc_chargen,
	&svc_time,
	&svc_chat,
	NULL,
};

const struct service *svc_find(const char *name)
{
	for (size_t i = 0; svc_all[i]; i++)
		if (strcmp(svc_all[i]->name, name) == 0)
			return svc_all[i];
	return NULL;
}

void svc_log(struct svc_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	c->host->vlog(c, fmt, ap);
	va_end(ap);
}
