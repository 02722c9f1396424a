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

struct fib4_maps {
	const __u32 *tbl24, *tbl8;
	size_t len24, len8;
	__u32 ngroups;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: fib4get PIN_DIR ADDR...\n"
		   "       fib4get PIN_DIR { --sum | --answers }\n");
}

/*
 * Map PIN_DIR/NAME read-only; *entries is its u32 entries (an 8-byte value
 * holds two, so the memory is one dense u32 array). The fd itself
 * must be writable: the kernel turns a shared mapping of a read-only file
 * into a private one, which a BPF map refuses (EINVAL).
 */
static const __u32 *map_ro(const char *dir, const char *name, __u32 *entries, size_t *len)
{
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	char path[4096];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "fib4get: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	/* values of 8 bytes or more: the kernel pads an array's to 8 bytes */
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen) || info.type != BPF_MAP_TYPE_ARRAY ||
	    !info.value_size || info.value_size % 8) {
		fprintf(stderr, "fib4get: %s: not an xgw_fib4 array\n", path);
		close(fd);
		return NULL;
	}
	*entries = (size_t)info.max_entries * info.value_size / sizeof(__u32);
	*len = ((size_t)info.max_entries * info.value_size + page - 1) / page * page;
	p = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "fib4get: mmap %s: %s\n", path, strerror(errno));
		return NULL;
	}
	return p;
}

static int maps_open(const char *dir, struct fib4_maps *m)
{
	__u32 n24, n8;

	m->tbl24 = map_ro(dir, "xgw_fib4_24", &n24, &m->len24);
	if (!m->tbl24)
		return -1;
	if (n24 != XGW_FIB4_TBL24) {
		fprintf(stderr, "fib4get: %s/xgw_fib4_24 has %u entries, not %u\n", dir, n24,
			XGW_FIB4_TBL24);
		return -1;
	}
	m->tbl8 = map_ro(dir, "xgw_fib4_8", &n8, &m->len8);
	if (!m->tbl8)
		return -1;
	m->ngroups = n8 / 256;
	return 0;
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
static __u64 answers_sum(const struct fib4_maps *m)
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

static void print_answer(const struct fib4_maps *m, const char *s, __be32 addr)
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
	struct fib4_maps m = {};
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
	munmap((void *)m.tbl24, m.len24);
	munmap((void *)m.tbl8, m.len8);
	return ferror(stdout) ? 1 : 0;
}
