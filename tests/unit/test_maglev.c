// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Maglev builder: balance, weights, determinism, disruption on removal.
 * Bounds asserted (M = 65537):
 *  - equal weights: every backend within 1% of M/N;
 *  - weights 1:2:3: every share within 1% of w/6;
 *  - removing one of N = 10: moved slots <= 1/N + 2% of M (the removed
 *    backend's own 1/N must move; Maglev's cascade adds a little);
 *  - same (address, weight) set in any order: identical table;
 *  - same (address, port, weight) set in any order and with any ids: the
 *    same canonical form and digest (what two gateways compare); any change
 *    of address, port or weight changes the digest.
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
#include "lbhash.h"
#include "maglev.h"

#define M	XGW_MAGLEV_DEFAULT
/* computed once, and checked against an independent implementation of the
 * documented encoding (Python: struct.pack + FNV-1a) */
#define DIGEST_PINNED	0x9504df2a3f402361ULL

static void mk_backends(struct maglev_backend *be, size_t n, int family)
{
	size_t i;

	memset(be, 0, n * sizeof(*be));
	for (i = 0; i < n; i++) {
		be[i].addr.family = family;
		if (family == AF_INET) {
			be[i].addr.a[0] = htonl(0x0a000000 + 1 + (__u32)i);
		} else {
			be[i].addr.a[0] = htonl(0x20010db8);
			be[i].addr.a[3] = htonl(1 + (__u32)i);
		}
		be[i].weight = 1;
		be[i].id = (__u32)i + 1;
	}
}

static void count(const __u32 *t, __u32 m, __u32 *cnt, size_t n)
{
	__u32 i;

	memset(cnt, 0, (n + 1) * sizeof(*cnt));
	for (i = 0; i < m; i++) {
		assert_true(t[i] <= n);
		cnt[t[i]]++;
	}
}

static void check_equal(size_t n, int family)
{
	struct maglev_backend *be = calloc(n, sizeof(*be));
	__u32 *t = calloc(M, sizeof(*t)), *cnt = calloc(n + 1, sizeof(*cnt));
	double ideal = (double)M / n;
	size_t i;

	mk_backends(be, n, family);
	assert_int_equal(maglev__build(be, n, M, t), 0);
	count(t, M, cnt, n);
	assert_int_equal(cnt[0], 0);
	for (i = 1; i <= n; i++) {
		double dev = (cnt[i] - ideal) / ideal;

		assert_true(dev < 0.01 && dev > -0.01);
	}
	free(cnt);
	free(t);
	free(be);
}

static void test_equal_3(void **s) { (void)s; check_equal(3, AF_INET); }
static void test_equal_10(void **s) { (void)s; check_equal(10, AF_INET); }
static void test_equal_100(void **s) { (void)s; check_equal(100, AF_INET); }
static void test_equal_10_v6(void **s) { (void)s; check_equal(10, AF_INET6); }

static void test_weights(void **s)
{
	struct maglev_backend be[3];
	__u32 *t = calloc(M, sizeof(*t)), cnt[4];
	int i;

	(void)s;
	mk_backends(be, 3, AF_INET);
	be[0].weight = 1;
	be[1].weight = 2;
	be[2].weight = 3;
	assert_int_equal(maglev__build(be, 3, M, t), 0);
	count(t, M, cnt, 3);
	assert_int_equal(cnt[0], 0);
	for (i = 0; i < 3; i++) {
		double share = (double)cnt[i + 1] / M;
		double want = be[i].weight / 6.0;

		assert_true(share - want < 0.01 && want - share < 0.01);
	}
	/* weight 0: not in the table at all */
	be[1].weight = 0;
	assert_int_equal(maglev__build(be, 3, M, t), 0);
	count(t, M, cnt, 3);
	assert_int_equal(cnt[2], 0);
	assert_int_equal(cnt[1] + cnt[3], M);
	free(t);
}

static void test_deterministic(void **s)
{
	struct maglev_backend be[10], sh[10], tmp;
	__u32 *a = calloc(M, sizeof(*a)), *b = calloc(M, sizeof(*b));
	int i, round;

	(void)s;
	mk_backends(be, 10, AF_INET);
	for (i = 0; i < 10; i++)
		be[i].weight = 1 + i % 3;
	assert_int_equal(maglev__build(be, 10, M, a), 0);
	srand(42);
	for (round = 0; round < 5; round++) {
		memcpy(sh, be, sizeof(be));
		for (i = 9; i > 0; i--) {
			int j = rand() % (i + 1);

			tmp = sh[i];
			sh[i] = sh[j];
			sh[j] = tmp;
		}
		assert_int_equal(maglev__build(sh, 10, M, b), 0);
		assert_memory_equal(a, b, (size_t)M * sizeof(*a));
	}
	free(b);
	free(a);
}

/*
 * Golden values: every gateway must compute the same permutation for an
 * address, so a change to the hash (or to its byte order handling) must be
 * deliberate. Values computed once from common/lbhash.h.
 */
static void test_hash_pinned(void **s)
{
	__be32 a[4] = { htonl(0x0a000001), 0, 0, 0 };

	(void)s;
	assert_int_equal(xgw_addr_hash(a, AF_INET, XGW_HASH_SEED_OFFSET),
			 1941453607u);
	assert_int_equal(xgw_addr_hash(a, AF_INET, XGW_HASH_SEED_SKIP),
			 4155195035u);
}

static void test_removal(void **s)
{
	const size_t n = 10;
	struct maglev_backend be[10];
	__u32 *a = calloc(M, sizeof(*a)), *b = calloc(M, sizeof(*b));
	__u32 moved = 0, i;

	(void)s;
	mk_backends(be, n, AF_INET);
	assert_int_equal(maglev__build(be, n, M, a), 0);
	/* remove backend id 4 (index 3) */
	memmove(&be[3], &be[4], (n - 4) * sizeof(be[0]));
	assert_int_equal(maglev__build(be, n - 1, M, b), 0);
	for (i = 0; i < M; i++) {
		assert_int_not_equal(b[i], 4);
		if (a[i] != b[i])
			moved++;
	}
	print_message("# removal of 1/%zu moved %.4f of slots\n", n,
		      (double)moved / M);
	assert_true((double)moved / M <= 1.0 / n + 0.02);
	assert_true((double)moved / M >= 1.0 / n - 0.01);
	free(b);
	free(a);
}

static void test_prime(void **s)
{
	struct maglev_backend be[2];
	__u32 t[16];

	(void)s;
	assert_true(maglev__is_prime(2));
	assert_true(maglev__is_prime(65537));
	assert_true(maglev__is_prime(XGW_MAGLEV_MAX));
	assert_false(maglev__is_prime(0));
	assert_false(maglev__is_prime(1));
	assert_false(maglev__is_prime(65535));
	assert_false(maglev__is_prime(65539 * 3));
	mk_backends(be, 2, AF_INET);
	assert_int_equal(maglev__build(be, 2, 15, t), -EINVAL);
	assert_int_equal(maglev__build(be, 2, 2, t), -EINVAL);
	assert_int_equal(maglev__build(be, 2, 13, t), 0);
	/* duplicate address and port; another port is another backend */
	be[1].addr = be[0].addr;
	assert_int_equal(maglev__build(be, 2, 13, t), -EINVAL);
	be[1].port = 8080;
	assert_int_equal(maglev__build(be, 2, 13, t), 0);
	mk_backends(be, 2, AF_INET);
	be[0].weight = XGW_WEIGHT_MAX + 1;
	assert_int_equal(maglev__build(be, 2, 13, t), -EINVAL);
}

static void test_empty(void **s)
{
	struct maglev_backend be[1];
	__u32 t[13];
	int i;

	(void)s;
	memset(t, 0xff, sizeof(t));
	assert_int_equal(maglev__build(NULL, 0, 13, t), 0);
	for (i = 0; i < 13; i++)
		assert_int_equal(t[i], 0);
	mk_backends(be, 1, AF_INET);
	be[0].weight = 0;
	memset(t, 0xff, sizeof(t));
	assert_int_equal(maglev__build(be, 1, 13, t), 0);
	for (i = 0; i < 13; i++)
		assert_int_equal(t[i], 0);
	be[0].weight = 5;
	assert_int_equal(maglev__build(be, 1, 13, t), 0);
	for (i = 0; i < 13; i++)
		assert_int_equal(t[i], 1);
}

/* Canonical ranks and digest of be[] (copied, sorted) and its table. */
static __u64 canon(const struct maglev_backend *be, size_t n, const __u32 *t, __u32 *rank)
{
	struct maglev_backend *sorted = calloc(n, sizeof(*sorted));
	size_t k = 0, i;
	__u64 d;

	for (i = 0; i < n; i++)
		if (be[i].weight)
			sorted[k++] = be[i];
	maglev__sort(sorted, k);
	assert_int_equal(maglev__canonical(sorted, k, t, M, rank), 0);
	d = maglev__digest(sorted, k, rank, M);
	free(sorted);
	return d;
}

/*
 * Two gateways: the same backends added in another order get other ids,
 * so the raw tables differ, but the canonical forms are byte-identical.
 */
static void test_canonical_across_ids(void **s)
{
	struct maglev_backend a[8], b[8];
	__u32 *ta = calloc(M, 4), *tb = calloc(M, 4), *ra = calloc(M, 4), *rb = calloc(M, 4);
	__u64 da, db;
	int i;

	(void)s;
	mk_backends(a, 8, AF_INET6);
	for (i = 0; i < 8; i++) {
		a[i].weight = 1 + i % 3;
		a[i].port = i < 4 ? 0 : 8000 + i;	/* some with a port of their own */
		b[7 - i] = a[i];
		b[7 - i].id = 100 + 7 * i;		/* another daemon's ids */
	}
	/* two backends on one address, told apart by their ports */
	a[1].addr = a[0].addr;
	a[1].port = 8080;
	b[6].addr = b[7].addr;
	b[6].port = 8080;
	assert_int_equal(maglev__build(a, 8, M, ta), 0);
	assert_int_equal(maglev__build(b, 8, M, tb), 0);
	assert_memory_not_equal(ta, tb, (size_t)M * 4);
	da = canon(a, 8, ta, ra);
	db = canon(b, 8, tb, rb);
	assert_memory_equal(ra, rb, (size_t)M * 4);
	assert_true(da == db);
	for (i = 0; i < (int)M; i++)
		assert_true(ra[i] < 8);
	/* a weight, a port, an address: each changes the table and the digest */
	b[3].weight++;
	assert_int_equal(maglev__build(b, 8, M, tb), 0);
	assert_true(canon(b, 8, tb, rb) != da);
	b[3].weight--;
	b[3].port = 9999;
	assert_int_equal(maglev__build(b, 8, M, tb), 0);
	assert_true(canon(b, 8, tb, rb) != da);
	b[3].port = a[4].port;
	b[3].addr.a[2] ^= htonl(1);
	assert_int_equal(maglev__build(b, 8, M, tb), 0);
	assert_true(canon(b, 8, tb, rb) != da);
	free(rb);
	free(ra);
	free(tb);
	free(ta);
}

/* Slots that are empty or hold an id outside the list say so. */
static void test_canonical_marks(void **s)
{
	struct maglev_backend be[2];
	__u32 t[13] = { 0, 7, 9, 42 }, r[13];

	(void)s;
	mk_backends(be, 2, AF_INET);
	be[0].id = 9;
	be[1].id = 7;
	maglev__sort(be, 2);
	assert_int_equal(maglev__canonical(be, 2, t, 13, r), 0);
	assert_int_equal(r[0], MAGLEV_RANK_EMPTY);
	assert_int_equal(r[1], 1);	/* 10.0.0.2, id 7: second in address order */
	assert_int_equal(r[2], 0);
	assert_int_equal(r[3], MAGLEV_RANK_UNKNOWN);
	assert_int_equal(maglev__canonical(NULL, 0, t, 13, r), 0);
	assert_int_equal(r[1], MAGLEV_RANK_UNKNOWN);
	/* the digest is pinned: every gateway, every build, the same bytes */
	mk_backends(be, 2, AF_INET);
	be[1].port = 8080;
	be[1].weight = 3;
	assert_int_equal(maglev__build(be, 2, 13, t), 0);
	assert_int_equal(maglev__canonical(be, 2, t, 13, r), 0);
	assert_true(maglev__digest(be, 2, r, 13) == DIGEST_PINNED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_3),
		cmocka_unit_test(test_equal_10),
		cmocka_unit_test(test_equal_100),
		cmocka_unit_test(test_equal_10_v6),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_hash_pinned),
		cmocka_unit_test(test_removal),
		cmocka_unit_test(test_prime),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_canonical_across_ids),
		cmocka_unit_test(test_canonical_marks),
	};

	return cmocka_run_group_tests_name("maglev", tests, NULL, NULL);
}
