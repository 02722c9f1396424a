/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * L4 load balancer: services on VIP:port/proto, Maglev + connection table,
 * DSR or ipip to the chosen backend.
 *
 * Called only for destinations whose host entry carries XGW_RT_F_VIP.
 * xgw_lb_handle() returns -1 when the packet is not for a service (routing
 * goes on) or the enum xgw_reason it ends with; on a forward *nh_id is the
 * backend's next hop.
 *
 * Choosing a backend:
 *  - TCP SYN without ACK: a new connection, straight to Maglev (a SYN that
 *    reuses a 5-tuple must not stick to the old backend);
 *  - otherwise the connection table (LRU, the client's 5-tuple): its backend
 *    unless that one is down or gone (then re-pick), or, for UDP, the entry
 *    is idle longer than ct_udp_timeout_s;
 *  - Maglev: xgw_maglev[svc.id][flow hash % table_size]; 0 = no backend.
 * New choices are learnt into the table unless this CPU already learnt
 * ct_flood_limit flows in the current second (a SYN flood then cannot evict
 * established flows; the flood's packets still reach Maglev's backend, which
 * is stable while the backend set is).
 *
 * ICMP errors (v4 frag-needed, v6 packet-too-big) sent to a VIP quote a
 * backend's reply (VIP:port -> client); they go to the backend that owns the
 * client's flow so path MTU discovery works with DSR. They are never learnt.
 *
 * Timestamps: bpf_ktime_get_coarse_ns(), on this path only.
 */
#ifndef XGW_LB_H
#define XGW_LB_H

#include "parse.h"
#include "route.h"
#include "lbhash.h"

#define XGW_TCP_FLAG_SYN	0x02
#define XGW_TCP_FLAG_ACK	0x10
#define XGW_ICMP_DEST_UNREACH	3
#define XGW_ICMP_FRAG_NEEDED	4
#define XGW_ICMPV6_PKT_TOOBIG	2
#define XGW_IPIP_TTL		64
#define XGW_IP_DF		0x4000	/* host order, in frag_off */
#define XGW_NSEC_PER_SEC	1000000000ULL

/* What the service path learnt about a packet beyond struct xgw_pkt. */
struct xgw_lb_flow {
	struct xgw_flow_key key;	/* the client's flow */
	bool syn;			/* TCP SYN without ACK */
	bool icmp;			/* an ICMP error about the flow */
};

/* Packet bytes at a variable offset, bounds-checked; NULL if truncated. */
static __always_inline void *xgw_lb_at(struct xdp_md *ctx, __u32 off, __u32 len)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	void *p;

	off &= 0x3fff;	/* bounded, so off + len stays within MAX_PACKET_OFF */
	p = data + off;
	if (p + len > end)
		return NULL;
	return p;
}

/*
 * An ICMP error whose quoted packet is VIP:port -> client: fill the
 * client's flow key (quoted source and destination swapped). 0, or -1 if
 * it is not such an error.
 */
static __always_inline int xgw_lb_icmp_flow(struct xdp_md *ctx, const struct xgw_pkt *pkt,
					    struct xgw_flow_key *k)
{
	__u32 off = pkt->l4_off + XGW_ICMP_HLEN;
	__be16 *ports;
	__u8 *icmp = xgw_lb_at(ctx, pkt->l4_off, XGW_ICMP_HLEN);

	if (!icmp)
		return -1;
	if (pkt->family == XGW_AF_INET) {
		struct iphdr *in;

		if (pkt->proto != XGW_IPPROTO_ICMP || icmp[0] != XGW_ICMP_DEST_UNREACH ||
		    icmp[1] != XGW_ICMP_FRAG_NEEDED)
			return -1;
		in = xgw_lb_at(ctx, off, sizeof(*in));
		if (!in || in->version != 4 || in->ihl < 5)
			return -1;
		k->proto = in->protocol;
		k->src[0] = in->daddr;
		k->dst[0] = in->saddr;
		off += in->ihl * 4;
	} else {
		struct ipv6hdr *in;

		if (pkt->proto != XGW_IPPROTO_ICMPV6 || icmp[0] != XGW_ICMPV6_PKT_TOOBIG)
			return -1;
		in = xgw_lb_at(ctx, off, sizeof(*in));
		if (!in)
			return -1;
		k->proto = in->nexthdr;	/* extension headers: not ours */
		__builtin_memcpy(k->src, &in->daddr, sizeof(k->src));
		__builtin_memcpy(k->dst, &in->saddr, sizeof(k->dst));
		off += XGW_IPV6_HLEN;
	}
	if (k->proto != XGW_IPPROTO_TCP && k->proto != XGW_IPPROTO_UDP)
		return -1;
	ports = xgw_lb_at(ctx, off, 4);
	if (!ports)
		return -1;
	k->sport = ports[1];
	k->dport = ports[0];
	k->family = pkt->family;
	return 0;
}

/* The flow a packet to a VIP belongs to. 0, or -1: not a service packet. */
static __always_inline int xgw_lb_flow(struct xdp_md *ctx, const struct xgw_pkt *pkt,
				       struct xgw_lb_flow *f)
{
	if (!(pkt->flags & XGW_PKT_F_L4))
		return -1;
	if (pkt->proto == XGW_IPPROTO_ICMP || pkt->proto == XGW_IPPROTO_ICMPV6) {
		f->icmp = true;
		return xgw_lb_icmp_flow(ctx, pkt, &f->key);
	}
	if (pkt->proto != XGW_IPPROTO_TCP && pkt->proto != XGW_IPPROTO_UDP)
		return -1;
	__builtin_memcpy(f->key.src, pkt->src, sizeof(f->key.src));
	__builtin_memcpy(f->key.dst, pkt->dst, sizeof(f->key.dst));
	f->key.sport = pkt->sport;
	f->key.dport = pkt->dport;
	f->key.proto = pkt->proto;
	f->key.family = pkt->family;
	if (pkt->proto == XGW_IPPROTO_TCP) {
		__u8 *fl = xgw_lb_at(ctx, pkt->l4_off + 13, 1);

		if (!fl)
			return -1;
		f->syn = (*fl & (XGW_TCP_FLAG_SYN | XGW_TCP_FLAG_ACK)) == XGW_TCP_FLAG_SYN;
	}
	return 0;
}

static __always_inline void xgw_lb_count(void *map, __u32 id, __u32 bytes, bool new_flow)
{
	struct xgw_lb_counter *c = bpf_map_lookup_elem(map, &id);

	if (c) {
		c->packets++;
		c->bytes += bytes;
		c->new_flows += new_flow;
	}
}

/* May this CPU learn one more flow in the current one-second window? */
static __always_inline bool xgw_lb_may_learn(const struct xgw_config *cfg, __u64 now)
{
	__u32 zero = 0, limit = cfg && cfg->ct_flood_limit ? cfg->ct_flood_limit :
							      XGW_CT_FLOOD_DEFAULT;
	struct xgw_flood *fl = bpf_map_lookup_elem(&xgw_flood, &zero);

	if (!fl)
		return false;
	if (now - fl->window_start_ns >= XGW_NSEC_PER_SEC) {
		fl->window_start_ns = now;
		fl->new_flows = 0;
	}
	if (fl->new_flows >= limit)
		return false;
	fl->new_flows++;
	return true;
}

/* A connection-table hit that still stands: its backend id, else 0. */
static __always_inline __u32 xgw_lb_ct_hit(struct xgw_ct_entry *ct, const struct xgw_service *svc,
					   const struct xgw_config *cfg, __u8 proto, __u64 now)
{
	__u32 timeout = cfg && cfg->ct_udp_timeout_s ? cfg->ct_udp_timeout_s :
						       XGW_CT_UDP_TIMEOUT_DEFAULT;
	struct xgw_backend *be;
	__u32 id = ct->backend_id;

	if (ct->svc_id != svc->id)
		return 0;
	if (proto == XGW_IPPROTO_UDP && now - ct->atime_ns > timeout * XGW_NSEC_PER_SEC)
		return 0;
	be = bpf_map_lookup_elem(&xgw_backends, &id);
	if (!be || !be->family || (be->flags & XGW_BE_F_DOWN))
		return 0;
	ct->atime_ns = now;
	return id;
}

static __always_inline __u32 xgw_lb_maglev(const struct xgw_service *svc,
					   const struct xgw_flow_key *k)
{
	__u32 id = svc->id, slot, *be_id;
	void *table = bpf_map_lookup_elem(&xgw_maglev, &id);

	if (!table || !svc->table_size)
		return 0;
	slot = xgw_flow_hash(k) % svc->table_size;
	be_id = bpf_map_lookup_elem(table, &slot);
	return be_id ? *be_id : 0;
}

/*
 * The backend for flow f of service svc (0: none usable). *new_flow says
 * whether it was chosen now rather than found in the connection table.
 */
static __always_inline __u32 xgw_lb_pick(const struct xgw_service *svc,
					 const struct xgw_lb_flow *f, bool *new_flow)
{
	__u32 zero = 0, be_id = 0;
	struct xgw_config *cfg = bpf_map_lookup_elem(&xgw_config, &zero);
	__u64 now = bpf_ktime_get_coarse_ns();
	struct xgw_ct_entry *ct = NULL, nct = {};

	if (!f->syn) {
		ct = bpf_map_lookup_elem(&xgw_conntrack, &f->key);
		if (ct)
			be_id = xgw_lb_ct_hit(ct, svc, cfg, f->key.proto, now);
	}
	*new_flow = !be_id && !f->icmp;
	if (be_id)
		return be_id;
	be_id = xgw_lb_maglev(svc, &f->key);
	if (!be_id || f->icmp)
		return be_id;
	if (!xgw_lb_may_learn(cfg, now)) {
		/* A SYN skipped the table: an older entry for the same tuple
		 * must not steer the rest of this new connection elsewhere. */
		if (f->syn)
			bpf_map_delete_elem(&xgw_conntrack, &f->key);
		return be_id;
	}
	nct.backend_id = be_id;
	nct.svc_id = svc->id;
	nct.atime_ns = now;
	bpf_map_update_elem(&xgw_conntrack, &f->key, &nct, BPF_ANY);
	return be_id;
}

/*
 * Everything xgw_forward() could refuse, checked before the frame is
 * encapsulated: a packet handed to the kernel must be the one received.
 */
static __always_inline int xgw_lb_encap_check(const struct xgw_pkt *pkt, __u32 nh_id,
					      __u32 outer_len)
{
	struct xgw_nexthop *nh = bpf_map_lookup_elem(&xgw_nexthops, &nh_id);
	__u32 ifindex;

	if (!nh || !(nh->flags & XGW_NH_F_RESOLVED))
		return XGW_PASS_UNRESOLVED;
	if (nh->mtu && pkt->l3_len + outer_len > nh->mtu)
		return XGW_PASS_MTU;
	ifindex = nh->ifindex;
	if (!bpf_map_lookup_elem(&xgw_tx_ports, &ifindex))
		return XGW_PASS_NO_PORT;
	return 0;
}

static __always_inline __u16 xgw_ip_csum(struct iphdr *iph)
{
	__u16 *w = (__u16 *)iph;
	__u32 s = 0;
	int i;

#pragma unroll
	for (i = 0; i < 10; i++)
		s += w[i];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

/* Write the outer header at l3_off: the frame has grown by its size. */
static __always_inline int xgw_lb_outer(struct xdp_md *ctx, struct xgw_pkt *pkt,
					const struct xgw_backend *be, __u8 tos, bool df)
{
	__u8 inner = pkt->family == XGW_AF_INET ? XGW_IPPROTO_IPIP : XGW_IPPROTO_IPV6;

	if (be->family == XGW_AF_INET) {
		struct iphdr *o = xgw_lb_at(ctx, pkt->l3_off, sizeof(*o));

		if (!o)
			return XGW_DROP_ENCAP;
		*(__u8 *)o = 0x45;
		o->tos = tos;
		o->tot_len = bpf_htons(pkt->l3_len + sizeof(*o));
		o->id = 0;
		o->frag_off = df ? bpf_htons(XGW_IP_DF) : 0;
		o->ttl = XGW_IPIP_TTL;
		o->protocol = inner;
		o->check = 0;
		o->saddr = be->src[0];
		o->daddr = be->addr[0];
		o->check = xgw_ip_csum(o);
		pkt->l3_len += sizeof(*o);
	} else {
		struct ipv6hdr *o = xgw_lb_at(ctx, pkt->l3_off, sizeof(*o));

		if (!o)
			return XGW_DROP_ENCAP;
		*(__be32 *)o = bpf_htonl(0x60000000 | ((__u32)tos << 20));
		o->payload_len = bpf_htons(pkt->l3_len);
		o->nexthdr = inner;
		o->hop_limit = XGW_IPIP_TTL;
		__builtin_memcpy(&o->saddr, be->src, 16);
		__builtin_memcpy(&o->daddr, be->addr, 16);
		pkt->l3_len += sizeof(*o);
	}
	pkt->family = be->family;
	pkt->ttl = XGW_IPIP_TTL;
	return 0;
}

/*
 * ipip: prepend an outer IPv4/IPv6 header (gateway -> backend), copying
 * the inner TOS/traffic class and, for IPv4 inside IPv4, DF (IPv6 inner
 * packets are never fragmented on the way: DF). The L2 header in front is
 * rewritten by xgw_forward().
 */
static __always_inline int xgw_lb_encap(struct xdp_md *ctx, struct xgw_pkt *pkt,
					const struct xgw_backend *be)
{
	__u32 olen = be->family == XGW_AF_INET ? XGW_IPV4_HLEN_MIN : XGW_IPV6_HLEN;
	__u8 tos = 0, *ip;
	bool df = true;
	int ret;

	ret = xgw_lb_encap_check(pkt, be->nh_id, olen);
	if (ret)
		return ret;
	ip = xgw_lb_at(ctx, pkt->l3_off, 8);
	if (!ip)
		return XGW_DROP_ENCAP;
	if (pkt->family == XGW_AF_INET) {
		tos = ip[1];
		df = ip[6] & 0x40;
	} else {
		tos = (ip[0] << 4) | (ip[1] >> 4);
	}
	if (bpf_xdp_adjust_head(ctx, -(int)olen))
		return XGW_DROP_ENCAP;
	/* The old L2 header now starts olen bytes in: the outer IP header
	 * goes where it ended, right before the inner packet. */
	return xgw_lb_outer(ctx, pkt, be, tos, df);
}

static __always_inline int xgw_lb_handle(struct xdp_md *ctx, struct xgw_pkt *pkt,
					 __u32 *nh_id)
{
	struct xgw_lb_flow f = {};
	struct xgw_svc_key sk = {};
	struct xgw_service *svc;
	struct xgw_backend *be;
	bool new_flow = false;
	__u32 be_id;
	int ret;

	if ((pkt->flags & XGW_PKT_F_FRAG) && !(pkt->flags & XGW_PKT_F_L4) &&
	    (pkt->proto == XGW_IPPROTO_TCP || pkt->proto == XGW_IPPROTO_UDP))
		return XGW_PASS_FRAG;	/* a later fragment: no port to tell */
	if (xgw_lb_flow(ctx, pkt, &f))
		return -1;
	__builtin_memcpy(sk.addr, f.key.dst, sizeof(sk.addr));
	sk.port = f.key.dport;
	sk.proto = f.key.proto;
	sk.family = f.key.family;
	svc = bpf_map_lookup_elem(&xgw_services, &sk);
	if (!svc)
		return -1;
	if (pkt->flags & XGW_PKT_F_FRAG)
		return XGW_PASS_FRAG;
	be_id = xgw_lb_pick(svc, &f, &new_flow);
	xgw_lb_count(&xgw_svc_stats, svc->id, pkt->frame_len, new_flow);
	be = be_id ? bpf_map_lookup_elem(&xgw_backends, &be_id) : NULL;
	if (!be || !be->family) {
		if (!(svc->flags & XGW_SVC_F_ALLDOWN_DROP))
			return -1;
		return XGW_DROP_NO_BACKEND;
	}
	xgw_lb_count(&xgw_be_stats, be_id, pkt->frame_len, new_flow);
	*nh_id = be->nh_id;
	if (svc->mode == XGW_LB_IPIP) {
		ret = xgw_lb_encap(ctx, pkt, be);
		if (ret)
			return ret;
	}
	ret = xgw_forward(ctx, pkt, be->nh_id);
	if (ret == XGW_FWD)
		return XGW_FWD_LB;
	/*
	 * xgw_lb_encap_check() passed, so only a next hop changed since then
	 * gets here; an encapsulated frame must not reach the kernel half built.
	 */
	return svc->mode == XGW_LB_IPIP ? XGW_DROP_ENCAP : ret;
}

#endif /* XGW_LB_H */
