// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Multipath groups (common/nhgroup.c) and the next-hop table writer
 * (common/nhtable.c), over plain memory.
 *
 * Buckets: shares proportional to weights (largest remainder, exact
 * counts), and resilience: a change moves exactly the buckets it must (a
 * member that leaves or becomes unusable: its own; one that joins or comes
 * back: its share, taken only from members over theirs) and no other.
 * Writer: the version the datapath reads is never written; a second change
 * of one next hop waits for a grace period first, changes of others do not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "nhgroup.h"
#include "nhtable.h"

#define B	XGW_NHG_BUCKETS
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Buckets held by nh_id. */
static unsigned int held(const __u16 *bucket, __u16 nh_id)
{
	unsigned int b, n = 0;

	for (b = 0; b < B; b++)
		n += bucket[b] == nh_id;
	return n;
}

static unsigned int moved(const __u16 *a, const __u16 *b)
{
	unsigned int i, n = 0;

	for (i = 0; i < B; i++)
		n += a[i] != b[i];
	return n;
}

static void test_equal_shares(void **st)
{
	struct xgw_nhg_member m[3] = { { 7, 1, true }, { 9, 1, true }, { 11, 1, true } };
	__u16 bucket[B] = { 0 };

	(void)st;
	assert_int_equal(xgw_nhg_fill(bucket, m, 2), B);
	assert_int_equal(held(bucket, 7), B / 2);
	assert_int_equal(held(bucket, 9), B / 2);
	/* neighbours differ: an unresolved member's flows probe others */
	assert_int_not_equal(bucket[0], bucket[1]);
	memset(bucket, 0, sizeof(bucket));
	assert_int_equal(xgw_nhg_fill(bucket, m, 3), B);
	/* 256 = 86 + 85 + 85: the remainder to the first */
	assert_int_equal(held(bucket, 7), 86);
	assert_int_equal(held(bucket, 9), 85);
	assert_int_equal(held(bucket, 11), 85);
}

static void test_weights(void **st)
{
	struct xgw_nhg_member m[3] = { { 1, 1, true }, { 2, 3, true }, { 3, 4, true } };
	__u16 bucket[B] = { 0 };

	(void)st;
	assert_int_equal(xgw_nhg_fill(bucket, m, 3), B);
	assert_int_equal(held(bucket, 1), 32);
	assert_int_equal(held(bucket, 2), 96);
	assert_int_equal(held(bucket, 3), 128);
	/* the same members again: nothing moves */
	assert_int_equal(xgw_nhg_fill(bucket, m, 3), 0);
}

/* Of four members, the third leaves: only its buckets move. */
static void test_leave_moves_own(void **st)
{
	struct xgw_nhg_member m[4] = { { 1, 1, true }, { 2, 1, true }, { 3, 1, true },
				       { 4, 1, true } };
	__u16 before[B] = { 0 }, after[B];
	unsigned int b;

	(void)st;
	assert_int_equal(xgw_nhg_fill(before, m, 4), B);
	memcpy(after, before, sizeof(after));
	m[2] = m[3];
	assert_int_equal(xgw_nhg_fill(after, m, 3), B / 4);
	for (b = 0; b < B; b++)
		if (before[b] != 3)
			assert_int_equal(after[b], before[b]);
	assert_int_equal(held(after, 3), 0);
	/* 64 freed over three: 86, 85, 85 again */
	assert_int_equal(held(after, 1) + held(after, 2) + held(after, 4), B);
	assert_true(held(after, 1) >= 85 && held(after, 2) >= 85 && held(after, 4) >= 85);
}

/* Unusable (unresolved) then usable again: out and back, minimal moves. */
static void test_unusable_and_back(void **st)
{
	struct xgw_nhg_member m[2] = { { 5, 1, true }, { 6, 1, true } };
	__u16 t0[B] = { 0 }, t1[B], t2[B];
	unsigned int b;

	(void)st;
	xgw_nhg_fill(t0, m, 2);
	memcpy(t1, t0, sizeof(t1));
	m[1].usable = false;
	assert_int_equal(xgw_nhg_fill(t1, m, 2), B / 2);
	assert_int_equal(held(t1, 5), B);
	for (b = 0; b < B; b++)
		if (t0[b] == 5)
			assert_int_equal(t1[b], 5);
	memcpy(t2, t1, sizeof(t2));
	m[1].usable = true;
	assert_int_equal(xgw_nhg_fill(t2, m, 2), B / 2);
	assert_int_equal(held(t2, 5), B / 2);
	assert_int_equal(held(t2, 6), B / 2);
	assert_int_equal(moved(t1, t2), B / 2);
}

/* A third member joins two: it takes its share and nothing else moves. */
static void test_join(void **st)
{
	struct xgw_nhg_member m[3] = { { 1, 1, true }, { 2, 1, true }, { 3, 2, true } };
	__u16 before[B] = { 0 }, after[B];
	unsigned int b;

	(void)st;
	xgw_nhg_fill(before, m, 2);
	memcpy(after, before, sizeof(after));
	assert_int_equal(xgw_nhg_fill(after, m, 3), B / 2);
	assert_int_equal(held(after, 3), B / 2);
	for (b = 0; b < B; b++)
		if (after[b] != 3)
			assert_int_equal(after[b], before[b]);
}

/* No usable member: the table stays whole (the datapath then passes). */
static void test_none_usable(void **st)
{
	struct xgw_nhg_member m[2] = { { 1, 1, true }, { 2, 1, true } };
	__u16 t[B] = { 0 }, t0[B];

	(void)st;
	xgw_nhg_fill(t, m, 2);
	memcpy(t0, t, sizeof(t0));
	m[0].usable = m[1].usable = false;
	assert_int_equal(xgw_nhg_fill(t, m, 2), 0);
	assert_memory_equal(t, t0, sizeof(t));
	assert_int_equal(xgw_nhg_fill(t, m, 0), B);
	assert_int_equal(held(t, 0), B);
}

static void test_invalid(void **st)
{
	static const struct xgw_nhg_member bad[][2] = {
		{ { 0, 1, true }, { 2, 1, true } },			/* id 0 */
		{ { XGW_MAX_NEXTHOPS, 1, true }, { 2, 1, true } },	/* id too large */
		{ { 1, 0, true }, { 2, 1, true } },			/* weight 0 */
		{ { 1, B + 1, true }, { 2, 1, true } },			/* weight too large */
		{ { 3, 1, true }, { 3, 1, true } },			/* twice */
	};
	struct xgw_nhg_member many[B + 1];
	__u16 t[B] = { 0 }, t0[B];
	unsigned int i;

	(void)st;
	memset(t, 0x5a, sizeof(t));
	memcpy(t0, t, sizeof(t0));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(xgw_nhg_fill(t, bad[i], 2), -EINVAL);
	for (i = 0; i <= B; i++)
		many[i] = (struct xgw_nhg_member){ i + 1, 1, true };
	assert_int_equal(xgw_nhg_fill(t, many, B + 1), -EINVAL);
	assert_memory_equal(t, t0, sizeof(t));
	assert_int_equal(xgw_nhg_fill(t, many, B), B);	/* one bucket each */
	for (i = 0; i < B; i++)
		assert_int_equal(held(t, i + 1), 1);
}

/* The hash: ports and seed matter, fragments (ports 0) stay together. */
static void test_hash(void **st)
{
	__u32 h1 = xgw_mp_hash4(0x0100000a, 0x0200000a, 1000 | 80u << 16, 6);
	__u32 h2 = xgw_mp_hash4(0x0100000a, 0x0200000a, 1001 | 80u << 16, 6);
	__u32 spread[B] = { 0 }, sport, max = 0;

	(void)st;
	assert_int_not_equal(h1, h2);
	assert_int_equal(h1, xgw_mp_hash4(0x0100000a, 0x0200000a, 1000 | 80u << 16, 6));
	assert_int_not_equal(xgw_mp_bucket(h1, 0) + 256 * xgw_mp_bucket(h2, 0),
			     xgw_mp_bucket(h1, 12345) + 256 * xgw_mp_bucket(h2, 12345));
	/* 25600 flows over 256 buckets: none above twice its share */
	for (sport = 0; sport < 100 * B; sport++)
		spread[xgw_mp_bucket(xgw_mp_hash4(0x0100000a, 0x0200000a, sport, 17), 0)]++;
	for (sport = 0; sport < B; sport++)
		max = spread[sport] > max ? spread[sport] : max;
	assert_true(max < 200);
}

/*
 * The hash's values, pinned: gateways that share a group's seed must
 * split flows alike, whatever build they run (and the packet tests
 * predict members with these functions).
 */
static void test_hash_pinned(void **st)
{
	__be32 s6[4] = { htonl(0x20010db8), 0, 0, htonl(1) };
	__be32 d6[4] = { htonl(0x20010db8), htonl(0x00500000), 0, htonl(7) };
	__u32 ports = htons(1024) | (__u32)htons(80) << 16;

	(void)st;
	assert_int_equal(xgw_mp_hash4(htonl(0x0a000001), htonl(0x0a320707), ports, 17),
			 0x86b35f10);
	assert_int_equal(xgw_mp_hash6(s6, d6, ports, 6), 0xbb254c28);
	assert_int_equal(xgw_mp_hash4(htonl(0x0a000001), htonl(0x0a320707), 0, 1), 0xda892f24);
	assert_int_equal(xgw_mp_bucket(0xda892f24, 0x5eed), 127);
}

/* ---- the next-hop writer --------------------------------------------------- */

static struct xgw_nexthop nh_mac(__u8 x)
{
	struct xgw_nexthop nh = { .ifindex = 3, .mtu = 1500, .flags = XGW_NH_F_RESOLVED };

	memset(nh.dmac, x, 6);
	memset(nh.smac, x ^ 0xff, 6);
	return nh;
}

static void test_nh_write(void **st)
{
	struct xgw_nh_slot slot[4] = { 0 };
	struct xgw_nexthop a = nh_mac(0x11), b = nh_mac(0x22), r;
	struct xgw_nh_table t;

	(void)st;
	assert_int_equal(xgw_nh_table_init(&t, slot, 4, NULL, 0), 0);
	/* first write: the datapath read v[0] (zeros); v[1] is filled, gen 1 */
	assert_int_equal(xgw_nh_write(&t, 1, &a), 0);
	assert_int_equal(slot[1].gen, 1);
	assert_memory_equal(&slot[1].v[1], &a, sizeof(a));
	assert_int_equal(xgw_nh_read(&t, 1, &r), 0);
	assert_memory_equal(&r, &a, sizeof(a));
	/* a slot switched before we came: one grace period first */
	assert_int_equal(t.epoch, 1);
	/* the same again: nothing written */
	assert_int_equal(xgw_nh_write(&t, 1, &a), 0);
	assert_int_equal(slot[1].gen, 1);
	/* another slot, no switch of its own since: no wait */
	assert_int_equal(xgw_nh_write(&t, 2, &b), 0);
	assert_int_equal(t.epoch, 1);
	/* slot 1 again: v[1] is live and stays untouched; v[0] after a grace */
	assert_int_equal(xgw_nh_write(&t, 1, &b), 0);
	assert_int_equal(t.epoch, 2);
	assert_int_equal(slot[1].gen, 2);
	assert_memory_equal(&slot[1].v[1], &a, sizeof(a));
	assert_memory_equal(&slot[1].v[0], &b, sizeof(b));
	/* slot 2 switched before that grace period: no wait for it now */
	assert_int_equal(xgw_nh_write(&t, 2, &a), 0);
	assert_int_equal(t.epoch, 2);
	assert_int_equal(xgw_nh_read(&t, 2, &r), 0);
	assert_memory_equal(&r, &a, sizeof(a));
	/* ids */
	assert_int_equal(xgw_nh_write(&t, 0, &a), -EINVAL);
	assert_int_equal(xgw_nh_write(&t, 4, &a), -EINVAL);
	assert_int_equal(xgw_nh_read(&t, 4, &r), -EINVAL);
	xgw_nh_table_close(&t);
	xgw_nh_table_close(&t);	/* twice: harmless */
}

static void test_nhg_write(void **st)
{
	static struct xgw_nh_group grp[3];
	struct xgw_nhg_member m[2] = { { 1, 1, true }, { 2, 1, true } };
	struct xgw_nh_table t;
	struct xgw_nh_group g;
	__u16 bucket[B] = { 0 };

	(void)st;
	assert_int_equal(xgw_nh_table_init(&t, NULL, 0, grp, 3), 0);
	xgw_nhg_fill(bucket, m, 2);
	assert_int_equal(xgw_nhg_write(&t, 2, 77, bucket), B);
	assert_int_equal(xgw_nhg_read(&t, 2, &g), 0);
	assert_int_equal(g.seed, 77);
	assert_memory_equal(g.bucket, bucket, sizeof(bucket));
	m[1].usable = false;
	xgw_nhg_fill(bucket, m, 2);
	assert_int_equal(xgw_nhg_write(&t, 2, 77, bucket), B / 2);	/* only those */
	assert_int_equal(xgw_nhg_write(&t, 2, 77, bucket), 0);
	assert_int_equal(xgw_nhg_write(&t, 0, 0, bucket), -EINVAL);
	assert_int_equal(xgw_nhg_write(&t, 3, 0, bucket), -EINVAL);
	xgw_nh_table_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_shares),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_leave_moves_own),
		cmocka_unit_test(test_unusable_and_back),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_none_usable),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_hash_pinned),
		cmocka_unit_test(test_nh_write),
		cmocka_unit_test(test_nhg_write),
	};

	return cmocka_run_group_tests_name("nhgroup", tests, NULL, NULL);
}
