/* peer_table.c — connections per client address, for --per-ip. */
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/peer_table.h"

#define BUCKETS 4096

struct peer {
	struct peer *next;
	unsigned char key[16];
	size_t keylen;
	int count;
};

struct peer_table {
	pthread_mutex_t lock;
	struct peer *bucket[BUCKETS];
};

struct peer_table *peer_table_new(void)
{
	struct peer_table *t = calloc(1, sizeof *t);

	if (t)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void peer_table_free(struct peer_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct peer *p = t->bucket[i], *next; p; p = next) {
			next = p->next;
			free(p);
		}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

size_t peer_key(const struct sockaddr *sa, unsigned char key[16])
{
	static const unsigned char v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (sa->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (memcmp(a, v4mapped, 12) == 0) {
			memcpy(key, a + 12, 4);
			return 4;
		}
		memcpy(key, a, 16);
		return 16;
	}
	return 0;
}

static size_t hash_key(const unsigned char *k, size_t n)
{
	uint32_t h = 2166136261u;   /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	return h % BUCKETS;
}

/* Find the entry for key, creating it when create; NULL if absent/ENOMEM. */
static struct peer *lookup(struct peer_table *t, const unsigned char *key,
                           size_t n, bool create, struct peer ***link)
{
	struct peer **pp = &t->bucket[hash_key(key, n)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->keylen == n && memcmp((*pp)->key, key, n) == 0)
			break;
	if (!*pp && create) {
		*pp = calloc(1, sizeof **pp);
		if (*pp) {
			memcpy((*pp)->key, key, n);
			(*pp)->keylen = n;
		}
	}
	*link = pp;
	return *pp;
}

bool peer_table_acquire(struct peer_table *t, const struct sockaddr *sa, int limit)
{
	unsigned char key[16];
	size_t n = peer_key(sa, key);
	struct peer **link;
	bool ok;

	if (n == 0)
		return true;
	pthread_mutex_lock(&t->lock);
	struct peer *p = lookup(t, key, n, true, &link);
	ok = p && (limit <= 0 || p->count < limit);
	if (ok)
		p->count++;
	else if (p && p->count == 0)
		*link = p->next, free(p);
	pthread_mutex_unlock(&t->lock);
	return ok;
}

void peer_table_release(struct peer_table *t, const struct sockaddr *sa)
{
	unsigned char key[16];
	size_t n = peer_key(sa, key);
	struct peer **link;

	if (n == 0)
		return;
	pthread_mutex_lock(&t->lock);
	struct peer *p = lookup(t, key, n, false, &link);
	if (p && --p->count <= 0) {
		*link = p->next;
		free(p);
	}
	pthread_mutex_unlock(&t->lock);
}
