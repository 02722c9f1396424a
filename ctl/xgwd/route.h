/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The `route` object (route.c): commands on the route table, VIP marks,
 * and the sweep after a restore. The top of the route-table layer. */
#ifndef XGWD_ROUTE_H
#define XGWD_ROUTE_H

#include "xgwd.h"

struct xgwd_route;

int route__apply(struct xgwd *d, const struct xgw_cmd *c,
		 struct xgwd_undo *undo, char *err, size_t errlen);
int route__check(struct xgwd *d, const struct xgw_cmd *c, char *err, size_t errlen);
/* Indexes of d->routes in canonical order (family, address, length);
 * caller frees. NULL with routes.n == 0 or on ENOMEM. */
size_t *route__sorted(struct xgwd *d);
void route__to_cmd(const struct xgwd_route *r, enum xgw_verb verb, struct xgw_cmd *c);
/*
 * Mark or unmark addr as a VIP in its host entry (XGW_RT_F_VIP), keeping
 * whatever route/local entry it has; an entry created only for the VIP gets
 * action XGW_RT_NONE (a mark over the route beneath) and goes away on the
 * last unmark. Reference counted.
 */
int route__set_vip(struct xgwd *d, const struct xgw_addr *vip, bool on);
/*
 * After restoring over an adopted datapath: write both FIBs' replayed
 * route sets in one pass each (entry__commit()): what the state file and
 * the kernel's addresses no longer want goes. 0 or -errno (a FIB could not
 * be written: the datapath keeps what it had).
 */
int route__sweep(struct xgwd *d);

#endif /* XGWD_ROUTE_H */
