/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016): a lookup table of
 * M slots (M prime) in which every backend owns a share proportional to its
 * weight, and which changes little when a backend comes or goes.
 *
 * Deterministic across hosts: each backend's permutation comes from hashes
 * of its ADDRESS (common/lbhash.h, fixed seeds), and backends are filled in
 * address order, so the same set of (address, weight) yields the same table
 * whatever the insertion order and wherever it is built.
 */
#ifndef XGW_MAGLEV_H
#define XGW_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include "addr.h"
#include "cmd.h"
#include "xgw_shared.h"

struct maglev_backend {
	struct xgw_addr addr;	/* identity: what the permutation hashes */
	__u32 weight;		/* 0 = not in the table */
	__u32 id;		/* value stored in the table's slots */
};

bool maglev__is_prime(__u32 m);

/*
 * Fill table[0..m-1] with backend ids. m must be a prime in
 * [3, XGW_MAGLEV_MAX]. With no backend of non-zero weight every slot is 0
 * (no backend). Returns 0, -EINVAL (m not prime, two backends with one
 * address, weight above XGW_WEIGHT_MAX) or -ENOMEM. be[] is not modified.
 */
int maglev__build(const struct maglev_backend *be, size_t n, __u32 m,
		  __u32 *table);

#endif /* XGW_MAGLEV_H */
