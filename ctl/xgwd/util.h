/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small helpers of xgwd's own files (util.c). */
#ifndef XGWD_UTIL_H
#define XGWD_UTIL_H

/* Create the directories above path (not path itself). 0 or -errno. */
int xgw_mkdir_parent(const char *path);
/* CLOCK_MONOTONIC in milliseconds. */
long long xgw_now_ms(void);

#endif /* XGWD_UTIL_H */
