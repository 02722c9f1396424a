/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The IPv4 FIB's userspace half: the set of IPv4 routes (prefixes of any
 * length, /32 host routes, VIP marks) and the DIR-24-8 arrays the datapath
 * reads (xgw_fib4_24, xgw_fib4_8; layout in common/xgw_shared.h), kept equal.
 *
 * Every change recomputes the entries it covers from the route set and
 * writes only those that differ, in an order that is safe against a
 * datapath reading concurrently: each entry is one 32-bit store, a group is
 * complete before the /24 entry points at it, and a group the /24 no longer
 * points at is reused only after XGW_FIB4_GRACE_MS (an XDP program holds
 * no pointer that long).
 *
 * The arrays are whatever memory the caller gives: the mmapped maps in
 * xgwd, plain memory in unit tests. One writer; no locking inside.
 */
#ifndef XGW_FIB4_H
#define XGW_FIB4_H

#include <stdbool.h>
#include "xgw_shared.h"

#define XGW_FIB4_GRACE_MS	50

struct xgw_fib4;

struct xgw_fib4_stats {
	__u32 routes;		/* entries in the route set, VIP marks included */
	__u32 groups_used;	/* /24s with longer routes (groups in use) */
	__u32 groups_max;
};

/*
 * Take charge of the arrays @tbl24 (XGW_FIB4_TBL24 entries) and @tbl8
 * (@ngroups * 256 entries). Without @adopt they are cleared. With @adopt
 * they keep what the datapath uses now, and set/del only change the route
 * set until xgw_fib4_commit() writes the result in one pass: a restarted
 * daemon replays its routes without the datapath ever seeing a partial
 * table. Returns 0 or -errno.
 */
int xgw_fib4_open(struct xgw_fib4 **fp, __u32 *tbl24, __u32 *tbl8, __u32 ngroups, bool adopt);
void xgw_fib4_close(struct xgw_fib4 *f);

/*
 * Add or replace the route for @addr/@len (network byte order; host bits
 * are ignored) with @rt. Flags (XGW_RT_F_*) belong to /32 routes only. A
 * route with action XGW_RT_NONE is a mark, also /32 only: its flags are
 * added to the route beneath it (a VIP with no route of its own). Returns
 * 0; -EINVAL for a bad length, or flags or a mark on a shorter route;
 * -ENOSPC when no group is free, with nothing changed.
 */
int xgw_fib4_set(struct xgw_fib4 *f, __be32 addr, int len, const struct xgw_route *rt);

/* Remove the route for @addr/@len. Returns 0 or -ENOENT. */
int xgw_fib4_del(struct xgw_fib4 *f, __be32 addr, int len);

/* The route set's own entry for exactly @addr/@len. Returns 0 or -ENOENT. */
int xgw_fib4_get(const struct xgw_fib4 *f, __be32 addr, int len, struct xgw_route *rt);

/*
 * What the datapath finds for @addr: reads the arrays as xgw_route_lookup4()
 * does. Returns false for no route.
 */
bool xgw_fib4_lookup(const struct xgw_fib4 *f, __be32 addr, struct xgw_route *rt);

/*
 * The route the arrays hold for exactly @addr/@len, read back from the
 * entries' prefix lengths: what the datapath used before an adopting open
 * (xgwd keeps next-hop ids stable across a restart with it). Returns 0 or
 * -ENOENT (no such route, or one wholly covered by longer ones).
 */
int xgw_fib4_adopted(const struct xgw_fib4 *f, __be32 addr, int len, struct xgw_route *rt);

/*
 * Write out everything deferred since an adopting open. Returns 0 or
 * -errno; -ENOSPC (the route set needs more groups than exist) and -ENOMEM
 * before anything is written, so the datapath keeps the table it had.
 */
int xgw_fib4_commit(struct xgw_fib4 *f);

void xgw_fib4_stats(const struct xgw_fib4 *f, struct xgw_fib4_stats *st);

/* The two arrays' memory, mapped whole from the maps. */
struct xgw_fib4_maps {
	__u32 *tbl24, *tbl8;
	__u32 ngroups;
	size_t len24, len8;	/* bytes mapped */
};

/*
 * Map the maps @fd24 (xgw_fib4_24) and @fd8 (xgw_fib4_8), from a skeleton
 * or bpf_obj_get(), with @prot (PROT_READ, or PROT_READ | PROT_WRITE; the
 * fds must be writable either way: a shared mapping of a read-only one is
 * refused). Checks that their memory is the layout of common/xgw_shared.h.
 * Returns 0, or -errno with nothing mapped.
 */
int xgw_fib4_map(int fd24, int fd8, int prot, struct xgw_fib4_maps *m);
void xgw_fib4_unmap(struct xgw_fib4_maps *m);

/* The same lookup on bare arrays (no struct xgw_fib4): tests and tools. */
__u32 xgw_fib4_read(const __u32 *tbl24, const __u32 *tbl8, __u32 ngroups, __be32 addr);

#endif /* XGW_FIB4_H */
