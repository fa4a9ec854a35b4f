/* ping.c — `sockit ping`: parse the options, run the session. */
#include "commands.h"
#include "ping/ping.h"
#include "ping/session.h"

int cmd_ping(int argc, char **argv)
{
	struct ping_opts o;
	int rc = ping_parse_options(argc, argv, &o);

	if (rc >= 0)
		return rc;
	return ping_session_run(&o);
}
