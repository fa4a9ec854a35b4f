/* ports.h — the scanner's port lists ("22,80,http,8000-8100", "-") and the
 * /etc/services table that names them. */
#ifndef SCAN_PORTS_H
#define SCAN_PORTS_H

#include <stddef.h>
#include <stdint.h>

/* Largest /etc/services file read, and most names kept from it. */
#define SVC_FILE_MAX (1u << 20)
#define SVC_NAMES_MAX 16384

struct svc_entry {
	const char *name;
	uint16_t port;
};

/* TCP service names from an /etc/services-format file.  primary[port] is
 * the first name given for port; entries also holds the aliases, so that
 * "www" finds 80 as "http" does. */
struct svc_table {
	char *text;                    /* the file, tokenised in place */
	const char **primary;          /* 65536 entries, NULL when unnamed */
	struct svc_entry *entries;
	size_t count;
};

/* A sorted, duplicate-free list of ports 1-65535. */
struct port_list {
	uint16_t *ports;
	size_t count;
};

/* Load the TCP names of path (usually /etc/services).  A missing or
 * unreadable file gives an empty table and returns -1 (callers may go on
 * without names); 0 on success. */
int svc_load(struct svc_table *t, const char *path);
void svc_free(struct svc_table *t);

/* The name of a TCP port, or NULL. */
const char *svc_name(const struct svc_table *t, unsigned port);

/* The port of a TCP service name or alias, or -1. */
int svc_port(const struct svc_table *t, const char *name);

/* Parse a port list: comma-separated numbers, ranges A-B, open ranges -B
 * (1-B) and A- (A-65535), service names, or "-" for all of 1-65535.
 * Returns 0 and a list to free with ports_free, or -1 with err
 * ("ports '1-70000': port '70000' out of range 1-65535"). */
int ports_parse(struct port_list *pl, const char *spec,
                const struct svc_table *svc, char *err, size_t errlen);

/* The default list: 1-1024 plus every TCP port named in svc.  0 or -1
 * (out of memory). */
int ports_default(struct port_list *pl, const struct svc_table *svc);

void ports_free(struct port_list *pl);

#endif
