// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The connection table's clock, read from userspace: one BPF_PROG_TEST_RUN
 * of xgw_clock over a frame of 16 bytes or more returns the kernel's
 * jiffies (what bpf_jiffies64() gives the datapath, bpf/ct.h) in bytes 0-7
 * and CLOCK_MONOTONIC's ns in bytes 8-15, host order. xgwd's sweeper and
 * the tests read "now" through it (common/ct.c); nothing attaches it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xgw_clock(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 *t = data;

	if ((void *)(t + 2) > end)
		return XDP_ABORTED;
	t[0] = bpf_jiffies64();
	t[1] = bpf_ktime_get_ns();
	return XDP_PASS;
}
