/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Route lookup (the FIB, bpf/fib_lookup.h) and forwarding to a next hop.
 * The load balancer forwards through xgw_forward() too, so there is one
 * place that rewrites L2, decrements TTL and redirects.
 */
#ifndef XGW_ROUTE_H
#define XGW_ROUTE_H

#include "maps.h"
#include "parse.h"
#include "icmp.h"
#include "nhgroup.h"

#include "fib_lookup.h"

/*
 * Keep a map lookup at its own call site. clang merges the IPv4 and IPv6
 * lookups below into one call with the map chosen at run time; the verifier
 * can then neither inline the lookup nor call the map's own function, and
 * every packet pays the generic helper's indirect call (about 15 ns with
 * retpolines). An empty asm that takes the result stops the merge.
 */
#define xgw_lookup_barrier(v) asm volatile("" : "+r"(v))

/*
 * The route of IPv4 @dst, NULL for none (bpf/fib_lookup.h): host routes,
 * own addresses, VIP marks and prefixes are one table, so the answer is
 * already the longest match, a VIP mark's flag over the route beneath it
 * (action XGW_RT_NONE only where there is no route beneath).
 */
static __always_inline struct xgw_route *xgw_route_lookup4(__be32 dst, struct xgw_route *buf)
{
	__u32 e = xgw_fib4_find(dst);

	if (!e)
		return NULL;
	xgw_fib_unpack(e, buf);
	return buf;
}

/* The same for IPv6 @dst (four words, network order). */
static __always_inline struct xgw_route *xgw_route_lookup6(const __be32 *dst,
							   struct xgw_route *buf)
{
	__u32 e = xgw_fib6_find(dst);

	if (!e)
		return NULL;
	xgw_fib_unpack(e, buf);
	return buf;
}

/* The route of @pkt's destination, for either family, in @buf. */
static __always_inline struct xgw_route *xgw_route_lookup(const struct xgw_pkt *pkt,
							  struct xgw_route *buf)
{
	if (pkt->family == XGW_AF_INET)
		return xgw_route_lookup4(pkt->dst[0], buf);
	return xgw_route_lookup6(pkt->dst, buf);
}

/*
 * The version of next hop @nh_id the datapath uses now (struct xgw_nh_slot:
 * the selector and both versions share one cache line). NULL: no such id.
 */
static __always_inline struct xgw_nexthop *xgw_nexthop_get(__u32 nh_id)
{
	struct xgw_nh_slot *s = bpf_map_lookup_elem(&xgw_nexthops, &nh_id);

	if (!s)
		return NULL;
	return &s->v[*(volatile __u32 *)&s->gen & 1];
}

static __always_inline bool xgw_nh_is_resolved(const struct xgw_nexthop *nh)
{
	return nh && (nh->flags & XGW_NH_F_RESOLVED);
}

/*
 * Multipath group @group, and in *b the bucket a flow of hash @h
 * (xgw_mp_hash4/6) takes in it. NULL: no such group.
 */
static __always_inline struct xgw_nh_group *xgw_mp_group(__u32 group, __u32 h, __u32 *b)
{
	struct xgw_nh_group *g;

	/* the hash before the lookup: one register across the call rather
	 * than its inputs spilled to the stack */
	xgw_lookup_barrier(h);
	g = bpf_map_lookup_elem(&xgw_nh_groups, &group);
	xgw_lookup_barrier(g);
	if (!g)
		return NULL;
	*b = xgw_mp_bucket(h, g->seed);
	return g;
}

/*
 * The next hop in the bucket of a flow of hash @h in group @group, resolved
 * or not, its id in *nh_id; NULL: no such group. xgw_fast4()'s: a member
 * that is not resolved leaves the packet to xgw_mp_pick().
 */
static __always_inline struct xgw_nexthop *xgw_mp_first(__u32 group, __u32 h, __u32 *nh_id)
{
	struct xgw_nh_group *g;
	__u32 b;

	g = xgw_mp_group(group, h, &b);
	if (!g)
		return NULL;
	*nh_id = g->bucket[b & (XGW_NHG_BUCKETS - 1)];
	return xgw_nexthop_get(*nh_id);
}

/*
 * The member of multipath group @group a flow of hash @h takes: its
 * bucket's next hop, or, when that one is not resolved, the next resolved
 * one of the following XGW_NHG_PROBE buckets (only the unresolved member's
 * flows move), else the bucket's own (the caller finds it unresolved).
 * *nh_id is set to the member's id. NULL: no such group.
 */
static __always_inline struct xgw_nexthop *xgw_mp_pick(__u32 group, __u32 h, __u32 *nh_id)
{
	struct xgw_nexthop *nh, *first;
	struct xgw_nh_group *g;
	__u32 b, id;
	int i;

	g = xgw_mp_group(group, h, &b);
	if (!g)
		return NULL;
	*nh_id = g->bucket[b & (XGW_NHG_BUCKETS - 1)];
	first = xgw_nexthop_get(*nh_id);
	if (xgw_nh_is_resolved(first))
		return first;
#pragma unroll
	for (i = 1; i <= XGW_NHG_PROBE; i++) {
		id = g->bucket[(b + i) & (XGW_NHG_BUCKETS - 1)];
		nh = xgw_nexthop_get(id);
		if (xgw_nh_is_resolved(nh)) {
			*nh_id = id;
			return nh;
		}
	}
	return first;
}

/* The multipath hash of a parsed packet (nhgroup.h: ports 0 for fragments). */
static __always_inline __u32 xgw_pkt_mp_hash(const struct xgw_pkt *pkt)
{
	__u32 ports = 0;

	if ((pkt->flags & (XGW_PKT_F_L4 | XGW_PKT_F_FRAG)) == XGW_PKT_F_L4)
		ports = (__u32)pkt->sport | (__u32)pkt->dport << 16;
	if (pkt->family == XGW_AF_INET)
		return xgw_mp_hash4(pkt->src[0], pkt->dst[0], ports, pkt->proto);
	return xgw_mp_hash6(pkt->src, pkt->dst, ports, pkt->proto);
}

/* The next hop's MACs over the frame's: 8 + 4 bytes (unaligned is fine). */
static __always_inline void xgw_write_macs(void *eth, const struct xgw_nexthop *nh)
{
	*(__u64 *)eth = *(const __u64 *)nh->dmac;
	*(__u32 *)(eth + 8) = *(const __u32 *)(nh->dmac + 8);
}

/*
 * TTL - 1 (TTL >= 2 here: no borrow). TTL is the high byte of a 16-bit
 * word with the protocol: the word is updated in a register and stored
 * once (a byte store read back as a word stalls store forwarding). The sum
 * fell by 0x0100 so its complement, the checksum, rises by as much, with
 * end-around carry (RFC 1624; the kernel's ip_decrease_ttl()).
 */
static __always_inline void xgw_ttl_dec4(struct iphdr *iph)
{
	__u32 csum;

	*(__be16 *)&iph->ttl -= bpf_htons(0x0100);
	csum = (__u32)iph->check + bpf_htons(0x0100);
	iph->check = csum + (csum >= 0xffff);
}

/* Whether next hop @nh takes a packet of @ttl and @l3_len: XGW_FWD, or why not. */
static __always_inline enum xgw_reason xgw_nh_check(const struct xgw_nexthop *nh, __u8 ttl,
						    __u32 l3_len)
{
	if (!nh || !(nh->flags & XGW_NH_F_RESOLVED))
		return XGW_PASS_UNRESOLVED;
	if (ttl <= 1)
		return XGW_PASS_TTL;	/* time exceeded: xgw_icmp_error() */
	if (nh->mtu && l3_len > nh->mtu)
		return XGW_PASS_MTU;	/* too big: xgw_icmp_error(), or the kernel fragments */
	return XGW_FWD;
}

/*
 * Give the frame the L2 header of @nh (Ethernet, plus one 802.1Q tag when
 * nh->vlan is set), replacing whatever tags it came with, then decrement
 * TTL / hop limit. The IP header does not move in memory: only the frame's
 * start does, by bpf_xdp_adjust_head().
 */
static __always_inline int xgw_rewrite(struct xdp_md *ctx, struct xgw_pkt *pkt,
				       const struct xgw_nexthop *nh)
{
	__u16 eth_proto = pkt->family == XGW_AF_INET ? XGW_ETH_P_IP : XGW_ETH_P_IPV6;
	struct ethhdr *eth;
	void *data, *end, *l3;

	if (nh->vlan || pkt->l3_off != XGW_ETH_HLEN) {	/* the L2 header changes size */
		__u32 l2_len = nh->vlan ? XGW_ETH_HLEN + XGW_VLAN_HLEN : XGW_ETH_HLEN;
		int delta = (int)pkt->l3_off - (int)l2_len;

		if (delta && bpf_xdp_adjust_head(ctx, delta))
			return XGW_DROP_ENCAP;	/* no headroom for the tag */
		pkt->l3_off = l2_len;
	}
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;

	eth = data;
	if (nh->vlan) {
		struct xgw_vlan_hdr *vh = data + XGW_ETH_HLEN;

		if ((void *)(vh + 1) > end)
			return XGW_DROP_MALFORMED;
		eth->h_proto = bpf_htons(XGW_ETH_P_8021Q);
		vh->tci = bpf_htons(nh->vlan & XGW_VLAN_VID_MASK);
		vh->proto = bpf_htons(eth_proto);
		l3 = vh + 1;
	} else {
		if ((void *)(eth + 1) > end)
			return XGW_DROP_MALFORMED;
		eth->h_proto = bpf_htons(eth_proto);
		l3 = eth + 1;
	}
	xgw_write_macs(eth, nh);

	if (pkt->family == XGW_AF_INET) {
		struct iphdr *iph = l3;

		if ((void *)(iph + 1) > end)
			return XGW_DROP_MALFORMED;
		xgw_ttl_dec4(iph);
	} else {
		struct ipv6hdr *ip6h = l3;

		if ((void *)(ip6h + 1) > end)
			return XGW_DROP_MALFORMED;
		ip6h->hop_limit--;
	}
	return XGW_FWD;
}

/*
 * Forward @pkt to next hop @nh. Returns XGW_FWD with the redirect set up,
 * or the reason it cannot: every check runs before the frame is touched, so
 * a packet handed to the kernel (PASS_*) is exactly the one received. For
 * a TTL that expires or a packet too big for the egress MTU, pkt->mtu
 * keeps that MTU for the ICMP error xgw_xdp() answers with.
 *
 * Reads pkt->family, l3_off, l3_len and ttl, and the IP header at l3_off: a
 * caller that rewrote the frame (the load balancer's encapsulation) updates
 * them first. The load balancer counts a successful forward as XGW_FWD_LB.
 */
static __always_inline enum xgw_reason xgw_forward_nh(struct xdp_md *ctx, struct xgw_pkt *pkt,
						      struct xgw_nexthop *nh)
{
	enum xgw_reason reason = xgw_nh_check(nh, pkt->ttl, pkt->l3_len);

	if (reason != XGW_FWD || !nh) {
		if (nh)
			pkt->mtu = nh->mtu;
		return reason;
	}
	if (bpf_redirect_map(&xgw_tx_ports, nh->ifindex, 0) != XGW_XDP_REDIRECT)
		return XGW_PASS_NO_PORT;
	return xgw_rewrite(ctx, pkt, nh);
}

static __always_inline enum xgw_reason xgw_forward(struct xdp_md *ctx, struct xgw_pkt *pkt,
						   __u32 nh_id)
{
	return xgw_forward_nh(ctx, pkt, xgw_nexthop_get(nh_id));
}

#endif /* XGW_ROUTE_H */
