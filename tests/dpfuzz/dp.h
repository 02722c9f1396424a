/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The real datapath for dpfuzz: the xgw object loaded from its skeleton,
 * a configuration written into its maps as xgwd writes them (the FIBs
 * through common/fib.c over the mmapped maps, as tests/pkt does), one
 * frame run through BPF_PROG_TEST_RUN, counters summed.
 */
#ifndef XGW_DPFUZZ_DP_H
#define XGW_DPFUZZ_DP_H

#include "fz.h"

struct dp;

/*
 * Move into a network namespace of the process's own (it dies with the
 * process: nothing to clean up) with FZ_LINKS ingress links (loopback and
 * veths), and load the object (every program verified). NULL on failure,
 * said on stderr.
 */
struct dp *dp_open(void);
void dp_close(struct dp *d);
/* Write @c into the maps; 0 or -errno (said on stderr). */
int dp_apply(struct dp *d, const struct fz_cfg *c);
/* Write again the parts of @c a change touched (FZ_EV_*). */
int dp_update(struct dp *d, const struct fz_cfg *c, unsigned int what);
/*
 * Remove what dp_apply(@c) wrote, every connection-table and persistence
 * entry, and the xgw_ct_seen slots @seen[0..@nseen-1] (those the model set).
 */
int dp_clear(struct dp *d, const struct fz_cfg *c, const uint32_t *seen, unsigned int nseen);

struct dp_run {
	int err;		/* 0, or -errno of the syscall */
	uint32_t verdict;
	uint8_t out[FZ_OUT_MAX];
	uint32_t out_len;
};

/* Run @in as received on ingress link @link (0..FZ_LINKS-1). */
void dp_run(struct dp *d, const uint8_t *in, size_t len, int link, struct dp_run *r);
/* Counters, summed over CPUs: all of @c's kinds when @all, else only the reasons. */
int dp_counts(struct dp *d, struct fz_counts *c, bool all);
/* One reason's counter, summed over CPUs. */
int dp_count_reason(struct dp *d, uint32_t reason, struct xgw_counter *out);

#endif /* XGW_DPFUZZ_DP_H */
