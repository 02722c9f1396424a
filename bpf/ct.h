/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The connection table's small helpers, for the load balancer (lb.h) and
 * NAT (nat.h): bounds-checked access at a variable offset, the clock, TCP
 * state, and the key of a NAT entry's peer. Layout and rules: struct
 * xgw_ct_entry in common/xgw_shared.h.
 *
 * The clock is jiffies: bpf_jiffies64() is a plain load once the verifier
 * has inlined it, where bpf_ktime_get_coarse_ns() cost ~40 ns of a cold
 * packet (lbbench). Entries store its low 32 bits.
 */
#ifndef XGW_CT_H
#define XGW_CT_H

#include "maps.h"
#include "parse.h"

#define XGW_TCP_FLAG_FIN	0x01
#define XGW_TCP_FLAG_SYN	0x02
#define XGW_TCP_FLAG_RST	0x04
#define XGW_TCP_FLAG_ACK	0x10

static __always_inline __u32 xgw_ct_now(void)
{
	return (__u32)bpf_jiffies64();
}

/* Store the time only when it moved by 1/XGW_CT_TOUCH_DIV s: a hit stays a read. */
static __always_inline void xgw_ct_touch(const struct xgw_config *cfg, __u32 *atime, __u32 now)
{
	if ((__s32)(now - *atime) >= (__s32)(xgw_ct_hz(cfg) / XGW_CT_TOUCH_DIV))
		*atime = now;
}

/*
 * What a TCP segment with @flags from the client (@orig) or the backend
 * tells entry @e. Each byte has one writer direction; a byte already set is
 * not stored again.
 */
static __always_inline void xgw_ct_tcp(struct xgw_ct_entry *e, __u8 flags, bool orig)
{
	if ((flags & XGW_TCP_FLAG_RST) && !e->rst)
		e->rst = 1;
	if (flags & XGW_TCP_FLAG_FIN) {
		if (orig && !e->fin_orig)
			e->fin_orig = 1;
		else if (!orig && !e->fin_reply)
			e->fin_reply = 1;
	}
	if (orig && !(flags & XGW_TCP_FLAG_SYN) && !e->est)
		e->est = 1;
}

/* The key of a NAT entry's other direction: its rewritten tuple, reversed. */
static __always_inline void xgw_ct_peer_key(const struct xgw_ct_entry *e, __u8 proto,
					    __u8 family, struct xgw_flow_key *k)
{
	__builtin_memcpy(k->src, e->nat_dst, sizeof(k->src));
	__builtin_memcpy(k->dst, e->nat_src, sizeof(k->dst));
	k->sport = e->nat_dport;
	k->dport = e->nat_sport;
	k->proto = proto;
	k->family = family;
	k->pad = 0;
}

#endif /* XGW_CT_H */
