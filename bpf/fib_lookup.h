/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * FIB lookups for both families (layout in common/xgw_shared.h, design and
 * measurements in docs/fib.md): the packed route of the longest match, 0
 * for no route.
 *
 * IPv4: the direct entry of the first 16 bits, then at most one chunk.
 * IPv6: the direct entry and the /32 and /48 hash buckets are read side by
 * side (none depends on another, so their cache misses overlap), the
 * deepest that answers wins, then at most one chunk; /65-/128 routes cost
 * only the lookups inside their own /64s (XGW_FIB_EXT).
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
 * 65536).
 */
static __always_inline __u32 xgw_fib_search(const __u16 *h, __u32 mask, __u32 ref, __u32 key)
{
	__u32 off = ref & XGW_FIB_OFF, n = (__u32)h[off & mask] + 1, lo = 0, half, e;
	__u64 k;
	int i;

	off++;
	if (ref & XGW_FIB_SHORT) {
		k = (key & 0xff00) | 0xff;
		for (i = 0; i < 8; i++) {
			if (n <= 1)
				break;
			half = n >> 1;
			e = h[(off + lo + half) & mask];
			lo += half & (((k - e) >> 63) - 1);
			n -= half;
		}
		return h[(off + lo) & mask] & 0xff;
	}
	for (i = 0; i < 16; i++) {
		if (n <= 1)
			break;
		half = n >> 1;
		e = h[(off + 2 * (lo + half)) & mask];
		lo += half & ((((__u64)key - e) >> 63) - 1);
		n -= half;
	}
	return h[(off + 2 * lo + 1) & mask];
}

static __always_inline __u32 xgw_fib4_find(__be32 dst)
{
	__u32 a = bpf_ntohl(dst), zero = 0, v;
	struct xgw_fib_dir *d = bpf_map_lookup_elem(&xgw_fib4_dir, &zero);
	struct xgw_fib4_heap *h = bpf_map_lookup_elem(&xgw_fib4_heap, &zero);
	struct xgw_fib_leaves *l = bpf_map_lookup_elem(&xgw_fib4_leaves, &zero);

	if (!d || !h || !l)
		return 0;
	v = d->e[a >> 16];
	if (v & XGW_FIB_NODE)
		v = xgw_fib_search(h->e, XGW_FIB4_HEAP - 1, v, a & 0xffff);
	return l->e[v & XGW_FIB_LEAF];
}

/* The value for the first 32 bits @hi, 0 if none. */
static __always_inline __u32 xgw_fib6_probe32(__u32 hi)
{
	__u32 b = xgw_fib_hash32(hi) & (XGW_FIB6_H32 - 1);
	struct xgw_fib_b32 *bk;
	int i, j;

	for (j = 0; j < XGW_FIB_PROBES; j++) {
		bk = bpf_map_lookup_elem(&xgw_fib6_h32, &b);
		if (!bk)
			return 0;
		for (i = 0; i < 7; i++)
			if (bk->s[i].key == hi && bk->s[i].val)
				return bk->s[i].val;
		if (!bk->over)
			return 0;
		b = (b + 1) & (XGW_FIB6_H32 - 1);
	}
	return 0;
}

/* The value for the first 48 bits (@hi, the top half of @lo), 0 if none. */
static __always_inline __u32 xgw_fib6_probe48(__u32 hi, __u32 lo)
{
	__u32 b = xgw_fib_hash48(hi, lo) & (XGW_FIB6_H48 - 1);
	struct xgw_fib_b48 *bk;
	int i, j;

	for (j = 0; j < XGW_FIB_PROBES; j++) {
		bk = bpf_map_lookup_elem(&xgw_fib6_h48, &b);
		if (!bk)
			return 0;
		for (i = 0; i < 5; i++)
			if (bk->s[i].hi == hi && bk->s[i].lo == lo && bk->s[i].val)
				return bk->s[i].val;
		if (!bk->over)
			return 0;
		b = (b + 1) & (XGW_FIB6_H48 - 1);
	}
	return 0;
}

/* The value for key @k of length @len (128: a host, 64: a deep chunk). */
static __always_inline __u32 xgw_fib6_probed(const __u32 *k, __u32 len)
{
	__u32 b = xgw_fib_hashd(k, len) & (XGW_FIB6_HD - 1);
	struct xgw_fib_bd *bk;
	int i, j;

	for (j = 0; j < XGW_FIB_PROBES; j++) {
		bk = bpf_map_lookup_elem(&xgw_fib6_hd, &b);
		if (!bk)
			return 0;
		for (i = 0; i < 2; i++)
			if (bk->s[i].k[0] == k[0] && bk->s[i].k[1] == k[1] &&
			    bk->s[i].k[2] == k[2] && bk->s[i].k[3] == k[3] &&
			    bk->s[i].len == len && bk->s[i].val)
				return bk->s[i].val;
		if (!bk->over)
			return 0;
		b = (b + 1) & (XGW_FIB6_HD - 1);
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
static __always_inline __u32 xgw_fib6_ext(const __be32 *dst, __u32 e, const __u16 *h,
					  const struct xgw_fib_leaves *l)
{
	__u32 k[4] = { bpf_ntohl(dst[0]), bpf_ntohl(dst[1]), bpf_ntohl(dst[2]),
		       bpf_ntohl(dst[3]) }, v;

	if (e & XGW_FIB_EXT_HOSTS) {
		v = xgw_fib6_probed(k, 128);
		if (v)
			return l->e[v & XGW_FIB_LEAF];
	}
	if (e & XGW_FIB_EXT_DEEP) {
		__u32 k64[4] = { k[0], k[1], 0, 0 };

		v = xgw_fib6_probed(k64, 64);
		if (v & XGW_FIB_NODE)
			return l->e[xgw_fib6_deep_search(h, v, (__u64)k[2] << 32 | k[3]) &
				    XGW_FIB_LEAF];
	}
	return l->e[e & XGW_FIB_LEAF];
}

static __always_inline __u32 xgw_fib6_find(const __be32 *dst)
{
	__u32 a0 = bpf_ntohl(dst[0]), a1 = bpf_ntohl(dst[1]), zero = 0, v, v32, v48, key, e;
	struct xgw_fib_dir *d = bpf_map_lookup_elem(&xgw_fib6_dir, &zero);
	struct xgw_fib6_heap *h = bpf_map_lookup_elem(&xgw_fib6_heap, &zero);
	struct xgw_fib_leaves *l = bpf_map_lookup_elem(&xgw_fib6_leaves, &zero);

	if (!d || !h || !l)
		return 0;
	v = d->e[a0 >> 16];
	key = a0 & 0xffff;
	v32 = xgw_fib6_probe32(a0);
	v48 = xgw_fib6_probe48(a0, a1 >> 16);
	if (v48) {
		v = v48;
		key = a1 & 0xffff;
	} else if (v32) {
		v = v32;
		key = a1 >> 16;
	}
	if (v & XGW_FIB_NODE)
		v = xgw_fib_search(h->e, XGW_FIB6_HEAP - 1, v, key);
	e = l->e[v & XGW_FIB_LEAF];
	if (e & XGW_FIB_EXT)
		e = xgw_fib6_ext(dst, e, h->e, l);
	return e;
}

#endif /* XGW_FIB_LOOKUP_H */
