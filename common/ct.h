/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The connection table (xgw_conntrack, struct xgw_ct_entry) from userspace:
 * the datapath's clock, and the sweep that deletes what has expired. The
 * table is a hash, not an LRU, so nothing else ever removes an entry: xgwd
 * sweeps it periodically (ctl/xgwd/ctgc.c), and a NAT port is free again
 * only once the sweep has deleted its flow.
 */
#ifndef XGW_CT_USER_H
#define XGW_CT_USER_H

#include <linux/types.h>
#include "xgw_shared.h"

/* The datapath's clock: bpf/clock.bpf.c, loaded on its own. */
struct xgw_clock {
	struct clock_bpf *skel;
};

int xgw_clock_open(struct xgw_clock *c);
void xgw_clock_close(struct xgw_clock *c);
/* jiffies (what entries store, full 64 bits) and CLOCK_MONOTONIC ns, read together. */
int xgw_clock_now(const struct xgw_clock *c, __u64 *jiffies, __u64 *ns);
/*
 * The kernel's HZ, measured over @ms milliseconds (a jiffy either end: at
 * 250 and 1000 ms, 0.8%) and rounded to the nearest of 100, 250, 300 and
 * 1000 when within 3% of it, else of the other values Linux builds with.
 * 0 or -errno.
 */
int xgw_clock_hz(const struct xgw_clock *c, unsigned int ms, __u32 *hz);

/*
 * An entry is deleted once it has outlived its timeout by this much more:
 * a packet that refreshed it meanwhile is never raced by the sweep.
 */
#define XGW_CT_SWEEP_MARGIN_S	2

struct xgw_ct_sweep {
	__u64 entries;		/* entries looked at */
	__u64 deleted;		/* entries deleted */
	__u64 nat_flows;	/* of which NAT flows (both entries) */
	__u64 orphans;		/* NAT entries whose peer was gone */
};

/*
 * One pass over the connection table @fd at jiffies @now under settings
 * @cfg (NULL: defaults): deletes dsr/ipip entries that expired, NAT flows
 * whose two entries have both expired (the state and the newer time of the
 * pair count) and NAT entries whose peer is gone. Orig entries go before
 * their reply: the reply entry is what holds the port. 0 or -errno; @st
 * (may be NULL) gets the counts.
 */
int xgw_ct_sweep(int fd, const struct xgw_config *cfg, __u32 now, struct xgw_ct_sweep *st);

#endif /* XGW_CT_USER_H */
