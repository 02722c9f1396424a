/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The IPv4 FIB of a loaded xgw object, written from userspace without xgwd:
 * both DIR-24-8 arrays (xgw_fib4_24, xgw_fib4_8) mmapped and handed to
 * common/fib4.c, which then keeps them equal to the routes set through it.
 * For the packet tests and pktbench (tools/bench/build.mk adds this
 * directory to pktbench's include path).
 *
 *	struct fib4_skel fs;
 *
 *	err = fib4_skel_open(&fs, skel->maps.xgw_fib4_24, skel->maps.xgw_fib4_8);
 *	err = xgw_fib4_set(fs.fib, addr, len, &route);
 *	...
 *	fib4_skel_close(&fs);	(before the skeleton is destroyed)
 */
#ifndef XGW_FIB4_SKEL_H
#define XGW_FIB4_SKEL_H

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "fib4.h"

struct fib4_skel {
	struct xgw_fib4 *fib;
	__u32 *tbl24, *tbl8;
	size_t len24, len8;	/* bytes mapped */
	__u32 ngroups;
};

/*
 * Map all of array @m; its u32 entries, *n of them, are then one dense
 * array. The kernel lays an array's elements out every round_up(value_size,
 * 8) bytes, so that holds only for values of a multiple of 8 bytes (4-byte
 * values would come out as an entry, 4 bytes of padding, an entry...).
 * NULL on failure, errno set.
 */
static inline __u32 *fib4_skel_mmap(const struct bpf_map *m, size_t *len, __u32 *n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), bytes;
	__u32 vsize = bpf_map__value_size(m);
	void *p;

	if (vsize % 8) {
		fprintf(stderr, "fib4_skel: %s: %u-byte values are padded to 8 bytes in the "
				"kernel: its memory is no dense u32 array\n", bpf_map__name(m), vsize);
		errno = EINVAL;
		return NULL;
	}
	bytes = (size_t)bpf_map__max_entries(m) * vsize;
	*n = bytes / sizeof(__u32);
	*len = (bytes + page - 1) & ~(page - 1);
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
	return p == MAP_FAILED ? NULL : p;
}

static inline void fib4_skel_close(struct fib4_skel *fs)
{
	xgw_fib4_close(fs->fib);
	if (fs->tbl8)
		munmap(fs->tbl8, fs->len8);
	if (fs->tbl24)
		munmap(fs->tbl24, fs->len24);
	memset(fs, 0, sizeof(*fs));
}

/*
 * Open an xgw_fib4 over the arrays @tbl24 and @tbl8 of a loaded object
 * (skel->maps.xgw_fib4_24, skel->maps.xgw_fib4_8): both are cleared, so
 * the datapath starts with no IPv4 route. Returns 0 or -errno.
 */
static inline int fib4_skel_open(struct fib4_skel *fs, const struct bpf_map *tbl24,
				 const struct bpf_map *tbl8)
{
	__u32 n24, n8;
	int err;

	memset(fs, 0, sizeof(*fs));
	fs->tbl24 = fib4_skel_mmap(tbl24, &fs->len24, &n24);
	if (!fs->tbl24)
		return -errno;
	fs->tbl8 = fib4_skel_mmap(tbl8, &fs->len8, &n8);
	if (!fs->tbl8) {
		err = -errno;
		goto fail;
	}
	err = -EINVAL;
	if (n24 != XGW_FIB4_TBL24 || !n8 || n8 % 256)
		goto fail;
	fs->ngroups = n8 / 256;
	err = xgw_fib4_open(&fs->fib, fs->tbl24, fs->tbl8, fs->ngroups, false);
	if (!err)
		return 0;
fail:
	fib4_skel_close(fs);
	return err;
}

#endif /* XGW_FIB4_SKEL_H */
