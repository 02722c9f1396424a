// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A route's path: the next hop, group or link it holds (path.h). */
#include <stdlib.h>
#include "group.h"
#include "link.h"
#include "nexthop.h"
#include "path.h"
#include "rtable.h"

int path__get(struct xgwd *d, struct xgwd_route *r, __u32 hint,
	      const struct group_nh *nh, unsigned int n, char *err, size_t errlen)
{
	if (r->type == XGW_ROUTE_VIA)
		return nexthop__get_hint(d, &r->via, r->ifindex, hint, &r->nh_id, err, errlen);
	if (r->type == XGW_ROUTE_DEV && prefix_is_host(&r->dst))
		return nexthop__get_hint(d, &r->dst.addr, r->ifindex, hint, &r->nh_id,
					 err, errlen);
	if (r->type == XGW_ROUTE_MULTIPATH)
		return group__get(d, nh, n, hint, &r->group, err, errlen);
	if (r->ifindex)
		link__hold(d, r->ifindex);
	return 0;
}

void path__put(struct xgwd *d, struct xgwd_route *r)
{
	if (r->group)
		group__put(d, r->group);
	else if (r->nh_id)
		nexthop__put(d, r->nh_id);
	else if (r->ifindex)
		link__release(d, r->ifindex);
	free(r->mp);
	r->mp = NULL;
	r->n_mp = 0;
}

bool path__same(const struct xgwd_route *a, const struct xgwd_route *b)
{
	return a->type == b->type && a->nh_id == b->nh_id && a->group == b->group &&
	       a->ifindex == b->ifindex && xgw_addr_equal(&a->via, &b->via);
}
