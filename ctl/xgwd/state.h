/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Applying commands, all-or-nothing batches, and the state file (state.c). */
#ifndef XGWD_STATE_H
#define XGWD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct xgwd;
struct xgwd_undo;
struct xgw_cmd;

int state__load(struct xgwd *d, const char *path);
int state__write(struct xgwd *d, FILE *f);
/* Rewrite the state file now (lb.c: after a change made outside a request). */
int state__save(struct xgwd *d);
int xgwd__apply(struct xgwd *d, const struct xgw_cmd *c,
		struct xgwd_undo *undo, char *err, size_t errlen);
int xgwd__batch(struct xgwd *d, char *text, char *err, size_t errlen);
/* One transaction of command lines; writes need may_write (peer creds). */
int xgwd__run(struct xgwd *d, char *text, bool may_write, bool numbered,
	      char *err, size_t errlen);

#endif /* XGWD_STATE_H */
