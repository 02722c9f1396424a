// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgw datapath entry points. The work lives in the headers, by role:
 * parse.h (headers -> struct xgw_pkt), route.h (lookup, forward), lb.h
 * (services), stats.h (the one accounting path), maps.h (every map).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "consts.h"
#include "maps.h"
#include "parse.h"
#include "stats.h"
#include "route.h"
#include "lb.h"
#include "decap.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Sources nobody may forward from: 0/8, 127/8, 224/4 and 255.255.255.255;
 * ::, ::1 and ff00::/8. The unspecified source to a multicast or broadcast
 * destination is legitimate on the link (DHCP discover, IPv6 DAD and MLD)
 * and goes on to be handed to the kernel.
 */
static __always_inline bool xgw_src_is_martian(const struct xgw_pkt *pkt, bool dst_link)
{
	if (pkt->family == XGW_AF_INET) {
		__u32 src = bpf_ntohl(pkt->src[0]);
		__u8 first = src >> 24;

		if (src == 0)
			return !dst_link;
		return first == 0 || first == 127 || (first & 0xf0) == 0xe0 ||
		       src == 0xffffffff;
	}
	if (pkt->src[0] == 0 && pkt->src[1] == 0 && pkt->src[2] == 0) {
		if (pkt->src[3] == 0)
			return !dst_link;
		if (pkt->src[3] == bpf_htonl(1))
			return true;
	}
	return (bpf_ntohl(pkt->src[0]) >> 24) == 0xff;
}

/* Destinations only the kernel handles: multicast, broadcast, fe80::/10. */
static __always_inline bool xgw_dst_is_link(const struct xgw_pkt *pkt)
{
	__u32 first = bpf_ntohl(pkt->dst[0]);

	if (pkt->family == XGW_AF_INET)
		return (first >> 28) == 0xe || first == 0xffffffff;
	return (first >> 24) == 0xff || (first >> 22) == (0xfe80 >> 6);
}

/*
 * An IPv6 link-local source must not leave its link (RFC 4291 2.5.6): such a
 * packet may reach the gateway itself, never a next hop.
 */
static __always_inline bool xgw_src_is_link_local6(const struct xgw_pkt *pkt)
{
	return pkt->family == XGW_AF_INET6 && (bpf_ntohl(pkt->src[0]) >> 22) == (0xfe80 >> 6);
}

static __always_inline bool xgw_is_nd(const struct xgw_pkt *pkt)
{
	return pkt->family == XGW_AF_INET6 && (pkt->flags & XGW_PKT_F_L4) &&
	       pkt->proto == XGW_IPPROTO_ICMPV6 &&
	       pkt->icmp_type >= XGW_ICMPV6_ND_FIRST && pkt->icmp_type <= XGW_ICMPV6_ND_LAST;
}

static __always_inline enum xgw_reason xgw_route_apply(struct xdp_md *ctx, struct xgw_pkt *pkt,
						       const struct xgw_route *rt, __u32 *nh_id)
{
	if (!rt)
		return XGW_PASS_NO_ROUTE;
	switch (rt->action) {
	case XGW_RT_NEXTHOP:
		if (xgw_src_is_link_local6(pkt))
			return XGW_DROP_MARTIAN;
		*nh_id = rt->nh_id;
		return xgw_forward(ctx, pkt, rt->nh_id);
	case XGW_RT_LOCAL:
		return XGW_PASS_LOCAL;
	case XGW_RT_BLACKHOLE:
		return XGW_DROP_BLACKHOLE;
	default:
		return XGW_PASS_NO_ROUTE;
	}
}

/*
 * A packet none of the checks in xgw_screen() can stop, told in a few
 * compares: almost every packet is one. IPv4 from 1/8..223/8 but 127/8 to
 * below 224/4; IPv6 not ICMPv6, from outside ::/32 and ff00::/8, to
 * outside ff00::/8 and fe80::/10.
 */
static __always_inline bool xgw_is_plain4(__u32 src, __u32 dst)	/* host order */
{
	return dst < 0xe0000000 && src - 0x01000000 < 0xdf000000 && (src >> 24) != 127;
}

static __always_inline bool xgw_is_plain(const struct xgw_pkt *pkt)
{
	__u32 src = bpf_ntohl(pkt->src[0]), dst = bpf_ntohl(pkt->dst[0]);

	if (pkt->family == XGW_AF_INET)
		return xgw_is_plain4(src, dst);
	return pkt->proto != XGW_IPPROTO_ICMPV6 && src && (src >> 24) != 0xff &&
	       (dst >> 24) != 0xff && (dst >> 22) != (0xfe80 >> 6);
}

/* Martian sources, neighbour discovery, link-scope destinations; XGW_FWD: none. */
static __always_inline enum xgw_reason xgw_screen(const struct xgw_pkt *pkt)
{
	bool dst_link = xgw_dst_is_link(pkt);

	if (xgw_src_is_martian(pkt, dst_link))
		return XGW_DROP_MARTIAN;
	if (xgw_is_nd(pkt))
		return XGW_PASS_ND;
	if (dst_link)
		return XGW_PASS_MCAST;
	return XGW_FWD;
}

/* What xgw_fast4() leaves the general path when it declines a packet. */
enum xgw_fast4_left {
	XGW_FAST4_NOTHING = -1,	/* not its kind of packet */
	XGW_FAST4_ROUTE = -2,	/* looked up: the route is in r4 */
	XGW_FAST4_NO_ROUTE = -3,	/* looked up: no route */
};

/*
 * The decision for a parsed IP packet; *nh_id is set for a forward. @r4
 * holds the IPv4 route when xgw_fast4() already looked it up (@left).
 */
static __always_inline enum xgw_reason xgw_decide(struct xdp_md *ctx, struct xgw_pkt *pkt,
						  __u32 *nh_id, struct xgw_route *r4, int left)
{
	struct xgw_route *rt;

	if (left == XGW_FAST4_ROUTE) {	/* a plain IPv4 packet, route known */
		rt = r4;
	} else if (left == XGW_FAST4_NO_ROUTE) {
		rt = NULL;
	} else {
		if (!xgw_is_plain(pkt)) {
			enum xgw_reason reason = xgw_screen(pkt);

			if (reason != XGW_FWD)
				return reason;
		}
		rt = xgw_route_lookup(pkt, r4);
	}
	if (rt && (rt->flags & XGW_RT_F_VIP)) {
		int ret = xgw_lb_handle(ctx, pkt, nh_id);

		if (ret >= 0)
			return ret;
	}
	return xgw_route_apply(ctx, pkt, rt, nh_id);
}

/*
 * The common packet on a straight line: untagged IPv4 TCP or UDP between
 * plain addresses (xgw_fast4_iph(), xgw_is_plain4()), whose route is a next
 * hop with no flag (no VIP), resolved, untagged, that takes its TTL and
 * size. The same checks, rewrite and accounting as xgw_parse() and
 * xgw_decide() by the same helpers, from registers instead of a struct
 * xgw_pkt: its stores and loads were ~3 ns of ~20. Returns the verdict,
 * or, with the frame untouched, what the general path can take over
 * (enum xgw_fast4_left: the route it found is in @r4).
 */
static __always_inline int xgw_fast4(struct xdp_md *ctx, __u64 t_start, struct xgw_route *r4)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct xgw_nexthop *nh;
	struct xgw_route *rt;
	struct iphdr *iph;
	__u32 tot_len;

	iph = xgw_fast4_iph(data, end, &tot_len);
	if (!iph || !xgw_is_plain4(bpf_ntohl(iph->saddr), bpf_ntohl(iph->daddr)))
		return XGW_FAST4_NOTHING;
	rt = xgw_route_lookup4(iph->daddr, r4);
	if (!rt)
		return XGW_FAST4_NO_ROUTE;
	if (rt->flags & XGW_RT_F_VIP) {	/* an established flow: lb.h */
		int ret = xgw_lb_fast4(ctx, iph, tot_len, t_start);

		return ret >= 0 ? ret : XGW_FAST4_ROUTE;
	}
	if (rt->action != XGW_RT_NEXTHOP || rt->flags)
		return XGW_FAST4_ROUTE;	/* local, blackhole: r4 says */
	nh = bpf_map_lookup_elem(&xgw_nexthops, &rt->nh_id);
	if (xgw_nh_check(nh, iph->ttl, tot_len) != XGW_FWD || !nh || nh->vlan)
		return XGW_FAST4_ROUTE;
	if (bpf_redirect_map(&xgw_tx_ports, nh->ifindex, 0) != XGW_XDP_REDIRECT)
		return XGW_FAST4_ROUTE;
	xgw_write_macs(data, nh);	/* untagged in and out: EtherType stays */
	xgw_ttl_dec4(iph);
	return xgw_account_fwd(end - data, rt->nh_id, t_start);
}

SEC("xdp")
int xgw_xdp(struct xdp_md *ctx)
{
	struct xgw_pkt pkt;	/* xgw_latency_start() and xgw_parse() fill it */
	struct xgw_route r4;
	__u32 nh_id = 0;
	int ret, left;

	xgw_latency_start(&pkt);
	left = xgw_fast4(ctx, pkt.t_start, &r4);
	if (left >= 0)
		return left;
	ret = xgw_parse(ctx, &pkt);
	if (ret < 0)
		return xgw_account(&pkt, -ret, 0);
	return xgw_account(&pkt, xgw_decide(ctx, &pkt, &nh_id, &r4, left), nh_id);
}

/* For veth peers: a redirect into a veth needs an XDP program on its peer. */
SEC("xdp")
int xgw_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XGW_XDP_PASS;
}

/* Events, not packets of ours: added to the reason's counter, no bytes. */
static __always_inline void xgw_count_event(enum xgw_reason reason, __u64 n)
{
	__u32 key = reason;
	struct xgw_counter *cnt = bpf_map_lookup_elem(&xgw_stats, &key);

	if (cnt)
		cnt->packets += n;
}

/* A redirect into xgw_tx_ports that failed after the program returned. */
SEC("tp_btf/xdp_redirect_err")
int BPF_PROG(xgw_trace_redirect_err, const struct net_device *dev, const struct bpf_prog *xdp,
	     const void *tgt, int err, enum bpf_map_type map_type, u32 map_id, u32 index)
{
	const struct bpf_map *ports = (const void *)&xgw_tx_ports;

	if (map_id == ports->id)
		xgw_count_event(XGW_ERR_REDIRECT, 1);
	return 0;
}

/* Frames an xgw egress port could not send (sent and failed in one batch). */
SEC("tp_btf/xdp_devmap_xmit")
int BPF_PROG(xgw_trace_devmap_xmit, const struct net_device *from_dev,
	     const struct net_device *to_dev, int sent, int drops, int err)
{
	__u32 ifindex = to_dev->ifindex;

	if (drops > 0 && bpf_map_lookup_elem(&xgw_tx_ports, &ifindex))
		xgw_count_event(XGW_ERR_XMIT, drops);
	return 0;
}
