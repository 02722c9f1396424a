// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgw-pktgen's sink: counts the generator's frames (untagged IPv4/IPv6 UDP
 * to port dport) in slot 0 and everything else that reaches the device
 * (neighbour discovery, MLD...) in slot 1, per CPU, summed by the reader;
 * drops them, or passes them on with pass set.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD

const volatile __u8 pass;
const volatile __be16 dport;	/* network byte order */

struct sink_count {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct sink_count);
	__uint(max_entries, 2);
} sink_counts SEC(".maps");

/* Slot 0 for a UDP datagram to dport, 1 for anything else. */
static __always_inline __u32 sink_slot(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;

	if ((void *)(eth + 1) > end)
		return 1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || ip->ihl < 5)
			return 1;
		udp = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return 1;
		udp = (void *)(ip6 + 1);
	} else {
		return 1;
	}
	if ((void *)(udp + 1) > end || udp->dest != dport)
		return 1;
	return 0;
}

SEC("xdp")
int xgw_sink(struct xdp_md *ctx)
{
	struct sink_count *c;
	__u32 slot = sink_slot(ctx);

	c = bpf_map_lookup_elem(&sink_counts, &slot);
	if (c) {
		c->packets++;
		c->bytes += ctx->data_end - ctx->data;
	}
	return pass ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
