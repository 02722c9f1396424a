// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Multipath routes (XGW_RT_MULTIPATH over xgw_nh_groups) through
 * BPF_PROG_TEST_RUN. The groups are written as xgwd writes them:
 * xgw_nhg_fill() (common/nhgroup.c) and xgw_nhg_write() (common/nhtable.c).
 * For every flow this file predicts the member from the specification
 * (the L4 hash of common/nhgroup.h, the bucket, the table read back from
 * the map, the next resolved bucket for an unresolved member), and the
 * frame must leave rewritten for that member, byte for byte, counted under
 * it (run_check(): every reason and next-hop counter). On that: the spread
 * over members and weights, stickiness (fast and general path, repeats),
 * fragments, IPv6, unresolved members, and what moves when a member leaves,
 * turns unusable, comes back. Output: TAP.
 */
#include "route_fix.h"
#include "nhgroup.h"

enum { M1 = 1, M2, M3, M4 };
enum { G_EQ = 1, G_W13, G_EMPTY };

#define FLOWS	768

static const struct nh_def nexthops[] = {
	{ M1, 0, 1500, 0, { 2, 0xaa, 0, 0, 0, 1 }, { 2, 0xbb, 0, 0, 0, 1 }, true },
	{ M2, 0, 1500, 0, { 2, 0xaa, 0, 0, 0, 2 }, { 2, 0xbb, 0, 0, 0, 2 }, true },
	{ M3, 0, 1500, 0, { 2, 0xaa, 0, 0, 0, 3 }, { 2, 0xbb, 0, 0, 0, 3 }, true },
	{ M4, 0, 1500, 100, { 2, 0xaa, 0, 0, 0, 4 }, { 2, 0xbb, 0, 0, 0, 4 }, true },
};

static const struct route_def routes[] = {
	{ "10.50.0.0/16", XGW_RT_MULTIPATH, 0, G_EQ },
	{ "10.51.0.0/16", XGW_RT_MULTIPATH, 0, G_W13 },
	{ "10.52.0.0/16", XGW_RT_MULTIPATH, 0, G_EMPTY },
	{ "10.53.0.9/32", XGW_RT_MULTIPATH, 0, G_EQ },	/* a host route, two reads */
	{ "2001:db8:50::/48", XGW_RT_MULTIPATH, 0, G_EQ },
};

static bool resolved[16] = { [M1] = true, [M2] = true, [M3] = true, [M4] = true };

static int group_set(struct t *t, uint32_t id, uint32_t seed, const struct xgw_nhg_member *m,
		     unsigned int n)
{
	struct xgw_nh_group g;
	int ret;

	if (xgw_nhg_read(&t->nht, id, &g))
		return -EINVAL;
	ret = xgw_nhg_fill(g.bucket, m, n);
	if (ret >= 0)
		ret = xgw_nhg_write(&t->nht, id, seed, g.bucket);
	if (ret < 0)
		tap_diag("group %u: %s", id, strerror(-ret));
	return ret < 0 ? ret : 0;
}

static int nh_resolve(struct t *t, uint32_t id, bool on)
{
	struct nh_def d = *nh_find(t, id);

	d.resolved = on;
	resolved[id] = on;
	return nh_program(t, &d);
}

/* The member group @gid gives the flow of frame @s, by the specification. */
static uint32_t predict(struct t *t, uint32_t gid, const struct pkt_spec *s)
{
	bool v6 = s->family == AF_INET6, frag = s->frag && !v6;
	uint8_t proto = s->proto ? s->proto : IPPROTO_UDP;
	__be32 src[4] = { 0 }, dst[4] = { 0 };
	uint32_t ports = 0, h, b, i;
	struct xgw_nh_group g;

	inet_pton(s->family, s->src, src);
	inet_pton(s->family, s->dst, dst);
	if ((proto == IPPROTO_UDP || proto == IPPROTO_TCP) && !frag)
		ports = (uint32_t)htons(s->sport) | (uint32_t)htons(s->dport) << 16;
	h = v6 ? xgw_mp_hash6(src, dst, ports, proto) : xgw_mp_hash4(src[0], dst[0], ports, proto);
	if (xgw_nhg_read(&t->nht, gid, &g))
		return 0;
	b = xgw_mp_bucket(h, g.seed);
	for (i = 0; i <= XGW_NHG_PROBE; i++) {
		uint32_t id = g.bucket[(b + i) % XGW_NHG_BUCKETS];

		if (id < 16 && resolved[id])
			return id;
	}
	return g.bucket[b];
}

/* Send @s; it must leave through @member (0: to the kernel, unresolved). */
static bool send_flow(struct t *t, const struct pkt_spec *s, uint32_t member)
{
	static uint8_t in[PKT_MAX], want[PKT_MAX];
	size_t len = pkt_build(s, in), wlen = len;

	if (!member || !resolved[member]) {
		memcpy(want, in, len);
		return run_check(t, in, len, 1, XGW_PASS_UNRESOLVED, 0, want, wlen);
	}
	{
		struct pkt_spec o = expect_forward(s, nh_find(t, member));

		wlen = pkt_build(&o, want);
	}
	return run_check(t, in, len, 1, XGW_FWD, member, want, wlen);
}

static struct pkt_spec flow(int i, bool v6)
{
	struct pkt_spec s = V4(.dst = "10.50.7.7", .sport = 1024 + i, .dport = 80 + i % 3);

	if (v6)
		s = (struct pkt_spec)V6(.dst = "2001:db8:50::7", .sport = 1024 + i,
					.dport = 80 + i % 3);
	if (i % 4 == 1)
		s.proto = IPPROTO_TCP;
	return s;
}

/* FLOWS flows, each checked frame by frame; @got[] counts per member. */
static bool send_flows(struct t *t, uint32_t gid, bool v6, uint32_t *member, unsigned int *got)
{
	bool ok = true;
	int i;

	memset(got, 0, 16 * sizeof(*got));
	for (i = 0; i < FLOWS && ok; i++) {
		struct pkt_spec s = flow(i, v6);

		member[i] = predict(t, gid, &s);
		ok = send_flow(t, &s, member[i]);
		if (!ok)
			tap_diag("flow %d (sport %u), predicted member %u", i, s.sport, member[i]);
		got[member[i] < 16 ? member[i] : 0]++;
	}
	return ok;
}

static void test_spread(struct t *t, bool v6)
{
	uint32_t member[FLOWS];
	unsigned int got[16];
	bool ok = send_flows(t, G_EQ, v6, member, got);

	tap_diag("spread of %d flows: M1 %u, M2 %u, M3 %u", FLOWS, got[M1], got[M2], got[M3]);
	/* a third each, give or take: the hash spreads */
	ok = ok && got[M1] > FLOWS / 4 && got[M2] > FLOWS / 4 && got[M3] > FLOWS / 4 &&
	     got[M1] + got[M2] + got[M3] == FLOWS;
	tap_result(ok, "%s: %d flows over 3 equal members, each to its predicted member, "
		   "counted per next hop", v6 ? "ipv6" : "ipv4", FLOWS);
}

static void test_weights(struct t *t)
{
	uint32_t member[FLOWS];
	unsigned int got[16], i;
	bool ok = true;

	for (i = 0; i < FLOWS && ok; i++) {
		struct pkt_spec s = flow(i, false);

		s.dst = "10.51.0.1";
		member[i] = predict(t, G_W13, &s);
		ok = send_flow(t, &s, member[i]);
	}
	memset(got, 0, sizeof(got));
	for (i = 0; i < FLOWS; i++)
		got[member[i]]++;
	tap_diag("weights 1:3: M1 %u, M2 %u", got[M1], got[M2]);
	ok = ok && got[M1] > FLOWS / 8 && got[M1] < FLOWS * 3 / 8 && got[M1] + got[M2] == FLOWS;
	tap_result(ok, "weights 1:3: each flow to its predicted member, about a quarter to M1");
}

/* One flow, many times, by the fast path and by the general path. */
static void test_sticky(struct t *t)
{
	struct pkt_spec s = V4(.dst = "10.50.9.9", .sport = 4242, .dport = 443, TCP);
	struct pkt_spec opt = s, tagged = s, host = s;
	uint32_t m = predict(t, G_EQ, &s);
	bool ok = m != 0;
	int i;

	opt.ip_opts = 8;		/* NOPs: the general path */
	tagged.nvlan = 1;		/* VLAN 10: the general path too */
	tagged.vid[0] = 10;
	for (i = 0; i < 20 && ok; i++)
		ok = send_flow(t, &s, m) && send_flow(t, &opt, m) && send_flow(t, &tagged, m);
	tap_result(ok, "a flow sticks: 20 times by the fast path, with IPv4 options and "
		   "802.1Q by the general path, all to member %u", m);
	host.dst = "10.53.0.9";
	ok = send_flow(t, &host, predict(t, G_EQ, &host));
	tap_result(ok, "multipath host route (/32)");
}

/*
 * A datagram's fragments carry no ports after the first: every fragment
 * hashes with ports 0 (the kernel's L4 policy), so all take one path.
 */
static void test_fragments(struct t *t)
{
	struct pkt_spec first = V4(.dst = "10.50.3.3", .sport = 999, .frag = 0x2000);
	struct pkt_spec later = V4(.dst = "10.50.3.3", .frag = 0x00b9, .len_delta = -24);
	struct pkt_spec icmp = V4(.dst = "10.50.3.3", ICMP4(8));
	uint32_t m = predict(t, G_EQ, &first);
	bool ok;

	ok = m == predict(t, G_EQ, &later) && send_flow(t, &first, m) && send_flow(t, &later, m);
	tap_result(ok, "first and later fragment of one datagram: one member (%u)", m);
	icmp.proto = IPPROTO_ICMP;
	ok = send_flow(t, &icmp, predict(t, G_EQ, &icmp));
	tap_result(ok, "icmp (no ports) to its predicted member");
}

/* Which flows changed member between @a and @b: only those of @gone? */
static bool moved_only(const uint32_t *a, const uint32_t *b, uint32_t gone, unsigned int *n)
{
	bool ok = true;
	int i;

	*n = 0;
	for (i = 0; i < FLOWS; i++) {
		if (a[i] == b[i])
			continue;
		(*n)++;
		if (a[i] != gone) {
			tap_diag("flow %d moved from %u to %u", i, a[i], b[i]);
			ok = false;
		}
	}
	return ok;
}

/*
 * M2 unresolved: the datapath alone sends its flows to the next resolved
 * bucket; then xgwd's refill (M2 unusable) gives its buckets away; then M2
 * resolved and usable again takes back a share. Every step moves only the
 * flows it must.
 */
static void test_resilient(struct t *t)
{
	struct xgw_nhg_member m[3] = { { M1, 1, true }, { M2, 1, true }, { M3, 1, true } };
	static uint32_t before[FLOWS], probe[FLOWS], refill[FLOWS], back[FLOWS], left[FLOWS];
	unsigned int got[16], n, on2 = 0;
	bool ok;
	int i;

	ok = send_flows(t, G_EQ, false, before, got);
	for (i = 0; i < FLOWS; i++)
		on2 += before[i] == M2;
	ok = ok && !nh_resolve(t, M2, false) && send_flows(t, G_EQ, false, probe, got) &&
	     moved_only(before, probe, M2, &n) && n == on2 && !got[M2];
	tap_result(ok, "M2 unresolved: its %u flows go to the next resolved buckets, no other "
		   "flow moves", on2);
	m[1].usable = false;
	ok = !group_set(t, G_EQ, 0, m, 3) && send_flows(t, G_EQ, false, refill, got) &&
	     moved_only(before, refill, M2, &n) && n == on2;
	tap_result(ok, "refilled without M2: only M2's flows moved (%u)", n);
	m[1].usable = true;
	ok = !nh_resolve(t, M2, true) && !group_set(t, G_EQ, 0, m, 3) &&
	     send_flows(t, G_EQ, false, back, got);
	n = 0;
	for (i = 0; i < FLOWS; i++)
		n += back[i] != refill[i];
	for (i = 0; i < FLOWS && ok; i++)
		ok = back[i] == refill[i] || back[i] == M2;	/* moves are to M2 only */
	tap_result(ok && got[M2] > FLOWS / 4, "M2 back: %u flows move, every one to M2 (%u on it)",
		   n, got[M2]);
	/* M3 leaves the group for good: only its flows move */
	m[2] = m[1];
	ok = !group_set(t, G_EQ, 0, m, 2) && send_flows(t, G_EQ, false, left, got) &&
	     moved_only(back, left, M3, &n) && !got[M3];
	tap_result(ok, "M3 leaves: only its %u flows move", n);
	/* put the group back as it was */
	m[2] = (struct xgw_nhg_member){ M3, 1, true };
	group_set(t, G_EQ, 0, m, 3);
}

static void test_unresolved_all(struct t *t)
{
	struct pkt_spec s = V4(.dst = "10.50.1.2"), e = V4(.dst = "10.52.0.1");
	struct pkt_spec ttl = V4(.dst = "10.50.1.2", .ttl = 1);
	static uint8_t in[PKT_MAX];
	size_t len;
	bool ok;

	ok = !nh_resolve(t, M1, false) && !nh_resolve(t, M2, false) && !nh_resolve(t, M3, false) &&
	     send_flow(t, &s, 0);
	ok = ok && !nh_resolve(t, M1, true) && !nh_resolve(t, M2, true) &&
	     !nh_resolve(t, M3, true);
	tap_result(ok, "every member unresolved: to the kernel untouched (unresolved)");
	tap_result(send_flow(t, &e, 0), "a group with no bucket filled: to the kernel (unresolved)");
	len = pkt_build(&ttl, in);
	tap_result(run_check(t, in, len, 1, XGW_PASS_TTL, 0, in, len),
		   "TTL 1 over a multipath route, ICMP errors off: ttl_exceeded, untouched");
}

/* A group's seed changes the split (gateways in a chain use different ones). */
static void test_seed(struct t *t)
{
	struct xgw_nhg_member m[3] = { { M1, 1, true }, { M2, 1, true }, { M3, 1, true } };
	static uint32_t a[FLOWS], b[FLOWS];
	unsigned int got[16], n = 0;
	bool ok;
	int i;

	ok = send_flows(t, G_EQ, false, a, got) && !group_set(t, G_EQ, 0x5eed, m, 3) &&
	     send_flows(t, G_EQ, false, b, got);
	for (i = 0; i < FLOWS; i++)
		n += a[i] != b[i];
	tap_result(ok && n > FLOWS / 3, "another seed: %u of %d flows on another member, each "
		   "predicted", n, FLOWS);
	group_set(t, G_EQ, 0, m, 3);
}

int main(void)
{
	struct xgw_nhg_member eq[3] = { { M1, 1, true }, { M2, 1, true }, { M3, 1, true } };
	struct xgw_nhg_member w13[2] = { { M1, 1, true }, { M2, 3, true } };
	struct xgw_ifinfo ifi = { .vlans[0] = 1ull << 10 };
	struct t t;

	if (FIX_OPEN(&t))
		goto out;
	if (!tap_result(!group_set(&t, G_EQ, 0, eq, 3) && !group_set(&t, G_W13, 0, w13, 2) &&
			!map_update(bpf_map__fd(t.skel->maps.xgw_ifinfo), &t.port_ifindex, &ifi,
				    "xgw_ifinfo"),
			"groups written: 3 equal members, weights 1:3, one empty"))
		goto out;
	test_spread(&t, false);
	test_spread(&t, true);
	test_weights(&t);
	test_sticky(&t);
	test_fragments(&t);
	test_seed(&t);
	test_resilient(&t);
	test_unresolved_all(&t);
out:
	fix_close(&t);
	return tap_finish();
}
