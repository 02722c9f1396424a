// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Full NAT packet tests: both directions of TCP and UDP flows over IPv4 and
 * IPv6, ICMP errors quoting either direction, source pools, port
 * exhaustion, TCP state and the sweep's timeouts. Every output frame is
 * compared byte for byte with one built here from the expected addresses
 * and ports, all checksums (IP, TCP/UDP, quoted headers, ICMP) computed
 * from scratch: the datapath's incremental updates must land on the same
 * bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ct.h"
#include "lb_lib.h"

enum { S_NAT4 = 1, S_NAT4U, S_NAT6, S_NAT6U, S_POOL, S_ONE, S_MAX };
static const struct lb_svc SVC[S_MAX] = {
	[S_NAT4] = { AF_INET, "10.0.0.110", 80, IPPROTO_TCP, XGW_LB_NAT, { 1, 2, 3 },
		     .be_port = 8080 },
	[S_NAT4U] = { AF_INET, "10.0.0.110", 53, IPPROTO_UDP, XGW_LB_NAT, { 1, 2, 3 } },
	[S_NAT6] = { AF_INET6, "2001:db8::110", 80, IPPROTO_TCP, XGW_LB_NAT, { 4, 5 },
		     .be_port = 8080 },
	[S_NAT6U] = { AF_INET6, "2001:db8::110", 53, IPPROTO_UDP, XGW_LB_NAT, { 4, 5 } },
	[S_POOL] = { AF_INET, "10.0.0.111", 80, IPPROTO_TCP, XGW_LB_NAT, { 1, 2, 3 },
		     .snat_first = 7, .snat_n = 2 },
	[S_ONE] = { AF_INET, "10.0.0.112", 80, IPPROTO_TCP, XGW_LB_NAT, { 6 } },
};
static const char *const POOL[2] = { "198.51.100.10", "198.51.100.11" };

#define SYN	0x02
#define ACK	0x10
#define FIN	0x01
#define RST	0x04
#define PSH	0x08

/* A flow as the client sees it, and what the gateway made of it. */
struct flow {
	int sid, host;
	struct pkt_spec c;		/* client -> VIP */
	char snat[64];			/* the gateway's address and port it got */
	uint16_t sport;
	const char *baddr;		/* backend address and port */
	uint16_t bport;
};

static size_t build(const struct pkt_spec *s, uint8_t flags, uint8_t *buf)
{
	size_t len = pkt_build(s, buf);

	if (s->proto == IPPROTO_TCP)
		buf[pkt_l3_off(s) + (s->family == AF_INET ? 20 : 40) + 13] = flags;
	lb_l4_csum(buf, len, pkt_l3_off(s));
	return len;
}

static struct flow flow_new(int sid, const char *client, uint16_t cport, int payload)
{
	struct flow f = { .sid = sid };
	const struct lb_svc *v = &SVC[sid];
	struct xgw_flow_key k;

	f.c = (struct pkt_spec){ .family = v->family, .src = client, .dst = v->vip,
				 .proto = v->proto, .sport = cport, .dport = v->port,
				 .payload = payload };
	k = lb_flow(&f.c);
	f.host = lb_expect_host(sid, &k);
	f.baddr = HOST[f.host].addr;
	f.bport = v->be_port ? v->be_port : v->port;
	return f;
}

/* After the first packet: the source the gateway gave @f, from its entries. */
static bool flow_learn(struct flow *f)
{
	struct xgw_flow_key k = lb_flow(&f->c), rk = { .proto = k.proto, .family = k.family };
	struct xgw_ct_entry o, r;
	__be32 b[4];

	if (!lb_ct_get(&k, &o) || o.kind != XGW_CT_NAT_ORIG)
		return false;
	inet_ntop(f->c.family, o.nat_src, f->snat, sizeof(f->snat));
	f->sport = ntohs(o.nat_sport);
	memcpy(rk.src, o.nat_dst, 16);
	memcpy(rk.dst, o.nat_src, 16);
	rk.sport = o.nat_dport;
	rk.dport = o.nat_sport;
	lb_addr(f->c.family, f->baddr, b);
	return lb_ct_get(&rk, &r) && r.kind == XGW_CT_NAT_REPLY && !memcmp(o.nat_dst, b, 16) &&
	       ntohs(o.nat_dport) == f->bport && !memcmp(r.nat_src, k.dst, 16) &&
	       !memcmp(r.nat_dst, k.src, 16) && r.nat_sport == k.dport &&
	       r.nat_dport == k.sport && o.backend_id == lb_be_id(f->sid, f->host);
}

/* The client's packet as it must leave towards the backend. */
static struct pkt_spec to_backend(const struct flow *f)
{
	struct pkt_spec e = f->c;

	e.src = f->snat;
	e.sport = f->sport;
	e.dst = f->baddr;
	e.dport = f->bport;
	e.ttl = 63;
	e.dmac = HOST[f->host].mac;
	e.smac = GW_MAC;
	return e;
}

/* The backend's reply as it arrives, and as it must leave towards the client. */
static struct pkt_spec reply_in(const struct flow *f, int payload)
{
	struct pkt_spec r = { .family = f->c.family, .src = f->baddr, .dst = f->snat,
			      .proto = f->c.proto, .sport = f->bport, .dport = f->sport,
			      .payload = payload };
	return r;
}

static struct pkt_spec to_client(const struct flow *f, int payload)
{
	struct pkt_spec e = { .family = f->c.family, .src = f->c.dst, .dst = f->c.src,
			      .proto = f->c.proto, .sport = f->c.dport, .dport = f->c.sport,
			      .payload = payload, .ttl = 63, .dmac = RT_MAC, .smac = GW_MAC };
	return e;
}

/* Send @in; compare with @exp; counters: FWD_LB at next hop @nh. */
static bool check(const struct pkt_spec *in, uint8_t flags, const struct pkt_spec *exp,
		  uint32_t nh)
{
	uint8_t i[PKT_MAX], e[PKT_MAX];
	size_t ilen = build(in, flags, i), elen = build(exp, flags, e);
	struct pkt_counters b, a;
	struct pkt_run r;
	bool ok;

	lb_read_counters(&b);
	pkt_run(lb_prog(), i, ilen, 1, &r);
	lb_read_counters(&a);
	ok = r.retval == XDP_REDIRECT && lb_frame_eq(&r, e, elen);
	return ok & pkt_counters_expect(&b, &a, XGW_FWD_LB, nh, 1, ilen);
}

/* Open @f with @flags (SYN for TCP): the first packet makes both entries. */
static bool flow_open(struct flow *f, uint8_t flags)
{
	uint8_t in[PKT_MAX];
	struct pkt_run r;
	size_t len = build(&f->c, flags, in);
	struct pkt_spec e;
	uint8_t exp[PKT_MAX];
	size_t elen;
	bool ok;

	pkt_run(lb_prog(), in, len, 1, &r);
	if (r.retval != XDP_REDIRECT || !flow_learn(f)) {
		tap_diag("flow not opened: %s, entries %s", pkt_verdict_name(r.retval),
			 flow_learn(f) ? "fine" : "wrong");
		return false;
	}
	e = to_backend(f);
	elen = build(&e, flags, exp);
	ok = lb_frame_eq(&r, exp, elen);
	return ok;
}

/* ---- cases -------------------------------------------------------------------- */

/* A TCP flow both ways: handshake, data, checksums from scratch, counters. */
static void case_tcp(int sid, const char *client, const char *name)
{
	struct flow f = flow_new(sid, client, 40000, 0);
	struct pkt_spec d, rin;
	uint32_t min = XGW_NAT_PORT_MIN_DEFAULT, max = XGW_NAT_PORT_MAX_DEFAULT;
	bool ok;

	lb_ct_clear();
	ok = flow_open(&f, SYN);
	ok &= f.sport >= min && f.sport <= max && !strcmp(f.snat, HOST[f.host].src);
	rin = reply_in(&f, 0);
	d = to_client(&f, 0);
	ok &= check(&rin, SYN | ACK, &d, LB_RT_NH);			/* SYN-ACK */
	d = to_backend(&f);
	ok &= check(&f.c, ACK, &d, f.host);				/* ACK */
	f.c.payload = 333;
	d = to_backend(&f);
	ok &= check(&f.c, ACK | PSH, &d, f.host);			/* data */
	f.c.payload = 0;
	rin = reply_in(&f, 1000);
	d = to_client(&f, 1000);
	ok &= check(&rin, ACK | PSH, &d, LB_RT_NH);			/* reply data */
	ok &= lb_ct_count() == 2;
	tap_result(ok, "nat %s tcp: SYN, SYN-ACK, ACK, data both ways: %s:%u -> %s:%u via "
		       "%s:%u, byte for byte, checksums from scratch", name, client, 40000,
		   f.baddr, f.bport, f.snat, f.sport);
}

static void case_udp(int sid, const char *client, const char *name, bool zero_csum)
{
	struct flow f = flow_new(sid, client, 5353, 48);
	uint8_t in[PKT_MAX], exp[PKT_MAX];
	struct pkt_spec d, rin;
	struct pkt_run r;
	size_t len, elen;
	bool ok;

	lb_ct_clear();
	ok = flow_open(&f, 0);
	rin = reply_in(&f, 200);
	d = to_client(&f, 200);
	ok &= check(&rin, 0, &d, LB_RT_NH);
	if (zero_csum) {	/* IPv4 UDP without checksum: stays without */
		len = build(&f.c, 0, in);
		in[14 + 20 + 6] = in[14 + 20 + 7] = 0;
		d = to_backend(&f);
		elen = build(&d, 0, exp);
		exp[14 + 20 + 6] = exp[14 + 20 + 7] = 0;
		pkt_run(lb_prog(), in, len, 1, &r);
		ok &= r.retval == XDP_REDIRECT && lb_frame_eq(&r, exp, elen);
	}
	tap_result(ok, "nat %s udp: both ways byte for byte%s", name,
		   zero_csum ? ", a zero checksum stays zero" : "");
}

/*
 * ICMP errors: from a router on the client's side to the VIP, quoting the
 * gateway's reply (VIP -> client), it reaches the backend as an error about
 * the backend's own packet (backend -> gateway address), from the gateway
 * address; from a router on the backend's side to the gateway address,
 * quoting the translated client packet, it reaches the client as an error
 * about the client's own packet, from the VIP. @qlen: quoted L4 bytes; @pad:
 * the quoted packet's next bytes as Ethernet padding after the error, which
 * are not the error's (RFC 792, 4443) and leave as they came, a TCP/UDP
 * checksum there untranslated and outside the ICMP checksum. Both errors
 * count for the service and the backend.
 */
static void case_icmp(int sid, const char *client, const char *name, size_t ql4, size_t pad)
{
	struct flow f = flow_new(sid, client, 41000, 40);
	bool v4 = f.c.family == AF_INET;
	const char *router = v4 ? "198.51.100.1" : "2001:db8:7::1";
	size_t hl = v4 ? 20 : 40, len, elen;
	uint8_t q[PKT_MAX], eq[PKT_MAX], in[PKT_MAX], exp[PKT_MAX];
	struct pkt_spec qs, eqs, ic, eic;
	uint8_t type = v4 ? 3 : 1, code = v4 ? 3 : 4;	/* port unreachable */
	struct pkt_counters b, a;
	struct pkt_run r;
	uint64_t sp, bp;
	uint32_t be;
	bool ok;

	lb_ct_clear();
	ok = flow_open(&f, f.c.proto == IPPROTO_TCP ? SYN : 0);
	be = lb_be_id(sid, f.host);
	sp = lb_counter(skel->maps.xgw_svc_stats, sid, 0);
	bp = lb_counter(skel->maps.xgw_be_stats, be, 0);
	/* client side: the error quotes VIP -> client */
	qs = to_client(&f, 40);
	build(&qs, ACK, q);
	ic = (struct pkt_spec){ .family = f.c.family, .src = router, .dst = f.c.dst,
				.proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, .icmp_type = type };
	len = lb_build_icmp(&ic, q + 14, hl + ql4, code, in);
	memcpy(in + len, q + 14 + hl + ql4, pad);
	len += pad;
	eqs = reply_in(&f, 40);
	eqs.ttl = 63;
	build(&eqs, ACK, eq);
	eic = ic;
	eic.src = f.snat;
	eic.dst = f.baddr;
	eic.ttl = 63;
	eic.dmac = HOST[f.host].mac;
	eic.smac = GW_MAC;
	elen = lb_build_icmp(&eic, eq + 14, hl + ql4, code, exp);
	memcpy(exp + elen, q + 14 + hl + ql4, pad);
	elen += pad;
	lb_read_counters(&b);
	pkt_run(lb_prog(), in, len, 1, &r);
	lb_read_counters(&a);
	ok &= r.retval == XDP_REDIRECT && lb_frame_eq(&r, exp, elen);
	ok &= pkt_counters_expect(&b, &a, XGW_FWD_LB, f.host, 1, len);
	/* backend side: the error quotes gateway address -> backend */
	qs = to_backend(&f);
	qs.payload = 40;
	build(&qs, ACK, q);
	ic.dst = f.snat;
	len = lb_build_icmp(&ic, q + 14, hl + ql4, code, in);
	memcpy(in + len, q + 14 + hl + ql4, pad);
	len += pad;
	eqs = f.c;
	eqs.payload = 40;
	eqs.ttl = 63;
	build(&eqs, ACK, eq);
	eic = ic;
	eic.src = f.c.dst;
	eic.dst = f.c.src;
	eic.ttl = 63;
	eic.dmac = RT_MAC;
	eic.smac = GW_MAC;
	elen = lb_build_icmp(&eic, eq + 14, hl + ql4, code, exp);
	memcpy(exp + elen, q + 14 + hl + ql4, pad);
	elen += pad;
	pkt_run(lb_prog(), in, len, 1, &r);
	ok &= r.retval == XDP_REDIRECT && lb_frame_eq(&r, exp, elen);
	ok &= lb_counter(skel->maps.xgw_svc_stats, sid, 0) == sp + 2 &&
	      lb_counter(skel->maps.xgw_be_stats, be, 0) == bp + 2;
	tap_result(ok, "nat %s: ICMP errors quoting either direction translated (%zu quoted L4 "
		       "bytes%s), checksums from scratch, counted", name, ql4,
		   pad ? ", the rest in Ethernet padding left alone" : "");
}

/*
 * A packet whose new UDP checksum computes to zero: IPv6 receivers drop a
 * zero UDP checksum (RFC 8200 8.1), so it leaves as 0xffff, both ways. One
 * payload word of an established flow's packet is chosen to make it so.
 */
static void case_udp_zero_sum(int sid, const char *client, const char *name)
{
	struct flow f = flow_new(sid, client, 5454, 48);
	struct pkt_spec ins[2], outs[2];
	int i, hits = 0;
	bool ok;

	lb_ct_clear();
	ok = flow_open(&f, 0);
	ins[0] = f.c, outs[0] = to_backend(&f);
	ins[1] = reply_in(&f, 48), outs[1] = to_client(&f, 48);
	for (i = 0; i < 2; i++) {
		uint8_t in[PKT_MAX], exp[PKT_MAX];
		size_t len = build(&ins[i], 0, in), elen = build(&outs[i], 0, exp);
		size_t l4 = pkt_l3_off(&ins[i]) + (f.c.family == AF_INET ? 20 : 40);
		struct pkt_run r;
		uint16_t c;

		exp[l4 + 8] = exp[l4 + 9] = 0;
		lb_l4_csum(exp, elen, 14);
		c = exp[l4 + 6] << 8 | exp[l4 + 7];
		/* the word that makes the sum 0xffff: the checksum without it */
		exp[l4 + 8] = in[l4 + 8] = c >> 8;
		exp[l4 + 9] = in[l4 + 9] = c & 0xff;
		lb_l4_csum(exp, elen, 14);
		lb_l4_csum(in, len, 14);
		pkt_run(lb_prog(), in, len, 1, &r);
		ok &= exp[l4 + 6] == 0xff && exp[l4 + 7] == 0xff;
		ok &= r.retval == XDP_REDIRECT && lb_frame_eq(&r, exp, elen);
		hits += r.retval == XDP_REDIRECT && r.out_len == elen && r.out[l4 + 6] == 0xff &&
			r.out[l4 + 7] == 0xff;
	}
	tap_result(ok, "nat %s udp: a checksum that computes to 0 leaves as 0xffff (RFC 768, "
		       "8200 8.1), to the backend and to the client (%d of 2)", name, hits);
}

/* Service @sid's packets and new flows, backend @be's packets. */
static void counts(int sid, uint32_t be, uint64_t c[3])
{
	c[0] = lb_counter(skel->maps.xgw_svc_stats, sid, 0);
	c[1] = lb_counter(skel->maps.xgw_svc_stats, sid, 2);
	c[2] = lb_counter(skel->maps.xgw_be_stats, be, 0);
}

/*
 * Counters: a service counts every packet that reached it, whatever became
 * of it, its backend what was sent to it, and a new flow only when a
 * mapping is made. A first packet the next hop refuses (TTL 1) makes no
 * mapping: no new flow; a refused packet of an established flow, either
 * direction, counts for the service alone.
 */
static void case_counts(void)
{
	struct flow f = flow_new(S_NAT4, "192.0.2.14", 46000, 0);
	uint32_t be = lb_be_id(S_NAT4, f.host);
	uint64_t c[4][3];
	struct pkt_spec rin;
	uint8_t in[PKT_MAX];
	struct pkt_run r;
	bool ok = true;

	lb_ct_clear();
	counts(S_NAT4, be, c[0]);
	f.c.ttl = 1;
	pkt_run(lb_prog(), in, build(&f.c, SYN, in), 1, &r);
	ok &= r.retval == XDP_PASS && lb_ct_count() == 0;
	counts(S_NAT4, be, c[1]);
	f.c.ttl = 0;
	ok &= flow_open(&f, SYN);
	counts(S_NAT4, be, c[2]);
	f.c.ttl = 1;
	pkt_run(lb_prog(), in, build(&f.c, ACK, in), 1, &r);
	ok &= r.retval == XDP_PASS;
	f.c.ttl = 0;
	rin = reply_in(&f, 0);
	rin.ttl = 1;
	pkt_run(lb_prog(), in, build(&rin, SYN | ACK, in), 1, &r);
	ok &= r.retval == XDP_PASS;
	counts(S_NAT4, be, c[3]);
	ok &= c[1][0] == c[0][0] + 1 && c[1][1] == c[0][1] && c[1][2] == c[0][2];
	ok &= c[2][0] == c[1][0] + 1 && c[2][1] == c[1][1] + 1 && c[2][2] == c[1][2] + 1;
	ok &= c[3][0] == c[2][0] + 2 && c[3][1] == c[2][1] && c[3][2] == c[2][2];
	tap_result(ok, "nat counters: a refused first packet counts for the service, %llu new "
		       "flows; a mapping made counts %llu; refused packets of the flow both ways "
		       "count %llu for the service, %llu for the backend",
		   (unsigned long long)(c[1][1] - c[0][1]), (unsigned long long)(c[2][1] - c[1][1]),
		   (unsigned long long)(c[3][0] - c[2][0]), (unsigned long long)(c[3][2] - c[2][2]));
}

/* Sources from the service's pool; replies to pool addresses come back. */
static void case_pool(void)
{
	int seen[2] = { 0, 0 }, i, bad = 0;

	lb_ct_clear();
	for (i = 0; i < 40; i++) {
		struct flow f = flow_new(S_POOL, "192.0.2.30", 42000 + i, 0);
		struct pkt_spec rin, d;

		if (!flow_open(&f, SYN)) {
			bad++;
			continue;
		}
		if (!strcmp(f.snat, POOL[0]))
			seen[0]++;
		else if (!strcmp(f.snat, POOL[1]))
			seen[1]++;
		else
			bad++;
		rin = reply_in(&f, 0);
		d = to_client(&f, 0);
		bad += !check(&rin, SYN | ACK, &d, LB_RT_NH);
	}
	tap_result(!bad && seen[0] && seen[1],
		   "nat pool: 40 flows from %s (%d) and %s (%d), replies to both come back",
		   POOL[0], seen[0], POOL[1], seen[1]);
}

/*
 * Ports run out: with 4 source ports, 4 flows to the one backend get them
 * all, the 5th is dropped and counted, the 4 live mappings are untouched;
 * once one flow has expired and been swept, the 5th gets its port.
 */
static void case_exhaustion(void)
{
	struct flow f[5];
	uint8_t in[PKT_MAX];
	struct pkt_counters b, a;
	struct pkt_run r;
	struct xgw_ct_entry e;
	struct xgw_ct_sweep st;
	int i, taken = 0, back = 0;
	size_t len;
	bool ok = true, used[4] = { false };
	uint64_t nf;
	uint32_t now;

	lb_ct_clear();
	lb_config((struct xgw_config){ .nat_port_min = 40000, .nat_port_max = 40003 });
	for (i = 0; i < 5; i++) {
		char c[32];

		snprintf(c, sizeof(c), "192.0.2.%d", 40 + i);
		f[i] = flow_new(S_ONE, strdup(c), 43000, 0);
	}
	for (i = 0; i < 4; i++) {
		ok &= flow_open(&f[i], SYN);
		if (f[i].sport >= 40000 && f[i].sport <= 40003 && !used[f[i].sport - 40000]) {
			used[f[i].sport - 40000] = true;
			taken++;
		}
	}
	len = build(&f[4].c, SYN, in);
	nf = lb_counter(skel->maps.xgw_svc_stats, S_ONE, 2);
	lb_read_counters(&b);
	pkt_run(lb_prog(), in, len, 1, &r);
	lb_read_counters(&a);
	ok &= r.retval == XDP_DROP && pkt_counters_expect(&b, &a, XGW_DROP_NAT_PORT, 0, 1, len);
	ok &= lb_counter(skel->maps.xgw_svc_stats, S_ONE, 2) == nf;	/* no mapping made */
	ok &= lb_ct_count() == 8;
	for (i = 0; i < 4; i++) {	/* every mapping still the same, both ways */
		struct pkt_spec rin = reply_in(&f[i], 0), d = to_client(&f[i], 0);

		back += check(&rin, ACK, &d, LB_RT_NH);
	}
	/* flow 0 goes quiet past the SYN timeout (30 s) and the sweep */
	now = lb_now();
	for (i = 0; i < 2; i++) {
		struct xgw_flow_key k = lb_flow(&f[0].c), rk;

		if (i) {
			rk = (struct xgw_flow_key){ .sport = htons(f[0].bport),
						    .dport = htons(f[0].sport), .proto = IPPROTO_TCP,
						    .family = AF_INET };
			lb_addr(AF_INET, f[0].baddr, rk.src);
			lb_addr(AF_INET, f[0].snat, rk.dst);
			k = rk;
		}
		if (lb_ct_get(&k, &e)) {
			e.atime = now - LB_SEC(60);
			lb_ct_put(&k, &e);
		}
	}
	xgw_ct_sweep(bpf_map__fd(skel->maps.xgw_conntrack),
		     &(struct xgw_config){ .hz = LB_HZ }, now, &st);
	ok &= st.nat_flows == 1 && lb_ct_count() == 6;
	ok &= flow_open(&f[4], SYN) && f[4].sport == f[0].sport;
	lb_config((struct xgw_config){ 0 });
	tap_result(ok && taken == 4 && back == 4,
		   "nat ports 40000-40003: 4 flows took %d distinct ports, the 5th dropped "
		   "nat_no_port, no new flow counted; %d mappings intact; after a sweep the 5th got the freed port %u",
		   taken, back, f[4].sport);
}

/* The entries' TCP state bytes after each segment; both entries agree. */
static bool state_is(const struct flow *f, int est, int fo, int fr, int rst)
{
	struct xgw_flow_key k = lb_flow(&f->c), rk = { .proto = IPPROTO_TCP,
							.family = f->c.family };
	struct xgw_ct_entry o, r;

	rk.sport = htons(f->bport);
	rk.dport = htons(f->sport);
	lb_addr(f->c.family, f->baddr, rk.src);
	lb_addr(f->c.family, f->snat, rk.dst);
	if (!lb_ct_get(&k, &o) || !lb_ct_get(&rk, &r))
		return false;
	if (o.est != est || o.fin_orig != fo || o.fin_reply != fr || o.rst != rst ||
	    r.fin_orig != fo || r.fin_reply != fr || r.rst != rst) {
		tap_diag("state: orig est %u fin %u/%u rst %u, reply fin %u/%u rst %u; want "
			 "%d %d/%d %d", o.est, o.fin_orig, o.fin_reply, o.rst, r.fin_orig,
			 r.fin_reply, r.rst, est, fo, fr, rst);
		return false;
	}
	return true;
}

/* Age both entries of @f by @s seconds (from @now), sweep, say whether they are gone. */
static int age_and_sweep(const struct flow *f, uint32_t now, uint32_t orig_s, uint32_t reply_s)
{
	struct xgw_flow_key k = lb_flow(&f->c), rk = { .proto = IPPROTO_TCP,
							.family = f->c.family };
	struct xgw_ct_entry e;
	int gone;

	rk.sport = htons(f->bport);
	rk.dport = htons(f->sport);
	lb_addr(f->c.family, f->baddr, rk.src);
	lb_addr(f->c.family, f->snat, rk.dst);
	if (lb_ct_get(&k, &e)) {
		e.atime = now - LB_SEC(orig_s);
		lb_ct_put(&k, &e);
	}
	if (lb_ct_get(&rk, &e)) {
		e.atime = now - LB_SEC(reply_s);
		lb_ct_put(&rk, &e);
	}
	xgw_ct_sweep(bpf_map__fd(skel->maps.xgw_conntrack), &(struct xgw_config){ .hz = LB_HZ },
		     now, NULL);
	gone = !lb_ct_get(&k, &e) + !lb_ct_get(&rk, &e);
	return gone;
}

/*
 * TCP state follows the segments (SYN, established, FIN each way, RST), both
 * entries carry it, and the sweep applies the state's timeout to the pair:
 * syn 30 s, established 3600 s, fin 60 s, time-wait 120 s, rst 10 s (+2 s).
 */
static void case_states(void)
{
	struct {
		const char *name;
		uint8_t seq[4][2];	/* (flags, from backend) per segment */
		int est, fo, fr, rst;
		uint32_t keep_s, gone_s;
	} t[] = {
		{ "syn", { { SYN, 0 } }, 0, 0, 0, 0, 31, 33 },
		{ "established", { { SYN, 0 }, { SYN | ACK, 1 }, { ACK, 0 } }, 1, 0, 0, 0, 3601, 3603 },
		{ "fin", { { SYN, 0 }, { ACK, 0 }, { FIN | ACK, 0 } }, 1, 1, 0, 0, 61, 63 },
		{ "time-wait", { { SYN, 0 }, { ACK, 0 }, { FIN | ACK, 0 }, { FIN | ACK, 1 } },
		  1, 1, 1, 0, 121, 123 },
		{ "rst", { { SYN, 0 }, { ACK, 0 }, { RST, 1 } }, 1, 0, 0, 1, 11, 13 },
	};
	unsigned int i, j, bad = 0;
	uint8_t in[PKT_MAX];
	struct pkt_run r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct flow f = flow_new(S_NAT4, "192.0.2.60", 44000 + i, 0);
		uint32_t now;

		lb_ct_clear();
		if (!flow_open(&f, t[i].seq[0][0])) {
			bad++;
			continue;
		}
		for (j = 1; j < 4 && t[i].seq[j][0]; j++) {
			struct pkt_spec s = t[i].seq[j][1] ? reply_in(&f, 0) : f.c;

			pkt_run(lb_prog(), in, build(&s, t[i].seq[j][0], in), 1, &r);
			bad += r.retval != XDP_REDIRECT;
		}
		if (!state_is(&f, t[i].est, t[i].fo, t[i].fr, t[i].rst)) {
			tap_diag("%s: wrong state", t[i].name);
			bad++;
		}
		now = lb_now();
		if (age_and_sweep(&f, now, t[i].keep_s, t[i].keep_s) != 0 ||
		    age_and_sweep(&f, now, t[i].gone_s, 1) != 0 ||	/* the pair's newer time */
		    age_and_sweep(&f, now, t[i].gone_s, t[i].gone_s) != 2) {
			tap_diag("%s: swept at the wrong age", t[i].name);
			bad++;
		}
	}
	tap_result(!bad, "nat tcp states (syn, established, fin, time-wait, rst) in both entries, "
			 "each swept after its own timeout, the pair's newer time counting");
}

/*
 * A SYN on a closed flow's tuple opens a new mapping; a retransmitted SYN
 * keeps its mapping; a flow whose backend went down is re-balanced.
 */
static void case_reopen(void)
{
	struct flow f = flow_new(S_NAT4, "192.0.2.70", 45000, 0), g;
	uint8_t in[PKT_MAX];
	struct pkt_run r;
	uint16_t p0, p1;
	int down, moved;
	bool ok;

	lb_ct_clear();
	ok = flow_open(&f, SYN);
	p0 = f.sport;
	ok &= flow_open(&f, SYN) && f.sport == p0;		/* retransmission */
	pkt_run(lb_prog(), in, build(&f.c, RST, in), 1, &r);
	ok &= flow_open(&f, SYN);
	p1 = f.sport;
	ok &= p1 != p0;
	/* its backend goes down: the next packet is a new flow elsewhere */
	down = f.host;
	lb_backend_set(S_NAT4, down, XGW_BE_F_DOWN);
	lb_publish(S_NAT4, (int[]){ down == 1 ? 2 : 1, down == 3 ? 2 : 3, 0 });
	g = flow_new(S_NAT4, "192.0.2.70", 45000, 0);
	pkt_run(lb_prog(), in, build(&g.c, ACK, in), 1, &r);
	moved = lb_out_host(&r);
	ok &= flow_learn(&g) && moved == g.host && moved != down;
	lb_backend_set(S_NAT4, down, 0);
	lb_publish(S_NAT4, SVC[S_NAT4].hosts);
	tap_result(ok, "nat: SYN retransmitted keeps port %u, SYN after RST takes a new one (%u), "
		       "backend %d down -> flow re-balanced to %d", p0, p1, down, moved);
}

/* A packet to the gateway address that is no NAT reply: the kernel's, untouched. */
static void case_not_reply(void)
{
	struct pkt_spec s = { .family = AF_INET, .src = "10.0.1.1", .dst = "10.0.0.1",
			      .proto = IPPROTO_TCP, .sport = 8080, .dport = 22 };
	uint8_t in[PKT_MAX];
	struct pkt_counters b, a;
	struct pkt_run r;
	size_t len = build(&s, ACK, in);
	bool ok;

	lb_ct_clear();
	lb_read_counters(&b);
	pkt_run(lb_prog(), in, len, 1, &r);
	lb_read_counters(&a);
	ok = r.retval == XDP_PASS && r.out_len == len && !memcmp(r.out, in, len);
	ok &= pkt_counters_expect(&b, &a, XGW_PASS_LOCAL, 0, 1, len);
	tap_result(ok, "a packet to the gateway address without a NAT entry: PASS local, untouched");
}

/*
 * A client behind a multipath route (a BGP default route over two routers,
 * say): the reply takes the group's member, here every bucket the router's
 * next hop, so the expected frame is known without the hash.
 */
static void case_mp_client(void)
{
	struct xgw_route mp = { .action = XGW_RT_MULTIPATH, .nh_id = 1 };
	struct xgw_nh_group g = { .seed = 0x5eed };
	uint32_t id = 1, i;

	for (i = 0; i < XGW_NHG_BUCKETS; i++)
		g.bucket[i] = LB_RT_NH;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xgw_nh_groups), &id, &g, BPF_ANY))
		lb_die("xgw_nh_groups", errno);
	lb_route4("203.0.113.0", 24, &mp);
	case_tcp(S_NAT4, "203.0.113.7", "v4, the client behind a multipath route,");
}

int main(void)
{
	struct xgw_route mark = { .action = XGW_RT_NONE, .flags = XGW_RT_F_VIP };
	int s, i;

	lb_setup();
	for (i = 0; i < 2; i++) {
		struct xgw_snat sa = { .family = AF_INET };
		uint32_t idx = SVC[S_POOL].snat_first + i;

		lb_addr(AF_INET, POOL[i], sa.addr);
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.xgw_snat), &idx, &sa, BPF_ANY))
			lb_die("xgw_snat", errno);
		lb_host_entry(AF_INET, POOL[i], &mark);
	}
	for (s = 1; s < S_MAX; s++)
		lb_service(s, &SVC[s]);

	case_tcp(S_NAT4, "192.0.2.10", "v4");
	case_tcp(S_NAT6, "2001:db8:9::10", "v6");
	case_udp(S_NAT4U, "192.0.2.11", "v4", true);
	case_udp(S_NAT6U, "2001:db8:9::11", "v6", false);
	case_udp_zero_sum(S_NAT4U, "192.0.2.11", "v4");
	case_udp_zero_sum(S_NAT6U, "2001:db8:9::11", "v6");
	case_icmp(S_NAT4, "192.0.2.12", "v4 tcp", 8, 0);
	case_icmp(S_NAT4, "192.0.2.12", "v4 tcp", 20, 0);
	case_icmp(S_NAT4, "192.0.2.12", "v4 tcp", 14, 6);
	case_icmp(S_NAT4U, "192.0.2.13", "v4 udp", 8, 0);
	case_icmp(S_NAT4U, "192.0.2.13", "v4 udp", 4, 4);
	case_icmp(S_NAT6, "2001:db8:9::12", "v6 tcp", 20, 0);
	case_icmp(S_NAT6U, "2001:db8:9::13", "v6 udp", 8, 0);
	case_icmp(S_NAT6U, "2001:db8:9::13", "v6 udp", 4, 4);
	case_counts();
	case_pool();
	case_exhaustion();
	case_states();
	case_reopen();
	case_not_reply();
	case_mp_client();
	lb_teardown();
	return tap_finish();
}
