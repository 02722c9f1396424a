// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * common/fib4.c against a reference that knows nothing of DIR-24-8: the
 * longest match over a plain list of routes, marks' flags added. Random
 * route sets, random changes, every boundary address of every route.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "fib4.h"

#define NGROUPS 512

struct ref_route {
	__u32 a;
	int len;
	struct xgw_route rt;
};

struct ref {
	struct ref_route r[8192];
	int n;
};

static __u32 *tbl24, *tbl8;
static __u64 rng = 0x9e3779b97f4a7c15ULL;

static __u32 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (__u32)(rng >> 11);
}

static __u32 mask_of(int len)
{
	return len ? ~0u << (32 - len) : 0;
}

static int ref_find(const struct ref *r, __u32 a, int len)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->r[i].len == len && r->r[i].a == (a & mask_of(len)))
			return i;
	return -1;
}

static void ref_set(struct ref *r, __u32 a, int len, const struct xgw_route *rt)
{
	int i = ref_find(r, a, len);

	if (i < 0)
		i = r->n++;
	r->r[i] = (struct ref_route){ .a = a & mask_of(len), .len = len, .rt = *rt };
}

static void ref_del(struct ref *r, __u32 a, int len)
{
	int i = ref_find(r, a, len);

	if (i >= 0)
		r->r[i] = r->r[--r->n];
}

/* The datapath's answer by definition: false for no route. */
static bool ref_lookup(const struct ref *r, __u32 a, struct xgw_route *out)
{
	int best = -1, i;
	__u8 flags = 0;

	for (i = 0; i < r->n; i++) {
		const struct ref_route *x = &r->r[i];

		if ((a & mask_of(x->len)) != x->a)
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

static void check_addr(const struct xgw_fib4 *f, const struct ref *r, __u32 a)
{
	struct xgw_route want, got;
	bool w = ref_lookup(r, a, &want), g = xgw_fib4_lookup(f, htonl(a), &got);

	if (w != g || (w && (want.action != got.action || want.flags != got.flags ||
			     want.nh_id != got.nh_id)))
		fail_msg("%u.%u.%u.%u: want %d action %u flags %u nh %u, got %d action %u flags %u nh %u",
			 a >> 24, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff, w, want.action,
			 want.flags, want.nh_id, g, got.action, got.flags, got.nh_id);
}

/* Every route's first and last address and their neighbours, and randoms. */
static void check_all(const struct xgw_fib4 *f, const struct ref *r)
{
	int i;

	for (i = 0; i < r->n; i++) {
		__u32 lo = r->r[i].a, hi = lo | ~mask_of(r->r[i].len);

		check_addr(f, r, lo);
		check_addr(f, r, hi);
		check_addr(f, r, lo - 1);
		check_addr(f, r, hi + 1);
		check_addr(f, r, lo + (rnd() & ~mask_of(r->r[i].len)));
	}
	for (i = 0; i < 2000; i++)
		check_addr(f, r, rnd());
}

static void random_route(__u32 *a, int *len, struct xgw_route *rt)
{
	static const int lens[] = { 4, 8, 12, 16, 16, 20, 22, 23, 24, 24, 24, 25, 26, 28, 30,
				    31, 32, 32, 32 };

	/* 384 /24s in 3 /8s, so routes nest and collide */
	*a = (10u + rnd() % 3) << 24 | (rnd() % 16) << 16 | (rnd() % 8) << 8 | (rnd() & 0xff);
	*len = lens[rnd() % (sizeof(lens) / sizeof(lens[0]))];
	memset(rt, 0, sizeof(*rt));
	rt->action = XGW_RT_NEXTHOP + rnd() % 3;
	if (rt->action == XGW_RT_NEXTHOP)
		rt->nh_id = 1 + rnd() % 4000;
	if (*len == 32 && rnd() % 4 == 0) {
		rt->action = XGW_RT_NONE;	/* a VIP mark */
		rt->flags = XGW_RT_F_VIP;
	} else if (*len == 32 && rnd() % 4 == 0) {
		rt->flags = XGW_RT_F_OWN | (rnd() % 2 ? XGW_RT_F_VIP : 0);
	}
}

static int setup(void **state)
{
	(void)state;
	tbl24 = calloc(XGW_FIB4_TBL24, sizeof(*tbl24));
	tbl8 = calloc((size_t)NGROUPS * 256, sizeof(*tbl8));
	return tbl24 && tbl8 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(tbl24);
	free(tbl8);
	return 0;
}

static void test_empty_and_basic(void **state)
{
	struct xgw_route nh = { .action = XGW_RT_NEXTHOP, .nh_id = 7 }, got;
	struct xgw_fib4 *f;

	(void)state;
	assert_int_equal(xgw_fib4_open(&f, tbl24, tbl8, NGROUPS, false), 0);
	assert_false(xgw_fib4_lookup(f, htonl(0x0a000001), &got));
	assert_int_equal(xgw_fib4_set(f, htonl(0x0a000000), 8, &nh), 0);
	assert_true(xgw_fib4_lookup(f, htonl(0x0affffff), &got));
	assert_int_equal(got.nh_id, 7);
	assert_false(xgw_fib4_lookup(f, htonl(0x0b000000), &got));
	assert_int_equal(xgw_fib4_get(f, htonl(0x0a123456), 8, &got), 0);	/* host bits ignored */
	assert_int_equal(xgw_fib4_get(f, htonl(0x0a000000), 9, &got), -ENOENT);
	assert_int_equal(xgw_fib4_del(f, htonl(0x0a000000), 9), -ENOENT);
	assert_int_equal(xgw_fib4_del(f, htonl(0x0a000000), 8), 0);
	assert_false(xgw_fib4_lookup(f, htonl(0x0a000001), &got));
	xgw_fib4_close(f);
}

static void test_bad_input(void **state)
{
	struct xgw_route nh = { .action = XGW_RT_NEXTHOP, .nh_id = 1 };
	struct xgw_route mark = { .action = XGW_RT_NONE, .flags = XGW_RT_F_VIP };
	struct xgw_route bad = { .action = 9 };
	struct xgw_fib4 *f;

	(void)state;
	assert_int_equal(xgw_fib4_open(&f, tbl24, tbl8, NGROUPS, false), 0);
	assert_int_equal(xgw_fib4_set(f, 0, 33, &nh), -EINVAL);
	assert_int_equal(xgw_fib4_set(f, 0, -1, &nh), -EINVAL);
	assert_int_equal(xgw_fib4_set(f, 0, 24, &mark), -EINVAL);	/* marks are /32 */
	assert_int_equal(xgw_fib4_set(f, 0, 24, &bad), -EINVAL);
	nh.flags = XGW_RT_F_OWN;	/* flags: /32 only */
	assert_int_equal(xgw_fib4_set(f, 0, 31, &nh), -EINVAL);
	assert_int_equal(xgw_fib4_set(f, 0, 32, &nh), 0);
	nh.flags = 0;
	nh.nh_id = XGW_FIB4_NH_MASK + 1;
	assert_int_equal(xgw_fib4_set(f, 0, 24, &nh), -EINVAL);
	xgw_fib4_close(f);
}

/* Random sets and changes, each checked against the reference. */
static void test_random(void **state)
{
	static struct ref r;
	struct xgw_fib4 *f;
	int round, i;

	(void)state;
	for (round = 0; round < 6; round++) {
		struct xgw_route dflt = { .action = XGW_RT_NEXTHOP, .nh_id = 4001 };

		r.n = 0;
		assert_int_equal(xgw_fib4_open(&f, tbl24, tbl8, NGROUPS, false), 0);
		for (i = 0; i < 400; i++) {
			struct xgw_route rt;
			__u32 a;
			int len;

			random_route(&a, &len, &rt);
			if (r.n && rnd() % 3 == 0) {	/* delete one that exists */
				struct ref_route x = r.r[rnd() % r.n];

				assert_int_equal(xgw_fib4_del(f, htonl(x.a), x.len), 0);
				ref_del(&r, x.a, x.len);
			} else {
				assert_int_equal(xgw_fib4_set(f, htonl(a), len, &rt), 0);
				ref_set(&r, a, len, &rt);
			}
			if (i == 200) {	/* a default route comes and goes */
				assert_int_equal(xgw_fib4_set(f, 0, 0, &dflt), 0);
				ref_set(&r, 0, 0, &dflt);
			} else if (i == 300 && round % 2 && ref_find(&r, 0, 0) >= 0) {
				assert_int_equal(xgw_fib4_del(f, 0, 0), 0);
				ref_del(&r, 0, 0);
			}
			if (i % 50 == 49)
				check_all(f, &r);
		}
		check_all(f, &r);
		xgw_fib4_close(f);
	}
}

/* No two /24s may point at one group. */
static void assert_groups_unshared(const __u32 *t24, __u32 ngroups)
{
	static __u32 owner[NGROUPS];
	__u32 k, g;

	memset(owner, 0xff, sizeof(owner));
	for (k = 0; k < XGW_FIB4_TBL24; k++) {
		if (!(t24[k] & XGW_FIB4_EXT))
			continue;
		g = t24[k] & ~XGW_FIB4_EXT;
		assert_true(g < ngroups);
		if (owner[g] != 0xffffffffu)
			fail_msg("group %u is held by /24s %u and %u", g, owner[g], k);
		owner[g] = k;
	}
}

/* Per /24: equal entries, or groups of equal contents (indexes may differ). */
static void assert_tables_equal(const __u32 *a24, const __u32 *a8, const __u32 *b24,
				const __u32 *b8)
{
	__u32 k;

	for (k = 0; k < XGW_FIB4_TBL24; k++) {
		if (!(a24[k] & XGW_FIB4_EXT) || !(b24[k] & XGW_FIB4_EXT)) {
			if (a24[k] != b24[k])
				fail_msg("slot %u: %#x vs %#x", k, a24[k], b24[k]);
			continue;
		}
		if (memcmp(a8 + (size_t)(a24[k] & ~XGW_FIB4_EXT) * 256,
			   b8 + (size_t)(b24[k] & ~XGW_FIB4_EXT) * 256, 256 * sizeof(*a8)))
			fail_msg("slot %u: groups differ", k);
	}
}

/*
 * A restart: the old set stays in the arrays while the new one is replayed,
 * then one commit makes them exactly what a fresh build of the new set is.
 */
static void test_adopt_commit(void **state)
{
	static struct ref r;
	__u32 *f24 = calloc(XGW_FIB4_TBL24, sizeof(*f24));
	__u32 *f8 = calloc((size_t)NGROUPS * 256, sizeof(*f8));
	struct xgw_fib4 *old, *neu, *fresh;
	struct xgw_route rt, got;
	__u32 a, before;
	int i, len;

	(void)state;
	assert_non_null(f24);
	assert_non_null(f8);
	r.n = 0;
	assert_int_equal(xgw_fib4_open(&old, tbl24, tbl8, NGROUPS, false), 0);
	for (i = 0; i < 300; i++) {
		random_route(&a, &len, &rt);
		assert_int_equal(xgw_fib4_set(old, htonl(a), len, &rt), 0);
		ref_set(&r, a, len, &rt);
	}
	xgw_fib4_close(old);

	/* the old routes read back, next hops and all */
	assert_int_equal(xgw_fib4_open(&neu, tbl24, tbl8, NGROUPS, true), 0);
	for (i = 0; i < r.n; i++) {
		struct xgw_route w;

		if (r.r[i].rt.action == XGW_RT_NONE ||
		    xgw_fib4_adopted(neu, htonl(r.r[i].a), r.r[i].len, &got))
			continue;	/* marks, and routes wholly covered by longer ones */
		w = r.r[i].rt;
		assert_int_equal(got.action, w.action);
		assert_int_equal(got.nh_id, w.nh_id);
	}
	/* replay: keep two thirds, change some, add new; nothing shows yet */
	before = tbl24[(10u << 24) >> 8];
	for (i = r.n - 1; i >= 0; i--)
		if (rnd() % 3 == 0)
			r.r[i] = r.r[--r.n];
	for (i = 0; i < 100; i++) {
		random_route(&a, &len, &rt);
		ref_set(&r, a, len, &rt);
	}
	for (i = 0; i < r.n; i++)
		assert_int_equal(xgw_fib4_set(neu, htonl(r.r[i].a), r.r[i].len, &r.r[i].rt), 0);
	assert_int_equal(tbl24[(10u << 24) >> 8], before);
	assert_int_equal(xgw_fib4_commit(neu), 0);
	check_all(neu, &r);

	assert_int_equal(xgw_fib4_open(&fresh, f24, f8, NGROUPS, false), 0);
	for (i = 0; i < r.n; i++)
		assert_int_equal(xgw_fib4_set(fresh, htonl(r.r[i].a), r.r[i].len, &r.r[i].rt), 0);
	assert_tables_equal(tbl24, tbl8, f24, f8);

	/* after the commit, changes are written at once again */
	rt = (struct xgw_route){ .action = XGW_RT_BLACKHOLE };
	assert_int_equal(xgw_fib4_set(neu, htonl(0xc6336401), 32, &rt), 0);
	assert_true(xgw_fib4_lookup(neu, htonl(0xc6336401), &got));
	assert_int_equal(got.action, XGW_RT_BLACKHOLE);
	ref_set(&r, 0xc6336401, 32, &rt);
	/* churn enough to reuse every group the restart freed: none shared */
	for (i = 0; i < 1500; i++) {
		random_route(&a, &len, &rt);
		if (r.n && rnd() % 2 == 0) {
			struct ref_route x = r.r[rnd() % r.n];

			assert_int_equal(xgw_fib4_del(neu, htonl(x.a), x.len), 0);
			ref_del(&r, x.a, x.len);
		} else {
			assert_int_equal(xgw_fib4_set(neu, htonl(a), len, &rt), 0);
			ref_set(&r, a, len, &rt);
		}
		if (i % 300 == 299) {
			assert_groups_unshared(tbl24, NGROUPS);
			check_all(neu, &r);
		}
	}
	xgw_fib4_close(neu);
	xgw_fib4_close(fresh);
	free(f24);
	free(f8);
}

/* Out of groups: -ENOSPC, nothing changed; a released group is reused. */
static void test_groups(void **state)
{
	struct xgw_route nh = { .action = XGW_RT_NEXTHOP, .nh_id = 3 }, got;
	struct xgw_fib4_stats st;
	struct xgw_fib4 *f;
	__u32 i;

	(void)state;
	assert_int_equal(xgw_fib4_open(&f, tbl24, tbl8, 4, false), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(xgw_fib4_set(f, htonl(0x0a000001 + (i << 8)), 32, &nh), 0);
	/* a second /32 in a /24 that has a group needs none */
	assert_int_equal(xgw_fib4_set(f, htonl(0x0a000002), 32, &nh), 0);
	assert_int_equal(xgw_fib4_set(f, htonl(0x0a000401), 32, &nh), -ENOSPC);
	assert_false(xgw_fib4_lookup(f, htonl(0x0a000401), &got));
	assert_int_equal(xgw_fib4_get(f, htonl(0x0a000401), 32, &got), -ENOENT);
	xgw_fib4_stats(f, &st);
	assert_int_equal(st.routes, 5);
	assert_int_equal(st.groups_used, 4);
	/* a /24 route over a grouped /24 needs no new group */
	assert_int_equal(xgw_fib4_set(f, htonl(0x0a000300), 24, &nh), 0);
	/* free one /24's group (after the grace period it is reused) */
	assert_int_equal(xgw_fib4_del(f, htonl(0x0a000101), 32), 0);
	xgw_fib4_stats(f, &st);
	assert_int_equal(st.groups_used, 3);
	assert_int_equal(xgw_fib4_set(f, htonl(0x0a000401), 32, &nh), 0);
	assert_true(xgw_fib4_lookup(f, htonl(0x0a000401), &got));
	assert_int_equal(got.nh_id, 3);
	assert_false(xgw_fib4_lookup(f, htonl(0x0a000101), &got));
	xgw_fib4_close(f);
}

/*
 * A group the restarted FIB released is handed out once, after its grace
 * period: never to two /24s (it was, through "fresh" and the ring both).
 */
static void test_adopt_group_reuse(void **state)
{
	struct xgw_route nh = { .action = XGW_RT_NEXTHOP }, got;
	struct xgw_fib4 *f;

	(void)state;
	assert_int_equal(xgw_fib4_open(&f, tbl24, tbl8, 3, false), 0);
	nh.nh_id = 1;
	assert_int_equal(xgw_fib4_set(f, htonl(0x0a000101), 32, &nh), 0);	/* group 0 */
	nh.nh_id = 2;
	assert_int_equal(xgw_fib4_set(f, htonl(0x0a000201), 32, &nh), 0);	/* group 1 */
	xgw_fib4_close(f);

	assert_int_equal(xgw_fib4_open(&f, tbl24, tbl8, 3, true), 0);
	assert_int_equal(xgw_fib4_set(f, htonl(0x0a000201), 32, &nh), 0);
	assert_int_equal(xgw_fib4_commit(f), 0);	/* 10.0.1.1 goes: group 0 released */
	nh.nh_id = 3;
	assert_int_equal(xgw_fib4_set(f, htonl(0x0a000301), 32, &nh), 0);
	nh.nh_id = 4;
	assert_int_equal(xgw_fib4_set(f, htonl(0x0a000401), 32, &nh), 0);
	assert_int_equal(xgw_fib4_del(f, htonl(0x0a000201), 32), 0);
	nh.nh_id = 5;
	assert_int_equal(xgw_fib4_set(f, htonl(0x0a000501), 32, &nh), 0);
	assert_groups_unshared(tbl24, 3);
	assert_true(xgw_fib4_lookup(f, htonl(0x0a000301), &got));
	assert_int_equal(got.nh_id, 3);
	assert_true(xgw_fib4_lookup(f, htonl(0x0a000501), &got));
	assert_int_equal(got.nh_id, 5);
	xgw_fib4_close(f);
}

/* A restart whose routes need more groups than exist: nothing is written. */
static void test_commit_enospc(void **state)
{
	struct xgw_route old = { .action = XGW_RT_NEXTHOP, .nh_id = 1 }, got;
	struct xgw_route neu = { .action = XGW_RT_NEXTHOP, .nh_id = 2 };
	struct xgw_fib4 *f;
	__u32 i;

	(void)state;
	assert_int_equal(xgw_fib4_open(&f, tbl24, tbl8, 2, false), 0);
	assert_int_equal(xgw_fib4_set(f, htonl(0x0a010000), 16, &old), 0);
	xgw_fib4_close(f);
	assert_int_equal(xgw_fib4_open(&f, tbl24, tbl8, 2, true), 0);
	assert_int_equal(xgw_fib4_set(f, htonl(0x0a010000), 16, &neu), 0);
	for (i = 1; i <= 3; i++)	/* three /24s with a /32: two groups */
		assert_int_equal(xgw_fib4_set(f, htonl(0x0a010001 | i << 8), 32, &neu), 0);
	assert_int_equal(xgw_fib4_commit(f), -ENOSPC);
	for (i = 0; i < 8; i++) {	/* the old table, all of it */
		assert_true(xgw_fib4_lookup(f, htonl(0x0a010001 | i << 8), &got));
		assert_int_equal(got.nh_id, 1);
	}
	xgw_fib4_close(f);
}

/* A default route and a /8 over many routes take the painting path. */
static void test_wide(void **state)
{
	static struct ref r;
	struct xgw_route rt = { .action = XGW_RT_NEXTHOP, .nh_id = 9 };
	struct xgw_fib4 *f;
	__u32 a;
	int i, len;

	(void)state;
	r.n = 0;
	assert_int_equal(xgw_fib4_open(&f, tbl24, tbl8, NGROUPS, false), 0);
	for (i = 0; i < 3000; i++) {
		struct xgw_route x;

		random_route(&a, &len, &x);
		if (len < 16)
			continue;
		assert_int_equal(xgw_fib4_set(f, htonl(a), len, &x), 0);
		ref_set(&r, a, len, &x);
	}
	assert_int_equal(xgw_fib4_set(f, 0, 0, &rt), 0);
	ref_set(&r, 0, 0, &rt);
	rt.nh_id = 10;
	assert_int_equal(xgw_fib4_set(f, htonl(0x0b000000), 8, &rt), 0);
	ref_set(&r, 0x0b000000, 8, &rt);
	check_all(f, &r);
	assert_int_equal(xgw_fib4_del(f, 0, 0), 0);
	ref_del(&r, 0, 0);
	check_all(f, &r);
	xgw_fib4_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_basic),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_adopt_commit),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_adopt_group_reuse),
		cmocka_unit_test(test_commit_enospc),
		cmocka_unit_test(test_wide),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
