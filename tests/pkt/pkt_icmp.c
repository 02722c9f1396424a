// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ICMP errors generated in XDP (bpf/icmp.h) through BPF_PROG_TEST_RUN.
 * For each case the expected error frame is built here from the frame
 * sent, byte by byte: Ethernet addresses swapped, VLAN tags as received,
 * a new IPv4/IPv6 header from the link's address (xgw_ifinfo) to the
 * sender, the ICMP header, then the received datagram cut to 548 (IPv4)
 * or 1232 (IPv6) bytes; every checksum summed in full here. The IPv4
 * identification is the one field taken from the output (the datapath
 * draws it at random), and the header checksum is then computed over it.
 * The verdict must be XDP_TX and the counters move by exactly one packet
 * under icmp_time_exceeded or icmp_frag_needed. Packets that must not be
 * answered go to the kernel untouched (ttl_exceeded, frag_needed), and the
 * rate limit drops (icmp_ratelimited). Output: TAP.
 */
#include <time.h>

#include "route_fix.h"

enum { NH_A = 1, NH_MTU, NH_VLAN };

static const struct nh_def nexthops[] = {
	{ NH_A, 0, 1500, 0, { 2, 0xaa, 0, 0, 0, 1 }, { 2, 0xbb, 0, 0, 0, 1 }, true },
	{ NH_MTU, 0, 1000, 0, { 2, 0xaa, 0, 0, 0, 2 }, { 2, 0xbb, 0, 0, 0, 2 }, true },
	{ NH_VLAN, 0, 1400, 7, { 2, 0xaa, 0, 0, 0, 3 }, { 2, 0xbb, 0, 0, 0, 3 }, true },
};

static const struct route_def routes[] = {
	{ "10.2.0.0/16", XGW_RT_NEXTHOP, 0, NH_A },
	{ "10.4.0.0/16", XGW_RT_NEXTHOP, 0, NH_MTU },
	{ "10.6.0.0/16", XGW_RT_NEXTHOP, 0, NH_VLAN },
	{ "2001:db8:2::/48", XGW_RT_NEXTHOP, 0, NH_A },
	{ "2001:db8:a::/48", XGW_RT_NEXTHOP, 0, NH_MTU },
	{ "10.8.0.100/32", XGW_RT_NONE, XGW_RT_F_VIP, 0 },	/* test_lb()'s services */
};

/* The gateway's addresses on the test port: the errors' source. */
#define GW4	"192.0.2.1"
#define GW6	"2001:db8:ff::1"
#define LB_VIP	"10.8.0.100"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/* Sum of @len bytes as 16-bit big-endian words (no fold, no complement). */
static uint32_t sum16(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	return s;
}

/*
 * The error @in (@len bytes, IP header at @l2) must be turned into:
 * @type/@code, @mtu in the ICMP header's second word (frag needed: its low
 * 16 bits; packet too big: all 32), @out the frame the datapath sent (for
 * the IPv4 identification only). Returns the length written to @want.
 */
static size_t expect_error(const uint8_t *in, size_t l2, int family, uint8_t type, uint8_t code,
			   uint32_t mtu, const uint8_t *out, uint8_t *want)
{
	size_t ip_len = family == AF_INET ? get16(in + l2 + 2) : 40 + get16(in + l2 + 4);
	size_t hlen = family == AF_INET ? 20 : 40, quote, max = family == AF_INET ? 576 : 1280;
	uint8_t *ip = want + l2, *icmp = ip + hlen;
	uint32_t pseudo = 0;

	quote = ip_len < max - hlen - 8 ? ip_len : max - hlen - 8;
	memcpy(want, in + 6, 6);		/* back to the sender */
	memcpy(want + 6, in, 6);
	memcpy(want + 12, in + 12, l2 - 12);	/* tags and EtherType as received */
	memset(ip, 0, hlen + 8);
	if (family == AF_INET) {
		ip[0] = 0x45;
		ip[1] = (in[l2 + 1] & 0x1e) | 0xc0;	/* precedence internetwork control */
		put16(ip + 2, 20 + 8 + quote);
		memcpy(ip + 4, out + l2 + 4, 2);	/* identification: the datapath's */
		ip[8] = 64;
		ip[9] = IPPROTO_ICMP;
		inet_pton(AF_INET, GW4, ip + 12);
		memcpy(ip + 16, in + l2 + 12, 4);	/* to the sender */
		put16(ip + 10, pkt_csum(ip, 20, 0));
	} else {
		ip[0] = 0x60;
		put16(ip + 4, 8 + quote);
		ip[6] = IPPROTO_ICMPV6;
		ip[7] = 64;
		inet_pton(AF_INET6, GW6, ip + 8);
		memcpy(ip + 24, in + l2 + 8, 16);
		pseudo = sum16(ip + 8, 32) + 8 + quote + IPPROTO_ICMPV6;
	}
	icmp[0] = type;
	icmp[1] = code;
	icmp[4] = mtu >> 24;
	icmp[5] = mtu >> 16;
	icmp[6] = mtu >> 8;
	icmp[7] = mtu;
	memcpy(icmp + 8, in + l2, quote);
	put16(icmp + 2, pkt_csum(icmp, 8 + quote, pseudo));
	return l2 + hlen + 8 + quote;
}

struct icmp_case {
	const char *name;
	struct pkt_spec in;
	enum xgw_reason reason;		/* TX_ICMP_*, or what happens instead */
	uint8_t tos;			/* IPv4 TOS byte sent (0: 0) */
};

#define V4T(...) V4(.ttl = 1, __VA_ARGS__)
#define V6T(...) V6(.ttl = 1, __VA_ARGS__)
#define DF .frag = 0x4000
#define BIG4(n) .dst = "10.4.0.1", DF, .payload = (n) - 28	/* IPv4 datagram of n bytes */
#define BIG6(n) .dst = "2001:db8:a::1", .payload = (n) - 48

static const struct icmp_case cases[] = {
	/* time exceeded: traceroute's probes, and others */
	{ "ipv4 udp TTL 1 (traceroute)", V4T(.dport = 33434), XGW_TX_ICMP_TIME },
	{ "ipv4 udp TTL 0", V4(.ttl_zero = true), XGW_TX_ICMP_TIME },
	{ "ipv4 icmp echo TTL 1 (traceroute -I)", V4T(ICMP4(8)), XGW_TX_ICMP_TIME },
	{ "ipv4 tcp TTL 1 (traceroute -T)", V4T(TCP), XGW_TX_ICMP_TIME },
	{ "ipv4 TOS 0xb8 TTL 1: TOS bits kept, precedence 6", V4T(), XGW_TX_ICMP_TIME, 0xb8 },
	{ "ipv4 TOS 0x1f TTL 1: 0xde (ECN bit not kept)", V4T(), XGW_TX_ICMP_TIME, 0x1f },
	{ "ipv4 TTL 1, 1400-byte datagram: 548 quoted", V4T(.payload = 1372), XGW_TX_ICMP_TIME },
	{ "ipv4 TTL 1, 548-byte datagram: all quoted", V4T(.payload = 520), XGW_TX_ICMP_TIME },
	{ "ipv4 TTL 1, 549-byte datagram: 548 quoted", V4T(.payload = 521), XGW_TX_ICMP_TIME },
	{ "ipv4 TTL 1, Ethernet padding not quoted", V4T(.payload = 0, .pad = 18),
	  XGW_TX_ICMP_TIME },
	{ "ipv4 TTL 1 with options: quoted with them", V4T(.ip_opts = 8), XGW_TX_ICMP_TIME },
	{ "ipv4 TTL 1, 802.1Q VID 10: tag kept", V4T(TAG1(10)), XGW_TX_ICMP_TIME },
	{ "ipv4 TTL 1, QinQ 20/10: both tags kept", V4T(QINQ(20, 10)), XGW_TX_ICMP_TIME },
	{ "ipv4 TTL 1, first fragment", V4T(.frag = 0x2000), XGW_TX_ICMP_TIME },
	{ "ipv4 TTL 1 to a next hop that pushes a VLAN", V4T(.dst = "10.6.0.1"), XGW_TX_ICMP_TIME },
	{ "ipv6 udp hop limit 1", V6T(.dport = 33434), XGW_TX_ICMP_TIME },
	{ "ipv6 hop limit 0", V6(.ttl_zero = true), XGW_TX_ICMP_TIME },
	{ "ipv6 echo request hop limit 1", V6T(ICMP6(128)), XGW_TX_ICMP_TIME },
	{ "ipv6 hop limit 1, 1400-byte payload: 1232 quoted", V6T(.payload = 1392),
	  XGW_TX_ICMP_TIME },
	{ "ipv6 hop limit 1, 1232-byte datagram: all quoted", V6T(.payload = 1184),
	  XGW_TX_ICMP_TIME },
	{ "ipv6 hop limit 1 after a hop-by-hop header", V6T(EXT(IPPROTO_HOPOPTS)),
	  XGW_TX_ICMP_TIME },
	{ "ipv6 hop limit 1, 802.1Q VID 20", V6T(TAG1(20), TCP), XGW_TX_ICMP_TIME },
	/* too big for the egress MTU (1000) */
	{ "ipv4 1001 bytes, DF: frag needed, MTU 1000", V4(BIG4(1001)), XGW_TX_ICMP_MTU },
	{ "ipv4 1500 bytes, DF, tcp: frag needed", V4(BIG4(1500), TCP), XGW_TX_ICMP_MTU },
	{ "ipv4 1001 bytes, DF, QinQ: frag needed, tags kept", V4(BIG4(1001), QINQ(20, 10)),
	  XGW_TX_ICMP_MTU },
	{ "ipv6 1001 bytes: packet too big, MTU 1000", V6(BIG6(1001)), XGW_TX_ICMP_MTU },
	{ "ipv6 1500 bytes: packet too big, 1232 quoted", V6(BIG6(1500)), XGW_TX_ICMP_MTU },
	{ "ipv6 1001 bytes, hop limit 1: hop limit first", V6(BIG6(1001), .ttl = 1),
	  XGW_TX_ICMP_TIME },
	/* never answered: the kernel gets them as they came */
	{ "ipv4 1001 bytes without DF: the kernel fragments", V4(.dst = "10.4.0.1",
								  .payload = 1001 - 28), XGW_PASS_MTU },
	{ "ipv4 TTL 1 dest unreachable: no error about an error", V4T(ICMP4(3)), XGW_PASS_TTL },
	{ "ipv4 TTL 1 time exceeded: no error about an error", V4T(ICMP4(11)), XGW_PASS_TTL },
	{ "ipv4 TTL 1 redirect: no error about an error", V4T(ICMP4(5)), XGW_PASS_TTL },
	{ "ipv4 TTL 1 parameter problem: no error about an error", V4T(ICMP4(12)),
	  XGW_PASS_TTL },
	{ "ipv4 TTL 1 later fragment: no error", V4T(.frag = 0x0010, .len_delta = -24),
	  XGW_PASS_TTL },
	{ "ipv4 TTL 1 to a multicast MAC: no error",
	  V4T(.dmac = (const uint8_t[]){ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }), XGW_PASS_TTL },
	{ "ipv6 hop limit 1 destination unreachable: no error", V6T(ICMP6(1)), XGW_PASS_TTL },
	{ "ipv6 hop limit 1 packet too big: no error", V6T(ICMP6(2)), XGW_PASS_TTL },
	{ "ipv6 1001 bytes that are an ICMPv6 error: no error", V6(BIG6(1001), ICMP6(3)),
	  XGW_PASS_MTU },
	{ "ipv6 hop limit 1 later fragment: no error",
	  V6T(EXT(IPPROTO_FRAGMENT), .frag = 0x0100, .len_delta = -24), XGW_PASS_TTL },
};

/* The error a case must be answered with, from the frame it was sent as. */
struct want_error {
	const struct icmp_case *c;
	const uint8_t *in;
};

static size_t want_error(void *arg, const uint8_t *out, uint8_t *want)
{
	const struct want_error *w = arg;
	const struct icmp_case *c = w->c;
	bool v4 = c->in.family == AF_INET, time = c->reason == XGW_TX_ICMP_TIME;

	return expect_error(w->in, pkt_l3_off(&c->in), c->in.family,
			    time ? (v4 ? 11 : 3) : (v4 ? 3 : 2), !time && v4 ? 4 : 0,
			    time ? 0 : 1000, out, want);
}

/* Send case @c once: its error, or the frame untouched, and its counter. */
static bool run_icmp(struct t *t, const struct icmp_case *c)
{
	static uint8_t in[PKT_MAX];
	size_t len = pkt_build(&c->in, in), l2 = pkt_l3_off(&c->in);
	struct want_error w = { c, in };

	if (c->tos) {	/* pkt_spec has no TOS field */
		in[l2 + 1] = c->tos;
		put16(in + l2 + 10, 0);
		put16(in + l2 + 10, pkt_csum(in + l2, 20, 0));
	}
	if (pkt_verdict_of(c->reason) == XDP_TX)
		return run_check_fn(t, in, len, 1, c->reason, 0, want_error, &w);
	return run_check(t, in, len, 1, c->reason, 0, in, len);	/* untouched */
}

static void test_case(struct t *t, const struct icmp_case *c)
{
	tap_result(run_icmp(t, c), "%s -> %s", c->name, xgw_reason_desc[c->reason].name);
}

static int ifinfo_set(struct t *t, const char *a4, const char *a6)
{
	struct xgw_ifinfo ifi = { .vlans[0] = 1ull << 10 | 1ull << 20 };

	if (a4)
		inet_pton(AF_INET, a4, &ifi.addr4);
	if (a6)
		inet_pton(AF_INET6, a6, ifi.addr6);
	return map_update(bpf_map__fd(t->skel->maps.xgw_ifinfo), &t->port_ifindex, &ifi,
			  "xgw_ifinfo");
}

static int icmp_rate(struct t *t, uint32_t rate, uint32_t burst)
{
	struct xgw_config cfg = { .icmp_rate = rate, .icmp_burst = burst };
	int ncpu = libbpf_num_possible_cpus();
	struct xgw_icmp_bucket *zero = calloc(ncpu, sizeof(*zero));
	uint32_t key = 0;
	int err;

	if (!zero)
		return -ENOMEM;
	err = config_set(t, &cfg);	/* and every CPU's bucket full again */
	if (!err)
		err = map_update(bpf_map__fd(t->skel->maps.xgw_icmp_tb), &key, zero,
				 "xgw_icmp_tb");
	free(zero);
	return err;
}

/*
 * Every datagram length around the quote limits and the checksum's
 * chunking (4-byte tails, 256-byte chunks): IPv4 28..620 bytes, IPv6
 * 48..1320, each answered and checked whole.
 */
static void test_lengths(struct t *t, int family)
{
	int lo = family == AF_INET ? 0 : 0, hi = family == AF_INET ? 592 : 1272, n, bad = 0;

	for (n = lo; n <= hi && bad < 3; n++) {
		struct icmp_case c = { "sweep", V4T(.payload = n), XGW_TX_ICMP_TIME };

		if (family == AF_INET6)
			c.in = (struct pkt_spec)V6T(.payload = n);
		if (!run_icmp(t, &c)) {
			tap_diag("payload %d", n);
			bad++;
		}
	}
	tap_result(!bad, "%s: every datagram length, %d..%d payload bytes, answered and quoted "
		   "to the byte", family == AF_INET ? "ipv4" : "ipv6", lo, hi);
}

/* Without an address on the link, or with generation off: the kernel's. */
static void test_no_source(struct t *t)
{
	struct icmp_case ttl4 = { "", V4T(), XGW_PASS_TTL }, ttl6 = { "", V6T(), XGW_PASS_TTL };
	struct icmp_case big4 = { "", V4(BIG4(1001)), XGW_PASS_MTU };
	struct icmp_case big6 = { "", V6(BIG6(1001)), XGW_PASS_MTU };
	struct icmp_case ttl4_tx = ttl4, ttl6_tx = ttl6, big4_tx = big4, big6_tx = big6;
	bool ok;

	ttl4_tx.reason = ttl6_tx.reason = XGW_TX_ICMP_TIME;
	big4_tx.reason = big6_tx.reason = XGW_TX_ICMP_MTU;
	ok = !ifinfo_set(t, NULL, GW6) && run_icmp(t, &ttl4) && run_icmp(t, &big4) &&
	     run_icmp(t, &ttl6_tx) && run_icmp(t, &big6_tx);
	tap_result(ok, "no IPv4 address on the link: IPv4 to the kernel, IPv6 answered");
	ok = !ifinfo_set(t, GW4, NULL) && run_icmp(t, &ttl6) && run_icmp(t, &big6) &&
	     run_icmp(t, &ttl4_tx) && run_icmp(t, &big4_tx);
	tap_result(ok, "no IPv6 address on the link: IPv6 to the kernel, IPv4 answered");
	ok = !bpf_map_delete_elem(bpf_map__fd(t->skel->maps.xgw_ifinfo), &t->port_ifindex) &&
	     run_icmp(t, &ttl4) && run_icmp(t, &ttl6) && !ifinfo_set(t, GW4, GW6);
	tap_result(ok, "no xgw_ifinfo entry for the port: to the kernel");
	ok = !icmp_rate(t, 0, 50) && run_icmp(t, &ttl4) && run_icmp(t, &big4) &&
	     run_icmp(t, &ttl6) && run_icmp(t, &big6) && !icmp_rate(t, 1000000, 1000000) &&
	     run_icmp(t, &ttl4_tx);
	tap_result(ok, "icmp_rate 0: no error sent, TTL 1 and too big to the kernel");
}

/*
 * The token bucket: icmp_burst errors at once, then one per 1/icmp_rate
 * second. Refused ones are dropped; packets never answered take no token.
 */
static void test_rate(struct t *t)
{
	struct icmp_case ok4 = { "", V4T(), XGW_TX_ICMP_TIME };
	struct icmp_case lim = { "", V4T(), XGW_DROP_ICMP_LIMIT };
	struct icmp_case lim6 = { "", V6(BIG6(1001)), XGW_DROP_ICMP_LIMIT };
	struct icmp_case exempt = { "", V4T(ICMP4(3)), XGW_PASS_TTL };
	struct timespec t0, t1;
	bool ok;
	int i;

	/* 1 per second, 3 deep: 3 answered, then refused (unless a second passed) */
	for (i = 0; i < 3; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ok = !icmp_rate(t, 1, 3) && run_icmp(t, &ok4) && run_icmp(t, &exempt) &&
		     run_icmp(t, &ok4) && run_icmp(t, &ok4) && run_icmp(t, &lim) &&
		     run_icmp(t, &lim6);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (ok || t1.tv_sec - t0.tv_sec < 1)
			break;
		tap_diag("took over a second (busy machine): again");
	}
	tap_result(ok, "icmp_rate 1, icmp_burst 3: 3 errors (an exempt packet takes no token), "
		   "then icmp_ratelimited, IPv6 too");
	/* 100 per second, 1 deep: one now, none at once, one 20 ms later */
	ok = !icmp_rate(t, 100, 1) && run_icmp(t, &ok4) && run_icmp(t, &lim);
	usleep(20000);
	ok = ok && run_icmp(t, &ok4);
	tap_result(ok, "icmp_rate 100, icmp_burst 1: refused at once, answered 20 ms later");
	icmp_rate(t, 1000000, 1000000);
}

/* An error with MTU @mtu (0: time exceeded) for IPv4 frame @in. */
struct want_lb {
	const uint8_t *in;
	uint32_t mtu;
};

static size_t want_lb(void *arg, const uint8_t *out, uint8_t *want)
{
	const struct want_lb *w = arg;

	return expect_error(w->in, 14, AF_INET, w->mtu ? 3 : 11, w->mtu ? 4 : 0, w->mtu, out,
			    want);
}

/*
 * The load balancer's packets get the same errors: an ipip packet whose
 * encapsulation would not fit is answered with the MTU before it (the next
 * hop's less the outer header), and an established dsr flow's packet that
 * the straight line (xgw_lb_fast4()) cannot forward is answered too.
 */
static void test_lb(struct t *t)
{
	struct pkt_spec ipip = V4(.dst = LB_VIP, .dport = 53, DF, .payload = 1490 - 28);
	struct pkt_spec dsr = V4(.dst = LB_VIP, TCP, .sport = 40001, .payload = 32);
	struct xgw_flow_key k = { .sport = htons(40001), .dport = htons(80),
				  .proto = IPPROTO_TCP, .family = AF_INET };
	static uint8_t in[PKT_MAX], fwd[PKT_MAX];
	struct pkt_spec out = expect_forward(&dsr, nh_find(t, NH_MTU));
	struct want_lb w = { in, 0 };
	struct xgw_ct_entry e;
	size_t len, flen;
	bool ok;
	int i;

	if (!tap_result(!service_program(t, 1, LB_VIP, 53, IPPROTO_UDP, XGW_LB_IPIP,
					 "198.51.100.1", GW4, NH_A) &&
			!service_program(t, 2, LB_VIP, 80, IPPROTO_TCP, XGW_LB_DSR,
					 "198.51.100.2", NULL, NH_MTU),
			"services " LB_VIP ":53/udp ipip (next hop MTU 1500), :80/tcp dsr (1000)"))
		return;
	len = pkt_build(&ipip, in);	/* 1490 bytes: fits 1500, not with 20 more */
	w.mtu = 1480;
	tap_result(run_check_fn(t, in, len, 1, XGW_TX_ICMP_MTU, 0, want_lb, &w),
		   "ipip, 1490-byte datagram with DF, next hop MTU 1500: frag needed, MTU 1480");
	ipip.payload = 18;
	ipip.ttl = 1;
	len = pkt_build(&ipip, in);
	w.mtu = 0;
	tap_result(run_check_fn(t, in, len, 1, XGW_TX_ICMP_TIME, 0, want_lb, &w),
		   "ipip, TTL 1: time exceeded");

	/* a dsr flow learnt (2nd packet) and established (3rd), forwarded */
	len = pkt_build(&dsr, in);
	flen = pkt_build(&out, fwd);
	for (ok = true, i = 0; i < 3; i++)
		ok &= run_check(t, in, len, 1, XGW_FWD_LB, NH_MTU, fwd, flen);
	inet_pton(AF_INET, dsr.src, k.src);
	inet_pton(AF_INET, LB_VIP, k.dst);
	ok &= !bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.xgw_conntrack), &k, &e) &&
	      e.kind == XGW_CT_LB && e.est && e.backend_id == 2;
	if (!tap_result(ok, "dsr flow forwarded 3 times, in the connection table, established"))
		return;
	dsr.ttl = 1;
	len = pkt_build(&dsr, in);
	tap_result(run_check_fn(t, in, len, 1, XGW_TX_ICMP_TIME, 0, want_lb, &w),
		   "established dsr flow, TTL 1: time exceeded (not left to the kernel)");
	dsr.ttl = 0;
	dsr.frag = 0x4000;
	dsr.payload = 1001 - 40;
	len = pkt_build(&dsr, in);
	w.mtu = 1000;
	tap_result(run_check_fn(t, in, len, 1, XGW_TX_ICMP_MTU, 0, want_lb, &w),
		   "established dsr flow, 1001 bytes with DF, MTU 1000: frag needed, MTU 1000");
}

int main(void)
{
	struct t t;
	size_t i;

	if (FIX_OPEN(&t))
		goto out;
	if (!tap_result(!ifinfo_set(&t, GW4, GW6) && !icmp_rate(&t, 1000000, 1000000),
			"the port's addresses " GW4 " and " GW6 ", VLANs 10 and 20; "
			"ICMP errors on, 1e6/s"))
		goto out;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_case(&t, &cases[i]);
	test_lengths(&t, AF_INET);
	test_lengths(&t, AF_INET6);
	test_no_source(&t);
	test_rate(&t);
	test_lb(&t);
out:
	fix_close(&t);
	return tap_finish();
}
