/* state.c — chat state: nicks and channels in hash tables keyed by their
 * RFC 1459 case-folded names, memberships, masks, WHOWAS history. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

/* RFC 1459 case mapping: A-Z and []\~ fold to a-z and {}|^. */
static char fold_char(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c + 32);
	switch (c) {
	case '[': return '{';
	case ']': return '}';
	case '\\': return '|';
	case '~': return '^';
	}
	return c;
}

void chat_fold(char *out, const char *in, size_t cap)
{
	size_t i = 0;

	for (; in[i] && i + 1 < cap; i++)
		out[i] = fold_char(in[i]);
	out[i] = '\0';
}

static bool nick_special(char c)
{
	return strchr("[]\\`_^{|}", c) != NULL;
}

/* RFC 2812 2.3.1: a letter or special first, then letters, digits,
 * specials and '-'; at most NICKLEN. */
bool chat_nick_valid(const char *nick)
{
	size_t n = strlen(nick);

	if (n == 0 || n > NICKLEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = nick[i];
		bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
		bool digit = c >= '0' && c <= '9';
		if (!letter && !nick_special(c) && (i == 0 || (!digit && c != '-')))
			return false;
	}
	return true;
}

/* '#' then up to CHANLEN-1 bytes, none of space, comma, BEL or ':'... the
 * colon is allowed by RFC 2812 only as a mask separator, refused here. */
bool chat_chan_valid(const char *name)
{
	size_t n = strlen(name);

	if (n < 2 || n > CHANLEN || name[0] != '#')
		return false;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c == ',' || c == 7 || c == ':')
			return false;
	}
	return true;
}

static size_t hash_key(const char *k)
{
	size_t h = 1469598103934665603ULL;     /* FNV-1a */

	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211ULL;
	return h;
}

int htable_init(struct htable *t)
{
	t->nb = 64;
	t->n = 0;
	t->b = calloc(t->nb, sizeof *t->b);
	return t->b ? 0 : -1;
}

void htable_free(struct htable *t)
{
	free(t->b);
	t->b = NULL;
}

/* Double the buckets when the table is full; on no memory keep going
 * with longer chains. */
static void htable_grow(struct htable *t)
{
	size_t nb = t->nb * 2;
	struct hent **b = calloc(nb, sizeof *b);

	if (!b)
		return;
	for (size_t i = 0; i < t->nb; i++)
		for (struct hent *e = t->b[i], *next; e; e = next) {
			next = e->next;
			size_t j = hash_key(e->key) & (nb - 1);
			e->next = b[j];
			b[j] = e;
		}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

static void htable_add(struct htable *t, struct hent *e)
{
	if (t->n >= t->nb)
		htable_grow(t);
	size_t i = hash_key(e->key) & (t->nb - 1);
	e->next = t->b[i];
	t->b[i] = e;
	t->n++;
}

static struct hent *htable_get(const struct htable *t, const char *key)
{
	for (struct hent *e = t->b[hash_key(key) & (t->nb - 1)]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static void htable_del(struct htable *t, struct hent *e)
{
	struct hent **pp = &t->b[hash_key(e->key) & (t->nb - 1)];

	for (; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			t->n--;
			return;
		}
}

#define CONTAINER(p, type, field) ((type *)((char *)(p) - offsetof(type, field)))

struct client *chat_find_nick(struct chat_server *s, const char *nick)
{
	char f[NICKLEN + 2];

	if (strlen(nick) > NICKLEN)
		return NULL;
	chat_fold(f, nick, sizeof f);
	struct hent *e = htable_get(&s->nicks, f);
	return e ? CONTAINER(e, struct client, h) : NULL;
}

struct channel *chat_find_chan(struct chat_server *s, const char *name)
{
	char f[CHANLEN + 2];

	if (strlen(name) > CHANLEN)
		return NULL;
	chat_fold(f, name, sizeof f);
	struct hent *e = htable_get(&s->chans, f);
	return e ? CONTAINER(e, struct channel, h) : NULL;
}

/* Give cl the nick (valid, checked by the caller); -1 if another client
 * holds it.  A change of case only is allowed. */
int chat_set_nick(struct chat_server *s, struct client *cl, const char *nick)
{
	struct client *other = chat_find_nick(s, nick);

	if (other && other != cl)
		return -1;
	chat_unset_nick(s, cl);
	snprintf(cl->nick, sizeof cl->nick, "%s", nick);
	chat_fold(cl->fold, nick, sizeof cl->fold);
	cl->h.key = cl->fold;
	htable_add(&s->nicks, &cl->h);
	cl->has_nick = true;
	return 0;
}

void chat_unset_nick(struct chat_server *s, struct client *cl)
{
	if (cl->has_nick && cl->h.key)
		htable_del(&s->nicks, &cl->h);
	cl->h.key = NULL;
}

struct channel *chat_chan_new(struct chat_server *s, const char *name)
{
	struct channel *ch = calloc(1, sizeof *ch);

	if (!ch)
		return NULL;
	ch->srv = s;
	snprintf(ch->name, sizeof ch->name, "%s", name);
	chat_fold(ch->fold, name, sizeof ch->fold);
	ch->h.key = ch->fold;
	ch->created = time(NULL);
	ch->modes = CMODE_N | CMODE_T;
	htable_add(&s->chans, &ch->h);
	return ch;
}

static void masklist_free(struct masklist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].mask);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void chat_chan_free(struct chat_server *s, struct channel *ch)
{
	htable_del(&s->chans, &ch->h);
	masklist_free(&ch->bans);
	masklist_free(&ch->excepts);
	masklist_free(&ch->invex);
	for (size_t i = 0; i < ch->ninvites; i++)
		free(ch->invites[i]);
	free(ch->invites);
	free(ch->members);
	free(ch->topic);
	free(ch);
}

/* Grow *v (of elements size bytes) to hold one more than n; false on no
 * memory. */
static bool grow(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return true;
	size_t nc = *cap ? *cap * 2 : 4;
	void *p = realloc(*(void **)v, nc * size);
	if (!p)
		return false;
	*(void **)v = p;
	*cap = nc;
	return true;
}

struct member *chat_join(struct channel *ch, struct client *cl, unsigned flags)
{
	struct member *m = calloc(1, sizeof *m);
	size_t ccap = cl->nchans;   /* client lists are exact-size: few entries */

	if (!m || !grow(&ch->members, &ch->cap, ch->n, sizeof *ch->members)) {
		free(m);
		return NULL;
	}
	struct member **cv = realloc(cl->chans, (ccap + 1) * sizeof *cv);
	if (!cv) {
		free(m);
		return NULL;
	}
	cl->chans = cv;
	*m = (struct member){ .ch = ch, .cl = cl, .idx = ch->n, .flags = flags };
	ch->members[ch->n++] = m;
	cl->chans[cl->nchans++] = m;
	if (ch->srv->cluster)
		chat_cluster_joined(ch, cl);
	return m;
}

/* Remove m from both sides (swap with the last); frees an empty channel. */
void chat_part(struct chat_server *s, struct member *m)
{
	struct channel *ch = m->ch;
	struct client *cl = m->cl;

	if (s->cluster)
		chat_cluster_parting(ch, cl);
	ch->members[m->idx] = ch->members[--ch->n];
	ch->members[m->idx]->idx = m->idx;
	for (size_t i = 0; i < cl->nchans; i++)
		if (cl->chans[i] == m) {
			cl->chans[i] = cl->chans[--cl->nchans];
			break;
		}
	free(m);
	if (ch->n == 0)
		chat_chan_free(s, ch);
	else if (s->cluster && !cl->node)
		chat_cluster_parted(ch);     /* may free ch */
}

struct member *chat_member(const struct client *cl, const struct channel *ch)
{
	for (size_t i = 0; i < cl->nchans; i++)
		if (cl->chans[i]->ch == ch)
			return cl->chans[i];
	return NULL;
}

/* Glob match with * and ?, RFC 1459 case-insensitive; iterative with one
 * backtrack point, so hostile masks cost O(len(mask) * len(str)). */
bool chat_mask_match(const char *mask, const char *str)
{
	const char *star = NULL, *retry = NULL;

	while (*str) {
		if (*mask == '*') {
			star = mask++;
			retry = str;
		} else if (*mask && (*mask == '?' || fold_char(*mask) == fold_char(*str))) {
			mask++;
			str++;
		} else if (star) {
			mask = star + 1;
			str = ++retry;
		} else {
			return false;
		}
	}
	while (*mask == '*')
		mask++;
	return *mask == '\0';
}

void chat_prefix(const struct client *cl, char *out, size_t cap)
{
	snprintf(out, cap, "%s!%s@%s", cl->nick, cl->user, cl->host);
}

bool chat_client_matches(const struct client *cl, const struct masklist *l)
{
	char full[NICKLEN + USERLEN + HOSTLEN + 4];

	if (l->n == 0)
		return false;
	chat_prefix(cl, full, sizeof full);
	for (size_t i = 0; i < l->n; i++)
		if (chat_mask_match(l->v[i].mask, full))
			return true;
	return false;
}

void chat_whowas_add(struct chat_server *s, const struct client *cl)
{
	struct whowas *w = &s->whowas[s->whowas_next++ % WHOWAS_KEEP];

	snprintf(w->nick, sizeof w->nick, "%s", cl->nick);
	snprintf(w->user, sizeof w->user, "%s", cl->user);
	snprintf(w->host, sizeof w->host, "%s", cl->host);
	snprintf(w->real, sizeof w->real, "%s", cl->real);
	w->at = time(NULL);
}

/* At shutdown every client has been closed; free what channels remain
 * (none, normally) and the tables. */
void chat_state_free(struct chat_server *s)
{
	for (size_t i = 0; s->chans.b && i < s->chans.nb; i++)
		while (s->chans.b[i])
			chat_chan_free(s, CONTAINER(s->chans.b[i], struct channel, h));
	htable_free(&s->chans);
	htable_free(&s->nicks);
}
