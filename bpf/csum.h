/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One's complement checksum arithmetic (RFC 1071, RFC 1624), shared by the
 * ICMP errors the datapath builds (icmp.h) and NAT's incremental updates
 * (nat.h). Sums are carried in 64 bits and folded at the end.
 */
#ifndef XGW_CSUM_H
#define XGW_CSUM_H

/* A 64-bit sum of 16-bit words folded to 16 bits (not complemented). */
static __always_inline __u16 xgw_csum_fold(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s;
}

/* What replacing 32-bit word @old by @new adds to a one's complement sum. */
static __always_inline __u64 xgw_csum_d32(__u32 old, __u32 new)
{
	return (__u64)(__u32)~old + new;
}

static __always_inline __u64 xgw_csum_d16(__u16 old, __u16 new)
{
	return (__u64)(__u16)~old + new;
}

/* Checksum @csum once the words summed in @d have changed (RFC 1624 eq. 3). */
static __always_inline __u16 xgw_csum_apply(__u16 csum, __u64 d)
{
	return ~xgw_csum_fold((__u64)(__u16)~csum + d);
}

#endif /* XGW_CSUM_H */
