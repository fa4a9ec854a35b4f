/* redis_url.h — the cluster URL: redis://HOST:PORT[/DB] or redis+unix:PATH. */
#ifndef SOCKIT_REDIS_URL_H
#define SOCKIT_REDIS_URL_H

#include <stddef.h>

struct redis_url {
	char host[256];            /* without the [] of an IPv6 address */
	int port;
	char path[108];            /* redis+unix: (then host is empty) */
	int db;
};

/* Parse url into *out (zeroed first); 0, or -1 with err naming it. */
int redis_url_parse(const char *url, struct redis_url *out, char *err, size_t errlen);

#endif
