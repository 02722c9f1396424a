/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Full NAT for services in mode nat: a client's packet to VIP:port leaves
 * as (gateway address:allocated port -> backend:port), the backend's reply
 * comes back to the gateway address and leaves as (VIP:port -> client).
 * Both directions are entries of the connection table (struct xgw_ct_entry,
 * kinds NAT_ORIG and NAT_REPLY); ICMP errors quoting either direction are
 * translated with the entry of the flow they quote.
 *
 * Source ports: a new flow tries XGW_NAT_PROBES (address, port) candidates
 * from its hash, and takes the first whose reply entry it can insert with
 * BPF_NOEXIST: the kernel's insert is the arbiter between CPUs, and a port
 * is free again only once xgwd has swept the flow's expired entries. None
 * free: the packet is dropped and counted (nat_no_port); a full table:
 * ct_full. A mapping in use is never reused.
 *
 * Checksums are updated incrementally (RFC 1624) from the words that
 * change: IPv4 header, TCP/UDP (pseudo-header included; a zero IPv4 UDP
 * checksum stays zero), and for ICMP errors the quoted header, its ports
 * and checksums, and the ICMP checksum over all of it (ICMPv6: with the
 * outer pseudo-header).
 */
#ifndef XGW_NAT_H
#define XGW_NAT_H

#include "csum.h"
#include "ct.h"
#include "route.h"
#include "lbhash.h"

#define XGW_NAT_PROBES	16	/* source candidates tried per new flow */
#define XGW_EEXIST	17

/* ---- incremental checksums (csum.h) ------------------------------------------- */

/* Replace the address at @a (1 or 4 words) by @v; returns the sum's change. */
static __always_inline __u64 xgw_nat_addr(__be32 *a, const __be32 *v, bool v6)
{
	__u64 d = xgw_csum_d32(a[0], v[0]);

	a[0] = v[0];
	if (v6) {
		d += xgw_csum_d32(a[1], v[1]) + xgw_csum_d32(a[2], v[2]) +
		     xgw_csum_d32(a[3], v[3]);
		a[1] = v[1];
		a[2] = v[2];
		a[3] = v[3];
	}
	return d;
}

/*
 * The TCP/UDP header at @off once the pseudo-header changed by @d: ports
 * become @sport, @dport, the checksum follows (@v4udp: IPv4 UDP, where 0
 * means "no checksum"). Ports and checksum are each bounds-checked on their
 * own: a header length chosen by protocol is one clang merges into a
 * select the verifier cannot follow.
 */
static __always_inline int xgw_nat_l4(struct xdp_md *ctx, __u32 off, __u8 proto, bool v4udp,
				      __u64 d, __be16 sport, __be16 dport)
{
	__be16 *ports = xgw_frame_at(ctx, off, 4);
	__u16 *csum = xgw_frame_at(ctx, off + (proto == XGW_IPPROTO_TCP ? 16 : 6), 2);

	if (!ports || !csum)
		return XGW_DROP_MALFORMED;
	d += xgw_csum_d16(ports[0], sport) + xgw_csum_d16(ports[1], dport);
	ports[0] = sport;
	ports[1] = dport;
	if (v4udp && !*csum)
		return 0;
	*csum = xgw_csum_apply(*csum, d);
	if (proto == XGW_IPPROTO_UDP && !*csum)
		*csum = 0xffff;	/* 0 is "none" (RFC 768), refused in IPv6 (RFC 8200 8.1) */
	return 0;
}

/*
 * Rewrite @pkt (TCP/UDP) to entry @e's tuple. 0, or XGW_DROP_MALFORMED
 * if a header is not where the parser left it (cannot happen).
 */
static __always_inline int xgw_nat_rewrite(struct xdp_md *ctx, const struct xgw_pkt *pkt,
					   const struct xgw_ct_entry *e)
{
	bool v6 = pkt->family == XGW_AF_INET6;
	__u64 d;

	if (v6) {
		__u8 *l3 = xgw_frame_at(ctx, pkt->l3_off, XGW_IPV6_HLEN);

		if (!l3)
			return XGW_DROP_MALFORMED;
		d = xgw_nat_addr((__be32 *)(l3 + 8), e->nat_src, true);
		d += xgw_nat_addr((__be32 *)(l3 + 24), e->nat_dst, true);
	} else {
		struct iphdr *ip = xgw_frame_at(ctx, pkt->l3_off, sizeof(*ip));

		if (!ip)
			return XGW_DROP_MALFORMED;
		d = xgw_nat_addr(&ip->saddr, e->nat_src, false);
		d += xgw_nat_addr(&ip->daddr, e->nat_dst, false);
		ip->check = xgw_csum_apply(ip->check, d);
	}
	return xgw_nat_l4(ctx, pkt->l4_off, pkt->proto, !v6 && pkt->proto == XGW_IPPROTO_UDP, d,
			  e->nat_sport, e->nat_dport);
}

/* ---- state ------------------------------------------------------------------------ */

/*
 * A TCP segment of a NAT flow: its own entry learns the flags, and a FIN or
 * RST is written into the peer too, so either entry tells the whole state.
 */
static __always_inline void xgw_nat_state(struct xgw_ct_entry *e, const struct xgw_pkt *pkt,
					  __u8 flags, bool orig)
{
	struct xgw_flow_key pk;
	struct xgw_ct_entry *peer;

	if (pkt->proto != XGW_IPPROTO_TCP)
		return;
	xgw_ct_tcp(e, flags, orig);
	if (!(flags & (XGW_TCP_FLAG_FIN | XGW_TCP_FLAG_RST)))
		return;
	xgw_ct_peer_key(e, pkt->proto, pkt->family, &pk);
	peer = bpf_map_lookup_elem(&xgw_conntrack, &pk);
	if (peer)
		xgw_ct_tcp(peer, flags, orig);
}

/* ---- forwarding ---------------------------------------------------------------- */

/*
 * Everything xgw_forward() could refuse, checked before the frame is
 * changed (a packet handed to the kernel must be the one received):
 * next hop resolved, TTL, size (+ @grow bytes), egress port. For a TTL or
 * size refused, pkt->mtu is the MTU the packet had to fit before the
 * @grow bytes of encapsulation, for xgw_icmp_error()'s answer.
 */
static __always_inline int xgw_lb_fwd_check(struct xgw_pkt *pkt, __u32 nh_id, __u32 grow)
{
	struct xgw_nexthop *nh = xgw_nexthop_get(nh_id);
	enum xgw_reason r = xgw_nh_check(nh, pkt->ttl, pkt->l3_len + grow);
	__u32 ifindex;

	if (r != XGW_FWD || !nh) {
		if (nh)
			pkt->mtu = nh->mtu > grow ? nh->mtu - grow : 0;
		return r;
	}
	ifindex = nh->ifindex;
	if (!bpf_map_lookup_elem(&xgw_tx_ports, &ifindex))
		return XGW_PASS_NO_PORT;
	return 0;
}

/* Forward a frame already rewritten: it cannot go back to the kernel. */
static __always_inline int xgw_lb_forward(struct xdp_md *ctx, struct xgw_pkt *pkt, __u32 nh_id,
					  __u32 *out_nh)
{
	*out_nh = nh_id;
	return xgw_forward(ctx, pkt, nh_id) == XGW_FWD ? XGW_FWD_LB : XGW_DROP_ENCAP;
}

/*
 * The next hop towards the client of reply @pkt (a route to a next hop, or
 * a multipath group's member for the reply's hash as it arrives: every
 * packet of the flow takes the same one), or 0.
 */
static __always_inline __u32 xgw_nat_client_nh(const struct xgw_ct_entry *e,
					       const struct xgw_pkt *pkt)
{
	struct xgw_route buf, *rt;
	__u32 nh_id = 0;

	if (pkt->family == XGW_AF_INET)
		rt = xgw_route_lookup4(e->nat_dst[0], &buf);
	else
		rt = xgw_route_lookup6(e->nat_dst, &buf);
	if (!rt)
		return 0;
	if (rt->action == XGW_RT_NEXTHOP)
		return rt->nh_id;
	if (rt->action == XGW_RT_MULTIPATH)
		xgw_mp_pick(rt->nh_id, xgw_pkt_mp_hash(pkt), &nh_id);
	return nh_id;
}

/*
 * Where a packet of NAT entry @e goes: *nh = the backend's next hop @be_nh
 * for the orig direction, the route towards the client for a reply. 0 when
 * the packet can be forwarded, -1 when the client has no route, or the
 * reason the next hop refuses it (the frame still untouched).
 */
static __always_inline int xgw_nat_next_hop(struct xgw_pkt *pkt,
					    const struct xgw_ct_entry *e, __u32 be_nh, __u32 *nh)
{
	*nh = e->kind == XGW_CT_NAT_ORIG ? be_nh : xgw_nat_client_nh(e, pkt);
	if (!*nh)
		return -1;
	return xgw_lb_fwd_check(pkt, *nh, 0);
}

/*
 * A packet of an established NAT flow, either direction: rewritten with its
 * entry and sent to the backend (@be_nh) or, for a reply, towards the
 * client. -1: the reply's client has no route (the packet is left alone).
 */
static __always_inline int xgw_nat_fwd(struct xdp_md *ctx, struct xgw_pkt *pkt,
				       struct xgw_ct_entry *e, __u8 tcp_flags, __u32 be_nh,
				       const struct xgw_config *cfg, __u32 now, __u32 *nh_id)
{
	__u32 nh;
	int ret;

	ret = xgw_nat_next_hop(pkt, e, be_nh, &nh);
	if (ret)
		return ret;
	xgw_nat_state(e, pkt, tcp_flags, e->kind == XGW_CT_NAT_ORIG);
	xgw_ct_touch(cfg, &e->atime, now);
	ret = xgw_nat_rewrite(ctx, pkt, e);
	if (ret)
		return ret;
	return xgw_lb_forward(ctx, pkt, nh, nh_id);
}

/*
 * The quoted TCP/UDP header of an ICMP error at @ql4 (@qproto): its ports
 * become the quoted sender's (nat_dport, nat_sport), its checksum, when the
 * error quotes that far (within the datagram, which ends at @end), follows
 * them and the quoted addresses' change @dq; what all this does to the
 * ICMP checksum is added to *@di.
 */
static __always_inline int xgw_nat_icmp_l4(struct xdp_md *ctx, __u32 ql4, __u32 end, __u8 qproto,
					   bool v6, __u64 dq, const struct xgw_ct_entry *e,
					   __u64 *di)
{
	__u32 co = ql4 + (qproto == XGW_IPPROTO_TCP ? 16 : 6);
	__be16 *ports = xgw_frame_at(ctx, ql4, 4);
	__u16 *c, old;
	__u64 dp;

	if (!ports)
		return XGW_DROP_MALFORMED;
	dp = xgw_csum_d16(ports[0], e->nat_dport) + xgw_csum_d16(ports[1], e->nat_sport);
	ports[0] = e->nat_dport;
	ports[1] = e->nat_sport;
	*di += dq + dp;
	c = co + 2 <= end ? xgw_frame_at(ctx, co, 2) : NULL;
	if (c && (v6 || qproto != XGW_IPPROTO_UDP || *c)) {
		old = *c;
		*c = xgw_csum_apply(old, dq + dp);
		if (!*c && qproto == XGW_IPPROTO_UDP)
			*c = 0xffff;
		*di += xgw_csum_d16(old, *c);
	}
	return 0;
}

/*
 * An ICMP error quoting a packet of NAT flow entry @e's other direction
 * (quoted IP header at @qip, its ports at @ql4): outer addresses become
 * @e's rewrite, the quoted packet the one its sender really sent (source
 * nat_dst:nat_dport, destination nat_src:nat_sport), checksums follow; it
 * goes to the backend (@be_nh) or towards the client.
 */
static __always_inline int xgw_nat_icmp(struct xdp_md *ctx, struct xgw_pkt *pkt, __u32 qip,
					__u32 ql4, const struct xgw_ct_entry *e, __u32 be_nh,
					__u32 *nh_id)
{
	bool v6 = pkt->family == XGW_AF_INET6;
	__u8 *icmp, qproto;
	__u64 dq, di = 0;
	__u16 *csum, old;
	__be16 *ports;
	__u32 nh;
	int ret;

	ret = xgw_nat_next_hop(pkt, e, be_nh, &nh);
	if (ret)
		return ret;
	icmp = xgw_frame_at(ctx, pkt->l4_off, XGW_ICMP_HLEN);
	ports = xgw_frame_at(ctx, ql4, 4);
	if (!icmp || !ports)
		return XGW_DROP_MALFORMED;
	if (v6) {	/* ICMPv6 sums the outer pseudo-header */
		__u8 *l3 = xgw_frame_at(ctx, pkt->l3_off, XGW_IPV6_HLEN);
		__u8 *q = xgw_frame_at(ctx, qip, XGW_IPV6_HLEN);

		if (!l3 || !q)
			return XGW_DROP_MALFORMED;
		di = xgw_nat_addr((__be32 *)(l3 + 8), e->nat_src, true);
		di += xgw_nat_addr((__be32 *)(l3 + 24), e->nat_dst, true);
		dq = xgw_nat_addr((__be32 *)(q + 8), e->nat_dst, true);
		dq += xgw_nat_addr((__be32 *)(q + 24), e->nat_src, true);
		qproto = q[6];
	} else {
		struct iphdr *ip = xgw_frame_at(ctx, pkt->l3_off, sizeof(*ip));
		struct iphdr *qi = xgw_frame_at(ctx, qip, sizeof(*qi));
		__u64 d;

		if (!ip || !qi)
			return XGW_DROP_MALFORMED;
		d = xgw_nat_addr(&ip->saddr, e->nat_src, false);
		d += xgw_nat_addr(&ip->daddr, e->nat_dst, false);
		ip->check = xgw_csum_apply(ip->check, d);
		dq = xgw_nat_addr(&qi->saddr, e->nat_dst, false);
		dq += xgw_nat_addr(&qi->daddr, e->nat_src, false);
		old = qi->check;
		qi->check = xgw_csum_apply(old, dq);
		di += xgw_csum_d16(old, qi->check);
		qproto = qi->protocol;
	}
	ret = xgw_nat_icmp_l4(ctx, ql4, pkt->l3_off + pkt->l3_len, qproto, v6, dq, e, &di);
	if (ret)
		return ret;
	csum = (__u16 *)(icmp + 2);
	*csum = xgw_csum_apply(*csum, di);
	return xgw_lb_forward(ctx, pkt, nh, nh_id);
}

/* ---- new flows ---------------------------------------------------------------------- */

/* The @i-th source address candidate: the pool's, or the backend's own. */
static __always_inline const __be32 *xgw_nat_src(const struct xgw_service *svc,
						 const struct xgw_backend *be, __u32 slot)
{
	struct xgw_snat *sa;
	__u32 idx;

	if (!svc->snat_n)
		return be->src;
	idx = svc->snat_first + slot;
	sa = bpf_map_lookup_elem(&xgw_snat, &idx);
	if (!sa || sa->family != be->family)
		return NULL;
	return sa->addr;
}

/*
 * Take a free (source address, port) for a flow towards backend @be: the
 * reply entry @e is inserted under key @rk (its destination address and
 * port chosen here). 0 with @rk's dst and dport set, or XGW_DROP_NAT_PORT /
 * XGW_DROP_CT_FULL.
 */
static __always_inline int xgw_nat_alloc(const struct xgw_service *svc,
					 const struct xgw_backend *be, const struct xgw_config *cfg,
					 __u32 h, const struct xgw_ct_entry *e,
					 struct xgw_flow_key *rk)
{
	__u32 min = cfg && cfg->nat_port_min ? cfg->nat_port_min : XGW_NAT_PORT_MIN_DEFAULT;
	__u32 max = cfg && cfg->nat_port_max ? cfg->nat_port_max : XGW_NAT_PORT_MAX_DEFAULT;
	__u32 range, port, slot = 0, i;
	const __be32 *src;
	long err;

	if (max < min)
		return XGW_DROP_NAT_PORT;
	range = max - min + 1;
	if (svc->snat_n)
		slot = (h >> 16) % svc->snat_n;
	for (i = 0; i < XGW_NAT_PROBES; i++) {
		src = xgw_nat_src(svc, be, slot);
		if (src) {
			/* independent candidates: consecutive ones would pile up
			 * into runs that 16 probes cannot cross (linear probing) */
			port = xgw_hash_final(h + i * 0x9e3779b9u, i) % range;
			__builtin_memcpy(rk->dst, src, sizeof(rk->dst));
			rk->dport = bpf_htons(min + port);
			err = bpf_map_update_elem(&xgw_conntrack, rk, e, BPF_NOEXIST);
			if (!err)
				return 0;
			if (err != -XGW_EEXIST)
				return XGW_DROP_CT_FULL;
		}
		if (svc->snat_n && ++slot == svc->snat_n)
			slot = 0;
	}
	return XGW_DROP_NAT_PORT;
}

/*
 * The first packet of a NAT flow @k (as received) to backend @be_id of
 * @svc: both entries made, the packet rewritten and sent. Nothing is
 * written before the forward is known to be possible. One entry serves as
 * the reply's, then as the orig's, in per-CPU scratch (the stack is full).
 */
static __always_inline int xgw_nat_new(struct xdp_md *ctx, struct xgw_pkt *pkt,
				       const struct xgw_flow_key *k, __u8 tcp_flags,
				       const struct xgw_service *svc, __u32 be_id,
				       const struct xgw_backend *be, __u32 h,
				       const struct xgw_config *cfg, __u32 now, __u32 *nh_id)
{
	__be16 bport = be->port ? be->port : k->dport;
	struct xgw_nat_scratch *sc;
	struct xgw_flow_key *rk;
	struct xgw_ct_entry *e;
	__u32 zero = 0;
	int ret;

	if (be->family != pkt->family)
		return XGW_DROP_NO_BACKEND;
	ret = xgw_lb_fwd_check(pkt, be->nh_id, 0);
	if (ret)
		return ret;
	sc = bpf_map_lookup_elem(&xgw_nat_scratch, &zero);
	if (!sc)
		return XGW_DROP_CT_FULL;
	e = &sc->e;
	rk = &sc->rk;
	__builtin_memset(sc, 0, sizeof(*sc));
	e->backend_id = be_id;
	e->svc_id = svc->id;
	e->atime = now;
	e->kind = XGW_CT_NAT_REPLY;
	__builtin_memcpy(e->nat_src, k->dst, sizeof(e->nat_src));
	__builtin_memcpy(e->nat_dst, k->src, sizeof(e->nat_dst));
	e->nat_sport = k->dport;
	e->nat_dport = k->sport;
	__builtin_memcpy(rk->src, be->addr, sizeof(rk->src));
	rk->sport = bport;
	rk->proto = k->proto;
	rk->family = k->family;
	if (pkt->proto == XGW_IPPROTO_TCP)
		xgw_ct_tcp(e, tcp_flags, true);
	ret = xgw_nat_alloc(svc, be, cfg, h, e, rk);
	if (ret)
		return ret;
	e->kind = XGW_CT_NAT_ORIG;
	__builtin_memcpy(e->nat_src, rk->dst, sizeof(e->nat_src));
	__builtin_memcpy(e->nat_dst, be->addr, sizeof(e->nat_dst));
	e->nat_sport = rk->dport;
	e->nat_dport = bport;
	if (bpf_map_update_elem(&xgw_conntrack, k, e, BPF_ANY)) {
		bpf_map_delete_elem(&xgw_conntrack, rk);
		return XGW_DROP_CT_FULL;
	}
	ret = xgw_nat_rewrite(ctx, pkt, e);
	if (ret)
		return ret;
	return xgw_lb_forward(ctx, pkt, be->nh_id, nh_id);
}

#endif /* XGW_NAT_H */
