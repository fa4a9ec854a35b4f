/* redis_url.c — the cluster URL parser (redis_url.h): pure, bounded, apart
 * from the bus so that the config check needs no hiredis. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/redis_url.h"
#include "sockit/error.h"

int redis_url_parse(const char *url, struct redis_url *rb, char *err, size_t errlen)
{
	const char *p;

	memset(rb, 0, sizeof *rb);
	if (strncmp(url, "redis+unix:", 11) == 0) {
		if (!url[11] || strlen(url + 11) >= sizeof rb->path)
			goto bad;
		snprintf(rb->path, sizeof rb->path, "%s", url + 11);
		return 0;
	}
	if (strncmp(url, "redis://", 8) != 0)
		goto bad;
	p = url + 8;
	const char *colon = strrchr(p, ':'), *slash = strchr(p, '/');
	if (!colon || (slash && slash < colon) || colon == p ||
	    (size_t)(colon - p) >= sizeof rb->host)
		goto bad;
	snprintf(rb->host, sizeof rb->host, "%.*s", (int)(colon - p), p);
	if (rb->host[0] == '[') {           /* [v6] */
		size_t n = strlen(rb->host);
		if (n < 3 || rb->host[n - 1] != ']')
			goto bad;
		memmove(rb->host, rb->host + 1, n - 2);
		rb->host[n - 2] = '\0';
	}
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || port < 1 || port > 65535 || (*end && *end != '/'))
		goto bad;
	rb->port = (int)port;
	if (*end == '/') {
		long db = strtol(end + 1, &end, 10);
		if (*end || db < 0 || db > 1000)
			goto bad;
		rb->db = (int)db;
	}
	return 0;
bad:
	sk_seterr(err, errlen, "cluster '%s': expected redis://HOST:PORT[/DB] "
	          "or redis+unix:PATH", url);
	return -1;
}

