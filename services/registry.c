/* registry.c — the table of services, and the shared svc_log. */
#include <stdarg.h>
#include <string.h>

#include "service.h"

extern const struct service svc_echo;

const struct service *const svc_all[] = {
	&svc_echo,
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
