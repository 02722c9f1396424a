// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Table and protocol names (rtnames.h). The kernel's own names are fixed
 * (linux/rtnetlink.h) and are what xgw writes into the state file; names
 * an operator added in /etc/iproute2 are read when asked for, as ip(8)
 * does, and shown, but the state file keeps their numbers (a renamed
 * entry must not change what a saved line means).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "rtnames.h"

#define IPROUTE2_DIR	"/etc/iproute2"

struct rtname {
	unsigned long id;
	const char *name;
};

static const struct rtname tables[] = {
	{ 253, "default" }, { 254, "main" }, { 255, "local" }, {},
};

static const struct rtname protos[] = {
	{ 0, "unspec" }, { 1, "redirect" }, { 2, "kernel" }, { 3, "boot" },
	{ 4, "static" }, { 8, "gated" }, { 9, "ra" }, { 10, "mrt" },
	{ 11, "zebra" }, { 12, "bird" }, { 13, "dnrouted" }, { 14, "xorp" },
	{ 15, "ntk" }, { 16, "dhcp" }, { 18, "keepalived" }, { 42, "babel" },
	{ 99, "openr" }, { 186, "bgp" }, { 187, "isis" }, { 188, "ospf" },
	{ 189, "rip" }, { 192, "eigrp" }, {},
};

static const struct {
	const char *file;
	const struct rtname *builtin;
	unsigned long min, max;
} kinds[] = {
	[XGW_RTNAME_TABLE] = { "rt_tables", tables, 1, 0xffffffffUL },
	[XGW_RTNAME_PROTO] = { "rt_protos", protos, 0, 255 },
};

/*
 * Look name up (id NULL: look *want up by number, writing its name to
 * out) in one file of "NUMBER NAME" lines. 0 when found.
 */
static int file_lookup(const char *path, const char *name, unsigned long *id,
		       unsigned long want, char *out, size_t outlen)
{
	FILE *f = fopen(path, "r");
	char line[256], word[128];
	unsigned long n;
	int ret = -ENOENT;

	if (!f)
		return -ENOENT;
	while (ret && fgets(line, sizeof(line), f)) {
		char *p = line;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || sscanf(p, "%lu %127s", &n, word) != 2 || word[0] == '#')
			continue;
		if (name && !strcmp(word, name)) {
			*id = n;
			ret = 0;
		} else if (!name && n == want) {
			snprintf(out, outlen, "%s", word);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* The file, then its .d/ *.conf in name order, as ip(8) reads them. */
static int files_lookup(enum xgw_rtname kind, const char *name, unsigned long *id,
			unsigned long want, char *out, size_t outlen)
{
	char path[512];
	struct dirent **ents;
	int n, i, ret;

	snprintf(path, sizeof(path), IPROUTE2_DIR "/%s", kinds[kind].file);
	ret = file_lookup(path, name, id, want, out, outlen);
	snprintf(path, sizeof(path), IPROUTE2_DIR "/%s.d", kinds[kind].file);
	n = scandir(path, &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		size_t l = strlen(ents[i]->d_name);

		if (ret && l > 5 && !strcmp(ents[i]->d_name + l - 5, ".conf")) {
			snprintf(path, sizeof(path), IPROUTE2_DIR "/%s.d/%s",
				 kinds[kind].file, ents[i]->d_name);
			ret = file_lookup(path, name, id, want, out, outlen);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	return ret;
}

int xgw_rtname_parse(enum xgw_rtname kind, const char *s, unsigned long *id)
{
	const struct rtname *b;

	if (!s || !*s)
		return -EINVAL;
	if (isdigit((unsigned char)*s))
		return xgw_uint_parse(s, kinds[kind].min, kinds[kind].max, id) ? -EINVAL : 0;
	for (b = kinds[kind].builtin; b->name; b++) {
		if (!strcmp(b->name, s)) {
			*id = b->id;
			return 0;
		}
	}
	if (files_lookup(kind, s, id, 0, NULL, 0) || *id < kinds[kind].min ||
	    *id > kinds[kind].max)
		return -EINVAL;
	return 0;
}

const char *xgw_rtname_str(enum xgw_rtname kind, unsigned long id, bool files,
			   char *buf, size_t len)
{
	const struct rtname *b;

	for (b = kinds[kind].builtin; b->name; b++) {
		if (b->id == id) {
			snprintf(buf, len, "%s", b->name);
			return buf;
		}
	}
	if (!files || files_lookup(kind, NULL, NULL, id, buf, len))
		snprintf(buf, len, "%lu", id);
	return buf;
}
