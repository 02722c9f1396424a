/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small helpers of xgwd's own files (util.c). */
#ifndef XGWD_UTIL_H
#define XGWD_UTIL_H

#include <linux/types.h>

/* Create the directories above path (not path itself). 0 or -errno. */
int xgw_mkdir_parent(const char *path);
/* CLOCK_MONOTONIC in milliseconds. */
long long xgw_now_ms(void);

/*
 * Every entry of a hash map, fn(key, value, arg) for each (fn may be NULL:
 * count only), with bpf_map_lookup_batch(): thousands of entries per
 * syscall, not one or two each. A map without batch operations is walked
 * key by key. Returns the entries seen, or -errno.
 */
typedef void (*xgw_map_fn)(const void *key, const void *value, void *arg);
long xgw_map_walk(int fd, __u32 key_size, __u32 value_size, xgw_map_fn fn, void *arg);

#endif /* XGWD_UTIL_H */
