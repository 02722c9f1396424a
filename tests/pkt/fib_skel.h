/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The FIB of a loaded BPF object (both families), written from userspace
 * without xgwd: the maps mmapped and handed to common/fib.c, which then
 * keeps them equal to the routes set through it. For the packet tests and
 * pktbench (tools/bench/build.mk adds this directory to its include path).
 *
 *	struct fib_skel fs;
 *
 *	err = fib_skel_open(&fs, skel->obj);
 *	err = xgw_fib_set(fs.fib[FIB_SKEL_V6], addr, len, &route);
 *	...
 *	fib_skel_close(&fs);	(before the object is destroyed)
 */
#ifndef XGW_FIB_SKEL_H
#define XGW_FIB_SKEL_H

#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <bpf/libbpf.h>

#include "fib.h"

enum { FIB_SKEL_V4, FIB_SKEL_V6 };

struct fib_skel {
	struct xgw_fib *fib[2];
	struct xgw_fib_mem m[2];
};

static inline void fib_skel_close(struct fib_skel *fs)
{
	int i;

	for (i = 0; i < 2; i++) {
		xgw_fib_close(fs->fib[i]);
		xgw_fib_unmap(&fs->m[i]);
	}
	memset(fs, 0, sizeof(*fs));
}

/*
 * Open both families' FIBs over the maps of the loaded object @obj: they
 * are cleared, so the datapath starts with no route. Returns 0 or -errno.
 */
static inline int fib_skel_open(struct fib_skel *fs, struct bpf_object *obj)
{
	int i, err = 0;

	memset(fs, 0, sizeof(*fs));
	for (i = 0; !err && i < 2; i++) {
		err = xgw_fib_map_object(obj, i ? AF_INET6 : AF_INET, PROT_READ | PROT_WRITE,
					 &fs->m[i]);
		if (!err)
			err = xgw_fib_open(&fs->fib[i], &fs->m[i], false);
	}
	if (err)
		fib_skel_close(fs);
	return err;
}

#endif /* XGW_FIB_SKEL_H */
