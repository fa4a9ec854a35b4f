/* cluster_room.c — room state kept by the broker (bus.h room ops): a JOIN
 * is admitted there (bans, +i, +k, +l checked in one atomic step) and a
 * node that did not follow the room builds it from the answer (topic,
 * modes, masks, members); TOPIC is versioned there, so two concurrent
 * writes end as the same topic everywhere; modes, masks, member flags and
 * invites are written through; a PART (of a local user) leaves there; after
 * a reconnect every room with local members is published again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "chat/cluster.h"

_Static_assert((int)CMODE_I == (int)BUS_MODE_INVITE && (int)CMODE_K == (int)BUS_MODE_KEY &&
               (int)CMODE_L == (int)BUS_MODE_LIMIT && (int)MEMB_OP == (int)BUS_MEMBER_OP,
               "the broker checks the service's own mode bits");

/* A local user's member id, unique in the cluster: "UID@NODE". */
void cc_member_id(struct chat_cluster *cc, struct client *cl, char *out, size_t cap)
{
	if (!cl->uid)
		cl->uid = ++cc->next_uid;
	snprintf(out, cap, "%llu@%s", (unsigned long long)cl->uid, cc->bus->node);
}

static struct bus_member member_of(struct chat_cluster *cc, const struct client *cl,
                                   unsigned flags)
{
	return (struct bus_member){ .node = cc->bus->node, .nick = cl->nick,
		.user = cl->user, .host = cl->host, .real = cl->real, .flags = flags };
}

/* JOIN in a cluster whose link is up: ask the broker (the answer comes to
 * cc_on_room; the client's input waits for it).  False: join locally. */
bool chat_cluster_join(struct client *cl, const char *name, const char *key)
{
	struct chat_cluster *cc = cl->srv->cluster;
	char mask[NICKLEN + USERLEN + HOSTLEN + 4];

	if (!cc->bus->up || !cc_grow(&cc->joins, &cc->capjoins, cc->njoins, sizeof *cc->joins))
		return false;
	struct pjoin *j = &cc->joins[cc->njoins++];
	*j = (struct pjoin){ .token = ++cc->next_token, .cl = cl, .has_key = key != NULL };
	snprintf(j->name, sizeof j->name, "%s", name);
	chat_fold(j->fold, name, sizeof j->fold);
	snprintf(j->key, sizeof j->key, "%s", key ? key : "");
	cc_member_id(cc, cl, j->id, sizeof j->id);
	struct bus_member m = member_of(cc, cl, 0);
	chat_prefix(cl, mask, sizeof mask);
	cc_hold(cl);
	cc->bus->ops->room_join(cc->bus, j->fold, name, CMODE_N | CMODE_T, j->id, &m, mask,
	                        j->key, j->token);
	return true;
}

/* A room this node did not follow, as the broker holds it. */
static void room_from(struct chat_cluster *cc, struct channel *ch, const struct bus_room *st)
{
	if (st->created_at)
		ch->created = (time_t)st->created_at;
	ch->modes = st->modes;
	ch->limit = st->limit;
	snprintf(ch->key, sizeof ch->key, "%s", st->key ? st->key : "");
	if (st->topic && st->topic[0]) {
		ch->topic = strndup(st->topic, TOPICLEN);
		snprintf(ch->topic_by, sizeof ch->topic_by, "%s", st->topic_by ? st->topic_by : "");
		ch->topic_at = (time_t)st->topic_at;
	}
	ch->topic_ver = st->topic_ver;
	for (size_t i = 0; i < st->nmasks; i++)
		chat_mask_edit(ch, st->masks[i].kind, st->masks[i].mask, st->masks[i].setter,
		               (time_t)st->masks[i].at, true);
	for (size_t i = 0; i < st->nmembers; i++) {
		const struct bus_member *m = &st->members[i];
		unsigned node = strcmp(m->node, cc->bus->node) ? cc_node_index(cc, m->node) : 0;
		struct client *g = node ? cc_ghost_get(cc, node, m->nick, m->user, m->host,
		                                       m->real, true) : NULL;
		if (g && !chat_member(g, ch) && g->nchans < CHANLIMIT * 4)
			chat_join(ch, g, m->flags & (MEMB_OP | MEMB_VOICE));
	}
}

static int numeric_of(int result)
{
	return result == BUS_JOIN_FULL ? 471 : result == BUS_JOIN_INVITE ? 473 :
	       result == BUS_JOIN_BANNED ? 474 : 475;
}

/* The broker admitted cl: join the room (built from st if not followed). */
static void admit(struct chat_cluster *cc, struct client *cl, const struct pjoin *j,
                  const struct bus_room *st)
{
	struct chat_server *s = cc->s;
	struct channel *ch = chat_find_chan(s, j->name);

	if (ch && chat_member(cl, ch))
		return;                    /* JOIN #a,#a: one membership */
	if (cl->nchans >= CHANLIMIT) {
		chat_num(cl, 405, "%s :You have joined too many channels", j->name);
		cc->bus->ops->room_part(cc->bus, j->fold, j->id);
		return;
	}
	unsigned flags = 0;
	if (!ch) {
		if (!(ch = chat_chan_new(s, st->name && chat_chan_valid(st->name) ? st->name
		                                                                 : j->name))) {
			cc->bus->ops->room_part(cc->bus, j->fold, j->id);
			return;
		}
		room_from(cc, ch, st);
		flags = st->flags & MEMB_OP;
	}
	if (flags != (st->flags & MEMB_OP)) {
		/* Followed here already (the broker had lost the room): the
		 * members here decide, the broker learns it. */
		struct bus_member m = member_of(cc, cl, flags);
		cc->bus->ops->room_member(cc->bus, j->fold, j->id, &m);
	}
	chat_join_admitted(cl, ch, flags);
}

void cc_on_room(void *svc, uint64_t token, int result, const struct bus_room *st)
{
	struct chat_server *s = svc;
	struct chat_cluster *cc = s->cluster;
	size_t i;

	for (i = 0; i < cc->njoins && cc->joins[i].token != token; i++)
		;
	if (i == cc->njoins)
		return;
	struct pjoin j = cc->joins[i];
	cc->joins[i] = cc->joins[--cc->njoins];
	struct client *cl = j.cl;
	if (!cl || cl->dying || !cl->registered) {
		if (result == BUS_JOIN_OK)
			cc->bus->ops->room_part(cc->bus, j.fold, j.id);   /* gone meanwhile */
		if (cl)
			cc_unhold(cl);
		return;
	}
	chat_enter(s);
	if (result == BUS_JOIN_FAILED)
		chat_join_local(cl, j.name, j.has_key ? j.key : NULL);   /* link lost */
	else if (result != BUS_JOIN_OK)
		chat_join_refused(cl, j.name, numeric_of(result));
	else
		admit(cc, cl, &j, st);
	cc_unhold(cl);
	chat_leave(s);
}

/* A local member's part (the last local one's: the node stops following,
 * cluster_mirror.c) leaves the broker's member list too. */
void cc_part_in_broker(struct chat_cluster *cc, struct channel *ch, struct client *cl)
{
	char id[96];

	if (!cc->bus->up || !cl->uid)
		return;
	cc_member_id(cc, cl, id, sizeof id);
	cc->bus->ops->room_part(cc->bus, ch->fold, id);
}

/* The last local member left ch: forget its ghosts (nobody here sees the
 * room; a later JOIN builds it again from the broker).  Frees ch. */
void chat_cluster_parted(struct channel *ch)
{
	if (cc_local_members(ch) > 0)
		return;
	for (size_t n = ch->n; n-- > 0;) {
		struct client *g = ch->members[n]->cl;
		chat_part(ch->srv, ch->members[n]);
		if (g->node && g->nchans == 0 && !g->dying)
			cc_ghost_kill(g, "left");
	}
}

/* TOPIC in a cluster whose link is up: the broker versions it (cc_on_topic
 * shows it).  False: set locally. */
bool chat_cluster_topic(struct client *cl, struct channel *ch, const char *topic)
{
	struct chat_cluster *cc = cl->srv->cluster;

	if (!cc->bus->up || !cc_grow(&cc->topics, &cc->captopics, cc->ntopics, sizeof *cc->topics))
		return false;
	struct ptopic *t = &cc->topics[cc->ntopics];
	*t = (struct ptopic){ .token = ++cc->next_token, .cl = cl };
	if (topic[0] && !(t->topic = strndup(topic, TOPICLEN)))
		return false;
	cc->ntopics++;
	snprintf(t->fold, sizeof t->fold, "%s", ch->fold);
	cc_hold(cl);            /* what follows runs after it, in order */
	cc->bus->ops->room_topic(cc->bus, ch->fold, t->topic, cl->nick, (long long)time(NULL),
	                         t->token);
	return true;
}

void cc_on_topic(void *svc, uint64_t token, uint64_t version)
{
	struct chat_server *s = svc;
	struct chat_cluster *cc = s->cluster;
	size_t i;

	for (i = 0; i < cc->ntopics && cc->topics[i].token != token; i++)
		;
	if (i == cc->ntopics)
		return;
	struct ptopic t = cc->topics[i];
	cc->topics[i] = cc->topics[--cc->ntopics];
	struct channel *ch = chat_find_chan(s, t.fold);
	struct client *cl = t.cl;
	chat_enter(s);
	/* A version at or below the one shown is older than a topic another
	 * node set meanwhile: not shown (that one is the topic everywhere). */
	if (ch && cl && !cl->dying && chat_member(cl, ch) &&
	    (version == 0 || version > ch->topic_ver)) {
		free(ch->topic);
		ch->topic = t.topic;
		t.topic = NULL;
		snprintf(ch->topic_by, sizeof ch->topic_by, "%s", cl->nick);
		ch->topic_at = time(NULL);
		if (version)
			ch->topic_ver = version;
		cc->line_ver = version;
		chat_to_channel(ch, NULL, ":%s!%s@%s TOPIC %s :%s", cl->nick, cl->user,
		                cl->host, ch->name, ch->topic ? ch->topic : "");
		cc->line_ver = 0;
	}
	if (cl)
		cc_unhold(cl);
	chat_leave(s);
	free(t.topic);
}

/* MODE by a local operator: the room's flags, key and limit. */
void chat_cluster_modes(struct channel *ch)
{
	struct chat_cluster *cc = ch->srv->cluster;

	if (cc->bus->up && !cc->receiving)
		cc->bus->ops->room_modes(cc->bus, ch->fold, ch->modes,
		                         (ch->modes & CMODE_K) ? ch->key : "",
		                         (ch->modes & CMODE_L) ? ch->limit : 0);
}

void chat_cluster_mask(struct channel *ch, char kind, const struct mask *mk, bool on)
{
	struct chat_cluster *cc = ch->srv->cluster;
	struct bus_mask m = { .kind = kind, .mask = mk->mask, .setter = mk->setter,
	                      .at = (long long)mk->at };

	if (cc->bus->up && !cc->receiving)
		cc->bus->ops->room_mask(cc->bus, ch->fold, &m, on);
}

/* A local member's flags changed (MODE +o/+v, here or mirrored). */
void chat_cluster_member(struct channel *ch, struct client *cl)
{
	struct chat_cluster *cc = ch->srv->cluster;
	struct member *mb = chat_member(cl, ch);
	char id[96];

	if (cl->node || !mb || !cc->bus->up)
		return;
	cc_member_id(cc, cl, id, sizeof id);
	struct bus_member m = member_of(cc, cl, mb->flags);
	cc->bus->ops->room_member(cc->bus, ch->fold, id, &m);
}

/* INVITE: who may pass +i on whichever node it joins from. */
void chat_cluster_invite(struct channel *ch, const struct client *who)
{
	struct chat_cluster *cc = ch->srv->cluster;

	if (cc->bus->up)
		cc->bus->ops->room_invite(cc->bus, ch->fold, who->fold);
}

/* A local user changed nick: its entries in the rooms follow. */
void cc_rooms_renamed(struct chat_cluster *cc, struct client *cl)
{
	for (size_t i = 0; i < cl->nchans && cc->bus->up; i++)
		chat_cluster_member(cl->chans[i]->ch, cl);
}

/* One room with local members, published again after a reconnect. */
static void seed_room(struct chat_cluster *cc, struct channel *ch)
{
	size_t n = cc_local_members(ch), nk = ch->bans.n + ch->excepts.n + ch->invex.n;
	struct bus_member *mv = calloc(n + 1, sizeof *mv);
	struct bus_mask *kv = calloc(nk + 1, sizeof *kv);
	char (*ids)[96] = calloc(n + 1, sizeof *ids);
	const char **idp = calloc(n + 1, sizeof *idp);
	struct bus_room st = {
		.name = ch->name, .created_at = ch->created, .modes = ch->modes,
		.limit = (ch->modes & CMODE_L) ? ch->limit : 0,
		.key = (ch->modes & CMODE_K) ? ch->key : "", .topic = ch->topic,
		.topic_by = ch->topic_by, .topic_at = ch->topic_at, .topic_ver = ch->topic_ver,
		.members = mv, .ids = idp, .masks = kv,
	};

	if (mv && kv && ids && idp) {
		for (size_t i = 0; i < ch->n; i++) {
			struct member *mb = ch->members[i];
			if (mb->cl->node || !mb->cl->registered || mb->cl->dying)
				continue;
			cc_member_id(cc, mb->cl, ids[st.nmembers], sizeof ids[0]);
			idp[st.nmembers] = ids[st.nmembers];
			mv[st.nmembers++] = member_of(cc, mb->cl, mb->flags);
		}
		const struct masklist *lists[] = { &ch->bans, &ch->excepts, &ch->invex };
		for (size_t l = 0; l < 3; l++)
			for (size_t i = 0; i < lists[l]->n; i++)
				kv[st.nmasks++] = (struct bus_mask){ .kind = "beI"[l],
					.mask = lists[l]->v[i].mask, .setter = lists[l]->v[i].setter,
					.at = (long long)lists[l]->v[i].at };
		cc->bus->ops->room_seed(cc->bus, ch->fold, &st);
	}
	free(mv);
	free(kv);
	free(ids);
	free(idp);
}

struct names {
	const char **v;
	size_t n, cap;
};

static void add_name(struct names *l, const char *name)
{
	if (cc_grow(&l->v, &l->cap, l->n, sizeof *l->v))
		l->v[l->n++] = name;
}

static void each_user(struct chat_cluster *cc, struct client *cl, void *arg)
{
	if (cl->node || !cl->registered || cl->dying)
		return;
	add_name(arg, cl->fold);
	cc_user_set(cc, cl);
}

/* After a reconnect (a restarted broker may hold nothing): every room with
 * local members and every local user again, and this node's entries of
 * rooms and users it no longer has forgotten (no member lost or twice). */
void cc_republish(struct chat_cluster *cc)
{
	struct chat_server *s = cc->s;
	struct names rooms = { 0 }, users = { 0 };

	for (size_t i = 0; i < s->chans.nb; i++)
		for (struct hent *e = s->chans.b[i]; e; e = e->next) {
			struct channel *ch = CONTAINER(e, struct channel, h);
			if (cc_local_members(ch) == 0)
				continue;
			seed_room(cc, ch);
			add_name(&rooms, ch->fold);
		}
	cc_each_client(s, each_user, &users);
	cc->bus->ops->resync(cc->bus, rooms.v, rooms.n, users.v, users.n);
	free(rooms.v);
	free(users.v);
}

/* cl is freed: no answer may reach it. */
void cc_rooms_forget(struct chat_cluster *cc, struct client *cl)
{
	for (size_t i = 0; i < cc->njoins; i++)
		if (cc->joins[i].cl == cl)
			cc->joins[i].cl = NULL;
	for (size_t i = 0; i < cc->ntopics; i++)
		if (cc->topics[i].cl == cl)
			cc->topics[i].cl = NULL;
}

void cc_rooms_free(struct chat_cluster *cc)
{
	for (size_t i = 0; i < cc->ntopics; i++)
		free(cc->topics[i].topic);
	free(cc->topics);
	free(cc->joins);
}
