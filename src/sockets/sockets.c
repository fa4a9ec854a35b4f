/* sockets.c — the socket list container and the ss-style names of netids and states. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sockets/sockets.h"

/* Entry storage.  A listing writes every entry once, so its cost is the
 * page faults: 4 KiB pages measured 2.4 us each here (1 ms at 7,500
 * sockets, 8 ms at 60,000).  Past LIST_MAP_MIN bytes (1,200 entries) the
 * entries move to an anonymous mapping in whole 2 MiB steps that asks for
 * transparent huge pages (0.2 ms to fault 2 MiB); it grows with mremap,
 * which moves page tables, not bytes.  Smaller lists stay with malloc,
 * where a 2 MiB page would cost more than the few faults it saves. */
#define LIST_MAP_MIN  (256u * 1024)
#define LIST_MAP_STEP (2u * 1024 * 1024)

static size_t map_bytes(size_t cap)
{
	size_t b = cap * sizeof(struct sock_entry);

	return (b + LIST_MAP_STEP - 1) / LIST_MAP_STEP * LIST_MAP_STEP;
}

/* Whether a list of capacity cap lives in a mapping (else in malloc). */
static bool list_mapped(size_t cap)
{
	return cap * sizeof(struct sock_entry) > LIST_MAP_MIN;
}

/* Grow l->v to a mapping of at least want entries; 0, or -1 (l unchanged). */
static int grow_mapped(struct sock_list *l, size_t want)
{
	size_t bytes = map_bytes(want);
	void *v;

	if (list_mapped(l->cap))
		v = mremap(l->v, map_bytes(l->cap), bytes, MREMAP_MAYMOVE);
	else
		v = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v == MAP_FAILED)
		return -1;
	/* Before the first touch of the new pages; no THP is no error. */
	(void)madvise(v, bytes, MADV_HUGEPAGE);
	if (!list_mapped(l->cap)) {
		if (l->n)
			memcpy(v, l->v, l->n * sizeof *l->v);
		free(l->v);
	}
	l->v = v;
	l->cap = bytes / sizeof *l->v;
	return 0;
}

static int grow(struct sock_list *l)
{
	size_t cap = l->cap ? l->cap * 2 : 256;
	struct sock_entry *v;

	if (list_mapped(cap))
		return grow_mapped(l, cap);
	if (!(v = realloc(l->v, cap * sizeof *v)))
		return -1;
	l->v = v;
	l->cap = cap;
	return 0;
}

struct sock_entry *sock_list_add(struct sock_list *l)
{
	if (l->n == l->cap && grow(l) < 0)
		return NULL;
	memset(&l->v[l->n], 0, sizeof l->v[0]);
	return &l->v[l->n++];
}

void sock_list_free(struct sock_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].extra);
		free(l->v[i].icons);
	}
	if (list_mapped(l->cap))
		munmap(l->v, map_bytes(l->cap));
	else
		free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

void sock_list_retain(struct sock_list *l,
                      bool (*keep)(const struct sock_entry *, const void *),
                      const void *arg)
{
	size_t out = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (keep(&l->v[i], arg)) {
			if (out != i) /* 200 bytes each: not onto itself */
				l->v[out] = l->v[i];
			out++;
		} else {
			free(l->v[i].path);
			free(l->v[i].extra);
			free(l->v[i].icons);
		}
	}
	l->n = out;
}

const char *netid_name(unsigned netid)
{
	static const char *const names[NETID_COUNT] = {
	    [NETID_TCP] = "tcp",     [NETID_UDP] = "udp",     [NETID_U_STR] = "u_str",
	    [NETID_U_DGR] = "u_dgr", [NETID_U_SEQ] = "u_seq", [NETID_RAW] = "raw",
	    [NETID_P_RAW] = "p_raw", [NETID_P_DGR] = "p_dgr", [NETID_NL] = "nl",
	};
	return netid < NETID_COUNT ? names[netid] : "?";
}

const char *state_name(unsigned state, unsigned netid)
{
	static const char *const names[ST_MAX] = {
	    [0] = "UNKNOWN",
	    [ST_ESTABLISHED] = "ESTAB",
	    [ST_SYN_SENT] = "SYN-SENT",
	    [ST_SYN_RECV] = "SYN-RECV",
	    [ST_FIN_WAIT1] = "FIN-WAIT-1",
	    [ST_FIN_WAIT2] = "FIN-WAIT-2",
	    [ST_TIME_WAIT] = "TIME-WAIT",
	    [ST_CLOSE] = "UNCONN",
	    [ST_CLOSE_WAIT] = "CLOSE-WAIT",
	    [ST_LAST_ACK] = "LAST-ACK",
	    [ST_LISTEN] = "LISTEN",
	    [ST_CLOSING] = "CLOSING",
	    [ST_NEW_SYN_RECV] = "SYN-RECV",
	};
	(void)netid; /* ss prints UNCONN for every socket in CLOSE; so do we */
	return state < ST_MAX ? names[state] : "UNKNOWN";
}
