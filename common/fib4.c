// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The IPv4 FIB's userspace half (see fib4.h): the route set, and the
 * DIR-24-8 arrays computed from it.
 *
 * The route set is an open-addressing hash of (prefix, length) -> packed
 * entry, with a count of routes per length (lookups probe only the lengths
 * in use) and, per /24, the number of routes longer than /24 in it (a /24
 * with any needs a group). An entry of the arrays is a pure function of the
 * route set: the longest match for its address, marks' flags added. A
 * change recomputes the entries under the changed prefix and stores those
 * that differ, so the arrays never drift from the set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "fib4.h"

#define DEPTH_MASK	(0x3fu << XGW_FIB4_DEPTH_SHIFT)
#define HASH_EMPTY	(~0ULL)

/* ---- open-addressing hash, u64 key -> u32 value ----------------------- */
struct fhash {
	__u64 *keys;
	__u32 *vals;
	size_t cap;		/* power of two, 0 before the first insert */
	size_t n;
};

static size_t fhash_slot(const struct fhash *h, __u64 key)
{
	key ^= key >> 33;	/* murmur3's fmix64 */
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	key *= 0xc4ceb9fe1a85ec53ULL;
	key ^= key >> 33;
	return key & (h->cap - 1);
}

static __u32 *fhash_find(const struct fhash *h, __u64 key)
{
	size_t i;

	if (!h->cap)
		return NULL;
	for (i = fhash_slot(h, key); h->keys[i] != HASH_EMPTY; i = (i + 1) & (h->cap - 1))
		if (h->keys[i] == key)
			return &h->vals[i];
	return NULL;
}

static int fhash_grow(struct fhash *h)
{
	struct fhash g = { .cap = h->cap ? h->cap * 2 : 1024 };
	size_t i, j;

	g.keys = malloc(g.cap * sizeof(*g.keys));
	g.vals = malloc(g.cap * sizeof(*g.vals));
	if (!g.keys || !g.vals) {
		free(g.keys);
		free(g.vals);
		return -ENOMEM;
	}
	memset(g.keys, 0xff, g.cap * sizeof(*g.keys));
	for (i = 0; i < h->cap; i++) {
		if (h->keys[i] == HASH_EMPTY)
			continue;
		for (j = fhash_slot(&g, h->keys[i]); g.keys[j] != HASH_EMPTY; j = (j + 1) & (g.cap - 1))
			;
		g.keys[j] = h->keys[i];
		g.vals[j] = h->vals[i];
	}
	g.n = h->n;
	free(h->keys);
	free(h->vals);
	*h = g;
	return 0;
}

/* Room for one more key, made before anything is changed. */
static int fhash_reserve(struct fhash *h)
{
	return (h->n + 1) * 2 > h->cap ? fhash_grow(h) : 0;
}

/* Insert or replace; fhash_reserve() first. */
static void fhash_put(struct fhash *h, __u64 key, __u32 val)
{
	size_t i;

	for (i = fhash_slot(h, key); h->keys[i] != HASH_EMPTY; i = (i + 1) & (h->cap - 1)) {
		if (h->keys[i] == key) {
			h->vals[i] = val;
			return;
		}
	}
	h->keys[i] = key;
	h->vals[i] = val;
	h->n++;
}

/* Delete with backward shift: no tombstones, probes stay short. */
static void fhash_del(struct fhash *h, __u64 key)
{
	size_t mask = h->cap - 1, i, j, home;
	__u32 *v = fhash_find(h, key);

	if (!v)
		return;
	i = v - h->vals;
	for (j = (i + 1) & mask; h->keys[j] != HASH_EMPTY; j = (j + 1) & mask) {
		home = fhash_slot(h, h->keys[j]);
		/* move j back to i unless its home lies in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			h->keys[i] = h->keys[j];
			h->vals[i] = h->vals[j];
			i = j;
		}
	}
	h->keys[i] = HASH_EMPTY;
	h->n--;
}

static void fhash_free(struct fhash *h)
{
	free(h->keys);
	free(h->vals);
	memset(h, 0, sizeof(*h));
}

/* ---- the FIB ------------------------------------------------------------- */
struct freed_group {
	__u32 group;
	__u64 at_ms;
};

struct xgw_fib4 {
	__u32 *tbl24, *tbl8;
	__u32 ngroups;
	bool deferred;		/* adopting: writes wait for xgw_fib4_commit() */

	struct fhash routes;	/* (prefix << 6 | len) -> entry, depth included */
	struct fhash longer;	/* /24 index -> routes longer than /24 in it */
	__u32 nlen[33];		/* routes per length */

	__u8 *used;		/* per group: an entry of tbl24 points at it */
	__u32 nused;
	__u32 fresh;		/* groups below this were handed out once */
	struct freed_group *freed;	/* FIFO ring of released groups */
	__u32 freed_head, freed_n;
};

static __u32 mask_of(int len)
{
	return len ? ~0u << (32 - len) : 0;
}

static __u64 route_key(__u32 a, int len)
{
	return (__u64)a << 6 | (__u64)len;
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void store(__u32 *p, __u32 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* A mark's entry: flags only (action XGW_RT_NONE), for the route beneath. */
static bool is_mark(__u32 e)
{
	return (e >> XGW_FIB4_ACTION_SHIFT & 0xf) == XGW_RT_NONE;
}

static __u32 longer_in(const struct xgw_fib4 *f, __u32 slot)
{
	const __u32 *n = fhash_find(&f->longer, slot);

	return n ? *n : 0;
}

/*
 * The entry for address @a from the routes of length @lo..@hi, longest
 * first, with @below the answer of the lengths under @lo. A mark (action
 * NONE) adds its flags and looks further down.
 */
static __u32 match(const struct xgw_fib4 *f, __u32 a, int lo, int hi, __u32 below)
{
	__u32 flags = 0;
	int len;

	for (len = hi; len >= lo; len--) {
		const __u32 *e;

		if (!f->nlen[len])
			continue;
		e = fhash_find(&f->routes, route_key(a & mask_of(len), len));
		if (!e)
			continue;
		if (is_mark(*e)) {
			flags |= *e;
			continue;
		}
		return *e | flags;
	}
	return below | flags;
}

/* The 256 entries of /24 @slot, whose /24-level answer is @base. */
static void group_compute(const struct xgw_fib4 *f, __u32 slot, __u32 base, __u32 *out)
{
	__u32 a = slot << 8, i;
	int len;

	for (i = 0; i < 256; i++)
		out[i] = base;
	for (len = 25; len <= 32; len++) {
		__u32 step = 1u << (32 - len);

		if (!f->nlen[len])
			continue;
		for (i = 0; i < 256; i += step) {
			const __u32 *e = fhash_find(&f->routes, route_key(a | i, len));
			__u32 j;

			if (!e)
				continue;
			if (is_mark(*e))
				out[i] |= *e;	/* a /32 mark: flags on what is there */
			else
				for (j = i; j < i + step; j++)
					out[j] = *e;
		}
	}
}

/* ---- groups ------------------------------------------------------------- */
static int group_alloc(struct xgw_fib4 *f, __u32 *g)
{
	struct freed_group *fg;
	__u64 now;

	while (f->fresh < f->ngroups && f->used[f->fresh])
		f->fresh++;
	if (f->fresh < f->ngroups) {
		*g = f->fresh++;
	} else if (f->freed_n) {
		fg = &f->freed[f->freed_head];
		now = now_ms();
		if (now < fg->at_ms + XGW_FIB4_GRACE_MS) {
			__u64 ms = fg->at_ms + XGW_FIB4_GRACE_MS - now;
			struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		}
		*g = fg->group;
		f->freed_head = (f->freed_head + 1) % f->ngroups;
		f->freed_n--;
	} else {
		return -ENOSPC;
	}
	f->used[*g] = 1;
	f->nused++;
	return 0;
}

static void group_release(struct xgw_fib4 *f, __u32 g)
{
	if (g >= f->ngroups || !f->used[g])
		return;
	f->used[g] = 0;
	f->nused--;
	f->freed[(f->freed_head + f->freed_n) % f->ngroups] =
		(struct freed_group){ .group = g, .at_ms = now_ms() };
	f->freed_n++;
}

/* Make /24 @slot hold plain entry @want, or its group when it has longer routes. */
static int slot_apply(struct xgw_fib4 *f, __u32 slot, __u32 want)
{
	__u32 cur = f->tbl24[slot], buf[256], g, i;
	int err;

	if (!longer_in(f, slot)) {
		if (cur != want)
			store(&f->tbl24[slot], want);
		if (cur & XGW_FIB4_EXT)
			group_release(f, cur & ~XGW_FIB4_EXT);
		return 0;
	}
	group_compute(f, slot, want, buf);
	if ((cur & XGW_FIB4_EXT) && (cur & ~XGW_FIB4_EXT) < f->ngroups) {
		__u32 *grp = f->tbl8 + (size_t)(cur & ~XGW_FIB4_EXT) * 256;

		for (i = 0; i < 256; i++)
			if (grp[i] != buf[i])
				store(&grp[i], buf[i]);
		return 0;
	}
	err = group_alloc(f, &g);
	if (err)
		return err;
	for (i = 0; i < 256; i++)
		store(&f->tbl8[(size_t)g * 256 + i], buf[i]);
	__atomic_store_n(&f->tbl24[slot], XGW_FIB4_EXT | g, __ATOMIC_RELEASE);
	return 0;
}

struct paint {
	__u32 a;
	__u32 len;
	__u32 e;
};

static int paint_cmp(const void *x, const void *y)
{
	const struct paint *p = x, *q = y;

	return (int)p->len - (int)q->len;
}

/*
 * The /24-level answers of the @n slots from @first (an aligned block of
 * prefix length @plen <= 24) into @out: probing each slot when that is
 * cheaper, else painting the routes inside the block over its base.
 */
static int range_compute(const struct xgw_fib4 *f, __u32 first, __u32 n, int plen, __u32 *out)
{
	struct paint *p = NULL;
	size_t np = 0, cap = 0, i;
	__u32 base, k, lens = 0;
	int len;

	for (len = plen + 1; len <= 24; len++)
		lens += !!f->nlen[len];
	base = match(f, first << 8, 0, plen, 0);
	if ((size_t)n * (lens + 1) <= f->routes.cap + 64) {
		for (k = 0; k < n; k++)
			out[k] = lens ? match(f, (first + k) << 8, plen + 1, 24, base) : base;
		return 0;
	}
	for (i = 0; i < f->routes.cap; i++) {
		__u64 key = f->routes.keys[i];
		__u32 a = key >> 6, l = key & 0x3f;

		if (key == HASH_EMPTY || (int)l <= plen || l > 24 || (a >> 8) - first >= n)
			continue;
		if (np == cap) {
			struct paint *q = realloc(p, (cap = cap ? cap * 2 : 256) * sizeof(*p));

			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
		}
		p[np++] = (struct paint){ .a = a, .len = l, .e = f->routes.vals[i] };
	}
	qsort(p, np, sizeof(*p), paint_cmp);
	for (k = 0; k < n; k++)
		out[k] = base;
	for (i = 0; i < np; i++) {
		__u32 s = (p[i].a >> 8) - first, cnt = 1u << (24 - p[i].len);

		for (k = s; k < s + cnt; k++)
			out[k] = p[i].e;
	}
	free(p);
	return 0;
}

/* Recompute and store the entries of the @n slots from @first (a block of @plen). */
static int block_apply(struct xgw_fib4 *f, __u32 first, __u32 n, int plen, __u32 *want)
{
	__u32 k;
	int err;

	err = range_compute(f, first, n, plen, want);
	for (k = 0; !err && k < n; k++) {
		__u32 cur = f->tbl24[first + k];

		/* no route of this change is longer than /24 when n > 1: a plain
		 * entry that is already right stays (most of a wide change) */
		if (n > 1 && cur == want[k] && !(cur & XGW_FIB4_EXT))
			continue;
		err = slot_apply(f, first + k, want[k]);
	}
	return err;
}

/*
 * Recompute and store every entry under @a/@len, a /8 at a time at most
 * (a default route rewrites all 2^24 /24 entries, 256 KiB of scratch).
 */
static int prefix_apply(struct xgw_fib4 *f, __u32 a, int len)
{
	int plen = len < 24 ? len : 24, blen = plen < 8 ? 8 : plen;
	__u32 first = (a & mask_of(plen)) >> 8, n = 1u << (24 - plen), bn = 1u << (24 - blen);
	__u32 k, *want, one;
	int err = 0;

	want = bn == 1 ? &one : malloc((size_t)bn * sizeof(*want));
	if (!want)
		return -ENOMEM;
	for (k = 0; !err && k < n; k += bn)
		err = block_apply(f, first + k, bn, blen, want);
	if (want != &one)
		free(want);
	return err;
}

/*
 * Adding a route needs no recomputation: the entries it takes are exactly
 * those under it whose route is no longer than it (an entry carries its
 * route's prefix length). Deleting one neither: the entries it held are
 * those under it of its own length, and all go to the route that covers
 * it. Either way an entry whose route is of length @lo..@len becomes @e.
 * Flags on an entry from a shorter route came from a /32 mark (only /32
 * routes have flags) and stay.
 */
static void entry_paint(__u32 *p, int lo, int len, __u32 e)
{
	__u32 cur = *p, depth = (cur & DEPTH_MASK) >> XGW_FIB4_DEPTH_SHIFT, nw;

	if ((int)depth > len || (int)depth < lo)
		return;
	nw = e | (depth < 32 ? cur & (0x7u << XGW_FIB4_FLAGS_SHIFT) : 0);
	if (nw != cur)
		store(p, nw);
}

static void group_paint(struct xgw_fib4 *f, __u32 g, __u32 first, __u32 cnt, int lo, int len,
			__u32 e)
{
	__u32 i;

	for (i = first; g < f->ngroups && i < first + cnt; i++)
		entry_paint(&f->tbl8[(size_t)g * 256 + i], lo, len, e);
}

/* A /24's group the first time it holds a longer route: its entry, 256 times. */
static int group_split(struct xgw_fib4 *f, __u32 slot, __u32 *g)
{
	__u32 cur = f->tbl24[slot], i;
	int err;

	if (cur & XGW_FIB4_EXT) {
		*g = cur & ~XGW_FIB4_EXT;
		return 0;
	}
	err = group_alloc(f, g);
	if (err)
		return err;
	for (i = 0; i < 256; i++)
		store(&f->tbl8[(size_t)*g * 256 + i], cur);
	__atomic_store_n(&f->tbl24[slot], XGW_FIB4_EXT | *g, __ATOMIC_RELEASE);
	return 0;
}

/* A /24 whose last longer route went: its (now uniform) group back into tbl24. */
static void group_join(struct xgw_fib4 *f, __u32 slot)
{
	__u32 cur = f->tbl24[slot], g = cur & ~XGW_FIB4_EXT;

	if (!(cur & XGW_FIB4_EXT) || longer_in(f, slot) || g >= f->ngroups)
		return;
	store(&f->tbl24[slot], f->tbl8[(size_t)g * 256]);
	group_release(f, g);
}

static int prefix_paint(struct xgw_fib4 *f, __u32 a, int lo, int len, __u32 e)
{
	__u32 slot = a >> 8, cur, g, k;
	int err;

	if (len <= 24) {
		for (k = slot; k < slot + (1u << (24 - len)); k++) {
			cur = f->tbl24[k];
			if (cur & XGW_FIB4_EXT)
				group_paint(f, cur & ~XGW_FIB4_EXT, 0, 256, lo, len, e);
			else
				entry_paint(&f->tbl24[k], lo, len, e);
		}
		return 0;
	}
	err = group_split(f, slot, &g);
	if (err)
		return err;
	group_paint(f, g, a & 0xff, 1u << (32 - len), lo, len, e);
	return 0;
}

/* ---- interface ------------------------------------------------------------ */
int xgw_fib4_open(struct xgw_fib4 **fp, __u32 *tbl24, __u32 *tbl8, __u32 ngroups, bool adopt)
{
	struct xgw_fib4 *f;
	__u32 i;

	if (!tbl24 || !tbl8 || !ngroups || ngroups > XGW_FIB4_EXT)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->tbl24 = tbl24;
	f->tbl8 = tbl8;
	f->ngroups = ngroups;
	f->used = calloc(ngroups, 1);
	f->freed = calloc(ngroups, sizeof(*f->freed));
	if (!f->used || !f->freed) {
		xgw_fib4_close(f);
		return -ENOMEM;
	}
	if (adopt) {
		f->deferred = true;
		for (i = 0; i < XGW_FIB4_TBL24; i++) {
			__u32 g = tbl24[i] & ~XGW_FIB4_EXT;

			if ((tbl24[i] & XGW_FIB4_EXT) && g < ngroups && !f->used[g]) {
				f->used[g] = 1;
				f->nused++;
			}
		}
		/*
		 * Every other group is free, and goes through the ring like a
		 * released one (at time 0: reusable at once). "fresh" must not
		 * hand out groups itself: a group the datapath uses now would be
		 * free to it once released, before its grace period and while
		 * also in the ring.
		 */
		for (i = 0; i < ngroups; i++)
			if (!f->used[i])
				f->freed[f->freed_n++] = (struct freed_group){ .group = i };
		f->fresh = ngroups;
	} else {
		memset(tbl24, 0, (size_t)XGW_FIB4_TBL24 * sizeof(*tbl24));
		memset(tbl8, 0, (size_t)ngroups * 256 * sizeof(*tbl8));
	}
	*fp = f;
	return 0;
}

void xgw_fib4_close(struct xgw_fib4 *f)
{
	if (!f)
		return;
	fhash_free(&f->routes);
	fhash_free(&f->longer);
	free(f->used);
	free(f->freed);
	free(f);
}

/* Add a route not in the set, with its counts. Returns 0 or -ENOMEM, unchanged. */
static int route_insert(struct xgw_fib4 *f, __u32 a, int len, __u32 e)
{
	__u32 *cnt;
	int err = fhash_reserve(&f->routes);

	if (!err && len > 24)
		err = fhash_reserve(&f->longer);
	if (err)
		return err;
	fhash_put(&f->routes, route_key(a, len), e);
	f->nlen[len]++;
	if (len > 24) {
		cnt = fhash_find(&f->longer, a >> 8);
		fhash_put(&f->longer, a >> 8, cnt ? *cnt + 1 : 1);
	}
	return 0;
}

/* Take a route out of the set, with its counts. */
static void route_remove(struct xgw_fib4 *f, __u32 a, int len)
{
	__u32 *cnt;

	fhash_del(&f->routes, route_key(a, len));
	f->nlen[len]--;
	if (len > 24) {
		cnt = fhash_find(&f->longer, a >> 8);
		if (cnt && *cnt > 1)
			(*cnt)--;
		else
			fhash_del(&f->longer, a >> 8);
	}
}

/* Undo a route-set change whose arrays could not be written, and rewrite them. */
static void route_restore(struct xgw_fib4 *f, __u32 a, int len, bool had, __u32 old)
{
	if (had)
		fhash_put(&f->routes, route_key(a, len), old);
	else
		route_remove(f, a, len);
	prefix_apply(f, a, len);
}

int xgw_fib4_set(struct xgw_fib4 *f, __be32 addr, int len, const struct xgw_route *rt)
{
	__u32 a, e, slot, *old, was = 0;
	bool mark = rt->action == XGW_RT_NONE, had;
	int err;

	if (len < 0 || len > 32 || rt->action > XGW_RT_BLACKHOLE ||
	    ((mark || rt->flags) && len != 32) || (rt->flags & ~XGW_RT_F_MASK) ||
	    rt->nh_id > XGW_FIB4_NH_MASK)
		return -EINVAL;
	a = ntohl(addr) & mask_of(len);
	slot = a >> 8;
	if (mark)	/* only its flags count */
		e = (__u32)rt->flags << XGW_FIB4_FLAGS_SHIFT;
	else
		e = xgw_fib4_pack(rt) | (__u32)len << XGW_FIB4_DEPTH_SHIFT;
	old = fhash_find(&f->routes, route_key(a, len));
	had = old;
	if (had) {
		was = *old;
		*old = e;
	} else {
		/* a /24 getting its first longer route needs a group: have one */
		if (len > 24 && !f->deferred && !longer_in(f, slot) &&
		    !(f->tbl24[slot] & XGW_FIB4_EXT) && f->nused >= f->ngroups)
			return -ENOSPC;
		err = route_insert(f, a, len, e);
		if (err)
			return err;
	}
	if (f->deferred)
		return 0;
	/* a mark, or a mark replaced: flags to add or take away, recompute */
	if (mark || (had && is_mark(was)))
		err = prefix_apply(f, a, len);
	else
		err = prefix_paint(f, a, 0, len, e);
	if (err)
		route_restore(f, a, len, had, was);
	return err;
}

int xgw_fib4_del(struct xgw_fib4 *f, __be32 addr, int len)
{
	__u32 a, *cur, was;
	int err;

	if (len < 0 || len > 32)
		return -EINVAL;
	a = ntohl(addr) & mask_of(len);
	cur = fhash_find(&f->routes, route_key(a, len));
	if (!cur)
		return -ENOENT;
	was = *cur;
	route_remove(f, a, len);
	if (f->deferred)
		return 0;
	if (is_mark(was)) {	/* its flags leave one entry: recompute it */
		err = prefix_apply(f, a, len);
		if (err) {	/* put it back as it was (its room is still there) */
			route_insert(f, a, len, was);
			prefix_apply(f, a, len);
		}
		return err;
	}
	/* the /24 keeps its group: painting needs none, and cannot fail */
	err = prefix_paint(f, a, len, len, match(f, a, 0, len - 1, 0));
	if (len > 24)
		group_join(f, a >> 8);
	return err;
}

int xgw_fib4_get(const struct xgw_fib4 *f, __be32 addr, int len, struct xgw_route *rt)
{
	const __u32 *e;
	__u32 a;

	if (len < 0 || len > 32)
		return -EINVAL;
	a = ntohl(addr) & mask_of(len);
	e = fhash_find(&f->routes, route_key(a, len));
	if (!e)
		return -ENOENT;
	xgw_fib4_unpack(*e, rt);
	return 0;
}

__u32 xgw_fib4_read(const __u32 *tbl24, const __u32 *tbl8, __u32 ngroups, __be32 addr)
{
	__u32 a = ntohl(addr), e = tbl24[a >> 8];

	if (e & XGW_FIB4_EXT) {
		if ((e & ~XGW_FIB4_EXT) >= ngroups)
			return 0;
		e = tbl8[(size_t)(e & ~XGW_FIB4_EXT) * 256 + (a & 0xff)];
	}
	return e;
}

bool xgw_fib4_lookup(const struct xgw_fib4 *f, __be32 addr, struct xgw_route *rt)
{
	__u32 e = xgw_fib4_read(f->tbl24, f->tbl8, f->ngroups, addr);

	if (!e)
		return false;
	xgw_fib4_unpack(e, rt);
	return true;
}

static bool entry_is(__u32 e, int len)
{
	return !(e & XGW_FIB4_EXT) && !is_mark(e) &&
	       (int)((e & DEPTH_MASK) >> XGW_FIB4_DEPTH_SHIFT) == len;
}

int xgw_fib4_adopted(const struct xgw_fib4 *f, __be32 addr, int len, struct xgw_route *rt)
{
	__u32 a, slot, n, k, i, lo, cnt, e;

	if (len < 0 || len > 32)
		return -EINVAL;
	a = ntohl(addr) & mask_of(len);
	slot = a >> 8;
	n = len < 24 ? 1u << (24 - len) : 1;
	lo = len > 24 ? a & 0xff : 0;
	cnt = len > 24 ? 1u << (32 - len) : 256;
	for (k = slot; k < slot + n; k++) {
		e = f->tbl24[k];
		if (!(e & XGW_FIB4_EXT)) {
			if (len <= 24 && entry_is(e, len))
				goto found;
			continue;
		}
		if ((e & ~XGW_FIB4_EXT) >= f->ngroups)
			continue;
		for (i = lo; i < lo + cnt; i++) {
			e = f->tbl8[(size_t)(f->tbl24[k] & ~XGW_FIB4_EXT) * 256 + i];
			if (entry_is(e, len))
				goto found;
		}
	}
	return -ENOENT;
found:
	xgw_fib4_unpack(e, rt);
	return 0;
}

int xgw_fib4_commit(struct xgw_fib4 *f)
{
	__u32 *want, k;
	int err;

	if (!f->deferred)
		return 0;
	/*
	 * Refuse before writing anything: set() did not count groups while
	 * deferred, and a commit that ran out half-way would leave the
	 * datapath a mix of the old table and the new.
	 */
	if (f->longer.n > f->ngroups)
		return -ENOSPC;
	want = malloc((size_t)XGW_FIB4_TBL24 * sizeof(*want));
	if (!want)
		return -ENOMEM;
	err = range_compute(f, 0, XGW_FIB4_TBL24, 0, want);
	if (err) {
		free(want);
		return err;
	}
	f->deferred = false;
	/* slots leaving a group first: their groups can then be reused */
	for (k = 0; !err && k < XGW_FIB4_TBL24; k++)
		if (!longer_in(f, k))
			err = slot_apply(f, k, want[k]);
	for (k = 0; !err && k < XGW_FIB4_TBL24; k++)
		if (longer_in(f, k))
			err = slot_apply(f, k, want[k]);
	free(want);
	return err;
}

/*
 * Map all of FIB array @fd: its u32 entries (*n of them) as one dense
 * array. The kernel lays an array's elements out every round_up(value_size,
 * 8) bytes, so the values must be a multiple of 8 bytes (several entries).
 */
static __u32 *fib4_map_one(int fd, int prot, size_t *len, __u32 *n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), bytes;
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);
	void *p;

	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		return NULL;
	if (info.type != BPF_MAP_TYPE_ARRAY || !info.value_size || info.value_size % 8) {
		errno = EINVAL;
		return NULL;
	}
	bytes = (size_t)info.max_entries * info.value_size;
	*n = bytes / sizeof(__u32);
	*len = (bytes + page - 1) / page * page;
	p = mmap(NULL, *len, prot, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

int xgw_fib4_map(int fd24, int fd8, int prot, struct xgw_fib4_maps *m)
{
	__u32 n24, n8;
	int err;

	memset(m, 0, sizeof(*m));
	m->tbl24 = fib4_map_one(fd24, prot, &m->len24, &n24);
	if (m->tbl24)
		m->tbl8 = fib4_map_one(fd8, prot, &m->len8, &n8);
	if (!m->tbl24 || !m->tbl8) {
		err = -errno;
		xgw_fib4_unmap(m);
		return err;
	}
	if (n24 != XGW_FIB4_TBL24 || !n8 || n8 % 256) {
		xgw_fib4_unmap(m);
		return -EINVAL;
	}
	m->ngroups = n8 / 256;
	return 0;
}

void xgw_fib4_unmap(struct xgw_fib4_maps *m)
{
	if (m->tbl24)
		munmap(m->tbl24, m->len24);
	if (m->tbl8)
		munmap(m->tbl8, m->len8);
	memset(m, 0, sizeof(*m));
}

void xgw_fib4_stats(const struct xgw_fib4 *f, struct xgw_fib4_stats *st)
{
	st->routes = f->routes.n;
	st->groups_used = f->nused;
	st->groups_max = f->ngroups;
}
