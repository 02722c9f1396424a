/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Header parsing: Ethernet (up to XGW_VLAN_MAX_DEPTH tags), IPv4 (options
 * allowed), IPv6 (up to XGW_IPV6_MAX_EXTHDR extension headers), then TCP,
 * UDP, ICMP or ICMPv6. The result is a struct xgw_pkt that routing, the load
 * balancer and the accounting all read; nobody parses the frame twice.
 *
 * Every read of the frame goes through xgw_cursor_pull() (a header we read)
 * or xgw_cursor_skip() (bytes we step over): the bounds check against
 * data_end lives there and nowhere else. Helpers return the next protocol
 * (>= 0) or a negative enum xgw_reason.
 */
#ifndef XGW_PARSE_H
#define XGW_PARSE_H

#include "consts.h"
#include "xgw_shared.h"

#define XGW_PKT_F_FRAG	0x1	/* an IPv4/IPv6 fragment, first or not */
#define XGW_PKT_F_L4	0x2	/* l4_off, sport, dport, icmp_type are valid */
#define XGW_PKT_F_FRAG_LATER 0x4	/* a fragment other than the first */

/*
 * What the parser learnt about one frame. Offsets are from the start of the
 * frame (ctx->data) as received: after bpf_xdp_adjust_head() they are stale,
 * and whoever moves the frame updates them (xgw_forward() does for l3_off).
 * Addresses are in network order; IPv4 uses src[0]/dst[0], the rest is 0,
 * so both families hash and compare the same way (struct xgw_svc_key and
 * struct xgw_flow_key use the same layout).
 */
struct xgw_pkt {
	__u64  t_start;		/* latency sample start (ns); 0: not sampled */
	__be32 src[4];		/* IP source */
	__be32 dst[4];		/* IP destination */
	__u32  frame_len;	/* bytes received: data_end - data at entry */
	__u16  l3_off;		/* IP header, after Ethernet and VLAN tags */
	__u16  l4_off;		/* L4 header; valid with XGW_PKT_F_L4 */
	__u16  l3_len;		/* IP datagram: IPv4 tot_len, IPv6 40 + payload */
	__be16 sport;		/* TCP/UDP ports; 0 for other protocols */
	__be16 dport;
	__u8   family;		/* XGW_AF_INET or XGW_AF_INET6 */
	__u8   proto;		/* L4 protocol, after IPv6 extension headers */
	__u8   ttl;		/* TTL / hop limit as received */
	__u8   flags;		/* XGW_PKT_F_* */
	__u8   vlan_depth;	/* VLAN tags between Ethernet and IP: 0..2 */
	__u8   icmp_type;	/* ICMP/ICMPv6 type, with XGW_PKT_F_L4 */
	__u16  vlan_id;		/* outermost tag's VID, with vlan_depth > 0 */
	__u16  mtu;		/* the egress MTU that refused it (PASS_MTU, PASS_TTL) */
};

struct xgw_cursor {
	struct xdp_md *ctx;
	void *start;	/* ctx->data: offsets count from here */
	void *pos;
	void *end;
};

struct xgw_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* An IPv6 extension header's first two bytes: all five we skip share them. */
struct xgw_ip6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
};

/* The header of @len (constant) bytes at the cursor, or NULL if truncated. */
static __always_inline void *xgw_cursor_pull(struct xgw_cursor *c, __u32 len)
{
	void *p = c->pos;

	if (p + len > c->end)
		return NULL;
	c->pos = p + len;
	return p;
}

/* Step over @len (variable) bytes; false if they are not all in the frame. */
static __always_inline bool xgw_cursor_skip(struct xgw_cursor *c, __u32 len)
{
	void *p = c->pos + len;

	if (p > c->end)
		return false;
	c->pos = p;
	return true;
}

static __always_inline __u16 xgw_cursor_off(const struct xgw_cursor *c)
{
	return c->pos - c->start;
}

/*
 * @len (constant) bytes of the frame at offset @off (variable), or NULL
 * if the frame is shorter: for code past the parser, which has offsets
 * rather than a cursor. The context is read in asm: under register
 * pressure clang otherwise keeps ctx + offsetof(data_end) in a spilled
 * register, and the verifier refuses a load through a modified context
 * pointer.
 */
_Static_assert(__builtin_offsetof(struct xdp_md, data) == 0 &&
	       __builtin_offsetof(struct xdp_md, data_end) == 4, "xdp_md, read in asm");
static __always_inline void *xgw_frame_at(struct xdp_md *ctx, __u32 off, __u32 len)
{
	void *data, *end, *p;

	asm volatile("%0 = *(u32 *)(%2 + 0)\n\t"	/* offsetof(struct xdp_md, data) */
		     "%1 = *(u32 *)(%2 + 4)"		/* offsetof(struct xdp_md, data_end) */
		     : "=&r"(data), "=&r"(end) : "r"(ctx));

	off &= 0x3fff;	/* bounded, so off + len stays within MAX_PACKET_OFF */
	p = data + off;
	if (p + len > end)
		return NULL;
	return p;
}

/*
 * Ethernet and VLAN tags: returns the ethertype (network order) of the
 * payload. An untagged frame, the common case, is one load and a compare.
 */
static __always_inline int xgw_parse_eth(struct xgw_cursor *c, struct xgw_pkt *pkt)
{
	struct ethhdr *eth = xgw_cursor_pull(c, sizeof(*eth));
	__be16 proto;
	int i;

	if (!eth)
		return -XGW_DROP_MALFORMED;
	proto = eth->h_proto;
#pragma unroll
	for (i = 0; i < XGW_VLAN_MAX_DEPTH; i++) {
		struct xgw_vlan_hdr *vh;

		if (proto != bpf_htons(XGW_ETH_P_8021Q) && proto != bpf_htons(XGW_ETH_P_8021AD))
			break;
		vh = xgw_cursor_pull(c, sizeof(*vh));
		if (!vh)
			return -XGW_DROP_MALFORMED;
		if (!i)
			pkt->vlan_id = bpf_ntohs(vh->tci) & XGW_VLAN_VID_MASK;
		proto = vh->proto;
		pkt->vlan_depth = i + 1;
	}
	return proto;
}

/*
 * TCP/UDP/ICMP header at the cursor; @room is what is left of the IP datagram,
 * so a header in the Ethernet padding after the datagram counts as truncated.
 */
static __always_inline int xgw_parse_l4(struct xgw_cursor *c, struct xgw_pkt *pkt, __u32 room)
{
	__u16 off = xgw_cursor_off(c);

	if (pkt->proto == XGW_IPPROTO_UDP) {
		struct udphdr *uh = xgw_cursor_pull(c, XGW_UDP_HLEN);

		if (!uh || room < XGW_UDP_HLEN)
			return -XGW_DROP_TRUNC_L4;
		pkt->sport = uh->source;
		pkt->dport = uh->dest;
	} else if (pkt->proto == XGW_IPPROTO_TCP) {
		struct tcphdr *th = xgw_cursor_pull(c, XGW_TCP_HLEN_MIN);

		if (!th || room < XGW_TCP_HLEN_MIN || th->doff < 5 ||
		    (__u32)th->doff * 4 > room)
			return -XGW_DROP_TRUNC_L4;
		pkt->sport = th->source;
		pkt->dport = th->dest;
	} else if (pkt->proto == (pkt->family == XGW_AF_INET ? XGW_IPPROTO_ICMP :
							      XGW_IPPROTO_ICMPV6)) {
		__u8 *ih = xgw_cursor_pull(c, XGW_ICMP_HLEN);

		if (!ih || room < XGW_ICMP_HLEN)
			return -XGW_DROP_TRUNC_L4;
		pkt->icmp_type = ih[0];
	} else {
		return 0;	/* no L4 header we look into */
	}
	pkt->l4_off = off;
	pkt->flags |= XGW_PKT_F_L4;
	return 0;
}

/*
 * The options of an IPv4 header, or of the hop-by-hop header right after
 * an IPv6 header, at @l3_off: 0 for padding only (forward), or the
 * reason the kernel must have them. As the kernel treats a packet it
 * forwards: a source route (LSRR, SSRR) is dropped (accept_source_route
 * 0, its default); any other option (Router Alert, record route,
 * timestamps, IPv6 jumbo...) is handed to the kernel, which processes it;
 * so is an IPv6 hop-by-hop header longer than XGW_IPV6_HBH_SCAN bytes. An
 * option that runs past its header, or a hop-by-hop header that runs past
 * the datagram (@l3_len bytes from @l3_off), is a bad header.
 *
 * A global function: verified once, on its own, and called only for the
 * rare packet that has options.
 */
struct xgw_opt_scan {
	__u8 buf[XGW_IPV6_HBH_SCAN];	/* the options, copied out of the frame */
	__u32 i, len;			/* next option, bytes of options */
	int ret;			/* 0 or -reason so far */
	bool v4;
};

/* bpf_loop() callback: one option at st->i. 1: done (st->ret says). */
static long xgw_parse_opt(__u64 index, void *data)
{
	struct xgw_opt_scan *st = data;
	__u32 i = st->i, olen;
	__u8 type;

	(void)index;
	if (i >= st->len)
		return 1;
	type = st->buf[i & (XGW_IPV6_HBH_SCAN - 1)];
	if (st->v4 && type == XGW_IPOPT_END)
		return 1;
	if (type == (st->v4 ? XGW_IPOPT_NOOP : XGW_IPV6_OPT_PAD1)) {
		st->i = i + 1;
		return 0;
	}
	olen = i + 1 < st->len ? st->buf[(i + 1) & (XGW_IPV6_HBH_SCAN - 1)] + (st->v4 ? 0 : 2) : 0;
	if (olen < 2 || i + olen > st->len) {
		st->ret = -XGW_DROP_BAD_IP;
		return 1;
	}
	if (st->v4 && (type == XGW_IPOPT_LSRR || type == XGW_IPOPT_SSRR)) {
		st->ret = -XGW_DROP_SRCROUTE;
		return 1;
	}
	if (st->v4 || type != XGW_IPV6_OPT_PADN)
		st->ret = -XGW_PASS_IPOPT;
	st->i = i + olen;
	return 0;
}

__noinline int xgw_parse_opts(struct xdp_md *ctx, __u32 l3_off, __u32 family, __u32 l3_len)
{
	struct xgw_opt_scan st = { .v4 = family == XGW_AF_INET };
	__u8 *h;
	__u32 off;

	if (st.v4) {	/* (an IPv4 packet with options may be under 42 bytes) */
		h = xgw_frame_at(ctx, l3_off, 1);
		if (!h)
			return -XGW_DROP_BAD_IP;
		off = l3_off + XGW_IPV4_HLEN_MIN;
		st.len = (h[0] & 0xf) * 4 - XGW_IPV4_HLEN_MIN;
	} else {
		/* the header within the datagram (@l3_len, itself within the
		 * frame), or it is a bad one, whatever it says */
		h = xgw_frame_at(ctx, l3_off, XGW_IPV6_HLEN + 2);
		if (!h || l3_len < XGW_IPV6_HLEN + 8)
			return -XGW_DROP_BAD_IP;
		off = l3_off + XGW_IPV6_HLEN + 2;
		st.len = ((__u32)h[XGW_IPV6_HLEN + 1] + 1) * 8 - 2;
		if (XGW_IPV6_HLEN + 2 + st.len > l3_len)
			return -XGW_DROP_BAD_IP;
		if (st.len > XGW_IPV6_HBH_SCAN)
			return -XGW_PASS_IPOPT;
	}
	if (!st.len || st.len > XGW_IPV6_HBH_SCAN ||
	    bpf_xdp_load_bytes(ctx, off, st.buf, st.len))
		return -XGW_DROP_BAD_IP;
	bpf_loop(XGW_IPV6_HBH_SCAN, xgw_parse_opt, &st, 0);
	return st.ret;
}

static __always_inline int xgw_parse_ipv4(struct xgw_cursor *c, struct xgw_pkt *pkt)
{
	struct iphdr *iph = xgw_cursor_pull(c, XGW_IPV4_HLEN_MIN);
	__u32 hlen, tot_len;
	__u8 vihl;

	if (!iph)
		return -XGW_DROP_BAD_IP;
	pkt->src[0] = iph->saddr;
	pkt->src[1] = pkt->src[2] = pkt->src[3] = 0;
	pkt->dst[0] = iph->daddr;
	pkt->dst[1] = pkt->dst[2] = pkt->dst[3] = 0;
	vihl = *(__u8 *)iph;
	tot_len = bpf_ntohs(iph->tot_len);
	if (vihl == 0x45) {	/* no options: the common case */
		hlen = XGW_IPV4_HLEN_MIN;
		if (tot_len < hlen || (void *)iph + tot_len > c->end)
			return -XGW_DROP_BAD_IP;
	} else {
		hlen = (vihl & 0xf) * 4;
		if ((vihl >> 4) != 4 || hlen < XGW_IPV4_HLEN_MIN || tot_len < hlen ||
		    (void *)iph + tot_len > c->end)
			return -XGW_DROP_BAD_IP;
		if (!xgw_cursor_skip(c, hlen - XGW_IPV4_HLEN_MIN))	/* options */
			return -XGW_DROP_BAD_IP;
		if (hlen > XGW_IPV4_HLEN_MIN) {
			int ret = xgw_parse_opts(c->ctx, xgw_cursor_off(c) - hlen, XGW_AF_INET,
						 tot_len);

			if (ret)
				return ret;
		}
	}

	pkt->family = XGW_AF_INET;
	pkt->l3_len = tot_len;
	pkt->proto = iph->protocol;
	pkt->ttl = iph->ttl;

	/* frag_off in network order: MF is 0x0020, the offset 0xff1f */
	if (iph->frag_off & bpf_htons(XGW_IP_MF | XGW_IP_OFFSET)) {
		pkt->flags |= XGW_PKT_F_FRAG;
		if (iph->frag_off & bpf_htons(XGW_IP_OFFSET)) {
			pkt->flags |= XGW_PKT_F_FRAG_LATER;
			return 0;	/* not the first fragment: no L4 header here */
		}
	}
	return xgw_parse_l4(c, pkt, tot_len - hlen);
}

/*
 * Step over IPv6 extension headers; @room is the payload length left. Sets
 * pkt->proto to the first non-extension header, or returns 1 when a
 * non-first fragment leaves no L4 header to parse.
 */
static __always_inline int xgw_parse_ipv6_ext(struct xgw_cursor *c, struct xgw_pkt *pkt,
					      __u32 *room)
{
	__u8 next = pkt->proto;
	int i;

#pragma unroll
	for (i = 0; i <= XGW_IPV6_MAX_EXTHDR; i++) {
		struct xgw_ip6_ext *eh;
		__u32 len;

		switch (next) {
		case XGW_IPPROTO_HOPOPTS:
		case XGW_IPPROTO_ROUTING:
		case XGW_IPPROTO_DSTOPTS:
		case XGW_IPPROTO_FRAGMENT:
		case XGW_IPPROTO_AH:
			break;
		default:
			pkt->proto = next;
			return 0;
		}
		if (i == XGW_IPV6_MAX_EXTHDR)
			return -XGW_PASS_EXTHDR;
		/* Every extension header is at least 8 bytes long. */
		eh = xgw_cursor_pull(c, 8);
		if (!eh || *room < 8)
			return -XGW_DROP_BAD_IP;
		if (next == XGW_IPPROTO_FRAGMENT) {
			struct frag_hdr *fh = (void *)eh;

			len = 8;
			pkt->flags |= XGW_PKT_F_FRAG;
			if (bpf_ntohs(fh->frag_off) & XGW_IP6_FRAG_OFFSET) {
				pkt->flags |= XGW_PKT_F_FRAG_LATER;
				pkt->proto = fh->nexthdr;
				return 1;
			}
		} else if (next == XGW_IPPROTO_AH) {
			len = ((__u32)eh->hdrlen + 2) * 4;
		} else {
			len = ((__u32)eh->hdrlen + 1) * 8;
		}
		if (len > *room || !xgw_cursor_skip(c, len - 8))
			return -XGW_DROP_BAD_IP;
		*room -= len;
		next = eh->nexthdr;
	}
	return -XGW_PASS_EXTHDR;	/* not reached: the loop returns */
}

static __always_inline int xgw_parse_ipv6(struct xgw_cursor *c, struct xgw_pkt *pkt)
{
	struct ipv6hdr *ip6h = xgw_cursor_pull(c, XGW_IPV6_HLEN);
	__u32 room;
	int ret;

	if (!ip6h)
		return -XGW_DROP_BAD_IP;
	__builtin_memcpy(pkt->src, &ip6h->saddr, sizeof(pkt->src));
	__builtin_memcpy(pkt->dst, &ip6h->daddr, sizeof(pkt->dst));
	room = bpf_ntohs(ip6h->payload_len);
	if ((*(__u8 *)ip6h >> 4) != 6 || c->pos + room > c->end)
		return -XGW_DROP_BAD_IP;

	pkt->family = XGW_AF_INET6;
	pkt->l3_len = XGW_IPV6_HLEN + room;
	pkt->proto = ip6h->nexthdr;
	pkt->ttl = ip6h->hop_limit;
	if (ip6h->nexthdr == XGW_IPPROTO_HOPOPTS) {
		ret = xgw_parse_opts(c->ctx, xgw_cursor_off(c) - XGW_IPV6_HLEN, XGW_AF_INET6,
				     pkt->l3_len);
		if (ret)
			return ret;
	}

	ret = xgw_parse_ipv6_ext(c, pkt, &room);
	if (ret)
		return ret < 0 ? ret : 0;
	return xgw_parse_l4(c, pkt, room);
}

/*
 * The common IPv4 frame: untagged Ethernet, IPv4 without options, not a
 * fragment, UDP or TCP with a whole header inside the datagram, and the
 * datagram inside the frame. Returns its IP header with *tot_len set, or
 * NULL: not that frame (parse it in full).
 */
static __always_inline struct iphdr *xgw_fast4_iph(void *data, void *end, __u32 *tot_len)
{
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	__u32 l4_len;

	/* 20 bytes past the IP header: a whole TCP header or a UDP one */
	if ((void *)iph + XGW_IPV4_HLEN_MIN + XGW_TCP_HLEN_MIN > end ||
	    eth->h_proto != bpf_htons(XGW_ETH_P_IP) || *(__u8 *)iph != 0x45 ||
	    (iph->frag_off & bpf_htons(XGW_IP_MF | XGW_IP_OFFSET)))
		return NULL;
	*tot_len = bpf_ntohs(iph->tot_len);
	if (iph->protocol == XGW_IPPROTO_UDP) {
		l4_len = XGW_UDP_HLEN;
	} else if (iph->protocol == XGW_IPPROTO_TCP) {
		l4_len = ((struct tcphdr *)(iph + 1))->doff * 4;
		if (l4_len < XGW_TCP_HLEN_MIN)
			return NULL;
	} else {
		return NULL;
	}
	if (*tot_len < XGW_IPV4_HLEN_MIN + l4_len || (void *)iph + *tot_len > end)
		return NULL;
	return iph;
}

/*
 * The frame of xgw_fast4_iph() in one go: fills what xgw_parse() would and
 * returns 0, or returns 1: not that frame (the caller parses it in full;
 * nothing here needs undoing).
 */
static __always_inline int xgw_parse_fast4(struct xgw_cursor *c, struct xgw_pkt *pkt)
{
	struct iphdr *iph;
	__be16 *ports;
	__u32 tot_len;

	iph = xgw_fast4_iph(c->pos, c->end, &tot_len);
	if (!iph)
		return 1;
	ports = (void *)(iph + 1);
	pkt->src[0] = iph->saddr;
	pkt->src[1] = pkt->src[2] = pkt->src[3] = 0;
	pkt->dst[0] = iph->daddr;
	pkt->dst[1] = pkt->dst[2] = pkt->dst[3] = 0;
	pkt->l3_off = XGW_ETH_HLEN;
	pkt->l4_off = XGW_ETH_HLEN + XGW_IPV4_HLEN_MIN;
	pkt->l3_len = tot_len;
	pkt->sport = ports[0];
	pkt->dport = ports[1];
	pkt->family = XGW_AF_INET;
	pkt->proto = iph->protocol;
	pkt->ttl = iph->ttl;
	pkt->flags = XGW_PKT_F_L4;
	return 0;
}

/*
 * As xgw_parse_fast4() for IPv6: untagged, no extension header, UDP or TCP
 * whole inside the payload. 0: @pkt filled; 1: parse it in full.
 */
static __always_inline int xgw_parse_fast6(struct xgw_cursor *c, struct xgw_pkt *pkt)
{
	struct ethhdr *eth = c->pos;
	struct ipv6hdr *ip6h = (void *)(eth + 1);
	__be16 *ports = (void *)(ip6h + 1);
	__u32 room, l4_len;

	if ((void *)(ports + 4) > c->end || eth->h_proto != bpf_htons(XGW_ETH_P_IPV6) ||
	    (*(__u8 *)ip6h >> 4) != 6)
		return 1;
	room = bpf_ntohs(ip6h->payload_len);
	if (ip6h->nexthdr == XGW_IPPROTO_UDP) {
		l4_len = XGW_UDP_HLEN;
	} else if (ip6h->nexthdr == XGW_IPPROTO_TCP) {
		struct tcphdr *th = (void *)ports;

		if ((void *)(th + 1) > c->end)
			return 1;
		l4_len = th->doff * 4;
		if (l4_len < XGW_TCP_HLEN_MIN)
			return 1;
	} else {
		return 1;
	}
	if (room < l4_len || (void *)ports + room > c->end)
		return 1;
	__builtin_memcpy(pkt->src, &ip6h->saddr, sizeof(pkt->src));
	__builtin_memcpy(pkt->dst, &ip6h->daddr, sizeof(pkt->dst));
	pkt->l3_off = XGW_ETH_HLEN;
	pkt->l4_off = XGW_ETH_HLEN + XGW_IPV6_HLEN;
	pkt->l3_len = XGW_IPV6_HLEN + room;
	pkt->sport = ports[0];
	pkt->dport = ports[1];
	pkt->family = XGW_AF_INET6;
	pkt->proto = ip6h->nexthdr;
	pkt->ttl = ip6h->hop_limit;
	pkt->flags = XGW_PKT_F_L4;
	return 0;
}

/*
 * Parse the frame into @pkt, every field but t_start: fields of headers the
 * frame lacks are 0, and so are src[1..3] and dst[1..3] of IPv4. Returns 0
 * for an IPv4/IPv6 packet whose headers are sound, or a negative enum
 * xgw_reason saying why the datapath stops here (-XGW_PASS_NON_IP,
 * -XGW_DROP_*, -XGW_PASS_EXTHDR).
 */
static __always_inline int xgw_parse(struct xdp_md *ctx, struct xgw_pkt *pkt)
{
	struct xgw_cursor c = {
		.ctx = ctx,
		.start = (void *)(long)ctx->data,
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	int proto;

	/* Field by field rather than `*pkt = (struct xgw_pkt){}`: no field is
	 * stored twice on the common path. */
	pkt->frame_len = c.end - c.start;
	pkt->vlan_depth = 0;
	pkt->icmp_type = 0;
	pkt->vlan_id = 0;
	pkt->mtu = 0;
	if (!xgw_parse_fast4(&c, pkt) || !xgw_parse_fast6(&c, pkt))
		return 0;
	pkt->l3_off = 0;
	pkt->l4_off = 0;
	pkt->l3_len = 0;
	pkt->sport = 0;
	pkt->dport = 0;
	pkt->family = 0;
	pkt->proto = 0;
	pkt->ttl = 0;
	pkt->flags = 0;

	proto = xgw_parse_eth(&c, pkt);
	if (proto == bpf_htons(XGW_ETH_P_IP) || proto == bpf_htons(XGW_ETH_P_IPV6)) {
		pkt->l3_off = xgw_cursor_off(&c);
		if (proto == bpf_htons(XGW_ETH_P_IP))
			return xgw_parse_ipv4(&c, pkt);
		return xgw_parse_ipv6(&c, pkt);
	}
	if (proto >= 0)
		proto = -XGW_PASS_NON_IP;
	__builtin_memset(pkt->src, 0, sizeof(pkt->src));
	__builtin_memset(pkt->dst, 0, sizeof(pkt->dst));
	return proto;
}

#endif /* XGW_PARSE_H */
