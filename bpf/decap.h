/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Backend-side decapsulation, for hosts behind an ipip service (this kernel
 * has no ipip module). Attached with `xgwctl link attach DEV decap`.
 *
 * An IPv4 (protocol 4 or 41) or IPv6 (next header 4 or 41) packet whose
 * outer destination is one of this host's addresses (a LOCAL entry in the
 * host map, which xgwd keeps from the kernel's addresses) loses its outer
 * header and is passed to the stack as the inner packet, Ethernet type
 * fixed. Everything else passes untouched. A tunnel packet for us whose
 * inner header is not the promised IP version, or is truncated, is dropped
 * and counted (decap_failed). Outer fragments pass: the kernel reassembles
 * nothing for a protocol it does not know, but that is not ours to guess.
 * Untagged Ethernet only.
 */
#ifndef XGW_DECAP_H
#define XGW_DECAP_H

#include "parse.h"
#include "route.h"
#include "stats.h"
#include "tunnel.h"

static __always_inline bool xgw_decap_is_local(const struct xgw_pkt *pkt)
{
	struct xgw_route r4, *rt = xgw_route_lookup(pkt, &r4);

	return rt && (rt->flags & XGW_RT_F_OWN);
}

/* Outer header length to strip, 0 for "not ours", or -reason. */
static __always_inline int xgw_decap_outer(struct xdp_md *ctx, struct xgw_pkt *pkt,
					   __u8 *inner_ver)
{
	*inner_ver = xgw_tunnel_inner(pkt);
	if (!*inner_ver || !xgw_decap_is_local(pkt))
		return 0;
	return xgw_tunnel_olen(ctx, pkt, *inner_ver);
}

SEC("xdp")
int xgw_decap(struct xdp_md *ctx)
{
	struct xgw_pkt pkt = { .frame_len = ctx->data_end - ctx->data };
	__u8 inner_ver = 0;
	int olen;

	if (xgw_parse(ctx, &pkt) < 0)
		return XGW_XDP_PASS;
	olen = xgw_decap_outer(ctx, &pkt, &inner_ver);
	if (olen < 0) {
		xgw_counter_add(&xgw_stats, -olen, pkt.frame_len);
		return XGW_XDP_DROP;
	}
	if (!olen)
		return XGW_XDP_PASS;
	return xgw_tunnel_pop(ctx, olen, inner_ver) == -2 ? XGW_XDP_DROP : XGW_XDP_PASS;
}

#endif /* XGW_DECAP_H */
