// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fib4get: what the datapath's IPv4 FIB answers, read from the pinned
 * xgw_fib4_24 and xgw_fib4_8 through read-only mappings: this never writes.
 * For tests and operators; bpftool would have to dump 16M entries.
 *
 *   fib4get PIN_DIR ADDR...     one line per address:
 *                               ADDR nexthop NH|local|blackhole|none [vip] [own]
 *   fib4get PIN_DIR --sum       64-bit FNV-1a of both arrays' bytes
 *   fib4get PIN_DIR --answers   64-bit FNV-1a of the answer for every IPv4
 *                               address (the same whatever groups hold them)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "fib4.h"

#define FNV_OFFSET	0xcbf29ce484222325ull
#define FNV_PRIME	0x100000001b3ull

static void usage(FILE *f)
{
	fprintf(f, "Usage: fib4get PIN_DIR ADDR...\n"
		   "       fib4get PIN_DIR { --sum | --answers }\n");
}

static int pinned(const char *dir, const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "fib4get: %s: %s\n", path, strerror(errno));
	return fd;
}

/*
 * Map the pinned FIB read-only. The fds stay writable: the kernel turns a
 * shared mapping of a read-only file into a private one, which a BPF map
 * refuses (EINVAL).
 */
static int maps_open(const char *dir, struct xgw_fib4_maps *m)
{
	int fd24 = pinned(dir, "xgw_fib4_24"), fd8 = pinned(dir, "xgw_fib4_8"), err = -EBADF;

	if (fd24 >= 0 && fd8 >= 0) {
		err = xgw_fib4_map(fd24, fd8, PROT_READ, m);
		if (err)
			fprintf(stderr, "fib4get: %s: not xgw_fib4 arrays of this layout: %s\n",
				dir, strerror(-err));
	}
	if (fd24 >= 0)
		close(fd24);
	if (fd8 >= 0)
		close(fd8);
	return err;
}

static __u64 fnv(__u64 h, const void *buf, size_t len)
{
	const unsigned char *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

/* The answer function as runs (entry, length), so group placement and
 * stale bytes in unused groups do not count. */
static __u64 answers_sum(const struct xgw_fib4_maps *m)
{
	__u64 h = FNV_OFFSET, run = 0;
	__u32 cur = 0, i, j;

	for (i = 0; i < XGW_FIB4_TBL24; i++) {
		__u32 e = m->tbl24[i], g = e & ~XGW_FIB4_EXT;

		if (!(e & XGW_FIB4_EXT) || g >= m->ngroups) {
			if (e & XGW_FIB4_EXT)
				e = 0;	/* out of range: the datapath finds no route */
			if (e != cur) {
				h = fnv(fnv(h, &cur, sizeof(cur)), &run, sizeof(run));
				cur = e;
				run = 0;
			}
			run += 256;
			continue;
		}
		for (j = 0; j < 256; j++) {
			e = m->tbl8[g * 256 + j];
			if (e != cur) {
				h = fnv(fnv(h, &cur, sizeof(cur)), &run, sizeof(run));
				cur = e;
				run = 0;
			}
			run++;
		}
	}
	return fnv(fnv(h, &cur, sizeof(cur)), &run, sizeof(run));
}

static void print_answer(const struct xgw_fib4_maps *m, const char *s, __be32 addr)
{
	__u32 e = xgw_fib4_read(m->tbl24, m->tbl8, m->ngroups, addr);
	struct xgw_route rt;

	xgw_fib4_unpack(e, &rt);
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

int main(int argc, char **argv)
{
	struct xgw_fib4_maps m = {};
	struct in_addr a;
	int i;

	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (argv[i][0] == '-' && (argc != 3 || (strcmp(argv[i], "--sum") &&
							strcmp(argv[i], "--answers")))) {
			usage(stderr);
			return 2;
		}
		if (argv[i][0] != '-' && inet_pton(AF_INET, argv[i], &a) != 1) {
			fprintf(stderr, "fib4get: \"%s\" is not an IPv4 address\n", argv[i]);
			return 2;
		}
	}
	if (maps_open(argv[1], &m))
		return 1;
	if (!strcmp(argv[2], "--sum"))
		printf("%016llx\n", (unsigned long long)fnv(fnv(FNV_OFFSET, m.tbl24, m.len24),
							     m.tbl8, m.len8));
	else if (!strcmp(argv[2], "--answers"))
		printf("%016llx\n", (unsigned long long)answers_sum(&m));
	else
		for (i = 2; i < argc; i++) {
			inet_pton(AF_INET, argv[i], &a);
			print_answer(&m, argv[i], a.s_addr);
		}
	xgw_fib4_unmap(&m);
	return ferror(stdout) ? 1 : 0;
}
