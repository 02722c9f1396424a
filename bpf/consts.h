/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Protocol numbers and limits for the datapath. vmlinux.h carries the kernel's
 * types but none of its #defines, so the handful we need live here. Limits are
 * #ifndef-guarded so a build can override them (-DXGW_...=N).
 */
#ifndef XGW_CONSTS_H
#define XGW_CONSTS_H

/* XDP verdicts, as in include/uapi/linux/bpf.h (enum xdp_action). */
#define XGW_XDP_ABORTED		0
#define XGW_XDP_DROP		1
#define XGW_XDP_PASS		2
#define XGW_XDP_TX		3
#define XGW_XDP_REDIRECT	4

#define XGW_AF_INET		2
#define XGW_AF_INET6		10

#define XGW_ETH_ALEN		6
#define XGW_ETH_HLEN		14
#define XGW_VLAN_HLEN		4
#define XGW_ETH_P_IP		0x0800
#define XGW_ETH_P_IPV6		0x86DD
#define XGW_ETH_P_8021Q		0x8100
#define XGW_ETH_P_8021AD	0x88A8
#define XGW_VLAN_VID_MASK	0x0fff

/* Largest L2 header we parse: Ethernet plus XGW_VLAN_MAX_DEPTH tags. */
#define XGW_L2_MAX_LEN		(XGW_ETH_HLEN + XGW_VLAN_MAX_DEPTH * XGW_VLAN_HLEN)

#define XGW_IPPROTO_HOPOPTS	0
#define XGW_IPPROTO_ICMP	1
#define XGW_IPPROTO_IPIP	4
#define XGW_IPPROTO_TCP		6
#define XGW_IPPROTO_UDP		17
#define XGW_IPPROTO_IPV6	41
#define XGW_IPPROTO_ROUTING	43
#define XGW_IPPROTO_FRAGMENT	44
#define XGW_IPPROTO_AH		51
#define XGW_IPPROTO_ICMPV6	58
#define XGW_IPPROTO_DSTOPTS	60

#define XGW_IP_MF		0x2000	/* host order, in frag_off */
#define XGW_IP_OFFSET		0x1fff
#define XGW_IP6_FRAG_OFFSET	0xfff8	/* host order, in frag_off */

#define XGW_IPV4_HLEN_MIN	20
#define XGW_IPV6_HLEN		40
#define XGW_TCP_HLEN_MIN	20
#define XGW_UDP_HLEN		8
#define XGW_ICMP_HLEN		8

/* ICMP types and codes (lb.h defines some of them identically). */
#define XGW_ICMP_DEST_UNREACH	3
#define XGW_ICMP_FRAG_NEEDED	4	/* code of DEST_UNREACH */
#define XGW_ICMP_TIME_EXCEEDED	11
/* Error types (RFC 1812 4.3.2.7): unreachable, source quench, redirect,
 * time exceeded, parameter problem. */
#define XGW_ICMP_ERRORS		(1u << 3 | 1u << 4 | 1u << 5 | 1u << 11 | 1u << 12)
#define XGW_ICMPV6_PKT_TOOBIG	2
#define XGW_ICMPV6_TIME_EXCEED	3
#define XGW_ICMPV6_INFO_MIN	128	/* types below are errors */

/* IPv4 options (RFC 791) */
#define XGW_IPOPT_END		0
#define XGW_IPOPT_NOOP		1
#define XGW_IPOPT_LSRR		0x83
#define XGW_IPOPT_SSRR		0x89
#define XGW_IPOPT_MAX_LEN	40
/* IPv6 hop-by-hop options (RFC 8200 4.2) */
#define XGW_IPV6_OPT_PAD1	0
#define XGW_IPV6_OPT_PADN	1
#define XGW_IPV6_HBH_SCAN	64	/* longer hop-by-hop headers go to the kernel */

#define XGW_IP_DF		0x4000	/* host order, in frag_off */
#define XGW_NSEC_PER_SEC	1000000000ULL

/* ICMPv6 neighbour discovery: router solicit .. redirect (RFC 4861). */
#define XGW_ICMPV6_ND_FIRST	133
#define XGW_ICMPV6_ND_LAST	137

#endif /* XGW_CONSTS_H */
