/* cgroup_path.c — -e's cgroup:PATH: the cgroup v2 path of a socket's
 * cgroup id (INET_DIAG_CGROUP_ID), found as ss finds it, by walking the
 * cgroup2 mount once, on the first lookup. */
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sockets/output.h"

/* A walk stops here: a host with more cgroups than this is odd, and the
 * listing must not stall on it (ids past it print as "unreachable:"). */
#define CG_MAX 65536

struct cg_ent {
	uint64_t id;
	char *path;
};

static struct {
	bool loaded, offline;
	size_t n, cap;
	struct cg_ent *v;
	size_t mntlen;
	char unknown[40];
} cg;

/* The cgroup2 mount point from /proc/self/mounts (ss's find_cgroup2_mount
 * without its mounting one), or /sys/fs/cgroup. */
static void find_mount(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char line[4096], dev[256], dir[4096], type[64];

	snprintf(out, len, "/sys/fs/cgroup");
	if (!f)
		return;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%255s %4095s %63s", dev, dir, type) == 3 &&
		    strcmp(type, "cgroup2") == 0) {
			snprintf(out, len, "%s", dir);
			break;
		}
	fclose(f);
}

/* The id the kernel reports is the cgroup's kernfs id: its file handle
 * (ss's get_cgroup2_id); the inode number is the same on 64-bit hosts. */
static uint64_t cgroup_id_of(const char *path, const struct stat *sb)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h;
	uint64_t id;
	int mnt;

	memset(&h, 0, sizeof h);
	h.fh.handle_bytes = sizeof id;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0) == 0 &&
	    h.fh.handle_bytes == sizeof id) {
		memcpy(&id, h.fh.f_handle, sizeof id);
		return id;
	}
	return (uint64_t)sb->st_ino;
}

static int add_dir(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	const char *rel = fpath + cg.mntlen;
	char *path;

	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (cg.n == CG_MAX)
		return 1; /* stop the walk */
	if (cg.n == cg.cap) {
		size_t cap = cg.cap ? cg.cap * 2 : 64;
		struct cg_ent *v = realloc(cg.v, cap * sizeof *v);

		if (!v)
			return 1;
		cg.v = v;
		cg.cap = cap;
	}
	if (!(path = strdup(*rel ? rel : "/")))
		return 1;
	cg.v[cg.n].id = cgroup_id_of(fpath, sb);
	cg.v[cg.n++].path = path;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct cg_ent *)a)->id, y = ((const struct cg_ent *)b)->id;

	return (x > y) - (x < y);
}

static void load(void)
{
	char mnt[4096];

	cg.loaded = true;
	find_mount(mnt, sizeof mnt);
	cg.mntlen = strlen(mnt);
	nftw(mnt, add_dir, 32, FTW_MOUNT | FTW_PHYS);
	/* -e looks up every socket's id: by halving, not a pass over all of
	 * a host's cgroups per socket. */
	qsort(cg.v, cg.n, sizeof *cg.v, by_id);
}

void cgroup_path_offline(void)
{
	cg.offline = true;
}

/* The cgroup v2 root's id is 1 on every host. */
#define CG_ROOT_ID 1

const char *cgroup_path(uint64_t id)
{
	if (cg.offline && id == CG_ROOT_ID)
		return "/";
	if (!cg.loaded && !cg.offline)
		load();
	const struct cg_ent key = {id, NULL};
	const struct cg_ent *hit = cg.n ? bsearch(&key, cg.v, cg.n, sizeof *cg.v, by_id) : NULL;

	if (hit)
		return hit->path;
	/* A socket of a removed cgroup, or one outside this mount: as ss. */
	snprintf(cg.unknown, sizeof cg.unknown, "unreachable:%" PRIx64, id);
	return cg.unknown;
}

void cgroup_path_free(void)
{
	for (size_t i = 0; i < cg.n; i++)
		free(cg.v[i].path);
	free(cg.v);
	memset(&cg, 0, sizeof cg);
}
