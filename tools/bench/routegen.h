/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Route sets for the benchmarks, reproducible from a seed: the same call
 * gives the same prefixes in xgw's FIB, in the kernel's (`ip -batch`) and
 * in an `xgwctl -batch` file, and destinations inside them.
 *
 * Distributions (every prefix distinct, none overlapping 10.200.0.0/16 or
 * fd00:99::/32, the benchmarks' target):
 *  - uniform: IPv4 /16-/24 in 11/8-223/8 (never 127/8), lengths equally
 *    likely; IPv6 /32-/48 in 2000::/3.
 *  - real: IPv4 lengths as in the global table (per 1000: 557 /24, 103 /23,
 *    102 /22, 71 /21, 51 /20, 39 /19, 29 /18, 19 /17, 29 /16), anywhere in
 *    1/8-223/8 but 10/8 and 127/8, overlapping freely. IPv6 as allocated by
 *    the registries: /29 and /32 blocks in 2001::/16, 2400::/12, 2600::/12,
 *    2800::/12, 2a00::/12 and 2c00::/12, longer prefixes mostly inside
 *    those (per 1000: 40 /29, 180 /32, 30 /36, 60 /40, 60 /44, 480 /48, 20
 *    /56, 80 /64, 50 /128).
 */
#ifndef XGW_ROUTEGEN_H
#define XGW_ROUTEGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum routegen_dist {
	ROUTEGEN_UNIFORM,
	ROUTEGEN_REAL,
};

struct routegen_pfx {
	__be32 addr[4];		/* IPv4: addr[0] */
	__u8 len;
};

/*
 * @n distinct prefixes of @dist into @out (caller frees), the same for the
 * same arguments. Returns 0 or -ENOMEM.
 */
int routegen(bool v6, enum routegen_dist dist, size_t n, struct routegen_pfx **out);

/* An address inside @p, picked by @seed (the same for the same seed). */
void routegen_inside(bool v6, const struct routegen_pfx *p, __u64 seed, __be32 addr[4]);

/* "uniform" or "real" -> 0 and *d; -EINVAL otherwise. */
int routegen_dist_parse(const char *s, enum routegen_dist *d);

#endif /* XGW_ROUTEGEN_H */
