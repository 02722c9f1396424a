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

#include <string.h>
#include <sys/mman.h>

#include <bpf/libbpf.h>

#include "fib4.h"

struct fib4_skel {
	struct xgw_fib4 *fib;
	struct xgw_fib4_maps m;
};

static inline void fib4_skel_close(struct fib4_skel *fs)
{
	xgw_fib4_close(fs->fib);
	xgw_fib4_unmap(&fs->m);
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
	int err;

	memset(fs, 0, sizeof(*fs));
	err = xgw_fib4_map(bpf_map__fd(tbl24), bpf_map__fd(tbl8), PROT_READ | PROT_WRITE, &fs->m);
	if (err)
		return err;
	err = xgw_fib4_open(&fs->fib, fs->m.tbl24, fs->m.tbl8, fs->m.ngroups, false);
	if (err)
		fib4_skel_close(fs);
	return err;
}

#endif /* XGW_FIB4_SKEL_H */
