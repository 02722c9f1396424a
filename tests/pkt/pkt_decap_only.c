// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgw-decap's program (bpf/decap_only.bpf.c) through BPF_PROG_TEST_RUN:
 * tunnel frames built here (the outer header by pkt_build() with the inner
 * datagram as its payload, checksums from scratch), output compared byte
 * for byte with the inner frame, verdict and counter checked for each:
 * stripped (4in4, 6in6, 4in6, 6in4), not ours, malformed, truncated, not a
 * tunnel, an outer fragment, a VLAN tag, an IPv6 extension header.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pkt_lib.h"
#include "decap_only.skel.h"

static struct decap_only_bpf *skel;

static void die(const char *what, int err)
{
	fprintf(stderr, "pkt_decap_only: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void add_addr(int family, const char *text)
{
	struct xgw_decap_addr k = { .family = family };
	uint8_t one = 1;

	if (inet_pton(family, text, k.addr) != 1 ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.xgw_decap_addrs), &k, &one, BPF_ANY))
		die(text, errno);
}

static void read_stats(struct xgw_counter *sum)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	struct xgw_counter v[ncpu];
	__u32 i;

	for (i = 0; i < XGW_DECAP_STAT_MAX; i++) {
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.xgw_decap_stats), &i, v))
			die("xgw_decap_stats", errno);
		sum[i].packets = sum[i].bytes = 0;
		for (c = 0; c < ncpu; c++) {
			sum[i].packets += v[c].packets;
			sum[i].bytes += v[c].bytes;
		}
	}
}

/* A TCP segment from a client to the VIP, as a frame. */
static struct pkt_spec inner_spec(int family)
{
	struct pkt_spec s = { .family = family, .proto = IPPROTO_TCP, .sport = 40000,
			      .dport = 80, .payload = 33 };

	s.src = family == AF_INET ? "192.0.2.10" : "2001:db8:9::10";
	s.dst = family == AF_INET ? "198.51.100.1" : "2001:db8:ffff::1";
	return s;
}

/*
 * outer (its proto 4 or 41 and its addresses) around the IP datagram of the
 * frame in[0..len): the outer frame in out, its length returned.
 */
static size_t encap(struct pkt_spec outer, const uint8_t *in, size_t len, int inner_family,
		    uint8_t *out)
{
	size_t olen, l3;

	outer.proto = inner_family == AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
	outer.payload = len - 14;
	olen = pkt_build(&outer, out);
	l3 = olen - outer.payload;
	memcpy(out + l3, in + 14, len - 14);
	return olen;
}

/*
 * One case: frame in, verdict, the counter that must move by one (with
 * the frame's bytes), and the frame out (NULL: unchanged).
 */
static void check(const char *name, const uint8_t *in, size_t len, uint32_t verdict,
		  enum xgw_decap_stat stat, const uint8_t *want, size_t want_len)
{
	struct xgw_counter b[XGW_DECAP_STAT_MAX], a[XGW_DECAP_STAT_MAX];
	struct pkt_run r;
	bool ok;
	int i;

	read_stats(b);
	pkt_run(bpf_program__fd(skel->progs.xgw_decap_only), in, len, 1, &r);
	read_stats(a);
	if (!want) {
		want = in;
		want_len = len;
	}
	ok = !r.err && r.retval == verdict;
	if (ok && verdict == 2 /* XDP_PASS */ &&
	    (r.out_len != want_len || memcmp(r.out, want, want_len))) {
		tap_diag("output differs (got %u bytes, want %zu):", r.out_len, want_len);
		tap_diff(r.out, r.out_len, want, want_len);
		ok = false;
	}
	for (i = 0; i < XGW_DECAP_STAT_MAX; i++) {
		__u64 dp = a[i].packets - b[i].packets, db = a[i].bytes - b[i].bytes;

		if (dp != (i == (int)stat) || db != (i == (int)stat ? len : 0)) {
			tap_diag("counter %d: +%llu packets +%llu bytes", i,
				 (unsigned long long)dp, (unsigned long long)db);
			ok = false;
		}
	}
	tap_result(ok, "%s: %s, counted", name, pkt_verdict_name(verdict));
}

/* The frame the stack must get: wire MACs, the inner type and datagram. */
static size_t stripped(const uint8_t *outer, const uint8_t *in, size_t len, uint8_t *out)
{
	memcpy(out, outer, 12);
	memcpy(out + 12, in + 12, len - 12);
	return len;
}

static void case_strip(int outer_family, int inner_family)
{
	struct pkt_spec o = { .family = outer_family };
	struct pkt_spec s = inner_spec(inner_family);
	uint8_t in[PKT_MAX], enc[PKT_MAX], want[PKT_MAX];
	size_t len = pkt_build(&s, in), elen;
	char name[64];

	o.src = outer_family == AF_INET ? "10.0.0.1" : "2001:db8::1";
	o.dst = outer_family == AF_INET ? "10.0.1.1" : "2001:db8:1::4";
	elen = encap(o, in, len, inner_family, enc);
	snprintf(name, sizeof(name), "IPv%d in IPv%d to an address of ours",
		 inner_family == AF_INET ? 4 : 6, outer_family == AF_INET ? 4 : 6);
	check(name, enc, elen, 2, XGW_DECAP_DONE, want, stripped(enc, in, len, want));
}

static void case_not_stripped(void)
{
	struct pkt_spec s4 = inner_spec(AF_INET), s6 = inner_spec(AF_INET6);
	struct pkt_spec o = { .family = AF_INET, .src = "10.0.0.1", .dst = "10.0.9.9" };
	uint8_t in[PKT_MAX], enc[PKT_MAX];
	size_t len = pkt_build(&s4, in), elen;

	elen = encap(o, in, len, AF_INET, enc);
	check("IPv4 in IPv4 to an address not ours", enc, elen, 2, XGW_DECAP_NOT_OURS, NULL, 0);

	o.dst = "10.0.1.1";
	elen = encap(o, in, len, AF_INET, enc);
	enc[14 + 20] = 0x60;	/* says IPv4 inside, carries a 6 */
	check("protocol 4 carrying IPv6", enc, elen, 1, XGW_DECAP_MALFORMED, NULL, 0);

	elen = encap(o, in, 14 + 12, AF_INET, enc);	/* 12 bytes of inner header */
	check("inner IPv4 header truncated", enc, elen, 1, XGW_DECAP_MALFORMED, NULL, 0);

	len = pkt_build(&(struct pkt_spec){ .family = AF_INET, .src = "192.0.2.10",
					    .dst = "10.0.1.1", .sport = 1, .dport = 2 }, in);
	check("plain UDP to an address of ours", in, len, 2, XGW_DECAP_OTHER, NULL, 0);

	len = pkt_build(&s4, in);
	o.frag = 0x2000;	/* MF: the first of several */
	elen = encap(o, in, len, AF_INET, enc);
	check("outer IPv4 fragment", enc, elen, 2, XGW_DECAP_OTHER, NULL, 0);

	o.frag = 0;
	o.nvlan = 1;
	o.vid[0] = 7;
	elen = encap(o, in, len, AF_INET, enc);
	check("802.1Q-tagged tunnel", enc, elen, 2, XGW_DECAP_OTHER, NULL, 0);

	len = pkt_build(&s6, in);
	o = (struct pkt_spec){ .family = AF_INET6, .src = "2001:db8::1", .dst = "2001:db8:1::4",
			       .next = 1, .ext = { IPPROTO_DSTOPTS } };
	elen = encap(o, in, len, AF_INET6, enc);
	check("IPv6 in IPv6 behind a destination-options header", enc, elen, 2,
	      XGW_DECAP_OTHER, NULL, 0);
}

int main(void)
{
	skel = decap_only_bpf__open_and_load();
	if (!skel) {
		printf("1..1\nok 1 - pkt_decap_only # SKIP cannot load the program: %s\n",
		       strerror(errno));
		return 0;
	}
	add_addr(AF_INET, "10.0.1.1");
	add_addr(AF_INET6, "2001:db8:1::4");
	case_strip(AF_INET, AF_INET);
	case_strip(AF_INET6, AF_INET6);
	case_strip(AF_INET6, AF_INET);
	case_strip(AF_INET, AF_INET6);
	case_not_stripped();
	decap_only_bpf__destroy(skel);
	return tap_finish();
}
