/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Neighbours inside on-link prefixes get host entries (onlink.c). */
#ifndef XGWD_ONLINK_H
#define XGWD_ONLINK_H

#include "xgwd.h"

struct kernel_neigh;

/* A neighbour appeared, changed or went away (mac NULL): the next hops
 * through it follow, and so does its on-link host entry. */
void onlink__neigh(struct xgwd *d, const struct kernel_neigh *n);
/* After on-link routes changed: drop what is no longer covered and learn
 * what the kernel already knows under the new ones. */
void onlink__refresh(struct xgwd *d);

#endif /* XGWD_ONLINK_H */
