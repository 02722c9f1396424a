// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Load balancer packet tests, dsr and ipip: frames through xgw_xdp /
 * xgw_decap with BPF_PROG_TEST_RUN, output compared byte for byte with
 * frames built here (outer headers and checksums computed from scratch),
 * counters checked; learning, floods, persistence, ICMP errors, the
 * connection-table sweep. The expected backend of a flow is computed
 * independently (lb_lib.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ct.h"
#include "lb_lib.h"
#include "lbhash.h"

enum { S_DSR = 1, S_IPIP4, S_IPIP6_V4IN, S_IPIP6, S_DSR6, S_EMPTY, S_IPIP4_V6IN, S_PERSIST,
       S_MAX };
static const struct lb_svc SVC[S_MAX] = {
	[S_DSR] = { AF_INET, "10.0.0.100", 80, IPPROTO_TCP, XGW_LB_DSR, { 1, 2, 3 } },
	[S_IPIP4] = { AF_INET, "10.0.0.100", 53, IPPROTO_UDP, XGW_LB_IPIP, { 1, 2, 3 } },
	[S_IPIP6_V4IN] = { AF_INET, "10.0.0.100", 443, IPPROTO_TCP, XGW_LB_IPIP, { 4, 5 } },
	[S_IPIP6] = { AF_INET6, "2001:db8::100", 80, IPPROTO_TCP, XGW_LB_IPIP, { 4, 5 } },
	[S_DSR6] = { AF_INET6, "2001:db8::100", 443, IPPROTO_TCP, XGW_LB_DSR, { 4, 5 } },
	[S_EMPTY] = { AF_INET, "10.0.0.101", 80, IPPROTO_TCP, XGW_LB_DSR, { 0 } },
	[S_IPIP4_V6IN] = { AF_INET6, "2001:db8::100", 53, IPPROTO_UDP, XGW_LB_IPIP, { 1, 2, 3 } },
	[S_PERSIST] = { AF_INET, "10.0.0.102", 80, IPPROTO_TCP, XGW_LB_DSR, { 1, 2, 3, 6 },
			.persist_s = 60 },
};

static struct pkt_spec tcp4(const char *src, uint16_t sport, uint16_t dport)
{
	struct pkt_spec s = { .family = AF_INET, .src = src, .dst = "10.0.0.100",
			      .proto = IPPROTO_TCP, .sport = sport, .dport = dport,
			      .payload = 32 };
	return s;
}

/* Set the TCP flags byte of a built frame (the builder sends ACK). */
static void tcp_flags(uint8_t *f, const struct pkt_spec *s, uint8_t flags)
{
	f[pkt_l3_off(s) + (s->family == AF_INET ? 20 : 40) + 13] = flags;
}

static int expect(int sid, const struct pkt_spec *s)
{
	struct xgw_flow_key k = lb_flow(s);

	return lb_expect_host(sid, &k);
}

/* Send the frame @n times; the host of the last output. */
static int send_n(const uint8_t *in, size_t len, int n, struct pkt_run *r)
{
	while (n--)
		pkt_run(lb_prog(), in, len, 1, r);
	return lb_out_host(r);
}

/* DSR: the same frame, MACs of the backend's next hop, TTL one less. */
static size_t expect_dsr(const struct pkt_spec *in, int host, uint8_t *out)
{
	struct pkt_spec e = *in;

	e.dmac = HOST[host].mac;
	e.smac = GW_MAC;
	e.ttl = (in->ttl ? in->ttl : 64) - 1;
	return pkt_build(&e, out);
}

/* ipip: Ethernet + outer header (TTL 63 after the forward) + the inner
 * packet exactly as received. */
static size_t expect_ipip(const uint8_t *in, size_t in_len, int inner_family, int host,
			  uint8_t *out)
{
	const uint8_t *inner = in + 14;
	size_t ilen = in_len - 14;
	uint8_t *o = out + 14;
	size_t olen;

	memcpy(out, HOST[host].mac, 6);
	memcpy(out + 6, GW_MAC, 6);
	if (HOST[host].family == AF_INET) {
		uint32_t s = 0;
		int i;

		olen = 20;
		out[12] = 0x08, out[13] = 0x00;
		memset(o, 0, 20);
		o[0] = 0x45;
		o[1] = inner_family == AF_INET ? inner[1] : (inner[0] << 4 | inner[1] >> 4);
		o[2] = (ilen + 20) >> 8, o[3] = (ilen + 20) & 0xff;
		o[6] = inner_family == AF_INET ? (inner[6] & 0x40) : 0x40;
		o[8] = 63;
		o[9] = inner_family == AF_INET ? 4 : 41;
		inet_pton(AF_INET, HOST[host].src, o + 12);
		inet_pton(AF_INET, HOST[host].addr, o + 16);
		for (i = 0; i < 20; i += 2)
			s += o[i] << 8 | o[i + 1];
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		o[10] = ~s >> 8, o[11] = ~s & 0xff;
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
		inet_pton(AF_INET6, HOST[host].src, o + 8);
		inet_pton(AF_INET6, HOST[host].addr, o + 24);
		memcpy(o + 40, inner, ilen);
	}
	return 14 + olen + ilen;
}

/* ---- cases -------------------------------------------------------------------- */

/*
 * VIP hit, dsr: the frame byte for byte, verdict, reason and LB counters;
 * the first packet is not learnt, the second is.
 */
static void case_dsr(void)
{
	struct pkt_spec s = tcp4("192.0.2.10", 40000, 80);
	struct xgw_flow_key k = lb_flow(&s);
	uint8_t in[PKT_MAX], exp[PKT_MAX];
	struct pkt_counters b, a;
	struct xgw_ct_entry e;
	struct pkt_run r;
	uint64_t p0, bp0;
	size_t len, elen;
	unsigned int after1;
	int host;
	bool ok;

	lb_ct_clear();
	len = pkt_build(&s, in);
	host = expect(S_DSR, &s);
	elen = expect_dsr(&s, host, exp);
	p0 = lb_counter(skel->maps.xgw_svc_stats, S_DSR, 0);
	bp0 = lb_counter(skel->maps.xgw_be_stats, lb_be_id(S_DSR, host), 0);
	lb_read_counters(&b);
	pkt_run(lb_prog(), in, len, 1, &r);
	lb_read_counters(&a);
	after1 = lb_ct_count();
	ok = r.retval == XDP_REDIRECT && lb_frame_eq(&r, exp, elen);
	ok &= pkt_counters_expect(&b, &a, XGW_FWD_LB, host, 1, len);
	ok &= lb_counter(skel->maps.xgw_svc_stats, S_DSR, 0) == p0 + 1;
	ok &= lb_counter(skel->maps.xgw_be_stats, lb_be_id(S_DSR, host), 0) == bp0 + 1;
	pkt_run(lb_prog(), in, len, 1, &r);
	ok &= r.retval == XDP_REDIRECT && lb_frame_eq(&r, exp, elen);
	ok &= after1 == 0 && lb_ct_get(&k, &e) && e.kind == XGW_CT_LB && !e.est &&
	      e.backend_id == lb_be_id(S_DSR, host) && e.svc_id == S_DSR;
	pkt_run(lb_prog(), in, len, 1, &r);
	ok &= r.retval == XDP_REDIRECT && lb_frame_eq(&r, exp, elen);
	ok &= lb_ct_get(&k, &e) && e.est;
	tap_result(ok, "dsr v4: frame to backend %d byte for byte, counted; learnt on the "
		       "second packet (entries after the first: %u), established on the third",
		   host, after1);
}

/*
 * A SYN is never learnt and leaves no mark in xgw_ct_seen; its new
 * connection is counted once per SYN. The handshake's ACK marks the flow,
 * the next packet learns it.
 */
static void case_syn_not_learnt(void)
{
	struct pkt_spec s = tcp4("192.0.2.11", 40001, 80);
	struct xgw_flow_key k = lb_flow(&s);
	uint32_t slot = xgw_flow_hash(&k) % XGW_CT_SEEN_SLOTS, mark = 1, c1, c2;
	uint8_t in[PKT_MAX];
	struct pkt_run r;
	uint64_t nf0 = lb_counter(skel->maps.xgw_svc_stats, S_DSR, 2);
	int fd = bpf_map__fd(skel->maps.xgw_ct_seen);
	size_t len;
	int h1, h2;

	lb_ct_clear();
	bpf_map_update_elem(fd, &slot, &(uint32_t){ 0 }, BPF_ANY);
	len = pkt_build(&s, in);
	tcp_flags(in, &s, 0x02);
	h1 = send_n(in, len, 1, &r);
	h2 = send_n(in, len, 1, &r);
	bpf_map_lookup_elem(fd, &slot, &mark);
	tcp_flags(in, &s, 0x10);
	send_n(in, len, 1, &r);
	c1 = lb_ct_count();
	send_n(in, len, 1, &r);
	c2 = lb_ct_count();
	tap_result(h1 == expect(S_DSR, &s) && h2 == h1 && !mark && c1 == 0 && c2 == 1 &&
			   lb_counter(skel->maps.xgw_svc_stats, S_DSR, 2) == nf0 + 2,
		   "SYN to Maglev's backend %d, twice: nothing learnt, no mark, 2 new flows counted;"
		   " learnt on the second ACK (%u, %u entries)", h1, c1, c2);
}

/* Same flow -> same backend, every packet; many flows -> every backend. */
static void case_sticky(void)
{
	uint8_t in[PKT_MAX];
	unsigned int seen[LB_HOSTS] = {}, i, j, bad = 0;
	struct pkt_run r;

	lb_ct_clear();
	for (i = 0; i < 300; i++) {
		struct pkt_spec s = tcp4("192.0.2.20", 10000 + i, 80);
		size_t len = pkt_build(&s, in);
		int want = expect(S_DSR, &s);

		for (j = 0; j < 4; j++) {
			tcp_flags(in, &s, j == 0 ? 0x02 : 0x10);	/* SYN, then ACKs */
			pkt_run(lb_prog(), in, len, 1, &r);
			if (r.err || r.retval != XDP_REDIRECT || lb_out_host(&r) != want)
				bad++;
		}
		seen[want]++;
	}
	tap_result(!bad && seen[1] && seen[2] && seen[3] && lb_ct_count() == 300,
		   "same flow same backend over 1200 packets (%u wrong); spread %u/%u/%u; "
		   "300 learnt", bad, seen[1], seen[2], seen[3]);
}

/*
 * The backend set changes (the flow's backend leaves the table, as a drain
 * does): an established flow keeps its backend; a SYN re-balances and
 * corrects the entry; a down backend loses its flows.
 */
static void case_ct_after_change(void)
{
	struct pkt_spec s = tcp4("192.0.2.30", 33333, 80);
	struct xgw_flow_key k = lb_flow(&s);
	int first, rest[4] = {}, n = 0, i, now_be, syn_be, after_syn, down_be, want_syn;
	uint8_t in[PKT_MAX];
	struct xgw_ct_entry e;
	struct pkt_run r;
	size_t len;

	lb_ct_clear();
	len = pkt_build(&s, in);
	first = send_n(in, len, 2, &r);
	for (i = 1; i <= 3; i++)
		if (i != first)
			rest[n++] = i;
	lb_publish(S_DSR, rest);		/* table without it */
	want_syn = expect(S_DSR, &s);
	now_be = send_n(in, len, 1, &r);
	tcp_flags(in, &s, 0x02);
	syn_be = send_n(in, len, 1, &r);
	tcp_flags(in, &s, 0x10);
	after_syn = send_n(in, len, 1, &r);
	lb_ct_get(&k, &e);
	/* the flow's new backend goes down: back to Maglev of the full table */
	lb_backend_set(S_DSR, syn_be, XGW_BE_F_DOWN);
	lb_publish(S_DSR, (int[]){ first, 0 });
	down_be = send_n(in, len, 1, &r);
	lb_backend_set(S_DSR, syn_be, 0);
	lb_publish(S_DSR, SVC[S_DSR].hosts);
	tap_result(first && now_be == first && syn_be == want_syn && syn_be != first &&
			   after_syn == syn_be && lb_be_host(e.backend_id) == syn_be &&
			   down_be == first,
		   "conntrack: kept %d after table change (got %d), SYN -> %d and entry follows "
		   "(%d), down -> %d", first, now_be, syn_be, after_syn, down_be);
}

/*
 * Entries that no longer stand: the backend was deleted, the entry's
 * service is not its backend's, the backend id now belongs to another
 * service: each re-picks through Maglev.
 */
static void case_ct_stale(void)
{
	struct pkt_spec s = tcp4("192.0.2.31", 33334, 80);
	struct xgw_flow_key k = lb_flow(&s);
	int want = expect(S_DSR, &s), other = want == 1 ? 2 : 1, got_del, got_svc, got_moved;
	struct xgw_ct_entry ct = { .backend_id = lb_be_id(S_DSR, other), .svc_id = S_DSR,
				   .kind = XGW_CT_LB, .est = 1, .atime = lb_now() };
	uint8_t in[PKT_MAX];
	struct pkt_run r;
	size_t len = pkt_build(&s, in);

	lb_backend_del(S_DSR, other);
	lb_ct_put(&k, &ct);
	got_del = send_n(in, len, 1, &r);
	lb_backend_set(S_DSR, other, 0);
	ct.svc_id = S_IPIP4;		/* the service was re-made under another id */
	lb_ct_put(&k, &ct);
	got_svc = send_n(in, len, 1, &r);
	ct.svc_id = S_DSR;				/* its backend id re-used elsewhere */
	ct.backend_id = lb_be_id(S_IPIP4, other);
	lb_ct_put(&k, &ct);
	got_moved = send_n(in, len, 1, &r);
	tap_result(got_del == want && got_svc == want && got_moved == want,
		   "stale entries: deleted backend -> %d, entry of another service id -> %d, "
		   "backend of another service -> %d (maglev %d)", got_del, got_svc, got_moved,
		   want);
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
	lb_read_counters(&b);
	pkt_run(lb_prog(), in, len, 1, &r);
	lb_read_counters(&a);
	ok = r.retval == XDP_REDIRECT && lb_frame_eq(&r, exp, elen);
	ok &= pkt_counters_expect(&b, &a, XGW_FWD, LB_RT_NH, 1, len);
	tap_result(ok, "unknown port on a VIP follows routing (10.0.0.0/24 via router)");
}

static void run_ipip(int sid, struct pkt_spec *s, const char *name)
{
	uint8_t in[PKT_MAX], exp[PKT_MAX + 64];
	struct pkt_counters b, a;
	struct pkt_run r;
	size_t len, elen;
	int host;
	bool ok;

	len = pkt_build(s, in);
	host = expect(sid, s);
	elen = expect_ipip(in, len, s->family, host, exp);
	lb_read_counters(&b);
	pkt_run(lb_prog(), in, len, 1, &r);
	lb_read_counters(&a);
	ok = r.retval == XDP_REDIRECT && lb_frame_eq(&r, exp, elen);
	ok &= pkt_counters_expect(&b, &a, XGW_FWD_LB, host, 1, len);
	tap_result(ok, "ipip %s -> backend %d: outer header and checksum byte for byte", name,
		   host);
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

/*
 * Established flows take the straight line (xgw_fast4 -> xgw_lb_fast4):
 * the fourth packet of a dsr, ipip-v4 and ipip-v6 flow (learnt by the
 * second, established by the third) leaves byte for byte as the general
 * path would send it, and is counted the same.
 */
static void case_established(void)
{
	struct { int sid; struct pkt_spec s; bool ipip; } t[] = {
		{ S_DSR, tcp4("192.0.2.43", 50001, 80), false },
		{ S_IPIP6_V4IN, tcp4("192.0.2.43", 50002, 443), true },
		{ S_IPIP4, { .family = AF_INET, .src = "192.0.2.43", .dst = "10.0.0.100",
			     .proto = IPPROTO_UDP, .sport = 50003, .dport = 53, .payload = 20 },
		  true },
	};
	uint8_t in[PKT_MAX], exp[PKT_MAX + 64];
	struct pkt_counters b, a;
	struct pkt_run r;
	unsigned int i, bad = 0;

	lb_ct_clear();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len = pkt_build(&t[i].s, in), elen;
		int host = expect(t[i].sid, &t[i].s);

		elen = t[i].ipip ? expect_ipip(in, len, AF_INET, host, exp) :
				   expect_dsr(&t[i].s, host, exp);
		send_n(in, len, 3, &r);
		lb_read_counters(&b);
		pkt_run(lb_prog(), in, len, 1, &r);
		lb_read_counters(&a);
		if (r.retval != XDP_REDIRECT || !lb_frame_eq(&r, exp, elen) ||
		    !pkt_counters_expect(&b, &a, XGW_FWD_LB, host, 1, len))
			bad++;
	}
	tap_result(!bad && lb_ct_count() == 3,
		   "established dsr, ipip (v6 outer, tcp) and ipip (v4 outer, udp) flows: the "
		   "fourth packet byte for byte and counted (%u wrong)", bad);
}

/* XGW_BE_F_SRC_FLOW, computed here from its definition in xgw_shared.h. */
static uint32_t src_flow(const struct pkt_spec *s)
{
	struct xgw_flow_key k = lb_flow(s);
	uint32_t h = k.src[0] ^ k.src[1] ^ k.src[2] ^ k.src[3] ^
		     ((uint32_t)k.sport << 16 | k.dport);

	h ^= h >> 16;
	return (h & 0xffff) % 0xfffe + 1;
}

/*
 * ipip with XGW_BE_F_SRC_FLOW: the outer source keeps the gateway
 * address's first 16 bits (IPv6: 96) and takes the rest from the flow;
 * everything else as plain ipip.
 */
static void case_ipip_src_flow(void)
{
	struct pkt_spec s4 = { .family = AF_INET, .src = "192.0.2.44", .dst = "10.0.0.100",
			       .proto = IPPROTO_UDP, .sport = 5400, .dport = 53, .payload = 20 };
	struct pkt_spec s6 = { .family = AF_INET6, .src = "2001:db8:9::44",
			       .dst = "2001:db8::100", .proto = IPPROTO_TCP,
			       .sport = 41400, .dport = 80, .payload = 20 };
	uint8_t in[PKT_MAX], exp[PKT_MAX + 64];
	uint32_t seen[8], v;
	unsigned int i, j, bad = 0, distinct = 0;
	struct pkt_run r;
	size_t len, elen;
	int host;

	for (i = 1; i <= 5; i++)
		lb_backend_set(i <= 3 ? S_IPIP4 : S_IPIP6, i, XGW_BE_F_SRC_FLOW);
	for (i = 0; i < 8; i++) {
		struct pkt_spec *s = i < 4 ? &s4 : &s6;

		s->sport += 1;
		len = pkt_build(s, in);
		host = expect(i < 4 ? S_IPIP4 : S_IPIP6, s);
		elen = expect_ipip(in, len, s->family, host, exp);
		v = src_flow(s);
		if (i < 4) {		/* 10.0.0.1 -> 10.0.x.y */
			exp[14 + 14] = v >> 8;
			exp[14 + 15] = v & 0xff;
			exp[14 + 10] = exp[14 + 11] = 0;
			{
				uint32_t sum = 0;
				int w;

				for (w = 0; w < 20; w += 2)
					sum += exp[14 + w] << 8 | exp[14 + w + 1];
				while (sum >> 16)
					sum = (sum & 0xffff) + (sum >> 16);
				exp[14 + 10] = ~sum >> 8;
				exp[14 + 11] = ~sum & 0xff;
			}
		} else {		/* 2001:db8::1 -> 2001:db8::<32 bits> */
			exp[14 + 8 + 12] = exp[14 + 8 + 13] = 0;
			exp[14 + 8 + 14] = v >> 8;
			exp[14 + 8 + 15] = v & 0xff;
		}
		pkt_run(lb_prog(), in, len, 1, &r);
		bad += !(r.retval == XDP_REDIRECT && lb_frame_eq(&r, exp, elen));
		seen[i] = v;
		for (j = 0; j < i && seen[j] != v; j++)
			;
		distinct += j == i;
	}
	for (i = 1; i <= 5; i++)
		lb_backend_set(i <= 3 ? S_IPIP4 : S_IPIP6, i, 0);
	tap_result(!bad && distinct >= 6,
		   "ipip with the outer source from the flow: v4 (last 16 bits) and v6 (last 32) "
		   "byte for byte, checksum from scratch; %u distinct sources for 8 flows", distinct);
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
	size_t len;
	bool ok;

	len = pkt_build(&s, in);	/* 1490-byte datagram: fits 1500, +20 does not */
	lb_read_counters(&b);
	pkt_run(lb_prog(), in, len, 1, &r);
	lb_read_counters(&a);
	ok = !r.err && r.retval == XDP_PASS && r.out_len == len && !memcmp(r.out, in, len);
	ok &= pkt_counters_expect(&b, &a, XGW_PASS_MTU, 0, 1, len);
	tap_result(ok, "ipip over the MTU of backend %d: PASS frag_needed, frame untouched",
		   expect(S_IPIP4, &s));
}

/*
 * An ICMP error to @vip from a router, quoting a reply of (@qsrc:@qport ->
 * client:45678), its IP header and @ql4 bytes of TCP, then the next @pad
 * bytes of it as Ethernet padding: frame in @in, returns its length.
 */
static size_t icmp_error_cut(int family, const char *vip, const char *qsrc, uint16_t qport,
			     const char *client, size_t ql4, size_t pad, uint8_t *in)
{
	struct pkt_spec reply = { .family = family, .src = qsrc, .dst = client,
				  .proto = IPPROTO_TCP, .sport = qport, .dport = 45678 };
	struct pkt_spec ic = { .family = family,
			       .src = family == AF_INET ? "198.51.100.1" : "2001:db8:7::1",
			       .dst = vip, .proto = family == AF_INET ? IPPROTO_ICMP :
								  IPPROTO_ICMPV6,
			       .icmp_type = family == AF_INET ? 3 : 2 };
	uint8_t q[PKT_MAX];
	size_t hl = family == AF_INET ? 20 : 40, len;

	lb_build(&reply, q);
	len = lb_build_icmp(&ic, q + 14, hl + ql4, family == AF_INET ? 4 : 0, in);
	memcpy(in + len, q + 14 + hl + ql4, pad);
	return len + pad;
}

static size_t icmp_error(int family, const char *vip, const char *qsrc, uint16_t qport,
			 const char *client, uint8_t *in)
{
	return icmp_error_cut(family, vip, qsrc, qport, client, 8, 0, in);
}

/* Frame @in (@len bytes) forwarded as is to the next hop of MAC @mac: TTL one less. */
static void expect_fwd(const uint8_t *in, size_t len, int family, const uint8_t *mac,
		       uint8_t *exp)
{
	memcpy(exp, in, len);
	memcpy(exp, mac, 6);
	memcpy(exp + 6, GW_MAC, 6);
	if (family == AF_INET) {	/* TTL - 1, header checksum + 0x0100 */
		uint32_t c;

		exp[14 + 8]--;
		c = (exp[24] << 8 | exp[25]) + 0x100;
		c = (c & 0xffff) + (c >> 16);
		exp[24] = c >> 8, exp[25] = c & 0xff;
	} else {
		exp[14 + 7]--;
	}
}

/*
 * ICMP frag-needed from a router to the VIP, quoting a backend's DSR reply
 * (VIP:port -> client): goes, unchanged, to the backend that owns the
 * client's flow; never learnt.
 */
static void case_icmp(int family)
{
	const char *client = family == AF_INET ? "192.0.2.50" : "2001:db8:9::50";
	const char *vip = family == AF_INET ? "10.0.0.100" : "2001:db8::100";
	int sid = family == AF_INET ? S_DSR : S_DSR6;
	uint16_t port = family == AF_INET ? 80 : 443;
	struct pkt_spec fl = { .family = family, .src = client, .dst = vip,
			       .proto = IPPROTO_TCP, .sport = 45678, .dport = port };
	struct xgw_flow_key k = lb_flow(&fl);
	uint8_t in[PKT_MAX], exp[PKT_MAX];
	int want, owner, learnt, cold;
	struct xgw_ct_entry ct = { .svc_id = sid, .kind = XGW_CT_LB, .est = 1 };
	struct pkt_run r;
	size_t len;
	bool ok;

	len = icmp_error(family, vip, vip, port, client, in);
	lb_ct_clear();
	want = expect(sid, &fl);
	pkt_run(lb_prog(), in, len, 1, &r);
	cold = lb_out_host(&r);
	ok = r.retval == XDP_REDIRECT && cold == want && lb_ct_count() == 0;

	/* learnt on another backend (the table changed since): follows it */
	owner = want == SVC[sid].hosts[0] ? SVC[sid].hosts[1] : SVC[sid].hosts[0];
	ct.backend_id = lb_be_id(sid, owner);
	ct.atime = lb_now();
	lb_ct_put(&k, &ct);
	pkt_run(lb_prog(), in, len, 1, &r);
	learnt = lb_out_host(&r);
	expect_fwd(in, len, family, HOST[owner].mac, exp);
	ok &= learnt == owner && lb_frame_eq(&r, exp, len);
	tap_result(ok, "icmp%s %s steered: cold -> %d (maglev %d), learnt -> %d (owner %d)",
		   family == AF_INET ? "" : "v6",
		   family == AF_INET ? "frag-needed" : "packet-too-big", cold, want, learnt, owner);
}

/*
 * An ICMP error sent to VIP A that quotes a packet from VIP B is not A's
 * (nor B's) business: it follows routing to A's address, never B's backend.
 */
static void case_icmp_cross(void)
{
	uint8_t in[PKT_MAX];
	struct pkt_counters b, a;
	struct pkt_run r;
	size_t len;
	bool ok;

	lb_ct_clear();
	len = icmp_error(AF_INET, "10.0.0.100", "10.0.0.102", 80, "192.0.2.51", in);
	lb_read_counters(&b);
	pkt_run(lb_prog(), in, len, 1, &r);
	lb_read_counters(&a);
	ok = r.retval == XDP_REDIRECT && !memcmp(r.out, RT_MAC, 6);
	ok &= pkt_counters_expect(&b, &a, XGW_FWD, LB_RT_NH, 1, len);
	tap_result(ok, "icmp to VIP A quoting VIP B: routed as A's address (router), "
		       "not to B's backend (got %s to %d)", pkt_verdict_name(r.retval),
		   lb_out_host(&r));
}

/*
 * An ICMP error is a VIP's only when what it quotes lies within the error's
 * datagram (RFC 792, 4443: the quote is the message's data): an error whose
 * IP length ends inside the quoted ports, the rest of them in Ethernet
 * padding, or whose quoted IPv6 header is not version 6, is routed as the
 * VIP's address, not sent to the flow's backend.
 */
static void case_icmp_quote_bounds(int family)
{
	const char *client = family == AF_INET ? "192.0.2.52" : "2001:db8:9::52";
	const char *vip = family == AF_INET ? "10.0.0.100" : "2001:db8::100";
	uint16_t port = family == AF_INET ? 80 : 443;
	size_t hl = family == AF_INET ? 20 : 40, len, l4 = 14 + hl;
	uint8_t in[PKT_MAX], exp[PKT_MAX];
	struct pkt_counters b, a;
	struct pkt_run r;
	int bad = 0, i;

	lb_ct_clear();
	for (i = 0; i < 2; i++) {
		if (i == 0) {	/* datagram ends 2 bytes into the quoted ports */
			len = icmp_error_cut(family, vip, vip, port, client, 2, 6, in);
		} else {	/* quoted IPv6 header of version 13 */
			if (family == AF_INET)
				break;
			len = icmp_error(family, vip, vip, port, client, in);
			in[l4 + 8] = (in[l4 + 8] & 0x0f) | 0xd0;
			lb_l4_csum(in, len, 14);
		}
		expect_fwd(in, len, family, RT_MAC, exp);
		lb_read_counters(&b);
		pkt_run(lb_prog(), in, len, 1, &r);
		lb_read_counters(&a);
		if (r.retval != XDP_REDIRECT || !lb_frame_eq(&r, exp, len) ||
		    !pkt_counters_expect(&b, &a, XGW_FWD, LB_RT_NH, 1, len)) {
			tap_diag("%s: %s to host %d", i ? "quoted version 13" : "ports in padding",
				 pkt_verdict_name(r.retval), lb_out_host(&r));
			bad++;
		}
	}
	tap_result(!bad, "icmp%s error quoting the VIP's flow with its ports past the datagram "
			 "(in Ethernet padding)%s: routed as the VIP's address, byte for byte",
		   family == AF_INET ? "" : "v6",
		   family == AF_INET ? "" : ", or a quoted header of version 13");
}

/*
 * A service counts every packet of its flows that reached it, whatever
 * became of it and whether the flow was learnt: three ACKs of one dsr flow
 * with TTL 1 (the next hop refuses them: the first seen, the second
 * learnt, the third through the entry) count three; an ICMP error steered
 * through the entry counts for the service and the backend it was sent
 * to, as does the flow's next packet.
 */
static void case_counts(void)
{
	struct pkt_spec s = tcp4("192.0.2.53", 45678, 80);
	struct xgw_flow_key k = lb_flow(&s);
	uint8_t in[PKT_MAX], ic[PKT_MAX];
	uint64_t p0, by0, b0, p1, b1, p2, b2, n0;
	struct xgw_ct_entry e;
	struct pkt_run r;
	size_t len, ilen;
	int host = expect(S_DSR, &s), i, passed = 0;
	uint32_t be = lb_be_id(S_DSR, host);
	bool ok;

	lb_ct_clear();
	s.ttl = 1;
	len = pkt_build(&s, in);
	p0 = lb_counter(skel->maps.xgw_svc_stats, S_DSR, 0);
	by0 = lb_counter(skel->maps.xgw_svc_stats, S_DSR, 1);
	n0 = lb_counter(skel->maps.xgw_svc_stats, S_DSR, 2);
	b0 = lb_counter(skel->maps.xgw_be_stats, be, 0);
	for (i = 0; i < 3; i++) {
		pkt_run(lb_prog(), in, len, 1, &r);
		passed += r.retval == XDP_PASS && r.out_len == len && !memcmp(r.out, in, len);
	}
	p1 = lb_counter(skel->maps.xgw_svc_stats, S_DSR, 0);
	b1 = lb_counter(skel->maps.xgw_be_stats, be, 0);
	ok = passed == 3 && lb_ct_get(&k, &e) && e.backend_id == be;
	ok &= p1 == p0 + 3 && b1 == b0 &&
	      lb_counter(skel->maps.xgw_svc_stats, S_DSR, 1) == by0 + 3 * len &&
	      lb_counter(skel->maps.xgw_svc_stats, S_DSR, 2) == n0;
	ilen = icmp_error(AF_INET, "10.0.0.100", "10.0.0.100", 80, "192.0.2.53", ic);
	pkt_run(lb_prog(), ic, ilen, 1, &r);
	ok &= r.retval == XDP_REDIRECT && lb_out_host(&r) == host;
	s.ttl = 0;
	len = pkt_build(&s, in);
	pkt_run(lb_prog(), in, len, 1, &r);
	ok &= r.retval == XDP_REDIRECT && lb_out_host(&r) == host;
	p2 = lb_counter(skel->maps.xgw_svc_stats, S_DSR, 0);
	b2 = lb_counter(skel->maps.xgw_be_stats, be, 0);
	ok &= p2 == p1 + 2 && b2 == b1 + 2;
	tap_result(ok, "dsr counters: 3 refused packets of one flow (seen, learnt, entry) count "
		       "%llu for the service, %llu for backend %d; an ICMP error and a packet "
		       "through the entry count %llu and %llu", (unsigned long long)(p1 - p0),
		   (unsigned long long)(b1 - b0), host, (unsigned long long)(p2 - p1),
		   (unsigned long long)(b2 - b1));
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
	len = pkt_build(&s, in);
	lb_read_counters(&b);
	pkt_run(lb_prog(), in, len, 1, &r);
	len2 = pkt_build(&s2, in);
	pkt_run(lb_prog(), in, len2, 1, &r2);
	lb_read_counters(&a);
	ok = r.retval == XDP_PASS && r2.retval == XDP_PASS &&
	     a.reason[XGW_PASS_FRAG].packets - b.reason[XGW_PASS_FRAG].packets == 2;
	{
		struct pkt_spec s6 = { .family = AF_INET6, .src = "2001:db8:9::60",
				       .dst = "2001:db8::100", .proto = IPPROTO_TCP,
				       .sport = 40000, .dport = 80, .next = 1,
				       .ext = { IPPROTO_FRAGMENT }, .frag = 1 };

		len = pkt_build(&s6, in);
		lb_read_counters(&b);
		pkt_run(lb_prog(), in, len, 1, &r);
		lb_read_counters(&a);
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
	lb_read_counters(&b);
	pkt_run(lb_prog(), in, len, 1, &r);
	lb_read_counters(&a);
	ok = !r.err && r.retval == XDP_DROP;
	ok &= pkt_counters_expect(&b, &a, XGW_DROP_NO_BACKEND, 0, 1, len);
	tap_result(ok, "service with no usable backend: DROP no_backend, counted");
}

/* UDP entries expire after ct_udp_timeout_s idle (30 s by default). */
static void case_udp_timeout(void)
{
	struct pkt_spec s = { .family = AF_INET, .src = "192.0.2.80", .dst = "10.0.0.100",
			      .proto = IPPROTO_UDP, .sport = 6000, .dport = 53, .payload = 8 };
	struct xgw_flow_key k = lb_flow(&s);
	int want = expect(S_IPIP4, &s), other = want == 1 ? 2 : 1, fresh, stale;
	struct xgw_ct_entry ct = { .backend_id = lb_be_id(S_IPIP4, other), .svc_id = S_IPIP4,
				   .kind = XGW_CT_LB };
	uint8_t in[PKT_MAX];
	struct pkt_run r;
	size_t len = pkt_build(&s, in);
	uint32_t now = lb_now();

	ct.atime = now - LB_SEC(5);	/* 5 s idle: alive */
	lb_ct_put(&k, &ct);
	fresh = send_n(in, len, 1, &r);
	ct.atime = now - LB_SEC(31);	/* 31 s idle: expired */
	lb_ct_put(&k, &ct);
	stale = send_n(in, len, 1, &r);
	tap_result(fresh == other && stale == want,
		   "udp conntrack: 5 s idle kept (%d, want %d), 31 s idle re-picked (%d, want %d)",
		   fresh, other, stale, want);
}

/*
 * Floods of new flows cannot touch established ones: learn 100 flows,
 * change the backend set (about a third of them would now map elsewhere),
 * then 3000 SYNs, 3000 ACKs and 3000 UDP datagrams of new flows, one
 * packet each: nothing is learnt, each went to Maglev's backend, and every
 * established flow still reaches its own.
 */
static void case_flood(void)
{
	unsigned int i, wrong = 0, moved = 0, remap = 0, learnt, after;
	int owner[100];
	uint8_t in[PKT_MAX];
	struct pkt_run r;

	lb_ct_clear();
	for (i = 0; i < 100; i++) {
		struct pkt_spec s = tcp4("192.0.2.90", 20000 + i, 80);

		owner[i] = send_n(in, pkt_build(&s, in), 2, &r);
	}
	learnt = lb_ct_count();
	lb_publish(S_DSR, (int[]){ 1, 2, 3, 6, 0 });
	lb_backend_set(S_DSR, 6, 0);
	for (i = 0; i < 9000; i++) {	/* three floods, each its own flows */
		static const char *const src[3] = { "192.0.2.94", "192.0.2.95", "192.0.2.96" };
		struct pkt_spec s = tcp4(src[i % 3], 1024 + i / 3, 80);
		size_t len;

		if (i % 3 == 2) {
			s.proto = IPPROTO_UDP;
			s.dport = 53;
		}
		len = pkt_build(&s, in);
		if (i % 3 == 0)
			tcp_flags(in, &s, 0x02);
		pkt_run(lb_prog(), in, len, 1, &r);
		if (lb_out_host(&r) != expect(i % 3 == 2 ? S_IPIP4 : S_DSR, &s) &&
		    !(i % 3 == 2 && r.retval == XDP_REDIRECT))
			wrong++;
	}
	after = lb_ct_count();
	for (i = 0; i < 100; i++) {
		struct pkt_spec s = tcp4("192.0.2.90", 20000 + i, 80);

		moved += send_n(in, pkt_build(&s, in), 1, &r) != owner[i];
		remap += expect(S_DSR, &s) != owner[i];
	}
	lb_backend_del(S_DSR, 6);
	lb_publish(S_DSR, SVC[S_DSR].hosts);
	tap_result(learnt == 100 && after == 100 && !wrong && !moved && remap > 0,
		   "flood of 9000 one-packet flows (SYN, ACK, UDP): %u learnt before, %u after, "
		   "%u misrouted; established flows moved %u (Maglev would move %u)", learnt, after,
		   wrong, moved, remap);
}

/*
 * Persistence: every connection of a client goes to Maglev's backend for
 * the client address; after the table changes the client keeps it for
 * persist_s, then gets the new table's choice.
 */
static void case_persist(void)
{
	struct pkt_spec s = tcp4("192.0.2.93", 30000, 80);
	struct xgw_persist_key pk = { .svc_id = S_PERSIST, .family = AF_INET };
	struct xgw_persist p;
	int want, i, bad = 0, kept, later, moved_to, others[4] = {}, n = 0;
	struct xgw_flow_key k;
	uint8_t in[PKT_MAX];
	struct pkt_run r;
	size_t len;

	s.dst = "10.0.0.102";
	k = lb_flow(&s);
	want = lb_expect_host(S_PERSIST, &k);
	for (i = 0; i < 20; i++) {
		s.sport = 30000 + i;
		len = pkt_build(&s, in);
		tcp_flags(in, &s, 0x02);
		bad += send_n(in, len, 1, &r) != want;
	}
	for (i = 0; SVC[S_PERSIST].hosts[i]; i++)
		if (SVC[S_PERSIST].hosts[i] != want)
			others[n++] = SVC[S_PERSIST].hosts[i];
	lb_publish(S_PERSIST, others);	/* its backend leaves the table, stays up */
	s.sport = 31000;
	len = pkt_build(&s, in);
	tcp_flags(in, &s, 0x02);
	kept = send_n(in, len, 1, &r);
	lb_addr(AF_INET, "192.0.2.93", pk.addr);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.xgw_persist), &pk, &p))
		p.backend_id = 0;
	p.atime = lb_now() - LB_SEC(61);	/* the client went quiet for 61 s */
	bpf_map_update_elem(bpf_map__fd(skel->maps.xgw_persist), &pk, &p, BPF_ANY);
	s.sport = 31001;
	len = pkt_build(&s, in);
	tcp_flags(in, &s, 0x02);
	later = send_n(in, len, 1, &r);
	moved_to = lb_expect_host(S_PERSIST, &k);
	lb_publish(S_PERSIST, SVC[S_PERSIST].hosts);
	tap_result(!bad && kept == want && later == moved_to && later != want,
		   "persistence: 20 connections of one client -> %d (Maglev on the client), "
		   "%d after a table change, %d once 61 s quiet (new table: %d)", want, kept,
		   later, moved_to);
}

/* An IPv6 link-local source never reaches a backend (RFC 4291 2.5.6). */
static void case_link_local(void)
{
	struct pkt_spec s = { .family = AF_INET6, .src = "fe80::1", .dst = "2001:db8::100",
			      .proto = IPPROTO_TCP, .sport = 41000, .dport = 443, .payload = 8 };
	uint8_t in[PKT_MAX];
	struct pkt_run r;
	size_t len = pkt_build(&s, in);

	lb_ct_clear();
	pkt_run(lb_prog(), in, len, 1, &r);
	tap_result(r.retval != XDP_REDIRECT && !lb_out_host(&r) && !lb_ct_count(),
		   "link-local source to an IPv6 VIP: %s, no backend, nothing learnt",
		   pkt_verdict_name(r.retval));
}

/*
 * The sweep (common/ct.c): an entry is deleted once it outlived its
 * timeout by XGW_CT_SWEEP_MARGIN_S, never before; TCP state picks the
 * timeout.
 */
static void case_sweep(void)
{
	struct {
		uint32_t age_s;
		uint8_t proto, est, fin, rst;
		bool gone;
	} t[] = {
		{ 3000, IPPROTO_TCP, 1, 0, 0, false },	/* established: 3600 s */
		{ 3603, IPPROTO_TCP, 1, 0, 0, true },
		{ 25, IPPROTO_UDP, 0, 0, 0, false },	/* udp: 30 s */
		{ 33, IPPROTO_UDP, 0, 0, 0, true },
		{ 59, IPPROTO_TCP, 1, 1, 0, false },	/* fin: 60 s (+2) */
		{ 61, IPPROTO_TCP, 1, 1, 0, false },
		{ 63, IPPROTO_TCP, 1, 1, 0, true },
		{ 11, IPPROTO_TCP, 1, 0, 1, false },	/* rst: 10 s */
		{ 13, IPPROTO_TCP, 1, 0, 1, true },
	};
	int fd = bpf_map__fd(skel->maps.xgw_conntrack), bad = 0;
	struct xgw_ct_sweep st;
	uint32_t now, i;

	lb_ct_clear();
	now = lb_now();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct xgw_flow_key k = { .sport = htons(1000 + i), .dport = htons(80),
					  .proto = t[i].proto, .family = AF_INET };
		struct xgw_ct_entry e = { .backend_id = lb_be_id(S_DSR, 1), .svc_id = S_DSR,
					  .kind = XGW_CT_LB, .est = t[i].est,
					  .fin_orig = t[i].fin, .rst = t[i].rst,
					  .atime = now - LB_SEC(t[i].age_s) };

		lb_ct_put(&k, &e);
	}
	if (xgw_ct_sweep(fd, &(struct xgw_config){ .hz = LB_HZ }, now, &st))
		bad++;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct xgw_flow_key k = { .sport = htons(1000 + i), .dport = htons(80),
					  .proto = t[i].proto, .family = AF_INET };
		struct xgw_ct_entry e;

		if (lb_ct_get(&k, &e) == t[i].gone) {
			tap_diag("entry %u (age %u s): %s", i, t[i].age_s,
				 t[i].gone ? "kept" : "deleted");
			bad++;
		}
	}
	tap_result(!bad && st.entries == 9 && st.deleted == 4,
		   "sweep: tcp/udp/fin/rst entries deleted past timeout + margin only "
		   "(%llu looked at, %llu deleted)", (unsigned long long)st.entries,
		   (unsigned long long)st.deleted);
}

/* The clock the sweep and the tests use is the datapath's jiffies at a known HZ. */
static void case_clock(void)
{
	struct xgw_clock c;
	__u64 j0, j1, n0, n1;
	__u32 hz = 0;
	double rate;
	int err;

	err = xgw_clock_open(&c);
	if (!err)
		err = xgw_clock_hz(&c, 500, &hz);
	if (!err)
		err = xgw_clock_now(&c, &j0, &n0);
	if (!err) {
		usleep(300000);
		err = xgw_clock_now(&c, &j1, &n1);
	}
	rate = err ? 0 : (double)(j1 - j0) * 1e9 / (double)(n1 - n0);
	if (!err)
		xgw_clock_close(&c);
	tap_result(!err && hz >= 24 && rate > hz * 0.8 && rate < hz * 1.2,
		   "clock: HZ %u, jiffies advance at %.0f/s", hz, rate);
}

/* ---- decap ---------------------------------------------------------------------- */

/* @a is one of this host's addresses: what xgw_decap takes tunnels for. */
static void local_mark(int family, const char *a)
{
	struct xgw_route rt = { .action = XGW_RT_LOCAL, .flags = XGW_RT_F_OWN };

	lb_host_entry(family, a, &rt);
}

/* Feed an ipip frame made by the encap side (expect_ipip) to xgw_decap. */
static void run_decap(const struct pkt_spec *inner, int host, const char *name)
{
	uint8_t in[PKT_MAX], enc[PKT_MAX + 64], exp[PKT_MAX];
	size_t len, elen;
	struct pkt_run r;
	bool ok;

	len = pkt_build(inner, in);
	elen = expect_ipip(in, len, inner->family, host, enc);
	/* what the stack should get: the inner frame, MACs of the wire */
	memcpy(exp, enc, 12);
	memcpy(exp + 12, in + 12, len - 12);
	pkt_run(bpf_program__fd(skel->progs.xgw_decap), enc, elen, 1, &r);
	ok = r.retval == XDP_PASS && lb_frame_eq(&r, exp, len);
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

	/* not for us (host 2's address is not local): untouched */
	len = pkt_build(&v4, in);
	elen = expect_ipip(in, len, AF_INET, 2, enc);
	pkt_run(bpf_program__fd(skel->progs.xgw_decap), enc, elen, 1, &r);
	ok = r.retval == XDP_PASS && r.out_len == elen && !memcmp(r.out, enc, elen);
	/* says ipip, carries IPv6: dropped, counted */
	elen = expect_ipip(in, len, AF_INET, 1, enc);
	enc[14 + 20] = 0x60;
	lb_read_counters(&b);
	pkt_run(bpf_program__fd(skel->progs.xgw_decap), enc, elen, 1, &r);
	lb_read_counters(&a);
	ok &= r.retval == XDP_DROP &&
	      a.reason[XGW_DROP_DECAP].packets - b.reason[XGW_DROP_DECAP].packets == 1;
	tap_result(ok, "decap: foreign tunnel untouched, malformed inner dropped and counted");

	/* a LOCAL route is not enough: only XGW_RT_F_OWN says "ours" */
	lb_route4("10.0.1.0", 24, &(struct xgw_route){ .action = XGW_RT_LOCAL });
	len = pkt_build(&v4, in);
	elen = expect_ipip(in, len, AF_INET, 2, enc);
	pkt_run(bpf_program__fd(skel->progs.xgw_decap), enc, elen, 1, &r);
	ok = !r.err && r.retval == XDP_PASS && r.out_len == elen && !memcmp(r.out, enc, elen);
	run_decap(&v4, 1, "v4 in v4, own /32 inside a LOCAL /24");
	tap_result(ok, "decap: outer destination under a LOCAL route without the own flag untouched");
}

int main(void)
{
	int s;

	lb_setup();
	for (s = 1; s < S_MAX; s++)
		lb_service(s, &SVC[s]);

	case_dsr();
	case_syn_not_learnt();
	case_sticky();
	case_ct_after_change();
	case_ct_stale();
	case_unknown_port();
	case_ipip();
	case_established();
	case_ipip_src_flow();
	case_ipip_mtu();
	case_icmp(AF_INET);
	case_icmp(AF_INET6);
	case_icmp_cross();
	case_icmp_quote_bounds(AF_INET);
	case_icmp_quote_bounds(AF_INET6);
	case_counts();
	case_frag();
	case_no_backend();
	case_udp_timeout();
	case_flood();
	case_persist();
	case_link_local();
	case_sweep();
	case_clock();
	case_decap();
	lb_teardown();
	return tap_finish();
}
