/* cmd_mode.c — MODE: user modes +i +o +w, channel modes +n +t +m +i +s +p
 * (flags), +k +l (with a parameter), +o +v (members), +b +e +I (masks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

void chat_user_mode_line(const struct client *cl, char *out, size_t cap)
{
	snprintf(out, cap, "+%s%s%s", (cl->modes & UMODE_I) ? "i" : "",
	         (cl->modes & UMODE_O) ? "o" : "", (cl->modes & UMODE_W) ? "w" : "");
}

static void set_umode(struct client *cl, unsigned bit, bool on)
{
	struct chat_server *s = cl->srv;
	bool was = cl->modes & bit;

	if (was == on)
		return;
	if (bit == UMODE_I)
		s->ninvisible += on ? 1 : (size_t)-1;
	if (bit == UMODE_O)
		s->nopered += on ? 1 : (size_t)-1;
	cl->modes = on ? cl->modes | bit : cl->modes & ~bit;
}

static void user_mode(struct client *cl, struct irc_msg *m)
{
	char applied[32], line[32];
	size_t n = 0;
	bool on = true, unknown = false;
	int last = -1;

	if (chat_find_nick(cl->srv, m->params[0]) != cl) {
		if (!chat_find_nick(cl->srv, m->params[0]))
			chat_num(cl, 401, "%s :No such nick/channel", m->params[0]);
		else
			chat_num(cl, 502, ":Can't change mode for other users");
		return;
	}
	if (m->nparams < 2) {
		chat_user_mode_line(cl, line, sizeof line);
		chat_num(cl, 221, "%s", line);
		return;
	}
	for (const char *p = m->params[1]; *p && n + 3 < sizeof applied; p++) {
		unsigned bit = *p == 'i' ? UMODE_I : *p == 'w' ? UMODE_W : *p == 'o' ? UMODE_O : 0;
		if (*p == '+' || *p == '-') {
			on = *p == '+';
			continue;
		}
		if (!bit) {
			unknown = true;
			continue;
		}
		/* +o only through OPER. */
		if ((bit == UMODE_O && on) || !!(cl->modes & bit) == on)
			continue;
		set_umode(cl, bit, on);
		if (last != on)
			applied[n++] = on ? '+' : '-';
		last = on;
		applied[n++] = *p;
	}
	applied[n] = '\0';
	if (unknown)
		chat_num(cl, 501, ":Unknown MODE flag");
	if (n)
		chat_to(cl, ":%s MODE %s :%s", cl->nick, cl->nick, applied);
}

static void channel_modes_reply(struct client *cl, struct channel *ch)
{
	char modes[64], args[64] = "";
	size_t n = 0;
	bool member = chat_member(cl, ch) != NULL;
	static const struct { unsigned bit; char c; } flags[] = {
		{ CMODE_I, 'i' }, { CMODE_M, 'm' }, { CMODE_N, 'n' }, { CMODE_P, 'p' },
		{ CMODE_S, 's' }, { CMODE_T, 't' }, { CMODE_K, 'k' }, { CMODE_L, 'l' },
	};

	modes[n++] = '+';
	for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
		if (ch->modes & flags[i].bit)
			modes[n++] = flags[i].c;
	modes[n] = '\0';
	if (ch->modes & CMODE_K)
		snprintf(args, sizeof args, " %s", member ? ch->key : "*");
	if (ch->modes & CMODE_L)
		snprintf(args + strlen(args), sizeof args - strlen(args), " %u", ch->limit);
	chat_num(cl, 324, "%s %s%s", ch->name, modes, args);
	chat_num(cl, 329, "%s %lld", ch->name, (long long)ch->created);
}

/* nick -> nick!*@*, user@host -> *!user@host, as servers normalise. */
static void normalise_mask(const char *in, char *out, size_t cap)
{
	bool bang = strchr(in, '!'), at = strchr(in, '@');

	if (bang && at)
		snprintf(out, cap, "%s", in);
	else if (at)
		snprintf(out, cap, "*!%s", in);
	else if (bang)
		snprintf(out, cap, "%s@*", in);
	else
		snprintf(out, cap, "%s!*@*", in);
}

static void list_masks(struct client *cl, struct channel *ch, char c)
{
	const struct masklist *l = c == 'b' ? &ch->bans : c == 'e' ? &ch->excepts : &ch->invex;
	int item = c == 'b' ? 367 : c == 'e' ? 348 : 346;

	for (size_t i = 0; i < l->n; i++)
		chat_num(cl, item, "%s %s %s %lld", ch->name, l->v[i].mask, l->v[i].setter,
		         (long long)l->v[i].at);
	chat_num(cl, item + 1, "%s :End of %s list", ch->name,
	         c == 'b' ? "channel ban" : c == 'e' ? "channel exception" : "channel invite");
}

static struct masklist *list_of(struct channel *ch, char kind)
{
	return kind == 'b' ? &ch->bans : kind == 'e' ? &ch->excepts : &ch->invex;
}

/* Add or remove mask (normalised) in ch's list of kind ('b', 'e', 'I');
 * false when nothing changed.  Also what a cluster mirrors. */
bool chat_mask_edit(struct channel *ch, char kind, const char *mask,
                    const char *setter, time_t at, bool on)
{
	struct masklist *l = list_of(ch, kind);

	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i].mask, mask) == 0) {
			if (on)
				return false;
			free(l->v[i].mask);
			l->v[i] = l->v[--l->n];
			return true;
		}
	if (!on || ch->bans.n + ch->excepts.n + ch->invex.n >= MAXLIST)
		return false;
	struct mask *v = realloc(l->v, (l->n + 1) * sizeof *v);
	if (!v)
		return false;
	l->v = v;
	if (!(v[l->n].mask = strdup(mask)))
		return false;
	snprintf(v[l->n].setter, sizeof v[l->n].setter, "%s", setter);
	v[l->n].at = at;
	l->n++;
	return true;
}

/* Add or remove raw in ch's list of kind; false when nothing changed.
 * MAXLIST bounds the three lists together (ISUPPORT MAXLIST=beI:100). */
static bool edit_masks(struct client *cl, struct channel *ch, char kind,
                       const char *raw, bool on)
{
	char mask[IRC_LINE_MAX];

	normalise_mask(raw, mask, sizeof mask);
	mask[NICKLEN + USERLEN + HOSTLEN + 3] = '\0';
	if (on && ch->bans.n + ch->excepts.n + ch->invex.n >= MAXLIST) {
		bool have = false;
		for (size_t i = 0; i < list_of(ch, kind)->n; i++)
			have = have || strcasecmp(list_of(ch, kind)->v[i].mask, mask) == 0;
		if (!have)
			chat_num(cl, 478, "%s %s :Channel list is full", ch->name, mask);
		return false;
	}
	if (!chat_mask_edit(ch, kind, mask, cl->nick, time(NULL), on))
		return false;
	if (ch->srv->cluster) {
		struct mask mk = { .mask = mask, .at = time(NULL) };
		snprintf(mk.setter, sizeof mk.setter, "%s", cl->nick);
		chat_cluster_mask(ch, kind, &mk, on);
	}
	return true;
}

/* What one MODE command changed, for the line members see. */
struct mode_out {
	char modes[64];
	size_t n;
	int last;
	char args[IRC_LINE_MAX];
	size_t alen;
};

static void out_add(struct mode_out *o, bool on, char c, const char *arg)
{
	if (o->n + 3 >= sizeof o->modes)
		return;
	if (o->last != on)
		o->modes[o->n++] = on ? '+' : '-';
	o->last = on;
	o->modes[o->n++] = c;
	o->modes[o->n] = '\0';
	if (arg && o->alen + strlen(arg) + 2 < sizeof o->args)
		o->alen += (size_t)snprintf(o->args + o->alen, sizeof o->args - o->alen,
		                            " %s", arg);
}

static unsigned flag_bit(char c)
{
	switch (c) {
	case 'i': return CMODE_I;
	case 'm': return CMODE_M;
	case 'n': return CMODE_N;
	case 'p': return CMODE_P;
	case 's': return CMODE_S;
	case 't': return CMODE_T;
	}
	return 0;
}

/* +o/+v nick. */
static void member_mode(struct client *cl, struct channel *ch, bool on, char c,
                        const char *nick, struct mode_out *o)
{
	struct client *who = chat_find_nick(cl->srv, nick);
	struct member *tm = who ? chat_member(who, ch) : NULL;
	unsigned bit = c == 'o' ? MEMB_OP : MEMB_VOICE;

	if (!who) {
		chat_num(cl, 401, "%s :No such nick/channel", nick);
	} else if (!tm) {
		chat_num(cl, 441, "%s %s :They aren't on that channel", who->nick, ch->name);
	} else if (!!(tm->flags & bit) != on) {
		tm->flags = on ? tm->flags | bit : tm->flags & ~bit;
		out_add(o, on, c, who->nick);
		if (cl->srv->cluster)
			chat_cluster_member(ch, who);
	}
}

/* One mode letter with its parameter (if it takes one). */
static void apply_one(struct client *cl, struct channel *ch, bool on, char c,
                      const char *arg, struct mode_out *o)
{
	char num[16];

	if (flag_bit(c)) {
		if (!!(ch->modes & flag_bit(c)) != on) {
			ch->modes ^= flag_bit(c);
			out_add(o, on, c, NULL);
		}
	} else if (c == 'o' || c == 'v') {
		member_mode(cl, ch, on, c, arg, o);
	} else if (c == 'k') {
		if (on && arg[0] && !strchr(arg, ' ')) {
			snprintf(ch->key, sizeof ch->key, "%s", arg);
			ch->modes |= CMODE_K;
			out_add(o, true, 'k', ch->key);
		} else if (!on && (ch->modes & CMODE_K)) {
			ch->modes &= ~(unsigned)CMODE_K;
			out_add(o, false, 'k', "*");
		}
	} else if (c == 'l') {
		long v = on ? strtol(arg, NULL, 10) : 0;
		if (on && v > 0 && v < 1000000) {
			ch->limit = (unsigned)v;
			ch->modes |= CMODE_L;
			snprintf(num, sizeof num, "%ld", v);
			out_add(o, true, 'l', num);
		} else if (!on && (ch->modes & CMODE_L)) {
			ch->modes &= ~(unsigned)CMODE_L;
			out_add(o, false, 'l', NULL);
		}
	} else {
		struct masklist *l = list_of(ch, c);
		if (edit_masks(cl, ch, c, arg, on))
			out_add(o, on, c, l->n && on ? l->v[l->n - 1].mask : arg);
	}
}

static bool takes_arg(char c, bool on)
{
	return strchr("ovbeI", c) || c == 'k' || (c == 'l' && on);
}

static void channel_mode(struct client *cl, struct irc_msg *m)
{
	struct channel *ch = chat_find_chan(cl->srv, m->params[0]);

	if (!ch) {
		chat_num(cl, 403, "%s :No such channel", m->params[0]);
		return;
	}
	if (m->nparams < 2) {
		channel_modes_reply(cl, ch);
		return;
	}
	struct member *mb = chat_member(cl, ch);
	bool op = mb && (mb->flags & MEMB_OP), on = true, refused = false;
	struct mode_out o = { .last = -1 };
	int argi = 2, withargs = 0;
	for (const char *p = m->params[1]; *p; p++) {
		char c = *p;
		if (c == '+' || c == '-') {
			on = c == '+';
			continue;
		}
		if (!flag_bit(c) && !strchr("ovklbeI", c)) {
			chat_num(cl, 472, "%c :is unknown mode char to me", c);
			continue;
		}
		bool list = strchr("beI", c) && argi >= m->nparams;
		if (list) {
			list_masks(cl, ch, c);
			continue;
		}
		const char *arg = NULL;
		if (takes_arg(c, on)) {
			if (argi >= m->nparams) {
				if (c != 'k')
					continue;      /* -k without a key still clears it */
				arg = "*";
			} else {
				arg = m->params[argi++];
			}
			if (++withargs > MAXMODES)
				break;
		}
		if (!op) {
			refused = true;
			continue;
		}
		apply_one(cl, ch, on, c, arg, &o);
	}
	if (refused)
		chat_num(cl, 482, "%s :You're not channel operator", ch->name);
	if (o.n && cl->srv->cluster)
		chat_cluster_modes(ch);
	if (o.n)
		chat_to_channel(ch, NULL, ":%s!%s@%s MODE %s %s%s", cl->nick, cl->user,
		                cl->host, ch->name, o.modes, o.args);
}

static void cmd_mode(struct client *cl, struct irc_msg *m)
{
	if (m->params[0][0] == '#')
		channel_mode(cl, m);
	else
		user_mode(cl, m);
}

const struct chat_cmd chat_cmds_mode[] = {
	{ "MODE", cmd_mode, 1, false },
	{ NULL, NULL, 0, false },
};
