/* procmap.c — socket inode -> owning process, from one pass over /proc.
 *
 * ss -p keeps a 256-bucket chained table and opens each fd by its full
 * path; at 60k sockets the chains alone make it slow.  Here every fd is
 * read with readlinkat() relative to its already-open fd directory (one
 * path component to resolve) and lands in an open-addressing table kept
 * at most half full, so a look-up is about one probe. */
#include <dirent.h>
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
			return 0;
	m->slots[s].inode = inode;
	m->slots[s].pid = pid;
	snprintf(m->slots[s].comm, sizeof m->slots[s].comm, "%s", comm);
	m->n++;
	return 0;
}

const struct proc_owner *procmap_find(const struct procmap *m, uint32_t inode)
{
	if (!m->cap || inode == 0)
		return NULL;
	for (size_t s = slot_of(inode, m->cap); m->slots[s].inode; s = (s + 1) & (m->cap - 1))
		if (m->slots[s].inode == inode)
			return &m->slots[s];
	return NULL;
}

void procmap_fill(const struct procmap *m, struct sock_list *l)
{
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
	char buf[32768], link[64], comm[16] = "";
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

int procmap_build(struct procmap *m, int only_pid, char *err, size_t errlen)
{
	struct dirent *d;
	DIR *proc;
	int rc = 0;

	if (only_pid > 0)
		rc = scan_pid(m, only_pid);
	else if (!(proc = opendir("/proc"))) {
		snprintf(err, errlen, "sockets: /proc: %s", strerror(errno));
		return -1;
	} else {
		while (rc == 0 && (d = readdir(proc)))
			if (pid_of(d->d_name) > 0)
				rc = scan_pid(m, pid_of(d->d_name));
		closedir(proc);
	}
	if (rc < 0)
		snprintf(err, errlen, "sockets: process map: %s", strerror(ENOMEM));
	return rc;
}
