/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Next-hop groups (group.c): the next hops of a multipath route with their
 * weights, shared by every route with the same set and reference counted,
 * as the kernel's nexthop groups are. A member's next hop is held by the
 * group. id indexes xgw_nh_groups, whose resilient buckets
 * (common/nhgroup.h) follow the members' resolution.
 */
#ifndef XGWD_GROUP_H
#define XGWD_GROUP_H

#include "xgwd.h"

#define XGWD_GROUP_MAX_NH	64	/* members of one group */
#define XGWD_MAX_GROUPS		XGW_MAX_NHGROUPS	/* ids 1..XGWD_MAX_GROUPS-1 */

struct xgwd_group_member {
	__u32 nh_id;
	unsigned int weight;	/* 1..256 */
};

struct xgwd_group {
	__u32 id;		/* 0: slot free */
	unsigned int refcnt;
	unsigned int n;
	struct xgwd_group_member m[XGWD_GROUP_MAX_NH];	/* by nh_id */
};

/* A member to be: the next hop through gw (on ifindex, 0: find it). */
struct group_nh {
	struct xgw_addr gw;
	int ifindex;
	unsigned int weight;
};

/*
 * Find or create the group of these next hops (2..XGWD_GROUP_MAX_NH, no
 * two alike) and take a reference; a new group takes id hint when free
 * (the one an adopted datapath uses for the route: its buckets, and so its
 * flows, stay). 0 or -errno with a one-line message.
 */
int group__get(struct xgwd *d, const struct group_nh *nh, unsigned int n, __u32 hint,
	       __u32 *id, char *err, size_t errlen);
/* Buckets member nh_id of group id holds in the datapath now. */
unsigned int group__buckets(struct xgwd *d, __u32 id, __u32 nh_id);
/* After a restore over an adopted datapath: empty the groups nobody claimed. */
void group__sweep(struct xgwd *d);
void group__put(struct xgwd *d, __u32 id);
const struct xgwd_group *group__find(struct xgwd *d, __u32 id);
/* A next hop's MAC, link or resolution changed: refill its groups. */
void group__nexthop_changed(struct xgwd *d, __u32 nh_id);
/* At exit: memory only. */
void group__free(struct xgwd *d);

#endif /* XGWD_GROUP_H */
