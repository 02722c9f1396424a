// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A route's path: the next hop or the link it holds (path.h). */
#include "link.h"
#include "nexthop.h"
#include "path.h"
#include "rtable.h"

int path__get(struct xgwd *d, struct xgwd_route *r, __u32 hint, char *err, size_t errlen)
{
	if (r->type == XGW_ROUTE_VIA)
		return nexthop__get_hint(d, &r->via, r->ifindex, hint, &r->nh_id, err, errlen);
	if (r->type == XGW_ROUTE_DEV && prefix_is_host(&r->dst))
		return nexthop__get_hint(d, &r->dst.addr, r->ifindex, hint, &r->nh_id,
					 err, errlen);
	if (r->ifindex)
		link__hold(d, r->ifindex);
	return 0;
}

void path__put(struct xgwd *d, const struct xgwd_route *r)
{
	if (r->nh_id)
		nexthop__put(d, r->nh_id);
	else if (r->ifindex)
		link__release(d, r->ifindex);
}

bool path__same(const struct xgwd_route *a, const struct xgwd_route *b)
{
	return a->type == b->type && a->nh_id == b->nh_id && a->ifindex == b->ifindex &&
	       xgw_addr_equal(&a->via, &b->via);
}
