// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lbbench: the load balancer's service path under BPF_PROG_TEST_RUN, per
 * case and per mode, and Katran's balancer on the very same packets.
 *
 *   lbbench [--katran OBJ] [--alt XGW_OBJ] [--runs R] [--calls C] [--flows N]
 *           [--lru N] [--cpu N] [--dev DEV] [-j]
 *
 * Every call runs the program once (repeat 1) on a fresh copy of the frame,
 * so nothing a call does to the frame (an encapsulation, a NAT rewrite, a
 * TTL) reaches the next one. A call's cost is the kernel's own timing of
 * that one run, which includes the test runner's fixed overhead: each run
 * measures that overhead with a trivial program (xgw_pass: XDP_PASS at
 * once) and every figure is given net of it. Rows are measured in an order
 * that rotates from run to run; figures are medians over runs, with min-max,
 * and each xgw row's ratio to Katran's row of the same case is the median
 * of the per-run ratios.
 *
 * Systems: xgw in modes dsr, ipip and nat on one VIP, 10.200.1.1, TCP ports
 * 80, 81 and 82, and Katran's IPIP on 10.200.1.1:80; each with 3 backends
 * and a Maglev table of 65537 slots. Cases:
 *   est      an ACK of one of N established flows (--flows, learnt before
 *            timing), a different flow each call
 *   syn      a SYN of a new flow: a source port and address never used
 *            before, every call
 *   ack-new  a non-SYN packet of a flow with no connection entry, new every
 *            call (what a flood of ACKs costs)
 *   syn-same the same SYN every call (a client reusing its tuple)
 *   pass     a packet to an address that is no VIP: xgw routes it (a /16
 *            to a resolved next hop), Katran passes it to the kernel
 *   reply    xgw nat only: a backend's reply of one of the N flows
 * NAT flows made by the new-flow rows are deleted after each run, untimed,
 * so that runs do not fill the table.
 *
 * --alt loads a second xgw object (another build of bpf/xgw.bpf.c, e.g.
 * with one idea taken out) set up the same way: its rows ("alt dsr", ...)
 * are timed in the same rotation and given as a ratio to xgw's own rows,
 * which is how an idea is measured rather than taken on faith. The same
 * object given as --alt measures the noise floor of such a comparison.
 *
 * Katran is configured as its userspace (KatranLb) would be: one VIP in
 * vip_map (vip_num 0, no flags), reals 1..3 in reals, the Maglev ring of
 * the three in ch_rings, the gateway's MAC in ctl_array[0], and one
 * LRU_HASH per CPU (flow_key -> real_pos_lru) in lru_mapping, of --lru
 * entries each (KatranLb's initLrus/attachLrus).
 *
 * The process pins itself to one CPU (--cpu, default: where it starts):
 * BPF_PROG_TEST_RUN runs on the caller's CPU and both systems keep per-CPU
 * state.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fib_skel.h"
#include "maglev.h"
#include "xgw_shared.h"
#include "xgw.skel.h"

#define FRAME_LEN	64
#define MAX_RUNS	64
#define NBE		3
#define VIP		0x0ac80101u	/* 10.200.1.1 */
#define OTHER_DST	0x0ac90001u	/* 10.201.0.1: no VIP, routed by 10.201.0.0/16 */
#define BE_ADDR(i)	(0x0a62000bu + (i))	/* 10.98.0.11.. */
#define GW_ADDR		0x0a620001u	/* 10.98.0.1: ipip outer source */
#define TCP_SYN		0x02
#define TCP_ACK		0x10

static const __u8 GW_MAC[6] = { 2, 0, 0, 0, 0, 1 };
static const __u8 CLIENT_MAC[6] = { 2, 0, 0, 0, 0, 2 };
static const __u8 ROUTER_MAC[6] = { 2, 0, 0, 0, 0, 9 };

enum bench_case { C_EST, C_SYN, C_ACKNEW, C_SYNSAME, C_PASS, C_REPLY, C_MAX };
static const char *const case_name[C_MAX] = {
	[C_EST] = "established flow",
	[C_SYN] = "new flow (SYN)",
	[C_ACKNEW] = "non-SYN, no entry",
	[C_SYNSAME] = "same-tuple SYN",
	[C_PASS] = "non-service packet",
	[C_REPLY] = "NAT reply",
};

struct bench_opts {
	const char *katran, *alt, *dev;
	unsigned long runs, calls, flows, lru;
	int cpu, ifindex;
	bool json;
};

/* One system under test: a program and the service port its packets use. */
struct sys {
	const char *name;
	int prog;
	__u16 port;		/* service port (host order) */
	__u32 verdict;		/* of a service packet */
	__u32 pass_verdict;	/* of the non-service packet */
	__u32 counter[C_MAX];	/* next flow index, per case */
	bool nat;		/* xgw's nat service: its flows have replies */
	struct xgw_flow_key *reply;	/* nat: the reply key of each established flow */
	struct bpf_object *obj;	/* xgw's object (NULL: Katran) */
	const char *mode;	/* "dsr", "ipip", "nat": which xgw row an alt row compares to */
};

struct row {
	struct sys *sys;
	enum bench_case cas;
	double net[MAX_RUNS];	/* ns per call minus the trivial program's */
};

/* ---- frames ------------------------------------------------------------ */

static __u16 ip_csum(const void *p, size_t len)
{
	const __u16 *w = p;
	__u32 s = 0;
	size_t i;

	for (i = 0; i < len / 2; i++)
		s += w[i];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s;
}

/*
 * Flow @i of a case: source 10.(64 + case).q.r port 1024 + i % 60000, so
 * that no two cases and no two indexes share a tuple.
 */
static void flow_of(enum bench_case c, __u32 i, __be32 *src, __be16 *sport)
{
	__u32 q = i / 60000 + 1;

	*src = htonl(0x0a000000u | (64u + c) << 16 | (q & 0xffff));
	*sport = htons(1024 + i % 60000);
}

/* A 64-byte TCP segment of flow (@src, @sport) to @dst:@dport. */
static void frame_build(__u8 *buf, __be32 src, __be16 sport, __be32 dst, __u16 dport,
			__u8 flags)
{
	struct ethhdr *eth = (void *)buf;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);

	memset(buf, 0, FRAME_LEN);
	memcpy(eth->h_dest, GW_MAC, 6);
	memcpy(eth->h_source, CLIENT_MAC, 6);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(FRAME_LEN - ETH_HLEN);
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = src;
	ip->daddr = dst;
	ip->check = ip_csum(ip, sizeof(*ip));
	tcp->source = sport;
	tcp->dest = htons(dport);
	tcp->doff = sizeof(*tcp) / 4;
	((__u8 *)tcp)[13] = flags;
	tcp->window = htons(65535);
}

/* The frame of the next call of case @c on @s. */
static void frame_next(struct sys *s, enum bench_case c, unsigned long flows, __u8 *buf)
{
	__u32 i = s->counter[c]++;
	__be16 sport;
	__be32 src;

	switch (c) {
	case C_EST:
		flow_of(C_EST, i % flows, &src, &sport);
		frame_build(buf, src, sport, htonl(VIP), s->port, TCP_ACK);
		break;
	case C_SYN:
	case C_ACKNEW:
		flow_of(c, i, &src, &sport);
		frame_build(buf, src, sport, htonl(VIP), s->port, c == C_SYN ? TCP_SYN : TCP_ACK);
		break;
	case C_SYNSAME:
		flow_of(C_EST, 0, &src, &sport);
		frame_build(buf, src, sport, htonl(VIP), s->port, TCP_SYN);
		break;
	case C_REPLY: {
		const struct xgw_flow_key *k = &s->reply[i % flows];

		frame_build(buf, k->src[0], k->sport, k->dst[0], ntohs(k->dport), TCP_ACK);
		break;
	}
	default:
		flow_of(C_EST, i % flows, &src, &sport);
		frame_build(buf, src, sport, htonl(OTHER_DST), s->port, TCP_ACK);
		break;
	}
}

/* ---- running ----------------------------------------------------------- */

struct call {
	__u32 retval, duration, out_len;
	__u8 out[FRAME_LEN + 128];
};

static int run_once(int prog, const __u8 *frame, struct call *c)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = FRAME_LEN,
		    .data_out = c->out, .data_size_out = sizeof(c->out), .repeat = 1);

	if (bpf_prog_test_run_opts(prog, &o))
		return -errno;
	c->retval = o.retval;
	c->duration = o.duration;
	c->out_len = o.data_size_out;
	return 0;
}

static void dump_reasons(struct bpf_object *obj);

/* Mean ns per call of @calls calls of case @c on @s (the trivial row: @s NULL). */
static int measure(struct sys *s, enum bench_case c, int trivial, const struct bench_opts *o,
		   double *mean)
{
	__u8 frame[FRAME_LEN];
	struct sys dummy = { .port = 80 };
	struct sys *fs = s ? s : &dummy;
	__u32 want = !s ? XDP_PASS : c == C_PASS ? s->pass_verdict : s->verdict;
	__u64 total = 0;
	unsigned long i;
	struct call r;
	int err;

	for (i = 0; i < o->calls; i++) {
		frame_next(fs, c, o->flows, frame);
		err = run_once(s ? s->prog : trivial, frame, &r);
		if (err)
			return err;
		if (r.retval != want) {
			fprintf(stderr, "lbbench: %s, %s: verdict %u, want %u (call %lu)\n",
				s ? s->name : "trivial", case_name[c], r.retval, want, i);
			if (s && s->obj)
				dump_reasons(s->obj);
			return -EPROTO;
		}
		total += r.duration;
	}
	*mean = (double)total / o->calls;
	return 0;
}

/* ---- xgw ------------------------------------------------------------------ */

/* Map @name of an xgw object (the skeleton's, or --alt's, opened from a file). */
static struct bpf_map *xm(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (!m) {
		fprintf(stderr, "lbbench: xgw object without map %s\n", name);
		exit(1);
	}
	return m;
}

static int upd(struct bpf_map *m, const void *k, const void *v)
{
	return bpf_map_update_elem(bpf_map__fd(m), k, v, BPF_ANY) ? -errno : 0;
}

/* Service @id's Maglev table of the three backends ids @first.. */
static int xgw_maglev(struct bpf_object *obj, __u32 id, __u32 first)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_INNER_MAP);
	struct maglev_backend mb[NBE] = {};
	__u32 *keys, *table, i, cnt = XGW_MAGLEV_DEFAULT;
	int fd = -1, err;

	for (i = 0; i < NBE; i++) {
		mb[i].addr.family = AF_INET;
		mb[i].addr.a[0] = htonl(BE_ADDR(i));
		mb[i].weight = 1;
		mb[i].id = first + i;
	}
	keys = calloc(XGW_MAGLEV_DEFAULT, sizeof(*keys));
	table = calloc(XGW_MAGLEV_DEFAULT, sizeof(*table));
	err = keys && table ? maglev__build(mb, NBE, XGW_MAGLEV_DEFAULT, table) : -ENOMEM;
	if (err)
		goto out;
	for (i = 0; i < XGW_MAGLEV_DEFAULT; i++)
		keys[i] = i;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "lbbench_maglev", 4, 4, XGW_MAGLEV_DEFAULT, &mo);
	if (fd < 0 || bpf_map_update_batch(fd, keys, table, &cnt, NULL) ||
	    bpf_map_update_elem(bpf_map__fd(xm(obj, "xgw_maglev")), &id, &fd, 0))
		err = -errno;
out:
	if (fd >= 0)
		close(fd);
	free(keys);
	free(table);
	return err;
}

/*
 * Service @id on VIP:@port in @mode, backends 3*(id-1)+1.. (10.98.0.11..13
 * behind next hops 2..4, each resolved on the bench device).
 */
static int xgw_service(struct bpf_object *obj, __u32 id, __u16 port, __u8 mode)
{
	struct xgw_service svc = { .id = id, .mode = mode, .flags = XGW_SVC_F_ALLDOWN_DROP,
				   .table_size = XGW_MAGLEV_DEFAULT };
	struct xgw_svc_key key = { .port = htons(port), .proto = IPPROTO_TCP,
				   .family = AF_INET };
	__u32 i, first = (id - 1) * NBE + 1;
	int err;

	key.addr[0] = htonl(VIP);
	for (i = 0; i < NBE; i++) {
		struct xgw_backend be = { .family = AF_INET, .mode = mode, .nh_id = i + 2,
					  .svc_id = id };
		__u32 bid = first + i;

		be.addr[0] = htonl(BE_ADDR(i));
		be.src[0] = htonl(GW_ADDR);
		err = upd(xm(obj, "xgw_backends"), &bid, &be);
		if (err)
			return err;
	}
	err = upd(xm(obj, "xgw_services"), &key, &svc);
	return err ? err : xgw_maglev(obj, id, first);
}

static int xgw_setup(const struct bench_opts *o, struct bpf_object *obj, struct xgw_fib *fib)
{
	struct xgw_config cfg = { .layout_version = XGW_LAYOUT_VERSION,
				  .latency_sample = XGW_LATENCY_SAMPLE_DEFAULT,
				  .ct_udp_timeout_s = XGW_CT_UDP_TIMEOUT_DEFAULT,
				  .ct_flood_limit = XGW_CT_FLOOD_DEFAULT };
	struct xgw_route vip = { .action = XGW_RT_NONE, .flags = XGW_RT_F_VIP };
	struct xgw_route via = { .action = XGW_RT_NEXTHOP, .nh_id = 1 };
	struct xgw_route own = { .action = XGW_RT_LOCAL, .flags = XGW_RT_F_OWN | XGW_RT_F_VIP };
	struct bpf_devmap_val dv = { .ifindex = o->ifindex };
	__u32 zero = 0, i, key = o->ifindex;
	int err;

	err = upd(xm(obj, "xgw_config"), &zero, &cfg);
	if (!err)
		err = upd(xm(obj, "xgw_tx_ports"), &key, &dv);
	for (i = 1; i <= NBE + 1 && !err; i++) {
		struct xgw_nh_slot nh = { .v[0] = { .ifindex = o->ifindex, .mtu = 1500,
						     .flags = XGW_NH_F_RESOLVED } };

		memcpy(nh.v[0].smac, GW_MAC, 6);
		memcpy(nh.v[0].dmac, ROUTER_MAC, 6);
		nh.v[0].dmac[5] = i == 1 ? 9 : 0x10 + i;	/* nh 2..4: backends; gen 0: v[0] */
		err = upd(xm(obj, "xgw_nexthops"), &i, &nh);
	}
	if (!err)
		err = xgw_fib_set(fib, (__be32[1]){ htonl(VIP) }, 32, &vip);
	if (!err)
		err = xgw_fib_set(fib, (__be32[1]){ htonl(OTHER_DST & 0xffff0000u) }, 16, &via);
	if (!err)
		err = xgw_service(obj, 1, 80, XGW_LB_DSR);
	if (!err)
		err = xgw_service(obj, 2, 81, XGW_LB_IPIP);
	if (!err)
		err = xgw_service(obj, 3, 82, XGW_LB_NAT);
	/* NAT replies come back to the gateway address, which the LB looks at */
	if (!err)
		err = xgw_fib_set(fib, (__be32[1]){ htonl(GW_ADDR) }, 32, &own);
	/* and go to the clients: 10.64.0.0/10 via nh 1 */
	if (!err)
		err = xgw_fib_set(fib, (__be32[1]){ htonl(0x0a400000) }, 10, &via);
	return err;
}

/* ---- Katran --------------------------------------------------------------- */
/*
 * Katran's map layouts, from its balancer_structs.h: the key of vip_map,
 * its value, a real, a ctl_array value and an LRU entry. The loaded
 * object's BTF is checked against these sizes before use.
 */
struct kt_vip_definition {
	__be32 vip[4];
	__u16 port;
	__u8 proto;
	__u8 pad;
};
struct kt_vip_meta {
	__u32 flags;
	__u32 vip_num;
};
struct kt_real_definition {
	__be32 dst[4];
	__u8 flags;
	__u8 pad[3];
};
struct kt_ctl_value {
	__u64 value;	/* union: the MAC in the first 6 bytes */
};
struct kt_flow_key {
	__be32 src[4], dst[4];
	__u32 ports;
	__u8 proto;
	__u8 pad[3];
};
struct kt_real_pos_lru {
	__u32 pos;
	__u32 pad;
	__u64 atime;
};
#define KT_RING_SIZE	65537

struct katran {
	struct bpf_object *obj;
	int lru_fds[256];
	int nlru;
};

static struct bpf_map *kt_map(struct katran *k, const char *name, __u32 key_size,
			      __u32 value_size)
{
	struct bpf_map *m = bpf_object__find_map_by_name(k->obj, name);

	if (!m) {
		fprintf(stderr, "lbbench: katran object has no map %s\n", name);
		return NULL;
	}
	if (bpf_map__key_size(m) != key_size || bpf_map__value_size(m) != value_size) {
		fprintf(stderr, "lbbench: katran map %s: key %u value %u, expected %u %u\n",
			name, bpf_map__key_size(m), bpf_map__value_size(m), key_size, value_size);
		return NULL;
	}
	return m;
}

/* One LRU per possible CPU in lru_mapping, as KatranLb::initLrus/attachLrus. */
static int kt_lrus(struct katran *k, unsigned long lru)
{
	struct bpf_map *outer = bpf_object__find_map_by_name(k->obj, "lru_mapping");
	int ncpu = libbpf_num_possible_cpus(), cpu, fd;

	if (!outer || ncpu <= 0 || ncpu > 256)
		return -EINVAL;
	for (cpu = 0; cpu < ncpu; cpu++) {
		fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "katran_lru", sizeof(struct kt_flow_key),
				    sizeof(struct kt_real_pos_lru), lru, NULL);
		if (fd < 0)
			return -errno;
		k->lru_fds[k->nlru++] = fd;
		if (bpf_map_update_elem(bpf_map__fd(outer), &cpu, &fd, 0))
			return -errno;
	}
	return 0;
}

static int kt_setup(struct katran *k, const struct bench_opts *o)
{
	struct kt_vip_definition vd = { .port = htons(80), .proto = IPPROTO_TCP };
	struct kt_vip_meta vm = { 0 };
	struct kt_ctl_value cv = { 0 };
	struct maglev_backend mb[NBE] = {};
	struct bpf_map *vip_map, *reals, *rings, *ctl;
	__u32 *table, *keys, i, zero = 0, cnt = KT_RING_SIZE;
	int err;

	vip_map = kt_map(k, "vip_map", sizeof(vd), sizeof(vm));
	reals = kt_map(k, "reals", 4, sizeof(struct kt_real_definition));
	rings = kt_map(k, "ch_rings", 4, 4);
	ctl = kt_map(k, "ctl_array", 4, sizeof(cv));
	if (!vip_map || !reals || !rings || !ctl)
		return -EINVAL;
	err = kt_lrus(k, o->lru);
	if (err)
		return err;
	vd.vip[0] = htonl(VIP);
	memcpy(&cv, GW_MAC, 6);
	if (upd(vip_map, &vd, &vm) || upd(ctl, &zero, &cv))
		return -errno;
	for (i = 0; i < NBE; i++) {
		struct kt_real_definition rd = { 0 };
		__u32 id = i + 1;

		rd.dst[0] = htonl(BE_ADDR(i));
		if (upd(reals, &id, &rd))
			return -errno;
		mb[i].addr.family = AF_INET;
		mb[i].addr.a[0] = rd.dst[0];
		mb[i].weight = 1;
		mb[i].id = id;
	}
	table = calloc(KT_RING_SIZE, sizeof(*table));
	if (!table)
		return -ENOMEM;
	keys = calloc(KT_RING_SIZE, sizeof(*keys));
	err = keys ? maglev__build(mb, NBE, KT_RING_SIZE, table) : -ENOMEM;
	for (i = 0; i < KT_RING_SIZE && !err; i++)	/* vip_num 0: slots 0.. */
		keys[i] = i;
	if (!err && bpf_map_update_batch(bpf_map__fd(rings), keys, table, &cnt, NULL))
		err = -errno;
	free(keys);
	free(table);
	return err;
}

static int kt_open(struct katran *k, const struct bench_opts *o, int *prog)
{
	struct bpf_program *p;
	int err;

	libbpf_set_print(NULL);
	k->obj = bpf_object__open_file(o->katran, NULL);
	if (!k->obj)
		return -errno;
	err = bpf_object__load(k->obj);
	if (err)
		return err;
	p = bpf_object__find_program_by_name(k->obj, "balancer_ingress");
	if (!p) {
		fprintf(stderr, "lbbench: %s: no program balancer_ingress\n", o->katran);
		return -ENOENT;
	}
	*prog = bpf_program__fd(p);
	return kt_setup(k, o);
}

static void kt_close(struct katran *k)
{
	int i;

	for (i = 0; i < k->nlru; i++)
		close(k->lru_fds[i]);
	bpf_object__close(k->obj);
}

/* ---- checks before timing ------------------------------------------------------- */

/*
 * Whether a call's output is right: a service packet at one of the 3
 * backends (dsr: its MAC; ipip and Katran: the outer destination; nat: the
 * destination), a NAT reply at its client (10.64.0.0/10).
 */
static bool out_ok(const struct sys *s, enum bench_case c, const struct call *r)
{
	const struct iphdr *ip = (const void *)(r->out + ETH_HLEN);
	int i;

	if (r->out_len < ETH_HLEN + sizeof(*ip))
		return false;
	if (c == C_PASS)
		return true;
	if (c == C_REPLY)
		return ip->saddr == htonl(VIP) && (ntohl(ip->daddr) >> 22) == (0x0a400000u >> 22);
	for (i = 0; i < NBE; i++) {
		if (s->obj && s->port == 80 && r->out[5] == 0x12 + i && !r->out[4])
			return true;
		if ((!s->obj || s->port != 80) && ip->daddr == htonl(BE_ADDR(i)))
			return true;
	}
	return false;
}

/* After a failed check: every reason counted so far, to tell what happened. */
static void dump_reasons(struct bpf_object *obj)
{
	int ncpu = libbpf_num_possible_cpus(), i, j;
	struct xgw_counter v[ncpu];
	__u64 n;

	for (i = 0; i < XGW_REASON_MAX; i++) {
		__u32 k = i;

		if (bpf_map_lookup_elem(bpf_map__fd(xm(obj, "xgw_stats")), &k, v))
			continue;
		for (n = 0, j = 0; j < ncpu; j++)
			n += v[j].packets;
		if (n)
			fprintf(stderr, "lbbench:   %s: %llu packets\n", xgw_reason_desc[i].name,
				(unsigned long long)n);
	}
}

/* nat: the reply key of each established flow, from its entry. */
static int nat_replies(struct sys *s, const struct bench_opts *o)
{
	int fd = bpf_map__fd(xm(s->obj, "xgw_conntrack"));
	struct xgw_ct_entry e;
	unsigned long i;

	s->reply = calloc(o->flows, sizeof(*s->reply));
	if (!s->reply)
		return -ENOMEM;
	for (i = 0; i < o->flows; i++) {
		struct xgw_flow_key k = { .dport = htons(s->port), .proto = IPPROTO_TCP,
					  .family = AF_INET };
		struct xgw_flow_key *rk = &s->reply[i];

		flow_of(C_EST, i, &k.src[0], &k.sport);
		k.dst[0] = htonl(VIP);
		if (bpf_map_lookup_elem(fd, &k, &e) || e.kind != XGW_CT_NAT_ORIG)
			return -ENOENT;
		memcpy(rk->src, e.nat_dst, 16);
		memcpy(rk->dst, e.nat_src, 16);
		rk->sport = e.nat_dport;
		rk->dport = e.nat_sport;
	}
	return 0;
}

/*
 * nat: forget the flows a run's new-flow rows made (both entries), so runs
 * do not fill the table; untimed.
 */
static void nat_purge(struct sys *s, enum bench_case c, __u32 from, __u32 to)
{
	int fd = bpf_map__fd(xm(s->obj, "xgw_conntrack"));
	struct xgw_ct_entry e;
	__u32 i;

	for (i = from; i != to; i++) {
		struct xgw_flow_key k = { .dport = htons(s->port), .proto = IPPROTO_TCP,
					  .family = AF_INET }, rk = { .proto = IPPROTO_TCP,
								      .family = AF_INET };

		flow_of(c, i, &k.src[0], &k.sport);
		k.dst[0] = htonl(VIP);
		if (bpf_map_lookup_elem(fd, &k, &e))
			continue;
		memcpy(rk.src, e.nat_dst, 16);
		memcpy(rk.dst, e.nat_src, 16);
		rk.sport = e.nat_dport;
		rk.dport = e.nat_sport;
		bpf_map_delete_elem(fd, &rk);
		bpf_map_delete_elem(fd, &k);
	}
}

/*
 * Learn the established flows (three ACKs each: xgw learns a flow on its
 * second packet and counts it established from its third, Katran learns on
 * the first), and check that every case's packet ends where it should
 * before anything is timed.
 */
static int warm_up(struct sys *s, const struct bench_opts *o)
{
	__u8 frame[FRAME_LEN];
	enum bench_case c;
	unsigned long i;
	struct call r;
	int err, pass;

	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < o->flows; i++) {
			s->counter[C_EST] = i;
			frame_next(s, C_EST, o->flows, frame);
			err = run_once(s->prog, frame, &r);
			if (err)
				return err;
			if (r.retval != s->verdict || !out_ok(s, C_EST, &r)) {
				fprintf(stderr, "lbbench: %s: flow %lu not balanced (verdict %u)\n",
					s->name, i, r.retval);
				return -EPROTO;
			}
		}
	}
	s->counter[C_EST] = 0;
	if (s->nat) {
		err = nat_replies(s, o);
		if (err) {
			fprintf(stderr, "lbbench: %s: established flows without entries\n", s->name);
			return err;
		}
	}
	for (c = 0; c < C_MAX; c++) {
		__u32 want = c == C_PASS ? s->pass_verdict : s->verdict;

		if (c == C_REPLY && !s->nat)
			continue;
		frame_next(s, c, o->flows, frame);
		s->counter[c]--;
		err = run_once(s->prog, frame, &r);
		if (err)
			return err;
		if (r.retval != want || !out_ok(s, c, &r)) {
			fprintf(stderr, "lbbench: %s, %s: verdict %u (want %u), output wrong\n",
				s->name, case_name[c], r.retval, want);
			if (s->obj)
				dump_reasons(s->obj);
			return -EPROTO;
		}
	}
	if (s->nat)
		nat_purge(s, C_SYN, 0, 1);
	return 0;
}

/* ---- report ----------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, unsigned long n, double *lo, double *hi)
{
	double s[MAX_RUNS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	*lo = s[0];
	*hi = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The row of system @name (or, for @mode, xgw's of that mode) and case @c, or NULL. */
static const struct row *find_row(const struct row *rows, int n, const char *name,
				  const char *mode, enum bench_case c)
{
	int i;

	for (i = 0; i < n; i++) {
		const struct sys *s = rows[i].sys;

		if (rows[i].cas == c && (name ? !strcmp(s->name, name) :
				     !strncmp(s->name, "xgw ", 4) && !strcmp(s->mode, mode)))
			return &rows[i];
	}
	return NULL;
}

/* Median (min, max) over runs of @r's figure divided by @k's in the same run. */
static double ratio(const struct row *r, const struct row *k, unsigned long runs, double *lo,
		    double *hi)
{
	double v[MAX_RUNS];
	unsigned long j;

	for (j = 0; j < runs; j++)
		v[j] = r->net[j] / k->net[j];
	return median(v, runs, lo, hi);
}

static void report(const struct row *rows, int n, const double *trivial,
		   const struct bench_opts *o)
{
	double lo, hi, tlo, thi, t = median(trivial, o->runs, &tlo, &thi);
	int i;

	if (o->json)
		printf("{\"trivial\":%.2f,\"rows\":[", t);
	else
		printf("trivial program (per-call overhead, subtracted): %.1f ns (%.1f-%.1f)\n",
		       t, tlo, thi);
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const struct row *k = find_row(rows, n, "katran ipip", NULL, r->cas);
		const struct row *x = r->sys->mode && !strncmp(r->sys->name, "alt ", 4) ?
					      find_row(rows, n, NULL, r->sys->mode, r->cas) : NULL;
		double m = median(r->net, o->runs, &lo, &hi), klo, khi, km, xlo, xhi, xr;

		km = k ? ratio(r, k, o->runs, &klo, &khi) : 0;
		xr = x ? ratio(r, x, o->runs, &xlo, &xhi) : 0;
		if (o->json) {
			printf("%s{\"sys\":\"%s\",\"case\":\"%s\",\"ns\":%.2f,\"min\":%.2f,"
			       "\"max\":%.2f", i ? "," : "", r->sys->name, case_name[r->cas],
			       m, lo, hi);
			if (k)
				printf(",\"ratio\":%.3f,\"ratio_min\":%.3f,\"ratio_max\":%.3f",
				       km, klo, khi);
			if (x)
				printf(",\"vs_xgw\":%.3f,\"vs_xgw_min\":%.3f,\"vs_xgw_max\":%.3f",
				       xr, xlo, xhi);
			printf("}");
			continue;
		}
		printf("%-12s %-20s %7.1f ns (%.1f-%.1f)", r->sys->name, case_name[r->cas], m, lo,
		       hi);
		if (k)
			printf("  x%.2f of katran (%.2f-%.2f)", km, klo, khi);
		if (x)
			printf("  x%.2f of xgw (%.2f-%.2f)", xr, xlo, xhi);
		printf("\n");
	}
	if (o->json)
		printf("]}\n");
}

/* ---- main --------------------------------------------------------------------- */

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	static const struct option lo[] = {
		{ "katran", required_argument, NULL, 'k' }, { "runs", required_argument, NULL, 'r' },
		{ "alt", required_argument, NULL, 'a' },
		{ "calls", required_argument, NULL, 'c' },  { "flows", required_argument, NULL, 'f' },
		{ "lru", required_argument, NULL, 'l' },    { "cpu", required_argument, NULL, 'C' },
		{ "dev", required_argument, NULL, 'd' },    { "json", no_argument, NULL, 'j' },
		{}
	};
	unsigned long *num, cpu = ~0ul;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "j", lo, NULL)) != -1) {
		switch (c) {
		case 'k': o->katran = optarg; continue;
		case 'a': o->alt = optarg; continue;
		case 'd': o->dev = optarg; continue;
		case 'j': o->json = true; continue;
		case 'r': num = &o->runs; break;
		case 'c': num = &o->calls; break;
		case 'f': num = &o->flows; break;
		case 'l': num = &o->lru; break;
		case 'C': num = &cpu; break;
		default: return -EINVAL;
		}
		errno = 0;
		*num = strtoul(optarg, &end, 10);
		if (errno || *end || !*optarg || optarg[0] == '-') {
			fprintf(stderr, "lbbench: invalid number \"%s\"\n", optarg);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "lbbench: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	if (o->runs < 1 || o->runs > MAX_RUNS || o->calls < 1 || o->flows < 1 ||
	    o->flows > 60000 * 1000ul || o->lru < o->flows) {
		fprintf(stderr, "lbbench: --runs 1..%d, --calls >= 1, --flows >= 1,"
				" --lru >= --flows\n", MAX_RUNS);
		return -EINVAL;
	}
	o->cpu = cpu == ~0ul ? sched_getcpu() : (int)cpu;
	return 0;
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* An xgw object loaded and set up: the skeleton's, or --alt's from a file. */
struct xgw_loaded {
	struct bpf_object *obj;
	struct xgw_bpf *skel;
	struct fib_skel fs;
};

static int xgw_open(struct xgw_loaded *x, const struct bench_opts *o, const char *path)
{
	struct bpf_program *p;
	int err;

	if (path) {
		x->obj = bpf_object__open_file(path, NULL);
		if (!x->obj)
			return -errno;
		bpf_object__for_each_program(p, x->obj)
			if (!strncmp(bpf_program__name(p), "xgw_trace_", 10))
				bpf_program__set_autoload(p, false);
		err = bpf_object__load(x->obj);
	} else {
		x->skel = xgw_bpf__open();
		if (!x->skel)
			return -errno;
		x->obj = x->skel->obj;
		bpf_program__set_autoload(x->skel->progs.xgw_trace_redirect_err, false);
		bpf_program__set_autoload(x->skel->progs.xgw_trace_devmap_xmit, false);
		err = xgw_bpf__load(x->skel);
	}
	if (!err)
		err = fib_skel_open(&x->fs, x->obj);
	return err ? err : xgw_setup(o, x->obj, x->fs.fib[FIB_SKEL_V4]);
}

static void xgw_close(struct xgw_loaded *x)
{
	fib_skel_close(&x->fs);
	if (x->skel)
		xgw_bpf__destroy(x->skel);
	else
		bpf_object__close(x->obj);
}

static int xgw_prog(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	return p ? bpf_program__fd(p) : -1;
}

/* xgw's three systems (dsr, ipip, nat) on object @x, into @sys; @alt: --alt's. */
static int xgw_systems(struct xgw_loaded *x, bool alt, struct sys *sys)
{
	static const char *const name[2][3] = { { "xgw dsr", "xgw ipip", "xgw nat" },
						  { "alt dsr", "alt ipip", "alt nat" } };
	static const char *const mode[3] = { "dsr", "ipip", "nat" };
	int c;

	for (c = 0; c < 3; c++)
		sys[c] = (struct sys){ .name = name[alt][c], .mode = mode[c], .port = 80 + c,
				       .verdict = XDP_REDIRECT, .pass_verdict = XDP_REDIRECT,
				       .nat = c == 2, .obj = x->obj,
				       .prog = xgw_prog(x->obj, "xgw_xdp") };
	return 3;
}

/*
 * @o->runs runs over @rows in rotating order, each with the trivial
 * program's cost first; the NAT flows new-flow rows made go after each.
 */
static int run_all(const struct bench_opts *o, struct row *rows, int nrows, struct sys *sys,
		   int nx, int trivial_prog, double *trivial)
{
	unsigned long r;
	int i, err;

	for (r = 0; r < o->runs; r++) {
		__u32 from[2][C_MAX];
		double t;

		for (i = 0; i < nx; i++)
			memcpy(from[i], sys[3 * i + 2].counter, sizeof(from[i]));
		err = measure(NULL, C_EST, trivial_prog, o, &trivial[r]);
		for (i = 0; i < nrows && !err; i++) {
			struct row *w = &rows[(i + r) % nrows];

			err = measure(w->sys, w->cas, 0, o, &t);
			w->net[r] = t - trivial[r];
		}
		if (err)
			return err;
		for (i = 0; i < nx; i++) {
			struct sys *n = &sys[3 * i + 2];

			nat_purge(n, C_SYN, from[i][C_SYN], n->counter[C_SYN]);
			nat_purge(n, C_ACKNEW, from[i][C_ACKNEW], n->counter[C_ACKNEW]);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .dev = "lo", .runs = 7, .calls = 20000, .flows = 16384,
				.lru = 131072 };
	struct sys sys[7];
	struct row rows[7 * C_MAX];
	double trivial[MAX_RUNS];
	struct xgw_loaded x[2] = {};
	struct katran kt = {};
	int nsys = 0, nrows = 0, nx, i, c, err;

	if (parse_args(argc, argv, &o)) {
		fprintf(stderr, "usage: lbbench [--katran OBJ] [--alt XGW_OBJ] [--runs R] [--calls C]"
				" [--flows N] [--lru N] [--cpu N] [--dev DEV] [-j]\n");
		return 2;
	}
	o.ifindex = if_nametoindex(o.dev);
	if (!o.ifindex) {
		fprintf(stderr, "lbbench: no device \"%s\"\n", o.dev);
		return 1;
	}
	err = pin_cpu(o.cpu);
	if (err) {
		fprintf(stderr, "lbbench: pin to cpu %d: %s\n", o.cpu, strerror(-err));
		return 1;
	}
	libbpf_set_print(NULL);
	nx = o.alt ? 2 : 1;
	for (i = 0; i < nx; i++) {
		err = xgw_open(&x[i], &o, i ? o.alt : NULL);
		if (err) {
			fprintf(stderr, "lbbench: xgw %s: %s\n", i ? o.alt : "setup", strerror(-err));
			return 1;
		}
		nsys += xgw_systems(&x[i], i, &sys[nsys]);
	}
	if (o.katran) {
		sys[nsys] = (struct sys){ .name = "katran ipip", .port = 80, .verdict = XDP_TX,
					  .pass_verdict = XDP_PASS };
		err = kt_open(&kt, &o, &sys[nsys].prog);
		if (err) {
			fprintf(stderr, "lbbench: katran %s: %s\n", o.katran, strerror(-err));
			return 1;
		}
		nsys++;
	}
	for (i = 0; i < nsys; i++) {
		if (warm_up(&sys[i], &o))
			return 1;
		for (c = 0; c < C_MAX; c++)
			if (c != C_REPLY || sys[i].nat)
				rows[nrows++] = (struct row){ .sys = &sys[i], .cas = c };
	}
	err = run_all(&o, rows, nrows, sys, nx, xgw_prog(x[0].obj, "xgw_pass"), trivial);
	if (err) {
		fprintf(stderr, "lbbench: %s\n", strerror(-err));
		return 1;
	}
	report(rows, nrows, trivial, &o);
	if (o.katran)
		kt_close(&kt);
	for (i = 0; i < nx; i++) {
		free(sys[3 * i + 2].reply);
		xgw_close(&x[i]);
	}
	return 0;
}
