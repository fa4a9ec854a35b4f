/* cmd_netcat.c — the entry points of `sockit connect`, `listen` and `relay`. */
#include "commands.h"
#include "netcat/netcat.h"

static int run(const char *name, int argc, char **argv)
{
	static struct nc_opts o;        /* large (ACL tables): not on the stack */
	int r = nc_parse(&o, name, argc, argv);

	if (r < 0)
		return EXIT_USAGE;
	if (r > 0)
		return EXIT_OK;
	if (o.mode == NC_RELAY)
		return nc_relay_run(&o);
	return o.mode == NC_LISTEN ? nc_listen_run(&o) : nc_connect_run(&o);
}

int cmd_connect(int argc, char **argv)
{
	return run("connect", argc, argv);
}

int cmd_listen(int argc, char **argv)
{
	return run("listen", argc, argv);
}

int cmd_relay(int argc, char **argv)
{
	return run("relay", argc, argv);
}
