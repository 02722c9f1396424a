// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * common/fib.c, both families, against a reference that knows nothing of
 * chunks or hashes: the longest match over a plain list of routes, marks'
 * flags added. Random nested sets and changes, default routes, hosts,
 * deep IPv6 routes, every boundary address of every route; out-of-space
 * refusals that change nothing; a restart adopting the arrays; a reader
 * thread that must never see an answer neither the table before a change
 * nor the one after it gives.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "fib.h"

/* XGW_RT_MULTIPATH (router-dp, contract C2): nh_id is a group; the FIB
 * carries it like any other action */
#define RT_MULTIPATH	(XGW_RT_BLACKHOLE + 1)

#define MAXREF 8192

struct ref_route {
	__u32 a[4];	/* host order, masked */
	int len;
	struct xgw_route rt;
};

struct ref {
	struct ref_route r[MAXREF];
	int n;
	int alen;
};

static __u64 rng = 0x9e3779b97f4a7c15ULL;

static __u32 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (__u32)(rng >> 11);
}

static __u32 mask32(int bits)
{
	return bits <= 0 ? 0 : bits >= 32 ? ~0u : ~0u << (32 - bits);
}

static void amask(__u32 *a, int len)
{
	int i;

	for (i = 0; i < 4; i++)
		a[i] &= mask32(len - 32 * i);
}

static bool under(const __u32 *a, const __u32 *p, int len)
{
	int i;

	for (i = 0; i < 4; i++)
		if ((a[i] ^ p[i]) & mask32(len - 32 * i))
			return false;
	return true;
}

static void to_be(const __u32 *a, __be32 *b)
{
	int i;

	for (i = 0; i < 4; i++)
		b[i] = htonl(a[i]);
}

static int ref_find(const struct ref *r, const __u32 *a, int len)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->r[i].len == len && !memcmp(r->r[i].a, a, 16))
			return i;
	return -1;
}

static void ref_set(struct ref *r, const __u32 *a, int len, const struct xgw_route *rt)
{
	int i = ref_find(r, a, len);

	if (i < 0)
		i = r->n++;
	memcpy(r->r[i].a, a, 16);
	r->r[i].len = len;
	r->r[i].rt = *rt;
}

static void ref_del(struct ref *r, const __u32 *a, int len)
{
	int i = ref_find(r, a, len);

	if (i >= 0)
		r->r[i] = r->r[--r->n];
}

/* The datapath's answer by definition: false for no route. */
static bool ref_lookup(const struct ref *r, const __u32 *a, struct xgw_route *out)
{
	int best = -1, i;
	__u8 flags = 0;

	for (i = 0; i < r->n; i++) {
		const struct ref_route *x = &r->r[i];

		if (!under(a, x->a, x->len))
			continue;
		if (x->rt.action == XGW_RT_NONE)
			flags |= x->rt.flags;
		else if (best < 0 || x->len > r->r[best].len)
			best = i;
	}
	memset(out, 0, sizeof(*out));
	if (best >= 0)
		*out = r->r[best].rt;
	out->flags |= flags;
	return best >= 0 || flags;
}

/* ---- arrays in plain memory -------------------------------------------------- */
struct mem {
	struct xgw_fib_mem m;
};

static void mem_alloc(struct xgw_fib_mem *m, int family, __u32 heap_units, __u32 nh)
{
	memset(m, 0, sizeof(*m));
	m->family = family;
	m->dir = calloc(XGW_FIB_DIR, 4);
	m->heap = calloc(heap_units, 2);
	m->heap_units = heap_units;
	m->leaves = calloc(XGW_FIB_LEAVES, 4);
	m->nrecs = 16384;
	m->recs = calloc(m->nrecs, sizeof(struct xgw_fib6_rec));
	if (family == AF_INET6) {
		m->nh32 = m->nh48 = m->nhd = nh;
		m->h32 = calloc(nh, sizeof(*m->h32));
		m->h48 = calloc(nh, sizeof(*m->h48));
		m->hd = calloc(nh, sizeof(*m->hd));
	}
	assert_non_null(m->dir);
	assert_non_null(m->heap);
}

static void mem_free(struct xgw_fib_mem *m)
{
	free(m->dir);
	free(m->heap);
	free(m->leaves);
	free(m->recs);
	free(m->h32);
	free(m->h48);
	free(m->hd);
	memset(m, 0, sizeof(*m));
}

static void check_addr(const struct xgw_fib_mem *m, const struct ref *r, const __u32 *a)
{
	struct xgw_route want, got;
	__be32 b[4];
	__u32 e;
	bool w = ref_lookup(r, a, &want), g;

	to_be(a, b);
	e = xgw_fib_read(m, b);
	g = e != 0;
	xgw_fib_unpack(e, &got);
	if (w != g || (w && (want.action != got.action || want.flags != got.flags ||
			     want.nh_id != got.nh_id)))
		fail_msg("%08x:%08x:%08x:%08x: want %d action %u flags %u nh %u, "
			 "got %d action %u flags %u nh %u (%#x)",
			 a[0], a[1], a[2], a[3], w, want.action, want.flags, want.nh_id, g,
			 got.action, got.flags, got.nh_id, e);
}

/* a + d (d = +1 or -1), 128-bit, in the family's width. */
static void step(__u32 *a, int d, int alen)
{
	int i = alen / 32 - 1;

	for (; i >= 0; i--) {
		a[i] += d;
		if ((d > 0 && a[i]) || (d < 0 && a[i] != ~0u))
			break;
	}
}

/* Every route's first and last address and their neighbours, and randoms. */
static void check_all(const struct xgw_fib_mem *m, const struct ref *r)
{
	__u32 a[4], b;
	int i, j;

	for (i = 0; i < r->n; i++) {
		const struct ref_route *x = &r->r[i];

		memcpy(a, x->a, 16);
		check_addr(m, r, a);
		step(a, -1, r->alen);
		check_addr(m, r, a);
		for (j = 0; j < 4; j++)
			a[j] = x->a[j] | ~mask32(x->len - 32 * j);
		if (r->alen == 32)
			a[1] = a[2] = a[3] = 0;
		check_addr(m, r, a);
		step(a, 1, r->alen);
		check_addr(m, r, a);
		for (j = 0; j < 4; j++)
			a[j] = x->a[j] | (rnd() & ~mask32(x->len - 32 * j));
		if (r->alen == 32)
			a[1] = a[2] = a[3] = 0;
		check_addr(m, r, a);
	}
	for (i = 0; i < 2000; i++) {
		const struct ref_route *x = r->n ? &r->r[rnd() % r->n] : NULL;

		for (j = 0; j < 4; j++)
			a[j] = j < r->alen / 32 ? rnd() : 0;
		if (x && rnd() % 2) {	/* near a route: its first 16..64 bits */
			b = 16 + rnd() % 49;
			for (j = 0; j < 4; j++)
				a[j] = (x->a[j] & mask32(b - 32 * j)) | (a[j] & ~mask32(b - 32 * j));
		}
		check_addr(m, r, a);
	}
}

/*
 * A random route. IPv4: 384 /24s in 3 /8s, so routes nest and collide.
 * IPv6: 3 /32s and a handful of /48s and /64s within, every length band
 * (/0-/16, /17-/23, /24-/32, /33-/47, /48, /49-/64, /65-/127, /128).
 */
static void random_route(int alen, __u32 *a, int *len, struct xgw_route *rt)
{
	static const int lens4[] = { 8, 14, 16, 16, 17, 20, 22, 23, 24, 24, 24, 24, 25, 26, 28,
				     28, 30, 31, 32, 32, 32, 32, 32, 32 };
	static const int lens6[] = { 0, 8, 16, 19, 23, 24, 29, 30, 32, 32, 33, 36, 40, 44, 47,
				     48, 48, 48, 49, 52, 56, 60, 63, 64, 64, 65, 72, 96, 112,
				     127, 128, 128, 128 };

	memset(a, 0, 16);
	if (alen == 32) {
		a[0] = (10u + rnd() % 3) << 24 | (rnd() % 16) << 16 | (rnd() % 8) << 8 | (rnd() & 0xff);
		*len = lens4[rnd() % (sizeof(lens4) / sizeof(lens4[0]))];
	} else {
		a[0] = 0x20010db8 + rnd() % 3 * 0x10000 + rnd() % 2;
		a[1] = (rnd() % 4) << 16 | (rnd() % 4);
		a[2] = rnd() % 3;
		a[3] = rnd() % 5;
		if (rnd() % 4 == 0)
			a[1] |= rnd();
		*len = lens6[rnd() % (sizeof(lens6) / sizeof(lens6[0]))];
	}
	amask(a, *len);
	memset(rt, 0, sizeof(*rt));
	rt->action = XGW_RT_NEXTHOP + rnd() % 4;
	if (rt->action == XGW_RT_NEXTHOP || rt->action == RT_MULTIPATH)
		rt->nh_id = 1 + rnd() % (rnd() % 2 ? 4 : 4000);
	if (*len == alen && rnd() % 4 == 0) {
		rt->action = XGW_RT_NONE;	/* a VIP mark */
		rt->flags = XGW_RT_F_VIP;
	} else if (*len == alen && rnd() % 4 == 0) {
		rt->flags = XGW_RT_F_OWN | (rnd() % 2 ? XGW_RT_F_VIP : 0);
	}
}

static void set_ok(struct xgw_fib *f, struct ref *r, const __u32 *a, int len,
		   const struct xgw_route *rt)
{
	__be32 b[4];

	to_be(a, b);
	assert_int_equal(xgw_fib_set(f, b, len, rt), 0);
	ref_set(r, a, len, rt);
}

static void del_ok(struct xgw_fib *f, struct ref *r, const __u32 *a, int len)
{
	__be32 b[4];

	to_be(a, b);
	assert_int_equal(xgw_fib_del(f, b, len), 0);
	ref_del(r, a, len);
}

/* One random change: a delete of a route that exists, or a set. */
static void random_change(struct xgw_fib *f, struct ref *r)
{
	struct xgw_route rt;
	__u32 a[4];
	int len;

	if (r->n && rnd() % 3 == 0) {
		struct ref_route x = r->r[rnd() % r->n];

		del_ok(f, r, x.a, x.len);
		return;
	}
	random_route(r->alen, a, &len, &rt);
	set_ok(f, r, a, len, &rt);
}

static void test_basic(void **state)
{
	struct xgw_route nh = { .action = XGW_RT_NEXTHOP, .nh_id = 7 }, got;
	struct xgw_fib_mem m;
	struct xgw_fib *f;
	__be32 a[4] = {};

	(void)state;
	mem_alloc(&m, AF_INET, 1 << 16, 0);
	assert_int_equal(xgw_fib_open(&f, &m, false), 0);
	a[0] = htonl(0x0a000001);
	assert_false(xgw_fib_lookup(f, a, &got));
	a[0] = htonl(0x0a000000);
	assert_int_equal(xgw_fib_set(f, a, 8, &nh), 0);
	a[0] = htonl(0x0affffff);
	assert_true(xgw_fib_lookup(f, a, &got));
	assert_int_equal(got.nh_id, 7);
	a[0] = htonl(0x0b000000);
	assert_false(xgw_fib_lookup(f, a, &got));
	a[0] = htonl(0x0a123456);
	assert_int_equal(xgw_fib_get(f, a, 8, &got), 0);	/* host bits ignored */
	assert_int_equal(xgw_fib_get(f, a, 9, &got), -ENOENT);
	assert_int_equal(xgw_fib_del(f, a, 9), -ENOENT);
	assert_int_equal(xgw_fib_del(f, a, 8), 0);
	a[0] = htonl(0x0a000001);
	assert_false(xgw_fib_lookup(f, a, &got));
	xgw_fib_close(f);
	mem_free(&m);
}

static void test_bad_input(void **state)
{
	struct xgw_route nh = { .action = XGW_RT_NEXTHOP, .nh_id = 1 };
	struct xgw_route mark = { .action = XGW_RT_NONE, .flags = XGW_RT_F_VIP };
	struct xgw_route nomark = { .action = XGW_RT_NONE };
	struct xgw_fib_mem m;
	struct xgw_fib *f;
	__be32 a[4] = {};
	int fam;

	(void)state;
	for (fam = 0; fam < 2; fam++) {
		int alen = fam ? 128 : 32;

		mem_alloc(&m, fam ? AF_INET6 : AF_INET, 1 << 16, 64);
		assert_int_equal(xgw_fib_open(&f, &m, false), 0);
		assert_int_equal(xgw_fib_set(f, a, alen + 1, &nh), -EINVAL);
		assert_int_equal(xgw_fib_set(f, a, -1, &nh), -EINVAL);
		assert_int_equal(xgw_fib_set(f, a, alen - 1, &mark), -EINVAL);	/* hosts only */
		assert_int_equal(xgw_fib_set(f, a, alen, &nomark), -EINVAL);	/* flags */
		nh.flags = XGW_RT_F_OWN;	/* flags: hosts only */
		assert_int_equal(xgw_fib_set(f, a, alen - 1, &nh), -EINVAL);
		assert_int_equal(xgw_fib_set(f, a, alen, &nh), 0);
		nh.flags = 0x4;
		assert_int_equal(xgw_fib_set(f, a, alen, &nh), -EINVAL);
		nh.flags = 0;
		nh.nh_id = XGW_FIB_NH_MASK + 1;
		assert_int_equal(xgw_fib_set(f, a, 24, &nh), -EINVAL);
		nh.nh_id = 1;
		xgw_fib_close(f);
		mem_free(&m);
	}
}

/* Random sets and changes, each checked against the reference. */
static void random_rounds(int family, __u32 heap_units, __u32 nh, int rounds, int changes)
{
	static struct ref r;
	struct xgw_fib_mem m;
	struct xgw_fib *f;
	int round, i;

	r.alen = family == AF_INET6 ? 128 : 32;
	for (round = 0; round < rounds; round++) {
		struct xgw_route dflt = { .action = XGW_RT_NEXTHOP, .nh_id = 4001 };
		__u32 zero[4] = {};

		r.n = 0;
		mem_alloc(&m, family, heap_units, nh);
		assert_int_equal(xgw_fib_open(&f, &m, false), 0);
		for (i = 0; i < changes; i++) {
			random_change(f, &r);
			if (i == changes / 2) {	/* a default route comes and goes */
				set_ok(f, &r, zero, 0, &dflt);
			} else if (i == changes * 3 / 4 && round % 2 && ref_find(&r, zero, 0) >= 0) {
				del_ok(f, &r, zero, 0);
			}
			if (i % 100 == 99)
				check_all(&m, &r);
		}
		check_all(&m, &r);
		xgw_fib_close(f);
		mem_free(&m);
	}
}

static void test_random4(void **state)
{
	(void)state;
	random_rounds(AF_INET, 1 << 18, 0, 4, 600);
}

static void test_random6(void **state)
{
	(void)state;
	random_rounds(AF_INET6, 1 << 18, 256, 5, 600);
}

/*
 * Small arrays: hash buckets overflow into their neighbours, and some
 * changes do not fit. Those are refused with -ENOSPC and change nothing:
 * not the arrays (their digest), not the route set, not the answers.
 */
static void crowded_rounds(int family, __u32 heap_units, __u32 nh, int changes)
{
	static struct ref r;
	struct xgw_fib_mem m;
	struct xgw_fib *f;
	int i, refused = 0;

	r.alen = family == AF_INET6 ? 128 : 32;
	r.n = 0;
	mem_alloc(&m, family, heap_units, nh);
	assert_int_equal(xgw_fib_open(&f, &m, false), 0);
	for (i = 0; i < changes; i++) {
		__u64 before = xgw_fib_digest(&m);
		struct xgw_route rt, old;
		__be32 b[4];
		__u32 a[4];
		int len, err, had;

		random_route(r.alen, a, &len, &rt);
		to_be(a, b);
		had = ref_find(&r, a, len);
		err = had >= 0 && rnd() % 2 ? xgw_fib_del(f, b, len) : xgw_fib_set(f, b, len, &rt);
		if (!err) {
			if (had >= 0 && xgw_fib_get(f, b, len, &old))
				ref_del(&r, a, len);
			else
				ref_set(&r, a, len, &rt);
			continue;
		}
		assert_int_equal(err, -ENOSPC);
		refused++;
		assert_true(xgw_fib_digest(&m) == before);
		assert_int_equal(xgw_fib_get(f, b, len, &old), had >= 0 ? 0 : -ENOENT);
		if (had >= 0)
			assert_memory_equal(&old, &r.r[had].rt, sizeof(old));
		assert_true(strstr(xgw_fib_full(f), "full") != NULL);
		if (refused % 20 == 1)
			check_all(&m, &r);
	}
	check_all(&m, &r);
	assert_true(refused > 0);
	xgw_fib_close(f);
	mem_free(&m);
}

static void test_crowded6(void **state)
{
	(void)state;
	crowded_rounds(AF_INET6, 1 << 18, 16, 600);
}

static void test_heap_full(void **state)
{
	(void)state;
	crowded_rounds(AF_INET, 1 << 9, 0, 600);
	crowded_rounds(AF_INET6, 1 << 9, 256, 600);
}

/* The highest chunk offset the IPv4 direct table points at. */
static __u32 heap_top(const struct xgw_fib_mem *m)
{
	__u32 i, top = 0;

	for (i = 0; i < XGW_FIB_DIR; i++)
		if ((m->dir[i] & XGW_FIB_NODE) && (m->dir[i] & XGW_FIB_OFF) > top)
			top = m->dir[i] & XGW_FIB_OFF;
	return top;
}

/* 3000 IPv4 prefixes /17-/28 across many /16s, set (@set) or deleted as one batch. */
static void reuse_batch(struct xgw_fib *f, bool set)
{
	struct xgw_route rt = { .action = XGW_RT_NEXTHOP, .nh_id = 1 };
	__be32 a[4] = {};
	int i, len;

	xgw_fib_begin(f);
	for (i = 0; i < 3000; i++) {
		len = 17 + i % 12;
		a[0] = htonl(((__u32)i * 2654435761u) & mask32(len));
		rt.nh_id = 1 + i % 3;
		assert_int_equal(set ? xgw_fib_set(f, a, len, &rt) : xgw_fib_del(f, a, len), 0);
	}
	assert_int_equal(xgw_fib_end(f), 0);
}

/*
 * Churn does not spread the table: chunks freed by a batch are reused by
 * the next one once their grace period is over (the heap's high-water
 * mark stays), and the memory shown counts only what the lookups can
 * reach.
 */
static void test_reuse(void **state)
{
	struct xgw_fib_stats st, st0;
	struct xgw_fib_mem m;
	struct xgw_fib *f;
	__u32 top;
	int round;

	(void)state;
	mem_alloc(&m, AF_INET, 1 << 20, 0);
	assert_int_equal(xgw_fib_open(&f, &m, false), 0);
	reuse_batch(f, true);
	xgw_fib_stats(f, &st0);
	top = heap_top(&m);
	assert_true(st0.heap_bytes > 0 && top > 0);
	for (round = 0; round < 3; round++) {
		reuse_batch(f, false);
		xgw_fib_stats(f, &st);
		assert_int_equal(st.heap_bytes, 0);
		assert_int_equal(st.chunks, 0);
		usleep((XGW_FIB_GRACE_MS + 10) * 1000);
		reuse_batch(f, true);
		xgw_fib_stats(f, &st);
		assert_int_equal(st.heap_bytes, st0.heap_bytes);
		if (heap_top(&m) > top)
			fail_msg("round %d: chunks up to offset %u, the first load's reached %u", round,
				 heap_top(&m), top);
	}
	xgw_fib_close(f);
	mem_free(&m);
}


/* A fresh build of @r's routes into @m (opened and closed). */
static void fresh_build(struct xgw_fib_mem *m, const struct ref *r)
{
	struct xgw_fib *f;
	__be32 b[4];
	int i;

	assert_int_equal(xgw_fib_open(&f, m, false), 0);
	xgw_fib_begin(f);
	for (i = 0; i < r->n; i++) {
		to_be(r->r[i].a, b);
		assert_int_equal(xgw_fib_set(f, b, r->r[i].len, &r->r[i].rt), 0);
	}
	assert_int_equal(xgw_fib_end(f), 0);
	xgw_fib_close(f);
}

/*
 * A restart: the old set stays in the arrays while the new one is replayed
 * (the records answer what each old route was), then one commit makes
 * them mean exactly what a fresh build of the new set means.
 */
static void adopt_round(int family)
{
	static struct ref r, old;
	struct xgw_fib_mem m, fresh;
	struct xgw_route rt, got;
	struct xgw_fib *f;
	__u64 before;
	__be32 b[4];
	__u32 a[4];
	int i, len;

	r.alen = old.alen = family == AF_INET6 ? 128 : 32;
	r.n = 0;
	mem_alloc(&m, family, 1 << 18, 256);
	assert_int_equal(xgw_fib_open(&f, &m, false), 0);
	for (i = 0; i < 400; i++)
		random_change(f, &r);
	xgw_fib_close(f);
	old = r;

	assert_int_equal(xgw_fib_open(&f, &m, true), 0);
	for (i = 0; i < old.n; i++) {	/* what the datapath had, route by route */
		to_be(old.r[i].a, b);
		assert_int_equal(xgw_fib_adopted(f, b, old.r[i].len, &got), 0);
		assert_int_equal(got.action, old.r[i].rt.action);
		if (got.action != XGW_RT_NONE)	/* a mark has flags only */
			assert_int_equal(got.nh_id, old.r[i].rt.nh_id);
		assert_int_equal(got.flags, old.r[i].rt.flags);
	}
	/* replay: keep two thirds, change some, add new; nothing shows yet */
	before = xgw_fib_digest(&m);
	for (i = r.n - 1; i >= 0; i--)
		if (rnd() % 3 == 0)
			r.r[i] = r.r[--r.n];
	for (i = 0; i < 150; i++) {
		random_route(r.alen, a, &len, &rt);
		ref_set(&r, a, len, &rt);
	}
	for (i = 0; i < r.n; i++) {
		to_be(r.r[i].a, b);
		assert_int_equal(xgw_fib_set(f, b, r.r[i].len, &r.r[i].rt), 0);
	}
	assert_true(xgw_fib_digest(&m) == before);
	check_all(&m, &old);
	assert_int_equal(xgw_fib_commit(f), 0);
	check_all(&m, &r);

	mem_alloc(&fresh, family, 1 << 18, 256);
	fresh_build(&fresh, &r);
	assert_true(xgw_fib_digest(&m) == xgw_fib_digest(&fresh));
	mem_free(&fresh);

	/* after the commit, changes are written at once again */
	for (i = 0; i < 600; i++) {
		random_change(f, &r);
		if (i % 200 == 199)
			check_all(&m, &r);
	}
	xgw_fib_close(f);

	/* and a restart with the same routes writes nothing */
	assert_int_equal(xgw_fib_open(&f, &m, true), 0);
	before = xgw_fib_digest(&m);
	for (i = 0; i < r.n; i++) {
		to_be(r.r[i].a, b);
		assert_int_equal(xgw_fib_set(f, b, r.r[i].len, &r.r[i].rt), 0);
	}
	assert_int_equal(xgw_fib_commit(f), 0);
	assert_true(xgw_fib_digest(&m) == before);
	check_all(&m, &r);
	xgw_fib_close(f);
	mem_free(&m);
}

static void test_adopt(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		adopt_round(AF_INET);
		adopt_round(AF_INET6);
	}
}

/* ---- a reader thread during changes -------------------------------------------------- */
#define CHURN_PROBES	256
#define CHURN_CHANGES	1500

struct churn {
	const struct xgw_fib_mem *m;
	__u32 probe[CHURN_PROBES][4];
	__u32 *ans;		/* [state][probe]: packed answers */
	volatile int gen;	/* 2k: state k; 2k - 1: change k in progress */
	volatile int done;
	long checks, bad;
	char why[256];
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *churn_reader(void *arg)
{
	struct churn *c = arg;
	__u32 i = 0, e, k;
	int g1, g2;

	while (!c->done) {
		__u32 *p = c->probe[i++ % CHURN_PROBES];
		__be32 b[4];
		__u64 t0;
		bool ok = false;

		to_be(p, b);
		t0 = mono_ns();
		g1 = __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE);
		e = xgw_fib_read(c->m, b);
		g2 = __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE);
		if (mono_ns() - t0 > 10000000)
			continue;	/* preempted for 10 ms: not a datapath's timing */
		for (k = g1 / 2; !ok && k <= (__u32)(g2 + 1) / 2; k++)
			ok = c->ans[k * CHURN_PROBES + (p - c->probe[0]) / 4] == e;
		c->checks++;
		if (!ok && !c->bad++)
			snprintf(c->why, sizeof(c->why), "%08x:%08x:%08x:%08x: %#x between states "
				 "%d and %d", p[0], p[1], p[2], p[3], e, g1, g2);
	}
	return NULL;
}

static __u32 ref_packed(const struct ref *r, const __u32 *a)
{
	struct xgw_route rt;

	return ref_lookup(r, a, &rt) ? xgw_fib_pack(&rt) : 0;
}

static void churn_round(int family)
{
	static struct ref r, plan;
	static struct ref_route chg[CHURN_CHANGES];
	static bool isdel[CHURN_CHANGES];
	struct churn *c = calloc(1, sizeof(*c));
	struct xgw_fib_mem m;
	struct xgw_fib *f;
	pthread_t th;
	int i, k, j;

	assert_non_null(c);
	r.alen = plan.alen = family == AF_INET6 ? 128 : 32;
	r.n = 0;
	mem_alloc(&m, family, 1 << 18, 256);
	assert_int_equal(xgw_fib_open(&f, &m, false), 0);
	for (i = 0; i < 300; i++)
		random_change(f, &r);
	/* the changes, the probes around them, the answers of every state */
	plan = r;
	for (k = 0; k < CHURN_CHANGES; k++) {
		isdel[k] = plan.n && rnd() % 3 == 0;
		if (isdel[k]) {
			chg[k] = plan.r[rnd() % plan.n];
			ref_del(&plan, chg[k].a, chg[k].len);
		} else {
			random_route(plan.alen, chg[k].a, &chg[k].len, &chg[k].rt);
			ref_set(&plan, chg[k].a, chg[k].len, &chg[k].rt);
		}
		if (k < CHURN_PROBES) {
			for (j = 0; j < 4; j++)
				c->probe[k][j] = chg[k].a[j] |
						 (rnd() & ~mask32(chg[k].len - 32 * j));
			if (plan.alen == 32)
				c->probe[k][1] = c->probe[k][2] = c->probe[k][3] = 0;
		}
	}
	c->ans = calloc((size_t)(CHURN_CHANGES + 2) * CHURN_PROBES, sizeof(*c->ans));
	assert_non_null(c->ans);
	plan = r;
	for (k = 0; k <= CHURN_CHANGES; k++) {
		if (k) {
			if (isdel[k - 1])
				ref_del(&plan, chg[k - 1].a, chg[k - 1].len);
			else
				ref_set(&plan, chg[k - 1].a, chg[k - 1].len, &chg[k - 1].rt);
		}
		for (j = 0; j < CHURN_PROBES; j++)
			c->ans[k * CHURN_PROBES + j] = ref_packed(&plan, c->probe[j]);
	}
	memcpy(&c->ans[(CHURN_CHANGES + 1) * CHURN_PROBES], &c->ans[CHURN_CHANGES * CHURN_PROBES],
	       CHURN_PROBES * sizeof(*c->ans));
	c->m = &m;
	assert_int_equal(pthread_create(&th, NULL, churn_reader, c), 0);
	for (k = 1; k <= CHURN_CHANGES; k++) {
		__atomic_store_n(&c->gen, 2 * k - 1, __ATOMIC_RELEASE);
		if (isdel[k - 1])
			del_ok(f, &r, chg[k - 1].a, chg[k - 1].len);
		else
			set_ok(f, &r, chg[k - 1].a, chg[k - 1].len, &chg[k - 1].rt);
		__atomic_store_n(&c->gen, 2 * k, __ATOMIC_RELEASE);
		if (k % 16 == 0)
			sched_yield();	/* two CPUs shared: let the reader run too */
	}
	c->done = 1;
	pthread_join(th, NULL);
	if (c->bad)
		fail_msg("%ld of %ld reads saw neither answer, first: %s", c->bad, c->checks, c->why);
	assert_true(c->checks > 0);	/* (thousands, unless the machine starves the reader) */
	check_all(&m, &r);
	xgw_fib_close(f);
	mem_free(&m);
	free(c->ans);
	free(c);
}

static void test_churn(void **state)
{
	(void)state;
	churn_round(AF_INET);
	churn_round(AF_INET6);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_random4),
		cmocka_unit_test(test_random6),
		cmocka_unit_test(test_crowded6),
		cmocka_unit_test(test_heap_full),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_adopt),
		cmocka_unit_test(test_churn),
	};

	if (argc > 1)	/* one test by name (or a pattern) */
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
