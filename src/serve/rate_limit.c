/* rate_limit.c — shared token buckets for amplified datagram replies. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "serve/peer_table.h"
#include "serve/rate_limit.h"

#define LOCKS 64          /* sets are spread over this many mutexes */
#define MILLI 1000u       /* tokens are kept in thousandths */

struct bucket {
	uint64_t last_ms;
	uint32_t mtokens;     /* thousandths of a reply */
};

struct rate_entry {
	unsigned char key[16];
	uint8_t keylen;       /* 0: free */
	struct bucket b;
};

struct svc_budget {
	const void *svc;
	struct bucket b;
};

struct rate_table {
	pthread_mutex_t lock[LOCKS];
	pthread_mutex_t svc_lock;
	struct svc_budget svcs[RATE_MAX_SERVICES];
	struct rate_entry set[RATE_SETS][RATE_WAYS];
};

struct rate_table *rate_table_new(void)
{
	struct rate_table *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	for (int i = 0; i < LOCKS; i++)
		pthread_mutex_init(&t->lock[i], NULL);
	pthread_mutex_init(&t->svc_lock, NULL);
	return t;
}

void rate_table_free(struct rate_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < LOCKS; i++)
		pthread_mutex_destroy(&t->lock[i]);
	pthread_mutex_destroy(&t->svc_lock);
	free(t);
}

uint32_t rate_set_of(const unsigned char *key, size_t n)
{
	uint32_t h = 2166136261u;     /* FNV-1a, then a final mix so that */
	for (size_t i = 0; i < n; i++) /* neighbouring addresses spread */
		h = (h ^ key[i]) * 16777619u;
	h ^= h >> 15;
	h *= 0x2c1b3c6dU;
	h ^= h >> 12;
	return h % RATE_SETS;
}

/* The bucket's tokens at now (refilled at rate per second, capped at
 * burst).  Workers' clocks are read at slightly different moments: a
 * "now" before last_ms refills nothing. */
static uint32_t refilled(const struct bucket *b, uint64_t now, uint32_t rate,
                         uint32_t burst)
{
	uint64_t max = (uint64_t)burst * MILLI;
	uint64_t dt = now > b->last_ms ? now - b->last_ms : 0;
	uint64_t v = b->mtokens + (dt > max ? max : dt * rate);
	return (uint32_t)(v > max ? max : v);
}

/* Bring b up to now; whether it holds a whole reply. */
static bool bucket_update(struct bucket *b, uint64_t now, uint32_t rate, uint32_t burst)
{
	b->mtokens = refilled(b, now, rate, burst);
	if (now > b->last_ms)
		b->last_ms = now;
	return b->mtokens >= MILLI;
}

/* The entry that carries src's budget in its set: its own, else a free
 * entry or one whose bucket has refilled to the full burst (taking it
 * over gives nobody more than they would have), else the entry with the
 * fewest tokens — shared, so a collision is always the stricter budget. */
static struct rate_entry *entry_for(struct rate_entry *set, const unsigned char *key,
                                    size_t n, uint64_t now)
{
	struct rate_entry *idle = NULL, *poorest = NULL;
	uint32_t least = UINT32_MAX;
	const uint32_t full = RATE_SRC_BURST * MILLI;

	for (int i = 0; i < RATE_WAYS; i++) {
		struct rate_entry *e = &set[i];
		if (e->keylen == n && memcmp(e->key, key, n) == 0)
			return e;
		uint32_t tok = e->keylen ? refilled(&e->b, now, RATE_SRC_PER_SEC,
		                                    RATE_SRC_BURST) : full;
		if (!idle && tok == full)
			idle = e;
		if (tok < least) {
			least = tok;
			poorest = e;
		}
	}
	if (!idle)
		return poorest;
	memcpy(idle->key, key, n);
	idle->keylen = (uint8_t)n;
	idle->b = (struct bucket){ .last_ms = now, .mtokens = full };
	return idle;
}

/* The service's own budget, made on first use; NULL if the table of
 * services is full (then the per-source budget alone applies). */
static struct bucket *svc_bucket(struct rate_table *t, const void *svc, uint64_t now)
{
	for (int i = 0; i < RATE_MAX_SERVICES; i++) {
		struct svc_budget *s = &t->svcs[i];
		if (s->svc == svc)
			return &s->b;
		if (!s->svc) {
			s->svc = svc;
			s->b = (struct bucket){ .last_ms = now, .mtokens = RATE_SVC_BURST * MILLI };
			return &s->b;
		}
	}
	return NULL;
}

/* Take one reply from the service's budget, if it has one. */
static bool svc_take(struct rate_table *t, const void *svc, uint64_t now)
{
	bool ok = true;

	pthread_mutex_lock(&t->svc_lock);
	struct bucket *b = svc_bucket(t, svc, now);
	if (b) {
		ok = bucket_update(b, now, RATE_SVC_PER_SEC, RATE_SVC_BURST);
		if (ok)
			b->mtokens -= MILLI;
	}
	pthread_mutex_unlock(&t->svc_lock);
	return ok;
}

bool rate_allow(struct rate_table *t, const void *svc, const struct sockaddr *src,
                uint64_t now_ms)
{
	unsigned char key[16];
	size_t n = peer_key(src, key);

	if (n == 0)
		return true;
	uint32_t s = rate_set_of(key, n);
	pthread_mutex_t *lock = &t->lock[s % LOCKS];
	pthread_mutex_lock(lock);
	struct rate_entry *e = entry_for(t->set[s], key, n, now_ms);
	/* The source first: a source over its budget costs the service's
	 * budget nothing.  Lock order is always source, then service. */
	bool ok = bucket_update(&e->b, now_ms, RATE_SRC_PER_SEC, RATE_SRC_BURST) &&
	          svc_take(t, svc, now_ms);
	if (ok)
		e->b.mtokens -= MILLI;
	pthread_mutex_unlock(lock);
	return ok;
}
