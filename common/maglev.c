// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Maglev table builder. The paper fills round-robin, one slot per backend
 * per round; weights are honoured by giving each backend a credit of its
 * weight every round and letting it take one slot per max-weight of credit,
 * so over the table backends get slots in the ratio of their weights.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "lbhash.h"
#include "maglev.h"

struct maglev_perm {
	__u32 offset;
	__u32 skip;
	__u32 next;		/* how far along its permutation it is */
	__u32 credit;
	const struct maglev_backend *be;
};

bool maglev__is_prime(__u32 m)
{
	__u32 d;

	if (m < 2)
		return false;
	if (m % 2 == 0)
		return m == 2;
	for (d = 3; (__u64)d * d <= m; d += 2)
		if (m % d == 0)
			return false;
	return true;
}

static int maglev_addr_cmp(const struct xgw_addr *a, const struct xgw_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->a, b->a, sizeof(a->a));
}

static int maglev_perm_cmp(const void *x, const void *y)
{
	const struct maglev_perm *a = x, *b = y;

	return maglev_addr_cmp(&a->be->addr, &b->be->addr);
}

/* One slot for p: the next entry of its permutation not yet taken. */
static void maglev_take(struct maglev_perm *p, __u32 m, __u32 *table,
			__u8 *taken)
{
	__u32 slot;

	do {
		slot = (__u32)(((__u64)p->offset + (__u64)p->next * p->skip) % m);
		p->next++;
	} while (taken[slot]);
	taken[slot] = 1;
	table[slot] = p->be->id;
}

static void maglev_fill(struct maglev_perm *perm, size_t n, __u32 wmax,
			__u32 m, __u32 *table, __u8 *taken)
{
	__u32 filled = 0;
	size_t i;

	for (;;) {
		for (i = 0; i < n; i++) {
			perm[i].credit += perm[i].be->weight;
			while (perm[i].credit >= wmax) {
				perm[i].credit -= wmax;
				maglev_take(&perm[i], m, table, taken);
				if (++filled == m)
					return;
			}
		}
	}
}

int maglev__build(const struct maglev_backend *be, size_t n, __u32 m,
		  __u32 *table)
{
	struct maglev_perm *perm = NULL;
	__u8 *taken = NULL;
	__u32 wmax = 0;
	size_t i, k = 0;
	int err = 0;

	if (m < 3 || m > XGW_MAGLEV_MAX || !maglev__is_prime(m))
		return -EINVAL;
	memset(table, 0, (size_t)m * sizeof(*table));
	perm = calloc(n ? n : 1, sizeof(*perm));
	taken = calloc(m, 1);
	if (!perm || !taken) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (be[i].weight > XGW_WEIGHT_MAX) {
			err = -EINVAL;
			goto out;
		}
		if (!be[i].weight)
			continue;
		perm[k].be = &be[i];
		perm[k].offset = xgw_addr_hash(be[i].addr.a, be[i].addr.family,
					       XGW_HASH_SEED_OFFSET) % m;
		perm[k].skip = xgw_addr_hash(be[i].addr.a, be[i].addr.family,
					     XGW_HASH_SEED_SKIP) % (m - 1) + 1;
		if (be[i].weight > wmax)
			wmax = be[i].weight;
		k++;
	}
	qsort(perm, k, sizeof(*perm), maglev_perm_cmp);
	for (i = 1; i < k; i++) {
		if (!maglev_addr_cmp(&perm[i - 1].be->addr, &perm[i].be->addr)) {
			err = -EINVAL;
			goto out;
		}
	}
	if (k)
		maglev_fill(perm, k, wmax, m, table, taken);
out:
	free(taken);
	free(perm);
	return err;
}
