// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The route table: d->routes in any order, with a chained hash index by
 * prefix (d->rt_heads), so that a million routes find theirs in O(1); and
 * the on-link neighbours (d->onlink) that onlink.c gives host entries.
 */
#include <stdlib.h>
#include <string.h>
#include "link.h"
#include "rtable.h"

static bool prefix_equal(const struct xgw_prefix *a, const struct xgw_prefix *b)
{
	return a->len == b->len && xgw_addr_equal(&a->addr, &b->addr);
}

/* ---- index: chained hash over d->routes by prefix ------------------------- */
static __u32 prefix_hash(const struct xgw_prefix *p)
{
	const __u8 *b = (const __u8 *)p->addr.a;
	__u32 h = 2166136261u ^ p->addr.family ^ (p->len << 8);
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static void rtidx__link(struct xgwd *d, size_t i)
{
	__u32 *head = &d->rt_heads[prefix_hash(&rtable__at(d, i)->dst) & (d->rt_nb - 1)];

	rtable__at(d, i)->hnext = *head;
	*head = i + 1;
}

static void rtidx__unlink(struct xgwd *d, size_t i)
{
	__u32 *p = &d->rt_heads[prefix_hash(&rtable__at(d, i)->dst) & (d->rt_nb - 1)];

	while (*p && *p != i + 1)
		p = &rtable__at(d, *p - 1)->hnext;
	if (*p)
		*p = rtable__at(d, i)->hnext;
}

/* Keep about one route per bucket. */
static int rtidx__grow(struct xgwd *d, size_t want)
{
	__u32 nb = d->rt_nb ? d->rt_nb : 1024, *heads;
	size_t i;

	while (nb < want)
		nb *= 2;
	if (nb == d->rt_nb)
		return 0;
	heads = calloc(nb, sizeof(*heads));
	if (!heads)
		return -ENOMEM;
	free(d->rt_heads);
	d->rt_heads = heads;
	d->rt_nb = nb;
	for (i = 0; i < d->routes.n; i++)
		rtidx__link(d, i);
	return 0;
}

int rtable__add(struct xgwd *d, const struct xgwd_route *r)
{
	if (rtidx__grow(d, d->routes.n + 1) || !xgwd_vec__push(&d->routes, r))
		return -ENOMEM;
	rtidx__link(d, d->routes.n - 1);
	return 0;
}

void rtable__del(struct xgwd *d, size_t i)
{
	size_t last = d->routes.n - 1;

	rtidx__unlink(d, i);
	if (i != last) {
		rtidx__unlink(d, last);
		*rtable__at(d, i) = *rtable__at(d, last);
		rtidx__link(d, i);
	}
	d->routes.n--;
}

void rtable__replace(struct xgwd *d, size_t i, const struct xgwd_route *r)
{
	__u32 hnext = rtable__at(d, i)->hnext;

	*rtable__at(d, i) = *r;
	rtable__at(d, i)->hnext = hnext;
}

struct xgwd_route *rtable__find(struct xgwd *d, const struct xgw_prefix *p, size_t *idx)
{
	__u32 i;

	if (!d->rt_nb)
		return NULL;
	for (i = d->rt_heads[prefix_hash(p) & (d->rt_nb - 1)]; i; i = rtable__at(d, i - 1)->hnext) {
		struct xgwd_route *r = rtable__at(d, i - 1);

		if (prefix_equal(&r->dst, p)) {
			if (idx)
				*idx = i - 1;
			return r;
		}
	}
	return NULL;
}

struct xgwd_route *rtable__find_host(struct xgwd *d, const struct xgw_addr *a)
{
	struct xgw_prefix p = { .addr = *a, .len = a->family == AF_INET ? 32 : 128 };

	return rtable__find(d, &p, NULL);
}

static void prefix_mask(struct xgw_prefix *p, int len)
{
	__u8 *b = (__u8 *)p->addr.a;
	int i;

	p->len = len;
	for (i = len / 8; i < 16; i++)
		b[i] &= i == len / 8 ? (__u8)(0xff00 >> (len % 8)) : 0;
}

struct xgwd_route *rtable__longest_prefix(struct xgwd *d, const struct xgw_addr *a)
{
	struct xgwd_route *r = NULL;
	int len;

	for (len = (a->family == AF_INET ? 32 : 128) - 1; !r && len >= 0; len--) {
		struct xgw_prefix p = { .addr = *a };

		prefix_mask(&p, len);
		r = rtable__find(d, &p, NULL);
	}
	return r;
}

bool route_is_onlink(const struct xgwd_route *r)
{
	return r->type == XGW_ROUTE_DEV && !r->nh_id;
}

bool rtable__onlink_covers(struct xgwd *d, const struct xgw_addr *a, int ifindex)
{
	struct xgwd_route *r = rtable__longest_prefix(d, a);
	struct xgwd_link *l;

	if (!r || !route_is_onlink(r))
		return false;
	l = link__find_name(d, r->dev);
	return l && l->ifindex == ifindex;
}

struct xgwd_onlink *rtable__onlink(struct xgwd *d, const struct xgw_addr *a, size_t *idx)
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
