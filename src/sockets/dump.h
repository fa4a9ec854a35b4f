/* dump.h — recorded sock_diag replies plus a /proc owner snapshot, so the
 * filters and output can be replayed exactly (--record-dump, --from-dump).
 *
 * The file is text, one record per line:
 *   # comment
 *   nl tcp|udp|unix HEX     one netlink message as the kernel sent it
 *   fd PID INODE HEXCOMM    one socket fd owner (comm hex-encoded)
 */
#ifndef SOCKIT_SOCKETS_DUMP_H
#define SOCKIT_SOCKETS_DUMP_H

#include <stdio.h>

#include "sockets/collect.h"
#include "sockets/procmap.h"

/* Longest netlink message a dump line may hold. */
#define DUMP_MSG_MAX 8192

void dump_write_header(FILE *f);
void dump_write_msg(FILE *f, enum diag_kind kind, const struct nlmsghdr *nlh);
/* Write the owners of the sockets in l (those m knows). */
void dump_write_owners(FILE *f, const struct procmap *m, const struct sock_list *l);

/* Read a dump: sockets into out, owners into m.  Returns 0, or -1 with err
 * naming the file and line ("sockets: dump x:3: bad hex"). */
int dump_read(const char *path, struct sock_list *out, struct procmap *m, char *err,
              size_t errlen);

#endif
