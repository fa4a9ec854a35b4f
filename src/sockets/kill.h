/* kill.h — closing sockets from outside with sock_diag SOCK_DESTROY (-K). */
#ifndef SOCKIT_SOCKETS_KILL_H
#define SOCKIT_SOCKETS_KILL_H

#include <stddef.h>

#include "sockets/sockets.h"

/* Ask the kernel to destroy every TCP and UDP socket of l (as ss -K does:
 * the owner sees ECONNABORTED, a TCP peer a reset), then keep in l only
 * those it destroyed.  UNIX sockets and TIME-WAIT entries cannot be
 * destroyed and are dropped.  Returns the number destroyed, or -1 with err
 * when netlink itself failed; *refused counts the sockets the kernel
 * refused (EPERM without CAP_NET_ADMIN, EOPNOTSUPP without
 * CONFIG_INET_DIAG_DESTROY), *why its last errno. */
long kill_sockets(struct sock_list *l, size_t *refused, int *why, char *err,
                  size_t errlen);

#endif
