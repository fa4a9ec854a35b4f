/* cluster_list.c — LIST in a cluster: every room of the network, not only
 * the rooms this node follows, read from the broker in one atomic step
 * (bus.h room_list: name, member count, modes, topic; at most
 * BUS_LIST_MAX rooms).  The client's input waits for the answer, as for a
 * JOIN, so what follows LIST comes after its 323; a broker that does not
 * answer (link down, its watchdog) gets the local LIST instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "chat/cluster.h"

#define LIST_NAMES 64          /* names one LIST #a,#b asks the broker about */

/* LIST (filter NULL or "") or LIST #a,#b in a cluster whose link is up:
 * ask the broker (cc_on_rooms answers; cl's input waits).  False: the
 * caller lists locally. */
bool chat_cluster_list(struct client *cl, const char *filter)
{
	struct chat_cluster *cc = cl->srv->cluster;
	char copy[IRC_LINE_MAX], *save = NULL;
	char folds[LIST_NAMES][CHANLEN + 1];
	const char *names[LIST_NAMES];
	size_t n = 0;

	if (!cc->bus->up || !cc_grow(&cc->lists, &cc->caplists, cc->nlists, sizeof *cc->lists))
		return false;
	struct plist *p = &cc->lists[cc->nlists];
	*p = (struct plist){ .token = ++cc->next_token, .cl = cl };
	if (filter && filter[0]) {
		if (!(p->filter = strdup(filter)))
			return false;
		snprintf(copy, sizeof copy, "%s", filter);
		for (char *c = strtok_r(copy, ",", &save); c && n < LIST_NAMES;
		     c = strtok_r(NULL, ",", &save)) {
			if (!chat_chan_valid(c))
				continue;
			chat_fold(folds[n], c, sizeof folds[n]);
			names[n] = folds[n];
			n++;
		}
		if (n == 0) {
			/* Nothing the broker could know: the (empty) local answer. */
			free(p->filter);
			return false;
		}
	}
	cc->nlists++;
	cc_hold(cl);
	cc->bus->ops->room_list(cc->bus, names, n, p->token);
	return true;
}

/* One room of the answer, unless secret or private to cl (as the local
 * LIST hides them: cl is a member only of rooms this node follows). */
static void list_one(struct chat_server *s, struct client *cl, const struct bus_listed *r)
{
	if (!chat_chan_valid(r->name))
		return;                    /* not a name a client could take */
	struct channel *ch = chat_find_chan(s, r->name);
	if ((r->modes & (CMODE_S | CMODE_P)) && !(ch && chat_member(cl, ch)))
		return;
	/* The topic as a service wrote it has no line end; one from a
	 * tampered key must not end the line early. */
	int tlen = (int)strcspn(r->topic, "\r\n");
	if (tlen > TOPICLEN)
		tlen = TOPICLEN;
	chat_num(cl, 322, "%s %zu :%.*s", ch ? ch->name : r->name, r->members, tlen, r->topic);
}

void cc_on_rooms(void *svc, uint64_t token, bool ok, const struct bus_listed *v, size_t n)
{
	struct chat_server *s = svc;
	struct chat_cluster *cc = s->cluster;
	size_t i;

	for (i = 0; i < cc->nlists && cc->lists[i].token != token; i++)
		;
	if (i == cc->nlists)
		return;
	struct plist p = cc->lists[i];
	cc->lists[i] = cc->lists[--cc->nlists];
	struct client *cl = p.cl;
	if (!cl) {
		free(p.filter);
		return;
	}
	chat_enter(s);
	if (!cl->dying && !ok) {
		chat_do_list(cl, p.filter);        /* the broker did not answer */
	} else if (!cl->dying) {
		chat_num(cl, 321, "Channel :Users  Name");
		for (size_t k = 0; k < n; k++)
			list_one(s, cl, &v[k]);
		chat_num(cl, 323, ":End of /LIST");
	}
	cc_unhold(cl);
	chat_leave(s);
	free(p.filter);
}

/* cl is freed: no answer may reach it. */
void cc_lists_forget(struct chat_cluster *cc, struct client *cl)
{
	for (size_t i = 0; i < cc->nlists; i++)
		if (cc->lists[i].cl == cl)
			cc->lists[i].cl = NULL;
}

void cc_lists_free(struct chat_cluster *cc)
{
	for (size_t i = 0; i < cc->nlists; i++)
		free(cc->lists[i].filter);
	free(cc->lists);
}
