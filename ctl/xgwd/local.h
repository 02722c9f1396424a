/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The gateway's own addresses, as the kernel reports them (local.c). */
#ifndef XGWD_LOCAL_H
#define XGWD_LOCAL_H

#include "xgwd.h"

/* One of the gateway's own addresses: a LOCAL host entry flagged
 * XGW_RT_F_OWN (entry.c writes it). */
struct xgwd_local {
	struct xgw_addr addr;
	int ifindex;
	__u8 prefixlen;
};

/* The address a (on ifindex; 0: any device), its index in *idx. */
struct xgwd_local *local__find(struct xgwd *d, const struct xgw_addr *a,
			       int ifindex, size_t *idx);
/* Record an address: 1 when it is new (its host entry must follow), 0 when
 * only its prefix length changed, -ENOMEM. */
int local__add(struct xgwd *d, const struct xgw_addr *a, int ifindex, __u8 plen);
/* Forget an address: 1 when it was known, else 0. */
int local__del(struct xgwd *d, const struct xgw_addr *a, int ifindex);
/* A local address of the given family (for ipip outer sources), preferably
 * one whose subnet holds near; -ENOENT. */
int local__pick(struct xgwd *d, int family, const struct xgw_addr *near,
		struct xgw_addr *out);
/* The attached link whose connected subnet holds a: its ifindex, or 0. */
int local__subnet_link(struct xgwd *d, const struct xgw_addr *a);

#endif /* XGWD_LOCAL_H */
