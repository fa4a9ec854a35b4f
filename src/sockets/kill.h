/* kill.h — closing sockets from outside with sock_diag SOCK_DESTROY (-K). */
#ifndef SOCKIT_SOCKETS_KILL_H
#define SOCKIT_SOCKETS_KILL_H

#include <stddef.h>

#include "sockets/sockets.h"

/* As ss -K: ask the kernel to destroy every inet socket of l that came
 * from sock_diag — TCP in any state (TIME-WAIT and SYN-RECV entries too),
 * UDP, raw (the owner sees ECONNABORTED, a TCP peer a reset) — and keep in
 * l those it destroyed, dropping those it refused or that were already
 * gone (ENOENT).  Sockets -K cannot touch (UNIX, packet, netlink, and inet
 * ones read from /proc/net, which carry no cookie) stay in l untouched, as
 * ss lists them.  Returns the number destroyed, or -1 with err when
 * netlink itself failed; *tried counts the sockets the kernel was asked
 * about, *refused those it refused (EPERM without CAP_NET_ADMIN,
 * EOPNOTSUPP without CONFIG_INET_DIAG_DESTROY), *why its last errno. */
long kill_sockets(struct sock_list *l, size_t *tried, size_t *refused, int *why,
                  char *err, size_t errlen);

#endif
