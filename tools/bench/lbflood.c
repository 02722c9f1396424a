// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lbflood: do floods of new flows move established ones? (#14.5)
 *
 *   lbflood [--flows N] [--flood N] [--cpu N] [--dev DEV] [-j]
 *
 * One xgw object, a DSR service on 10.200.1.1:80/tcp and one on
 * 10.200.1.1:53/udp, 3 backends each (Maglev tables of 65537). N
 * established TCP flows (default 200000, 76% of the connection table) are
 * learnt as a real client would have them learnt (SYN, then two ACKs),
 * and their backends recorded. Then the backend set changes (a 4th backend
 * joins: Maglev now maps about a quarter of all flows elsewhere, so a flow
 * that lost its entry would move), and floods follow, each of --flood new
 * flows (default 10 x the table's size), one packet each: SYNs to the TCP
 * service, ACKs to the TCP service, datagrams to the UDP service; last, an
 * ACK flood that sends every flow twice (the second packet learns it: the
 * table fills up). After each flood every established flow sends an ACK:
 * those that reach another backend than their own have moved. Last, the
 * sweep runs as xgwd would once ct-tcp-syn-timeout (+ its margin) has
 * passed: what the last flood learnt goes, the established flows stay.
 *
 * Every packet is one BPF_PROG_TEST_RUN call on the caller's CPU, a new
 * tuple each for the floods. Prints, per flood: packets, entries in the
 * table after it, established flows moved, and the flood packets sent
 * elsewhere than Maglev's backend (must be 0: an unlearnt flow still goes
 * by Maglev).
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ct.h"
#include "fib_skel.h"
#include "lbhash.h"
#include "maglev.h"
#include "xgw_shared.h"
#include "xgw.skel.h"

#define FRAME_LEN	64
#define VIP		0x0ac80101u	/* 10.200.1.1 */
#define BE_ADDR(i)	(0x0a62000bu + (i))	/* 10.98.0.11.. */
#define TBL		65537
#define NBE_MAX		4

static const __u8 GW_MAC[6] = { 2, 0, 0, 0, 0, 1 };

struct opts {
	const char *dev;
	unsigned long flows, flood;
	int cpu, ifindex;
	bool json;
};

static struct xgw_bpf *skel;
static __u32 table[3][TBL];	/* per service id (1: tcp, 2: udp) */

static void die(const char *what, int err)
{
	fprintf(stderr, "lbflood: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void upd(struct bpf_map *m, const void *k, const void *v)
{
	if (bpf_map_update_elem(bpf_map__fd(m), k, v, BPF_ANY))
		die(bpf_map__name(m), errno);
}

/* Service @sid's table over its first @n backends (ids sid * 8 + i + 1). */
static void publish(__u32 sid, int n)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_INNER_MAP);
	struct maglev_backend mb[NBE_MAX] = {};
	__u32 *keys = calloc(TBL, sizeof(*keys)), i, cnt = TBL;
	int fd, err;

	for (i = 0; i < (__u32)n; i++) {
		mb[i].addr.family = AF_INET;
		mb[i].addr.a[0] = htonl(BE_ADDR(i));
		mb[i].weight = 1;
		mb[i].id = sid * 8 + i + 1;
	}
	err = keys ? maglev__build(mb, n, TBL, table[sid]) : -ENOMEM;
	if (err)
		die("maglev", err);
	for (i = 0; i < TBL; i++)
		keys[i] = i;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "lbflood_maglev", 4, 4, TBL, &mo);
	if (fd < 0 || bpf_map_update_batch(fd, keys, table[sid], &cnt, NULL))
		die("maglev table", errno);
	upd(skel->maps.xgw_maglev, &sid, &fd);
	close(fd);
	free(keys);
}

static void setup(const struct opts *o, struct xgw_fib *fib)
{
	struct xgw_config cfg = { .layout_version = XGW_LAYOUT_VERSION };
	struct xgw_route vip = { .action = XGW_RT_NONE, .flags = XGW_RT_F_VIP };
	struct bpf_devmap_val dv = { .ifindex = o->ifindex };
	__u32 zero = 0, key = o->ifindex, sid, i;
	int err;

	upd(skel->maps.xgw_config, &zero, &cfg);
	upd(skel->maps.xgw_tx_ports, &key, &dv);
	for (i = 1; i <= NBE_MAX; i++) {
		struct xgw_nh_slot nh = { .v[0] = { .ifindex = o->ifindex, .mtu = 1500,
						     .flags = XGW_NH_F_RESOLVED,
						     .dmac = { 2, 0, 0, 0, 1, i } } };

		memcpy(nh.v[0].smac, GW_MAC, 6);	/* gen 0: v[0] */
		upd(skel->maps.xgw_nexthops, &i, &nh);
	}
	err = xgw_fib_set(fib, (__be32[1]){ htonl(VIP) }, 32, &vip);
	if (err)
		die("VIP", err);
	for (sid = 1; sid <= 2; sid++) {
		struct xgw_service svc = { .id = sid, .mode = XGW_LB_DSR, .table_size = TBL,
					   .flags = XGW_SVC_F_ALLDOWN_DROP };
		struct xgw_svc_key k = { .port = htons(sid == 1 ? 80 : 53),
					 .proto = sid == 1 ? IPPROTO_TCP : IPPROTO_UDP,
					 .family = AF_INET };

		k.addr[0] = htonl(VIP);
		for (i = 0; i < NBE_MAX; i++) {
			struct xgw_backend be = { .family = AF_INET, .mode = XGW_LB_DSR,
						  .nh_id = i + 1, .svc_id = sid };
			__u32 id = sid * 8 + i + 1;

			be.addr[0] = htonl(BE_ADDR(i));
			upd(skel->maps.xgw_backends, &id, &be);
		}
		upd(skel->maps.xgw_services, &k, &svc);
		publish(sid, 3);
	}
}

/* Flow @i of set @set: 10.(set).x.y, port 1024 + i % 60000. */
static void flow(int set, __u32 i, __be32 *src, __be16 *sport)
{
	*src = htonl(0x0a000000u | (__u32)set << 16 | (i / 60000 + 1));
	*sport = htons(1024 + i % 60000);
}

static void frame(__u8 *buf, __be32 src, __be16 sport, bool udp, __u8 flags)
{
	struct ethhdr *eth = (void *)buf;
	struct iphdr *ip = (void *)(eth + 1);
	__u16 *w = (void *)ip;
	__u32 s = 0;
	int i;

	memset(buf, 0, FRAME_LEN);
	memcpy(eth->h_dest, GW_MAC, 6);
	eth->h_source[0] = 2;
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(FRAME_LEN - ETH_HLEN);
	ip->ttl = 64;
	ip->protocol = udp ? IPPROTO_UDP : IPPROTO_TCP;
	ip->saddr = src;
	ip->daddr = htonl(VIP);
	for (i = 0; i < 10; i++)
		s += w[i];
	s = (s & 0xffff) + (s >> 16);
	ip->check = ~((s & 0xffff) + (s >> 16));
	if (udp) {
		struct udphdr *u = (void *)(ip + 1);

		u->source = sport;
		u->dest = htons(53);
		u->len = htons(FRAME_LEN - ETH_HLEN - sizeof(*ip));
	} else {
		struct tcphdr *t = (void *)(ip + 1);

		t->source = sport;
		t->dest = htons(80);
		t->doff = 5;
		((__u8 *)t)[13] = flags;
		t->window = htons(65535);
	}
}

/* One packet; the backend it went to (1..NBE_MAX), 0 if none. */
static int send1(__be32 src, __be16 sport, bool udp, __u8 flags)
{
	__u8 in[FRAME_LEN], out[FRAME_LEN + 64];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = FRAME_LEN,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	frame(in, src, sport, udp, flags);
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xgw_xdp), &o))
		die("test run", errno);
	if (o.retval != XDP_REDIRECT || out[4] != 1 || out[5] < 1 || out[5] > NBE_MAX)
		return 0;
	return out[5];
}

/* Maglev's backend for a flow of service @sid (0..NBE_MAX-1 + 1). */
static int maglev_be(__u32 sid, __be32 src, __be16 sport)
{
	struct xgw_flow_key k = { .sport = sport, .dport = htons(sid == 1 ? 80 : 53),
				  .proto = sid == 1 ? IPPROTO_TCP : IPPROTO_UDP,
				  .family = AF_INET };

	k.src[0] = src;
	k.dst[0] = htonl(VIP);
	return table[sid][xgw_flow_hash(&k) % TBL] - sid * 8;
}

static unsigned long ct_entries(void)
{
	struct xgw_flow_key k[4096];
	struct xgw_ct_entry v[4096];
	__u8 in[64], outb[64];
	unsigned long total = 0;
	bool first = true;
	__u32 n;

	for (;;) {
		int err;

		n = 4096;
		err = bpf_map_lookup_batch(bpf_map__fd(skel->maps.xgw_conntrack), first ? NULL : in,
					   outb, k, v, &n, NULL);
		total += n;
		if (err)
			break;
		memcpy(in, outb, sizeof(in));
		first = false;
	}
	return total;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct flood {
	const char *name;
	int set;		/* source addresses of its flows */
	bool udp, twice;
	__u8 flags;
};

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "flows", required_argument, NULL, 'f' }, { "flood", required_argument, NULL, 'F' },
		{ "cpu", required_argument, NULL, 'c' },   { "dev", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },	   {}
	};
	int c;

	while ((c = getopt_long(argc, argv, "j", lo, NULL)) != -1) {
		switch (c) {
		case 'f': o->flows = strtoul(optarg, NULL, 10); break;
		case 'F': o->flood = strtoul(optarg, NULL, 10); break;
		case 'c': o->cpu = atoi(optarg); break;
		case 'd': o->dev = optarg; break;
		case 'j': o->json = true; break;
		default:
			fprintf(stderr, "usage: lbflood [--flows N] [--flood N] [--cpu N] [--dev DEV] [-j]\n");
			exit(2);
		}
	}
	if (!o->flows || o->flows > 60000ul * 60000 || !o->flood) {
		fprintf(stderr, "lbflood: --flows and --flood must be positive\n");
		exit(2);
	}
	o->ifindex = if_nametoindex(o->dev);
	if (!o->ifindex)
		die(o->dev, ENODEV);
}

/* The object loaded, the CPU pinned, services set up. */
static void load(const struct opts *o, struct fib_skel *fs)
{
	cpu_set_t set;
	int err;

	CPU_ZERO(&set);
	CPU_SET(o->cpu >= 0 ? o->cpu : sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
	libbpf_set_print(NULL);
	skel = xgw_bpf__open();
	if (!skel)
		die("open", errno);
	bpf_program__set_autoload(skel->progs.xgw_trace_redirect_err, false);
	bpf_program__set_autoload(skel->progs.xgw_trace_devmap_xmit, false);
	err = xgw_bpf__load(skel);
	if (!err)
		err = fib_skel_open(fs, skel->obj);
	if (err)
		die("load", err);
	setup(o, fs->fib[FIB_SKEL_V4]);
}

/* Flood @fl, then every established flow once: one line of results. */
static void run_flood(const struct opts *o, const struct flood *fl, const int *own, bool first)
{
	unsigned long i, moved = 0, remap = 0, astray = 0, pkts = o->flood * (fl->twice ? 2 : 1);
	double t0 = now_s(), secs;
	__be32 src;
	__be16 sport;
	int got = 0, n;

	for (i = 0; i < o->flood; i++) {
		flow(fl->set, i, &src, &sport);
		for (n = 0; n < (fl->twice ? 2 : 1); n++)
			got = send1(src, sport, fl->udp, fl->flags);
		astray += got != maglev_be(fl->udp ? 2 : 1, src, sport);
	}
	secs = now_s() - t0;
	for (i = 0; i < o->flows; i++) {
		flow(64, i, &src, &sport);
		moved += send1(src, sport, false, 0x10) != own[i];
		remap += maglev_be(1, src, sport) != own[i];
	}
	if (o->json)
		printf("%s{\"flood\":\"%s\",\"packets\":%lu,\"seconds\":%.1f,\"entries\":%lu,"
		       "\"moved\":%lu,\"maglev_moves\":%lu,\"astray\":%lu}", first ? "" : ",",
		       fl->name, pkts, secs, ct_entries(), moved, remap, astray);
	else
		printf("%-40s %9lu packets (%.1f s): %7lu entries after, established flows moved "
		       "%lu (Maglev alone would move %lu), flood packets off Maglev %lu\n",
		       fl->name, pkts, secs, ct_entries(), moved, remap, astray);
	fflush(stdout);
}

/* The sweep as xgwd would run it once ct-tcp-syn-timeout and its margin have passed. */
static void sweep_later(const struct opts *o)
{
	__u32 later = XGW_CT_TCP_SYN_DEFAULT + XGW_CT_SWEEP_MARGIN_S + 1;
	struct xgw_config cfg = { .hz = XGW_HZ_DEFAULT };
	struct xgw_ct_sweep st;
	struct xgw_clock clk;
	__u64 j;

	if (xgw_clock_open(&clk) || xgw_clock_now(&clk, &j, NULL))
		die("clock", errno);
	xgw_clock_close(&clk);
	if (xgw_ct_sweep(bpf_map__fd(skel->maps.xgw_conntrack), &cfg,
			 j + later * XGW_HZ_DEFAULT, &st))
		die("sweep", errno);
	if (o->json)
		printf("],\"after_sweep\":%lu,\"swept\":%llu}\n", ct_entries(),
		       (unsigned long long)st.deleted);
	else
		printf("sweep %u s later: %llu entries deleted, %lu left\n", later,
		       (unsigned long long)st.deleted, ct_entries());
}

int main(int argc, char **argv)
{
	static const struct flood floods[] = {
		{ "SYN flood (one SYN per flow)", 70, false, false, 0x02 },
		{ "ACK flood (one ACK per flow)", 71, false, false, 0x10 },
		{ "UDP flood (one datagram per flow)", 72, true, false, 0 },
		{ "ACK flood (two ACKs per flow: learnt)", 73, false, true, 0x10 },
	};
	struct opts o = { .dev = "lo", .flows = 200000, .flood = 10ul * XGW_CT_SIZE, .cpu = -1 };
	struct fib_skel fs = {};
	unsigned long i, f;
	int *own;

	parse_opts(argc, argv, &o);
	load(&o, &fs);
	own = calloc(o.flows, sizeof(*own));
	if (!own)
		die("memory", ENOMEM);
	for (i = 0; i < o.flows; i++) {	/* SYN, then two ACKs: learnt */
		__be32 src;
		__be16 sport;

		flow(64, i, &src, &sport);
		send1(src, sport, false, 0x02);
		send1(src, sport, false, 0x10);
		own[i] = send1(src, sport, false, 0x10);
	}
	publish(1, 4);	/* a 4th backend joins both services */
	publish(2, 4);
	if (o.json)
		printf("{\"flows\":%lu,\"table\":%u,\"learnt\":%lu,\"floods\":[", o.flows, XGW_CT_SIZE,
		       ct_entries());
	else
		printf("%lu established flows, %lu entries in a table of %u; a 4th backend "
		       "joins\n", o.flows, ct_entries(), XGW_CT_SIZE);
	for (f = 0; f < sizeof(floods) / sizeof(floods[0]); f++)
		run_flood(&o, &floods[f], own, !f);
	sweep_later(&o);
	free(own);
	fib_skel_close(&fs);
	xgw_bpf__destroy(skel);
	return 0;
}
