// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * On-link prefixes (`route add 10.1.0.0/24 dev eth1`). XDP cannot resolve
 * a MAC per destination, so every neighbour the kernel knows inside such a
 * prefix (on that device) gets its own host entry with itself as the next
 * hop: that traffic stays in XDP. A destination the kernel has not
 * resolved yet matches the prefix's LPM entry, which hands the packet to the
 * kernel (action LOCAL, counted as "local"); once the kernel has resolved
 * it (kernel forwarding on, or any other traffic to it), the neighbour event
 * adds its host entry. Entries leave with their neighbour or their route.
 */
#include <stdlib.h>
#include <string.h>
#include "xgwd.h"

static struct xgwd_onlink *onlink__find(struct xgwd *d, const struct xgw_addr *a,
					size_t *idx)
{
	size_t i;

	for (i = 0; i < d->onlink.n; i++) {
		struct xgwd_onlink *o = xgwd_vec__at(&d->onlink, struct xgwd_onlink, i);

		if (xgw_addr_equal(&o->addr, a)) {
			if (idx)
				*idx = i;
			return o;
		}
	}
	return NULL;
}

const struct xgwd_onlink *onlink__get(struct xgwd *d, const struct xgw_addr *a)
{
	return onlink__find(d, a, NULL);
}

static void onlink__del(struct xgwd *d, size_t i)
{
	struct xgwd_onlink o = *xgwd_vec__at(&d->onlink, struct xgwd_onlink, i);

	xgwd_vec__del(&d->onlink, i);
	route__host_sync(d, &o.addr);
	nexthop__put(d, o.nh_id);
}

/* A neighbour appeared, changed (mac) or went away (mac NULL). */
void onlink__neigh(struct xgwd *d, const struct xgw_addr *a, int ifindex,
		   const __u8 *mac)
{
	struct xgwd_onlink o = { .addr = *a, .ifindex = ifindex }, *old;
	char err[128];
	size_t i;

	old = onlink__find(d, a, &i);
	if (old && (!mac || old->ifindex != ifindex ||
		    !route__onlink_covers(d, a, ifindex))) {
		onlink__del(d, i);
		old = NULL;
	}
	if (old || !mac || !route__onlink_covers(d, a, ifindex))
		return;
	if (nexthop__get(d, a, ifindex, &o.nh_id, err, sizeof(err)))
		return;
	nexthop__neigh_changed(d, a, ifindex, mac);
	if (!xgwd_vec__push(&d->onlink, &o)) {
		nexthop__put(d, o.nh_id);
		return;
	}
	route__host_sync(d, a);
}

/* After on-link routes changed: drop what is no longer covered and learn
 * what the kernel already knows under the new ones. */
void onlink__refresh(struct xgwd *d)
{
	size_t i = d->onlink.n;

	while (i--) {
		struct xgwd_onlink *o = xgwd_vec__at(&d->onlink, struct xgwd_onlink, i);

		if (!route__onlink_covers(d, &o->addr, o->ifindex))
			onlink__del(d, i);
	}
	netlink__replay_neigh(d);
}
