/* fuzz_options.c — libFuzzer target for the command lines of `sockit
 * connect`, `listen`, `relay` (nc_parse, src/netcat/options.c) and `sockit
 * ping` (ping_parse_options, src/ping/options.c).  The first byte picks
 * the command (connect, listen, relay, ping); the rest is split into an
 * argv at NULs and white space (at most MAX_ARGS words).  Each word is
 * its own exact-size allocation and argv holds exactly argc + 1 pointers,
 * as main's does, so a read or write past either is an ASan error.
 * Whatever the words, a parse returns (both report errors as a status,
 * never exit), leaks nothing, keeps argv[argc] NULL, and what it accepts
 * is within its limits: ping's hosts are argv's own words (or a tail of
 * one), netcat's tables within their sizes.
 *
 * fuzz-sources: src/netcat/options.c src/netcat/acl.c src/ping/options.c
 * src/cli/options.c src/cli/error.c lib/endpoint.c lib/parse.c lib/error.c */
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcat/netcat.h"
#include "ping/icmp.h"
#include "ping/ping.h"

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const cmds[] = {"connect", "listen", "relay", "ping"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* The parsers print their usage errors and --help; libFuzzer keeps
	 * the FILE it took at start-up (and ASan writes to fd 2), so only
	 * the parsers' output goes to /dev/null — one buffered write, not a
	 * line per input. */
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		stdout = null;
		stderr = null;
	}
	/* Keep /etc/services open: a port name is looked up per input. */
	setservent(1);
	return 0;
}

static bool is_sep(uint8_t c)
{
	return c == 0 || c == ' ' || c == '\t' || c == '\n';
}

/* Split data into words (argv[1..]); argv[0] is the command.  Returns argc. */
static int split(const uint8_t *data, size_t size, const char *cmd, char **argv)
{
	int argc = 0;
	size_t i = 0;

	argv[argc++] = strdup(cmd);
	while (i < size && argc < MAX_ARGS) {
		while (i < size && is_sep(data[i]))
			i++;
		size_t start = i;
		while (i < size && !is_sep(data[i]))
			i++;
		if (i == start)
			break;
		char *w = malloc(i - start + 1);
		memcpy(w, data + start, i - start);
		w[i - start] = '\0';
		argv[argc++] = w;
	}
	argv[argc] = NULL;
	return argc;
}

/* Whether p points into one of the words. */
static bool in_words(const char *p, char *const *words, int n)
{
	for (int i = 0; i < n; i++)
		if (p >= words[i] && p <= words[i] + strlen(words[i]))
			return true;
	return false;
}

static void check_ping(int rc, const struct ping_opts *o, int argc, char *const *words)
{
	if (rc != -1)
		return;
	if (o->nhosts < 1 || o->nhosts > argc - 1)
		abort();
	for (int i = 0; i < o->nhosts; i++)
		if (!in_words(o->hosts[i], words, argc))
			abort();
	if (o->size < 0 || o->size > ICMP_MAX_DATA || o->ttl == 0 || o->ttl > 255)
		abort();
}

static void check_nc(int rc, const struct nc_opts *o)
{
	if (rc != 0)
		return;
	if (o->nports < 0 || o->nports > NC_MAX_PORTS || o->nallow > NC_MAX_CIDRS ||
	    o->ndeny > NC_MAX_CIDRS || memchr(o->ep_text, 0, sizeof o->ep_text) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	const char *cmd = cmds[data[0] % 4];
	/* Exactly argc + 1 pointers; words keeps the originals, as getopt
	 * permutes argv and ping writes its hosts back into it. */
	char *tmp[MAX_ARGS + 1], *words[MAX_ARGS + 1];
	int argc = split(data + 1, size - 1, cmd, tmp);
	char **argv = malloc(((size_t)argc + 1) * sizeof *argv);

	memcpy(argv, tmp, ((size_t)argc + 1) * sizeof *argv);
	memcpy(words, tmp, ((size_t)argc + 1) * sizeof *argv);
	if (data[0] % 4 == 3) {
		struct ping_opts o;
		int rc = ping_parse_options(argc, argv, &o);
		check_ping(rc, &o, argc, words);
	} else {
		/* ~130 KB: static, not a stack frame per input. */
		static struct nc_opts o;
		int rc = nc_parse(&o, cmd, argc, argv);
		check_nc(rc, &o);
	}
	if (argv[argc] != NULL)
		abort();
	for (int i = 0; i < argc; i++)
		free(words[i]);
	free(argv);
	return 0;
}
