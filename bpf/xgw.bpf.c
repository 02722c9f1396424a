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

/* IPv4-mapped IPv6 address, ::ffff:0:0/96 (RFC 4291 2.5.5.2). */
static __always_inline bool xgw_in6_is_v4mapped(const __be32 *a)
{
	return !a[0] && !a[1] && a[2] == bpf_htonl(0xffff);
}

/*
 * Sources nobody may forward from (RFC 6890, net/ipv4/route.c,
 * ip6_rcv_core()): 0/8, 127/8, 224/4 (multicast), 240/4 and
 * 255.255.255.255; ::, ::1, ::ffff:0:0/96 and ff00::/8. The unspecified
 * source to a multicast or broadcast destination is legitimate on the link
 * (DHCP discover, IPv6 DAD and MLD) and goes on to be handed to the kernel.
 */
static __always_inline bool xgw_src_is_martian(const struct xgw_pkt *pkt, bool dst_link)
{
	if (pkt->family == XGW_AF_INET) {
		__u32 src = bpf_ntohl(pkt->src[0]);
		__u8 first = src >> 24;

		if (src == 0)
			return !dst_link;
		return first == 0 || first == 127 || first >= 224;
	}
	if (xgw_in6_is_v4mapped(pkt->src))
		return true;
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
 * Destinations nobody may forward to (RFC 6890): 0/8 and 240/4 (the
 * broadcast address, link-scope, is not asked); ::, ::ffff:0:0/96.
 * Loopback destinations are xgw_dst_is_loopback()'s.
 */
static __always_inline bool xgw_dst_is_martian(const struct xgw_pkt *pkt)
{
	__u32 first = bpf_ntohl(pkt->dst[0]) >> 24;

	if (pkt->family == XGW_AF_INET)
		return first == 0 || first >= 240;
	return xgw_in6_is_v4mapped(pkt->dst) ||
	       !(pkt->dst[0] | pkt->dst[1] | pkt->dst[2] | pkt->dst[3]);
}

/* 127/8 and ::1: martian unless learnt as one of the gateway's addresses. */
static __always_inline bool xgw_dst_is_loopback(const struct xgw_pkt *pkt)
{
	if (pkt->family == XGW_AF_INET)
		return (bpf_ntohl(pkt->dst[0]) >> 24) == 127;
	return !pkt->dst[0] && !pkt->dst[1] && !pkt->dst[2] && pkt->dst[3] == bpf_htonl(1);
}

/*
 * An IPv6 link-local source must not leave its link (RFC 4291 2.5.6): such a
 * packet may reach the gateway itself, never a next hop or a service.
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

/*
 * A tagged frame belongs to us only on a VLAN attached to its link
 * (xgw_ifinfo); any other goes to the kernel, whose VLAN devices (or
 * nobody) take it.
 */
static __always_inline bool xgw_vlan_is_attached(struct xdp_md *ctx, __u16 vid)
{
	__u32 ifindex = ctx->ingress_ifindex;
	struct xgw_ifinfo *ifi = bpf_map_lookup_elem(&xgw_ifinfo, &ifindex);

	return ifi && (ifi->vlans[(vid >> 6) & (XGW_VLAN_IDS / 64 - 1)] >> (vid & 63)) & 1;
}

static __always_inline enum xgw_reason xgw_route_apply(struct xdp_md *ctx, struct xgw_pkt *pkt,
						       const struct xgw_route *rt, __u32 *nh_id)
{
	if (!rt)
		return XGW_PASS_NO_ROUTE;
	switch (rt->action) {
	case XGW_RT_NEXTHOP:
		*nh_id = rt->nh_id;
		return xgw_forward(ctx, pkt, rt->nh_id);
	case XGW_RT_MULTIPATH:
		return xgw_forward_nh(ctx, pkt, xgw_mp_pick(rt->nh_id, xgw_pkt_mp_hash(pkt), nh_id));
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
 * compares: almost every packet is one. IPv4 from and to 1/8..223/8 but
 * 127/8; IPv6 not ICMPv6, from outside ::/32 and ff00::/8, to outside
 * ::/32, ff00::/8 and fe80::/10.
 */
static __always_inline bool xgw_is_plain4(__u32 src, __u32 dst)	/* host order */
{
	return src - 0x01000000 < 0xdf000000 && dst - 0x01000000 < 0xdf000000 &&
	       (src >> 24) != 127 && (dst >> 24) != 127;
}

static __always_inline bool xgw_is_plain(const struct xgw_pkt *pkt)
{
	__u32 src = bpf_ntohl(pkt->src[0]), dst = bpf_ntohl(pkt->dst[0]);

	if (pkt->family == XGW_AF_INET)
		return xgw_is_plain4(src, dst);
	return pkt->proto != XGW_IPPROTO_ICMPV6 && src && (src >> 24) != 0xff && dst &&
	       (dst >> 24) != 0xff && (dst >> 22) != (0xfe80 >> 6);
}

/*
 * Martian sources and destinations, neighbour discovery, link-scope
 * destinations; XGW_FWD: none. @r4: room for an IPv4 route (a loopback
 * destination is looked up: the gateway's own is let through).
 */
static __always_inline enum xgw_reason xgw_screen(const struct xgw_pkt *pkt, struct xgw_route *r4)
{
	bool dst_link = xgw_dst_is_link(pkt);
	struct xgw_route *rt;

	if (xgw_src_is_martian(pkt, dst_link))
		return XGW_DROP_MARTIAN;
	if (xgw_is_nd(pkt))
		return XGW_PASS_ND;
	if (dst_link)
		return XGW_PASS_MCAST;
	if (xgw_dst_is_martian(pkt))
		return XGW_DROP_MARTIAN_DST;
	if (xgw_dst_is_loopback(pkt)) {
		rt = xgw_route_lookup(pkt, r4);
		if (!rt || rt->action != XGW_RT_LOCAL || !(rt->flags & XGW_RT_F_OWN))
			return XGW_DROP_MARTIAN_DST;
	}
	return XGW_FWD;
}

/* What xgw_fast4() leaves the general path when it declines a packet. */
enum xgw_fast4_left {
	XGW_FAST4_NOTHING = -1,	/* not its kind of packet */
	XGW_FAST4_ROUTE = -2,	/* looked up: the route is in st->rt */
	XGW_FAST4_NO_ROUTE = -3,	/* looked up: no route */
	XGW_PAST_LB = -4,	/* xgw_general() again: the service path declined */
};

/*
 * What the general path keeps between its calls, on xgw_xdp()'s stack:
 * the packet, its route (the buffer every FIB lookup fills, bpf/route.h),
 * and the next hop of a forward.
 */
struct xgw_state {
	struct xgw_pkt pkt;
	struct xgw_route rt;
	__u32 nh_id;
};

#define XGW_GENERAL_VIP	-1	/* xgw_general(): a VIP's packet, for xgw_lb_handle() */

/*
 * The decision for a parsed IP packet up to the service path: the reason,
 * or XGW_GENERAL_VIP with the route in st->rt.
 */
static __always_inline int xgw_decide(struct xdp_md *ctx, struct xgw_state *st, int left)
{
	struct xgw_pkt *pkt = &st->pkt;
	struct xgw_route *rt;

	if (left == XGW_FAST4_ROUTE) {	/* a plain IPv4 packet, route known */
		rt = &st->rt;
	} else if (left == XGW_FAST4_NO_ROUTE) {
		rt = NULL;
	} else {
		if (pkt->vlan_depth && !xgw_vlan_is_attached(ctx, pkt->vlan_id))
			return XGW_PASS_VLAN;
		if (!xgw_is_plain(pkt)) {
			enum xgw_reason reason = xgw_screen(pkt, &st->rt);

			if (reason != XGW_FWD)
				return reason;
		}
		rt = xgw_route_lookup(pkt, &st->rt);
	}
	/*
	 * before the service lookup: no link-local source reaches a backend (a
	 * VIP's route is the one beneath its mark, which may be local)
	 */
	if (rt && (rt->action != XGW_RT_LOCAL || (rt->flags & XGW_RT_F_VIP)) &&
	    xgw_src_is_link_local6(pkt))
		return XGW_DROP_MARTIAN;
	if (rt && (rt->flags & XGW_RT_F_VIP))
		return XGW_GENERAL_VIP;	/* the route is in st->rt */
	return xgw_route_apply(ctx, pkt, rt, &st->nh_id);
}

/*
 * Every packet xgw_fast4() declines (@left says how): parse, screen, route
 * lookup and forward. Returns the packet's reason, or XGW_GENERAL_VIP: the
 * service path's turn (xgw_xdp() calls xgw_lb_handle(), then, if that
 * declines, this again with @left XGW_PAST_LB to route it as any packet).
 *
 * A global function, on its own frame: the verifier caps the frames of a
 * call chain at 512 bytes together, and xgw_xdp() calls xgw_lb_handle()
 * with the packet on its stack. Here the general path's registers spill
 * beside neither (it was 208 bytes of xgw_xdp()'s frame).
 */
__noinline int xgw_general(struct xdp_md *ctx, struct xgw_state *st, int left)
{
	int ret;

	if (!st)
		return XGW_DROP_MALFORMED;	/* never: the verifier asks */
	if (left == XGW_PAST_LB)	/* a VIP mark carries the route beneath it */
		return xgw_route_apply(ctx, &st->pkt, &st->rt, &st->nh_id);
	ret = xgw_parse(ctx, &st->pkt);
	if (ret < 0)
		return -ret;
	return xgw_decide(ctx, st, left);
}

/*
 * The common packet on a straight line: untagged IPv4 TCP or UDP between
 * plain addresses (xgw_fast4_iph(), xgw_is_plain4()), whose route is a next
 * hop (or a multipath group whose member in the flow's bucket is resolved)
 * with no flag (no VIP), resolved, untagged, that takes its TTL and size.
 * The same checks, rewrite and accounting as xgw_parse() and xgw_decide()
 * by the same helpers, from registers instead of a struct xgw_pkt: its
 * stores and loads were ~3 ns of ~20. Returns the verdict, or, with the
 * frame untouched, what the general path can take over (enum
 * xgw_fast4_left: the route it found is in @r4); a TTL or MTU the next hop
 * refuses is the general path's too (ICMP errors live there), and so is
 * the probe past an unresolved member (xgw_mp_pick()).
 */
static __always_inline int xgw_fast4(struct xdp_md *ctx, __u64 t_start, struct xgw_route *r4)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct xgw_nexthop *nh;
	struct xgw_route *rt;
	struct iphdr *iph;
	__u32 tot_len, nh_id;

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
	if (rt->flags)
		return XGW_FAST4_ROUTE;	/* own address: r4 says */
	nh_id = rt->nh_id;
	if (rt->action == XGW_RT_NEXTHOP) {
		nh = xgw_nexthop_get(nh_id);
	} else if (rt->action == XGW_RT_MULTIPATH) {
		__be16 *ports = (void *)(iph + 1);

		nh = xgw_mp_first(nh_id, xgw_mp_hash4(iph->saddr, iph->daddr, (__u32)ports[0] |
						      (__u32)ports[1] << 16, iph->protocol),
				  &nh_id);
	} else {
		return XGW_FAST4_ROUTE;	/* local, blackhole: r4 says */
	}
	if (xgw_nh_check(nh, iph->ttl, tot_len) != XGW_FWD || !nh || nh->vlan)
		return XGW_FAST4_ROUTE;
	if (bpf_redirect_map(&xgw_tx_ports, nh->ifindex, 0) != XGW_XDP_REDIRECT)
		return XGW_FAST4_ROUTE;
	xgw_write_macs(data, nh);	/* untagged in and out: EtherType stays */
	xgw_ttl_dec4(iph);
	return xgw_account_fwd(end - data, nh_id, t_start);
}

SEC("xdp")
int xgw_xdp(struct xdp_md *ctx)
{
	struct xgw_state st;	/* xgw_latency_start() and xgw_parse() fill pkt */
	int ret;

	st.nh_id = 0;
	xgw_latency_start(&st.pkt);
	ret = xgw_fast4(ctx, st.pkt.t_start, &st.rt);
	if (ret >= 0)
		return ret;
	ret = xgw_general(ctx, &st, ret);
	if (ret == XGW_GENERAL_VIP) {
		ret = xgw_lb_handle(ctx, &st.pkt, &st.nh_id);
		if (ret < 0)
			ret = xgw_general(ctx, &st, XGW_PAST_LB);
	}
#ifndef XGW_NO_ICMP	/* tools/bench/xgw_noicmp.bpf.c: the bench's "before" */
	if (ret == XGW_PASS_TTL || ret == XGW_PASS_MTU)
		ret = xgw_icmp_error(ctx, &st.pkt, ret);
#endif
	return xgw_account(&st.pkt, ret, st.nh_id);
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
