// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Following the kernel: xgwd's callback table for the kernel adapter. Each
 * event goes to the module that owns it, lowest first: a link's MAC, MTU
 * and state (then its next hops), the gateway's own addresses (then their
 * host entries), neighbours (next-hop MACs, on-link host entries), routes
 * of followed tables; and attach/detach of links to the followed routes.
 * The top of the routing side: nothing below calls up here.
 */
#include <stdlib.h>
#include "entry.h"
#include "follow.h"
#include "group.h"
#include "ifinfo.h"
#include "kernel.h"
#include "link.h"
#include "local.h"
#include "netlink.h"
#include "nexthop.h"
#include "onlink.h"

static void on_link(void *arg, const struct kernel_link *k)
{
	struct xgwd *d = arg;
	struct xgwd_link *l = link__changed(d, k->ifindex, k->name, k->mac, k->mtu,
					    k->up, k->gone);

	if (!l)
		return;
	nexthop__link_changed(d, l->ifindex);
	if (l->up)
		nexthop__retry(d);	/* the kernel flushed its neighbours */
}

static void on_addr(void *arg, const struct kernel_addr *k)
{
	struct xgwd *d = arg;
	int changed = k->gone ? local__del(d, &k->addr, k->ifindex) :
				local__add(d, &k->addr, k->ifindex, k->prefixlen);

	if (changed > 0) {
		entry__sync_host(d, &k->addr);
		ifinfo__sync(d, k->ifindex);	/* the link's ICMP error source */
	}
}

static void on_neigh(void *arg, const struct kernel_neigh *k)
{
	onlink__neigh(arg, k);
}

static void on_route(void *arg, const struct kernel_route *k)
{
	follow__route(arg, k);
}

static void on_xdp(void *arg, const struct kernel_xdp *k)
{
	link__xdp_changed(arg, k);
}

static void on_resync(void *arg, bool done)
{
	follow__resync(arg, done);
}

static const struct kernel_ops netlink_ops = {
	.link = on_link,
	.addr = on_addr,
	.neigh = on_neigh,
	.route = on_route,
	.xdp = on_xdp,
	.resync = on_resync,
};

static const struct link_ops netlink_link_ops = {
	.changed = follow__link,
};

static const struct nexthop_ops netlink_nexthop_ops = {
	.changed = group__nexthop_changed,
};

/* XGWD_NETLINK_BUFFER (bytes) overrides the event socket's buffer: tests
 * make it overflow with a small one. */
int netlink__open(struct xgwd *d)
{
	const char *env = getenv("XGWD_NETLINK_BUFFER");
	int err = kernel__open(&d->kernel, &netlink_ops, d, env ? atoi(env) : 0);

	if (err)
		return err;
	link__set_ops(d, &netlink_link_ops);
	nexthop__set_ops(d, &netlink_nexthop_ops);
	d->nl_fd = kernel__fd(d->kernel);
	return 0;
}

int netlink__dump(struct xgwd *d)
{
	kernel__replay(d->kernel, KERNEL_ADDRS | KERNEL_LINKS);
	return 0;
}

int netlink__process(struct xgwd *d)
{
	return kernel__process(d->kernel);
}

void netlink__close(struct xgwd *d)
{
	follow__close(d);
	group__free(d);
	kernel__close(d->kernel);
	d->kernel = NULL;
	d->nl_fd = -1;
}
