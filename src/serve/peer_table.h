/* peer_table.h — concurrent connection counts per client address. */
#ifndef SOCKIT_PEER_TABLE_H
#define SOCKIT_PEER_TABLE_H

#include <stdbool.h>
#include <sys/socket.h>

struct peer_table;

/* A table shared by threads (it locks internally). NULL on ENOMEM. */
struct peer_table *peer_table_new(void);
void peer_table_free(struct peer_table *t);

/* Count one more connection from sa unless it already has limit (limit 0
 * means no limit); returns whether it was counted. */
bool peer_table_acquire(struct peer_table *t, const struct sockaddr *sa, int limit);

/* Forget one connection from sa (one that acquire counted). */
void peer_table_release(struct peer_table *t, const struct sockaddr *sa);

/* The address bytes that identify a client: IPv4, IPv6 (v4-mapped folded
 * to IPv4), or none for UNIX (returns 0). */
size_t peer_key(const struct sockaddr *sa, unsigned char key[16]);

#endif
