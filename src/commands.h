/* commands.h — every sockit subcommand's entry point; the CLI helpers
 * they share are the kit's (cli/cli.h).  Each subcommand lives in a cmd_NAME.c (src/, src/serve/, src/client/). */
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
int cmd_ping(int argc, char **argv);

#endif
