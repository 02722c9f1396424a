/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * FIB lookups for both families (layout in common/xgw_shared.h, design and
 * measurements in docs/fib.md): the packed route of the longest match, 0
 * for no route.
 *
 * IPv4: the direct entry of the first 16 bits, then at most one chunk.
 * IPv6: the /48 and /32 hash buckets and the direct entry, none depending
 * on another (their cache misses overlap), the deepest that answers wins,
 * then at most one chunk; /65-/128 routes cost only the lookups inside
 * their own /64s (XGW_FIB_EXT).
 *
 * xgwd writes while packets are looked up: every value, slot and chunk is
 * complete before anything points at it and stays valid for a grace
 * period after nothing does (common/fib.c).
 */
#ifndef XGW_FIB_LOOKUP_H
#define XGW_FIB_LOOKUP_H

#include "maps.h"

/*
 * The leaf of @key (16 bits) in the chunk @ref of heap @h (@mask: its size
 * - 1): the last range whose start <= key, by a binary search without
 * branches on the data (a short chunk has at most 256 ranges, a long one
 * 65536; the heap's slack keeps every index of the chunk in bounds).
 */
static __always_inline __u32 xgw_fib_search(const __u16 *h, __u32 mask, __u32 ref, __u32 key)
{
	const __u16 *c = &h[ref & XGW_FIB_OFF & mask];
	__u32 n = (__u32)c[0] + 1, lo = 0, half;
	int i;

	if (ref & XGW_FIB_SHORT) {
		key = (key & 0xff00) | 0xff;
		for (i = 0; i < 8; i++) {
			if (n <= 1)
				break;
			half = n >> 1;
			lo += half & ((((__u64)key - c[(1 + lo + half) & 0x1ff]) >> 63) - 1);
			n -= half;
		}
		return c[(1 + lo) & 0x1ff] & 0xff;
	}
	for (i = 0; i < 16; i++) {
		if (n <= 1)
			break;
		half = n >> 1;
		lo += half & ((((__u64)key - c[(1 + 2 * (lo + half)) & 0x1ffff]) >> 63) - 1);
		n -= half;
	}
	return c[(2 + 2 * lo) & 0x1ffff];
}

static __always_inline __u32 xgw_fib4_find(__be32 dst)
{
	__u32 a = bpf_ntohl(dst), zero = 0, v;
	struct xgw_fib4_tables *t = bpf_map_lookup_elem(&xgw_fib4, &zero);

	if (!t)
		return 0;
	v = t->dir[a >> 16];
	if (v & XGW_FIB_NODE)
		v = xgw_fib_search(t->heap, XGW_FIB4_HEAP - 1, v, a & 0xffff);
	return t->leaves[v & XGW_FIB_LEAF];
}

/* The value for the first 32 bits @hi, 0 if none. */
static __always_inline __u32 xgw_fib6_probe32(const struct xgw_fib6_tables *t, __u32 hi)
{
	__u32 b = xgw_fib_hash32(hi);
	const struct xgw_fib_b32 *bk;
	int i, j;

	for (j = 0; j < XGW_FIB_PROBES; j++) {
		bk = &t->h32[(b + j) & (XGW_FIB6_H32 - 1)];
		for (i = 0; i < 7; i++)
			if (bk->s[i].key == hi && bk->s[i].val)
				return bk->s[i].val;
		if (!bk->over)
			return 0;
	}
	return 0;
}

/* The value for the first 48 bits (@hi, the top half of @lo), 0 if none. */
static __always_inline __u32 xgw_fib6_probe48(const struct xgw_fib6_tables *t, __u32 hi,
					      __u32 lo)
{
	__u32 b = xgw_fib_hash48(hi, lo);
	const struct xgw_fib_b48 *bk;
	int i, j;

	for (j = 0; j < XGW_FIB_PROBES; j++) {
		bk = &t->h48[(b + j) & (XGW_FIB6_H48 - 1)];
		for (i = 0; i < 5; i++)
			if (bk->s[i].hi == hi && bk->s[i].lo == lo && bk->s[i].val)
				return bk->s[i].val;
		if (!bk->over)
			return 0;
	}
	return 0;
}

/* The value for key @hi:@lo of length @len (128: a host, 64: a deep chunk). */
static __always_inline __u32 xgw_fib6_probed(const struct xgw_fib6_tables *t, __u64 hi,
					     __u64 lo, __u32 len)
{
	__u32 b = xgw_fib_hashd(hi, lo, len);
	const struct xgw_fib_bd *bk;
	int i, j;

	for (j = 0; j < XGW_FIB_PROBES; j++) {
		bk = &t->hd[(b + j) & (XGW_FIB6_HD - 1)];
		for (i = 0; i < 2; i++)
			if (bk->s[i].k[0] == (__u32)(hi >> 32) && bk->s[i].k[1] == (__u32)hi &&
			    bk->s[i].k[2] == (__u32)(lo >> 32) && bk->s[i].k[3] == (__u32)lo &&
			    bk->s[i].len == len && bk->s[i].val)
				return bk->s[i].val;
		if (!bk->over)
			return 0;
	}
	return 0;
}

/* The leaf of the last 64 bits @lo in deep chunk @ref (ranges of 8 units). */
static __always_inline __u32 xgw_fib6_deep_search(const __u16 *h, __u32 ref, __u64 lo)
{
	__u32 mask = XGW_FIB6_HEAP - 1, off = ref & XGW_FIB_OFF, n = (__u32)h[off & mask] + 1;
	__u32 first = 0, half, j, i;
	__u64 s;

	off += 4;	/* ranges start 4 units in, 8-unit aligned */
	for (i = 0; i < 16; i++) {
		if (n <= 1)
			break;
		half = n >> 1;
		j = off + 8 * (first + half);
		s = (__u64)h[j & mask] << 48 | (__u64)h[(j + 1) & mask] << 32 |
		    (__u64)h[(j + 2) & mask] << 16 | h[(j + 3) & mask];
		if (s <= lo)
			first += half;
		n -= half;
	}
	return h[(off + 8 * first + 4) & mask];
}

/* A /64 with longer routes: a host, else a deep route, else the /64's leaf @e. */
static __always_inline __u32 xgw_fib6_ext(const struct xgw_fib6_tables *t, const __be32 *dst,
					  __u32 e)
{
	__u64 hi = (__u64)bpf_ntohl(dst[0]) << 32 | bpf_ntohl(dst[1]);
	__u64 lo = (__u64)bpf_ntohl(dst[2]) << 32 | bpf_ntohl(dst[3]);
	__u32 v;

	if (e & XGW_FIB_EXT_HOSTS) {
		v = xgw_fib6_probed(t, hi, lo, 128);
		if (v)
			return t->leaves[v & XGW_FIB_LEAF];
	}
	if (e & XGW_FIB_EXT_DEEP) {
		v = xgw_fib6_probed(t, hi, 0, 64);
		if (v & XGW_FIB_NODE)
			return t->leaves[xgw_fib6_deep_search(t->heap, v, lo) & XGW_FIB_LEAF];
	}
	return t->leaves[e & XGW_FIB_LEAF];
}

/*
 * The deepest level that answers: the /48, else the /32 hash, else the
 * direct table. The probes do not depend on one another: the CPU runs
 * ahead past the (predicted) branches, so their misses overlap.
 */
static __always_inline __u32 xgw_fib6_find(const __be32 *dst)
{
	__u32 a0 = bpf_ntohl(dst[0]), a1 = bpf_ntohl(dst[1]), zero = 0, v, key, e;
	struct xgw_fib6_tables *t = bpf_map_lookup_elem(&xgw_fib6, &zero);

	if (!t)
		return 0;
	v = xgw_fib6_probe48(t, a0, a1 >> 16);
	key = a1 & 0xffff;
	if (!v) {
		v = xgw_fib6_probe32(t, a0);
		key = a1 >> 16;
	}
	if (!v) {
		v = t->dir[a0 >> 16];
		key = a0 & 0xffff;
	}
	if (v & XGW_FIB_NODE)
		v = xgw_fib_search(t->heap, XGW_FIB6_HEAP - 1, v, key);
	e = t->leaves[v & XGW_FIB_LEAF];
	if (e & XGW_FIB_EXT)
		e = xgw_fib6_ext(t, dst, e);
	return e;
}

#endif /* XGW_FIB_LOOKUP_H */
