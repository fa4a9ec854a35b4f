/* positional.c — the client subcommands' positional rule (DESIGN.md):
 * which argument is the endpoint and which the message. */
#include <string.h>

#include "cli/cli.h"

bool cli_has_scheme(const char *text)
{
	static const char *const schemes[] = {"tcp://", "udp://", "unix:", "unixgram:"};

	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
		if (strncmp(text, schemes[i], strlen(schemes[i])) == 0)
			return true;
	return false;
}

int cli_endpoint_message(const char *sub, int argc, char **argv, const char **endpoint,
                         const char **message)
{
	if (argc > 2)
		return cli_usage(sub, "too many arguments");
	if (argc == 2) {
		*endpoint = argv[0];
		*message = argv[1];
	} else if (argc == 1 && cli_has_scheme(argv[0])) {
		*endpoint = argv[0];
	} else if (argc == 1) {
		*message = argv[0];
	}
	return CLI_RUN;
}
