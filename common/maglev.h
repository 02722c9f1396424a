/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016): a lookup table of
 * M slots (M prime) in which every backend owns a share proportional to its
 * weight, and which changes little when a backend comes or goes.
 *
 * Deterministic across hosts: each backend's permutation comes from hashes
 * of its address and port (common/lbhash.h, fixed seeds), and backends are
 * filled in (address, port) order, so the same set of (address, port,
 * weight) yields the same table whatever the insertion order and whatever
 * ids a gateway gave its backends.
 *
 * What two gateways can compare is the canonical form of a table: its
 * backends in (family, address, port) order, and each slot as the rank of
 * its backend in that order (ids are local to one daemon). Its digest is a
 * 64-bit FNV-1a over a fixed byte encoding of it (maglev__digest()).
 */
#ifndef XGW_MAGLEV_H
#define XGW_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include "addr.h"
#include "cmd.h"
#include "xgw_shared.h"

struct maglev_backend {
	struct xgw_addr addr;	/* identity, with port: what the permutation hashes */
	__u16 port;		/* 0: the service's own port */
	__u32 weight;		/* 0 = not in the table */
	__u32 id;		/* value stored in the table's slots */
};

#define MAGLEV_RANK_EMPTY	0xffffffffu	/* canonical slot: no backend */
#define MAGLEV_RANK_UNKNOWN	0xfffffffeu	/* canonical slot: an id not listed */

bool maglev__is_prime(__u32 m);

/*
 * Fill table[0..m-1] with backend ids. m must be a prime in
 * [3, XGW_MAGLEV_MAX]. With no backend of non-zero weight every slot is 0
 * (no backend). Returns 0, -EINVAL (m not prime, two backends with one
 * address, weight above XGW_WEIGHT_MAX) or -ENOMEM. be[] is not modified.
 */
int maglev__build(const struct maglev_backend *be, size_t n, __u32 m,
		  __u32 *table);

/* Order of the canonical form: family, address bytes, port. */
int maglev__cmp(const struct maglev_backend *a, const struct maglev_backend *b);
void maglev__sort(struct maglev_backend *be, size_t n);

/*
 * Canonical form of table[0..m-1] (backend ids) over the backends be[0..n-1]
 * sorted by maglev__sort(): rank[slot] = index in be[] of the slot's
 * backend, MAGLEV_RANK_EMPTY for id 0, MAGLEV_RANK_UNKNOWN for an id not in
 * be[]. 0 or -ENOMEM.
 */
int maglev__canonical(const struct maglev_backend *be, size_t n, const __u32 *table,
		      __u32 m, __u32 *rank);

/*
 * Digest of a canonical form: FNV-1a 64 over "xgw-maglev-1", m and n (big
 * endian u32), each backend (family u8, address 16 bytes, port u16 BE,
 * weight u32 BE) and each slot's rank (u32 BE). The same on every host.
 */
__u64 maglev__digest(const struct maglev_backend *be, size_t n, const __u32 *rank,
		     __u32 m);

#endif /* XGW_MAGLEV_H */
