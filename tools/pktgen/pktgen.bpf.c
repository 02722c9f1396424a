// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgw-pktgen's sender. Run by BPF_PROG_RUN in live-frames mode against the
 * client's veth: every run sends the prepared frame out of that device
 * (XDP_TX). Live-frame pages are recycled as they come back, with whatever
 * the receivers wrote into them (a forwarding stack rewrites MACs and the
 * TTL in place), so every run first restores the headers from the template
 * set by userspace, then sets the fields that vary: the UDP source port (one
 * per flow) and the low 32 bits of the destination address (a range), with
 * the checksums patched incrementally (RFC 1624) rather than recomputed.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD

const volatile __u32 nflows = 1;	/* source ports sport_base.. */
const volatile __u16 sport_base = 10000;
const volatile __u32 ndst = 1;		/* destinations dst_base.. */
const volatile __u32 dst_base;		/* host order: low 32 bits */
const volatile __u8 is_ipv6;

#define HDR4_LEN	(14 + 20 + 8)
#define HDR6_LEN	(14 + 40 + 8)

/* Ethernet, IP and UDP headers of flow 0, written by userspace. */
__u8 tmpl[HDR6_LEN] SEC(".data");

__u64 seq;	/* single sender thread: no atomics needed */

static __always_inline __u16 csum_fold_add(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* Replace a 32-bit field covered by one or two checksums. */
static __always_inline void set32(__be32 *field, __be32 val, __u16 *c1, __u16 *c2)
{
	__u16 *o = (__u16 *)field, *n = (__u16 *)&val;

	if (c1) {
		*c1 = csum_fold_add(*c1, o[0], n[0]);
		*c1 = csum_fold_add(*c1, o[1], n[1]);
	}
	if (c2) {
		*c2 = csum_fold_add(*c2, o[0], n[0]);
		*c2 = csum_fold_add(*c2, o[1], n[1]);
	}
	*field = val;
}

SEC("xdp")
int xgw_pktgen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u16 *ipcheck = NULL;
	__be32 *dst;
	__u64 n = seq++;

	if (is_ipv6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if (data + HDR6_LEN > end)
			return XDP_ABORTED;
		__builtin_memcpy(data, tmpl, HDR6_LEN);
		udp = (void *)(ip6 + 1);
		dst = &ip6->daddr.in6_u.u6_addr32[3];
	} else {
		struct iphdr *ip = (void *)(eth + 1);

		if (data + HDR4_LEN > end)
			return XDP_ABORTED;
		__builtin_memcpy(data, tmpl, HDR4_LEN);
		udp = (void *)(ip + 1);
		dst = &ip->daddr;
		ipcheck = &ip->check;
	}
	if (nflows > 1) {
		__be16 sport = bpf_htons(sport_base + n % nflows);

		udp->check = csum_fold_add(udp->check, udp->source, sport);
		udp->source = sport;
	}
	if (ndst > 1)
		set32(dst, bpf_htonl(dst_base + n % ndst), ipcheck, &udp->check);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
