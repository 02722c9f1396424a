/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Counters, the latency histogram and `set` settings (stats.c). */
#ifndef XGWD_STATS_H
#define XGWD_STATS_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "xgw_shared.h"

struct xgwd;
struct xgwd_undo;
struct xgw_cmd;

int stats__apply(struct xgwd *d, const struct xgw_cmd *c,
		 char *err, size_t errlen);
int settings__apply(struct xgwd *d, const struct xgw_cmd *c,
		    struct xgwd_undo *undo, char *err, size_t errlen);
int settings__save(struct xgwd *d, FILE *f);
/* Sum n_keys per-CPU struct xgw_counter entries of map fd. */
int stats__read(int fd, __u32 n_keys, struct xgw_counter *out);
int stats__latency(struct xgwd *d, struct xgw_latency *out);
/* Estimated percentile p (0..1) of a log2(ns) histogram, in ns. */
double stats__percentile(const __u64 *bucket, int n, double p);
double stats__bucket_hi(int i);

#endif /* XGWD_STATS_H */
