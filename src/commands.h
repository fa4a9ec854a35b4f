/* commands.h — every sockit subcommand's entry point, and the CLI helpers
 * they share.  Each subcommand lives in a cmd_NAME.c (src/, src/serve/, src/client/). */
#ifndef SOCKIT_COMMANDS_H
#define SOCKIT_COMMANDS_H

#include <stdio.h>

#include "cli/cli.h"

/* A subcommand: argv[0] is its name; returns the exit status. */
typedef int cmd_fn(int argc, char **argv);

int cmd_serve(int argc, char **argv);
int cmd_echo(int argc, char **argv);
int cmd_greet(int argc, char **argv);
int cmd_caesar(int argc, char **argv);
int cmd_daytime(int argc, char **argv);
int cmd_time(int argc, char **argv);
int cmd_qotd(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_sockets(int argc, char **argv);
int cmd_resolve(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_relay(int argc, char **argv);

/* Print "sockit: " + message + "\n" on stderr; returns status, so
 * `return die(EXIT_USAGE, ...)` reads as what it does. */
int die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report a getopt failure ('?' unknown option, ':' missing value) as one
 * line naming the option; returns EXIT_USAGE.  Use with opterr = 0 and an
 * optstring starting with ':'. */
int bad_option(const char *cmd, int c, char **argv);

/* Whether argv[i] asks for help (-h, --help). */
int is_help(const char *arg);

#endif
