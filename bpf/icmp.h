/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ICMP errors the gateway sends itself, so they work whether or not the
 * kernel forwards: IPv4 time exceeded and fragmentation needed (RFC 792,
 * RFC 1191, RFC 1812), IPv6 hop limit exceeded and packet too big
 * (RFC 4443). The error replaces the packet in its own buffer and leaves
 * by XDP_TX, out of the port it came in on, MACs swapped and any VLAN tags
 * kept; its source is the gateway's address on that link (xgw_ifinfo).
 *
 * Quoted: the offending datagram as received, from its IP header on:
 * IPv4 up to 576 bytes in all (548 quoted, as the kernel's icmp_send()),
 * IPv6 as much as fits in the minimum MTU, 1280 (1232 quoted).
 *
 * Never for: a source the screen would not forward from (martian,
 * multicast, broadcast), a frame sent to a multicast MAC, a fragment other
 * than the first, a packet that is itself an ICMP error, an IPv4 packet
 * without DF (the kernel fragments it). Those, and everything while
 * xgw_config.icmp_rate is 0 or while the link has no address of the
 * family, keep the old way: handed to the kernel (ttl_exceeded,
 * frag_needed). Rate: a token bucket per CPU (icmp_rate errors per second,
 * icmp_burst deep, as the kernel's icmp_msgs_per_sec / icmp_msgs_burst); a
 * packet over the rate is dropped (icmp_ratelimited).
 *
 * All of it is one global function, called from the program's one exit
 * for the TTL and MTU reasons only: verified once, and nothing on the
 * forward path.
 */
#ifndef XGW_ICMP_H
#define XGW_ICMP_H

#include "csum.h"
#include "maps.h"
#include "parse.h"

#define XGW_ICMP_ERR_TTL	64	/* TTL / hop limit of the errors we send */
#define XGW_ICMP4_MAX		576	/* IPv4 error datagram, at most (RFC 1812 4.3.2.3) */
#define XGW_ICMP6_MAX		1280	/* IPv6 error datagram, at most (RFC 4443 2.4 c) */
#define XGW_IPTOS_PREC_IC	0xc0	/* precedence internetwork control */
#define XGW_IPTOS_TOS_MASK	0x1e


/*
 * The sum of the frame's bytes from offset @off to its end, as 16-bit
 * words read in place, an odd last byte zero padded (@off is even relative
 * to where the checksummed data begins). A global function with one plain
 * loop: verified once, with paths that grow with the length, not with its
 * powers of two.
 */
__noinline __u32 xgw_csum_frame(struct xdp_md *ctx, __u32 off)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data + (off & 0xff);	/* headers only: at most 22 + 48 */
	__u64 sum = 0;
	int i;

#pragma clang loop unroll(disable)
	for (i = 0; i < XGW_ICMP6_MAX / 2; i++) {
		if ((void *)(p + 2) > end)
			break;
		sum += *(__u16 *)p;
		p += 2;
	}
	if ((void *)(p + 1) <= end)
		sum += bpf_ntohs((__u16)p[0] << 8);	/* the word p[0], 0 as loaded */
	sum = (sum & 0xffffffff) + (sum >> 32);
	return (sum & 0xffffffff) + (sum >> 32);
}

/* May this CPU send one more ICMP error now? (token bucket, credit in ns) */
static __always_inline bool xgw_icmp_allow(const struct xgw_config *cfg)
{
	struct xgw_icmp_bucket *tb;
	__u64 now, cost, cap, credit, elapsed;
	__u32 zero = 0;

	tb = bpf_map_lookup_elem(&xgw_icmp_tb, &zero);
	if (!tb)
		return false;
	now = bpf_ktime_get_ns();
	cost = XGW_NSEC_PER_SEC / cfg->icmp_rate;
	cap = cost * (cfg->icmp_burst ? cfg->icmp_burst : 1);
	elapsed = now - tb->stamp_ns;
	credit = elapsed >= cap ? cap : tb->credit_ns + elapsed;
	if (credit > cap)
		credit = cap;
	tb->stamp_ns = now;
	if (credit < cost) {
		tb->credit_ns = credit;
		return false;
	}
	tb->credit_ns = credit - cost;
	return true;
}

/* Is @pkt one of the packets that must never be answered with an error? */
static __always_inline bool xgw_icmp_is_exempt(struct xdp_md *ctx, const struct xgw_pkt *pkt,
					       __u32 why)
{
	__u8 *eth = xgw_frame_at(ctx, 0, 1), *ip = xgw_frame_at(ctx, pkt->l3_off, 8);
	__u32 src = bpf_ntohl(pkt->src[0]);

	if (!eth || !ip || (eth[0] & 1) || (pkt->flags & XGW_PKT_F_FRAG_LATER))
		return true;	/* to a group MAC; a fragment other than the first */
	if (pkt->family == XGW_AF_INET) {
		if (why == XGW_PASS_MTU && !(ip[6] & (XGW_IP_DF >> 8)))
			return true;	/* no DF: the kernel fragments it */
		if ((pkt->flags & XGW_PKT_F_L4) && pkt->proto == XGW_IPPROTO_ICMP &&
		    pkt->icmp_type < 32 && ((1u << pkt->icmp_type) & XGW_ICMP_ERRORS))
			return true;	/* an error about an error */
		return src - 0x01000000 >= 0xdf000000 || (src >> 24) == 127;
	}
	if ((pkt->flags & XGW_PKT_F_L4) && pkt->proto == XGW_IPPROTO_ICMPV6 &&
	    pkt->icmp_type < 128)
		return true;
	return (src >> 24) == 0xff || (src >> 22) == (0xfe80 >> 6) ||
	       (!pkt->src[0] && !pkt->src[1] && !pkt->src[2] && bpf_ntohl(pkt->src[3]) <= 1);
}

/*
 * Turn the frame into an L2 header like the received one (MACs swapped,
 * VLAN tags kept), @hlen bytes of new headers, then the received datagram
 * cut to @quote bytes. Returns the new headers' start, the frame's end in
 * *endp, or NULL (the frame is then beyond repair: drop it).
 */
static __always_inline void *xgw_icmp_frame(struct xdp_md *ctx, __u32 l2, __u32 hlen,
					    __u32 quote, void **endp)
{
	void *data, *end;
	__u8 *eth, *old;
	__u32 i;
	int delta;

	if (bpf_xdp_adjust_head(ctx, -(int)hlen))
		return NULL;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	delta = (int)(l2 + hlen + quote) - (int)(end - data);
	if (delta < 0 && bpf_xdp_adjust_tail(ctx, delta))
		return NULL;
	/* Two paths join here: keep clang from reading the two fields of the
	 * context through one computed pointer (the verifier refuses that). */
	asm volatile("" : "+r"(ctx));
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	old = data + hlen;	/* the received L2 header, moved with the head */
	if ((void *)(old + XGW_L2_MAX_LEN) > end || (void *)(eth + l2 + hlen) > end)
		return NULL;
	__builtin_memcpy(eth, old + 6, 6);	/* back to the sender */
	__builtin_memcpy(eth + 6, old, 6);
#pragma unroll
	for (i = 12; i < XGW_L2_MAX_LEN; i += 2)
		if (i < l2)
			*(__u16 *)(eth + i) = *(__u16 *)(old + i);
	*endp = end;
	return eth + l2;
}

static __always_inline int xgw_icmp4_send(struct xdp_md *ctx, const struct xgw_pkt *pkt,
					  __be32 saddr, __u32 why, __u16 mtu)
{
	__u32 l2 = pkt->l3_off, quote = pkt->l3_len, hlen = XGW_IPV4_HLEN_MIN + XGW_ICMP_HLEN;
	__u8 *ip = xgw_frame_at(ctx, l2, 2), tos;
	struct iphdr *iph;
	__u8 *icmp;
	void *end;

	if (!ip || l2 > XGW_L2_MAX_LEN)
		return why;
	tos = (ip[1] & XGW_IPTOS_TOS_MASK) | XGW_IPTOS_PREC_IC;
	if (quote > XGW_ICMP4_MAX - hlen)
		quote = XGW_ICMP4_MAX - hlen;
	iph = xgw_icmp_frame(ctx, l2, hlen, quote, &end);
	if (!iph)
		return XGW_DROP_MALFORMED;
	icmp = (__u8 *)(iph + 1);
	if ((void *)(icmp + XGW_ICMP_HLEN) > end)
		return XGW_DROP_MALFORMED;
	*(__u8 *)iph = 0x45;
	iph->tos = tos;
	iph->tot_len = bpf_htons(hlen + quote);
	iph->id = bpf_get_prandom_u32();
	iph->frag_off = 0;
	iph->ttl = XGW_ICMP_ERR_TTL;
	iph->protocol = XGW_IPPROTO_ICMP;
	iph->check = 0;
	iph->saddr = saddr;
	iph->daddr = pkt->src[0];
	iph->check = (__u16)~xgw_csum_fold(bpf_csum_diff(NULL, 0, (void *)iph, XGW_IPV4_HLEN_MIN, 0));
	*(__u32 *)icmp = 0;
	*(__u32 *)(icmp + 4) = 0;
	if (why == XGW_PASS_TTL) {
		icmp[0] = XGW_ICMP_TIME_EXCEEDED;
	} else {
		icmp[0] = XGW_ICMP_DEST_UNREACH;
		icmp[1] = XGW_ICMP_FRAG_NEEDED;
		*(__be16 *)(icmp + 6) = bpf_htons(mtu);	/* next-hop MTU (RFC 1191) */
	}
	*(__u16 *)(icmp + 2) = (__u16)~xgw_csum_fold(xgw_csum_frame(ctx, l2 + XGW_IPV4_HLEN_MIN));
	return why == XGW_PASS_TTL ? XGW_TX_ICMP_TIME : XGW_TX_ICMP_MTU;
}

static __always_inline int xgw_icmp6_send(struct xdp_md *ctx, const struct xgw_pkt *pkt,
					  const __be32 *saddr, __u32 why, __u16 mtu)
{
	__u32 l2 = pkt->l3_off, quote = pkt->l3_len, hlen = XGW_IPV6_HLEN + XGW_ICMP_HLEN;
	struct {
		__be32 src[4], dst[4];
		__be32 len, next;
	} ph;
	struct ipv6hdr *ip6h;
	__u8 *icmp;
	void *end;

	if (l2 > XGW_L2_MAX_LEN)
		return why;
	if (quote > XGW_ICMP6_MAX - hlen)
		quote = XGW_ICMP6_MAX - hlen;
	__builtin_memcpy(ph.src, saddr, 16);
	__builtin_memcpy(ph.dst, pkt->src, 16);
	ph.len = bpf_htonl(XGW_ICMP_HLEN + quote);
	ph.next = bpf_htonl(XGW_IPPROTO_ICMPV6);
	ip6h = xgw_icmp_frame(ctx, l2, hlen, quote, &end);
	if (!ip6h)
		return XGW_DROP_MALFORMED;
	icmp = (__u8 *)(ip6h + 1);
	if ((void *)(icmp + XGW_ICMP_HLEN) > end)
		return XGW_DROP_MALFORMED;
	*(__be32 *)ip6h = bpf_htonl(0x60000000);
	ip6h->payload_len = bpf_htons(XGW_ICMP_HLEN + quote);
	ip6h->nexthdr = XGW_IPPROTO_ICMPV6;
	ip6h->hop_limit = XGW_ICMP_ERR_TTL;
	__builtin_memcpy(&ip6h->saddr, ph.src, 16);
	__builtin_memcpy(&ip6h->daddr, ph.dst, 16);
	*(__u32 *)icmp = 0;
	*(__u32 *)(icmp + 4) = 0;
	if (why == XGW_PASS_TTL) {
		icmp[0] = XGW_ICMPV6_TIME_EXCEED;
	} else {
		icmp[0] = XGW_ICMPV6_PKT_TOOBIG;
		*(__be32 *)(icmp + 4) = bpf_htonl(mtu);
	}
	*(__u16 *)(icmp + 2) = (__u16)~xgw_csum_fold((__u64)xgw_csum_frame(ctx, l2 + XGW_IPV6_HLEN) +
					     bpf_csum_diff(NULL, 0, (void *)&ph, sizeof(ph), 0));
	return why == XGW_PASS_TTL ? XGW_TX_ICMP_TIME : XGW_TX_ICMP_MTU;
}

/*
 * @pkt's TTL expired (@why XGW_PASS_TTL) or it is larger than pkt->mtu,
 * the egress MTU (@why XGW_PASS_MTU): answer it with the ICMP error when
 * we may (XGW_TX_ICMP_*: the frame is now that error), refuse it over the
 * rate (XGW_DROP_ICMP_LIMIT), or return @why with the frame untouched.
 * pkt->mtu 0: nobody said which MTU (the load balancer's encapsulation
 * check): the kernel's.
 */
__noinline int xgw_icmp_error(struct xdp_md *ctx, const struct xgw_pkt *pkt, __u32 why)
{
	struct xgw_config *cfg;
	struct xgw_ifinfo *ifi;
	__u32 zero = 0, ifindex;

	if (!pkt || (why != XGW_PASS_TTL && why != XGW_PASS_MTU) || !pkt->mtu)
		return why;
	cfg = bpf_map_lookup_elem(&xgw_config, &zero);
	if (!cfg || !cfg->icmp_rate || xgw_icmp_is_exempt(ctx, pkt, why))
		return why;
	ifindex = ctx->ingress_ifindex;
	ifi = bpf_map_lookup_elem(&xgw_ifinfo, &ifindex);
	if (!ifi)
		return why;
	if (pkt->family == XGW_AF_INET) {
		if (!ifi->addr4)
			return why;
		if (!xgw_icmp_allow(cfg))
			return XGW_DROP_ICMP_LIMIT;
		return xgw_icmp4_send(ctx, pkt, ifi->addr4, why, pkt->mtu);
	}
	if (!(ifi->addr6[0] | ifi->addr6[1] | ifi->addr6[2] | ifi->addr6[3]))
		return why;
	if (!xgw_icmp_allow(cfg))
		return XGW_DROP_ICMP_LIMIT;
	return xgw_icmp6_send(ctx, pkt, ifi->addr6, why, pkt->mtu);
}

#endif /* XGW_ICMP_H */
