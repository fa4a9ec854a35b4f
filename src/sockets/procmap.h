/* procmap.h — which process owns each socket: one pass over /proc/PID/fd
 * into an open-addressing hash map from socket inode to (pid, comm). */
#ifndef SOCKIT_SOCKETS_PROCMAP_H
#define SOCKIT_SOCKETS_PROCMAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sockets/sockets.h"

struct proc_owner {
	uint32_t inode;          /* 0: empty slot */
	int pid;
	char comm[16];
};

struct procmap {
	struct proc_owner *slots;
	size_t cap, n;           /* cap is a power of two, n <= cap / 2 */
};

/* Scan /proc/PID/fd of every process (only of only_pid when > 0) and map
 * each socket inode to its first owner.  Processes that vanish or refuse
 * are skipped.  Returns 0, or -1 with err. */
int procmap_build(struct procmap *m, int only_pid, char *err, size_t errlen);

/* Record inode -> (pid, comm) unless the inode already has an owner.
 * Returns 0, or -1 when out of memory. */
int procmap_add(struct procmap *m, uint32_t inode, int pid, const char *comm);

/* The owner of inode, or NULL. */
const struct proc_owner *procmap_find(const struct procmap *m, uint32_t inode);

/* Set pid and comm of every entry of l that has an owner in m. */
void procmap_fill(const struct procmap *m, struct sock_list *l);

void procmap_free(struct procmap *m);

#endif
