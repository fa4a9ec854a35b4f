/* fuzz_sockets_expr.c — libFuzzer target for the ss filter expression
 * path: text -> tokens -> tree -> bytecode.  Whatever the text, nothing
 * reads or writes out of bounds, the bytecode stays inside its buffer and
 * always passes the model of the kernel's audit, and evaluation of the
 * tree on a few sockets agrees with the bytecode's (the kernel may pass
 * a superset, never drop a socket user space keeps).
 *
 * fuzz-sources: src/sockets/expr_lex.c src/sockets/expr_parse.c
 * src/sockets/expr_eval.c src/sockets/expr_bytecode.c src/sockets/filter.c
 * src/sockets/sockets.c */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockets/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A v4, a v6 and a UNIX socket to evaluate on. */
static void probes(struct sock_entry e[3])
{
	static const uint8_t lo4[4] = {127, 0, 0, 1};

	memset(e, 0, 3 * sizeof *e);
	e[0].family = AF_INET;
	e[0].lport = 22;
	e[0].rport = 40000;
	memcpy(e[0].laddr, lo4, 4);
	memcpy(e[0].raddr, lo4, 4);
	e[0].state = ST_ESTABLISHED;
	e[1].family = AF_INET6;
	e[1].laddr[15] = 1;
	e[1].lport = 443;
	e[1].state = ST_LISTEN;
	e[2].family = AF_UNIX;
	e[2].netid = NETID_U_STR;
	e[2].path = (char *)"/run/x.sock";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct expr_lex lx;
	static struct expr x;
	static uint8_t bc[EXPR_BC_MAX + 64];
	struct sock_entry e[3];
	char text[EXPR_MAX_TEXT + 16], err[256];
	char *argv[1] = {text};
	size_t len;

	if (size > sizeof text - 1)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (expr_lex_args(&lx, 1, argv, err, sizeof err) < 0)
		return 0;
	if (expr_parse(&x, &lx, err, sizeof err) < 0)
		return 0;
	/* Guard bytes after the cap the compiler is given must stay intact. */
	memset(bc, 0xa5, sizeof bc);
	len = expr_bytecode(&x, bc, EXPR_BC_MAX);
	for (size_t i = EXPR_BC_MAX; i < sizeof bc; i++)
		if (bc[i] != 0xa5)
			abort();
	if (len > EXPR_BC_MAX || (len && !expr_bytecode_valid(bc, len)))
		abort();
	probes(e);
	bool exact = expr_bytecode_exact(&x);
	uint16_t sport = expr_required_port(&x, true), dport = expr_required_port(&x, false);

	for (int i = 0; i < 3; i++) {
		bool user = expr_match(&x, &e[i]);
		bool inet = e[i].family != AF_UNIX;

		/* The kernel may send more than user space keeps, never less;
		 * exactly as much when the bytecode is exact (no second look). */
		if (len && inet && user && !expr_bytecode_run(&x, bc, len, &e[i]))
			abort();
		if (exact && inet && expr_bytecode_run(&x, bc, len, &e[i]) != user)
			abort();
		/* The ports a TCP request carries must not lose a socket. */
		if (inet && user && ((sport && e[i].lport != sport) ||
		                     (dport && e[i].rport != dport)))
			abort();
	}
	if (expr_ports_only(&x) && !exact)
		abort();
	return 0;
}
