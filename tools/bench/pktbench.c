// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pktbench: ns per packet of an XDP program under BPF_PROG_TEST_RUN.
 *
 *   pktbench baseline [--v6]
 *   pktbench trivial                    (XDP_PASS: the per-call cost to subtract)
 *   pktbench xgw { --host | --lpm N } [--v6] [--sample N]
 *   pktbench xgw --host --multipath N [--sample N]  (IPv4: a group of N)
 *   xgw rows take --no-icmp: the object with ICMP errors compiled out
 *   (tools/bench/xgw_noicmp.bpf.c), the "before" of the same row, or
 *   --obj FILE: another build of xgw.bpf.c (same maps and programs), to
 *   time a change against the object before it in the same run
 *   pktbench fib [--v6]                 (routes: the namespace's FIB)
 *   pktbench prefixes --lpm N [--v6] [--fmt ip|xgw] [--via ADDR]
 *                                       (print them as `ip -batch` or
 *                                       `xgwctl -batch` lines)
 *   pktbench load --lpm N [--v6]        (seconds to write N routes into
 *                                       xgw's FIB in-process, and to delete
 *                                       them all again)
 *   pktbench churn --lpm N [--v6]       (--calls C single route changes per
 *                                       second over N routes while a second
 *                                       thread sends the --dests frames)
 *   common: --dev DEV (default bench0) --runs R (5) --calls C (400) -j
 *           --dist uniform|real (the prefixes' lengths, see routegen.h)
 *           --dests D (D destinations, below)
 *
 * Run inside a namespace holding DEV: devmap entries and FIB lookups resolve
 * ifindexes there. The target is 10.200.1.1 (fd00:99:1::1), routed by a
 * host route or by 10.200.0.0/16 (fd00:99::/32) among N-1 random prefixes
 * (seeded: `prefixes` prints the very same ones for the kernel FIB), all in
 * xgw's FIB, written through common/fib.c.
 *
 * --dests D: D frames prepared in advance, each to another destination
 * (with --lpm: an address inside one of the prefixes, picked at random;
 * with --host: D host routes, one per destination; otherwise random
 * addresses), sent once each per run with repeat 1, so that every call
 * looks up a destination the previous one did not. The result is the mean
 * of the kernel's per-call durations, whose fixed part (timer, context)
 * the `trivial` case measures the same way. Without --dests: one frame,
 * repeat 250.
 *
 * The service path has its own bench, lbbench: repeat reuses one buffer,
 * so a learnt flow would turn every "new flow" round after the first into
 * an established one.
 *
 * --multipath N: the host route is a multipath route over a group of N
 * resolved next hops (resilient buckets from common/nhgroup.c), and every
 * call sends another flow (UDP source port 10000 + call), so the hash and
 * the bucket are the real ones each time and the flows spread.
 *
 * BPF_PROG_TEST_RUN's repeat reuses one buffer, so xgw's TTL decrement
 * accumulates: the frame starts at TTL 255 and each call repeats at most
 * 250 times, and every call must return XDP_REDIRECT.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fib_skel.h"
#include "routegen.h"
#include "xgw_shared.h"
#include "nhgroup.h"
#include "xgw.skel.h"
#include "xgw_noicmp.skel.h"
#include "baseline.skel.h"
#include "fib.skel.h"

#define REPEAT		250	/* per call: TTL 255 never reaches 1 */
#define FRAME_LEN	64
#define MAX_RUNS	64

struct bench_opts {
	const char *cmd, *dev, *via, *fmt, *obj;
	bool v6, host, json, noicmp;
	unsigned long lpm, sample, runs, calls, dests, multipath;
	enum routegen_dist dist;
	int ifindex;
};

/* What a case routes and where its frames go. */
struct bench_set {
	struct routegen_pfx *pfx;	/* the routes: prefixes or host routes */
	size_t n;
	__be32 (*dst)[4];		/* one destination per frame */
	size_t ndst;
};

static void target(bool v6, __be32 addr[4], __be32 pfx[4], __u32 *len)
{
	memset(addr, 0, 16);
	memset(pfx, 0, 16);
	if (!v6) {
		inet_pton(AF_INET, "10.200.1.1", addr);
		inet_pton(AF_INET, "10.200.0.0", pfx);
		*len = 16;
	} else {
		inet_pton(AF_INET6, "fd00:99:1::1", addr);
		inet_pton(AF_INET6, "fd00:99::", pfx);
		*len = 32;
	}
}

static void set_free(struct bench_set *bs)
{
	free(bs->pfx);
	free(bs->dst);
	memset(bs, 0, sizeof(*bs));
}

/*
 * The routes of a case: --lpm N: N-1 generated prefixes and the target's;
 * --host: the target's host route, or --dests D host routes at random
 * addresses (the routes' own addresses are then the destinations).
 */
static int set_routes(const struct bench_opts *o, struct bench_set *bs)
{
	__be32 dst[4], pfx[4];
	__u32 len;
	size_t i;
	int err;

	target(o->v6, dst, pfx, &len);
	if (o->lpm) {
		err = routegen(o->v6, o->dist, o->lpm, &bs->pfx);
		if (err)
			return err;
		bs->n = o->lpm;
		memcpy(bs->pfx[bs->n - 1].addr, pfx, 16);
		bs->pfx[bs->n - 1].len = len;
		return 0;
	}
	if (!o->host)
		return 0;
	if (o->dests > 1) {
		/* random /32s (/128s): addresses inside generated prefixes */
		err = routegen(o->v6, ROUTEGEN_UNIFORM, o->dests, &bs->pfx);
		for (i = 0; !err && i < o->dests; i++) {
			routegen_inside(o->v6, &bs->pfx[i], i + 1, dst);
			memcpy(bs->pfx[i].addr, dst, 16);
			bs->pfx[i].len = o->v6 ? 128 : 32;
		}
		bs->n = err ? 0 : o->dests;
		return err;
	}
	bs->pfx = calloc(1, sizeof(*bs->pfx));
	if (!bs->pfx)
		return -ENOMEM;
	memcpy(bs->pfx[0].addr, dst, 16);
	bs->pfx[0].len = o->v6 ? 128 : 32;
	bs->n = 1;
	return 0;
}

/* The destinations: inside the routes, else random; the target without --dests. */
static int set_dests(const struct bench_opts *o, struct bench_set *bs)
{
	size_t n = o->dests ? o->dests : 1, i;
	__be32 pfx[4];
	__u32 len;

	bs->dst = calloc(n, sizeof(*bs->dst));
	if (!bs->dst)
		return -ENOMEM;
	bs->ndst = n;
	if (!o->dests || (o->dests == 1 && !o->lpm)) {
		target(o->v6, bs->dst[0], pfx, &len);
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct routegen_pfx any = { .len = 0 };
		const struct routegen_pfx *p = bs->n ? &bs->pfx[(i * 2654435761u) % bs->n] : &any;

		if (!bs->n) {	/* no routes: anywhere plain (11/8-223/8, 2000::/3) */
			any.addr[0] = htonl(o->v6 ? 0x20000000u : 0x0b000000u);
			any.len = o->v6 ? 3 : 8;
		}
		if (o->host)
			p = &bs->pfx[i];
		routegen_inside(o->v6, p, i + 1, bs->dst[i]);
	}
	return 0;
}

/* 64-byte UDP frame to @dst. */
static size_t frame_build(bool v6, const __be32 *dst, __u8 *buf)
{
	struct ethhdr *eth = (void *)buf;

	memset(buf, 0, FRAME_LEN);
	memcpy(eth->h_dest, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(eth->h_source, "\x02\x00\x00\x00\x00\x02", 6);
	if (v6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		struct udphdr *udp = (void *)(ip6 + 1);

		eth->h_proto = htons(ETH_P_IPV6);
		ip6->version = 6;
		ip6->payload_len = htons(FRAME_LEN - ETH_HLEN - sizeof(*ip6));
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = 255;
		inet_pton(AF_INET6, "fd00:98::5", &ip6->saddr);
		memcpy(&ip6->daddr, dst, 16);
		udp->source = htons(10000);
		udp->dest = htons(9);
		udp->len = ip6->payload_len;
	} else {
		struct iphdr *ip = (void *)(eth + 1);
		struct udphdr *udp = (void *)(ip + 1);
		__u32 sum = 0;
		__u16 *w = (void *)ip;
		size_t i;

		eth->h_proto = htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(FRAME_LEN - ETH_HLEN);
		ip->ttl = 255;
		ip->protocol = IPPROTO_UDP;
		inet_pton(AF_INET, "10.98.0.5", &ip->saddr);
		ip->daddr = dst[0];
		for (i = 0; i < sizeof(*ip) / 2; i++)
			sum += w[i];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		ip->check = ~sum;
		udp->source = htons(10000);
		udp->dest = htons(9);
		udp->len = htons(FRAME_LEN - ETH_HLEN - sizeof(*ip));
	}
	return FRAME_LEN;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_of(const double *runs, unsigned long n)
{
	double sorted[MAX_RUNS];

	memcpy(sorted, runs, n * sizeof(double));
	qsort(sorted, n, sizeof(double), cmp_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/*
 * ns/packet per run (mean over its calls), median over runs, after one
 * untimed run: the first calls after loading pay for cold caches and TLB
 * entries (xgw's setup has just written the FIB). With --dests every call
 * runs once on the next frame; without, one frame repeats REPEAT times.
 */
static int measure(const struct bench_opts *o, const struct bench_set *bs, int prog_fd,
		   __u32 want, double *runs, double *median)
{
	size_t nf = bs->ndst, i;
	unsigned long calls = o->dests && o->calls < nf ? nf : o->calls, r, c;
	__u8 *frames = malloc(nf * FRAME_LEN);
	LIBBPF_OPTS(bpf_test_run_opts, run, .repeat = o->dests ? 1 : REPEAT);
	__u64 total;
	int err = 0;

	if (!frames)
		return -ENOMEM;
	for (i = 0; i < nf; i++)
		run.data_size_in = frame_build(o->v6, bs->dst[i], frames + i * FRAME_LEN);
	for (r = 0; r <= o->runs && !err; r++) {
		total = 0;
		for (c = 0; c < calls; c++) {
			__u8 *f = frames + (c % nf) * FRAME_LEN;

			if (o->multipath)	/* another flow: UDP source port */
				*(__be16 *)(f + ETH_HLEN + sizeof(struct iphdr)) = htons(10000 + c);
			run.data_in = f;
			err = bpf_prog_test_run_opts(prog_fd, &run);
			if (err)
				break;
			if (run.retval != want) {
				fprintf(stderr, "pktbench: %s: frame %lu: verdict %u, not %u\n",
					o->cmd, c % nf, run.retval, want);
				err = -EPROTO;
				break;
			}
			total += run.duration;
		}
		if (r)	/* run 0 warms up */
			runs[r - 1] = (double)total / calls;
	}
	free(frames);
	if (!err)
		*median = median_of(runs, o->runs);
	return err;
}

static int devmap_set(int map_fd, __u32 key, int ifindex)
{
	struct bpf_devmap_val val = { .ifindex = ifindex };

	return bpf_map_update_elem(map_fd, &key, &val, 0) ? -errno : 0;
}

/*
 * Every route of the set to nh 1 (or group 1: @action XGW_RT_MULTIPATH), in
 * one batch (as xgwd writes a batch).
 */
static int xgw_routes(struct xgw_fib *fib, const struct bench_set *bs, __u8 action)
{
	struct xgw_route rt = { .action = action, .nh_id = 1 };
	size_t i;
	int err = 0;

	xgw_fib_begin(fib);
	for (i = 0; i < bs->n && !err; i++)
		err = xgw_fib_set(fib, bs->pfx[i].addr, bs->pfx[i].len, &rt);
	return err ? err : xgw_fib_end(fib);
}

/* Group 1: next hops 1..N (each its own MAC), equal weights. */
static int xgw_group(const struct bench_opts *o, struct xgw_bpf *skel)
{
	struct xgw_nhg_member m[XGW_NHG_BUCKETS];
	struct xgw_nh_group g = {};
	__u32 i, id = 1;

	for (i = 0; i < o->multipath; i++) {
		struct xgw_nh_slot nh = { .v[0] = {
			.ifindex = o->ifindex, .mtu = 1500, .flags = XGW_NH_F_RESOLVED,
			.smac = { 2, 0, 0, 0, 0, 3 }, .dmac = { 2, 0, 0, 0, 2, i + 1 },
		} };
		__u32 nh_id = i + 1;

		m[i] = (struct xgw_nhg_member){ nh_id, 1, true };
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.xgw_nexthops), &nh_id, &nh, 0))
			return -1;
	}
	if (xgw_nhg_fill(g.bucket, m, o->multipath) < 0) {
		errno = EINVAL;
		return -1;
	}
	return bpf_map_update_elem(bpf_map__fd(skel->maps.xgw_nh_groups), &id, &g, 0);
}

static int xgw_setup(const struct bench_opts *o, struct xgw_bpf *skel, struct xgw_fib *fib,
		     const struct bench_set *bs)
{
	struct xgw_nh_slot nh = { .v[0] = {	/* gen 0: v[0] is live */
		.ifindex = o->ifindex, .mtu = 1500, .flags = XGW_NH_F_RESOLVED,
		.smac = { 2, 0, 0, 0, 0, 3 }, .dmac = { 2, 0, 0, 0, 0, 4 },
	} };
	struct xgw_config cfg = {
		.layout_version = XGW_LAYOUT_VERSION, .latency_sample = o->sample,
		.ct_udp_timeout_s = XGW_CT_UDP_TIMEOUT_DEFAULT,
	};
	__u32 zero = 0, one = 1, key = o->ifindex;
	struct bpf_devmap_val dv = { .ifindex = o->ifindex };

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xgw_config), &zero, &cfg, 0) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.xgw_nexthops), &one, &nh, 0) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.xgw_tx_ports), &key, &dv, 0))
		return -errno;
	if (o->multipath && xgw_group(o, skel))
		return -errno;
	return xgw_routes(fib, bs, o->multipath ? XGW_RT_MULTIPATH : XGW_RT_NEXTHOP);
}

static void print_result(const struct bench_opts *o, double *runs, double median,
			 double setup_s)
{
	unsigned long r;

	if (!o->json) {
		printf("%s: %.2f ns/packet (median of %lu runs)\n", o->cmd, median, o->runs);
		return;
	}
	printf("{\"ns\":%.3f,\"setup_s\":%.3f,\"runs\":[", median, setup_s);
	for (r = 0; r < o->runs; r++)
		printf("%s%.3f", r ? "," : "", runs[r]);
	printf("]}\n");
}

static double clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* The whole of file @path in a buffer of *len bytes (free() it), or NULL. */
static void *file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc(n);
		if (buf && fread(buf, 1, n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
			errno = EIO;
		}
		*len = n;
	}
	fclose(f);
	return buf;
}

/*
 * The xgw object, or with --no-icmp the same source built without ICMP
 * errors, or the object in file o->obj: its bytes in an xgw_bpf skeleton
 * (the same maps and programs). *elf: what to free after the skeleton.
 */
static struct xgw_bpf *xgw_open(const struct bench_opts *o, void **elf)
{
	struct xgw_bpf *skel;
	int err;

	*elf = NULL;
	if (!o->noicmp && !o->obj)
		return xgw_bpf__open_and_load();
	skel = calloc(1, sizeof(*skel));
	if (!skel)
		return NULL;
	err = xgw_bpf__create_skeleton(skel);
	if (!err && o->obj) {
		*elf = file_read(o->obj, &skel->skeleton->data_sz);
		if (*elf)
			skel->skeleton->data = *elf;
		else
			err = -errno;
		if (err)
			fprintf(stderr, "pktbench: read %s: %s\n", o->obj, strerror(-err));
	} else if (!err) {
		skel->skeleton->data = (void *)xgw_noicmp_bpf__elf_bytes(&skel->skeleton->data_sz);
	}
	if (!err)
		err = bpf_object__open_skeleton(skel->skeleton, NULL);
	if (!err)
		err = xgw_bpf__load(skel);
	if (err) {
		xgw_bpf__destroy(skel);
		free(*elf);
		*elf = NULL;
		errno = -err;
		return NULL;
	}
	return skel;
}

/* CPU time of this process: what a shared machine does not inflate. */
static double cpu_now(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* Setup time: load, and every route written (the FIB's arrays cleared first). */
static int bench_xgw(const struct bench_opts *o, const struct bench_set *bs, double *runs,
		     double *median, double *setup)
{
	struct fib_skel fs = {};
	struct xgw_bpf *skel;
	double t0 = now();
	void *elf;
	int err;

	skel = xgw_open(o, &elf);
	if (!skel)
		return -errno;
	err = fib_skel_open(&fs, skel->obj);
	if (err)
		fprintf(stderr, "pktbench: mmap the FIB: %s\n", strerror(-err));
	if (!err)
		err = xgw_setup(o, skel, fs.fib[o->v6], bs);
	*setup = now() - t0;
	if (!err)
		err = measure(o, bs, bpf_program__fd(skel->progs.xgw_xdp), XDP_REDIRECT, runs,
			      median);
	fib_skel_close(&fs);
	xgw_bpf__destroy(skel);
	free(elf);
	return err;
}

/* baseline: parse + redirect; trivial: XDP_PASS and nothing else. */
static int bench_baseline(const struct bench_opts *o, const struct bench_set *bs,
			  double *runs, double *median)
{
	bool trivial = !strcmp(o->cmd, "trivial");
	struct baseline_bpf *skel;
	int err;

	skel = baseline_bpf__open_and_load();
	if (!skel)
		return -errno;
	err = devmap_set(bpf_map__fd(skel->maps.base_tx), 0, o->ifindex);
	if (!err && trivial)
		err = measure(o, bs, bpf_program__fd(skel->progs.xgw_trivial), XDP_PASS, runs,
			      median);
	else if (!err)
		err = measure(o, bs, bpf_program__fd(skel->progs.xgw_baseline), XDP_REDIRECT,
			      runs, median);
	baseline_bpf__destroy(skel);
	return err;
}

static int bench_fib(const struct bench_opts *o, const struct bench_set *bs, double *runs,
		     double *median)
{
	struct fib_bpf *skel;
	int err;

	skel = fib_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->in_ifindex = o->ifindex;
	err = fib_bpf__load(skel);
	if (!err)
		err = devmap_set(bpf_map__fd(skel->maps.fib_tx), o->ifindex, o->ifindex);
	if (!err)
		err = measure(o, bs, bpf_program__fd(skel->progs.xgw_fib), XDP_REDIRECT, runs,
			      median);
	fib_bpf__destroy(skel);
	return err;
}

/*
 * Seconds to write every route of the set into xgw's FIB as xgwd writes a
 * batch (common/fib.c over the mmapped maps, one FIB batch), then to delete
 * them all, in the same order and the same way.
 */
static int bench_load(const struct bench_opts *o, const struct bench_set *bs)
{
	struct xgw_route rt = { .action = XGW_RT_NEXTHOP, .nh_id = 1 };
	struct fib_skel fs = {};
	struct xgw_fib_stats st;
	struct xgw_bpf *skel;
	struct xgw_fib *f;
	double t0, t1, t2, c0, c1, c2;
	size_t i;
	int err;

	skel = xgw_bpf__open_and_load();
	if (!skel)
		return -errno;
	err = fib_skel_open(&fs, skel->obj);
	f = fs.fib[o->v6];
	t0 = now();
	c0 = cpu_now();
	if (!err)
		xgw_fib_begin(f);
	for (i = 0; !err && i < bs->n; i++)
		err = xgw_fib_set(f, bs->pfx[i].addr, bs->pfx[i].len, &rt);
	if (!err)
		err = xgw_fib_end(f);
	t1 = now();
	c1 = cpu_now();
	if (!err) {
		xgw_fib_stats(f, &st);
		xgw_fib_begin(f);
	}
	for (i = 0; !err && i < bs->n; i++)
		err = xgw_fib_del(f, bs->pfx[i].addr, bs->pfx[i].len);
	if (!err)
		err = xgw_fib_end(f);
	t2 = now();
	c2 = cpu_now();
	if (err == -ENOSPC)
		fprintf(stderr, "pktbench: %s\n", xgw_fib_full(f));
	fib_skel_close(&fs);
	xgw_bpf__destroy(skel);
	if (err)
		return err;
	if (o->json)
		printf("{\"routes\":%zu,\"load_s\":%.3f,\"del_s\":%.3f,\"load_cpu_s\":%.3f,"
		       "\"del_cpu_s\":%.3f,\"bytes\":%llu}\n", bs->n, t1 - t0, t2 - t1, c1 - c0,
		       c2 - c1, (unsigned long long)st.bytes);
	else
		printf("load: %zu routes written in %.3f s (%.3f s CPU), deleted in %.3f s "
		       "(%.3f s CPU); %llu KiB in use\n", bs->n, t1 - t0, c1 - c0, t2 - t1, c2 - c1,
		       (unsigned long long)st.bytes / 1024);
	return 0;
}

/* The traffic of `churn`: every frame in turn, once per call, until told. */
struct churn_traffic {
	int prog;
	const __u8 *frames;
	size_t nf;
	volatile int done;
	unsigned long calls, redirect, pass;
	int err;
};

static void *churn_traffic(void *arg)
{
	struct churn_traffic *t = arg;
	LIBBPF_OPTS(bpf_test_run_opts, run, .repeat = 1, .data_size_in = FRAME_LEN);

	while (!t->done && !t->err) {
		run.data_in = t->frames + (t->calls % t->nf) * FRAME_LEN;
		if (bpf_prog_test_run_opts(t->prog, &run)) {
			t->err = -errno;
			break;
		}
		t->calls++;
		if (run.retval == XDP_REDIRECT)
			t->redirect++;
		else if (run.retval == XDP_PASS)	/* no route now: to the kernel */
			t->pass++;
		else
			t->err = -EPROTO;
	}
	return NULL;
}

/*
 * Route changes per second while traffic flows: the set loaded (one batch),
 * then --calls C changes one by one, as single changes are written (each
 * published on its own, no batch): a prefix withdrawn, then announced
 * again, over prefixes picked across the table; meanwhile a second thread
 * sends the --dests frames through xgw_xdp, which must always answer
 * XDP_REDIRECT or (no route left) XDP_PASS.
 */
static int bench_churn(const struct bench_opts *o, const struct bench_set *bs)
{
	struct xgw_route rt = { .action = XGW_RT_NEXTHOP, .nh_id = 1 };
	struct churn_traffic t = { .nf = bs->ndst };
	struct fib_skel fs = {};
	struct xgw_bpf *skel;
	struct xgw_fib *f;
	unsigned long k;
	double t0, t1, c0, c1;
	pthread_t th;
	__u8 *frames;
	size_t i;
	int err;

	frames = malloc(bs->ndst * FRAME_LEN);
	if (!frames)
		return -ENOMEM;
	for (i = 0; i < bs->ndst; i++)
		frame_build(o->v6, bs->dst[i], frames + i * FRAME_LEN);
	skel = xgw_bpf__open_and_load();
	if (!skel) {
		free(frames);
		return -errno;
	}
	err = fib_skel_open(&fs, skel->obj);
	f = fs.fib[o->v6];
	if (!err)
		err = xgw_setup(o, skel, f, bs);
	t.prog = bpf_program__fd(skel->progs.xgw_xdp);
	t.frames = frames;
	if (!err)
		err = -pthread_create(&th, NULL, churn_traffic, &t);
	if (err)
		goto out;
	t0 = now();
	c0 = cpu_now();
	for (k = 0; k < o->calls && !err; k++) {
		const struct routegen_pfx *p = &bs->pfx[((k / 2) * 2654435761u) % bs->n];

		err = k % 2 ? xgw_fib_set(f, p->addr, p->len, &rt) : xgw_fib_del(f, p->addr, p->len);
	}
	t1 = now();
	c1 = cpu_now();
	t.done = 1;
	pthread_join(th, NULL);
	if (!err)
		err = t.err;
	if (err)
		goto out;
	if (o->json)
		printf("{\"routes\":%zu,\"changes\":%lu,\"s\":%.3f,\"cpu_s\":%.3f,"
		       "\"changes_per_s\":%.0f,\"packets\":%lu,\"redirect\":%lu,\"pass\":%lu}\n",
		       bs->n, o->calls, t1 - t0, c1 - c0, o->calls / (t1 - t0), t.calls, t.redirect,
		       t.pass);
	else
		printf("churn: %lu changes over %zu routes in %.3f s (%.0f/s; CPU of both threads "
		       "%.3f s); meanwhile %lu packets (%lu redirected, %lu to the kernel)\n",
		       o->calls, bs->n, t1 - t0, o->calls / (t1 - t0), c1 - c0, t.calls, t.redirect,
		       t.pass);
out:
	if (err == -ENOSPC)
		fprintf(stderr, "pktbench: %s\n", xgw_fib_full(f));
	fib_skel_close(&fs);
	xgw_bpf__destroy(skel);
	free(frames);
	return err;
}

/* `ip -batch` or `xgwctl -batch` lines for the routes the xgw case loads. */
static int print_prefixes(const struct bench_opts *o, const struct bench_set *bs)
{
	bool xgw = o->fmt && !strcmp(o->fmt, "xgw");
	const char *via = o->via ? o->via : o->v6 ? "fd00:98::2" : "10.98.0.2";
	char buf[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < bs->n; i++) {
		inet_ntop(o->v6 ? AF_INET6 : AF_INET, bs->pfx[i].addr, buf, sizeof(buf));
		if (xgw)
			printf("route add %s/%u via %s\n", buf, bs->pfx[i].len, via);
		else
			printf("route replace %s/%u via %s dev %s\n", buf, bs->pfx[i].len, via,
			       o->dev);
	}
	return ferror(stdout) ? -EIO : 0;
}

static int parse_num(const char *s, unsigned long *num)
{
	char *end;

	errno = 0;
	*num = strtoul(s, &end, 10);
	if (errno || *end || !*s || s[0] == '-') {
		fprintf(stderr, "pktbench: invalid number \"%s\"\n", s);
		return -EINVAL;
	}
	return 0;
}

static int check_args(const struct bench_opts *o)
{
	if (o->fmt && strcmp(o->fmt, "ip") && strcmp(o->fmt, "xgw")) {
		fprintf(stderr, "pktbench: invalid --fmt \"%s\" (ip, xgw)\n", o->fmt);
		return -EINVAL;
	}
	if (o->multipath && (o->v6 || !o->host || o->multipath > XGW_NHG_BUCKETS)) {
		fprintf(stderr, "pktbench: --multipath N needs --host, IPv4, N <= %d\n",
			XGW_NHG_BUCKETS);
		return -EINVAL;
	}
	if (o->noicmp && o->obj) {
		fprintf(stderr, "pktbench: --no-icmp or --obj FILE, not both\n");
		return -EINVAL;
	}
	if (o->runs < 1 || o->runs > MAX_RUNS || o->calls < 1) {
		fprintf(stderr, "pktbench: --runs 1..%d, --calls >= 1\n", MAX_RUNS);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	static const struct option lo[] = {
		{ "v6", no_argument, NULL, '6' },	{ "host", no_argument, NULL, 'H' },
		{ "lpm", required_argument, NULL, 'l' },	{ "sample", required_argument, NULL, 's' },
		{ "dev", required_argument, NULL, 'd' },	{ "runs", required_argument, NULL, 'r' },
		{ "calls", required_argument, NULL, 'c' },	{ "json", no_argument, NULL, 'j' },
		{ "dests", required_argument, NULL, 'D' },	{ "dist", required_argument, NULL, 'T' },
		{ "fmt", required_argument, NULL, 'f' },	{ "via", required_argument, NULL, 'v' },
		{ "multipath", required_argument, NULL, 'm' },
		{ "no-icmp", no_argument, NULL, 'N' },	{ "obj", required_argument, NULL, 'o' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "j", lo, NULL)) != -1) {
		switch (c) {
		case '6': o->v6 = true; break;
		case 'H': o->host = true; break;
		case 'j': o->json = true; break;
		case 'd': o->dev = optarg; break;
		case 'f': o->fmt = optarg; break;
		case 'v': o->via = optarg; break;
		case 'T':
			if (routegen_dist_parse(optarg, &o->dist)) {
				fprintf(stderr, "pktbench: invalid --dist \"%s\" (uniform, real)\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'l': if (parse_num(optarg, &o->lpm)) return -EINVAL; break;
		case 's': if (parse_num(optarg, &o->sample)) return -EINVAL; break;
		case 'r': if (parse_num(optarg, &o->runs)) return -EINVAL; break;
		case 'c': if (parse_num(optarg, &o->calls)) return -EINVAL; break;
		case 'D': if (parse_num(optarg, &o->dests)) return -EINVAL; break;
		case 'N': o->noicmp = true; break;
		case 'o': o->obj = optarg; break;
		case 'm': if (parse_num(optarg, &o->multipath)) return -EINVAL; break;
		default: return -EINVAL;
		}
	}
	return check_args(o);
}

static int run_case(const struct bench_opts *o, const struct bench_set *bs)
{
	double runs[MAX_RUNS], median = 0, setup = 0;
	int err;

	if (!strcmp(o->cmd, "baseline") || !strcmp(o->cmd, "trivial")) {
		err = bench_baseline(o, bs, runs, &median);
	} else if (!strcmp(o->cmd, "fib")) {
		err = bench_fib(o, bs, runs, &median);
	} else if (!strcmp(o->cmd, "churn")) {
		if (!o->lpm) {
			fprintf(stderr, "pktbench: churn needs --lpm N\n");
			return -EINVAL;
		}
		return bench_churn(o, bs);
	} else if (!strcmp(o->cmd, "xgw")) {
		if (!o->host && !o->lpm) {
			fprintf(stderr, "pktbench: xgw needs --host or --lpm N\n");
			return -EINVAL;
		}
		err = bench_xgw(o, bs, runs, &median, &setup);
	} else {
		fprintf(stderr, "pktbench: unknown case \"%s\"\n", o->cmd);
		return -EINVAL;
	}
	if (!err)
		print_result(o, runs, median, setup);
	return err;
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .dev = "bench0", .runs = 5, .calls = 400 };
	struct bench_set bs = {};
	int err;

	if (argc < 2 || parse_args(argc - 1, argv + 1, &o)) {
		fprintf(stderr, "usage: pktbench { baseline | trivial |"
				" xgw {--host [--multipath N]|--lpm N} [--sample N]"
				" [--no-icmp | --obj FILE] | fib | prefixes --lpm N"
				" [--fmt ip|xgw] [--via ADDR] | load --lpm N | churn --lpm N }"
				" [--v6]"
				" [--dist uniform|real] [--dests D] [--dev DEV] [--runs R]"
				" [--calls C] [-j]\n");
		return 2;
	}
	o.cmd = argv[1];
	err = set_routes(&o, &bs);
	if (!err && !strcmp(o.cmd, "prefixes")) {
		err = print_prefixes(&o, &bs);
		goto out;
	}
	if (!err && !strcmp(o.cmd, "load")) {
		err = o.lpm ? bench_load(&o, &bs) : -EINVAL;
		goto out;
	}
	if (!err)
		err = set_dests(&o, &bs);
	o.ifindex = if_nametoindex(o.dev);
	if (!err && !o.ifindex) {
		fprintf(stderr, "pktbench: no device \"%s\" in this namespace\n", o.dev);
		set_free(&bs);
		return 1;
	}
	if (!err)
		err = run_case(&o, &bs);
out:
	set_free(&bs);
	if (err) {
		if (err != -EINVAL)
			fprintf(stderr, "pktbench: %s: %s\n", o.cmd, strerror(-err));
		return err == -EINVAL ? 2 : 1;
	}
	return 0;
}
