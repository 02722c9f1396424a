// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The gateway's own addresses, from the kernel's address events. Their
 * host entries are entry.c's business; this is the record and its queries
 * (the outer source of ipip backends, the connected subnet of a gateway).
 */
#include "link.h"
#include "local.h"

struct xgwd_local *local__find(struct xgwd *d, const struct xgw_addr *a,
			       int ifindex, size_t *idx)
{
	size_t i;

	for (i = 0; i < d->locals.n; i++) {
		struct xgwd_local *lo = xgwd_vec__at(&d->locals, struct xgwd_local, i);

		if (xgw_addr_equal(&lo->addr, a) && (!ifindex || lo->ifindex == ifindex)) {
			if (idx)
				*idx = i;
			return lo;
		}
	}
	return NULL;
}

int local__add(struct xgwd *d, const struct xgw_addr *a, int ifindex, __u8 plen)
{
	struct xgwd_local lo = { .addr = *a, .ifindex = ifindex, .prefixlen = plen };
	struct xgwd_local *o = local__find(d, a, ifindex, NULL);

	if (o) {
		o->prefixlen = plen;
		return 0;
	}
	return xgwd_vec__push(&d->locals, &lo) ? 1 : -ENOMEM;
}

int local__del(struct xgwd *d, const struct xgw_addr *a, int ifindex)
{
	size_t i;

	if (!local__find(d, a, ifindex, &i))
		return 0;
	xgwd_vec__del(&d->locals, i);
	return 1;
}

int local__pick(struct xgwd *d, int family, const struct xgw_addr *near,
		struct xgw_addr *out)
{
	struct xgwd_local *pick = NULL;
	size_t i;

	for (i = 0; i < d->locals.n; i++) {
		struct xgwd_local *lo = xgwd_vec__at(&d->locals, struct xgwd_local, i);
		struct xgw_prefix p = { .addr = lo->addr, .len = lo->prefixlen };

		if (lo->addr.family != family || !link__find(d, lo->ifindex))
			continue;
		if (near && xgw_prefix_contains(&p, near)) {
			pick = lo;
			break;
		}
		if (!pick)
			pick = lo;
	}
	if (!pick)
		return -ENOENT;
	*out = pick->addr;
	return 0;
}

int local__subnet_link(struct xgwd *d, const struct xgw_addr *a)
{
	size_t i;

	for (i = 0; i < d->locals.n; i++) {
		struct xgwd_local *lo = xgwd_vec__at(&d->locals, struct xgwd_local, i);
		struct xgw_prefix p = { .addr = lo->addr, .len = lo->prefixlen };

		if (link__find(d, lo->ifindex) && xgw_prefix_contains(&p, a))
			return lo->ifindex;
	}
	return 0;
}
