/* events.h — following socket destruction as it happens (ss -E). */
#ifndef SOCKIT_SOCKETS_EVENTS_H
#define SOCKIT_SOCKETS_EVENTS_H

#include <stdbool.h>
#include <stdio.h>

#include "sockets/expr.h"
#include "sockets/filter.h"
#include "sockets/output.h"

struct events_opts {
	const struct sock_filter *filter; /* netids, families, ports, pid ignored */
	const struct expr *expr;
	const struct out_opts *out;
	bool json;   /* one JSON object per line */
	long count;  /* stop after this many events; 0: until SIGINT/SIGTERM */
};

/* Subscribe to the kernel's TCP and UDP destruction groups, say so on
 * stderr ("sockit sockets: waiting for socket destruction events"), and
 * print each destroyed socket f and x select as it arrives, flushed.
 * Returns 0 after count events or a signal; -1 with err. */
int events_run(FILE *out, const struct events_opts *o, char *err, size_t errlen);

#endif
