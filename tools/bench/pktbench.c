// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pktbench: ns per packet of an XDP program under BPF_PROG_TEST_RUN.
 *
 *   pktbench baseline [--v6]
 *   pktbench xgw { --host | --lpm N } [--v6] [--sample N]
 *   pktbench fib [--v6]                 (routes: the namespace's FIB)
 *   pktbench prefixes --lpm N [--v6]    (print them as `ip -batch` lines)
 *   common: --dev DEV (default bench0) --runs R (5) --calls C (400) -j
 *
 * Run inside a namespace holding DEV: devmap entries and FIB lookups resolve
 * ifindexes there. The target is 10.200.1.1 (fd00:99:1::1), routed by a
 * host route (IPv4: a /32 in the DIR-24-8 FIB, written through
 * common/fib4.c; IPv6: the host map) or by 10.200.0.0/16 (fd00:99::/32)
 * among N-1 random prefixes (seeded: `prefixes` prints the very same ones
 * for the kernel FIB).
 *
 * The service path has its own bench, lbbench: repeat reuses one buffer,
 * so a learnt flow would turn every "new flow" round after the first into
 * an established one.
 *
 * BPF_PROG_TEST_RUN's repeat reuses one buffer, so xgw's TTL decrement
 * accumulates: the frame starts at TTL 255 and each call repeats at most
 * 250 times, and every call must return XDP_REDIRECT.
 */
#include <errno.h>
#include <getopt.h>
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

#include "fib4_skel.h"
#include "xgw_shared.h"
#include "xgw.skel.h"
#include "baseline.skel.h"
#include "fib.skel.h"

#define REPEAT		250	/* per call: TTL 255 never reaches 1 */
#define FRAME_LEN	64
#define MAX_RUNS	64

struct bench_opts {
	const char *cmd, *dev;
	bool v6, host, json;
	unsigned long lpm, sample, runs, calls;
	int ifindex;
};

/* xorshift64: the same prefixes in the LPM trie and in the kernel FIB. */
static __u64 rng_state = 0x9e3779b97f4a7c15ULL;

static __u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The i-th random prefix: IPv4 11/8..223/8 (never 127/8), /16../24;
 * IPv6 2000::/3, /32../48. Never overlaps the target's prefix. */
static void prefix_random(bool v6, __be32 addr[4], __u32 *len)
{
	__u64 r = rng();
	__u32 a;

	memset(addr, 0, 16);
	if (!v6) {
		*len = 16 + r % 9;
		do {
			a = rng() & 0xffffffff;
		} while ((a >> 24) < 11 || (a >> 24) > 223 || (a >> 24) == 127);
		addr[0] = htonl(a & (0xffffffffu << (32 - *len)));
		return;
	}
	*len = 32 + r % 17;
	addr[0] = htonl(0x20000000u | (rng() & 0x1fffffff));
	addr[1] = htonl((rng() & 0xffffffff) & (0xffffffffu << (64 - *len)));
}

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

/* 64-byte UDP frame to the target. */
static size_t frame_build(bool v6, __u8 *buf)
{
	struct ethhdr *eth = (void *)buf;
	__be32 dst[4], pfx[4];
	__u32 len;

	memset(buf, 0, FRAME_LEN);
	memcpy(eth->h_dest, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(eth->h_source, "\x02\x00\x00\x00\x00\x02", 6);
	target(v6, dst, pfx, &len);
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

/*
 * ns/packet per run (mean over its calls), median over runs, after one
 * untimed run: the first calls after loading pay for cold caches and TLB
 * entries (xgw's setup has just written 80 MiB of FIB arrays).
 */
static int measure(const struct bench_opts *o, int prog_fd, double *runs, double *median)
{
	__u8 frame[FRAME_LEN];
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame, .repeat = REPEAT);
	double sorted[MAX_RUNS];
	unsigned long r, c;
	__u64 total;
	int err;

	run.data_size_in = frame_build(o->v6, frame);
	for (c = 0; c < o->calls; c++) {
		err = bpf_prog_test_run_opts(prog_fd, &run);
		if (err)
			return err;
	}
	for (r = 0; r < o->runs; r++) {
		total = 0;
		for (c = 0; c < o->calls; c++) {
			err = bpf_prog_test_run_opts(prog_fd, &run);
			if (err)
				return err;
			if (run.retval != XDP_REDIRECT) {
				fprintf(stderr, "pktbench: %s: verdict %u, not XDP_REDIRECT\n",
					o->cmd, run.retval);
				return -EPROTO;
			}
			total += run.duration;
		}
		runs[r] = (double)total / o->calls;
		sorted[r] = runs[r];
	}
	qsort(sorted, o->runs, sizeof(double), cmp_double);
	*median = o->runs % 2 ? sorted[o->runs / 2] :
				(sorted[o->runs / 2 - 1] + sorted[o->runs / 2]) / 2;
	return 0;
}

static int devmap_set(int map_fd, __u32 key, int ifindex)
{
	struct bpf_devmap_val val = { .ifindex = ifindex };

	return bpf_map_update_elem(map_fd, &key, &val, 0) ? -errno : 0;
}

/* The IPv6 route to nh 1 for the target, plus o->lpm - 1 random prefixes. */
static int xgw_routes6(const struct bench_opts *o, struct xgw_bpf *skel)
{
	struct xgw_route rt = { .action = XGW_RT_NEXTHOP, .nh_id = 1 };
	__be32 dst[4], pfx[4];
	unsigned long i;
	__u32 len;
	int fd;

	target(true, dst, pfx, &len);
	if (o->host) {
		fd = bpf_map__fd(skel->maps.xgw_host6);
		return bpf_map_update_elem(fd, dst, &rt, 0) ? -errno : 0;
	}
	fd = bpf_map__fd(skel->maps.xgw_lpm6);
	for (i = 0; i < o->lpm; i++) {
		struct xgw_lpm6_key k6 = {};

		if (i == o->lpm - 1) {
			memcpy(k6.addr, pfx, 16);
			k6.prefixlen = len;
		} else {
			prefix_random(true, k6.addr, &k6.prefixlen);
		}
		if (bpf_map_update_elem(fd, &k6, &rt, 0))
			return -errno;
	}
	return 0;
}

/* The same for IPv4, through common/fib4.c into the FIB's arrays. */
static int xgw_routes4(const struct bench_opts *o, struct xgw_fib4 *fib)
{
	struct xgw_route rt = { .action = XGW_RT_NEXTHOP, .nh_id = 1 };
	__be32 dst[4], pfx[4];
	unsigned long i;
	__u32 len;
	int err = 0;

	target(false, dst, pfx, &len);
	if (o->host)
		return xgw_fib4_set(fib, dst[0], 32, &rt);
	for (i = 0; i < o->lpm && !err; i++) {
		if (i == o->lpm - 1) {
			err = xgw_fib4_set(fib, pfx[0], len, &rt);
		} else {
			prefix_random(false, dst, &len);
			err = xgw_fib4_set(fib, dst[0], len, &rt);
		}
	}
	return err;
}

static int xgw_setup(const struct bench_opts *o, struct xgw_bpf *skel, struct xgw_fib4 *fib)
{
	struct xgw_nexthop nh = {
		.ifindex = o->ifindex, .mtu = 1500, .flags = XGW_NH_F_RESOLVED,
		.smac = { 2, 0, 0, 0, 0, 3 }, .dmac = { 2, 0, 0, 0, 0, 4 },
	};
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
	return o->v6 ? xgw_routes6(o, skel) : xgw_routes4(o, fib);
}

static int print_result(const struct bench_opts *o, double *runs, double median,
			double setup_s)
{
	unsigned long r;

	if (!o->json) {
		printf("%s: %.2f ns/packet (median of %lu runs of %lu x %d packets)\n", o->cmd,
		       median, o->runs, o->calls, REPEAT);
		return 0;
	}
	printf("{\"ns\":%.3f,\"setup_s\":%.3f,\"runs\":[", median, setup_s);
	for (r = 0; r < o->runs; r++)
		printf("%s%.3f", r ? "," : "", runs[r]);
	printf("]}\n");
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Setup time: load, and every route written (the IPv4 arrays cleared first). */
static int bench_xgw(const struct bench_opts *o, double *runs, double *median, double *setup)
{
	struct fib4_skel fs = {};
	struct xgw_bpf *skel;
	double t0 = now();
	int err;

	skel = xgw_bpf__open_and_load();
	if (!skel)
		return -errno;
	err = fib4_skel_open(&fs, skel->maps.xgw_fib4_24, skel->maps.xgw_fib4_8);
	if (err)
		fprintf(stderr, "pktbench: mmap the IPv4 FIB: %s\n", strerror(-err));
	if (!err)
		err = xgw_setup(o, skel, fs.fib);
	*setup = now() - t0;
	if (!err)
		err = measure(o, bpf_program__fd(skel->progs.xgw_xdp), runs, median);
	fib4_skel_close(&fs);
	xgw_bpf__destroy(skel);
	return err;
}

static int bench_baseline(const struct bench_opts *o, double *runs, double *median)
{
	struct baseline_bpf *skel;
	int err;

	skel = baseline_bpf__open_and_load();
	if (!skel)
		return -errno;
	err = devmap_set(bpf_map__fd(skel->maps.base_tx), 0, o->ifindex);
	if (!err)
		err = measure(o, bpf_program__fd(skel->progs.xgw_baseline), runs, median);
	baseline_bpf__destroy(skel);
	return err;
}

static int bench_fib(const struct bench_opts *o, double *runs, double *median)
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
		err = measure(o, bpf_program__fd(skel->progs.xgw_fib), runs, median);
	fib_bpf__destroy(skel);
	return err;
}

/* `ip -batch` lines for the same prefixes xgw_routes4/6() load. */
static int print_prefixes(const struct bench_opts *o)
{
	char buf[INET6_ADDRSTRLEN];
	__be32 addr[4], pfx[4];
	unsigned long i;
	__u32 len;

	for (i = 0; i < o->lpm; i++) {
		if (i == o->lpm - 1)
			target(o->v6, addr, pfx, &len);
		else
			prefix_random(o->v6, pfx, &len);
		inet_ntop(o->v6 ? AF_INET6 : AF_INET, pfx, buf, sizeof(buf));
		printf("route replace %s/%u via %s dev %s\n", buf, len,
		       o->v6 ? "fd00:98::2" : "10.98.0.2", o->dev);
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
		{}
	};
	unsigned long *num;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "j", lo, NULL)) != -1) {
		switch (c) {
		case '6': o->v6 = true; continue;
		case 'H': o->host = true; continue;
		case 'j': o->json = true; continue;
		case 'd': o->dev = optarg; continue;
		case 'l': num = &o->lpm; break;
		case 's': num = &o->sample; break;
		case 'r': num = &o->runs; break;
		case 'c': num = &o->calls; break;
		default: return -EINVAL;
		}
		errno = 0;
		*num = strtoul(optarg, &end, 10);
		if (errno || *end || !*optarg || optarg[0] == '-') {
			fprintf(stderr, "pktbench: invalid number \"%s\"\n", optarg);
			return -EINVAL;
		}
	}
	if (o->runs < 1 || o->runs > MAX_RUNS || o->calls < 1) {
		fprintf(stderr, "pktbench: --runs 1..%d, --calls >= 1\n", MAX_RUNS);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .dev = "bench0", .runs = 5, .calls = 400 };
	double runs[MAX_RUNS], median = 0, setup = 0;
	int err;

	if (argc < 2 || parse_args(argc - 1, argv + 1, &o)) {
		fprintf(stderr, "usage: pktbench { baseline | xgw {--host|--lpm N}"
				" [--sample N] |"
				" fib | prefixes --lpm N } [--v6] [--dev DEV] [--runs R]"
				" [--calls C] [-j]\n");
		return 2;
	}
	o.cmd = argv[1];
	if (!strcmp(o.cmd, "prefixes"))
		return print_prefixes(&o);
	o.ifindex = if_nametoindex(o.dev);
	if (!o.ifindex) {
		fprintf(stderr, "pktbench: no device \"%s\" in this namespace\n", o.dev);
		return 1;
	}
	if (!strcmp(o.cmd, "baseline")) {
		err = bench_baseline(&o, runs, &median);
	} else if (!strcmp(o.cmd, "fib")) {
		err = bench_fib(&o, runs, &median);
	} else if (!strcmp(o.cmd, "xgw")) {
		if (!o.host && !o.lpm) {
			fprintf(stderr, "pktbench: xgw needs --host or --lpm N\n");
			return 2;
		}
		err = bench_xgw(&o, runs, &median, &setup);
	} else {
		fprintf(stderr, "pktbench: unknown case \"%s\"\n", o.cmd);
		return 2;
	}
	if (err) {
		fprintf(stderr, "pktbench: %s: %s\n", o.cmd, strerror(-err));
		return 1;
	}
	return print_result(&o, runs, median, setup);
}
