/* chat.c — the chat service: its callbacks, the command dispatch, flood
 * control, the per-client timer (registration timeout, PING, flood
 * resume), and the options.
 *
 * One instance sees every client (single_thread: the host runs chat on
 * its first worker only), so a client's svc_conn can be written from any
 * callback.  Every callback brackets its work with chat_enter/chat_leave;
 * output and clean-up happen when the outermost one returns. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chat.h"

uint64_t chat_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const struct chat_cmd *const families[] = {
	chat_cmds_reg, chat_cmds_chan, chat_cmds_msg, chat_cmds_query,
	chat_cmds_mode, chat_cmds_oper,
};

const struct chat_cmd *chat_find_cmd(const char *name)
{
	for (size_t f = 0; f < sizeof families / sizeof *families; f++)
		for (const struct chat_cmd *c = families[f]; c->name; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

void chat_dispatch(struct client *cl, struct irc_msg *m)
{
	const struct chat_cmd *cmd = chat_find_cmd(m->command);

	if (!cmd) {
		if (cl->registered)
			chat_num(cl, 421, "%s :Unknown command", m->command);
		else
			chat_num(cl, 451, ":You have not registered");
		return;
	}
	if (!cl->registered && !cmd->pre_reg) {
		chat_num(cl, 451, ":You have not registered");
		return;
	}
	if (m->nparams < cmd->min_params) {
		chat_num(cl, 461, "%s :Not enough parameters", m->command);
		return;
	}
	cmd->fn(cl, m);
}

/* The first line decides: a known IRC command keeps the IRC protocol,
 * anything else starts line mode (an nc or telnet user). */
static void decide_mode(struct client *cl, const char *line, size_t len)
{
	char copy[IRC_LINE_MAX + 1];
	struct irc_msg m;

	memcpy(copy, line, len);
	cl->decided = true;
	if (irc_parse(copy, len, &m) == IRC_PARSE_OK && line[0] != '/' &&
	    chat_find_cmd(m.command))
		return;
	cl->line_mode = true;
	chat_line_start(cl);
}

static void handle_line(struct client *cl, const char *line, size_t len)
{
	static __thread char copy[IRC_LINE_MAX + 1];
	struct irc_msg m;

	if (!cl->decided) {
		decide_mode(cl, line, len);
		if (cl->line_mode)
			return;          /* the first line only started it */
	}
	memcpy(copy, line, len);
	if (cl->line_mode) {
		if (!memchr(copy, '\0', len)) {
			copy[len] = '\0';
			chat_line_input(cl, copy, len);
		}
		return;
	}
	switch (irc_parse(copy, len, &m)) {
	case IRC_PARSE_OK:
		chat_dispatch(cl, &m);
		break;
	case IRC_PARSE_NUL:
		svc_log(cl->conn, "line with a NUL byte ignored");
		break;
	default:
		break;
	}
}

/* Hold the rest of a read back while flood control pauses the client. */
static void stash(struct client *cl, const char *d, size_t n)
{
	if (n == 0)
		return;
	if (cl->npending + n > PENDING_MAX) {
		chat_drop(cl, "Excess Flood", true);
		return;
	}
	char *p = realloc(cl->pending, cl->npending + n);
	if (!p) {
		chat_drop(cl, "Out of memory", true);
		return;
	}
	memcpy(p + cl->npending, d, n);
	cl->pending = p;
	cl->npending += n;
}

static void arm_timer(struct client *cl);

/* Whether flood control holds cl back now (and arranges the resume). */
static bool flooded(struct client *cl, uint64_t now)
{
	if (!cl->srv->flood_limit || cl->flood_ms <= now + FLOOD_BURST_MS)
		return false;
	if (!cl->paused) {
		if (!cl->flood_logged) {
			svc_log(cl->conn, "flood control: holding input back");
			cl->flood_logged = true;
		}
		cl->paused = true;
		svc_pause(cl->conn);
		arm_timer(cl);
	}
	return true;
}

/* Run the lines in d; what flood control holds back is stashed. */
static void feed(struct client *cl, const char *d, size_t n)
{
	const char *line;
	size_t len;
	uint64_t now = chat_now_ms();

	while (n > 0 && !cl->dying && cl->conn) {
		if (cl->claiming || cl->waits) {
			stash(cl, d, n);      /* a cluster claim or join is out */
			return;
		}
		if (flooded(cl, now)) {
			stash(cl, d, n);
			return;
		}
		enum irc_split r = irc_split_next(&cl->sp, &d, &n, &line, &len);
		if (r == IRC_LINE_NONE)
			break;
		if (cl->flood_ms < now)
			cl->flood_ms = now;
		cl->flood_ms += PENALTY_MS;
		if (r == IRC_LINE_TOOLONG) {
			if (cl->line_mode)
				chat_send_raw(cl, "* line too long (510 bytes at most)\r\n", 37);
			else
				chat_num(cl, 417, ":Input line was too long");
			continue;
		}
		handle_line(cl, line, len);
	}
}

static void chat_bytes(struct svc_conn *c, const char *d, size_t n)
{
	struct client *cl = *(struct client **)c->state;
	struct chat_server *s = cl->srv;

	chat_enter(s);
	cl->last_in_ms = chat_now_ms();
	cl->pinged = false;
	if (cl->paused)
		stash(cl, d, n);
	else
		feed(cl, d, n);
	chat_leave(s);
}

/* The next moment the client's timer must fire: flood resume, the PING
 * or its deadline, or the registration deadline. */
static void arm_timer(struct client *cl)
{
	uint64_t now = chat_now_ms(), ping = cl->srv->ping_ms, due;

	if (!cl->conn || cl->dying)
		return;
	if (!cl->registered)
		due = cl->opened_ms + ping;
	else if (cl->line_mode && !cl->paused)
		return;
	else
		due = cl->last_in_ms + (cl->pinged ? 2 * ping : ping);
	if (cl->paused && !cl->claiming && !cl->waits && cl->flood_ms - FLOOD_BURST_MS < due)
		due = cl->flood_ms - FLOOD_BURST_MS;
	svc_set_timer(cl->conn, due > now ? due - now : 1);
}

/* Run the input held back (flood control or a cluster claim). */
void chat_resume_input(struct client *cl)
{
	cl->paused = false;
	char *p = cl->pending;
	size_t n = cl->npending;
	cl->pending = NULL;
	cl->npending = 0;
	feed(cl, p, n);
	free(p);
	if (!cl->paused && cl->conn && !cl->dying)
		svc_resume(cl->conn);
}

static void resume_flood(struct client *cl, uint64_t now)
{
	if (!cl->paused || cl->claiming || cl->waits || cl->flood_ms > now + FLOOD_BURST_MS)
		return;
	chat_resume_input(cl);
}

static void check_ping(struct client *cl, uint64_t now)
{
	uint64_t ping = cl->srv->ping_ms;
	char why[64];

	if (!cl->registered) {
		if (now >= cl->opened_ms + ping)
			chat_drop(cl, "Registration timeout", true);
		return;
	}
	if (cl->line_mode)
		return;      /* a person at nc: no PING; serve's --idle-timeout */
	if (cl->pinged && now >= cl->last_in_ms + 2 * ping) {
		snprintf(why, sizeof why, "Ping timeout: %llu seconds",
		         (unsigned long long)((now - cl->last_in_ms) / 1000));
		chat_drop(cl, why, true);
	} else if (!cl->pinged && now >= cl->last_in_ms + ping) {
		cl->pinged = true;
		chat_to(cl, "PING :%s", cl->srv->name);
	}
}

static void chat_timer(struct svc_conn *c)
{
	struct client *cl = *(struct client **)c->state;
	struct chat_server *s = cl->srv;
	uint64_t now = chat_now_ms();

	chat_enter(s);
	resume_flood(cl, now);
	if (cl->conn && !cl->dying)
		check_ping(cl, now);
	arm_timer(cl);
	chat_leave(s);
}

/* "127.0.0.1:4000" -> "127.0.0.1"; "[::1]:4000" -> "0::1" (a host may not
 * start with ':' in a prefix, ngircd writes it the same way). */
static void host_of(const char *peer, char *out, size_t cap)
{
	char tmp[HOSTLEN + 1];
	const char *colon;

	if (peer[0] == '[') {
		const char *end = strchr(peer, ']');
		size_t n = end ? (size_t)(end - peer - 1) : strlen(peer + 1);
		snprintf(tmp, sizeof tmp, "%.*s", (int)n, peer + 1);
	} else if ((colon = strrchr(peer, ':'))) {
		snprintf(tmp, sizeof tmp, "%.*s", (int)(colon - peer), peer);
	} else {
		snprintf(tmp, sizeof tmp, "%s", peer[0] ? peer : "localhost");
	}
	if (strcmp(tmp, "unix") == 0)
		snprintf(tmp, sizeof tmp, "localhost");
	if (tmp[0] == ':' && cap > 1) {
		out[0] = '0';
		snprintf(out + 1, cap - 1, "%.*s", (int)(cap - 2), tmp);
	} else {
		snprintf(out, cap, "%s", tmp);
	}
}

static void chat_open(struct svc_conn *c)
{
	struct chat_server *s = c->instance;
	struct client *cl = calloc(1, sizeof *cl);

	if (!cl) {
		svc_drop(c, "out of memory");
		return;
	}
	*(struct client **)c->state = cl;
	cl->conn = c;
	cl->srv = s;
	host_of(c->peer ? c->peer : "", cl->host, sizeof cl->host);
	cl->opened_ms = cl->last_in_ms = chat_now_ms();
	cl->signon = time(NULL);
	s->nclients++;
	chat_enter(s);
	/* Servers greet before registration with NOTICEs; IRC clients show
	 * them, and an nc user learns how to start. */
	chat_to(cl, ":%s NOTICE * :*** Welcome to sockit chat. IRC clients: "
	        "register as usual. Others: type a line to start.", s->name);
	arm_timer(cl);
	chat_leave(s);
}

static void chat_eof(struct svc_conn *c)
{
	struct client *cl = *(struct client **)c->state;

	chat_enter(cl->srv);
	chat_drop(cl, "Client closed connection", false);
	chat_leave(cl->srv);
}

static void chat_close(struct svc_conn *c)
{
	struct client *cl = *(struct client **)c->state;

	if (!cl)
		return;
	struct chat_server *s = cl->srv;
	chat_enter(s);
	chat_gone(cl);
	chat_leave(s);
}

/* The MOTD: lines of FILE, at most 100, each cut at 400 bytes. */
static int load_motd(struct chat_server *s, const char *file, char *err,
                     size_t errlen)
{
	FILE *f = fopen(file, "r");
	char line[512];

	if (!f) {
		snprintf(err, errlen, "motd '%s': %s", file, strerror(errno));
		return -1;
	}
	s->motd = calloc(100, sizeof *s->motd);
	while (s->motd && s->nmotd < 100 && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		line[400] = '\0';
		if (!(s->motd[s->nmotd] = strdup(line)))
			break;
		s->nmotd++;
	}
	fclose(f);
	return 0;
}

static void chat_fini(void *instance)
{
	struct chat_server *s = instance;

	if (!s)
		return;
	chat_flush_all(s);        /* frees clients closed since the last wakeup */
	chat_cluster_free(s);
	chat_state_free(s);
	for (size_t i = 0; i < s->nmotd; i++)
		free(s->motd[i]);
	free(s->motd);
	for (size_t i = 0; i < s->nopers; i++) {
		free(s->opers[i].name);
		free(s->opers[i].hash);
	}
	free(s->opers);
	free(s->password);
	free(s);
}

static int chat_init(const struct svc_options *opt, void **instance, char *err,
                     size_t errlen)
{
	struct chat_server *s = calloc(1, sizeof *s);

	if (errlen)
		err[0] = '\0';
	if (!s || htable_init(&s->nicks) < 0 || htable_init(&s->chans) < 0) {
		snprintf(err, errlen, "out of memory");
		chat_fini(s);
		return -1;
	}
	snprintf(s->name, sizeof s->name, "%s",
	         opt && opt->server_name ? opt->server_name : "sockit");
	s->sendq = opt && opt->sendq ? opt->sendq : CHAT_SENDQ_DEFAULT;
	s->flood_limit = !(opt && opt->no_flood_limit);
	s->ping_ms = opt && opt->ping_ms ? opt->ping_ms : CHAT_PING_DEFAULT_MS;
	s->created = time(NULL);
	s->bus = &chat_local_bus;
	if ((opt && opt->password && !(s->password = strdup(opt->password))) ||
	    (opt && opt->motd_file && load_motd(s, opt->motd_file, err, errlen) < 0) ||
	    (opt && opt->oper_file && chat_load_opers(s, opt->oper_file, err, errlen) < 0)) {
		if (!err[0])
			snprintf(err, errlen, "out of memory");
		chat_fini(s);
		return -1;
	}
	*instance = s;
	return 0;
}

static int chat_bus_attach(void *instance, struct svc_bus *bus)
{
	return chat_cluster_attach(instance, bus);
}

static const char *const chat_defaults[] = { "tcp://127.0.0.1:6667", NULL };

const struct service svc_chat = {
	.name = "chat",
	.state_size = sizeof(struct client *),
	.defaults = chat_defaults,
	.init = chat_init,
	.fini = chat_fini,
	.open = chat_open,
	.bytes = chat_bytes,
	.eof = chat_eof,
	.timer = chat_timer,
	.close = chat_close,
	.single_thread = true,
	.bus_attach = chat_bus_attach,
	.wakeup_end = chat_wakeup_end,
};
