/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the datapath holds for each destination (entry.c): composed from
 * its sources (own address, route, on-link neighbour, VIP mark) and
 * written to the FIBs. The only part of xgwd that writes route entries:
 * both families' FIBs (common/fib.h) sit behind it.
 */
#ifndef XGWD_ENTRY_H
#define XGWD_ENTRY_H

#include "xgwd.h"

/* Make the datapath match the route table for dst (present or absent). */
int entry__sync(struct xgwd *d, const struct xgw_prefix *dst);
/* Write (or delete) a's host entry from its sources, strongest first:
 * own address, configured host route, on-link neighbour, VIP mark. */
int entry__sync_host(struct xgwd *d, const struct xgw_addr *a);
/* The next hop (or, for a multipath entry, the group) the adopted datapath
 * uses for dst while restoring (keeps ids stable across a restart), else 0. */
__u32 entry__adopted_nh(struct xgwd *d, const struct xgw_prefix *dst);
/* What the adopted datapath holds for exactly dst. 0 or -errno. */
int entry__adopted(struct xgwd *d, const struct xgw_prefix *dst, struct xgw_route *v);
/* ops-daemon (state.c): keep v for dst, which no route of the table has
 * (a state file line that failed at start), and take it away again. */
int entry__keep(struct xgwd *d, const struct xgw_prefix *dst, const struct xgw_route *v);
void entry__unkeep(struct xgwd *d, const struct xgw_prefix *dst);
/* One line for a failed write of dst; a full FIB's limit by name. */
void entry__errmsg(struct xgwd *d, int err, const struct xgw_prefix *dst, const char *what,
		   char *buf, size_t len);
/*
 * A batch of commands: FIB changes from entry__begin() on are written
 * together by entry__end() (each chunk once). entry__end() returns 0, or
 * -errno with a line in err, nothing written and the batch still open:
 * undo the commands, then entry__end() again.
 */
void entry__begin(struct xgwd *d);
int entry__end(struct xgwd *d, char *err, size_t errlen);
/*
 * After restoring over an adopted datapath: write both FIBs' replayed
 * route sets in one pass each (what the state file no longer has goes).
 * 0 or -errno (a FIB could not be written: the datapath keeps what it had).
 */
int entry__commit(struct xgwd *d);

#endif /* XGWD_ENTRY_H */
