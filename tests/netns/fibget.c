// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fibget: what the pinned FIBs (both families) answer, and digests of
 * them, for the netns tests, the bench and operators; and, without xgwd, a
 * whole route set written into them.
 *
 *   fibget PIN_DIR ADDR...     one line per address (IPv4 or IPv6):
 *                              ADDR nexthop NH|local|blackhole|none [vip] [own]
 *   fibget PIN_DIR --sum       64-bit FNV-1a of the lookup arrays' bytes
 *                              (both families; not the route records)
 *   fibget PIN_DIR --answers   a digest of what the arrays mean (every
 *                              chunk's ranges and leaves, every hash key),
 *                              wherever chunks and leaves happen to sit
 *   fibget PIN_DIR --write FILE
 *                              make the FIBs hold exactly the routes of
 *                              FILE, one per line: PREFIX ROUTE, ROUTE :=
 *                              { nexthop NH | local | blackhole | mark }
 *                              [ vip ] [ own ] (as xgwd would: the
 *                              datapath sees the old table or the new one)
 *
 * Reads map the FIBs read-only, except --write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include "addr.h"
#include "fib.h"

#define FNV_OFFSET	0xcbf29ce484222325ull
#define FNV_PRIME	0x100000001b3ull

static void usage(FILE *f)
{
	fprintf(f, "Usage: fibget PIN_DIR ADDR...\n"
		   "       fibget PIN_DIR { --sum | --answers | --write FILE }\n");
}

static __u64 fnv(__u64 h, const void *buf, size_t len)
{
	const unsigned char *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

/* The arrays the lookups read, byte for byte (records aside). */
static __u64 bytes_sum(const struct xgw_fib_mem *m)
{
	__u64 h = FNV_OFFSET;

	h = fnv(h, m->dir, XGW_FIB_DIR * sizeof(*m->dir));
	h = fnv(h, m->leaves, XGW_FIB_LEAVES * sizeof(*m->leaves));
	h = fnv(h, m->heap, (size_t)m->heap_units * 2);
	if (m->family != AF_INET6)
		return h;
	h = fnv(h, m->h32, (size_t)m->nh32 * sizeof(*m->h32));
	h = fnv(h, m->h48, (size_t)m->nh48 * sizeof(*m->h48));
	return fnv(h, m->hd, (size_t)m->nhd * sizeof(*m->hd));
}

static void print_answer(const struct xgw_fib_mem *m, const char *s, const __be32 *addr)
{
	__u32 e = xgw_fib_read(m, addr);
	struct xgw_route rt;

	xgw_fib_unpack(e, &rt);
	printf("%s ", s);
	switch (e ? rt.action : XGW_RT_NONE) {
	case XGW_RT_NEXTHOP:
		printf("nexthop %u", rt.nh_id);
		break;
	case XGW_RT_LOCAL:
		printf("local");
		break;
	case XGW_RT_BLACKHOLE:
		printf("blackhole");
		break;
	default:
		printf("none");
	}
	if (e && (rt.flags & XGW_RT_F_VIP))
		printf(" vip");
	if (e && (rt.flags & XGW_RT_F_OWN))
		printf(" own");
	printf("\n");
}

/* "PREFIX ROUTE [vip] [own]" -> prefix and route; -EINVAL naming the word. */
static int route_line(char *line, int lineno, struct xgw_prefix *p, struct xgw_route *rt)
{
	char *w[8], *save = NULL, *end;
	int n = 0, i;

	for (char *t = strtok_r(line, " \t\n", &save); t && n < 8; t = strtok_r(NULL, " \t\n", &save))
		w[n++] = t;
	memset(rt, 0, sizeof(*rt));
	if (!n || w[0][0] == '#')
		return 1;
	if (n < 2 || xgw_prefix_parse(w[0], p)) {
		fprintf(stderr, "fibget: line %d: bad prefix \"%s\"\n", lineno, n ? w[0] : "");
		return -EINVAL;
	}
	i = 2;
	if (!strcmp(w[1], "nexthop") && n > 2) {
		rt->action = XGW_RT_NEXTHOP;
		rt->nh_id = strtoul(w[2], &end, 10);
		if (*end || !rt->nh_id) {
			fprintf(stderr, "fibget: line %d: bad next hop \"%s\"\n", lineno, w[2]);
			return -EINVAL;
		}
		i = 3;
	} else if (!strcmp(w[1], "local")) {
		rt->action = XGW_RT_LOCAL;
	} else if (!strcmp(w[1], "blackhole")) {
		rt->action = XGW_RT_BLACKHOLE;
	} else if (strcmp(w[1], "mark")) {
		fprintf(stderr, "fibget: line %d: bad route \"%s\"\n", lineno, w[1]);
		return -EINVAL;
	}
	for (; i < n; i++) {
		if (!strcmp(w[i], "vip"))
			rt->flags |= XGW_RT_F_VIP;
		else if (!strcmp(w[i], "own"))
			rt->flags |= XGW_RT_F_OWN;
		else {
			fprintf(stderr, "fibget: line %d: bad word \"%s\"\n", lineno, w[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* Adopt both FIBs, replay FILE, commit: the FIBs hold exactly FILE's routes. */
static int write_file(struct xgw_fib_mem *m, const char *path)
{
	struct xgw_fib *f[2] = {};
	char line[512];
	int lineno = 0, err = 0, i;
	FILE *in = fopen(path, "r");

	if (!in) {
		fprintf(stderr, "fibget: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	for (i = 0; !err && i < 2; i++)
		err = xgw_fib_open(&f[i], &m[i], true);
	while (!err && fgets(line, sizeof(line), in)) {
		struct xgw_prefix p;
		struct xgw_route rt;
		int r = route_line(line, ++lineno, &p, &rt);

		if (r > 0)
			continue;
		err = r ? r : xgw_fib_set(f[p.addr.family == AF_INET6], p.addr.a, p.len, &rt);
		if (err && r == 0)
			fprintf(stderr, "fibget: line %d: %s\n", lineno, strerror(-err));
	}
	for (i = 0; !err && i < 2; i++) {
		err = xgw_fib_commit(f[i]);
		if (err)
			fprintf(stderr, "fibget: cannot write the FIB: %s (%s)\n", strerror(-err),
				xgw_fib_full(f[i]));
	}
	for (i = 0; i < 2; i++)
		xgw_fib_close(f[i]);
	fclose(in);
	return err;
}

int main(int argc, char **argv)
{
	struct xgw_fib_mem m[2] = {};
	bool write = argc == 4 && !strcmp(argv[2], "--write");
	int i, err = 0;

	if (argc < 3 || (argv[2][0] == '-' && argc != 3 && !write) ||
	    (argc == 3 && argv[2][0] == '-' && strcmp(argv[2], "--sum") &&
	     strcmp(argv[2], "--answers"))) {
		usage(stderr);
		return 2;
	}
	for (i = 2; !write && argv[2][0] != '-' && i < argc; i++) {
		struct xgw_addr a;

		if (xgw_addr_parse(argv[i], &a)) {
			fprintf(stderr, "fibget: \"%s\" is not an address\n", argv[i]);
			return 2;
		}
	}
	/* a shared mapping of a read-only fd is refused: the fds are writable */
	for (i = 0; !err && i < 2; i++) {
		err = xgw_fib_map_pinned(argv[1], i ? AF_INET6 : AF_INET,
					 write ? PROT_READ | PROT_WRITE : PROT_READ, &m[i]);
		if (err)
			fprintf(stderr, "fibget: %s: no %s FIB of this layout: %s\n", argv[1],
				i ? "IPv6" : "IPv4", strerror(-err));
	}
	if (err)
		goto out;
	if (write) {
		err = write_file(m, argv[3]);
	} else if (!strcmp(argv[2], "--sum")) {
		printf("%016llx\n", (unsigned long long)(bytes_sum(&m[0]) ^ bytes_sum(&m[1]) * 31));
	} else if (!strcmp(argv[2], "--answers")) {
		printf("%016llx\n",
		       (unsigned long long)(xgw_fib_digest(&m[0]) ^ xgw_fib_digest(&m[1]) * 31));
	} else {
		for (i = 2; i < argc; i++) {
			struct xgw_addr a;

			xgw_addr_parse(argv[i], &a);
			print_answer(&m[a.family == AF_INET6], argv[i], a.a);
		}
	}
out:
	for (i = 0; i < 2; i++)
		xgw_fib_unmap(&m[i]);
	if (ferror(stdout))
		err = -EIO;
	return err ? 1 : 0;
}
