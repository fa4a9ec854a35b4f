/* dump.h — recorded sock_diag replies plus a /proc owner snapshot, so the
 * filters and output can be replayed exactly (--record-dump, --from-dump).
 *
 * The file is text, one record per line:
 *   # comment
 *   nl tcp|udp|unix HEX     one netlink message as the kernel sent it
 *   fd PID INODE HEXCOMM    one socket fd owner (comm hex-encoded)
 *   ports LO HI             the recording host's ephemeral port range
 *   auto COOKIE             an inet socket the kernel calls autobound
 *                           (INET_DIAG_BC_AUTO; the cookie in hex)
 * A dump with a ports line has the kernel's autobound answer for every
 * inet socket it holds (auto lines for the yes answers); older dumps have
 * neither, and `autobound` is then decided as ss's user space does.
 */
#ifndef SOCKIT_SOCKETS_DUMP_H
#define SOCKIT_SOCKETS_DUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sockets/collect.h"
#include "sockets/procmap.h"

/* Longest netlink message a dump line may hold. */
#define DUMP_MSG_MAX 8192

/* The header comment and the ports line (the ephemeral range lo..hi). */
void dump_write_header(FILE *f, unsigned lo, unsigned hi);
/* One auto line per cookie. */
void dump_write_auto(FILE *f, const uint64_t *cookies, size_t n);
void dump_write_msg(FILE *f, enum diag_kind kind, const struct nlmsghdr *nlh);
/* Write the owners of the sockets in l (those m knows). */
void dump_write_owners(FILE *f, const struct procmap *m, const struct sock_list *l);

/* The recording host's ephemeral port range, when the dump says it. */
struct dump_ports {
	bool known;
	uint16_t lo, hi;
};

/* Read a dump: sockets into out (with the kernel's autobound answers when
 * recorded), owners into m, the port range into ports (may be NULL).
 * Returns 0, or -1 with err naming the file and line ("sockets: dump x:3:
 * bad hex"). */
int dump_read(const char *path, struct sock_list *out, struct procmap *m,
              struct dump_ports *ports, char *err, size_t errlen);

#endif
