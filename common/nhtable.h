/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Writing next hops and next-hop groups while the datapath reads them.
 *
 * Next hops (xgw_nexthops, struct xgw_nh_slot): a change never shows half
 * written. xgw_nh_write() fills the version the datapath is not reading,
 * then switches the slot's selector with one release store; the version it
 * retired is written again only after a grace period (every XDP program
 * that was running at the switch has returned), waited for with the
 * kernel's own guarantee: an update of a map-in-map returns to userspace
 * only after synchronize_rcu() (maybe_wait_bpf_programs() in
 * kernel/bpf/syscall.c). The fast path pays one load of the selector, in
 * the slot's own cache line. A second change of one next hop within a
 * grace period waits for it (a few ms); changes of different next hops
 * share one.
 *
 * Groups (xgw_nh_groups): each bucket is one 16-bit store, and a packet
 * reads one bucket, so buckets are simply stored, only those that differ.
 *
 * The memory is the maps', mmapped (BPF_F_MMAPABLE), or plain memory in
 * unit tests. One writer at a time; no locking inside.
 */
#ifndef XGW_NHTABLE_H
#define XGW_NHTABLE_H

#include <stddef.h>
#include "xgw_shared.h"

struct xgw_nh_table {
	struct xgw_nh_slot *slot;	/* [n_slot] */
	struct xgw_nh_group *group;	/* [n_group], NULL: no groups */
	__u32 n_slot, n_group;
	size_t len_slot, len_group;	/* bytes mapped; 0: not ours to unmap */
	__u64 *flip_epoch;		/* per slot: t->epoch when it last switched */
	__u64 epoch;			/* grace periods waited so far */
	int sync_fd;			/* map-in-map whose update waits for one */
	int sync_inner_fd;
};

/*
 * Map the maps @nh_fd (xgw_nexthops) and @group_fd (xgw_nh_groups; -1:
 * none), from a skeleton or bpf_obj_get() (writable fds). Checks that they
 * have the layout of xgw_shared.h. Returns 0 or -errno, nothing mapped.
 */
int xgw_nh_table_open(struct xgw_nh_table *t, int nh_fd, int group_fd);

/* Over plain memory (unit tests): @slot[n_slot], @group[n_group]. A
 * zeroed table may be closed: nothing happens. */
int xgw_nh_table_init(struct xgw_nh_table *t, struct xgw_nh_slot *slot, __u32 n_slot,
		      struct xgw_nh_group *group, __u32 n_group);
void xgw_nh_table_close(struct xgw_nh_table *t);

/*
 * Make @nh what the datapath uses for @nh_id (1..n_slot - 1). An equal
 * next hop is not written again. Returns 0; -EINVAL for a bad id; -errno
 * when the grace period could not be waited for (nothing written).
 */
int xgw_nh_write(struct xgw_nh_table *t, __u32 nh_id, const struct xgw_nexthop *nh);

/* What the datapath reads now for @nh_id. Returns 0 or -EINVAL. */
int xgw_nh_read(const struct xgw_nh_table *t, __u32 nh_id, struct xgw_nexthop *nh);

/*
 * Store group @id's seed and the buckets that differ from @bucket
 * (XGW_NHG_BUCKETS, from xgw_nhg_fill()). Returns the number of buckets
 * stored, or -EINVAL (bad id, no group map).
 */
int xgw_nhg_write(struct xgw_nh_table *t, __u32 id, __u32 seed, const __u16 *bucket);

/* Group @id as the datapath reads it now. Returns 0 or -EINVAL. */
int xgw_nhg_read(const struct xgw_nh_table *t, __u32 id, struct xgw_nh_group *g);

#endif /* XGW_NHTABLE_H */
