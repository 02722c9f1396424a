// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The benchmarks' baseline: the least an XDP forwarder does. Parse Ethernet
 * and the IPv4/IPv6 header, then redirect every IP frame through a devmap
 * (slot 0). No lookup, no rewrite, no counters: whatever xgw costs beyond
 * this is the price of routing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
	__uint(max_entries, 1);
} base_tx SEC(".maps");

SEC("xdp")
int xgw_baseline(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->ihl < 5)
			return XDP_DROP;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return XDP_DROP;
	} else {
		return XDP_PASS;
	}
	return bpf_redirect_map(&base_tx, 0, XDP_PASS);
}


/* Nothing at all: what BPF_PROG_TEST_RUN costs per call around a program. */
SEC("xdp")
int xgw_trivial(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
