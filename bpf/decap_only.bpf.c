// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgw_decap_only: the backend-side decapsulation program of xgw-decap
 * (ctl/xgw-decap), for backends behind an ipip service that run no xgwd.
 * Its own two small maps: the host's addresses (what "ours" means) and
 * per-CPU counters of what it saw; nothing of xgwd's object (FIB, services,
 * connection table) is loaded. The stripping itself is bpf/tunnel.h, shared
 * with xgwd's own decap program.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "xgw_shared.h"
#include "parse.h"
#include "tunnel.h"

char LICENSE[] SEC("license") = "GPL";

/* The host's own addresses, kept by xgw-decap from the kernel's. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct xgw_decap_addr_view);	/* bpftool: bytes (ops-package) */
	__type(value, __u8);
	__uint(max_entries, XGW_DECAP_ADDRS);
} xgw_decap_addrs SEC(".maps");

/* Packets and bytes per enum xgw_decap_stat, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xgw_counter);
	__uint(max_entries, XGW_DECAP_STAT_MAX);
} xgw_decap_stats SEC(".maps");

/* What to do with the frame and which counter says so; -1: pass, count other. */
static __always_inline int xgw_decap_only_do(struct xdp_md *ctx, struct xgw_pkt *pkt,
					     __u32 *stat)
{
	struct xgw_decap_addr k = {};
	__u8 inner;
	int olen;

	*stat = XGW_DECAP_OTHER;
	if (xgw_parse(ctx, pkt) < 0)
		return XGW_XDP_PASS;
	inner = xgw_tunnel_inner(pkt);
	if (!inner)
		return XGW_XDP_PASS;
	__builtin_memcpy(k.addr, pkt->dst, sizeof(k.addr));
	k.family = pkt->family;
	if (!bpf_map_lookup_elem(&xgw_decap_addrs, &k)) {
		*stat = XGW_DECAP_NOT_OURS;
		return XGW_XDP_PASS;
	}
	olen = xgw_tunnel_olen(ctx, pkt, inner);
	if (olen < 0) {
		*stat = XGW_DECAP_MALFORMED;
		return XGW_XDP_DROP;
	}
	if (!olen)
		return XGW_XDP_PASS;
	switch (xgw_tunnel_pop(ctx, olen, inner)) {
	case 0:
		*stat = XGW_DECAP_DONE;
		return XGW_XDP_PASS;
	case -2:
		*stat = XGW_DECAP_MALFORMED;
		return XGW_XDP_DROP;
	default:
		return XGW_XDP_PASS;
	}
}

SEC("xdp")
int xgw_decap_only(struct xdp_md *ctx)
{
	struct xgw_pkt pkt = { .frame_len = ctx->data_end - ctx->data };
	__u32 stat;
	int verdict = xgw_decap_only_do(ctx, &pkt, &stat);
	struct xgw_counter *c = bpf_map_lookup_elem(&xgw_decap_stats, &stat);

	if (c) {
		c->packets++;
		c->bytes += pkt.frame_len;
	}
	return verdict;
}
