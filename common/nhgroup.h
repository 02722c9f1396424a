/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Multipath next-hop groups (struct xgw_nh_group in xgw_shared.h): the flow
 * hash, one definition for the datapath and for userspace (tests predict a
 * flow's next hop bit for bit), and, in userspace, the resilient bucket
 * filler xgwd calls whenever a group's members, weights or resolution
 * change.
 *
 * The hash follows the kernel's L4 multipath policy
 * (fib_multipath_hash_policy 1): source and destination address, protocol,
 * source and destination port; ports count as 0 for fragments (every
 * fragment of a datagram takes one path) and for protocols without ports.
 * A group's seed is mixed in last, so gateways in a chain that use
 * different seeds do not split flows along the same lines (polarization).
 */
#ifndef XGW_NHGROUP_H
#define XGW_NHGROUP_H

#include "xgw_shared.h"
#include "lbhash.h"

#define XGW_HASH_SEED_MPATH	0x6d706174u	/* "mpat" */

/*
 * @ports: the two 16-bit port fields as one 32-bit word read from the
 * packet (source port first in memory), 0 when there are none.
 */
static inline __u32 xgw_mp_hash4(__be32 src, __be32 dst, __u32 ports, __u8 proto)
{
	__u32 h = XGW_HASH_SEED_MPATH;

	h = xgw_hash_mix(h, src);
	h = xgw_hash_mix(h, dst);
	h = xgw_hash_mix(h, ports);
	return xgw_hash_mix(h, proto);
}

static inline __u32 xgw_mp_hash6(const __be32 *src, const __be32 *dst, __u32 ports, __u8 proto)
{
	__u32 h = XGW_HASH_SEED_MPATH;
	int i;

	for (i = 0; i < 4; i++)
		h = xgw_hash_mix(h, src[i]);
	for (i = 0; i < 4; i++)
		h = xgw_hash_mix(h, dst[i]);
	h = xgw_hash_mix(h, ports);
	return xgw_hash_mix(h, proto);
}

/* The bucket a flow of hash @h takes in a group of seed @seed. */
static inline __u32 xgw_mp_bucket(__u32 h, __u32 seed)
{
	return xgw_hash_final(xgw_hash_mix(h, seed), 20) & (XGW_NHG_BUCKETS - 1);
}

#ifndef __bpf__
#include <stdbool.h>

struct xgw_nhg_member {
	__u32 nh_id;		/* 1..XGW_MAX_NEXTHOPS - 1, distinct */
	__u32 weight;		/* 1..XGW_NHG_BUCKETS */
	bool usable;		/* resolved: may hold buckets */
};

/*
 * Bring @bucket (the group's current buckets; all 0 for a new group) to
 * the members @m[0..n): each usable member's share of the
 * XGW_NHG_BUCKETS buckets is proportional to its weight (largest
 * remainders, ties to the earlier member), and a bucket moves only if its
 * member is gone, unusable or over its share: the flows of the others stay
 * where they are. With no usable member, every member counts as usable
 * (the table stays whole; the datapath finds the next hops unresolved and
 * hands the packets to the kernel). n == 0 empties the table.
 *
 * Returns the number of buckets changed, or -EINVAL (nothing changed) for
 * n > XGW_NHG_BUCKETS, an nh_id out of range or repeated, a weight out of
 * range.
 */
int xgw_nhg_fill(__u16 bucket[XGW_NHG_BUCKETS], const struct xgw_nhg_member *m, unsigned int n);
#endif

#endif /* XGW_NHGROUP_H */
