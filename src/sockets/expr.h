/* expr.h — ss(8) filter expressions: tokens, the parsed tree, evaluation in
 * user space and compilation to the kernel's inet_diag bytecode. */
#ifndef SOCKIT_SOCKETS_EXPR_H
#define SOCKIT_SOCKETS_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sockets/sockets.h"

/* Hard bounds: every expression fits these or is refused with an error. */
#define EXPR_MAX_TEXT   4096 /* bytes of expression text (arguments joined) */
#define EXPR_MAX_TOKENS 512
#define EXPR_MAX_NODES  512
#define EXPR_MAX_DEPTH  64   /* nesting of ( and ! */
#define EXPR_BC_MAX     16384 /* bytecode bytes we are willing to send */

/* One token: its text (unescaped, NUL-terminated) and the column (from 1)
 * where it starts in the joined text, for error messages. */
struct expr_tok {
	const char *s;
	unsigned col;
};

/* The tokens of one expression.  text is the expression as the user wrote
 * it (arguments joined by spaces); pool holds the unescaped token texts. */
struct expr_lex {
	char text[EXPR_MAX_TEXT + 1];
	char pool[EXPR_MAX_TEXT + EXPR_MAX_TOKENS];
	struct expr_tok tok[EXPR_MAX_TOKENS];
	size_t n;
};

/* Split the arguments (each may hold several words, as in
 * '( dport = :ssh or sport = :ssh )') into tokens the way ss does: words
 * separated by blanks, a backslash escapes the next character.  Returns 0,
 * or -1 with a message in err. */
int expr_lex_args(struct expr_lex *lx, int argc, char *const *argv, char *err,
                  size_t errlen);
/* The same for the contents of an -F file: lines starting with '#' are
 * comments; every other line continues the expression. */
int expr_lex_file(struct expr_lex *lx, FILE *f, char *err, size_t errlen);

enum expr_op {
	EX_AND,
	EX_OR,
	EX_NOT,
	EX_SRC,  /* host: local address/prefix and/or port */
	EX_DST,  /* host: remote */
	EX_S_GE, /* num: local port >= */
	EX_S_LE,
	EX_D_GE,
	EX_D_LE,
	EX_AUTO,   /* autobound: local port chosen by the kernel */
	EX_DEV,    /* num: bound device ifindex */
	EX_MARK,   /* mark/mask */
	EX_CGROUP, /* id: cgroup v2 id */
	EX_UID_EQ, /* num (not in ss: user space only) */
	EX_UID_GE,
	EX_UID_LE,
};

/* An address condition.  family AF_UNSPEC with prefix 0 matches any
 * address; port -1 any port.  A UNIX condition (family AF_UNIX) matches the
 * socket's name against glob (fnmatch), "" meaning any. */
struct expr_host {
	uint8_t family;
	uint8_t prefix; /* bits of addr that must match */
	int port;
	uint8_t addr[16];
	char glob[112];
};

struct expr_node {
	uint8_t op;    /* enum expr_op */
	int16_t a, b;  /* children (AND/OR: a, b; NOT: a), -1 if none */
	unsigned col;  /* where it was written, for messages */
	union {
		struct expr_host host;
		uint32_t num;
		struct {
			uint32_t mark, mask;
		} mark;
		uint64_t id;
	} u;
};

/* A parsed expression.  root is -1 when there is no expression.  states is
 * what leading `state X` / `exclude X` words asked for (states_given says
 * whether there were any).  has_auto: some condition is `autobound`; then
 * lo_port..hi_port is the ephemeral range it tests in user space, as ss
 * does (net.ipv4.ip_local_port_range, read only then; a replayed dump
 * sets the recording host's). */
struct expr {
	struct expr_node node[EXPR_MAX_NODES];
	size_t n;
	int root;
	uint32_t states;
	bool states_given;
	bool has_auto;
	uint16_t lo_port, hi_port;
};

/* Parse the tokens: leading `state NAME` / `exclude NAME` (ss's names and
 * groups), then the filter in ss's grammar.  Returns 0, or -1 with a
 * message naming the bad token and its column in err. */
int expr_parse(struct expr *x, const struct expr_lex *lx, char *err, size_t errlen);

/* The ephemeral port range, which `autobound` means in user space
 * (net.ipv4.ip_local_port_range); when it cannot be read, ss's fallback
 * (is_ephemeral(): 1024-4999). */
void expr_port_range(uint16_t *lo, uint16_t *hi);

/* Whether e passes x (true when x has no expression), as a live ss
 * listing decides: ss runs the whole expression in user space on what the
 * kernel's bytecode let through, and the two mean different things by
 * `autobound` (the kernel: bind() did not lock the port; ss's user space:
 * an unnamed or autobind UNIX socket, an unbound packet socket, a netlink
 * socket with a kernel-chosen (negative) port id, an inet port in the
 * ephemeral range).  So when e carries the kernel's answer (auto_known),
 * e must pass both readings of x. */
bool expr_match(const struct expr *x, const struct sock_entry *e);

/* Whether e's local (or remote) address passes one src/dst condition. */
bool expr_host_match(const struct expr_host *h, const struct sock_entry *e, bool local);

/* Keep only the entries of l that pass x. */
void expr_apply(const struct expr *x, struct sock_list *l);

/* Whether x uses a condition that needs owners/uids etc.: here, whether
 * any node has op. */
bool expr_uses(const struct expr *x, enum expr_op op);

/* Compile what the kernel can filter of x into inet_diag bytecode, as ss
 * does.  Conditions it cannot run (uid, UNIX names) are left to user space:
 * beside AND they are dropped (the kernel then sends a superset), anywhere
 * else nothing is compiled.  Returns the length written to bc (at most
 * cap), 0 when nothing can or need be compiled. */
size_t expr_bytecode(const struct expr *x, void *bc, size_t cap);

/* The local (or remote) port every socket x selects has, because a
 * src/dst/sport/dport condition with that port is one of the terms its
 * top-level `and`s join; 0 when there is none.  The kernel's TCP dump
 * compares the request's own id.idiag_sport/idiag_dport with each socket
 * before it runs any bytecode, which is much cheaper (expr.h users: the
 * request). */
uint16_t expr_required_port(const struct expr *x, bool local);

/* Whether x is nothing but those ports: `sport = :A`, `dport = :B`, or
 * both joined by `and`.  Then the two ports in a TCP request say all the
 * bytecode would, and the kernel need not run any. */
bool expr_ports_only(const struct expr *x);

/* Whether expr_bytecode's program selects exactly what x does (nothing
 * left out as user space only, no `autobound`, which ss reads twice): then
 * an inet socket the kernel sent for it needs no second look. */
bool expr_bytecode_exact(const struct expr *x);

/* A model of the kernel's inet_diag_bc_audit: whether the kernel would
 * accept bc.  For the tests and the fuzz target. */
bool expr_bytecode_valid(const void *bc, size_t len);

/* A model of the kernel's inet_diag_bc_run on e: whether it would send e
 * (autobound: e's recorded kernel answer, else x's port range). */
bool expr_bytecode_run(const struct expr *x, const void *bc, size_t len,
                       const struct sock_entry *e);

#endif
