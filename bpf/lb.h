/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * L4 load balancer: services on VIP:port/proto, Maglev and a connection
 * table; dsr, ipip or full NAT (nat.h) to the chosen backend.
 *
 * Called only for destinations whose route carries XGW_RT_F_VIP: VIPs and
 * the gateway addresses NAT replies come back to. xgw_lb_handle() returns
 * -1 when the packet is not the service path's (routing goes on), or the
 * enum xgw_reason it ends with; on a forward *nh_id is the next hop.
 *
 * One lookup first: the connection table, keyed by the packet's 5-tuple as
 * it arrives. Its entry names the backend (whose record carries the mode,
 * the service and the next hop) or the NAT rewrite, so an established flow
 * costs one hash lookup and no service lookup. An entry is used while its
 * backend is up and still belongs to the entry's service; a SYN to a dsr or
 * ipip entry goes to Maglev (a reused 5-tuple must not stick to the old
 * backend) and corrects the entry.
 *
 * Otherwise the service (xgw_services), and its backend: persistence
 * (xgw_persist) for a service with persist_s, Maglev:
 * xgw_maglev[svc.id][hash % table_size], hash of the flow or, with
 * persistence, of the client address alone. A dsr/ipip flow is learnt on
 * its second packet without SYN or RST (xgw_ct_seen remembers the first by
 * hash; a TCP connection: at its first data packet after the handshake's
 * ACK): a flood of SYNs, or of one packet per flow, writes nothing into
 * the table, and until a flow is learnt Maglev gives it the same backend.
 * A NAT flow gets its entries on its first packet (its reply needs them).
 *
 * ICMP errors to a VIP or a NAT address go to whoever owns the flow they
 * quote: the quoted packet must come from the address the error is sent
 * to (an error to VIP A quoting VIP B is not A's). dsr/ipip backends get
 * the error as is; for NAT it is translated (nat.h).
 */
#ifndef XGW_LB_H
#define XGW_LB_H

#include "parse.h"
#include "route.h"
#include "stats.h"
#include "lbhash.h"
#include "ct.h"
#include "nat.h"

#define XGW_IPIP_TTL		64
#define XGW_IP_DF		0x4000	/* host order, in frag_off */
#define XGW_LB_MISS		-2	/* no usable connection entry */

/* The packet as the service path sees it. */
struct xgw_lb_flow {
	struct xgw_flow_key key;	/* its 5-tuple; for an ICMP error the quoted
					 * flow's, as it would arrive here */
	__u32 hash;			/* xgw_flow_hash(&key), for new flows */
	__u16 icmp_ip;			/* ICMP error: offset of the quoted IP header */
	__u16 icmp_l4;			/* and of its TCP/UDP header; 0: not an error */
	__u8  tcp_flags;
	bool  syn;			/* TCP SYN without ACK */
};

/* ICMP types that carry an error about a packet, by family. */
static __always_inline bool xgw_lb_icmp_is_error(__u8 family, __u8 type)
{
	if (family == XGW_AF_INET)	/* unreachable, time exceeded, parameter problem */
		return type == 3 || type == 11 || type == 12;
	return type >= 1 && type <= 4;	/* + ICMPv6 packet too big */
}

/*
 * An ICMP error quoting a TCP/UDP packet that came from this destination:
 * @f gets the quoted flow reversed (how its packets arrive here) and the
 * quoted headers' offsets. 0, or -1: not such an error. The quote is the
 * error's data (RFC 792, 4443): the quoted IP header and ports must lie
 * within the datagram, not in Ethernet padding after it.
 */
static __always_inline int xgw_lb_icmp_flow(struct xdp_md *ctx, const struct xgw_pkt *pkt,
					    struct xgw_lb_flow *f)
{
	struct xgw_flow_key *k = &f->key;
	__u32 off = pkt->l4_off + XGW_ICMP_HLEN, end = pkt->l3_off + pkt->l3_len;
	__be16 *ports;

	if (pkt->proto != (pkt->family == XGW_AF_INET ? XGW_IPPROTO_ICMP : XGW_IPPROTO_ICMPV6) ||
	    !xgw_lb_icmp_is_error(pkt->family, pkt->icmp_type))
		return -1;
	f->icmp_ip = off;
	if (pkt->family == XGW_AF_INET) {
		struct iphdr *in = xgw_frame_at(ctx, off, sizeof(*in));

		if (!in || off + sizeof(*in) > end || in->version != 4 || in->ihl < 5 ||
		    in->saddr != pkt->dst[0])
			return -1;
		k->proto = in->protocol;
		k->src[0] = in->daddr;
		k->dst[0] = in->saddr;
		off += in->ihl * 4;
	} else {
		struct ipv6hdr *in = xgw_frame_at(ctx, off, sizeof(*in));

		const __be32 *qs;

		if (!in || off + sizeof(*in) > end || in->version != 6)
			return -1;
		qs = (const __be32 *)&in->saddr;
		if ((qs[0] ^ pkt->dst[0]) | (qs[1] ^ pkt->dst[1]) | (qs[2] ^ pkt->dst[2]) |
		    (qs[3] ^ pkt->dst[3]))
			return -1;
		k->proto = in->nexthdr;	/* extension headers: not ours */
		__builtin_memcpy(k->src, &in->daddr, sizeof(k->src));
		__builtin_memcpy(k->dst, &in->saddr, sizeof(k->dst));
		off += XGW_IPV6_HLEN;
	}
	if (k->proto != XGW_IPPROTO_TCP && k->proto != XGW_IPPROTO_UDP)
		return -1;
	ports = xgw_frame_at(ctx, off, 4);
	if (!ports || off + 4 > end)
		return -1;
	f->icmp_l4 = off;
	k->sport = ports[1];
	k->dport = ports[0];
	k->family = pkt->family;
	return 0;
}

/* The packet's flow: 0, or -1 when it is not for the service path. */
static __always_inline int xgw_lb_flow(struct xdp_md *ctx, const struct xgw_pkt *pkt,
				       struct xgw_lb_flow *f)
{
	if (!(pkt->flags & XGW_PKT_F_L4))
		return -1;
	if (pkt->proto == XGW_IPPROTO_ICMP || pkt->proto == XGW_IPPROTO_ICMPV6)
		return xgw_lb_icmp_flow(ctx, pkt, f);
	if (pkt->proto != XGW_IPPROTO_TCP && pkt->proto != XGW_IPPROTO_UDP)
		return -1;
	__builtin_memcpy(f->key.src, pkt->src, sizeof(f->key.src));
	__builtin_memcpy(f->key.dst, pkt->dst, sizeof(f->key.dst));
	f->key.sport = pkt->sport;
	f->key.dport = pkt->dport;
	f->key.proto = pkt->proto;
	f->key.family = pkt->family;
	if (pkt->proto == XGW_IPPROTO_TCP) {
		__u8 *fl = xgw_frame_at(ctx, pkt->l4_off + 13, 1);

		if (!fl)
			return -1;
		f->tcp_flags = *fl;
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

/*
 * The counters of a packet that reached service @svc_id and ended with
 * @ret, entry or not: the service counts it whatever became of it
 * (forwarded, refused by the next hop, dropped), backend @be_id only what
 * it was sent. New flows: TCP SYNs, UDP flows at first sight, NAT mappings
 * made.
 */
static __always_inline void xgw_lb_counted(__u32 svc_id, __u32 be_id, __u32 len, int ret,
					   bool new_flow)
{
	xgw_lb_count(&xgw_svc_stats, svc_id, len, new_flow);
	if (ret == XGW_FWD_LB)
		xgw_lb_count(&xgw_be_stats, be_id, len, new_flow);
}

/* Backend @id if it may take packets of service @svc_id in @family: else NULL. */
static __always_inline struct xgw_backend *xgw_lb_backend(__u32 id, __u32 svc_id, __u8 family)
{
	struct xgw_backend *be = bpf_map_lookup_elem(&xgw_backends, &id);

	if (!be || !be->family || be->svc_id != svc_id || (be->flags & XGW_BE_F_DOWN))
		return NULL;
	if (be->mode != XGW_LB_IPIP && be->family != family)
		return NULL;	/* dsr and nat keep the family */
	return be;
}

static __always_inline __u32 xgw_lb_maglev(const struct xgw_service *svc, __u32 hash)
{
	__u32 id = svc->id, slot, *be_id;
	void *table = bpf_map_lookup_elem(&xgw_maglev, &id);

	if (!table || !svc->table_size)
		return 0;
	slot = hash % svc->table_size;
	be_id = bpf_map_lookup_elem(table, &slot);
	return be_id ? *be_id : 0;
}

/*
 * A persistent service's backend for the client of @f: the one it had, for
 * persist_s after its last new connection, if that one still takes new
 * flows; else Maglev on the client address, remembered when @learn.
 */
static __always_inline __u32 xgw_lb_persist(const struct xgw_service *svc,
					    const struct xgw_lb_flow *f,
					    const struct xgw_config *cfg, __u32 now, bool learn)
{
	struct xgw_persist_key pk = { .svc_id = svc->id, .family = f->key.family };
	struct xgw_persist *p, np = { .atime = now };
	struct xgw_backend *be;

	__builtin_memcpy(pk.addr, f->key.src, sizeof(pk.addr));
	p = bpf_map_lookup_elem(&xgw_persist, &pk);
	if (p && (__s32)(now - p->atime) <= (__s32)(svc->persist_s * xgw_ct_hz(cfg))) {
		be = xgw_lb_backend(p->backend_id, svc->id, f->key.family);
		if (be && !(be->flags & XGW_BE_F_DRAIN)) {
			if (learn)
				xgw_ct_touch(cfg, &p->atime, now);
			return p->backend_id;
		}
	}
	np.backend_id = xgw_lb_maglev(svc, xgw_client_hash(f->key.src, f->key.family));
	if (learn && np.backend_id)
		bpf_map_update_elem(&xgw_persist, &pk, &np, BPF_ANY);
	return np.backend_id;
}

static __always_inline __u32 xgw_lb_pick(const struct xgw_service *svc,
					 const struct xgw_lb_flow *f,
					 const struct xgw_config *cfg, __u32 now, bool learn)
{
	if (svc->persist_s)
		return xgw_lb_persist(svc, f, cfg, now, learn);
	return xgw_lb_maglev(svc, f->hash);
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

/*
 * XGW_BE_F_SRC_FLOW: the part of the outer source that varies by flow, from
 * the client's address and ports (what Katran does with 172.16.0.0/16), in
 * 1..0xfffe so that an IPv4 /16 never yields its first or last address.
 */
static __always_inline __u32 xgw_lb_src_flow(const struct xgw_pkt *pkt)
{
	__u32 h = pkt->src[0] ^ pkt->src[1] ^ pkt->src[2] ^ pkt->src[3] ^
		  ((__u32)pkt->sport << 16 | pkt->dport);

	h ^= h >> 16;
	return (h & 0xffff) % 0xfffe + 1;
}

/* Write the outer header at l3_off: the frame has grown by its size. */
static __always_inline int xgw_lb_outer(struct xdp_md *ctx, struct xgw_pkt *pkt,
					const struct xgw_backend *be, __u8 tos, bool df)
{
	__u8 inner = pkt->family == XGW_AF_INET ? XGW_IPPROTO_IPIP : XGW_IPPROTO_IPV6;

	if (be->family == XGW_AF_INET) {
		struct iphdr *o = xgw_frame_at(ctx, pkt->l3_off, sizeof(*o));

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
		if (be->flags & XGW_BE_F_SRC_FLOW)
			o->saddr = (be->src[0] & bpf_htonl(0xffff0000)) |
				   bpf_htonl(xgw_lb_src_flow(pkt));
		o->daddr = be->addr[0];
		o->check = xgw_ip_csum(o);
		pkt->l3_len += sizeof(*o);
	} else {
		struct ipv6hdr *o = xgw_frame_at(ctx, pkt->l3_off, sizeof(*o));

		if (!o)
			return XGW_DROP_ENCAP;
		*(__be32 *)o = bpf_htonl(0x60000000 | ((__u32)tos << 20));
		o->payload_len = bpf_htons(pkt->l3_len);
		o->nexthdr = inner;
		o->hop_limit = XGW_IPIP_TTL;
		__builtin_memcpy(&o->saddr, be->src, 16);
		if (be->flags & XGW_BE_F_SRC_FLOW)
			o->saddr.in6_u.u6_addr32[3] = bpf_htonl(xgw_lb_src_flow(pkt));
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

	ret = xgw_lb_fwd_check(pkt, be->nh_id, olen);
	if (ret)
		return ret;
	ip = xgw_frame_at(ctx, pkt->l3_off, 8);
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

/* A dsr or ipip packet to backend @be, as received (an ICMP error too). */
static __always_inline int xgw_lb_send(struct xdp_md *ctx, struct xgw_pkt *pkt,
				       const struct xgw_backend *be, __u32 *nh_id)
{
	enum xgw_reason r;
	int ret;

	*nh_id = be->nh_id;
	if (be->mode == XGW_LB_IPIP) {
		ret = xgw_lb_encap(ctx, pkt, be);
		return ret ? ret : xgw_lb_forward(ctx, pkt, be->nh_id, nh_id);
	}
	r = xgw_forward(ctx, pkt, be->nh_id);
	return r == XGW_FWD ? XGW_FWD_LB : r;
}

/*
 * A connection entry @e for @f: the packet sent its way, or XGW_LB_MISS
 * when the entry no longer stands (backend down or gone, another service,
 * a dsr/ipip entry expired or met by a SYN). The caller counts it
 * (xgw_lb_counted()) unless -1: a NAT reply whose client has no route.
 */
static __always_inline int xgw_lb_hit(struct xdp_md *ctx, struct xgw_pkt *pkt,
				      const struct xgw_lb_flow *f, struct xgw_ct_entry *e,
				      const struct xgw_config *cfg, __u32 now, __u32 *nh_id)
{
	struct xgw_backend *be = NULL;

	if (e->kind != XGW_CT_NAT_REPLY) {
		be = xgw_lb_backend(e->backend_id, e->svc_id, pkt->family);
		if (!be)
			return XGW_LB_MISS;
	}
	if (e->kind != XGW_CT_LB) {
		/* a SYN after a NAT flow closed opens a new one */
		if (f->syn && (e->rst || e->fin_orig || e->fin_reply))
			return XGW_LB_MISS;
		return xgw_nat_fwd(ctx, pkt, e, f->tcp_flags, be ? be->nh_id : 0, cfg, now,
				   nh_id);
	}
	if (f->syn || xgw_ct_expired(cfg, e, f->key.proto, now))
		return XGW_LB_MISS;
	if (f->key.proto == XGW_IPPROTO_TCP)
		xgw_ct_tcp(e, f->tcp_flags, true);
	xgw_ct_touch(cfg, &e->atime, now);
	return xgw_lb_send(ctx, pkt, be, nh_id);
}

/*
 * Whether a dsr/ipip flow not in the table is learnt now: on its second
 * packet without SYN or RST. The first leaves its hash in xgw_ct_seen.
 * SYNs and RSTs never touch it: a SYN flood costs no store there and
 * cannot overwrite the mark of a flow about to be learnt.
 */
static __always_inline bool xgw_lb_seen(const struct xgw_lb_flow *f)
{
	__u32 slot = f->hash % XGW_CT_SEEN_SLOTS, tag = f->hash | 1, *seen;

	if (f->tcp_flags & (XGW_TCP_FLAG_SYN | XGW_TCP_FLAG_RST))
		return false;
	seen = bpf_map_lookup_elem(&xgw_ct_seen, &slot);
	if (!seen)
		return false;
	if (*seen == tag)
		return true;
	*seen = tag;	/* never 0, which is "nothing seen" */
	return false;
}

/*
 * Remember dsr/ipip flow @f on backend @be_id: in @e, its own entry that
 * no longer stood, or in a new entry once it has been seen before. New
 * flows (SYNs, first sightings) are counted as such.
 */
static __always_inline bool xgw_lb_learn(const struct xgw_lb_flow *f, struct xgw_ct_entry *e,
					 __u32 be_id, __u32 svc_id, __u32 now)
{
	struct xgw_ct_entry ne = { .backend_id = be_id, .svc_id = svc_id, .atime = now,
				   .kind = XGW_CT_LB };

	if (e) {
		if (e->kind != XGW_CT_LB)
			return f->syn;
		if (e->backend_id != be_id)
			e->backend_id = be_id;
		if (e->svc_id != svc_id)
			e->svc_id = svc_id;
		e->atime = now;
		if (e->est | e->fin_orig | e->fin_reply | e->rst)
			e->est = e->fin_orig = e->fin_reply = e->rst = 0;
		if (f->key.proto == XGW_IPPROTO_TCP)
			xgw_ct_tcp(e, f->tcp_flags, true);
		return f->syn;
	}
	if (!xgw_lb_seen(f))
		return f->syn || f->key.proto == XGW_IPPROTO_UDP;
	/* Established only once a later packet hits the entry: until then it
	 * has the SYN timeout, so what a flood of two packets per flow
	 * learns is gone within ct-tcp-syn-timeout. */
	if (f->key.proto == XGW_IPPROTO_TCP && (f->tcp_flags & XGW_TCP_FLAG_FIN))
		ne.fin_orig = 1;
	bpf_map_update_elem(&xgw_conntrack, &f->key, &ne, BPF_NOEXIST);
	return false;
}

/* The service path for a flow without a usable entry (@e: its stale one). */
static __always_inline int xgw_lb_new(struct xdp_md *ctx, struct xgw_pkt *pkt,
				      struct xgw_lb_flow *f, struct xgw_ct_entry *e,
				      const struct xgw_config *cfg, __u32 now, __u32 *nh_id)
{
	struct xgw_svc_key sk = { .port = f->key.dport, .proto = f->key.proto,
				  .family = f->key.family };
	struct xgw_service *svc;
	struct xgw_backend *be;
	bool new_flow;
	__u32 be_id;
	int ret;

	__builtin_memcpy(sk.addr, f->key.dst, sizeof(sk.addr));
	svc = bpf_map_lookup_elem(&xgw_services, &sk);
	if (!svc)
		return -1;
	if (pkt->flags & XGW_PKT_F_FRAG)
		return XGW_PASS_FRAG;
	f->hash = xgw_flow_hash(&f->key);
	be_id = xgw_lb_pick(svc, f, cfg, now, !f->icmp_l4);
	be = be_id ? xgw_lb_backend(be_id, svc->id, pkt->family) : NULL;
	if (!be) {
		xgw_lb_count(&xgw_svc_stats, svc->id, pkt->frame_len, false);
		return svc->flags & XGW_SVC_F_ALLDOWN_DROP ? XGW_DROP_NO_BACKEND : -1;
	}
	if (svc->mode == XGW_LB_NAT) {
		if (f->icmp_l4)
			return -1;	/* an error about a flow NAT never saw */
		ret = xgw_nat_new(ctx, pkt, &f->key, f->tcp_flags, svc, be_id, be, f->hash, cfg,
				  now, nh_id);
		new_flow = ret == XGW_FWD_LB;	/* a mapping made */
	} else {
		new_flow = !f->icmp_l4 && xgw_lb_learn(f, e, be_id, svc->id, now);
		ret = xgw_lb_send(ctx, pkt, be, nh_id);
	}
	xgw_lb_counted(svc->id, be_id, pkt->frame_len, ret, new_flow);
	return ret;
}

/*
 * An ICMP error about flow @f with entry @e: to the entry's owner,
 * translated for NAT; XGW_LB_MISS if the entry no longer stands. Counted
 * by the caller, as xgw_lb_hit().
 */
static __always_inline int xgw_lb_icmp_hit(struct xdp_md *ctx, struct xgw_pkt *pkt,
					   const struct xgw_lb_flow *f, struct xgw_ct_entry *e,
					   __u32 *nh_id)
{
	struct xgw_backend *be = NULL;

	if (e->kind != XGW_CT_NAT_REPLY) {
		be = xgw_lb_backend(e->backend_id, e->svc_id, pkt->family);
		if (!be)
			return XGW_LB_MISS;
	}
	if (e->kind != XGW_CT_LB)
		return xgw_nat_icmp(ctx, pkt, f->icmp_ip, f->icmp_l4, e, be ? be->nh_id : 0,
				    nh_id);
	return xgw_lb_send(ctx, pkt, be, nh_id);
}

/*
 * xgw_lb_fast4()'s common case: entry @e of an established TCP dsr flow,
 * forwarded from the frame (@iph, untagged in and out) with the general
 * path's checks, rewrite and counters. The verdict, or -1: the backend or
 * its next hop wants the general path (the frame untouched).
 */
static __always_inline int xgw_lb_fast4_dsr(struct xdp_md *ctx, struct iphdr *iph,
					    __u32 tot_len, struct xgw_ct_entry *e,
					    const struct xgw_config *cfg, __u32 now, __u64 t_start)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 len = end - data;
	struct xgw_backend *be;
	struct xgw_nexthop *nh;

	if (data + XGW_ETH_HLEN > end)	/* true (iph is past it): for the verifier */
		return -1;
	be = bpf_map_lookup_elem(&xgw_backends, &e->backend_id);
	if (!be || be->family != XGW_AF_INET || be->mode != XGW_LB_DSR ||
	    be->svc_id != e->svc_id || (be->flags & XGW_BE_F_DOWN))
		return -1;
	nh = xgw_nexthop_get(be->nh_id);
	if (xgw_nh_check(nh, iph->ttl, tot_len) != XGW_FWD || !nh || nh->vlan)
		return -1;
	if (bpf_redirect_map(&xgw_tx_ports, nh->ifindex, 0) != XGW_XDP_REDIRECT)
		return -1;
	xgw_ct_touch(cfg, &e->atime, now);
	xgw_write_macs(data, nh);	/* untagged in and out: EtherType stays */
	xgw_ttl_dec4(iph);
	xgw_lb_counted(e->svc_id, e->backend_id, len, XGW_FWD_LB, false);
	xgw_counter_add(&xgw_stats, XGW_FWD_LB, len);	/* xgw_account(), by hand */
	xgw_counter_add(&xgw_nh_stats, be->nh_id, len);
	xgw_latency_finish(t_start);
	return XGW_VERDICT_FWD;
}

/*
 * An established flow on xgw_fast4()'s straight line: an untagged IPv4
 * TCP/UDP packet to an address with the VIP mark, not a SYN, whose
 * connection entry still stands. A dsr flow to an untagged next hop, the
 * common case, is forwarded here from the frame and registers: the same
 * checks, rewrite and counters as the general path, without struct xgw_pkt,
 * xgw_parse() or the call to xgw_lb_handle(). Other entries (ipip, NAT,
 * FIN/RST, UDP) take xgw_lb_hit() with a struct xgw_pkt filled from the
 * frame. The frame fits xgw_fast4_iph(): 20 bytes of TCP or UDP header
 * after @iph. Returns the verdict (the packet counted), or -1 with the
 * frame untouched: the general path decides. Not inlined: its structures
 * would push the program's stack and xgw_lb_handle()'s together over 512
 * bytes.
 */
static __noinline int xgw_lb_fast4(struct xdp_md *ctx, struct iphdr *iph, __u32 tot_len,
				   __u64 t_start)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *l4 = (__u8 *)(iph + 1);
	struct xgw_lb_flow f = { .key = { .proto = iph->protocol, .family = XGW_AF_INET } };
	__u32 zero = 0, now, len = end - data, nh_id = 0;
	struct xgw_config *cfg;
	struct xgw_ct_entry *e;
	struct xgw_pkt pkt;
	int ret;

	if ((void *)(l4 + XGW_TCP_HLEN_MIN) > end)
		return -1;
	if (f.key.proto == XGW_IPPROTO_TCP) {
		f.tcp_flags = l4[13];
		if (f.tcp_flags & XGW_TCP_FLAG_SYN)
			return -1;
	}
	f.key.src[0] = iph->saddr;
	f.key.dst[0] = iph->daddr;
	f.key.sport = ((__be16 *)l4)[0];
	f.key.dport = ((__be16 *)l4)[1];
	e = bpf_map_lookup_elem(&xgw_conntrack, &f.key);
	xgw_lookup_barrier(e);
	if (!e)
		return -1;
	cfg = bpf_map_lookup_elem(&xgw_config, &zero);
	now = xgw_ct_now();
	if (e->kind == XGW_CT_LB && f.key.proto == XGW_IPPROTO_TCP && e->est &&
	    !(f.tcp_flags & (XGW_TCP_FLAG_FIN | XGW_TCP_FLAG_RST))) {
		ret = xgw_lb_fast4_dsr(ctx, iph, tot_len, e, cfg, now, t_start);
		if (ret >= 0)
			return ret;
	}
	pkt = (struct xgw_pkt){ .t_start = t_start, .frame_len = len,
				.l3_off = XGW_ETH_HLEN, .l4_off = XGW_ETH_HLEN + XGW_IPV4_HLEN_MIN,
				.l3_len = tot_len, .sport = f.key.sport, .dport = f.key.dport,
				.family = XGW_AF_INET, .proto = f.key.proto, .ttl = iph->ttl,
				.flags = XGW_PKT_F_L4 };
	pkt.src[0] = iph->saddr;
	pkt.dst[0] = iph->daddr;
	ret = xgw_lb_hit(ctx, &pkt, &f, e, cfg, now, &nh_id);
	if (ret < 0 || ret == XGW_PASS_TTL || ret == XGW_PASS_MTU)
		return -1;	/* a miss, the frame untouched, or the general path's ICMP error */
	xgw_lb_counted(e->svc_id, e->backend_id, len, ret, false);
	return xgw_account(&pkt, ret, nh_id);
}

/* IPv6 link-local sources never leave their link (RFC 4291 2.5.6). */
static __always_inline bool xgw_lb_src_link_local(const struct xgw_pkt *pkt)
{
	return pkt->family == XGW_AF_INET6 && (bpf_ntohl(pkt->src[0]) >> 22) == (0xfe80 >> 6);
}

/*
 * The service path's entry. A global function: the verifier checks it once
 * on its own rather than once for every path of the caller that reaches it
 * (this halves the program's verification); one BPF-to-BPF call per VIP
 * packet. Pointer arguments of a global function may be NULL to the
 * verifier, hence the check.
 */
__noinline int xgw_lb_handle(struct xdp_md *ctx, struct xgw_pkt *pkt, __u32 *nh_id)
{
	struct xgw_lb_flow f = {};
	struct xgw_ct_entry *e;
	struct xgw_config *cfg;
	__u32 zero = 0, now;
	int ret;

	if (!ctx || !pkt || !nh_id)
		return -1;

	if ((pkt->flags & XGW_PKT_F_FRAG) && !(pkt->flags & XGW_PKT_F_L4) &&
	    (pkt->proto == XGW_IPPROTO_TCP || pkt->proto == XGW_IPPROTO_UDP))
		return XGW_PASS_FRAG;	/* a later fragment: no port to tell */
	if (xgw_lb_src_link_local(pkt) || xgw_lb_flow(ctx, pkt, &f))
		return -1;
	cfg = bpf_map_lookup_elem(&xgw_config, &zero);
	now = xgw_ct_now();
	e = NULL;
	if (!(pkt->flags & XGW_PKT_F_FRAG))
		e = bpf_map_lookup_elem(&xgw_conntrack, &f.key);
	if (e) {
		if (f.icmp_l4)
			ret = xgw_lb_icmp_hit(ctx, pkt, &f, e, nh_id);
		else
			ret = xgw_lb_hit(ctx, pkt, &f, e, cfg, now, nh_id);
		if (ret >= 0)	/* -1: a NAT reply whose client has no route */
			xgw_lb_counted(e->svc_id, e->backend_id, pkt->frame_len, ret, false);
		if (ret != XGW_LB_MISS)
			return ret;
	}
	/* an ICMP error is never learnt and leaves the entry alone */
	return xgw_lb_new(ctx, pkt, &f, f.icmp_l4 ? NULL : e, cfg, now, nh_id);
}

#endif /* XGW_LB_H */
