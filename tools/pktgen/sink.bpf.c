// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgw-pktgen's sink: counts every frame that reaches the device (per CPU,
 * summed by the reader) and drops it, or passes it on with pass set.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile __u8 pass;

struct sink_count {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct sink_count);
	__uint(max_entries, 1);
} sink_counts SEC(".maps");

SEC("xdp")
int xgw_sink(struct xdp_md *ctx)
{
	struct sink_count *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&sink_counts, &zero);
	if (c) {
		c->packets++;
		c->bytes += ctx->data_end - ctx->data;
	}
	return pass ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
