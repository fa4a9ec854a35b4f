/* procmap.h — which process owns each socket: one pass over /proc/PID/fd
 * into an open-addressing hash map from socket inode to (pid, comm). */
#ifndef SOCKIT_SOCKETS_PROCMAP_H
#define SOCKIT_SOCKETS_PROCMAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sockets/sockets.h"

struct proc_owner {
	uint32_t inode; /* 0: empty slot */
	int pid;
	char comm[16];
};

struct procmap {
	struct proc_owner *slots;
	size_t cap, n; /* cap is a power of two, n <= cap / 2 */
};

/* Scan /proc/PID/fd of every process (only of only_pid when > 0) and map
 * each socket inode to its owner (the lowest pid, when several share it).  Processes that
 * vanish or refuse are skipped.  Returns 0, or -1 with err. */
int procmap_build(struct procmap *m, int only_pid, char *err, size_t errlen);

/* The same in two halves, so the caller can do other work (the netlink
 * dump) while worker threads walk /proc.  start returns NULL with err;
 * finish always frees the scan and merges it into m. */
struct procscan;
struct procscan *procmap_scan_start(int only_pid, char *err, size_t errlen);
int procmap_scan_finish(struct procscan *ps, struct procmap *m, char *err, size_t errlen);

/* Record inode -> (pid, comm) unless it already has an owner of lower pid.
 * Returns 0, or -1 when out of memory. */
int procmap_add(struct procmap *m, uint32_t inode, int pid, const char *comm);

/* The owner of inode, or NULL. */
const struct proc_owner *procmap_find(const struct procmap *m, uint32_t inode);

/* Set pid and comm of every entry of l that has an owner in m. */
void procmap_fill(const struct procmap *m, struct sock_list *l);

void procmap_free(struct procmap *m);

#endif
