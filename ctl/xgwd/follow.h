/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Following kernel routing tables (follow.c): `route follow table T
 * [proto P]` makes every route of that table (of that protocol) an xgw
 * route, kept current from the kernel's route events. Own routes win over
 * followed ones for the same prefix (rtable.h).
 */
#ifndef XGWD_FOLLOW_H
#define XGWD_FOLLOW_H

#include <stdio.h>
#include "xgwd.h"

struct kernel_route;

/* route follow / unfollow / follow show. */
int follow__apply(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		  char *err, size_t errlen);
/* A route of some kernel table appeared, changed or went away. */
void follow__route(struct xgwd *d, const struct kernel_route *kr);
/* After lost events the kernel's routes are replayed: done false before,
 * true after (followed routes the replay did not bring are forgotten). */
void follow__resync(struct xgwd *d, bool done);
/* A link was attached or detached: routes through it change their path. */
void follow__link(struct xgwd *d, int ifindex);
/* The follow lines of the state file. */
int follow__save(struct xgwd *d, FILE *f);
/* Prometheus text: routes followed per follow line, routes not taken. */
void follow__metrics(struct xgwd *d, FILE *f);
/* At exit: free memory only, the datapath keeps forwarding. */
void follow__close(struct xgwd *d);

#endif /* XGWD_FOLLOW_H */
