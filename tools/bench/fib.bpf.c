// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The kernel's own reference for the benchmarks: route with
 * bpf_fib_lookup() over the namespace's FIB (the same prefixes xgw holds in
 * its LPM tries), then do what xgw does with the answer: rewrite both MACs,
 * decrement the TTL / hop limit and redirect through a devmap by ifindex.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define AF_INET		2
#define AF_INET6	10

const volatile __u32 in_ifindex;	/* the device packets "arrive" on */

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
	__uint(max_entries, 64);
} fib_tx SEC(".maps");

static __always_inline void ttl_dec(struct iphdr *ip)
{
	__u32 check = ip->check;

	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xFFFF));
	ip->ttl--;
}

static __always_inline int fib_v4(struct iphdr *ip, struct bpf_fib_lookup *p)
{
	if (ip->ttl <= 1)
		return -1;
	p->family = AF_INET;
	p->tos = ip->tos;
	p->l4_protocol = ip->protocol;
	p->tot_len = bpf_ntohs(ip->tot_len);
	p->ipv4_src = ip->saddr;
	p->ipv4_dst = ip->daddr;
	return 0;
}

static __always_inline int fib_v6(struct ipv6hdr *ip6, struct bpf_fib_lookup *p)
{
	if (ip6->hop_limit <= 1)
		return -1;
	p->family = AF_INET6;
	p->l4_protocol = ip6->nexthdr;
	p->tot_len = bpf_ntohs(ip6->payload_len);
	__builtin_memcpy(p->ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(p->ipv6_dst, &ip6->daddr, 16);
	return 0;
}

SEC("xdp")
int xgw_fib(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct bpf_fib_lookup p = { .ifindex = in_ifindex };
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = NULL;
	struct iphdr *ip = NULL;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end || fib_v4(ip, &p))
			return XDP_PASS;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > end || fib_v6(ip6, &p))
			return XDP_PASS;
	} else {
		return XDP_PASS;
	}
	if (bpf_fib_lookup(ctx, &p, sizeof(p), 0) != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;
	if (ip)
		ttl_dec(ip);
	else
		ip6->hop_limit--;
	__builtin_memcpy(eth->h_dest, p.dmac, 6);
	__builtin_memcpy(eth->h_source, p.smac, 6);
	return bpf_redirect_map(&fib_tx, p.ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
