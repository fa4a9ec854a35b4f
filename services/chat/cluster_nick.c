/* cluster_nick.c — nicks unique across nodes: registration and NICK wait
 * for the bus's atomic claim (input held back meanwhile); a nick taken on
 * both sides of a split goes to the earlier registration, the later one
 * is renamed (436 + NICK). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "chat/cluster.h"

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct claim *claim_new(struct chat_cluster *cc, struct client *cl,
                               const char *nick)
{
	if (cc->nclaims == cc->capclaims) {
		size_t nc = cc->capclaims ? cc->capclaims * 2 : 16;
		struct claim *v = realloc(cc->claims, nc * sizeof *v);
		if (!v)
			return NULL;
		cc->claims = v;
		cc->capclaims = nc;
	}
	struct claim *c = &cc->claims[cc->nclaims++];
	*c = (struct claim){ .token = ++cc->next_token, .cl = cl };
	snprintf(c->nick, sizeof c->nick, "%s", nick);
	return c;
}

static void send_claim(struct chat_cluster *cc, struct client *cl,
                       const char *nick, bool reclaim)
{
	char key[NICKLEN + 32], val[128];
	struct claim *c = claim_new(cc, cl, nick);

	if (!c)
		return;
	c->reclaim = reclaim;
	if (!cl->reg_ms)
		cl->reg_ms = wall_ms();
	cc_nick_key(nick, key, sizeof key);
	snprintf(val, sizeof val, "%s %llu", cc->bus->node, (unsigned long long)cl->reg_ms);
	cc->bus->ops->claim(cc->bus, key, val, c->token);
}

/* Ask the cluster for nick; true when the caller waits for the answer
 * (false: the link is down, the nick is taken locally only for now). */
bool chat_cluster_claim(struct client *cl, const char *nick)
{
	struct chat_cluster *cc = cl->srv->cluster;

	if (!cl->reg_ms)
		cl->reg_ms = wall_ms();     /* the time a split collision compares */
	if (!cc->bus->up)
		return false;
	for (size_t i = 0; i < cc->nclaims; i++)
		if (cc->claims[i].cl == cl)
			return true;          /* one claim at a time per client */
	send_claim(cc, cl, nick, false);
	/* Hold the client's input until the answer, so that what follows
	 * NICK (USER, JOIN) runs in order once the nick is won or refused. */
	if (cl->conn && !cl->paused) {
		cl->paused = true;
		svc_pause(cl->conn);
	}
	cl->claiming = true;
	return true;
}

static void release_nick(struct chat_cluster *cc, const char *nick)
{
	char key[NICKLEN + 32];

	cc_nick_key(nick, key, sizeof key);
	cc->bus->ops->release(cc->bus, key);
}

/* The later of two registrations of one nick (made during a split) is
 * renamed, with 436 and a NICK line its client understands. */
void cc_rename_loser(struct chat_cluster *cc, struct client *cl, bool held)
{
	char nick[NICKLEN + 1], old[NICKLEN + 1];

	snprintf(old, sizeof old, "%s", cl->nick);
	snprintf(nick, sizeof nick, "%.20s-%04u", cl->nick,
	         (unsigned)(cl->reg_ms % 10000));
	chat_num(cl, 436, "%s :Nickname collision, renamed to %s", cl->nick, nick);
	cl->claimed = false;
	chat_apply_nick(cl, nick);
	if (held)
		release_nick(cc, old);
	send_claim(cc, cl, cl->nick, true);
}

/* A re-claim found the nick held by another node: the later registration
 * loses — this one, or the holder's (asked to rename by an R message;
 * this node's claim is retried each tick until the key is free). */
static void collide(struct chat_cluster *cc, struct client *cl, const char *holder)
{
	char node[64], chan[128], hdr[NICKLEN + 64];
	unsigned long long at = 0;

	/* Earlier wins; at the same millisecond, the lower node name. */
	if (!holder || sscanf(holder, "%63s %llu", node, &at) != 2 || at < cl->reg_ms ||
	    (at == cl->reg_ms && strcmp(node, cc->bus->node) < 0)) {
		cc_rename_loser(cc, cl, false);
		return;
	}
	cc_node_chan(node, chan, sizeof chan);
	snprintf(hdr, sizeof hdr, "R\t%s\t%llu", cl->nick, at);
	cc_publish(cc, chan, hdr, "", 0);
}

void cc_on_claimed(void *svc, uint64_t token, int result, const char *holder)
{
	struct chat_server *s = svc;
	struct chat_cluster *cc = s->cluster;
	struct claim c = { 0 };
	size_t i;

	for (i = 0; i < cc->nclaims && cc->claims[i].token != token; i++)
		;
	if (i == cc->nclaims)
		return;
	c = cc->claims[i];
	cc->claims[i] = cc->claims[--cc->nclaims];
	struct client *cl = c.cl;
	if (!cl || cl->dying) {
		if (result == BUS_CLAIM_WON)
			release_nick(cc, c.nick);
		return;
	}
	chat_enter(s);
	if (c.reclaim) {
		if (result == BUS_CLAIM_TAKEN)
			collide(cc, cl, holder);
		else
			cl->claimed = result == BUS_CLAIM_WON;
	} else if (result == BUS_CLAIM_TAKEN) {
		if (!cl->registered) {
			chat_unset_nick(s, cl);
			cl->has_nick = false;
		}
		chat_num(cl, 433, "%s :Nickname is already in use", c.nick);
	} else if (cl->registered) {
		char old[NICKLEN + 1];
		snprintf(old, sizeof old, "%s", cl->nick);
		bool had = cl->claimed;
		cl->claimed = result == BUS_CLAIM_WON;
		chat_apply_nick(cl, c.nick);
		if (had && strcmp(cl->nick, old) != 0)
			release_nick(cc, old);
	} else if (strcmp(cl->nick, c.nick) != 0) {
		/* The nick changed while the claim was out: claim the new one. */
		if (result == BUS_CLAIM_WON)
			release_nick(cc, c.nick);
		if (cl->has_nick)
			send_claim(cc, cl, cl->nick, false);
	} else {
		/* Won (or the link failed: the nick is local until it returns). */
		cl->claimed = true;
		chat_try_register(cl);
		cl->claimed = result == BUS_CLAIM_WON;
	}
	if (cl->claiming && !c.reclaim) {
		cl->claiming = false;
		if (cl->conn && !cl->dying && !cl->waits)
			chat_resume_input(cl);
	}
	chat_leave(s);
}

/* A local user leaves: its nick goes back to the cluster. */
void chat_cluster_leaving(struct client *cl)
{
	struct chat_cluster *cc = cl->srv->cluster;

	if (cl->node)
		cc->nodes[cl->node - 1].ghosts--;
	else if (cl->claimed && cl->has_nick)
		release_nick(cc, cl->nick);
	if (!cl->node && cl->registered && cc->bus->up)
		cc->bus->ops->user_del(cc->bus, cl->fold);
	cl->claimed = false;
}

void cc_reclaim(struct chat_cluster *cc, struct client *cl, void *arg)
{
	bool all = arg != NULL;

	if (cl->node || !cl->registered || cl->dying || (!all && cl->claimed))
		return;
	for (size_t i = 0; i < cc->nclaims; i++)
		if (cc->claims[i].cl == cl)
			return;                  /* one claim at a time */
	send_claim(cc, cl, cl->nick, true);
}
