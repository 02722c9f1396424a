// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The FIB lookups of bpf/fib_lookup.h on their own, for tests/pkt/pkt_fib.c:
 * the frame carries a family byte and an address after its Ethernet
 * header; the program writes the packed answer (0: no route) over the
 * frame's first four bytes and returns XDP_TX.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "consts.h"
#include "fib_lookup.h"

struct fib_probe {
	__u8 family;	/* 4 or 6 */
	__u8 pad[3];
	__be32 addr[4];
};

SEC("xdp")
int fib_probe(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct fib_probe *p = data + XGW_ETH_HLEN;
	__u32 e;

	if ((void *)(p + 1) > end)
		return XGW_XDP_ABORTED;
	e = p->family == 4 ? xgw_fib4_find(p->addr[0]) : xgw_fib6_find(p->addr);
	*(__u32 *)data = e;
	return XGW_XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
