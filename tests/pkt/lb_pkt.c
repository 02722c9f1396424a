// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Load balancer packet tests: frames through xgw_xdp / xgw_decap with
 * BPF_PROG_TEST_RUN, output compared byte for byte with frames built here
 * (outer headers and checksums computed from scratch), counters checked.
 *
 * The expected backend of a flow is computed independently of the datapath
 * from the contract: Maglev table built here (common/maglev.c) indexed by
 * xgw_flow_hash() (common/lbhash.h) modulo the table size.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fib4_skel.h"
#include "pkt_lib.h"
#include "lbhash.h"
#include "maglev.h"
#include "xgw.skel.h"

#define TBL		251	/* small prime: fast to build, plenty of slots */
#define NBE		6	/* backend ids 1..5 */

static struct xgw_bpf *skel;
static struct fib4_skel fib4;	/* IPv4 routes, through common/fib4.c */
static int lo_ifindex;
static const uint8_t GW_MAC[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t RT_MAC[6] = { 0x02, 0, 0, 0, 0, 0xee };

struct be_def {
	int family;
	const char *addr, *src;
	uint32_t nh;
	uint8_t mac[6];
};

/* id -> backend; nh_id == id for backends, nh 9 is the router */
static const struct be_def BE[NBE] = {
	[1] = { AF_INET, "10.0.1.1", "10.0.0.1", 1, { 2, 0, 0, 0, 1, 1 } },
	[2] = { AF_INET, "10.0.1.2", "10.0.0.1", 2, { 2, 0, 0, 0, 1, 2 } },
	[3] = { AF_INET, "10.0.1.3", "10.0.0.1", 3, { 2, 0, 0, 0, 1, 3 } },
	[4] = { AF_INET6, "2001:db8:1::4", "2001:db8::1", 4, { 2, 0, 0, 0, 1, 4 } },
	[5] = { AF_INET6, "2001:db8:1::5", "2001:db8::1", 5, { 2, 0, 0, 0, 1, 5 } },
};

struct svc_def {
	int family;
	const char *vip;
	uint16_t port;
	uint8_t proto, mode;
	uint32_t be[4];		/* backend ids in the table, 0-terminated */
};

enum { S_DSR = 1, S_IPIP4, S_IPIP6_V4IN, S_IPIP6, S_DSR6, S_EMPTY, S_IPIP4_V6IN, S_MAX };
static const struct svc_def SVC[S_MAX] = {
	[S_DSR] = { AF_INET, "10.0.0.100", 80, IPPROTO_TCP, XGW_LB_DSR, { 1, 2, 3 } },
	[S_IPIP4] = { AF_INET, "10.0.0.100", 53, IPPROTO_UDP, XGW_LB_IPIP, { 1, 2, 3 } },
	[S_IPIP6_V4IN] = { AF_INET, "10.0.0.100", 443, IPPROTO_TCP, XGW_LB_IPIP, { 4, 5 } },
	[S_IPIP6] = { AF_INET6, "2001:db8::100", 80, IPPROTO_TCP, XGW_LB_IPIP, { 4, 5 } },
	[S_DSR6] = { AF_INET6, "2001:db8::100", 443, IPPROTO_TCP, XGW_LB_DSR, { 4, 5 } },
	[S_EMPTY] = { AF_INET, "10.0.0.101", 80, IPPROTO_TCP, XGW_LB_DSR, { 0 } },
	[S_IPIP4_V6IN] = { AF_INET6, "2001:db8::100", 53, IPPROTO_UDP, XGW_LB_IPIP, { 1, 2, 3 } },
};
static uint32_t table[S_MAX][TBL];	/* what we published, per service */

static void die(const char *what, int err)
{
	fprintf(stderr, "pkt_lb: %s: %s\n", what, strerror(err < 0 ? -err : err));
	printf("not ok 1 - setup: %s\n", what);
	exit(1);
}

static void addr_bytes(int family, const char *s, __be32 out[4])
{
	memset(out, 0, 16);
	if (inet_pton(family, s, out) != 1)
		die(s, EINVAL);
}

static int map_fd(struct bpf_map *m)
{
	return bpf_map__fd(m);
}

static void update(struct bpf_map *m, const void *k, const void *v)
{
	if (bpf_map_update_elem(map_fd(m), k, v, BPF_ANY))
		die(bpf_map__name(m), errno);
}

/* Build service sid's table from the given backend ids and swap it in. */
static void publish(int sid, const uint32_t *ids)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_INNER_MAP);
	struct maglev_backend mb[4] = {};
	uint32_t keys[TBL], i, n = 0, cnt = TBL;
	int fd, err;

	for (; ids[n]; n++) {
		mb[n].addr.family = BE[ids[n]].family;
		addr_bytes(BE[ids[n]].family, BE[ids[n]].addr, mb[n].addr.a);
		mb[n].weight = 1;
		mb[n].id = ids[n];
	}
	err = maglev__build(mb, n, TBL, table[sid]);
	if (err)
		die("maglev", err);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_maglev", 4, 4, TBL, &mo);
	if (fd < 0)
		die("inner map", errno);
	for (i = 0; i < TBL; i++)
		keys[i] = i;
	if (bpf_map_update_batch(fd, keys, table[sid], &cnt, NULL))
		die("inner fill", errno);
	update(skel->maps.xgw_maglev, &(uint32_t){ sid }, &fd);
	close(fd);
}

static void set_backend_flags(uint32_t id, uint16_t flags)
{
	struct xgw_backend b = { .family = BE[id].family, .nh_id = BE[id].nh, .flags = flags };

	addr_bytes(BE[id].family, BE[id].addr, b.addr);
	addr_bytes(BE[id].family, BE[id].src, b.src);
	update(skel->maps.xgw_backends, &id, &b);
}

static void set_nexthop(uint32_t id, const uint8_t dmac[6], uint16_t mtu)
{
	struct xgw_nexthop nh = { .ifindex = lo_ifindex, .mtu = mtu,
				  .flags = XGW_NH_F_RESOLVED };

	memcpy(nh.smac, GW_MAC, 6);
	memcpy(nh.dmac, dmac, 6);
	update(skel->maps.xgw_nexthops, &id, &nh);
}

/* IPv4 @addr/@len -> @rt in the FIB */
static void route4_set(const char *addr, int len, const struct xgw_route *rt)
{
	__be32 a[4];
	int err;

	addr_bytes(AF_INET, addr, a);
	err = xgw_fib4_set(fib4.fib, a[0], len, rt);
	if (err)
		die(addr, err);
}

/* A host entry: an IPv4 /32 in the FIB, an IPv6 one in xgw_host6. */
static void host_set(int family, const char *addr, const struct xgw_route *rt)
{
	__be32 a[4];

	if (family == AF_INET) {
		route4_set(addr, 32, rt);
		return;
	}
	addr_bytes(family, addr, a);
	update(skel->maps.xgw_host6, a, rt);
}

static void vip_mark(int family, const char *vip)
{
	struct xgw_route rt = { .action = XGW_RT_NONE, .flags = XGW_RT_F_VIP };

	host_set(family, vip, &rt);
}

static void setup_maps(void)
{
	struct bpf_devmap_val port = { .ifindex = lo_ifindex };
	struct xgw_route rt = { .action = XGW_RT_NEXTHOP, .nh_id = 9 };
	struct xgw_config cfg = { .layout_version = XGW_LAYOUT_VERSION,
				  .ct_udp_timeout_s = 30, .ct_flood_limit = 65536 };
	uint32_t i, zero = 0;
	int s, err;

	err = fib4_skel_open(&fib4, skel->maps.xgw_fib4_24, skel->maps.xgw_fib4_8);
	if (err)
		die("mmap the IPv4 FIB", err);
	update(skel->maps.xgw_config, &zero, &cfg);
	update(skel->maps.xgw_tx_ports, &lo_ifindex, &port);
	for (i = 1; i < NBE; i++) {
		set_nexthop(BE[i].nh, BE[i].mac, 1500);
		set_backend_flags(i, 0);
	}
	set_nexthop(9, RT_MAC, 1500);
	route4_set("10.0.0.0", 24, &rt);
	for (s = 1; s < S_MAX; s++) {
		struct xgw_service v = { .id = s, .mode = SVC[s].mode,
					 .flags = XGW_SVC_F_ALLDOWN_DROP, .table_size = TBL };
		struct xgw_svc_key k = { .port = htons(SVC[s].port), .proto = SVC[s].proto,
					 .family = SVC[s].family };

		addr_bytes(SVC[s].family, SVC[s].vip, k.addr);
		update(skel->maps.xgw_services, &k, &v);
		vip_mark(SVC[s].family, SVC[s].vip);
		publish(s, SVC[s].be);
	}
}

/* ---- expectations ----------------------------------------------------------- */

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

static struct xgw_flow_key flow_of(const struct pkt_spec *s)
{
	struct xgw_flow_key k = { .sport = htons(s->sport), .dport = htons(s->dport),
				  .proto = s->proto, .family = s->family };

	addr_bytes(s->family, s->src, k.src);
	addr_bytes(s->family, s->dst, k.dst);
	return k;
}

static uint32_t expect_be(int sid, const struct pkt_spec *s)
{
	struct xgw_flow_key k = flow_of(s);

	return table[sid][xgw_flow_hash(&k) % TBL];
}

/* DSR: the same frame, MACs of the backend's next hop, TTL one less. */
static size_t expect_dsr(const struct pkt_spec *in, uint32_t be, uint8_t *out, bool syn)
{
	struct pkt_spec e = *in;
	size_t len;

	e.dmac = BE[be].mac;
	e.smac = GW_MAC;
	e.ttl = (in->ttl ? in->ttl : 64) - 1;
	len = pkt_build(&e, out);
	if (syn)
		out[14 + (in->family == AF_INET ? 20 : 40) + 13] = 0x02;
	return len;
}

/* ipip: Ethernet + outer header (TTL 63 after the forward) + the inner
 * packet exactly as received. */
static size_t expect_ipip(const uint8_t *in, size_t in_len, int inner_family, uint32_t be,
			  uint8_t *out)
{
	const uint8_t *inner = in + 14;
	size_t ilen = in_len - 14;
	uint8_t *o = out + 14;
	size_t olen;

	memcpy(out, BE[be].mac, 6);
	memcpy(out + 6, GW_MAC, 6);
	if (BE[be].family == AF_INET) {
		uint16_t c;

		olen = 20;
		out[12] = 0x08, out[13] = 0x00;
		memset(o, 0, 20);
		o[0] = 0x45;
		o[1] = inner_family == AF_INET ? inner[1] : (inner[0] << 4 | inner[1] >> 4);
		o[2] = (ilen + 20) >> 8, o[3] = (ilen + 20) & 0xff;
		o[6] = inner_family == AF_INET ? (inner[6] & 0x40) : 0x40;
		o[8] = 63;
		o[9] = inner_family == AF_INET ? 4 : 41;
		inet_pton(AF_INET, BE[be].src, o + 12);
		inet_pton(AF_INET, BE[be].addr, o + 16);
		c = csum(o, 20);
		o[10] = c >> 8, o[11] = c & 0xff;
		memcpy(o + 20, inner, ilen);
	} else {
		uint8_t tc = inner_family == AF_INET ? inner[1] : (inner[0] << 4 | inner[1] >> 4);

		olen = 40;
		out[12] = 0x86, out[13] = 0xdd;
		memset(o, 0, 40);
		o[0] = 0x60 | tc >> 4;
		o[1] = tc << 4;
		o[4] = ilen >> 8, o[5] = ilen & 0xff;
		o[6] = inner_family == AF_INET ? 4 : 41;
		o[7] = 63;
		inet_pton(AF_INET6, BE[be].src, o + 8);
		inet_pton(AF_INET6, BE[be].addr, o + 24);
		memcpy(o + 40, inner, ilen);
	}
	return 14 + olen + ilen;
}

static bool frame_eq(const struct pkt_run *r, const uint8_t *exp, size_t len)
{
	if (r->out_len == len && !memcmp(r->out, exp, len))
		return true;
	tap_diag("output differs (got %u bytes, want %zu):", r->out_len, len);
	tap_diff(r->out, r->out_len, exp, len);
	return false;
}

static int prog_xdp(void)
{
	return bpf_program__fd(skel->progs.xgw_xdp);
}

static void read_counters(struct pkt_counters *c)
{
	pkt_counters_read(map_fd(skel->maps.xgw_stats), map_fd(skel->maps.xgw_nh_stats), c);
}

static uint64_t lb_counter(struct bpf_map *m, uint32_t id, int field)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct xgw_lb_counter v[ncpu];
	uint64_t sum = 0;

	if (bpf_map_lookup_elem(map_fd(m), &id, v))
		die("lb counter", errno);
	for (i = 0; i < ncpu; i++)
		sum += field == 0 ? v[i].packets : field == 1 ? v[i].bytes : v[i].new_flows;
	return sum;
}

static void ct_clear(void)
{
	struct xgw_flow_key k;
	int fd = map_fd(skel->maps.xgw_conntrack);

	while (!bpf_map_get_next_key(fd, NULL, &k))
		bpf_map_delete_elem(fd, &k);
}

static unsigned int ct_count(void)
{
	struct xgw_flow_key k, n, *p = NULL;
	unsigned int c = 0;
	int fd = map_fd(skel->maps.xgw_conntrack);

	while (!bpf_map_get_next_key(fd, p, &n)) {
		k = n;
		p = &k;
		c++;
	}
	return c;
}

/* Set the TCP flags byte of a built frame (the builder sends ACK). */
static void tcp_flags(uint8_t *f, const struct pkt_spec *s, uint8_t flags)
{
	f[14 + (s->family == AF_INET ? 20 : 40) + 13] = flags;
}

static uint32_t out_backend(const struct pkt_run *r)
{
	uint32_t i;

	for (i = 1; i < NBE; i++)
		if (!memcmp(r->out, BE[i].mac, 6))
			return i;
	return 0;
}

/* ---- cases -------------------------------------------------------------------- */

static struct pkt_spec tcp4(const char *src, uint16_t sport, uint16_t dport)
{
	struct pkt_spec s = { .family = AF_INET, .src = src, .dst = "10.0.0.100",
			      .proto = IPPROTO_TCP, .sport = sport, .dport = dport,
			      .payload = 32 };
	return s;
}

/* VIP hit, DSR: frame byte for byte, verdict, reason and LB counters. */
static void case_dsr(void)
{
	struct pkt_spec s = tcp4("192.0.2.10", 40000, 80);
	uint8_t in[PKT_MAX], exp[PKT_MAX];
	struct pkt_counters b, a;
	struct pkt_run r;
	uint64_t p0, nf0, bp0;
	uint32_t be;
	size_t len, elen;
	bool ok;

	ct_clear();
	len = pkt_build(&s, in);
	be = expect_be(S_DSR, &s);
	elen = expect_dsr(&s, be, exp, false);
	p0 = lb_counter(skel->maps.xgw_svc_stats, S_DSR, 0);
	nf0 = lb_counter(skel->maps.xgw_svc_stats, S_DSR, 2);
	bp0 = lb_counter(skel->maps.xgw_be_stats, be, 0);
	read_counters(&b);
	pkt_run(prog_xdp(), in, len, 1, &r);
	read_counters(&a);
	ok = !r.err && r.retval == XDP_REDIRECT && frame_eq(&r, exp, elen);
	ok &= pkt_counters_expect(&b, &a, XGW_FWD_LB, BE[be].nh, 1, len);
	ok &= lb_counter(skel->maps.xgw_svc_stats, S_DSR, 0) == p0 + 1;
	ok &= lb_counter(skel->maps.xgw_svc_stats, S_DSR, 2) == nf0 + 1;
	ok &= lb_counter(skel->maps.xgw_be_stats, be, 0) == bp0 + 1;
	ok &= ct_count() == 1;
	tap_result(ok, "dsr v4: frame to backend %u byte for byte, counted, learnt", be);
}

/* Same flow -> same backend, every packet; many flows -> every backend. */
static void case_sticky(void)
{
	uint8_t in[PKT_MAX];
	unsigned int seen[NBE] = {}, i, j, bad = 0;
	struct pkt_run r;

	ct_clear();
	for (i = 0; i < 300; i++) {
		struct pkt_spec s = tcp4("192.0.2.20", 10000 + i, 80);
		size_t len = pkt_build(&s, in);
		uint32_t want = expect_be(S_DSR, &s);

		for (j = 0; j < 4; j++) {
			tcp_flags(in, &s, j == 0 ? 0x02 : 0x10);	/* SYN, then ACKs */
			pkt_run(prog_xdp(), in, len, 1, &r);
			if (r.err || r.retval != XDP_REDIRECT || out_backend(&r) != want)
				bad++;
		}
		seen[want]++;
	}
	tap_result(!bad && seen[1] && seen[2] && seen[3],
		   "same flow same backend over 1200 packets (%u wrong); spread %u/%u/%u",
		   bad, seen[1], seen[2], seen[3]);
}

/*
 * The backend set changes (the flow's backend leaves the table, as a drain
 * does): an established flow keeps its backend; a SYN re-balances; a down
 * backend loses its flows.
 */
static void case_ct_after_change(void)
{
	struct pkt_spec s = tcp4("192.0.2.30", 33333, 80);
	uint8_t in[PKT_MAX];
	uint32_t first, rest[4] = {}, n = 0, i, now_be, syn_be, down_be, want_syn;
	struct pkt_run r;
	size_t len;

	ct_clear();
	len = pkt_build(&s, in);
	pkt_run(prog_xdp(), in, len, 1, &r);
	first = out_backend(&r);
	for (i = 1; i <= 3; i++)
		if (i != first)
			rest[n++] = i;
	publish(S_DSR, rest);		/* table without it */
	pkt_run(prog_xdp(), in, len, 1, &r);
	now_be = out_backend(&r);
	tcp_flags(in, &s, 0x02);
	pkt_run(prog_xdp(), in, len, 1, &r);
	syn_be = out_backend(&r);
	want_syn = expect_be(S_DSR, &s);
	/* the SYN re-learnt the flow on the new backend; take the old one's
	 * state away by marking the new one down */
	tcp_flags(in, &s, 0x10);
	set_backend_flags(syn_be, XGW_BE_F_DOWN);
	publish(S_DSR, (uint32_t[]){ first, 0 });
	pkt_run(prog_xdp(), in, len, 1, &r);
	down_be = out_backend(&r);
	set_backend_flags(syn_be, 0);
	publish(S_DSR, SVC[S_DSR].be);
	tap_result(first && now_be == first && syn_be == want_syn &&
			   syn_be != first && down_be == first,
		   "conntrack: kept %u after table change (got %u), SYN -> %u, down -> %u",
		   first, now_be, syn_be, down_be);
}

/*
 * Connection-table entries that no longer stand: the backend was deleted
 * (its slot zeroed) or the entry belongs to another service id (a service
 * deleted and re-created): both re-pick through Maglev.
 */
static void case_ct_stale(void)
{
	struct pkt_spec s = tcp4("192.0.2.31", 33334, 80);
	struct xgw_flow_key k = flow_of(&s);
	uint32_t want = expect_be(S_DSR, &s), other = want == 1 ? 2 : 1, id = 5, got_del, got_svc;
	struct xgw_ct_entry ct = { .backend_id = id, .svc_id = S_DSR };
	struct xgw_backend zero = {};
	uint8_t in[PKT_MAX];
	struct timespec ts;
	struct pkt_run r;
	size_t len = pkt_build(&s, in);

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	ct.atime_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	update(skel->maps.xgw_backends, &id, &zero);	/* backend 5 deleted */
	update(skel->maps.xgw_conntrack, &k, &ct);
	pkt_run(prog_xdp(), in, len, 1, &r);
	got_del = out_backend(&r);
	set_backend_flags(id, 0);
	ct.backend_id = other;
	ct.svc_id = S_IPIP4;				/* another service's entry */
	update(skel->maps.xgw_conntrack, &k, &ct);
	pkt_run(prog_xdp(), in, len, 1, &r);
	got_svc = out_backend(&r);
	tap_result(got_del == want && got_svc == want,
		   "stale conntrack: deleted backend -> %u, other service's entry -> %u (maglev %u)",
		   got_del, got_svc, want);
}

/* A VIP's port that is no service: routed as the prefix route says. */
static void case_unknown_port(void)
{
	struct pkt_spec s = tcp4("192.0.2.10", 40000, 8080);
	uint8_t in[PKT_MAX], exp[PKT_MAX];
	struct pkt_counters b, a;
	struct pkt_spec e;
	struct pkt_run r;
	size_t len, elen;
	bool ok;

	len = pkt_build(&s, in);
	e = s;
	e.dmac = RT_MAC;
	e.smac = GW_MAC;
	e.ttl = 63;
	elen = pkt_build(&e, exp);
	read_counters(&b);
	pkt_run(prog_xdp(), in, len, 1, &r);
	read_counters(&a);
	ok = !r.err && r.retval == XDP_REDIRECT && frame_eq(&r, exp, elen);
	ok &= pkt_counters_expect(&b, &a, XGW_FWD, 9, 1, len);
	tap_result(ok, "unknown port on a VIP follows routing (10.0.0.0/24 via router)");
}

static void run_ipip(int sid, struct pkt_spec *s, const char *name)
{
	uint8_t in[PKT_MAX], exp[PKT_MAX + 64];
	struct pkt_counters b, a;
	struct pkt_run r;
	size_t len, elen;
	uint32_t be;
	bool ok;

	len = pkt_build(s, in);
	be = expect_be(sid, s);
	elen = expect_ipip(in, len, s->family, be, exp);
	read_counters(&b);
	pkt_run(prog_xdp(), in, len, 1, &r);
	read_counters(&a);
	ok = !r.err && r.retval == XDP_REDIRECT && frame_eq(&r, exp, elen);
	ok &= pkt_counters_expect(&b, &a, XGW_FWD_LB, BE[be].nh, 1, len);
	tap_result(ok, "ipip %s -> backend %u: outer header and checksum byte for byte", name, be);
}

static void case_ipip(void)
{
	struct pkt_spec s4 = { .family = AF_INET, .src = "192.0.2.40", .dst = "10.0.0.100",
			       .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
			       .payload = 40, .frag = 0x4000 };
	struct pkt_spec s4b = s4;
	struct pkt_spec s46 = tcp4("192.0.2.41", 50000, 443);
	struct pkt_spec s6 = { .family = AF_INET6, .src = "2001:db8:9::10",
			       .dst = "2001:db8::100", .proto = IPPROTO_TCP,
			       .sport = 41000, .dport = 80, .payload = 24 };

	run_ipip(S_IPIP4, &s4, "v4 in v4 (DF copied)");
	s4b.frag = 0;
	s4b.sport = 5354;
	run_ipip(S_IPIP4, &s4b, "v4 in v4 (no DF)");
	run_ipip(S_IPIP6_V4IN, &s46, "v4 in v6");
	run_ipip(S_IPIP6, &s6, "v6 in v6");
	s6.proto = IPPROTO_UDP;
	s6.dport = 53;
	run_ipip(S_IPIP4_V6IN, &s6, "v6 in v4");
}

/* ipip that would exceed the next hop's MTU: handed to the kernel as is. */
static void case_ipip_mtu(void)
{
	struct pkt_spec s = { .family = AF_INET, .src = "192.0.2.42", .dst = "10.0.0.100",
			      .proto = IPPROTO_UDP, .sport = 7000, .dport = 53,
			      .payload = 1500 - 28 - 10 };
	uint8_t in[PKT_MAX];
	struct pkt_counters b, a;
	struct pkt_run r;
	uint32_t be;
	size_t len;
	bool ok;

	len = pkt_build(&s, in);	/* 1490-byte datagram: fits 1500, +20 does not */
	be = expect_be(S_IPIP4, &s);
	read_counters(&b);
	pkt_run(prog_xdp(), in, len, 1, &r);
	read_counters(&a);
	ok = !r.err && r.retval == XDP_PASS && r.out_len == len && !memcmp(r.out, in, len);
	ok &= pkt_counters_expect(&b, &a, XGW_PASS_MTU, 0, 1, len);
	tap_result(ok, "ipip over the MTU of backend %u: PASS frag_needed, frame untouched", be);
}

/*
 * ICMP frag-needed from a router to the VIP, quoting a backend's DSR reply
 * (VIP:80 -> client): goes to the backend that owns the client's flow.
 */
static void case_icmp(int family)
{
	const char *client = family == AF_INET ? "192.0.2.50" : "2001:db8:9::50";
	const char *vip = family == AF_INET ? "10.0.0.100" : "2001:db8::100";
	int sid = family == AF_INET ? S_DSR : S_DSR6;
	uint16_t port = family == AF_INET ? 80 : 443;
	struct pkt_spec fl = { .family = family, .src = client, .dst = vip,
			       .proto = IPPROTO_TCP, .sport = 45678, .dport = port };
	struct pkt_spec reply = { .family = family, .src = vip, .dst = client,
				  .proto = IPPROTO_TCP, .sport = port, .dport = 45678 };
	struct pkt_spec ic = { .family = family,
			       .src = family == AF_INET ? "198.51.100.1" : "2001:db8:7::1",
			       .dst = vip,
			       .proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6,
			       .icmp_type = family == AF_INET ? 3 : 2 };
	uint8_t q[PKT_MAX], in[PKT_MAX], fin[PKT_MAX], exp[PKT_MAX];
	size_t qlen, len, flen, hl = family == AF_INET ? 20 : 40;
	uint32_t want, owner, learnt_be, cold_be;
	struct pkt_run r;
	bool ok;

	/* the quoted reply: its IP header and the first 8 bytes of TCP */
	qlen = pkt_build(&reply, q);
	ic.payload = hl + 8;
	len = pkt_build(&ic, in);
	memcpy(in + 14 + hl + 8, q + 14, hl + 8);
	if (family == AF_INET)
		in[14 + hl + 1] = 4;	/* code: fragmentation needed */
	(void)qlen;

	/* cold: no connection entry, Maglev of the client's flow decides */
	ct_clear();
	want = expect_be(sid, &fl);
	pkt_run(prog_xdp(), in, len, 1, &r);
	cold_be = out_backend(&r);
	ok = !r.err && r.retval == XDP_REDIRECT && cold_be == want && ct_count() == 0;

	/* learnt on another backend (the table changed since): follows it */
	flen = pkt_build(&fl, fin);
	owner = want == SVC[sid].be[0] ? SVC[sid].be[1] : SVC[sid].be[0];
	{
		struct xgw_flow_key k = flow_of(&fl);
		struct xgw_ct_entry ct = { .backend_id = owner, .svc_id = sid };
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
		ct.atime_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
		update(skel->maps.xgw_conntrack, &k, &ct);
	}
	pkt_run(prog_xdp(), fin, flen, 1, &r);
	ok &= out_backend(&r) == owner;
	pkt_run(prog_xdp(), in, len, 1, &r);
	learnt_be = out_backend(&r);
	expect_dsr(&ic, owner, exp, false);
	memcpy(exp + 14 + hl + 8, q + 14, hl + 8);
	if (family == AF_INET) {
		exp[14 + hl + 1] = 4;
	}
	ok &= learnt_be == owner && frame_eq(&r, exp, len);
	tap_result(ok, "icmp%s %s steered: cold -> %u (maglev %u), learnt -> %u (owner %u)",
		   family == AF_INET ? "" : "v6",
		   family == AF_INET ? "frag-needed" : "packet-too-big", cold_be, want,
		   learnt_be, owner);
}

/* A fragment to a service: the kernel reassembles; we pass it. */
static void case_frag(void)
{
	struct pkt_spec s = tcp4("192.0.2.60", 40000, 80);
	struct pkt_spec s2 = s;
	uint8_t in[PKT_MAX];
	struct pkt_counters b, a;
	struct pkt_run r, r2;
	size_t len, len2;
	bool ok;

	s.frag = 0x2000;	/* MF, first fragment: ports visible */
	s2.frag = 0x0010;	/* offset 128, last */
	s2.proto = IPPROTO_TCP;
	len = pkt_build(&s, in);
	read_counters(&b);
	pkt_run(prog_xdp(), in, len, 1, &r);
	len2 = pkt_build(&s2, in);
	pkt_run(prog_xdp(), in, len2, 1, &r2);
	read_counters(&a);
	ok = r.retval == XDP_PASS && r2.retval == XDP_PASS &&
	     a.reason[XGW_PASS_FRAG].packets - b.reason[XGW_PASS_FRAG].packets == 2;
	/* IPv6: a fragment header in front of the first fragment's TCP */
	{
		struct pkt_spec s6 = { .family = AF_INET6, .src = "2001:db8:9::60",
				       .dst = "2001:db8::100", .proto = IPPROTO_TCP,
				       .sport = 40000, .dport = 80, .next = 1,
				       .ext = { IPPROTO_FRAGMENT }, .frag = 1 };

		len = pkt_build(&s6, in);
		read_counters(&b);
		pkt_run(prog_xdp(), in, len, 1, &r);
		read_counters(&a);
		ok &= r.retval == XDP_PASS &&
		      a.reason[XGW_PASS_FRAG].packets - b.reason[XGW_PASS_FRAG].packets == 1;
	}
	tap_result(ok, "fragments to a service: PASS fragment (v4 first and later, v6 first)");
}

/* No usable backend: dropped and counted. */
static void case_no_backend(void)
{
	struct pkt_spec s = tcp4("192.0.2.70", 40000, 80);
	uint8_t in[PKT_MAX];
	struct pkt_counters b, a;
	struct pkt_run r;
	size_t len;
	bool ok;

	s.dst = "10.0.0.101";
	len = pkt_build(&s, in);
	read_counters(&b);
	pkt_run(prog_xdp(), in, len, 1, &r);
	read_counters(&a);
	ok = !r.err && r.retval == XDP_DROP;
	ok &= pkt_counters_expect(&b, &a, XGW_DROP_NO_BACKEND, 0, 1, len);
	tap_result(ok, "service with no usable backend: DROP no_backend, counted");
}

/* UDP entries expire after ct_udp_timeout_s idle. */
static void case_udp_timeout(void)
{
	struct pkt_spec s = { .family = AF_INET, .src = "192.0.2.80", .dst = "10.0.0.100",
			      .proto = IPPROTO_UDP, .sport = 6000, .dport = 53, .payload = 8 };
	struct xgw_flow_key k = flow_of(&s);
	uint32_t want = expect_be(S_IPIP4, &s), other = want == 1 ? 2 : 1, fresh, stale;
	struct xgw_ct_entry ct = { .backend_id = other, .svc_id = S_IPIP4 };
	uint8_t in[PKT_MAX];
	struct timespec ts;
	struct pkt_run r;
	size_t len = pkt_build(&s, in);
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	ct.atime_ns = now - 5000000000ull;	/* 5 s idle: alive */
	update(skel->maps.xgw_conntrack, &k, &ct);
	pkt_run(prog_xdp(), in, len, 1, &r);
	fresh = out_backend(&r);
	ct.atime_ns = now - 31000000000ull;	/* 31 s idle: expired */
	update(skel->maps.xgw_conntrack, &k, &ct);
	pkt_run(prog_xdp(), in, len, 1, &r);
	stale = out_backend(&r);
	tap_result(fresh == other && stale == want,
		   "udp conntrack: 5 s idle kept (%u, want %u), 31 s idle re-picked (%u, want %u)",
		   fresh, other, stale, want);
}

/* Above ct_flood_limit new flows per second per CPU, learning stops. */
static void case_flood(void)
{
	uint32_t zero = 0, i, bad = 0;
	int ncpu = libbpf_num_possible_cpus();
	struct xgw_flood fl[ncpu];
	struct xgw_config cfg = { .layout_version = XGW_LAYOUT_VERSION,
				  .ct_udp_timeout_s = 30, .ct_flood_limit = 5 };
	uint8_t in[PKT_MAX];
	struct pkt_run r;
	unsigned int learnt;

	ct_clear();
	memset(fl, 0, sizeof(fl));
	update(skel->maps.xgw_flood, &zero, fl);
	update(skel->maps.xgw_config, &zero, &cfg);
	for (i = 0; i < 20; i++) {
		struct pkt_spec s = tcp4("192.0.2.90", 20000 + i, 80);
		size_t len = pkt_build(&s, in);

		tcp_flags(in, &s, 0x02);
		pkt_run(prog_xdp(), in, len, 1, &r);
		if (r.retval != XDP_REDIRECT || out_backend(&r) != expect_be(S_DSR, &s))
			bad++;
	}
	learnt = ct_count();
	cfg.ct_flood_limit = 65536;
	update(skel->maps.xgw_config, &zero, &cfg);
	tap_result(learnt == 5 && !bad,
		   "flood limit 5/s: 20 SYNs all forwarded (%u wrong), %u learnt", bad, learnt);
}

/*
 * Over the flood limit a SYN is not learnt, and an older entry for the
 * same tuple (port reuse) must not steer the rest of the connection.
 */
static void case_flood_stale(void)
{
	uint32_t zero = 0, i;
	int ncpu = libbpf_num_possible_cpus();
	struct xgw_flood fl[ncpu];
	struct xgw_config cfg = { .layout_version = XGW_LAYOUT_VERSION,
				  .ct_udp_timeout_s = 30, .ct_flood_limit = 2 };
	struct pkt_spec s = tcp4("192.0.2.91", 21000, 80);
	struct xgw_flow_key k = flow_of(&s);
	uint32_t want = expect_be(S_DSR, &s), other = want == 1 ? 2 : 1, syn_be, ack_be;
	struct xgw_ct_entry ct = { .backend_id = other, .svc_id = S_DSR }, got;
	uint8_t in[PKT_MAX];
	struct pkt_run r;
	size_t len;
	bool gone;

	ct_clear();
	memset(fl, 0, sizeof(fl));
	update(skel->maps.xgw_flood, &zero, fl);
	update(skel->maps.xgw_config, &zero, &cfg);
	for (i = 0; i < 2; i++) {	/* use up this second's learning */
		struct pkt_spec o = tcp4("192.0.2.92", 22000 + i, 80);

		len = pkt_build(&o, in);
		tcp_flags(in, &o, 0x02);
		pkt_run(prog_xdp(), in, len, 1, &r);
	}
	update(skel->maps.xgw_conntrack, &k, &ct);
	len = pkt_build(&s, in);
	tcp_flags(in, &s, 0x02);
	pkt_run(prog_xdp(), in, len, 1, &r);
	syn_be = out_backend(&r);
	gone = bpf_map_lookup_elem(bpf_map__fd(skel->maps.xgw_conntrack), &k, &got) != 0;
	len = pkt_build(&s, in);
	tcp_flags(in, &s, 0x10);
	pkt_run(prog_xdp(), in, len, 1, &r);
	ack_be = out_backend(&r);
	cfg.ct_flood_limit = 65536;
	update(skel->maps.xgw_config, &zero, &cfg);
	tap_result(syn_be == want && ack_be == want && gone,
		   "flood: unlearnt SYN removes a stale entry (syn %u, ack %u, want %u, removed %d)",
		   syn_be, ack_be, want, gone);
}

/* ---- decap ---------------------------------------------------------------------- */

/* @a is one of this host's addresses: what xgw_decap takes tunnels for. */
static void local_mark(int family, const char *a)
{
	struct xgw_route rt = { .action = XGW_RT_LOCAL, .flags = XGW_RT_F_OWN };

	host_set(family, a, &rt);
}

/* Feed an ipip frame made by the encap side (expect_ipip) to xgw_decap. */
static void run_decap(const struct pkt_spec *inner, uint32_t be, const char *name)
{
	uint8_t in[PKT_MAX], enc[PKT_MAX + 64], exp[PKT_MAX];
	size_t len, elen;
	struct pkt_run r;
	bool ok;

	len = pkt_build(inner, in);
	elen = expect_ipip(in, len, inner->family, be, enc);
	/* what the stack should get: the inner frame, MACs of the wire */
	memcpy(exp, enc, 12);
	memcpy(exp + 12, in + 12, len - 12);
	pkt_run(bpf_program__fd(skel->progs.xgw_decap), enc, elen, 1, &r);
	ok = !r.err && r.retval == XDP_PASS && frame_eq(&r, exp, len);
	tap_result(ok, "decap %s: inner frame passed, ethertype fixed", name);
}

static void case_decap(void)
{
	struct pkt_spec v4 = tcp4("192.0.2.10", 40000, 80);
	struct pkt_spec v6 = { .family = AF_INET6, .src = "2001:db8:9::10",
			       .dst = "2001:db8::100", .proto = IPPROTO_TCP,
			       .sport = 41000, .dport = 80, .payload = 24 };
	uint8_t in[PKT_MAX], enc[PKT_MAX + 64];
	struct pkt_counters b, a;
	struct pkt_run r;
	size_t len, elen;
	bool ok;

	local_mark(AF_INET, "10.0.1.1");
	local_mark(AF_INET6, "2001:db8:1::4");
	run_decap(&v4, 1, "v4 in v4");
	run_decap(&v6, 4, "v6 in v6");
	run_decap(&v4, 4, "v4 in v6");
	run_decap(&v6, 1, "v6 in v4");

	/* not for us (backend 2's address is not local): untouched */
	len = pkt_build(&v4, in);
	elen = expect_ipip(in, len, AF_INET, 2, enc);
	pkt_run(bpf_program__fd(skel->progs.xgw_decap), enc, elen, 1, &r);
	ok = r.retval == XDP_PASS && r.out_len == elen && !memcmp(r.out, enc, elen);
	/* says ipip, carries IPv6: dropped, counted */
	elen = expect_ipip(in, len, AF_INET, 1, enc);
	enc[14 + 20] = 0x60;
	read_counters(&b);
	pkt_run(bpf_program__fd(skel->progs.xgw_decap), enc, elen, 1, &r);
	read_counters(&a);
	ok &= r.retval == XDP_DROP &&
	      a.reason[XGW_DROP_DECAP].packets - b.reason[XGW_DROP_DECAP].packets == 1;
	tap_result(ok, "decap: foreign tunnel untouched, malformed inner dropped and counted");

	/* a LOCAL route is not enough: only XGW_RT_F_OWN says "ours" */
	route4_set("10.0.1.0", 24, &(struct xgw_route){ .action = XGW_RT_LOCAL });
	len = pkt_build(&v4, in);
	elen = expect_ipip(in, len, AF_INET, 2, enc);
	pkt_run(bpf_program__fd(skel->progs.xgw_decap), enc, elen, 1, &r);
	ok = !r.err && r.retval == XDP_PASS && r.out_len == elen && !memcmp(r.out, enc, elen);
	run_decap(&v4, 1, "v4 in v4, own /32 inside a LOCAL /24");
	tap_result(ok, "decap: outer destination under a LOCAL route without the own flag untouched");
}

/*
 * Cost of the service path under BPF_PROG_TEST_RUN (diagnostics, not
 * assertions: timing depends on the machine). First packet = SYN, always
 * Maglev plus a connection-table write; established = table hit.
 */
static void measure(void)
{
	struct pkt_spec s = tcp4("192.0.2.99", 44444, 80);
	struct pkt_spec rt = tcp4("192.0.2.99", 44444, 8080);
	uint8_t in[PKT_MAX];
	struct pkt_run r;
	size_t len;
	int i;
	struct { const char *name; struct pkt_spec *s; uint8_t flags; } m[] = {
		{ "service, first packet (SYN: Maglev + learn)", &s, 0x02 },
		{ "service, established flow (conntrack hit)", &s, 0x10 },
		{ "routing, VIP address but no service", &rt, 0x10 },
	};

	for (i = 0; i < 3; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .repeat = 200000);

		len = pkt_build(m[i].s, in);
		tcp_flags(in, m[i].s, m[i].flags);
		pkt_run(prog_xdp(), in, len, 1, &r);	/* learn first */
		o.data_in = in;
		o.data_size_in = len;
		if (!bpf_prog_test_run_opts(prog_xdp(), &o))
			tap_diag("%-45s %u ns/packet", m[i].name, o.duration);
	}
}

int main(void)
{
	cpu_set_t cpus;
	int err;

	/* per-CPU state (flood window, counters) is read on one CPU */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	libbpf_set_print(NULL);
	lo_ifindex = if_nametoindex("lo");
	skel = xgw_bpf__open();
	if (!skel)
		die("open", errno);
	bpf_program__set_autoload(skel->progs.xgw_trace_redirect_err, false);
	bpf_program__set_autoload(skel->progs.xgw_trace_devmap_xmit, false);
	err = xgw_bpf__load(skel);
	if (err)
		die("load (verifier)", err);
	setup_maps();

	case_dsr();
	case_sticky();
	case_ct_after_change();
	case_ct_stale();
	case_unknown_port();
	case_ipip();
	case_ipip_mtu();
	case_icmp(AF_INET);
	case_icmp(AF_INET6);
	case_frag();
	case_no_backend();
	case_udp_timeout();
	case_flood();
	case_flood_stale();
	case_decap();
	measure();
	fib4_skel_close(&fib4);
	xgw_bpf__destroy(skel);
	return tap_finish();
}
