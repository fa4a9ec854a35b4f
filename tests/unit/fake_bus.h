/* fake_bus.h — an in-memory cluster bus (services/bus.h) for unit tests:
 * one broker shared by several service instances, every answer queued
 * and delivered by fake_bus_run(), as a real broker answers later; the
 * room and user state kept as bus_redis_state.c keeps it in Redis. */
#ifndef SOCKIT_FAKE_BUS_H
#define SOCKIT_FAKE_BUS_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <strings.h>
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

enum { FE_MSG, FE_SUB, FE_CLAIM, FE_PROBE, FE_GET, FE_ROOM, FE_TOPIC, FE_USER,
       FE_LIST };

struct fevent {
	int type;
	struct fbus *to;
	char chan[96];
	char *msg;
	size_t len;
	uint64_t token;
	int result;
	char holder[96];
	struct fb_room *room;        /* FE_ROOM: a snapshot; FE_USER: found */
	struct fb_user *user;
};

#define FB_ROOMS 16
#define FB_MEMBERS 16
#define FB_MASKS 8
#define FB_USERS 32

struct fb_member {
	char id[64], node[64], nick[32], user[16], host[64], real[101];
	unsigned flags;
};

struct fb_room {
	char fold[64], name[64], key[32], topic[400], tby[32];
	bool used, has_topic;
	long long created, tat;
	unsigned modes, limit;
	uint64_t tver;
	struct fb_member m[FB_MEMBERS];
	int nm;
	struct { char kind, mask[128], setter[32]; long long at; } k[FB_MASKS];
	int nk;
	char inv[FB_MASKS][32];
	int ninv;
};

struct fb_user {
	char fold[32], node[64], nick[32], user[16], host[64], real[101], away[201];
	long long signon;
	bool used;
};

static struct {
	int ops;                     /* state ops sent (room and user) */
	bool fail_lists;             /* room_list answers "failed" (a timeout) */
	struct fbus *bus[FB_MAX];
	int n;
	int nkeys;
	int head, tail;
	/* The tables (~1.2 MB) last: a slot is zeroed when it is taken (a
	 * room or user by fb_room/fb_user, an event by fb_push, a key is
	 * written whole), so fake_bus_reset clears only what is before them
	 * and the used flags — zeroing them all was most of a fuzz input. */
	struct fb_room rooms[FB_ROOMS];
	struct fb_user users[FB_USERS];
	char key[FB_KEYS][96], val[FB_KEYS][96];
	struct fevent ev[FB_EVENTS];
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

static inline void fb_probe(struct svc_bus *b, const char *node, uint64_t token)
{
	struct fevent *e = fb_push(FE_PROBE, (struct fbus *)b);
	e->token = token;
	e->result = fb_node_alive(node);
}


/* --- room and user state (bus_redis_state.c in memory) --------------- */

static inline struct fb_room *fb_room(const char *fold, bool create)
{
	struct fb_room *free_slot = NULL;

	for (int i = 0; i < FB_ROOMS; i++) {
		if (fb.rooms[i].used && strcmp(fb.rooms[i].fold, fold) == 0)
			return &fb.rooms[i];
		if (!fb.rooms[i].used && !free_slot)
			free_slot = &fb.rooms[i];
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof *free_slot);
	free_slot->used = true;
	snprintf(free_slot->fold, sizeof free_slot->fold, "%s", fold);
	return free_slot;
}

static inline bool fb_glob(const char *p, const char *s)
{
	const char *star = NULL, *retry = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			retry = s;
		} else if (*p && (*p == '?' || tolower((unsigned char)*p) == tolower((unsigned char)*s))) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++retry;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return !*p;
}

static inline bool fb_has(const struct fb_room *r, char kind, const char *who)
{
	for (int i = 0; i < r->nk; i++)
		if (r->k[i].kind == kind && fb_glob(r->k[i].mask, who))
			return true;
	return false;
}

static inline void fb_member_set(struct fb_member *x, const char *id,
                                 const struct bus_member *m)
{
	snprintf(x->id, sizeof x->id, "%s", id);
	snprintf(x->node, sizeof x->node, "%s", m->node);
	snprintf(x->nick, sizeof x->nick, "%s", m->nick);
	snprintf(x->user, sizeof x->user, "%s", m->user);
	snprintf(x->host, sizeof x->host, "%s", m->host);
	snprintf(x->real, sizeof x->real, "%s", m->real);
	x->flags = m->flags;
}

static inline void fb_drop_member(struct fb_room *r, int i)
{
	r->m[i] = r->m[--r->nm];
	if (r->nm == 0)
		r->used = false;
}

static inline int fb_refusal(struct fb_room *r, const char *mask, const char *nick)
{
	bool inv = fb_has(r, 'I', mask);

	for (int i = 0; i < r->ninv; i++)
		inv = inv || strcasecmp(r->inv[i], nick) == 0;
	if ((r->modes & BUS_MODE_INVITE) && !inv)
		return BUS_JOIN_INVITE;
	if (fb_has(r, 'b', mask) && !fb_has(r, 'e', mask) && !inv)
		return BUS_JOIN_BANNED;
	if ((r->modes & BUS_MODE_LIMIT) && (unsigned)r->nm >= r->limit)
		return BUS_JOIN_FULL;
	return BUS_JOIN_OK;
}

static inline void fb_room_join(struct svc_bus *b, const char *room, const char *name,
                                unsigned modes, const char *id, const struct bus_member *m,
                                const char *mask, const char *key, uint64_t token)
{
	struct fevent *e = fb_push(FE_ROOM, (struct fbus *)b);
	struct fb_room *r = fb_room(room, false);
	struct bus_member mm = *m;

	fb.ops++;
	e->token = token;
	mm.flags = 0;
	if (!r) {
		r = fb_room(room, true);
		snprintf(r->name, sizeof r->name, "%s", name);
		r->modes = modes;
		r->created = 1000;
		mm.flags = BUS_MEMBER_OP;
	} else if ((e->result = fb_refusal(r, mask, m->nick)) == BUS_JOIN_OK &&
	           (r->modes & BUS_MODE_KEY) && strcmp(r->key, key ? key : "") != 0) {
		e->result = BUS_JOIN_KEY;
	}
	if (e->result != BUS_JOIN_OK || r->nm == FB_MEMBERS) {
		e->result = e->result ? e->result : BUS_JOIN_FAILED;
		return;
	}
	fb_member_set(&r->m[r->nm++], id, &mm);
	for (int i = 0; i < r->ninv; i++)
		if (strcasecmp(r->inv[i], m->nick) == 0)
			memcpy(r->inv[i], r->inv[--r->ninv], sizeof r->inv[0]);
	e->room = malloc(sizeof *e->room);
	*e->room = *r;
	e->result = BUS_JOIN_OK;
	e->len = mm.flags;
}

static inline void fb_room_part(struct svc_bus *b, const char *room, const char *id)
{
	struct fb_room *r = fb_room(room, false);

	(void)b;
	fb.ops++;
	for (int i = 0; r && i < r->nm; i++)
		if (strcmp(r->m[i].id, id) == 0) {
			fb_drop_member(r, i);
			return;
		}
}

static inline void fb_room_member(struct svc_bus *b, const char *room, const char *id,
                                  const struct bus_member *m)
{
	struct fb_room *r = fb_room(room, false);

	(void)b;
	fb.ops++;
	for (int i = 0; r && i < r->nm; i++)
		if (strcmp(r->m[i].id, id) == 0)
			fb_member_set(&r->m[i], id, m);
}

static inline void fb_room_modes(struct svc_bus *b, const char *room, unsigned modes,
                                 const char *key, unsigned limit)
{
	struct fb_room *r = fb_room(room, false);

	(void)b;
	fb.ops++;
	if (!r)
		return;
	r->modes = modes;
	r->limit = limit;
	snprintf(r->key, sizeof r->key, "%s", key ? key : "");
}

static inline void fb_room_mask(struct svc_bus *b, const char *room,
                                const struct bus_mask *mk, bool add)
{
	struct fb_room *r = fb_room(room, false);

	(void)b;
	fb.ops++;
	if (!r)
		return;
	for (int i = 0; i < r->nk; i++)
		if (r->k[i].kind == mk->kind && strcasecmp(r->k[i].mask, mk->mask) == 0) {
			if (!add)
				r->k[i] = r->k[--r->nk];
			return;
		}
	if (add && r->nk < FB_MASKS) {
		r->k[r->nk].kind = mk->kind;
		snprintf(r->k[r->nk].mask, sizeof r->k[0].mask, "%s", mk->mask);
		snprintf(r->k[r->nk].setter, sizeof r->k[0].setter, "%s", mk->setter);
		r->k[r->nk++].at = mk->at;
	}
}

static inline void fb_room_invite(struct svc_bus *b, const char *room, const char *nick)
{
	struct fb_room *r = fb_room(room, false);

	(void)b;
	fb.ops++;
	if (r && r->ninv < FB_MASKS)
		snprintf(r->inv[r->ninv++], sizeof r->inv[0], "%s", nick);
}

static inline void fb_room_topic(struct svc_bus *b, const char *room, const char *topic,
                                 const char *setter, long long at, uint64_t token)
{
	struct fevent *e = fb_push(FE_TOPIC, (struct fbus *)b);
	struct fb_room *r = fb_room(room, false);

	fb.ops++;
	e->token = token;
	if (!r)
		return;             /* version 0: failed */
	r->has_topic = topic != NULL;
	snprintf(r->topic, sizeof r->topic, "%s", topic ? topic : "");
	snprintf(r->tby, sizeof r->tby, "%s", setter);
	r->tat = at;
	e->len = (size_t)++r->tver;
}

static inline void fb_room_seed(struct svc_bus *b, const char *room, const struct bus_room *st)
{
	struct fb_room *r = fb_room(room, false);

	fb.ops++;
	if (!r) {
		r = fb_room(room, true);
		if (!r)
			return;
		snprintf(r->name, sizeof r->name, "%s", st->name);
		r->modes = st->modes;
		r->limit = st->limit;
		snprintf(r->key, sizeof r->key, "%s", st->key);
		r->has_topic = st->topic != NULL;
		snprintf(r->topic, sizeof r->topic, "%s", st->topic ? st->topic : "");
		snprintf(r->tby, sizeof r->tby, "%s", st->topic_by);
		r->tver = st->topic_ver;
		for (size_t i = 0; i < st->nmasks; i++)
			fb_room_mask(b, room, &st->masks[i], true);
	}
	for (int i = r->nm - 1; i >= 0; i--)
		if (strcmp(r->m[i].node, b->node) == 0)
			r->m[i] = r->m[--r->nm];
	for (size_t i = 0; i < st->nmembers && r->nm < FB_MEMBERS; i++)
		fb_member_set(&r->m[r->nm++], st->ids[i], &st->members[i]);
	r->used = r->nm > 0;
}

/* Remove node's members of every room not in keep, and its users. */
static inline void fb_purge(const char *node, const char *const *keep, size_t nkeep,
                            const char *const *ukeep, size_t nukeep)
{
	for (int i = 0; i < FB_ROOMS; i++) {
		struct fb_room *r = &fb.rooms[i];
		bool kept = false;
		for (size_t j = 0; j < nkeep; j++)
			kept = kept || strcmp(keep[j], r->fold) == 0;
		for (int k = r->nm - 1; r->used && !kept && k >= 0; k--)
			if (strcmp(r->m[k].node, node) == 0)
				fb_drop_member(r, k);
	}
	for (int i = 0; i < FB_USERS; i++) {
		bool kept = false;
		for (size_t j = 0; j < nukeep; j++)
			kept = kept || strcmp(ukeep[j], fb.users[i].fold) == 0;
		if (fb.users[i].used && !kept && strcmp(fb.users[i].node, node) == 0)
			fb.users[i].used = false;
	}
}

static inline void fb_resync(struct svc_bus *b, const char *const *rooms, size_t nrooms,
                             const char *const *nicks, size_t nnicks)
{
	fb.ops++;
	fb_purge(b->node, rooms, nrooms, nicks, nnicks);
}

static inline void fb_heartbeat(struct svc_bus *b)
{
	(void)b;
	for (int i = 0; i < fb.n; i++)
		if (!fb.bus[i]->alive)
			fb_purge(fb.bus[i]->b.node, NULL, 0, NULL, 0);
}

static inline struct fb_user *fb_user(const char *fold, bool create)
{
	for (int i = 0; i < FB_USERS; i++)
		if (fb.users[i].used && strcmp(fb.users[i].fold, fold) == 0)
			return &fb.users[i];
	for (int i = 0; create && i < FB_USERS; i++)
		if (!fb.users[i].used) {
			memset(&fb.users[i], 0, sizeof fb.users[i]);
			fb.users[i].used = true;
			snprintf(fb.users[i].fold, sizeof fb.users[i].fold, "%s", fold);
			return &fb.users[i];
		}
	return NULL;
}

static inline void fb_user_set(struct svc_bus *b, const char *nick, const struct bus_user *u)
{
	struct fb_user *x = fb_user(nick, true);

	fb.ops++;
	if (!x)
		return;
	snprintf(x->node, sizeof x->node, "%s", b->node);
	snprintf(x->nick, sizeof x->nick, "%s", u->nick);
	snprintf(x->user, sizeof x->user, "%s", u->user);
	snprintf(x->host, sizeof x->host, "%s", u->host);
	snprintf(x->real, sizeof x->real, "%s", u->real);
	snprintf(x->away, sizeof x->away, "%s", u->away ? u->away : "");
	x->signon = u->signon;
}

static inline void fb_user_del(struct svc_bus *b, const char *nick)
{
	struct fb_user *x = fb_user(nick, false);

	fb.ops++;
	if (x && strcmp(x->node, b->node) == 0)
		x->used = false;
}

static inline void fb_user_get(struct svc_bus *b, const char *nick, uint64_t token)
{
	struct fevent *e = fb_push(FE_USER, (struct fbus *)b);
	struct fb_user *x = fb_user(nick, false);

	fb.ops++;
	e->token = token;
	if (x) {
		e->user = malloc(sizeof *e->user);
		*e->user = *x;
	}
}

/* room_list: answered from the rooms as they are when delivered; the
 * names asked (folded) kept in msg, NUL-separated. */
static inline void fb_room_list(struct svc_bus *b, const char *const *rooms, size_t nrooms,
                                uint64_t token)
{
	struct fevent *e = fb_push(FE_LIST, (struct fbus *)b);
	size_t len = 0;

	fb.ops++;
	e->token = token;
	e->result = fb.fail_lists || !b->up;
	for (size_t i = 0; i < nrooms; i++)
		len += strlen(rooms[i]) + 1;
	e->msg = malloc(len + 1);
	e->len = nrooms;
	for (size_t i = 0, at = 0; i < nrooms; i++) {
		memcpy(e->msg + at, rooms[i], strlen(rooms[i]) + 1);
		at += strlen(rooms[i]) + 1;
	}
}

static inline void fb_answer_list(struct svc_bus_sink *k, struct fevent *e)
{
	struct bus_listed v[FB_ROOMS];
	size_t n = 0;

	for (int i = 0; i < FB_ROOMS; i++) {
		struct fb_room *r = &fb.rooms[i];
		bool asked = e->len == 0;
		for (size_t j = 0, at = 0; j < e->len && !asked; j++) {
			asked = strcmp(e->msg + at, r->fold) == 0;
			at += strlen(e->msg + at) + 1;
		}
		if (r->used && r->nm > 0 && asked)
			v[n++] = (struct bus_listed){ .name = r->name, .members = (size_t)r->nm,
				.modes = r->modes, .topic = r->has_topic ? r->topic : "" };
	}
	k->rooms(k->svc, e->token, e->result == 0, v, e->result ? 0 : n);
}

/* The bus_room a join answer carries, from a snapshot. */
static inline void fb_answer_room(struct svc_bus_sink *k, struct fevent *e)
{
	struct fb_room *r = e->room;
	struct bus_member mv[FB_MEMBERS];
	struct bus_mask kv[FB_MASKS];
	struct bus_room st = {
		.created = e->len & BUS_MEMBER_OP, .flags = (unsigned)e->len,
		.name = r ? r->name : "", .created_at = r ? r->created : 0,
		.modes = r ? r->modes : 0, .limit = r ? r->limit : 0, .key = r ? r->key : "",
		.topic = r && r->has_topic ? r->topic : NULL, .topic_by = r ? r->tby : "",
		.topic_at = r ? r->tat : 0, .topic_ver = r ? r->tver : 0,
		.members = mv, .masks = kv,
	};

	for (int i = 0; r && i < r->nm; i++)
		mv[st.nmembers++] = (struct bus_member){ .node = r->m[i].node,
			.nick = r->m[i].nick, .user = r->m[i].user, .host = r->m[i].host,
			.real = r->m[i].real, .flags = r->m[i].flags };
	for (int i = 0; r && i < r->nk; i++)
		kv[st.nmasks++] = (struct bus_mask){ .kind = r->k[i].kind,
			.mask = r->k[i].mask, .setter = r->k[i].setter, .at = r->k[i].at };
	k->room(k->svc, e->token, e->result, e->result == BUS_JOIN_OK ? &st : NULL);
}

static const struct svc_bus_ops fb_ops = {
	.publish = fb_publish, .subscribe = fb_subscribe,
	.unsubscribe = fb_unsubscribe, .claim = fb_claim, .release = fb_release,
	.heartbeat = fb_heartbeat, .probe = fb_probe,
	.room_join = fb_room_join, .room_part = fb_room_part, .room_member = fb_room_member,
	.room_modes = fb_room_modes, .room_mask = fb_room_mask, .room_invite = fb_room_invite,
	.room_topic = fb_room_topic, .room_seed = fb_room_seed, .resync = fb_resync,
	.user_set = fb_user_set, .user_del = fb_user_del, .user_get = fb_user_get,
	.room_list = fb_room_list,
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
	while (fb.head != fb.tail) {
		struct fevent *e = &fb.ev[fb.head++ % FB_EVENTS];
		free(e->msg);
		free(e->room);
		free(e->user);
	}
	memset(&fb, 0, offsetof(__typeof__(fb), rooms));
	for (int i = 0; i < FB_ROOMS; i++)
		fb.rooms[i].used = false;
	for (int i = 0; i < FB_USERS; i++)
		fb.users[i].used = false;
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
		else if (e.type == FE_PROBE && k->probed)
			k->probed(k->svc, e.token, e.result != 0);
		else if (e.type == FE_ROOM && k->room)
			fb_answer_room(k, &e);
		else if (e.type == FE_LIST && k->rooms)
			fb_answer_list(k, &e);
		else if (e.type == FE_TOPIC && k->topic)
			k->topic(k->svc, e.token, e.len);
		else if (e.type == FE_USER && k->user) {
			struct fb_user *x = e.user;
			struct bus_user u = { .node = x ? x->node : NULL, .nick = x ? x->nick : NULL,
				.user = x ? x->user : NULL, .host = x ? x->host : NULL,
				.real = x ? x->real : NULL, .signon = x ? x->signon : 0,
				.away = x && x->away[0] ? x->away : NULL };
			k->user(k->svc, e.token, x ? &u : NULL);
		}
		free(e.msg);
		free(e.room);
		free(e.user);
	}
	return n;
}

#endif
