/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the datapath holds for each destination (entry.c): composed from
 * its sources (own address, route, on-link neighbour, VIP mark) and
 * written to the FIBs. The only part of xgwd that writes route entries:
 * the IPv4 FIB (common/fib4.h) and the IPv6 maps sit behind it.
 */
#ifndef XGWD_ENTRY_H
#define XGWD_ENTRY_H

#include "xgwd.h"

/* Make the datapath match the route table for dst (present or absent). */
int entry__sync(struct xgwd *d, const struct xgw_prefix *dst);
/* Write (or delete) a's host entry from its sources, strongest first:
 * own address, configured host route, on-link neighbour, VIP mark. */
int entry__sync_host(struct xgwd *d, const struct xgw_addr *a);
/* The next hop the adopted datapath uses for dst while restoring (keeps
 * ids stable across a restart), else 0. */
__u32 entry__adopted_nh(struct xgwd *d, const struct xgw_prefix *dst);
/* What the adopted datapath holds for exactly dst. 0 or -errno. */
int entry__adopted(struct xgwd *d, const struct xgw_prefix *dst, struct xgw_route *v);
/* ops-daemon (state.c): keep v for dst, which no route of the table has
 * (a state file line that failed at start), and take it away again. */
int entry__keep(struct xgwd *d, const struct xgw_prefix *dst, const struct xgw_route *v);
void entry__unkeep(struct xgwd *d, const struct xgw_prefix *dst);
/* One line for a failed write of dst; the IPv4 FIB's limit by name. */
void entry__errmsg(int err, const struct xgw_prefix *dst, const char *what,
		   char *buf, size_t len);
/*
 * After restoring over an adopted datapath: write the IPv4 FIB's deferred
 * changes in one pass, then forget the IPv6 entries no source wants any
 * more. 0 or -errno (the FIB could not be written: the datapath keeps what
 * it had, and the IPv6 maps are left as they were).
 */
int entry__commit(struct xgwd *d);

#endif /* XGWD_ENTRY_H */
