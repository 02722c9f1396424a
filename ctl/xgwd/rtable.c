// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The route table: own routes (d->routes) and followed routes
 * (d->kroutes), each in any order with a chained hash index by prefix, so
 * that a million routes find theirs in O(1); and the on-link neighbours
 * (d->onlink) that onlink.c gives host entries.
 */
#include <stdlib.h>
#include <string.h>
#include "link.h"
#include "rtable.h"

static bool prefix_equal(const struct xgw_prefix *a, const struct xgw_prefix *b)
{
	return a->len == b->len && xgw_addr_equal(&a->addr, &b->addr);
}

/*
 * ---- index: a chained hash by prefix over one vector of routes ---------------
 * Own routes: d->routes / d->rt_heads; followed ones: d->kroutes /
 * d->krt_heads. A followed prefix may have several routes (tables,
 * metrics): they share its chain.
 */
struct rtset {
	struct xgwd_vec *v;
	__u32 **heads, *nb;
};

static struct rtset own_set(struct xgwd *d)
{
	return (struct rtset){ &d->routes, &d->rt_heads, &d->rt_nb };
}

static struct rtset kern_set(struct xgwd *d)
{
	return (struct rtset){ &d->kroutes, &d->krt_heads, &d->krt_nb };
}

static struct xgwd_route *set_at(struct rtset s, size_t i)
{
	return xgwd_vec__at(s.v, struct xgwd_route, i);
}

static __u32 prefix_hash(const struct xgw_prefix *p)
{
	const __u8 *b = (const __u8 *)p->addr.a;
	__u32 h = 2166136261u ^ p->addr.family ^ (p->len << 8);
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static __u32 *set_head(struct rtset s, const struct xgw_prefix *p)
{
	return &(*s.heads)[prefix_hash(p) & (*s.nb - 1)];
}

static void rtidx__link(struct rtset s, size_t i)
{
	__u32 *head = set_head(s, &set_at(s, i)->dst);

	set_at(s, i)->hnext = *head;
	*head = i + 1;
}

static void rtidx__unlink(struct rtset s, size_t i)
{
	__u32 *p = set_head(s, &set_at(s, i)->dst);

	while (*p && *p != i + 1)
		p = &set_at(s, *p - 1)->hnext;
	if (*p)
		*p = set_at(s, i)->hnext;
}

/* Keep about one route per bucket. */
static int rtidx__grow(struct rtset s, size_t want)
{
	__u32 nb = *s.nb ? *s.nb : 1024, *heads;
	size_t i;

	while (nb < want)
		nb *= 2;
	if (nb == *s.nb)
		return 0;
	heads = calloc(nb, sizeof(*heads));
	if (!heads)
		return -ENOMEM;
	free(*s.heads);
	*s.heads = heads;
	*s.nb = nb;
	for (i = 0; i < s.v->n; i++)
		rtidx__link(s, i);
	return 0;
}

static int set_add(struct rtset s, const struct xgwd_route *r)
{
	s.v->size = sizeof(struct xgwd_route);
	if (rtidx__grow(s, s.v->n + 1) || !xgwd_vec__push(s.v, r))
		return -ENOMEM;
	rtidx__link(s, s.v->n - 1);
	return 0;
}

/* Remove [i]; the last route moves into its place. */
static void set_del(struct rtset s, size_t i)
{
	size_t last = s.v->n - 1;

	rtidx__unlink(s, i);
	if (i != last) {
		rtidx__unlink(s, last);
		*set_at(s, i) = *set_at(s, last);
		rtidx__link(s, i);
	}
	s.v->n--;
}

static void set_replace(struct rtset s, size_t i, const struct xgwd_route *r)
{
	__u32 hnext = set_at(s, i)->hnext;

	*set_at(s, i) = *r;
	set_at(s, i)->hnext = hnext;
}

/* First route of p's chain for which match() holds (NULL: any). */
static struct xgwd_route *set_find(struct rtset s, const struct xgw_prefix *p,
				   bool (*match)(const struct xgwd_route *r, const void *arg),
				   const void *arg, size_t *idx)
{
	__u32 i;

	if (!*s.nb)
		return NULL;
	for (i = *set_head(s, p); i; i = set_at(s, i - 1)->hnext) {
		struct xgwd_route *r = set_at(s, i - 1);

		if (prefix_equal(&r->dst, p) && (!match || match(r, arg))) {
			if (idx)
				*idx = i - 1;
			return r;
		}
	}
	return NULL;
}

static struct rtset set_of(struct xgwd *d, __u8 origin)
{
	return origin == XGWD_ORIGIN_KERNEL ? kern_set(d) : own_set(d);
}

int rtable__add(struct xgwd *d, const struct xgwd_route *r)
{
	return set_add(set_of(d, r->origin), r);
}

void rtable__del(struct xgwd *d, __u8 origin, size_t i)
{
	set_del(set_of(d, origin), i);
}

void rtable__replace(struct xgwd *d, size_t i, const struct xgwd_route *r)
{
	set_replace(set_of(d, r->origin), i, r);
}

struct xgwd_route *rtable__find(struct xgwd *d, const struct xgw_prefix *p, size_t *idx)
{
	return set_find(own_set(d), p, NULL, NULL, idx);
}

struct kern_key {
	__u32 table, priority;
};

static bool kern_key_match(const struct xgwd_route *r, const void *arg)
{
	const struct kern_key *k = arg;

	return r->table == k->table && r->priority == k->priority;
}

struct xgwd_route *rtable__kern_find(struct xgwd *d, const struct xgw_prefix *p,
				     __u32 table, __u32 priority, size_t *idx)
{
	struct kern_key k = { table, priority };

	return set_find(kern_set(d), p, kern_key_match, &k, idx);
}

/* As the kernel picks among a prefix's routes: lowest metric (then table). */
struct xgwd_route *rtable__kern_best(struct xgwd *d, const struct xgw_prefix *p)
{
	struct rtset s = kern_set(d);
	struct xgwd_route *best = NULL;
	__u32 i;

	if (!*s.nb)
		return NULL;
	for (i = *set_head(s, p); i; i = set_at(s, i - 1)->hnext) {
		struct xgwd_route *r = set_at(s, i - 1);

		if (!prefix_equal(&r->dst, p))
			continue;
		if (!best || r->priority < best->priority ||
		    (r->priority == best->priority && r->table < best->table))
			best = r;
	}
	return best;
}

void rtable__kern_free(struct xgwd *d)
{
	xgwd_vec__free(&d->kroutes);
	free(d->krt_heads);
	d->krt_heads = NULL;
	d->krt_nb = 0;
}

struct xgwd_route *rtable__effective(struct xgwd *d, const struct xgw_prefix *p)
{
	struct xgwd_route *r = rtable__find(d, p, NULL);

	return r ? r : rtable__kern_best(d, p);
}

struct xgwd_route *rtable__find_host(struct xgwd *d, const struct xgw_addr *a)
{
	struct xgw_prefix p = { .addr = *a, .len = a->family == AF_INET ? 32 : 128 };

	return rtable__effective(d, &p);
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
		r = rtable__effective(d, &p);
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

	return r && route_is_onlink(r) && r->ifindex == ifindex && link__find(d, ifindex);
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
