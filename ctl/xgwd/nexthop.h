/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Next hops (nexthop.c): one xgw_nexthops slot per (gateway address,
 * egress device), shared by every route and backend that uses it and
 * reference counted. Below: links, own addresses, the kernel adapter.
 */
#ifndef XGWD_NEXTHOP_H
#define XGWD_NEXTHOP_H

#include "xgwd.h"

/* id indexes xgw_nexthops and d->nexthops. */
struct xgwd_nexthop {
	__u32 id;		/* 0: slot free */
	struct xgw_addr gw;
	int ifindex;
	unsigned int refcnt;
	__u8 mac[6];
	bool has_mac;		/* the kernel's neighbour table knows gw */
	bool stale;		/* ...but its entry is STALE (unconfirmed) */
	__u64 seen_packets;	/* xgw_nh_stats when last looked at, while stale */
};

/* What the layers above want to hear (nexthop__set_ops()). */
struct nexthop_ops {
	/* nh_id's datapath entry was rewritten (MAC, link, resolution) */
	void (*changed)(struct xgwd *d, __u32 nh_id);
};

int nexthop__init(struct xgwd *d);
void nexthop__set_ops(struct xgwd *d, const struct nexthop_ops *ops);
/*
 * Find or create the next hop for reaching gw: via the matching xgw route,
 * or on-link when gw is inside an attached link's connected subnet, or by
 * asking the kernel's routing table. ifindex 0 = find the device. Takes a
 * reference; nexthop__put() drops it. Errors: -ENETUNREACH (no attached
 * egress device), -ENOSPC.
 */
int nexthop__get(struct xgwd *d, const struct xgw_addr *gw, int ifindex,
		 __u32 *nh_id, char *err, size_t errlen);
/* The same, reusing slot hint when an adopted datapath had it (keeps ids,
 * and so counters, across a restart). */
int nexthop__get_hint(struct xgwd *d, const struct xgw_addr *gw, int ifindex,
		      __u32 hint, __u32 *nh_id, char *err, size_t errlen);
void nexthop__put(struct xgwd *d, __u32 nh_id);
const struct xgwd_nexthop *nexthop__find(struct xgwd *d, __u32 nh_id);
/* Its MAC is known and its link is up: the datapath forwards through it. */
bool nexthop__is_resolved(struct xgwd *d, const struct xgwd_nexthop *nh);
/* The link of ifindex changed (MAC, MTU, up): rewrite its next hops. */
void nexthop__link_changed(struct xgwd *d, int ifindex);
struct kernel_neigh;
/* The kernel's neighbour changed: its MAC (NULL: none usable), its state. */
void nexthop__neigh_changed(struct xgwd *d, const struct kernel_neigh *n);
/*
 * About once a second: ask the kernel again for next hops still unknown,
 * and to revalidate those whose entry is STALE while the datapath forwards
 * through them (forwarded frames never touch the kernel's entry: a changed
 * MAC would never be noticed), as the kernel does for its own traffic.
 */
void nexthop__retry(struct xgwd *d);
/* After a restore over an adopted datapath: clear slots nobody claimed. */
void nexthop__sweep(struct xgwd *d);
/* `neigh show` */
int neigh__show(struct xgwd *d);

#endif /* XGWD_NEXTHOP_H */
