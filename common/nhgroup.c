// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Resilient buckets of a multipath group: see nhgroup.h. */
#include <errno.h>
#include <string.h>

#include "nhgroup.h"

static int nhg_check(const struct xgw_nhg_member *m, unsigned int n)
{
	unsigned int i, j;

	if (n > XGW_NHG_BUCKETS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!m[i].nh_id || m[i].nh_id >= XGW_MAX_NEXTHOPS || !m[i].weight ||
		    m[i].weight > XGW_NHG_BUCKETS)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (m[j].nh_id == m[i].nh_id)
				return -EINVAL;
	}
	return 0;
}

/*
 * Each eligible member's number of buckets: its weight's share of them,
 * rounded down, then one more for the largest remainders (earlier member
 * first on a tie) until all are given.
 */
static void nhg_targets(const struct xgw_nhg_member *m, unsigned int n, const bool *eligible,
			unsigned int *target)
{
	unsigned int rem[XGW_NHG_BUCKETS], i, left = XGW_NHG_BUCKETS;
	unsigned long w = 0;

	for (i = 0; i < n; i++)
		w += eligible[i] ? m[i].weight : 0;
	for (i = 0; i < n; i++) {
		unsigned long share = eligible[i] ? (unsigned long)XGW_NHG_BUCKETS * m[i].weight : 0;

		target[i] = share / w;
		rem[i] = share % w;
		left -= target[i];
	}
	while (left--) {
		unsigned int best = n;

		for (i = 0; i < n; i++)
			if (eligible[i] && (best == n || rem[i] > rem[best]))
				best = i;
		target[best]++;
		rem[best] = 0;
	}
}

static int nhg_member(const struct xgw_nhg_member *m, unsigned int n, __u16 nh_id)
{
	unsigned int i;

	for (i = 0; nh_id && i < n; i++)
		if (m[i].nh_id == nh_id)
			return i;
	return -1;
}

int xgw_nhg_fill(__u16 bucket[XGW_NHG_BUCKETS], const struct xgw_nhg_member *m, unsigned int n)
{
	unsigned int target[XGW_NHG_BUCKETS], cnt[XGW_NHG_BUCKETS] = { 0 };
	bool eligible[XGW_NHG_BUCKETS], any = false, freed[XGW_NHG_BUCKETS];
	unsigned int i, b;
	int changed = 0;

	if (nhg_check(m, n))
		return -EINVAL;
	if (!n) {
		for (b = 0; b < XGW_NHG_BUCKETS; b++) {
			changed += bucket[b] != 0;
			bucket[b] = 0;
		}
		return changed;
	}
	for (i = 0; i < n; i++)
		any |= m[i].usable;
	for (i = 0; i < n; i++)
		eligible[i] = !any || m[i].usable;
	nhg_targets(m, n, eligible, target);

	/* Keep every bucket whose member may still hold it, up to its share. */
	for (b = 0; b < XGW_NHG_BUCKETS; b++) {
		int k = nhg_member(m, n, bucket[b]);

		freed[b] = k < 0 || !eligible[k] || cnt[k] >= target[k];
		if (!freed[b])
			cnt[k]++;
	}
	/* The rest, in bucket order, to whoever is furthest below its share. */
	for (b = 0; b < XGW_NHG_BUCKETS; b++) {
		unsigned int best = n;

		if (!freed[b])
			continue;
		for (i = 0; i < n; i++)
			if (cnt[i] < target[i] &&
			    (best == n || target[i] - cnt[i] > target[best] - cnt[best]))
				best = i;
		cnt[best]++;
		changed += bucket[b] != m[best].nh_id;
		bucket[b] = m[best].nh_id;
	}
	return changed;
}
