/* serve/systemd.h — systemd integration for `sockit serve`: socket
 * activation (inherited listeners) and readiness notification. */
#ifndef SOCKIT_SERVE_SYSTEMD_H
#define SOCKIT_SERVE_SYSTEMD_H

#include <stddef.h>

#include "serve/plan.h"
#include "sockit/endpoint.h"

/* Most inherited sockets taken (LISTEN_FDS above it is refused). */
#define SYSD_MAX_FDS 64

/* Socket activation, at plan time: take the sockets systemd passed
 * (LISTEN_PID is this process, LISTEN_FDS of them from fd 3, named by
 * LISTEN_FDNAMES) and fit each one into the plan p.  A socket whose bound
 * address is one of the plan's endpoints is used there.  Otherwise its
 * name must be a service's: the socket's address joins that service (in
 * place of its default endpoints, or added to the plan when the service
 * is not in it).  Sockets are read from the environment once (the
 * variables are then unset, so nothing the server starts inherits them);
 * later calls, at each reload, fit the same sockets into the new plan.
 * Returns 0 (also when nothing was passed), or -1 with err naming the
 * socket ("inherited socket 3 (tcp://0.0.0.0:7, name 'x') matches no
 * endpoint or service"). */
int sysd_adopt(struct serve_plan *p, char *err, size_t errlen);

/* The inherited listener whose bound address is ep's, non-blocking and
 * close-on-exec, handed over once; -1 when there is none (bind anew). */
int sysd_take(const struct sk_endpoint *ep);

/* Send one sd_notify(3) state ("READY=1", "STOPPING=1") as a datagram to
 * $NOTIFY_SOCKET (a path, or @name for the abstract namespace).  Returns 1
 * sent, 0 when NOTIFY_SOCKET is not set, -1 with errno. */
int sysd_notify(const char *state);

/* "RELOADING=1" with MONOTONIC_USEC (what Type=notify-reload expects). */
int sysd_notify_reloading(void);

#endif
