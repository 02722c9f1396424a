// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The datapath's FIB lookups (bpf/fib_lookup.h, through fib_probe.bpf.c)
 * against common/fib.c's reading of the same arrays, which tests/unit/
 * test_fib.c holds to a plain longest-match reference: every boundary
 * address of every route of random nested sets, both families, every
 * IPv6 length band (direct, /32 and /48 hashes, hosts, deep routes),
 * short and long chunks, and a set large enough that buckets overflow.
 * Output: TAP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fib_skel.h"
#include "pkt_lib.h"
#include "fib_probe.skel.h"

/* XGW_RT_MULTIPATH (router-dp, contract C2): nh_id is a group; the FIB
 * carries it like any other action */
#define RT_MULTIPATH	(XGW_RT_BLACKHOLE + 1)

/* fib_probe.bpf.c's frame: the probe right after the Ethernet header. */
struct probe_frame {
	uint8_t eth[14];
	uint8_t family;
	uint8_t pad[3];
	__be32 addr[4];
} __attribute__((packed));

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static uint32_t mask32(int bits)
{
	return bits <= 0 ? 0 : bits >= 32 ? ~0u : ~0u << (32 - bits);
}

/* The datapath's answer for @a (host order words). */
static int bpf_answer(int prog_fd, int family, const uint32_t *a, uint32_t *e)
{
	struct probe_frame fr = { .family = family == AF_INET ? 4 : 6 };
	struct pkt_run r;
	int i;

	for (i = 0; i < 4; i++)
		fr.addr[i] = htonl(a[i]);
	pkt_run(prog_fd, (const uint8_t *)&fr, sizeof(fr), 1, &r);
	if (r.err || r.retval != XDP_TX)
		return r.err ? r.err : -EPROTO;
	memcpy(e, r.out, 4);
	return 0;
}

struct croute {
	uint32_t a[4];
	int len;
};

/*
 * Random nested routes: IPv4 in 3 /8s; IPv6 in 3 /32s and a few /48s and
 * /64s, every length band. Marks, flags and a spread of next hops.
 */
static void random_route(int family, struct croute *c, struct xgw_route *rt)
{
	static const int l4[] = { 8, 12, 16, 17, 20, 22, 23, 24, 24, 24, 24, 25, 28, 31, 32, 32,
				  32, 32 };
	static const int l6[] = { 0, 12, 16, 20, 23, 24, 29, 32, 32, 36, 40, 44, 47, 48, 48, 48,
				  52, 56, 60, 64, 64, 65, 80, 96, 120, 127, 128, 128, 128 };
	int alen = family == AF_INET ? 32 : 128, i;

	memset(c, 0, sizeof(*c));
	if (family == AF_INET) {
		c->a[0] = (10u + rnd() % 3) << 24 | (rnd() % 64) << 16 | (rnd() % 16) << 8 | (rnd() & 0xff);
		c->len = l4[rnd() % (sizeof(l4) / sizeof(l4[0]))];
	} else {
		c->a[0] = 0x20010db8 + rnd() % 3 * 0x10000;
		c->a[1] = (rnd() % 4) << 16 | rnd() % 4;
		c->a[2] = rnd() % 4;
		c->a[3] = rnd();
		if (rnd() % 4 == 0)
			c->a[1] = rnd();
		c->len = l6[rnd() % (sizeof(l6) / sizeof(l6[0]))];
	}
	for (i = 0; i < 4; i++)
		c->a[i] &= mask32(c->len - 32 * i);
	memset(rt, 0, sizeof(*rt));
	rt->action = XGW_RT_NEXTHOP + rnd() % 4;
	if (rt->action == XGW_RT_NEXTHOP || rt->action == RT_MULTIPATH)
		rt->nh_id = 1 + rnd() % (rnd() % 2 ? 8 : 4000);
	if (c->len == alen && rnd() % 4 == 0) {
		rt->action = XGW_RT_NONE;
		rt->flags = XGW_RT_F_VIP;
	} else if (c->len == alen && rnd() % 5 == 0) {
		rt->flags = XGW_RT_F_OWN;
	}
}

/* Compare the datapath with fib.c at @a; false (and a diagnostic) if not equal. */
static bool probe(int prog_fd, const struct xgw_fib_mem *m, const uint32_t *a, long *n)
{
	__be32 b[4];
	uint32_t want, got;
	int i, err;

	for (i = 0; i < 4; i++)
		b[i] = htonl(a[i]);
	want = xgw_fib_read(m, b);
	err = bpf_answer(prog_fd, m->family, a, &got);
	(*n)++;
	if (!err && got == want)
		return true;
	tap_diag("%08x:%08x:%08x:%08x: datapath %#x (%s), fib.c %#x", a[0], a[1], a[2], a[3], got,
		 err ? strerror(-err) : "ok", want);
	return false;
}

/* Every route's first, last and neighbouring addresses, and one inside. */
static bool probe_routes(int prog_fd, const struct xgw_fib_mem *m, const struct croute *c, int n,
			 long *count)
{
	int alen = m->family == AF_INET ? 32 : 128, i, j, w = alen / 32;
	bool ok = true;

	for (i = 0; ok && i < n; i++) {
		uint32_t lo[4] = {}, hi[4] = {}, x[4] = {};

		for (j = 0; j < w; j++) {
			lo[j] = c[i].a[j];
			hi[j] = c[i].a[j] | ~mask32(c[i].len - 32 * j);
			x[j] = c[i].a[j] | (rnd() & ~mask32(c[i].len - 32 * j));
		}
		ok = probe(prog_fd, m, lo, count) && probe(prog_fd, m, hi, count) &&
		     probe(prog_fd, m, x, count);
		for (j = w - 1; ok && j >= 0 && !lo[j]--; j--)	/* lo - 1 */
			;
		for (j = w - 1; ok && j >= 0 && !++hi[j]; j--)	/* hi + 1 */
			;
		ok = ok && probe(prog_fd, m, lo, count) && probe(prog_fd, m, hi, count);
	}
	return ok;
}

static void set_case(struct fib_probe_bpf *skel, struct fib_skel *fs, int family, int nroutes,
		     int ndel, const char *what)
{
	int fd = bpf_program__fd(skel->progs.fib_probe), k = family == AF_INET6, i, n = 0, err = 0;
	struct croute *c = calloc(nroutes, sizeof(*c));
	struct xgw_fib *f = fs->fib[k];
	long count = 0;
	bool ok;

	if (!c) {
		tap_result(false, "%s: out of memory", what);
		return;
	}
	xgw_fib_begin(f);
	for (i = 0; !err && i < nroutes; i++) {
		struct xgw_route rt;
		__be32 b[4];
		int j;

		random_route(family, &c[n], &rt);
		for (j = 0; j < 4; j++)
			b[j] = htonl(c[n].a[j]);
		err = xgw_fib_set(f, b, c[n].len, &rt);
		n++;
	}
	if (!err)
		err = xgw_fib_end(f);
	for (i = 0; !err && i < ndel && n; i++) {	/* then deletions, written one by one */
		__be32 b[4];
		int j, x = rnd() % n;

		for (j = 0; j < 4; j++)
			b[j] = htonl(c[x].a[j]);
		err = xgw_fib_del(f, b, c[x].len);
		if (err == -ENOENT)	/* a duplicate drawn twice */
			err = 0;
	}
	if (err)
		tap_diag("%s: %s (%s)", what, strerror(-err), xgw_fib_full(f));
	ok = !err && probe_routes(fd, &fs->m[k], c, n, &count);
	tap_result(ok, "%s: datapath = fib.c at %ld addresses", what, count);
	free(c);
}

/* Empty table: nothing routes, in either family. */
static void empty_case(struct fib_probe_bpf *skel, struct fib_skel *fs)
{
	int fd = bpf_program__fd(skel->progs.fib_probe);
	uint32_t a4[4] = { 0x0a000001 }, a6[4] = { 0x20010db8, 0, 0, 1 }, e4 = 1, e6 = 1;
	bool ok = !bpf_answer(fd, AF_INET, a4, &e4) && !bpf_answer(fd, AF_INET6, a6, &e6) &&
		  !e4 && !e6;

	(void)fs;
	tap_result(ok, "empty FIB: no route for 10.0.0.1 nor 2001:db8::1 (got %#x, %#x)", e4, e6);
}

int main(void)
{
	struct fib_probe_bpf *skel = fib_probe_bpf__open_and_load();
	struct fib_skel fs;
	int err;

	if (!skel) {
		printf("1..0 # SKIP cannot load fib_probe.bpf.o: %s\n", strerror(errno));
		return 1;
	}
	err = fib_skel_open(&fs, skel->obj);
	if (err) {
		tap_result(false, "map the FIB arrays: %s", strerror(-err));
		fib_probe_bpf__destroy(skel);
		return tap_finish();
	}
	empty_case(skel, &fs);
	set_case(skel, &fs, AF_INET, 3000, 300, "IPv4, 3000 nested routes, 300 deleted");
	set_case(skel, &fs, AF_INET6, 3000, 300, "IPv6, 3000 routes of every band, 300 deleted");
	set_case(skel, &fs, AF_INET, 10000, 0, "IPv4, 10000 more routes");
	set_case(skel, &fs, AF_INET6, 10000, 0, "IPv6, 10000 more routes");
	fib_skel_close(&fs);
	fib_probe_bpf__destroy(skel);
	return tap_finish();
}
