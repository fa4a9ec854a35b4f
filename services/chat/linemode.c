/* linemode.c — line mode for nc/telnet users: a nick prompt, #lobby,
 * typed lines to the current channel, a few /commands; every IRC line
 * such a client receives is rendered as readable text ("<nick> text").
 * Line-mode users and IRC users share channels: the state and the
 * fan-out are the same, only this rendering differs. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "chat.h"

static const char line_help[] =
	"* commands: /join #room [key]  /part [#room] [why]  /msg NICK|#room text\r\n"
	"*           /nick NEW  /me action  /names [#room]  /list  /topic [text]\r\n"
	"*           /quit [why]  /help; any other line goes to the current room\r\n";

static void say(struct client *cl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct client *cl, const char *fmt, ...)
{
	char buf[IRC_LINE_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 2, fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n >= sizeof buf - 2 ? sizeof buf - 3 : (size_t)n;
	memcpy(buf + len, "\r\n", 2);
	chat_send_raw(cl, buf, len + 2);
}

void chat_line_start(struct client *cl)
{
	say(cl, "* sockit chat, line mode. Choose a nick:");
}

/* The typed nick registers the client and puts it in #lobby. */
static void take_nick(struct client *cl, const char *nick)
{
	struct chat_server *s = cl->srv;

	if (!chat_nick_valid(nick)) {
		say(cl, "* '%.40s' is not a valid nick (a letter first, then letters, "
		    "digits or -[]\\`^{|}_, at most %d): try another", nick, NICKLEN);
		return;
	}
	if (chat_set_nick(s, cl, nick) < 0) {
		say(cl, "* %s is taken: try another", nick);
		return;
	}
	snprintf(cl->user, sizeof cl->user, "~%.*s", USERLEN - 1, nick);
	snprintf(cl->real, sizeof cl->real, "line mode user");
	cl->has_user = true;
	cl->registered = true;
	s->nusers++;
	if (s->nusers > s->max_users)
		s->max_users = s->nusers;
	say(cl, "* welcome, %s. You are in #lobby; /help lists the commands.", nick);
	snprintf(cl->current, sizeof cl->current, "#lobby");
	chat_do_join(cl, "#lobby", NULL);
}

/* The room typed lines go to: the current one while joined, else the
 * first channel the client is in, else none. */
static struct channel *current_room(struct client *cl)
{
	struct channel *ch = chat_find_chan(cl->srv, cl->current);

	if (ch && chat_member(cl, ch))
		return ch;
	if (cl->nchans == 0)
		return NULL;
	ch = cl->chans[0]->ch;
	snprintf(cl->current, sizeof cl->current, "%s", ch->name);
	return ch;
}

static void slash_join(struct client *cl, char *arg)
{
	char *key = strchr(arg, ' ');

	if (key)
		*key++ = '\0';
	if (!arg[0]) {
		say(cl, "* usage: /join #room [key]");
		return;
	}
	char name[CHANLEN + 2];
	snprintf(name, sizeof name, "%s%s", arg[0] == '#' ? "" : "#", arg);
	/* Current once joined (current_room checks; a cluster admits later). */
	snprintf(cl->current, sizeof cl->current, "%.*s", CHANLEN, name);
	chat_do_join(cl, name, key);
}

static void slash_part(struct client *cl, char *arg)
{
	struct channel *ch = current_room(cl);
	char *why = NULL;

	if (arg[0] == '#') {
		why = strchr(arg, ' ');
		if (why)
			*why++ = '\0';
		ch = chat_find_chan(cl->srv, arg);
	} else if (arg[0]) {
		why = arg;
	}
	if (!ch) {
		say(cl, "* not in that room");
		return;
	}
	chat_do_part(cl, ch, why);
}

static void slash_msg(struct client *cl, char *arg)
{
	char *text = strchr(arg, ' ');

	if (!text || !text[1]) {
		say(cl, "* usage: /msg NICK|#room text");
		return;
	}
	*text++ = '\0';
	chat_do_privmsg(cl, "PRIVMSG", arg, text);
}

static void slash_me(struct client *cl, char *arg)
{
	struct channel *ch = current_room(cl);
	char text[IRC_LINE_MAX];

	if (!ch) {
		say(cl, "* you are in no room: /join #lobby");
		return;
	}
	snprintf(text, sizeof text, "\001ACTION %s\001", arg);
	chat_do_privmsg(cl, "PRIVMSG", ch->name, text);
}

static void slash_names(struct client *cl, char *arg)
{
	struct channel *ch = arg[0] ? chat_find_chan(cl->srv, arg) : current_room(cl);

	if (!ch)
		say(cl, "* no such room");
	else
		chat_send_names(cl, ch);
}

static void slash_topic(struct client *cl, char *arg)
{
	struct channel *ch = current_room(cl);

	if (!ch)
		say(cl, "* you are in no room: /join #lobby");
	else
		chat_do_topic(cl, ch, arg[0] ? arg : NULL);
}

static void slash_quit(struct client *cl, char *arg)
{
	snprintf(cl->quit, sizeof cl->quit, "Quit: %s", arg[0] ? arg : "bye");
	chat_drop(cl, cl->quit, false);
}

static void slash(struct client *cl, char *line)
{
	char *cmd = line + 1, *arg = strchr(cmd, ' ');

	if (arg)
		*arg++ = '\0';
	else
		arg = cmd + strlen(cmd);
	arg += strspn(arg, " ");
	if (strcasecmp(cmd, "join") == 0) slash_join(cl, arg);
	else if (strcasecmp(cmd, "part") == 0) slash_part(cl, arg);
	else if (strcasecmp(cmd, "msg") == 0) slash_msg(cl, arg);
	else if (strcasecmp(cmd, "nick") == 0) chat_do_nick(cl, arg);
	else if (strcasecmp(cmd, "me") == 0) slash_me(cl, arg);
	else if (strcasecmp(cmd, "names") == 0) slash_names(cl, arg);
	else if (strcasecmp(cmd, "list") == 0) chat_do_list(cl, NULL);
	else if (strcasecmp(cmd, "topic") == 0) slash_topic(cl, arg);
	else if (strcasecmp(cmd, "quit") == 0) slash_quit(cl, arg);
	else if (strcasecmp(cmd, "help") == 0) chat_send_raw(cl, line_help, sizeof line_help - 1);
	else say(cl, "* unknown command /%.20s (try /help)", cmd);
}

void chat_line_input(struct client *cl, char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	if (len == 0)
		return;
	if (!cl->registered) {
		take_nick(cl, line + strspn(line, " "));
		return;
	}
	if (line[0] == '/' && line[1] != '/') {
		slash(cl, line);
		return;
	}
	struct channel *ch = current_room(cl);
	if (!ch) {
		say(cl, "* you are in no room: /join #lobby");
		return;
	}
	chat_do_privmsg(cl, "PRIVMSG", ch->name, line[0] == '/' ? line + 1 : line);
}

/* The nick in a ":nick!user@host" prefix. */
static void prefix_nick(const struct irc_msg *m, char *out, size_t cap)
{
	size_t n = m->prefix ? strcspn(m->prefix, "!") : 0;

	snprintf(out, cap, "%.*s", (int)n, m->prefix ? m->prefix : "");
}

static void render_privmsg(struct client *to, const struct irc_msg *m, const char *nick)
{
	const char *target = m->params[0], *text = m->params[1];
	bool notice = m->command[0] == 'N';
	size_t tl = strlen(text);

	if (!notice && tl > 8 && strncmp(text, "\001ACTION ", 8) == 0) {
		int n = (int)(tl - 8 - (text[tl - 1] == '\001'));
		if (target[0] == '#' && strcasecmp(target, to->current) != 0)
			say(to, "[%s] * %s %.*s", target, nick, n, text + 8);
		else
			say(to, "* %s %.*s", nick, n, text + 8);
	} else if (target[0] != '#') {
		say(to, notice ? "-%s- %s" : "*%s* %s", nick[0] ? nick : to->srv->name, text);
	} else if (strcasecmp(target, to->current) == 0) {
		say(to, notice ? "-%s- %s" : "<%s> %s", nick, text);
	} else {
		say(to, notice ? "[%s] -%s- %s" : "[%s] <%s> %s", target, nick, text);
	}
}

/* A numeric as text: its parameters after the target, skipping the
 * end-of-list ones that say nothing to a person. */
static void render_numeric(struct client *to, const struct irc_msg *m)
{
	int num = (m->command[0] - '0') * 100 + (m->command[1] - '0') * 10 + (m->command[2] - '0');
	char buf[IRC_LINE_MAX];
	size_t len = 0;

	if (num == 366 || num == 333 || num == 329 || num == 315 || num == 323 ||
	    num == 318 || num == 369 || num == 376)
		return;
	if (num == 353 && m->nparams >= 4) {
		say(to, "* in %s: %s", m->params[2], m->params[3]);
		return;
	}
	if (num == 332 && m->nparams >= 3) {
		say(to, "* topic of %s: %s", m->params[1], m->params[2]);
		return;
	}
	if (num == 322 && m->nparams >= 4) {
		say(to, "* %s (%s): %s", m->params[1], m->params[2], m->params[3]);
		return;
	}
	buf[0] = '\0';
	for (int i = 1; i < m->nparams && len + 2 < sizeof buf; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i > 1 ? " " : "",
		                        m->params[i]);
	say(to, "* %s", buf);
}

static void render_event(struct client *to, const struct irc_msg *m, const char *nick)
{
	const char *c = m->command;
	const char *p0 = m->nparams > 0 ? m->params[0] : "";
	const char *p1 = m->nparams > 1 ? m->params[1] : "";
	const char *p2 = m->nparams > 2 ? m->params[2] : "";

	if (strcmp(c, "JOIN") == 0)
		say(to, "* %s has joined %s", nick, p0);
	else if (strcmp(c, "PART") == 0)
		say(to, "* %s has left %s%s%s%s", nick, p0, p1[0] ? " (" : "", p1, p1[0] ? ")" : "");
	else if (strcmp(c, "QUIT") == 0)
		say(to, "* %s has quit (%s)", nick, p0);
	else if (strcmp(c, "NICK") == 0)
		say(to, "* %s is now known as %s", nick, p0);
	else if (strcmp(c, "TOPIC") == 0)
		say(to, "* %s set the topic of %s: %s", nick, p0, p1);
	else if (strcmp(c, "KICK") == 0)
		say(to, "* %s kicked %s from %s (%s)", nick, p1, p0, p2);
	else if (strcmp(c, "INVITE") == 0)
		say(to, "* %s invites you to %s", nick, p1);
	else if (strcmp(c, "MODE") == 0)
		say(to, "* %s sets mode %s%s%s on %s", nick, p1, m->nparams > 2 ? " " : "", p2, p0);
	else if (strcmp(c, "KILL") == 0)
		say(to, "* killed by %s: %s", nick, p1);
	else if (strcmp(c, "WALLOPS") == 0)
		say(to, "* wallops from %s: %s", nick, p0);
}

void chat_line_render(struct client *to, const char *line, size_t len)
{
	char copy[IRC_LINE_MAX + 1], nick[NICKLEN + HOSTLEN + 2];
	struct irc_msg m;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len > IRC_BODY_MAX)
		len = IRC_BODY_MAX;
	memcpy(copy, line, len);
	if (irc_parse(copy, len, &m) != IRC_PARSE_OK)
		return;
	prefix_nick(&m, nick, sizeof nick);
	if ((strcmp(m.command, "PRIVMSG") == 0 || strcmp(m.command, "NOTICE") == 0) &&
	    m.nparams >= 2)
		render_privmsg(to, &m, nick);
	else if (m.command[0] >= '0' && m.command[0] <= '9' && strlen(m.command) == 3)
		render_numeric(to, &m);
	else
		render_event(to, &m, nick);
}
