/* procmap.c — socket inode -> owning process, from one pass over /proc.
 *
 * ss -p keeps a 256-bucket chained table and opens each fd by its full
 * path; at 60k sockets the chains alone make it slow.  Here every fd is
 * read with readlinkat() relative to its already-open fd directory (one
 * path component to resolve) and lands in an open-addressing table kept
 * at most half full, so a look-up is about one probe.  readlink, not stat:
 * following the link would touch the file itself (a hung NFS mount would
 * hang us), and the link text already says "socket:[INODE]". */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "sockets/procmap.h"

static size_t slot_of(uint32_t inode, size_t cap)
{
	/* Fibonacci hashing: socket inodes are nearly sequential. */
	return (size_t)(((uint64_t)inode * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static int grow(struct procmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 4096;
	struct proc_owner *slots = calloc(cap, sizeof *slots);

	if (!slots)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		struct proc_owner *o = &m->slots[i];
		size_t s = slot_of(o->inode, cap);

		if (!o->inode)
			continue;
		while (slots[s].inode)
			s = (s + 1) & (cap - 1);
		slots[s] = *o;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int procmap_add(struct procmap *m, uint32_t inode, int pid, const char *comm)
{
	size_t s;

	if (inode == 0)
		return 0;
	if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
		return -1;
	for (s = slot_of(inode, m->cap); m->slots[s].inode; s = (s + 1) & (m->cap - 1))
		if (m->slots[s].inode == inode)
			break;
	if (m->slots[s].inode == inode && m->slots[s].pid <= pid)
		return 0;
	if (m->slots[s].inode != inode)
		m->n++;
	m->slots[s].inode = inode;
	m->slots[s].pid = pid;
	snprintf(m->slots[s].comm, sizeof m->slots[s].comm, "%s", comm);
	return 0;
}

const struct proc_owner *procmap_find(const struct procmap *m, uint32_t inode)
{
	if (!m->cap || inode == 0)
		return NULL;
	for (size_t s = slot_of(inode, m->cap); m->slots[s].inode;
	     s = (s + 1) & (m->cap - 1))
		if (m->slots[s].inode == inode)
			return &m->slots[s];
	return NULL;
}

void procmap_fill(const struct procmap *m, struct sock_list *l)
{
	if (m->n == 0)
		return; /* no owners asked for: nothing to look up */
	for (size_t i = 0; i < l->n; i++) {
		const struct proc_owner *o = procmap_find(m, l->v[i].inode);

		if (o) {
			l->v[i].pid = o->pid;
			memcpy(l->v[i].comm, o->comm, sizeof o->comm);
		}
	}
}

void procmap_free(struct procmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}

/* "socket:[12345]" -> 12345; 0 for any other link. */
static uint32_t socket_inode(const char *link, ssize_t len)
{
	uint32_t ino = 0;

	if (len < 10 || memcmp(link, "socket:[", 8) != 0 || link[len - 1] != ']')
		return 0;
	for (ssize_t i = 8; i < len - 1; i++) {
		if (link[i] < '0' || link[i] > '9' || ino > UINT32_MAX / 10)
			return 0;
		ino = ino * 10 + (uint32_t)(link[i] - '0');
	}
	return ino;
}

static void read_comm(int pid, char comm[16])
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/comm", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, comm, 15);
		close(fd);
	}
	if (n <= 0)
		n = 0;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Map every socket fd of one process.  comm is read only once the process
 * turns out to hold a socket. */
static int scan_fds(struct procmap *m, int pid, int dfd)
{
	char buf[32768] __attribute__((aligned(8))), link[64], comm[16] = "";
	long n;

	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			ssize_t len;
			uint32_t ino;

			off += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			len = readlinkat(dfd, d->d_name, link, sizeof link - 1);
			if (len <= 0 || !(ino = socket_inode(link, len)))
				continue;
			if (!comm[0])
				read_comm(pid, comm);
			if (procmap_add(m, ino, pid, comm) < 0)
				return -1;
		}
	}
	return 0;
}

static int scan_pid(struct procmap *m, int pid)
{
	char path[64];
	int dfd, rc;

	snprintf(path, sizeof path, "/proc/%d/fd", pid);
	/* Gone, or not ours to look at: not an error, just no owner. */
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	rc = scan_fds(m, pid, dfd);
	close(dfd);
	return rc;
}

static int pid_of(const char *name)
{
	long pid = 0;

	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9' || pid > 1 << 22)
			return 0;
		pid = pid * 10 + (*p - '0');
	}
	return (int)pid;
}

/* Every numeric entry of /proc, or just only_pid. */
static int list_pids(int only_pid, int **pids, size_t *n)
{
	struct dirent *d;
	size_t cap = 256;
	DIR *proc;

	*n = 0;
	if (!(*pids = malloc(cap * sizeof **pids)))
		return -1;
	if (only_pid > 0) {
		(*pids)[(*n)++] = only_pid;
		return 0;
	}
	if (!(proc = opendir("/proc")))
		return -1;
	while ((d = readdir(proc))) {
		int pid = pid_of(d->d_name), *more;

		if (pid <= 0)
			continue;
		if (*n == cap) {
			if (!(more = realloc(*pids, 2 * cap * sizeof **pids)))
				break;
			*pids = more;
			cap *= 2;
		}
		(*pids)[(*n)++] = pid;
	}
	closedir(proc);
	return 0;
}

#define MAX_WORKERS 4

/* The /proc walk split over a few threads: most of its time is the
 * kernel's readlink, which runs in parallel on separate fd tables.  Each
 * worker takes the next process from a shared counter (a few processes
 * may hold most of the sockets) into a map of its own; finish merges. */
struct procscan;

struct worker_arg {
	struct procscan *ps;
	int id;
};

/* Slot MAX_WORKERS is the caller's own: once its netlink dump is done it
 * helps with whatever processes are left. */
struct procscan {
	pthread_t threads[MAX_WORKERS];
	struct worker_arg args[MAX_WORKERS + 1];
	int started;
	int *pids;
	size_t npids;
	atomic_size_t next;
	struct procmap maps[MAX_WORKERS + 1];
	int rc[MAX_WORKERS + 1];
};

static void *scan_worker(void *arg)
{
	struct worker_arg *w = arg;
	struct procscan *ps = w->ps;
	size_t i;

	while (ps->rc[w->id] == 0 && (i = atomic_fetch_add(&ps->next, 1)) < ps->npids)
		ps->rc[w->id] = scan_pid(&ps->maps[w->id], ps->pids[i]);
	return NULL;
}

static int worker_count(size_t npids)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n = cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS : (int)cpus;

	return npids < (size_t)n ? (int)(npids ? npids : 1) : n;
}

struct procscan *procmap_scan_start(int only_pid, char *err, size_t errlen)
{
	struct procscan *ps = calloc(1, sizeof *ps);
	int want;

	if (!ps || list_pids(only_pid, &ps->pids, &ps->npids) < 0) {
		snprintf(err, errlen, "/proc: %s", strerror(errno));
		if (ps)
			free(ps->pids);
		free(ps);
		return NULL;
	}
	atomic_init(&ps->next, 0);
	want = worker_count(ps->npids);
	for (int i = 0; i < want; i++) {
		ps->args[i] = (struct worker_arg){ps, i};
		if (pthread_create(&ps->threads[i], NULL, scan_worker, &ps->args[i]) != 0)
			break;
		ps->started++;
	}
	return ps;
}

int procmap_scan_finish(struct procscan *ps, struct procmap *m, char *err, size_t errlen)
{
	int rc = 0;

	/* Take the remaining processes here too (all of them if no thread
	 * could start). */
	ps->args[MAX_WORKERS] = (struct worker_arg){ps, MAX_WORKERS};
	scan_worker(&ps->args[MAX_WORKERS]);
	for (int i = 0; i < ps->started; i++)
		pthread_join(ps->threads[i], NULL);
	for (int i = 0; i <= MAX_WORKERS; i++) {
		for (size_t s = 0; rc == 0 && s < ps->maps[i].cap; s++) {
			const struct proc_owner *o = &ps->maps[i].slots[s];

			if (o->inode && procmap_add(m, o->inode, o->pid, o->comm) < 0)
				rc = -1;
		}
		rc |= ps->rc[i];
		procmap_free(&ps->maps[i]);
	}
	free(ps->pids);
	free(ps);
	if (rc < 0)
		snprintf(err, errlen, "sockets: process map: %s", strerror(ENOMEM));
	return rc < 0 ? -1 : 0;
}

int procmap_build(struct procmap *m, int only_pid, char *err, size_t errlen)
{
	struct procscan *ps = procmap_scan_start(only_pid, err, errlen);

	return ps ? procmap_scan_finish(ps, m, err, errlen) : -1;
}
