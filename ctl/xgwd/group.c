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
#include "group.h"
#include "nexthop.h"

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

/* The datapath's copy of g. router-dp defines the group map and its
 * resilient bucket filler; until then the route entry of a multipath route
 * hands its packets to the kernel (entry.c) and there is nothing to write. */
static int group__write(struct xgwd *d, const struct xgwd_group *g)
{
	(void)d;
	(void)g;
	return 0;
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

int group__get(struct xgwd *d, const struct group_nh *nh, unsigned int n,
	       __u32 *id, char *err, size_t errlen)
{
	struct xgwd_group g = {};
	__u32 i, free_id = 0;
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
		if (!d->groups[i].id && !free_id)
			free_id = i;
	}
	if (!free_id) {
		group__put_members(d, &g);
		snprintf(err, errlen, "next-hop group table full (%d)", XGWD_MAX_GROUPS - 1);
		return -ENOSPC;
	}
	g.id = free_id;
	g.refcnt = 1;
	d->groups[free_id] = g;
	ret = group__write(d, &d->groups[free_id]);
	if (ret) {
		memset(&d->groups[free_id], 0, sizeof(g));
		group__put_members(d, &g);
		snprintf(err, errlen, "cannot write next-hop group: %s", strerror(-ret));
		return ret;
	}
	*id = free_id;
	return 0;
}

void group__put(struct xgwd *d, __u32 id)
{
	struct xgwd_group *g = group__slot(d, id);

	if (!g || --g->refcnt)
		return;
	group__put_members(d, g);
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
