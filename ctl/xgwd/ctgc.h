/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The connection table's sweeper: a thread of xgwd that deletes expired
 * entries of xgw_conntrack every CTGC_INTERVAL_MS (common/ct.c), and tells
 * the datapath the kernel's HZ (xgw_config.hz) once it has measured it
 * (only when the config has none: an adopted datapath keeps its own).
 * The table is a hash: without the sweep it fills, after which new dsr/ipip
 * flows go unlearnt (by Maglev alone) and new NAT flows are refused.
 */
#ifndef XGWD_CTGC_H
#define XGWD_CTGC_H

#include "xgwd.h"

#define CTGC_INTERVAL_MS	2000

/* Start the sweeper (d->lock held or not: it takes the lock only to set hz). */
int ctgc__start(struct xgwd *d);
/* Stop it; whether or not the caller holds d->lock. */
void ctgc__stop(struct xgwd *d);

#endif /* XGWD_CTGC_H */
