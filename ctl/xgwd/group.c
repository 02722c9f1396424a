// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Next-hop groups. A group is its set of (next hop, weight), sorted by next
 * hop: the same set from two routes (an ECMP default and a thousand BGP
 * prefixes through the same two routers) is one group. The datapath spreads
 * a group's flows over its resolved members; when a member's neighbour
 * fails, only that member's flows move (resilient buckets).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "group.h"
#include "nexthop.h"
#include "nhgroup.h"

static struct xgwd_group *group__slot(struct xgwd *d, __u32 id)
{
	if (!d->groups || !id || id >= XGWD_MAX_GROUPS || !d->groups[id].id)
		return NULL;
	return &d->groups[id];
}

const struct xgwd_group *group__find(struct xgwd *d, __u32 id)
{
	return group__slot(d, id);
}

/*
 * The datapath's copy of g: its buckets brought to its members as they are
 * now (xgw_nhg_fill(): a member that became unusable gives up only its own
 * buckets), under the seed it has (a new group: a random one, so that
 * gateways in a chain do not split flows alike).
 */
static int group__write(struct xgwd *d, const struct xgwd_group *g)
{
	struct xgw_nhg_member m[XGWD_GROUP_MAX_NH];
	struct xgw_nh_group cur;
	unsigned int i;
	int ret;

	ret = xgw_nhg_read(&d->nh_table, g->id, &cur);
	if (ret)
		return ret;
	for (i = 0; i < g->n; i++) {
		const struct xgwd_nexthop *nh = nexthop__find(d, g->m[i].nh_id);

		m[i].nh_id = g->m[i].nh_id;
		m[i].weight = g->m[i].weight;
		m[i].usable = nh && nexthop__is_resolved(d, nh);
	}
	ret = xgw_nhg_fill(cur.bucket, m, g->n);
	while (!cur.seed && getrandom(&cur.seed, sizeof(cur.seed), 0) != sizeof(cur.seed))
		;
	if (ret >= 0)
		ret = xgw_nhg_write(&d->nh_table, g->id, cur.seed, cur.bucket);
	return ret < 0 ? ret : 0;
}

/* A freed group's buckets go empty, and its seed with them. */
static void group__clear(struct xgwd *d, __u32 id)
{
	__u16 bucket[XGW_NHG_BUCKETS] = {};

	xgw_nhg_write(&d->nh_table, id, 0, bucket);
}

/* Does the running datapath use group id (buckets not empty)? */
static bool group_is_in_map(struct xgwd *d, __u32 id)
{
	struct xgw_nh_group g;
	unsigned int b;

	if (xgw_nhg_read(&d->nh_table, id, &g))
		return false;
	for (b = 0; b < XGW_NHG_BUCKETS; b++)
		if (g.bucket[b])
			return true;
	return false;
}

unsigned int group__buckets(struct xgwd *d, __u32 id, __u32 nh_id)
{
	struct xgw_nh_group g;
	unsigned int b, n = 0;

	if (xgw_nhg_read(&d->nh_table, id, &g))
		return 0;
	for (b = 0; b < XGW_NHG_BUCKETS; b++)
		n += g.bucket[b] == nh_id;
	return n;
}

void group__sweep(struct xgwd *d)
{
	__u32 id;

	for (id = 1; id < XGWD_MAX_GROUPS; id++)
		if ((!d->groups || !d->groups[id].id) && group_is_in_map(d, id))
			group__clear(d, id);
}

static int member_cmp(const void *a, const void *b)
{
	const struct xgwd_group_member *x = a, *y = b;

	return x->nh_id < y->nh_id ? -1 : x->nh_id > y->nh_id;
}

static void group__put_members(struct xgwd *d, const struct xgwd_group *g)
{
	unsigned int i;

	for (i = 0; i < g->n; i++)
		nexthop__put(d, g->m[i].nh_id);
}

/* The members' next hops, referenced, sorted. */
static int group__members(struct xgwd *d, const struct group_nh *nh, unsigned int n,
			  struct xgwd_group *g, char *err, size_t errlen)
{
	unsigned int i;
	int ret;

	g->n = 0;
	for (i = 0; i < n; i++) {
		ret = nexthop__get(d, &nh[i].gw, nh[i].ifindex, &g->m[i].nh_id, err, errlen);
		if (ret) {
			group__put_members(d, g);
			return ret;
		}
		g->m[i].weight = nh[i].weight;
		g->n++;
	}
	qsort(g->m, g->n, sizeof(g->m[0]), member_cmp);
	for (i = 1; i < g->n; i++) {
		if (g->m[i].nh_id == g->m[i - 1].nh_id) {
			snprintf(err, errlen, "two next hops of the group are one (nh %u)",
				 g->m[i].nh_id);
			group__put_members(d, g);
			return -EINVAL;
		}
	}
	return 0;
}

static bool group_same(const struct xgwd_group *a, const struct xgwd_group *b)
{
	return a->n == b->n && !memcmp(a->m, b->m, a->n * sizeof(a->m[0]));
}

/* A free id for a new group: hint if free; while restoring over an adopted
 * datapath, not one it still uses (its routes are not restored yet). */
static __u32 group__free_id(struct xgwd *d, __u32 hint)
{
	bool avoid_live = d->adopted && d->restoring;
	__u32 i;

	if (hint && hint < XGWD_MAX_GROUPS && !d->groups[hint].id)
		return hint;
	for (i = 1; i < XGWD_MAX_GROUPS; i++)
		if (!d->groups[i].id && !(avoid_live && group_is_in_map(d, i)))
			return i;
	for (i = 1; i < XGWD_MAX_GROUPS; i++)
		if (!d->groups[i].id)
			return i;
	return 0;
}

int group__get(struct xgwd *d, const struct group_nh *nh, unsigned int n, __u32 hint,
	       __u32 *id, char *err, size_t errlen)
{
	struct xgwd_group g = {};
	__u32 i, new_id;
	int ret;

	if (n < 2 || n > XGWD_GROUP_MAX_NH) {
		snprintf(err, errlen, "a group has 2..%d next hops, not %u", XGWD_GROUP_MAX_NH, n);
		return -EINVAL;
	}
	if (!d->groups && !(d->groups = calloc(XGWD_MAX_GROUPS, sizeof(*d->groups))))
		return -ENOMEM;
	ret = group__members(d, nh, n, &g, err, errlen);
	if (ret)
		return ret;
	for (i = 1; i < XGWD_MAX_GROUPS; i++) {
		if (d->groups[i].id && group_same(&d->groups[i], &g)) {
			d->groups[i].refcnt++;
			group__put_members(d, &g);	/* the group holds them already */
			*id = i;
			return 0;
		}
	}
	new_id = group__free_id(d, hint);
	if (!new_id) {
		group__put_members(d, &g);
		snprintf(err, errlen, "next-hop group table full (%d)", XGWD_MAX_GROUPS - 1);
		return -ENOSPC;
	}
	g.id = new_id;
	g.refcnt = 1;
	d->groups[new_id] = g;
	ret = group__write(d, &d->groups[new_id]);
	if (ret) {
		memset(&d->groups[new_id], 0, sizeof(g));
		group__put_members(d, &g);
		snprintf(err, errlen, "cannot write next-hop group: %s", strerror(-ret));
		return ret;
	}
	*id = new_id;
	return 0;
}

void group__put(struct xgwd *d, __u32 id)
{
	struct xgwd_group *g = group__slot(d, id);

	if (!g || --g->refcnt)
		return;
	group__put_members(d, g);
	group__clear(d, id);
	memset(g, 0, sizeof(*g));
}

void group__nexthop_changed(struct xgwd *d, __u32 nh_id)
{
	__u32 i, j;

	for (i = 1; d->groups && i < XGWD_MAX_GROUPS; i++)
		for (j = 0; d->groups[i].id && j < d->groups[i].n; j++)
			if (d->groups[i].m[j].nh_id == nh_id) {
				group__write(d, &d->groups[i]);
				break;
			}
}

void group__free(struct xgwd *d)
{
	free(d->groups);
	d->groups = NULL;
}
