/* watch.c — the --watch loop: gather, diff against the last frame, redraw. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "sockets/watch.h"

#define CLEAR "\033[H\033[2J"
#define GREEN "\033[1;32m"
#define RED   "\033[1;31m"
#define PLAIN "\033[0m"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static unsigned long long fnv(unsigned long long h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

unsigned long long watch_key(const struct sock_entry *e)
{
	unsigned long long h = 14695981039346656037ull;

	h = fnv(h, &e->netid, 1);
	h = fnv(h, &e->family, 1);
	h = fnv(h, e->laddr, sizeof e->laddr);
	h = fnv(h, e->raddr, sizeof e->raddr);
	h = fnv(h, &e->lport, sizeof e->lport);
	h = fnv(h, &e->rport, sizeof e->rport);
	h = fnv(h, &e->inode, sizeof e->inode);
	return e->path ? fnv(h, e->path, strlen(e->path)) : h;
}

static int cmp_key(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a,
	                   y = *(const unsigned long long *)b;

	return (x > y) - (x < y);
}

/* The sorted keys of a frame, for membership tests by bsearch. */
static unsigned long long *frame_keys(const struct sock_list *l)
{
	unsigned long long *k = malloc((l->n ? l->n : 1) * sizeof *k);

	if (!k)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		k[i] = watch_key(&l->v[i]);
	qsort(k, l->n, sizeof *k, cmp_key);
	return k;
}

static bool has_key(const unsigned long long *keys, size_t n, unsigned long long key)
{
	return n && bsearch(&key, keys, n, sizeof key, cmp_key);
}

struct frame {
	struct sock_list list;
	unsigned long long *keys;
};

static void frame_free(struct frame *f)
{
	sock_list_free(&f->list);
	free(f->keys);
	f->keys = NULL;
}

static void print_marked(FILE *out, const struct watch_opts *w, const struct out_opts *o,
                         const struct sock_entry *e, char mark, int lw, int pw)
{
	const char *on = !w->tty || mark == ' ' ? "" : mark == '+' ? GREEN : RED;

	fprintf(out, "%s%c ", on, mark);
	output_text_line(out, e, o, lw, pw);
	if (*on) {
		/* The colour ends after the newline output_text_line wrote; reset it. */
		fputs(PLAIN, out);
	}
}

static void draw(FILE *out, const struct watch_opts *w, const struct out_opts *o,
                 const struct frame *cur, const struct frame *prev, long n)
{
	time_t now = time(NULL);
	char stamp[32];
	int lw, pw;

	strftime(stamp, sizeof stamp, "%H:%M:%S", localtime(&now));
	output_widths(&cur->list, &lw, &pw);
	fprintf(out, "%sEvery %.1fs: %s  frame %ld  %s  (+ appeared, - vanished)\n",
	        w->tty ? CLEAR : "", w->interval, w->title, n, stamp);
	fputs("  ", out);
	output_text_header(out, o, lw, pw);
	for (size_t i = 0; i < cur->list.n; i++) {
		bool fresh = prev->keys && !has_key(prev->keys, prev->list.n,
		                                    watch_key(&cur->list.v[i]));

		print_marked(out, w, o, &cur->list.v[i], fresh ? '+' : ' ', lw, pw);
	}
	for (size_t i = 0; prev->keys && i < prev->list.n; i++)
		if (!has_key(cur->keys, cur->list.n, watch_key(&prev->list.v[i])))
			print_marked(out, w, o, &prev->list.v[i], '-', lw, pw);
	if (!w->tty)
		fputc('\n', out);
	fflush(out);
}

/* Sleep the interval, cut short by SIGINT/SIGTERM. */
static void pause_for(double seconds)
{
	struct timespec ts = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};

	while (!stop_requested && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int watch_run(FILE *out, const struct watch_opts *w, const struct out_opts *o,
              watch_gather_fn *gather, void *ctx)
{
	struct frame prev = {{NULL, 0, 0}, NULL}, cur;
	char err[256];
	int status = EXIT_OK;

	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	for (long n = 1; !stop_requested && (w->frames == 0 || n <= w->frames); n++) {
		memset(&cur, 0, sizeof cur);
		if (gather(ctx, &cur.list, err, sizeof err) == 0 &&
		    !(cur.keys = frame_keys(&cur.list)))
			snprintf(err, sizeof err, "sockets: %s", strerror(ENOMEM));
		if (!cur.keys) {
			frame_free(&cur);
			status = cli_fail(EXIT_NETWORK, "%s", err);
			break;
		}
		draw(out, w, o, &cur, &prev, n);
		frame_free(&prev);
		prev = cur;
		if (w->frames == 0 || n < w->frames)
			pause_for(w->interval);
	}
	frame_free(&prev);
	return status;
}
