/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Stripping an IP-in-IP outer header, with no map: what the two backend-side
 * decapsulation programs share, xgw_decap (bpf/decap.h, in xgwd's object:
 * "ours" is a route lookup) and xgw_decap_only (bpf/decap_only.bpf.c, the
 * small object of xgw-decap: "ours" is its own address map).
 *
 * A tunnel packet is IPv4 protocol 4 or 41, or IPv6 next header 4 or 41
 * right after the fixed header, untagged, not a fragment. Its inner header
 * must be the promised IP version and complete, or the packet is malformed
 * (-XGW_DROP_DECAP). Popping keeps the Ethernet header and fixes its type.
 */
#ifndef XGW_TUNNEL_H
#define XGW_TUNNEL_H

#include "parse.h"

/* Inner IP version (4 or 6) of a tunnel packet we may strip, else 0. */
static __always_inline __u8 xgw_tunnel_inner(const struct xgw_pkt *pkt)
{
	if (pkt->vlan_depth || (pkt->flags & XGW_PKT_F_FRAG))
		return 0;
	if (pkt->proto == XGW_IPPROTO_IPIP)
		return 4;
	if (pkt->proto == XGW_IPPROTO_IPV6)
		return 6;
	return 0;
}

/* Outer header length to strip, 0 when it is not one to strip, or -reason. */
static __always_inline int xgw_tunnel_olen(struct xdp_md *ctx, const struct xgw_pkt *pkt,
					   __u8 inner_ver)
{
	struct xgw_cursor c = {
		.start = (void *)(long)ctx->data,
		.pos = (void *)(long)ctx->data + XGW_ETH_HLEN,
		.end = (void *)(long)ctx->data_end,
	};
	__u8 *o = xgw_cursor_pull(&c, 8), *in;
	__u32 olen;

	if (!o)
		return -XGW_DROP_DECAP;
	if (pkt->family == XGW_AF_INET) {
		olen = (o[0] & 0xf) * 4;
	} else {
		/* only a tunnel right after the fixed header: no ext headers */
		if (o[6] != pkt->proto)
			return 0;
		olen = XGW_IPV6_HLEN;
	}
	c.pos = (void *)o;
	if (!xgw_cursor_skip(&c, olen))
		return -XGW_DROP_DECAP;
	in = xgw_cursor_pull(&c, inner_ver == 4 ? XGW_IPV4_HLEN_MIN : XGW_IPV6_HLEN);
	if (!in || (*in >> 4) != inner_ver)
		return -XGW_DROP_DECAP;
	return olen;
}

/*
 * Remove olen bytes after the Ethernet header. 0, or -1 when the frame
 * could not be moved (it is as received), -2 when it is no longer whole.
 */
static __always_inline int xgw_tunnel_pop(struct xdp_md *ctx, __u32 olen, __u8 inner_ver)
{
	struct xgw_cursor c = {
		.start = (void *)(long)ctx->data,
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct ethhdr eth, *e = xgw_cursor_pull(&c, sizeof(*e));

	if (!e)
		return -1;
	eth = *e;
	if (bpf_xdp_adjust_head(ctx, olen))
		return -1;
	c.start = c.pos = (void *)(long)ctx->data;
	c.end = (void *)(long)ctx->data_end;
	e = xgw_cursor_pull(&c, sizeof(*e));
	if (!e)
		return -2;
	*e = eth;
	e->h_proto = bpf_htons(inner_ver == 4 ? XGW_ETH_P_IP : XGW_ETH_P_IPV6);
	return 0;
}

#endif /* XGW_TUNNEL_H */
