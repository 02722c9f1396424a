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
#include "entry.h"
#include "kernel.h"
#include "nexthop.h"
#include "onlink.h"
#include "rtable.h"

static void onlink__del(struct xgwd *d, size_t i)
{
	struct xgwd_onlink o = *xgwd_vec__at(&d->onlink, struct xgwd_onlink, i);

	xgwd_vec__del(&d->onlink, i);
	entry__sync_host(d, &o.addr);
	nexthop__put(d, o.nh_id);
}

static void onlink__learn(struct xgwd *d, const struct kernel_neigh *n)
{
	const struct xgw_addr *a = &n->addr;
	const __u8 *mac = n->mac;
	int ifindex = n->ifindex;
	struct xgwd_onlink o = { .addr = *a, .ifindex = ifindex }, *old;
	char err[128];
	size_t i;

	old = rtable__onlink(d, a, &i);
	if (old && (!mac || old->ifindex != ifindex ||
		    !rtable__onlink_covers(d, a, ifindex))) {
		onlink__del(d, i);
		old = NULL;
	}
	if (old || !mac || !rtable__onlink_covers(d, a, ifindex))
		return;
	if (nexthop__get(d, a, ifindex, &o.nh_id, err, sizeof(err)))
		return;
	nexthop__neigh_changed(d, n);
	if (!xgwd_vec__push(&d->onlink, &o)) {
		nexthop__put(d, o.nh_id);
		return;
	}
	entry__sync_host(d, a);
}

void onlink__neigh(struct xgwd *d, const struct kernel_neigh *n)
{
	nexthop__neigh_changed(d, n);
	if (d->onlink.n || n->mac)
		onlink__learn(d, n);
}

static void onlink__replay_one(void *arg, const struct kernel_neigh *n)
{
	onlink__neigh(arg, n);
}

void onlink__refresh(struct xgwd *d)
{
	size_t i = d->onlink.n;

	while (i--) {
		struct xgwd_onlink *o = xgwd_vec__at(&d->onlink, struct xgwd_onlink, i);

		if (!rtable__onlink_covers(d, &o->addr, o->ifindex))
			onlink__del(d, i);
	}
	kernel__neigh_foreach(d->kernel, onlink__replay_one, d);
}
