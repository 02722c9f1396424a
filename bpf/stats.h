/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one accounting path. Every packet leaves xgw_xdp through xgw_account():
 * it counts the packet under its reason (and its next hop when forwarded),
 * closes the latency sample, and turns the reason's class into the verdict,
 * so a counter can never disagree with what happened to the packet.
 *
 * Cost on the fast path: the sampler's per-CPU countdown at entry and the
 * xgw_stats lookup at exit (array lookups, inlined by the verifier);
 * bpf_ktime_get_ns() only on the sampled packet, one in
 * xgw_config.latency_sample.
 */
#ifndef XGW_STATS_H
#define XGW_STATS_H

#include "maps.h"
#include "parse.h"

#define XGW_VERDICT_FWD		XGW_XDP_REDIRECT
#define XGW_VERDICT_PASS	XGW_XDP_PASS
#define XGW_VERDICT_DROP	XGW_XDP_DROP
#define XGW_VERDICT_TX		XGW_XDP_TX
#define XGW_VERDICT_ERROR	XGW_XDP_ABORTED	/* never an exit reason */

/*
 * One bit per reason and class, built from the reasons table at compile
 * time: the verdict is a shift and a test rather than a chain of compares.
 */
#define XGW_X_MASK(id, cls, name, help) \
	| (XGW_CLASS_##cls == XGW_MASK_CLASS ? 1ULL << XGW_##id : 0)
#define XGW_MASK_CLASS XGW_CLASS_FWD
static const __u64 xgw_mask_fwd = 0 XGW_REASONS(XGW_X_MASK);
#undef XGW_MASK_CLASS
#define XGW_MASK_CLASS XGW_CLASS_PASS
static const __u64 xgw_mask_pass = 0 XGW_REASONS(XGW_X_MASK);
#undef XGW_MASK_CLASS
#define XGW_MASK_CLASS XGW_CLASS_DROP
static const __u64 xgw_mask_drop = 0 XGW_REASONS(XGW_X_MASK);
#undef XGW_MASK_CLASS
#define XGW_MASK_CLASS XGW_CLASS_TX
static const __u64 xgw_mask_tx = 0 XGW_REASONS(XGW_X_MASK);
#undef XGW_MASK_CLASS
#undef XGW_X_MASK
_Static_assert(XGW_REASON_MAX <= 64, "a reason's class is a bit in a __u64");

static __always_inline int xgw_reason_verdict(enum xgw_reason reason)
{
	if (reason >= XGW_REASON_MAX)
		return XGW_VERDICT_ERROR;
	if ((xgw_mask_fwd >> reason) & 1)
		return XGW_VERDICT_FWD;
	if ((xgw_mask_pass >> reason) & 1)
		return XGW_VERDICT_PASS;
	if ((xgw_mask_drop >> reason) & 1)
		return XGW_VERDICT_DROP;
	if ((xgw_mask_tx >> reason) & 1)
		return XGW_VERDICT_TX;
	return XGW_VERDICT_ERROR;
}

/*
 * Decide whether this packet is timed: a per-CPU countdown picks one packet
 * in N, so only that one pays for two bpf_ktime_get_ns() calls, and every
 * other packet one per-CPU decrement. At 0 it reads N from xgw_config;
 * sampling off (N = 0) is read again after XGW_LAT_RECHECK packets, or at
 * once when the control plane zeroes the countdowns with a new N.
 */
static __always_inline void xgw_latency_start(struct xgw_pkt *pkt)
{
	struct xgw_config *cfg;
	__u32 zero = 0, *left, n;

	pkt->t_start = 0;
	left = bpf_map_lookup_elem(&xgw_lat_left, &zero);
	if (!left)
		return;
	if (*left) {
		(*left)--;
		return;
	}
	cfg = bpf_map_lookup_elem(&xgw_config, &zero);
	n = cfg ? cfg->latency_sample : 0;
	if (!n) {
		*left = XGW_LAT_RECHECK;
		return;
	}
	*left = n - 1;
	pkt->t_start = bpf_ktime_get_ns();
}

/* Index of the highest set bit, counting from 1 (0 for 0): log2 bucket. */
static __always_inline __u32 xgw_fls64(__u64 x)
{
	__u32 r = 0;

	if (x >> 32) {
		x >>= 32;
		r += 32;
	}
	if (x >> 16) {
		x >>= 16;
		r += 16;
	}
	if (x >> 8) {
		x >>= 8;
		r += 8;
	}
	if (x >> 4) {
		x >>= 4;
		r += 4;
	}
	if (x >> 2) {
		x >>= 2;
		r += 2;
	}
	if (x >> 1) {
		x >>= 1;
		r += 1;
	}
	return r + (x != 0);
}

static __always_inline void xgw_latency_finish(__u64 t_start)
{
	struct xgw_latency *lat;
	__u32 zero = 0, b;
	__u64 ns;

	if (!t_start)
		return;
	ns = bpf_ktime_get_ns() - t_start;
	lat = bpf_map_lookup_elem(&xgw_latency, &zero);
	if (!lat)
		return;
	b = xgw_fls64(ns);
	if (b >= XGW_LAT_BUCKETS)
		b = XGW_LAT_BUCKETS - 1;
	lat->bucket[b]++;
	lat->count++;
	lat->sum_ns += ns;
}

static __always_inline void xgw_counter_add(void *map, __u32 key, __u32 bytes)
{
	struct xgw_counter *cnt = bpf_map_lookup_elem(map, &key);

	if (cnt) {
		cnt->packets++;
		cnt->bytes += bytes;
	}
}

/* A forward (XGW_FWD) of a frame of @frame_len to next hop @nh_id. */
static __always_inline int xgw_account_fwd(__u32 frame_len, __u32 nh_id, __u64 t_start)
{
	xgw_counter_add(&xgw_stats, XGW_FWD, frame_len);	/* constant keys */
	xgw_counter_add(&xgw_nh_stats, nh_id, frame_len);
	xgw_latency_finish(t_start);
	return XGW_VERDICT_FWD;
}

/*
 * Count @pkt under @reason (bytes: the frame as received) and, for a
 * forward, under next hop @nh_id; return the XDP verdict for @reason.
 * Call it exactly once per packet, as the program's return value.
 */
static __always_inline int xgw_account(const struct xgw_pkt *pkt, enum xgw_reason reason,
				       __u32 nh_id)
{
	int verdict;

	if (reason == XGW_FWD)	/* the common case */
		return xgw_account_fwd(pkt->frame_len, nh_id, pkt->t_start);
	verdict = xgw_reason_verdict(reason);
	xgw_counter_add(&xgw_stats, reason, pkt->frame_len);
	if (verdict == XGW_XDP_REDIRECT)
		xgw_counter_add(&xgw_nh_stats, nh_id, pkt->frame_len);
	xgw_latency_finish(pkt->t_start);
	return verdict;
}

#endif /* XGW_STATS_H */
