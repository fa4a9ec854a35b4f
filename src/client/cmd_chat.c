/* cmd_chat.c — `sockit chat`: a line client for any IRC server (sockit's
 * own, ngircd, ...): typed lines to the current channel, a few /commands,
 * incoming messages as "[#c] <nick> text" or JSON Lines. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat/parse.h"
#include "cli/cli.h"
#include "cli/json.h"
#include "commands.h"
#include "sockit/error.h"
#include "sockit/net.h"
#include "sockit/pump.h"

#define CHAT_DEFAULT_ENDPOINT "tcp://127.0.0.1:6667"
#define INPUT_MAX 4096

static const char chat_help[] =
"usage: sockit chat [ENDPOINT] --nick NICK [--channel #CHAN] [OPTIONS]\n"
"\n"
"Talk on an IRC server (sockit serve chat, ngircd, ...): register as NICK,\n"
"join #CHAN (default #lobby), then every line typed on stdin goes to the\n"
"current channel.  Incoming messages print as\n"
"  [#chan] <nick> text        a channel message\n"
"  *nick* text                a private message\n"
"  [#chan] * nick joined      (part, quit, nick, topic, kick alike)\n"
"Server PINGs are answered.  ENDPOINT defaults to " CHAT_DEFAULT_ENDPOINT ";\n"
"HOST:PORT is allowed.  At stdin's end the client sends QUIT and exits once\n"
"the server closes.\n"
"\n"
"commands typed on stdin:\n"
"  /join #chan [key]   join and make it current   /part [#chan] [why]\n"
"  /msg NICK|#chan text                           /me action\n"
"  /nick NEW           /names [#chan]             /quit [why]\n"
"  /quote RAW LINE     send a raw IRC line        //text  sends '/text'\n"
"\n"
"options:\n"
"  -n, --nick NICK       nick to register (required); '_' is appended while\n"
"                        it is taken, up to 3 times\n"
"  -c, --channel #CHAN   channel to join after registering (default #lobby)\n"
"      --password PASS   send PASS first (servers started with --password)\n"
"  -w, --timeout DUR     give up connecting or registering after DUR\n"
"                        (default 10s; 250ms, 1.5s, 2m; bare number: seconds)\n"
"  -j, --json            print every event as one JSON object per line:\n"
"                        {\"event\":\"message\",\"channel\":\"#c\",\"nick\":\"a\",\"text\":\"hi\"}\n"
"                        events: registered message notice private join\n"
"                        part quit nick topic kick names error numeric closed\n"
"  -q, --quiet           print messages only (no join/part/numerics)\n"
"  -h, --help            this text\n"
"\n"
"examples:\n"
"  sockit chat --nick ann                       # #lobby on 127.0.0.1:6667\n"
"  echo 'hello all' | sockit chat --nick bot -c '#test' localhost:6667\n"
"  sockit chat --nick watcher --json tcp://127.0.0.1:6667 < /dev/null\n"
"\n"
"exit status: 0 after /quit or stdin's end, 1 when the connection fails, is\n"
"lost, or registration is refused, 2 for bad usage.\n";

struct chat_args {
	const char *endpoint, *nick, *channel, *password;
	int timeout_ms;
	bool json, quiet;
	struct sk_endpoint ep;
};

struct chat_client {
	const struct chat_args *a;
	struct sk_pump *p;
	struct json j;
	struct irc_splitter sp;
	char nick[64];
	char current[64];
	char in[INPUT_MAX];
	size_t inlen;
	int retries;
	bool registered, quitting, failed;
	char why[256];             /* the ERROR or numeric that ended it */
};

/* Send one IRC line (CRLF added), cut at 510 bytes. */
static void sendf(struct chat_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sendf(struct chat_client *c, const char *fmt, ...)
{
	char buf[IRC_LINE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n > IRC_BODY_MAX ? IRC_BODY_MAX : (size_t)n;
	memcpy(buf + len, "\r\n", 2);
	sk_pump_send(c->p, buf, len + 2);
}

/* Text from the network shown on a terminal: control bytes become '?'
 * (no escape sequences reach the terminal). */
static void print_safe(const char *s)
{
	for (; *s; s++)
		putchar(((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s);
}

/* How an event reads as text: the verb after "* nick", by event name. */
static const char *verb_of(const char *ev)
{
	static const char *const verbs[][2] = {
		{ "join", "joined" }, { "part", "left" }, { "quit", "quit" },
		{ "nick", "is now known as" }, { "topic", "set the topic" },
		{ "kick", "kicked" }, { "names", "names:" }, { "registered", "registered on" },
		{ "closed", "connection closed:" }, { "error", "error" },
	};
	for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++)
		if (!strcmp(ev, verbs[i][0]))
			return verbs[i][1];
	return ev;
}

/* "[#c] <nick> text", "*nick* text", "[#c] * nick joined", ... */
static void print_text(struct chat_client *c, const char *ev, const char *chan,
                       const char *nick, const char *text, const char *extra)
{
	char head[200];
	bool msg = !strcmp(ev, "message") || !strcmp(ev, "private") ||
	           !strcmp(ev, "notice") || !strcmp(ev, "action");

	if (c->a->quiet && !msg && strcmp(ev, "error") && strcmp(ev, "closed"))
		return;
	int n = chan ? snprintf(head, sizeof head, "[%s] ", chan) : 0;
	size_t o = n > 0 ? (size_t)n : 0;
	if (!strcmp(ev, "message"))
		snprintf(head + o, sizeof head - o, "<%s> ", nick ? nick : "?");
	else if (!strcmp(ev, "private"))
		snprintf(head + o, sizeof head - o, "*%s* ", nick ? nick : "?");
	else if (!strcmp(ev, "notice"))
		snprintf(head + o, sizeof head - o, "-%s- ", nick ? nick : "server");
	else if (!strcmp(ev, "action"))
		snprintf(head + o, sizeof head - o, "* %s ", nick ? nick : "?");
	else
		snprintf(head + o, sizeof head - o, "* %s%s%s%s%s%s", nick ? nick : "",
		         nick ? " " : "", verb_of(ev), extra ? " " : "", extra ? extra : "",
		         text ? " " : "");
	print_safe(head);
	if (text)
		print_safe(text);
	putchar('\n');
}

/* One event as text ("[#c] <nick> text") or as a JSON line. */
static void event(struct chat_client *c, const char *ev, const char *chan,
                  const char *nick, const char *text, const char *extra_key,
                  const char *extra)
{
	if (c->a->json) {
		json_object(&c->j);
		json_kv_str(&c->j, "event", ev);
		if (chan)
			json_kv_str(&c->j, "channel", chan);
		if (nick)
			json_kv_str(&c->j, "nick", nick);
		if (extra_key)
			json_kv_str(&c->j, extra_key, extra);
		if (text)
			json_kv_str(&c->j, "text", text);
		json_end(&c->j);
		json_newline(&c->j);
	} else {
		print_text(c, ev, chan, nick, text, extra);
	}
	fflush(stdout);
}

static void register_self(struct chat_client *c)
{
	if (c->a->password)
		sendf(c, "PASS %s", c->a->password);
	sendf(c, "NICK %s", c->nick);
	sendf(c, "USER %.9s 0 * :sockit chat", c->a->nick);
}

static void on_numeric(struct chat_client *c, int num, struct irc_msg *m)
{
	const char *last = m->nparams ? m->params[m->nparams - 1] : "";

	if (num == 1) {
		c->registered = true;
		snprintf(c->nick, sizeof c->nick, "%s", m->params[0]);
		event(c, "registered", NULL, c->nick, NULL, "server",
		      m->prefix ? m->prefix : "");
		if (c->current[0])
			sendf(c, "JOIN %s", c->current);
		return;
	}
	if (!c->registered && (num == 433 || num == 432)) {
		if (num == 433 && c->retries++ < 3 && strlen(c->nick) + 1 < 30) {
			strcat(c->nick, "_");
			sendf(c, "NICK %s", c->nick);
			return;
		}
		snprintf(c->why, sizeof c->why, "registration refused: %s", last);
		c->failed = true;
		event(c, "error", NULL, NULL, last, "code", m->command);
		sendf(c, "QUIT");
		c->quitting = true;
		return;
	}
	if (num == 353 && m->nparams >= 4) {
		event(c, "names", m->params[2], NULL, m->params[3], NULL, NULL);
		return;
	}
	if (num == 332 && m->nparams >= 3) {
		event(c, "topic", m->params[1], NULL, m->params[2], NULL, NULL);
		return;
	}
	if (num >= 400 && num < 600 && num != 422) {
		event(c, "error", NULL, NULL, last, "code", m->command);
		return;
	}
	if (c->a->json)
		event(c, "numeric", NULL, NULL, last, "code", m->command);
}

/* The nick in ":nick!user@host" (in place). */
static const char *nick_of(struct irc_msg *m, char *buf, size_t cap)
{
	if (!m->prefix)
		return NULL;
	size_t n = strcspn(m->prefix, "!");
	snprintf(buf, cap, "%.*s", (int)(n < m->prefix_len ? n : m->prefix_len), m->prefix);
	return buf;
}

static void on_privmsg(struct chat_client *c, struct irc_msg *m, const char *nick)
{
	const char *target = m->params[0], *text = m->params[1];
	bool notice = m->command[0] == 'N';
	char action[IRC_LINE_MAX];
	size_t tl = strlen(text);

	if (!notice && tl > 8 && !strncmp(text, "\001ACTION ", 8)) {
		snprintf(action, sizeof action, "%.*s", (int)(tl - 8 - (text[tl - 1] == 1)),
		         text + 8);
		event(c, "action", target[0] == '#' ? target : NULL, nick, action, NULL, NULL);
	} else if (target[0] == '#') {
		event(c, notice ? "notice" : "message", target, nick, text, NULL, NULL);
	} else {
		event(c, notice ? "notice" : "private", NULL, nick, text, NULL, NULL);
	}
}

static void on_line(struct chat_client *c, char *line, size_t len)
{
	struct irc_msg m;
	char nb[128];

	if (irc_parse(line, len, &m) != IRC_PARSE_OK)
		return;
	const char *nick = nick_of(&m, nb, sizeof nb);
	const char *p0 = m.nparams > 0 ? m.params[0] : NULL;
	const char *p1 = m.nparams > 1 ? m.params[1] : NULL;
	const char *cmd = m.command;

	if (!strcmp(cmd, "PING"))
		sendf(c, "PONG :%s", p0 ? p0 : "");
	else if ((!strcmp(cmd, "PRIVMSG") || !strcmp(cmd, "NOTICE")) && p1)
		on_privmsg(c, &m, nick);
	else if (!strcmp(cmd, "JOIN") && p0)
		event(c, "join", p0, nick, NULL, NULL, NULL);
	else if (!strcmp(cmd, "PART") && p0)
		event(c, "part", p0, nick, p1 && p1[0] ? p1 : NULL, NULL, NULL);
	else if (!strcmp(cmd, "QUIT"))
		event(c, "quit", NULL, nick, p0, NULL, NULL);
	else if (!strcmp(cmd, "NICK") && p0) {
		if (nick && !strcmp(nick, c->nick))
			snprintf(c->nick, sizeof c->nick, "%s", p0);
		event(c, "nick", NULL, nick, NULL, "new", p0);
	} else if (!strcmp(cmd, "TOPIC") && p0)
		event(c, "topic", p0, nick, p1, NULL, NULL);
	else if (!strcmp(cmd, "KICK") && p1)
		event(c, "kick", p0, nick, m.nparams > 2 ? m.params[2] : NULL, "target", p1);
	else if (!strcmp(cmd, "INVITE") && p1)
		event(c, "invite", p1, nick, NULL, NULL, NULL);
	else if (!strcmp(cmd, "ERROR")) {
		snprintf(c->why, sizeof c->why, "%s", p0 ? p0 : "ERROR");
		event(c, "closed", NULL, NULL, p0, NULL, NULL);
	} else if (strlen(cmd) == 3 && cmd[0] >= '0' && cmd[0] <= '9')
		on_numeric(c, atoi(cmd), &m);
}

static int on_recv(struct sk_pump *p, const char *data, size_t n)
{
	struct chat_client *c = p->ctx;
	const char *line;
	size_t len;
	char copy[IRC_LINE_MAX + 1];
	enum irc_split r;

	while ((r = irc_split_next(&c->sp, &data, &n, &line, &len)) != IRC_LINE_NONE) {
		if (r != IRC_LINE_OK)
			continue;
		memcpy(copy, line, len);
		on_line(c, copy, len);
	}
	return 0;
}

/* "/join #c key" and friends; false for an unknown command. */
static bool slash(struct chat_client *c, char *line)
{
	char *arg = strchr(line, ' ');

	if (arg)
		*arg++ = '\0';
	else
		arg = line + strlen(line);
	if (!strcmp(line, "/join") && arg[0]) {
		char *key = strchr(arg, ' ');
		if (key)
			*key++ = '\0';
		snprintf(c->current, sizeof c->current, "%s%s", arg[0] == '#' ? "" : "#", arg);
		sendf(c, "JOIN %s%s%s", c->current, key ? " " : "", key ? key : "");
	} else if (!strcmp(line, "/part")) {
		bool named = arg[0] == '#';
		char *why = named ? strchr(arg, ' ') : arg;
		if (named && why)
			*why++ = '\0';
		sendf(c, "PART %s :%s", named ? arg : c->current, why ? why : "");
	} else if (!strcmp(line, "/msg") && strchr(arg, ' ')) {
		char *text = strchr(arg, ' ');
		*text++ = '\0';
		sendf(c, "PRIVMSG %s :%s", arg, text);
	} else if (!strcmp(line, "/me")) {
		sendf(c, "PRIVMSG %s :\001ACTION %s\001", c->current, arg);
	} else if (!strcmp(line, "/nick") && arg[0]) {
		sendf(c, "NICK %s", arg);
	} else if (!strcmp(line, "/names")) {
		sendf(c, "NAMES %s", arg[0] ? arg : c->current);
	} else if (!strcmp(line, "/quote") && arg[0]) {
		sendf(c, "%s", arg);
	} else if (!strcmp(line, "/quit")) {
		sendf(c, "QUIT :%s", arg[0] ? arg : "sockit chat");
		c->quitting = true;
	} else {
		return false;
	}
	return true;
}

static void typed(struct chat_client *c, char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (!n || c->quitting)
		return;
	if (line[0] == '/' && line[1] != '/') {
		if (!slash(c, line))
			fprintf(stderr, "sockit chat: unknown command '%.40s' (see 'sockit chat --help')\n",
			        line);
		return;
	}
	if (!c->current[0]) {
		fprintf(stderr, "sockit chat: no current channel: /join #chan first\n");
		return;
	}
	sendf(c, "PRIVMSG %s :%s", c->current, line[0] == '/' ? line + 1 : line);
}

/* stdin: whole lines become IRC commands; at EOF, QUIT. */
static int on_input(struct sk_pump *p, const char *data, size_t n)
{
	struct chat_client *c = p->ctx;

	if (n == 0) {
		if (c->inlen) {
			c->in[c->inlen] = '\0';
			typed(c, c->in);
			c->inlen = 0;
		}
		if (!c->quitting)
			sendf(c, "QUIT :sockit chat");
		c->quitting = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			c->in[c->inlen] = '\0';
			typed(c, c->in);
			c->inlen = 0;
		} else if (c->inlen + 1 < sizeof c->in) {
			c->in[c->inlen++] = data[i];
		}
	}
	return 0;
}

/* Typed lines wait until registration (they would be refused before). */
static bool want_input(struct sk_pump *p)
{
	struct chat_client *c = p->ctx;
	return c->registered && !c->quitting;
}

/* The idle timer guards connecting and registering only. */
static bool awaiting(struct sk_pump *p)
{
	struct chat_client *c = p->ctx;
	return !c->registered;
}

static int parse_args(struct chat_args *a, int argc, char **argv)
{
	const struct cli_option opts[] = {
		CLI_STR('n', "nick", &a->nick),
		CLI_STR('c', "channel", &a->channel),
		CLI_STR(CLI_LONG(0), "password", &a->password),
		CLI_DUR('w', "timeout", &a->timeout_ms, 1, 3600000),
		CLI_FLAG('j', "json", &a->json),
		CLI_FLAG('q', "quiet", &a->quiet),
		CLI_END,
	};
	const struct cli_command cmd = { "chat", chat_help, opts, 0 };
	char err[SK_ERRLEN];
	int first, rc = cli_parse(&cmd, argc, argv, a, &first);

	if (rc != CLI_RUN)
		return rc;
	if (argc - first > 1)
		return cli_usage("chat", "too many arguments");
	if (argc - first == 1)
		a->endpoint = argv[first];
	if (!a->nick)
		return cli_usage("chat", "--nick NICK is required");
	if (!a->nick[0] || strlen(a->nick) > 30 || strpbrk(a->nick, " ,:!@*?\r\n"))
		return cli_bad_value("chat", "--nick", a->nick, "1-30 characters, no spaces");
	if (a->channel && (a->channel[0] != '#' || strlen(a->channel) > 50 ||
	                   strpbrk(a->channel, " ,\r\n")))
		return cli_bad_value("chat", "--channel", a->channel, "#name, at most 50");
	if (sk_endpoint_parse(&a->ep, a->endpoint, err, sizeof err) < 0)
		return cli_fail(EXIT_USAGE, "chat: %s", err);
	if (sk_endpoint_is_dgram(&a->ep))
		return cli_usage("chat", "IRC needs a stream endpoint (tcp:// or unix:)");
	return CLI_RUN;
}

static const struct sk_pump_ops chat_ops = {
	.input = on_input, .recv = on_recv, .want_input = want_input,
	.awaiting = awaiting,
};

int cmd_chat(int argc, char **argv)
{
	struct chat_args a = { .endpoint = CHAT_DEFAULT_ENDPOINT, .channel = "#lobby",
	                       .timeout_ms = 10000 };
	char err[SK_ERRLEN];
	int rc = parse_args(&a, argc, argv);

	if (rc != CLI_RUN)
		return rc;
	int fd = sk_connect(&a.ep, a.timeout_ms, err, sizeof err);
	if (fd < 0)
		return cli_fail(EXIT_NETWORK, "%s", err);
	struct sk_pump p;
	struct chat_client *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return cli_fail(EXIT_NETWORK, "chat: out of memory");
	}
	c->a = &a;
	c->p = &p;
	snprintf(c->nick, sizeof c->nick, "%s", a.nick);
	snprintf(c->current, sizeof c->current, "%s", a.channel);
	json_start(&c->j, stdout);
	sk_pump_init(&p, STDIN_FILENO, fd, -1);
	p.ops = &chat_ops;
	p.ctx = c;
	p.idle_ms = a.timeout_ms;
	register_self(c);
	int r = sk_pump_run(&p);
	if (r < 0 && errno == ETIMEDOUT)
		rc = cli_fail(EXIT_NETWORK, "chat: no registration within %d ms", a.timeout_ms);
	else if (r < 0)
		rc = cli_fail(EXIT_NETWORK, "chat: %s: %s", p.failed ? p.failed : "run",
		              strerror(errno));
	else if (c->failed)
		rc = cli_fail(EXIT_NETWORK, "chat: %s", c->why);
	else if (!c->quitting)
		rc = cli_fail(EXIT_NETWORK, "chat: server closed the connection%s%s",
		              c->why[0] ? ": " : "", c->why);
	else
		rc = EXIT_OK;
	sk_pump_free(&p);
	close(fd);
	free(c);
	return rc;
}
