/* fake_bus.h — an in-memory cluster bus (services/bus.h) for unit tests:
 * one broker shared by several service instances, every answer queued
 * and delivered by fake_bus_run(), as a real broker answers later. */
#ifndef SOCKIT_FAKE_BUS_H
#define SOCKIT_FAKE_BUS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"

#define FB_MAX 4
#define FB_SUBS 64
#define FB_KEYS 64
#define FB_EVENTS 4096

struct fbus {
	struct svc_bus b;
	char subs[FB_SUBS][96];
	int nsubs;
	bool alive;                  /* heartbeat key present */
	int publishes;
};

enum { FE_MSG, FE_SUB, FE_CLAIM, FE_PROBE, FE_GET };

struct fevent {
	int type;
	struct fbus *to;
	char chan[96];
	char *msg;
	size_t len;
	uint64_t token;
	int result;
	char holder[96];
};

static struct {
	struct fbus *bus[FB_MAX];
	int n;
	char key[FB_KEYS][96], val[FB_KEYS][96];
	int nkeys;
	struct fevent ev[FB_EVENTS];
	int head, tail;
} fb;

static inline struct fevent *fb_push(int type, struct fbus *to)
{
	struct fevent *e = &fb.ev[fb.tail++ % FB_EVENTS];
	memset(e, 0, sizeof *e);
	e->type = type;
	e->to = to;
	return e;
}

static inline void fb_publish(struct svc_bus *b, const char *chan, const char *msg,
                              size_t len)
{
	((struct fbus *)b)->publishes++;
	for (int i = 0; i < fb.n; i++)
		for (int j = 0; j < fb.bus[i]->nsubs; j++)
			if (strcmp(fb.bus[i]->subs[j], chan) == 0) {
				struct fevent *e = fb_push(FE_MSG, fb.bus[i]);
				snprintf(e->chan, sizeof e->chan, "%s", chan);
				e->msg = malloc(len);
				memcpy(e->msg, msg, len);
				e->len = len;
			}
}

static inline void fb_subscribe(struct svc_bus *b, const char *chan)
{
	struct fbus *f = (struct fbus *)b;
	snprintf(f->subs[f->nsubs++], sizeof f->subs[0], "%s", chan);
	snprintf(fb_push(FE_SUB, f)->chan, sizeof f->subs[0], "%s", chan);
}

static inline void fb_unsubscribe(struct svc_bus *b, const char *chan)
{
	struct fbus *f = (struct fbus *)b;
	for (int j = 0; j < f->nsubs; j++)
		if (strcmp(f->subs[j], chan) == 0) {
			memcpy(f->subs[j], f->subs[--f->nsubs], sizeof f->subs[0]);
			return;
		}
}

static inline bool fb_node_alive(const char *node)
{
	for (int i = 0; i < fb.n; i++)
		if (strcmp(fb.bus[i]->b.node, node) == 0)
			return fb.bus[i]->alive;
	return false;
}

static inline int fb_find(const char *key)
{
	for (int i = 0; i < fb.nkeys; i++)
		if (strcmp(fb.key[i], key) == 0)
			return i;
	return -1;
}

/* The claim script: take key unless a live other node holds it. */
static inline void fb_claim(struct svc_bus *b, const char *key, const char *value,
                            uint64_t token)
{
	struct fevent *e = fb_push(FE_CLAIM, (struct fbus *)b);
	int i = fb_find(key);
	char node[96];

	e->token = token;
	if (i >= 0) {
		sscanf(fb.val[i], "%95s", node);
		if (strcmp(node, b->node) != 0 && fb_node_alive(node)) {
			e->result = BUS_CLAIM_TAKEN;
			memcpy(e->holder, fb.val[i], sizeof e->holder);
			return;
		}
	} else {
		i = fb.nkeys++;
		snprintf(fb.key[i], sizeof fb.key[i], "%s", key);
	}
	snprintf(fb.val[i], sizeof fb.val[i], "%s", value);
	e->result = BUS_CLAIM_WON;
}

static inline void fb_release(struct svc_bus *b, const char *key)
{
	int i = fb_find(key);
	size_t n = strlen(b->node);

	if (i >= 0 && strncmp(fb.val[i], b->node, n) == 0 && fb.val[i][n] == ' ') {
		fb.nkeys--;
		memcpy(fb.key[i], fb.key[fb.nkeys], sizeof fb.key[0]);
		memcpy(fb.val[i], fb.val[fb.nkeys], sizeof fb.val[0]);
	}
}

static inline void fb_get(struct svc_bus *b, const char *key, uint64_t token)
{
	struct fevent *e = fb_push(FE_GET, (struct fbus *)b);
	int i = fb_find(key);

	e->token = token;
	if (i >= 0)
		memcpy(e->holder, fb.val[i], sizeof e->holder);
}

static inline void fb_heartbeat(struct svc_bus *b)
{
	(void)b;
}

static inline void fb_probe(struct svc_bus *b, const char *node, uint64_t token)
{
	struct fevent *e = fb_push(FE_PROBE, (struct fbus *)b);
	e->token = token;
	e->result = fb_node_alive(node);
}

static const struct svc_bus_ops fb_ops = {
	.publish = fb_publish, .subscribe = fb_subscribe,
	.unsubscribe = fb_unsubscribe, .claim = fb_claim, .release = fb_release,
	.heartbeat = fb_heartbeat, .probe = fb_probe, .get = fb_get,
};

static inline void fake_bus_init(struct fbus *f, const char *node)
{
	memset(f, 0, sizeof *f);
	f->b.ops = &fb_ops;
	snprintf(f->b.node, sizeof f->b.node, "%s", node);
	f->b.ttl_ms = 3000;
	f->b.up = true;
	f->alive = true;
	fb.bus[fb.n++] = f;
}

static inline void fake_bus_reset(void)
{
	while (fb.head != fb.tail)
		free(fb.ev[fb.head++ % FB_EVENTS].msg);
	memset(&fb, 0, sizeof fb);
}

/* Deliver everything queued (and what that queues), in order. */
static inline int fake_bus_run(void)
{
	int n = 0;

	while (fb.head != fb.tail && n < 100000) {
		struct fevent e = fb.ev[fb.head++ % FB_EVENTS];
		struct svc_bus_sink *k = &e.to->b.sink;
		n++;
		if (e.type == FE_MSG && k->message)
			k->message(k->svc, e.chan, e.msg, e.len);
		else if (e.type == FE_SUB && k->subscribed)
			k->subscribed(k->svc, e.chan);
		else if (e.type == FE_CLAIM && k->claimed)
			k->claimed(k->svc, e.token, e.result, e.holder[0] ? e.holder : NULL);
		else if (e.type == FE_GET && k->got)
			k->got(k->svc, e.token, e.holder[0] ? e.holder : NULL);
		else if (e.type == FE_PROBE && k->probed)
			k->probed(k->svc, e.token, e.result != 0);
		free(e.msg);
	}
	return n;
}

#endif
