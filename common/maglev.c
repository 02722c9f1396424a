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

int maglev__cmp(const struct maglev_backend *a, const struct maglev_backend *b)
{
	int r;

	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	r = memcmp(a->addr.a, b->addr.a, sizeof(a->addr.a));
	if (r)
		return r;
	return a->port == b->port ? 0 : a->port < b->port ? -1 : 1;
}

static int maglev_be_cmp(const void *x, const void *y)
{
	return maglev__cmp(x, y);
}

void maglev__sort(struct maglev_backend *be, size_t n)
{
	if (n)
		qsort(be, n, sizeof(*be), maglev_be_cmp);
}

static int maglev_perm_cmp(const void *x, const void *y)
{
	const struct maglev_perm *a = x, *b = y;

	return maglev__cmp(a->be, b->be);
}

/*
 * A backend's permutation seed: its address, then its port when it has
 * one of its own (port 0 keeps the address-only hash of earlier tables).
 */
static __u32 maglev_hash(const struct maglev_backend *be, __u32 seed)
{
	__u32 h = xgw_addr_hash(be->addr.a, be->addr.family, seed);

	return be->port ? xgw_hash_final(xgw_hash_mix(h, be->port), 2) : h;
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
		perm[k].offset = maglev_hash(&be[i], XGW_HASH_SEED_OFFSET) % m;
		perm[k].skip = maglev_hash(&be[i], XGW_HASH_SEED_SKIP) % (m - 1) + 1;
		if (be[i].weight > wmax)
			wmax = be[i].weight;
		k++;
	}
	qsort(perm, k, sizeof(*perm), maglev_perm_cmp);
	for (i = 1; i < k; i++) {
		if (!maglev__cmp(perm[i - 1].be, perm[i].be)) {
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

struct maglev_id_rank {
	__u32 id, rank;
};

static int maglev_id_cmp(const void *x, const void *y)
{
	const struct maglev_id_rank *a = x, *b = y;

	return a->id == b->id ? 0 : a->id < b->id ? -1 : 1;
}

int maglev__canonical(const struct maglev_backend *be, size_t n, const __u32 *table,
		      __u32 m, __u32 *rank)
{
	struct maglev_id_rank *ids = calloc(n ? n : 1, sizeof(*ids)), key, *hit;
	__u32 i;

	if (!ids)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		ids[i].id = be[i].id;
		ids[i].rank = i;
	}
	qsort(ids, n, sizeof(*ids), maglev_id_cmp);
	for (i = 0; i < m; i++) {
		if (!table[i]) {
			rank[i] = MAGLEV_RANK_EMPTY;
			continue;
		}
		key.id = table[i];
		hit = n ? bsearch(&key, ids, n, sizeof(*ids), maglev_id_cmp) : NULL;
		rank[i] = hit ? hit->rank : MAGLEV_RANK_UNKNOWN;
	}
	free(ids);
	return 0;
}

#define FNV64_OFFSET	0xcbf29ce484222325ULL
#define FNV64_PRIME	0x100000001b3ULL

static __u64 fnv_bytes(__u64 h, const void *p, size_t n)
{
	const __u8 *b = p;

	while (n--) {
		h ^= *b++;
		h *= FNV64_PRIME;
	}
	return h;
}

static __u64 fnv_be32(__u64 h, __u32 v)
{
	__u8 b[4] = { v >> 24, v >> 16, v >> 8, v };

	return fnv_bytes(h, b, sizeof(b));
}

__u64 maglev__digest(const struct maglev_backend *be, size_t n, const __u32 *rank,
		     __u32 m)
{
	static const char tag[] = "xgw-maglev-1";
	__u64 h = fnv_bytes(FNV64_OFFSET, tag, sizeof(tag) - 1);
	size_t i;

	h = fnv_be32(h, m);
	h = fnv_be32(h, n);
	for (i = 0; i < n; i++) {
		__u8 fam = be[i].addr.family, port[2] = { be[i].port >> 8, be[i].port };

		h = fnv_bytes(h, &fam, 1);
		h = fnv_bytes(h, be[i].addr.a, sizeof(be[i].addr.a));
		h = fnv_bytes(h, port, 2);
		h = fnv_be32(h, be[i].weight);
	}
	for (i = 0; i < m; i++)
		h = fnv_be32(h, rank[i]);
	return h;
}
