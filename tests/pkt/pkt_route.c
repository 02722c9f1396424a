// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Routing datapath fixtures through BPF_PROG_TEST_RUN. Each case is
 * {name, frame in, reason (hence verdict), next hop}: the frame out must be
 * byte for byte the one this file predicts (for a forward: the next hop's
 * MACs and VLAN, TTL - 1, IPv4 checksum recomputed in full by the builder;
 * otherwise the frame exactly as it came in), and the counters must move by
 * exactly one packet of the received length under that reason (and that next
 * hop). Output: TAP.
 */
#include "route_fix.h"

enum { NH_A = 1, NH_VLAN, NH_UNRES, NH_MTU, NH_NOPORT, NH_B };

#define NOPORT_IFINDEX	0x7ffffff0u	/* no such device: not in xgw_tx_ports */

static const struct nh_def nexthops[] = {
	{ NH_A, 0, 1500, 0, { 2, 0xaa, 0, 0, 0, 1 }, { 2, 0xbb, 0, 0, 0, 1 }, true },
	{ NH_VLAN, 0, 1500, 100, { 2, 0xaa, 0, 0, 0, 2 }, { 2, 0xbb, 0, 0, 0, 2 }, true },
	{ NH_UNRES, 0, 1500, 0, { 2, 0xaa, 0, 0, 0, 3 }, { 0 }, false },
	{ NH_MTU, 0, 1000, 0, { 2, 0xaa, 0, 0, 0, 4 }, { 2, 0xbb, 0, 0, 0, 4 }, true },
	{ NH_NOPORT, NOPORT_IFINDEX, 1500, 0, { 2, 0xaa, 0, 0, 0, 5 }, { 2, 0xbb, 0, 0, 0, 5 }, true },
	{ NH_B, 0, 1500, 0, { 2, 0xaa, 0, 0, 0, 6 }, { 2, 0xbb, 0, 0, 0, 6 }, true },
};

static const struct route_def routes[] = {
	{ "10.1.0.5/32", XGW_RT_NEXTHOP, 0, NH_A },
	{ "10.1.0.6/32", XGW_RT_LOCAL, XGW_RT_F_OWN, 0 },	/* the gateway's own */
	{ "10.2.3.9/32", XGW_RT_NEXTHOP, 0, NH_A },	/* inside 10.2.3.0/24 */
	{ "10.2.5.5/32", XGW_RT_NONE, XGW_RT_F_VIP, 0 },	/* VIP marker only */
	{ "10.9.0.1/32", XGW_RT_NONE, XGW_RT_F_VIP, 0 },	/* VIP, no prefix */
	{ "10.2.0.0/16", XGW_RT_NEXTHOP, 0, NH_A },
	{ "10.2.3.0/24", XGW_RT_NEXTHOP, 0, NH_B },
	{ "10.2.4.0/24", XGW_RT_BLACKHOLE, 0, 0 },
	{ "10.3.0.0/16", XGW_RT_NEXTHOP, 0, NH_UNRES },
	{ "10.4.0.0/16", XGW_RT_NEXTHOP, 0, NH_MTU },
	{ "10.5.0.0/16", XGW_RT_NEXTHOP, 0, NH_NOPORT },
	{ "10.6.0.0/16", XGW_RT_NEXTHOP, 0, NH_VLAN },
	{ "192.0.2.0/24", XGW_RT_LOCAL, 0, 0 },
	/* FIB edges: a /32 in a /24 under a /16; a /26 inside a /25 */
	{ "10.7.0.0/16", XGW_RT_NEXTHOP, 0, NH_A },
	{ "10.7.1.9/32", XGW_RT_NEXTHOP, 0, NH_B },
	{ "10.7.1.20/32", XGW_RT_NONE, XGW_RT_F_VIP, 0 },	/* VIP over the /16 */
	{ "10.8.0.0/16", XGW_RT_BLACKHOLE, 0, 0 },
	{ "10.8.1.0/25", XGW_RT_NEXTHOP, 0, NH_A },
	{ "10.8.1.64/26", XGW_RT_NEXTHOP, 0, NH_B },
	{ "2001:db8:1::5/128", XGW_RT_NEXTHOP, 0, NH_A },
	{ "2001:db8:1::6/128", XGW_RT_LOCAL, XGW_RT_F_OWN, 0 },
	{ "2001:db8:2::/48", XGW_RT_NEXTHOP, 0, NH_A },
	{ "2001:db8:2:3::/64", XGW_RT_NEXTHOP, 0, NH_B },
	{ "2001:db8:3::/48", XGW_RT_NEXTHOP, 0, NH_UNRES },
	{ "2001:db8:4::/48", XGW_RT_BLACKHOLE, 0, 0 },
	{ "2001:db8:5::/48", XGW_RT_NEXTHOP, 0, NH_NOPORT },
	{ "2001:db8:6::/48", XGW_RT_NEXTHOP, 0, NH_VLAN },
	{ "2001:db8:a::/48", XGW_RT_NEXTHOP, 0, NH_MTU },
	/* routes that would forward martian destinations if let */
	{ "127.0.0.1/32", XGW_RT_LOCAL, XGW_RT_F_OWN, 0 },	/* learnt as the gateway's */
	{ "127.0.0.0/8", XGW_RT_NEXTHOP, 0, NH_A },
	{ "0.0.0.0/8", XGW_RT_NEXTHOP, 0, NH_A },
	{ "240.0.0.0/4", XGW_RT_NEXTHOP, 0, NH_A },
	{ "::/96", XGW_RT_NEXTHOP, 0, NH_A },
	{ "::ffff:0:0/96", XGW_RT_NEXTHOP, 0, NH_A },
	/* an IPv6 service VIP (DSR, one backend behind NH_B) over a /48 */
	{ "2001:db8:7::/48", XGW_RT_NEXTHOP, 0, NH_A },
	{ "2001:db8:7::80/128", XGW_RT_NONE, XGW_RT_F_VIP, 0 },
	/* a VIP mark over a local prefix: the FIB answers local + VIP */
	{ "2001:db8:8::/48", XGW_RT_LOCAL, 0, 0 },
	{ "2001:db8:8::80/128", XGW_RT_NONE, XGW_RT_F_VIP, 0 },
};

/* The service on 2001:db8:7::80 (maps_program() sets it up). */
#define SVC6_VIP	"2001:db8:7::80"
#define SVC6_PORT	80
#define SVC6_BACKEND_NH	NH_B

struct fixture {
	const char *name;
	struct pkt_spec in;
	enum xgw_reason reason;
	uint32_t nh;		/* next hop of a forward */
	size_t trunc;		/* cut the frame to this many bytes (0: whole) */
};

static const struct fixture fixtures[] = {
	/* forwarding, IPv4 */
	{ "ipv4 udp via host map", V4(.dst = "10.1.0.5"), XGW_FWD, NH_A },
	{ "ipv4 tcp via prefix table", V4(.dst = "10.2.1.1", TCP), XGW_FWD, NH_A },
	{ "ipv4 longest prefix wins (/24 over /16)", V4(.dst = "10.2.3.4"), XGW_FWD, NH_B },
	{ "ipv4 host map wins over prefix", V4(.dst = "10.2.3.9"), XGW_FWD, NH_A },
	{ "ipv4 VIP marker falls through to prefix", V4(.dst = "10.2.5.5"), XGW_FWD, NH_A },
	{ "ipv4 icmp echo", V4(ICMP4(8)), XGW_FWD, NH_A },
	{ "ipv4 other L4 protocol (GRE)", V4(.proto = 47, .payload = 24), XGW_FWD, NH_A },
	{ "ipv4 802.1Q in, untagged out", V4(TAG1(10)), XGW_FWD, NH_A },
	{ "ipv4 QinQ in, untagged out", V4(QINQ(20, 10)), XGW_FWD, NH_A },
	{ "ipv4 untagged in, VLAN 100 pushed", V4(.dst = "10.6.0.1"), XGW_FWD, NH_VLAN },
	{ "ipv4 802.1Q in, retagged VLAN 100", V4(.dst = "10.6.0.1", TAG1(10)), XGW_FWD, NH_VLAN },
	{ "ipv4 QinQ in, single VLAN 100 out", V4(.dst = "10.6.0.1", QINQ(20, 10)), XGW_FWD, NH_VLAN },
	{ "ipv4 options (12 bytes)", V4(.ip_opts = 12), XGW_FWD, NH_A },
	{ "ipv4 options (40 bytes, IHL 15), tcp", V4(.ip_opts = 40, TCP), XGW_FWD, NH_A },
	{ "ipv4 tcp with options (doff 8)", V4(TCP, .tcp_doff = 8), XGW_FWD, NH_A },
	{ "ipv4 Ethernet padding carried", V4(.payload = 2, .pad = 16), XGW_FWD, NH_A },
	{ "ipv4 first fragment (MF)", V4(.frag = 0x2000), XGW_FWD, NH_A },
	{ "ipv4 later fragment: no L4 parse", V4(.frag = 0x0010, .len_delta = -24), XGW_FWD, NH_A },
	{ "ipv4 TTL 2 forwarded as TTL 1", V4(.ttl = 2), XGW_FWD, NH_A },
	{ "ipv4 TTL 255", V4(.ttl = 255), XGW_FWD, NH_A },
	{ "ipv4 L3 length == egress MTU", V4(.dst = "10.4.0.1", .payload = 1000 - 28), XGW_FWD, NH_MTU },
	/* IPv4 FIB: a chunk holds a /16's longer routes over its base */
	{ "ipv4 /32 host in a /24 under a /16", V4(.dst = "10.7.1.9"), XGW_FWD, NH_B },
	{ "ipv4 neighbour below the /32 gets the /16", V4(.dst = "10.7.1.8"), XGW_FWD, NH_A },
	{ "ipv4 neighbour above the /32 gets the /16", V4(.dst = "10.7.1.10"), XGW_FWD, NH_A },
	{ "ipv4 first address of the host's /24 gets the /16", V4(.dst = "10.7.1.0"),
	  XGW_FWD, NH_A },
	{ "ipv4 last address of the host's /24 gets the /16", V4(.dst = "10.7.1.255"),
	  XGW_FWD, NH_A },
	{ "ipv4 another /24 of the /16", V4(.dst = "10.7.200.1"), XGW_FWD, NH_A },
	{ "ipv4 VIP mark over a /16, beside a /32: no service, the /16",
	  V4(.dst = "10.7.1.20", TCP), XGW_FWD, NH_A },
	{ "ipv4 /25 below a nested /26 (.0)", V4(.dst = "10.8.1.0"), XGW_FWD, NH_A },
	{ "ipv4 /25 just below the /26 (.63)", V4(.dst = "10.8.1.63"), XGW_FWD, NH_A },
	{ "ipv4 /26 first address (.64) wins over the /25", V4(.dst = "10.8.1.64"), XGW_FWD, NH_B },
	{ "ipv4 /26 last address (.127) wins over the /25", V4(.dst = "10.8.1.127"), XGW_FWD, NH_B },
	/* forwarding, IPv6 */
	{ "ipv6 udp via host map", V6(.dst = "2001:db8:1::5"), XGW_FWD, NH_A },
	{ "ipv6 tcp via prefix table", V6(TCP), XGW_FWD, NH_A },
	{ "ipv6 longest prefix wins (/64 over /48)", V6(.dst = "2001:db8:2:3::1"), XGW_FWD, NH_B },
	{ "ipv6 icmpv6 echo", V6(ICMP6(128)), XGW_FWD, NH_A },
	{ "ipv6 802.1Q in, untagged out", V6(TAG1(10)), XGW_FWD, NH_A },
	{ "ipv6 QinQ in, VLAN 100 out", V6(.dst = "2001:db8:6::1", QINQ(20, 10)), XGW_FWD, NH_VLAN },
	{ "ipv6 untagged in, VLAN 100 pushed", V6(.dst = "2001:db8:6::1", TCP), XGW_FWD, NH_VLAN },
	{ "ipv6 4 extension headers (the limit)",
	  V6(EXT(IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT),
	     .frag = 0x0001, TCP), XGW_FWD, NH_A },
	{ "ipv6 AH then udp", V6(EXT(IPPROTO_AH)), XGW_FWD, NH_A },
	{ "ipv6 later fragment: no L4 parse", V6(EXT(IPPROTO_FRAGMENT), .frag = 0x0100,
						 .len_delta = -24), XGW_FWD, NH_A },
	{ "ipv6 hop limit 2 forwarded as 1", V6(.ttl = 2), XGW_FWD, NH_A },
	{ "ipv6 L3 length == egress MTU", V6(.dst = "2001:db8:a::1", .payload = 1000 - 48),
	  XGW_FWD, NH_MTU },

	/* IPv4 options: padding alone is forwarded */
	{ "ipv4 options: NOPs then END", V4(OPTS4(1, 1, 1, 0)), XGW_FWD, NH_A },
	{ "ipv4 options: an LSRR after END is padding", V4(OPTS4(0, 0x83, 3, 4)), XGW_FWD, NH_A },
	{ "ipv6 hop-by-hop: Pad1 x6", V6(HBH(0, 0, 0, 0, 0, 0)), XGW_FWD, NH_A },
	{ "ipv6 hop-by-hop: PadN over 14 bytes", V6(HBH(1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
	  XGW_FWD, NH_A },
	/* VLANs attached on the port: 10 and 20 (maps_program()) */
	{ "802.1ad outer VID 10 (attached), inner 30", V4(.nvlan = 2, .tpid = { 0x88a8, 0x8100 },
							   .vid = { 10, 30 }), XGW_FWD, NH_A },
	{ "ipv4 802.1Q priority bits set on VID 10", V4(TAG1(0xe000 | 10)), XGW_FWD, NH_A },
	{ "ipv6 tcp to a service VIP: to its backend", V6(.dst = SVC6_VIP, TCP), XGW_FWD_LB,
	  SVC6_BACKEND_NH },
	/* issue 14.6: ICMP's number of the other family is no ICMP header */
	{ "ipv4 proto 58 with 4 bytes of payload (not ICMP for IPv4)",
	  V4(.proto = 58, .payload = 0, .len_delta = -4), XGW_FWD, NH_A },
	{ "ipv6 next header 1 with 4 bytes of payload (not ICMPv6)",
	  V6(.proto = 1, .payload = 0, .len_delta = -4), XGW_FWD, NH_A },
	{ "ipv6 IPv4-compatible ::a.b.c.d is no martian: ::/96",
	  V6(.dst = "::10.0.0.9"), XGW_FWD, NH_A },
	{ "ipv4 to the gateway's own 127.0.0.1: local", V4(.dst = "127.0.0.1"), XGW_PASS_LOCAL },

	/* handed to the kernel */
	{ "arp is non_ip", RAW(0x0806, 28), XGW_PASS_NON_IP },
	{ "ipv4 Router Alert option", V4(OPTS4(0x94, 4, 0, 0)), XGW_PASS_IPOPT },
	{ "ipv4 record route option", V4(OPTS4(7, 7, 4, 0, 0, 0, 0, 0)), XGW_PASS_IPOPT },
	{ "ipv4 timestamp option", V4(OPTS4(0x44, 8, 5, 0, 0, 0, 0, 0)), XGW_PASS_IPOPT },
	{ "ipv4 record route, a 32-byte datagram in a 46-byte frame (dpfuzz)",
	  V4(OPTS4(7, 3, 4, 0), .payload = 0), XGW_PASS_IPOPT },
	{ "ipv4 Router Alert to the gateway itself", V4(.dst = "10.1.0.6", OPTS4(0x94, 4, 0, 0)),
	  XGW_PASS_IPOPT },
	{ "ipv6 hop-by-hop Router Alert", V6(HBH(5, 2, 0, 0, 1, 0)), XGW_PASS_IPOPT },
	{ "ipv6 hop-by-hop unknown option", V6(HBH(0x3e, 4, 1, 2, 3, 4)), XGW_PASS_IPOPT },
	{ "ipv6 hop-by-hop longer than the scan (70 bytes of padding)",
	  V6(HBH(1, 68, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), XGW_PASS_IPOPT },
	{ "802.1Q VID 30 (not attached)", V4(TAG1(30)), XGW_PASS_VLAN },
	{ "802.1Q VID 30, ipv6", V6(TAG1(30), TCP), XGW_PASS_VLAN },
	{ "QinQ outer VID 30 (not attached), inner 10", V4(QINQ(30, 10)), XGW_PASS_VLAN },
	{ "802.1Q VID 0 (priority tag: attach no VID)", V4(TAG1(0)), XGW_PASS_VLAN },
	{ "ipv6 neighbour solicitation on VID 30", V6(ICMP6(135), TAG1(30)), XGW_PASS_VLAN },
	{ "lldp is non_ip", RAW(0x88cc, 40), XGW_PASS_NON_IP },
	{ "three VLAN tags: beyond the parser, non_ip",
	  V4(.nvlan = 3, .vid = { 1, 2, 3 }), XGW_PASS_NON_IP },
	{ "ipv6 neighbour solicitation to a routed address",
	  V6(ICMP6(135), .ttl = 255), XGW_PASS_ND },
	{ "ipv6 router solicitation to ff02::2", V6(ICMP6(133), .dst = "ff02::2"), XGW_PASS_ND },
	{ "ipv6 router advertisement", V6(ICMP6(134), .src = "fe80::1", .dst = "ff02::1"),
	  XGW_PASS_ND },
	{ "ipv6 neighbour advertisement", V6(ICMP6(136)), XGW_PASS_ND },
	{ "ipv6 redirect", V6(ICMP6(137)), XGW_PASS_ND },
	{ "ipv6 DAD probe from ::", V6(ICMP6(135), .src = "::", .dst = "ff02::1:ff00:5"),
	  XGW_PASS_ND },
	{ "ipv6 MLD done (not ND) to ff02::2", V6(ICMP6(132), .dst = "ff02::2"), XGW_PASS_MCAST },
	{ "ipv4 local via host map", V4(.dst = "10.1.0.6"), XGW_PASS_LOCAL },
	{ "ipv4 local via prefix table", V4(.dst = "192.0.2.1", TCP), XGW_PASS_LOCAL },
	{ "ipv6 local via host map", V6(.dst = "2001:db8:1::6"), XGW_PASS_LOCAL },
	{ "ipv4 multicast 224.0.0.5", V4(.dst = "224.0.0.5"), XGW_PASS_MCAST },
	{ "ipv4 multicast 239.1.2.3", V4(.dst = "239.1.2.3"), XGW_PASS_MCAST },
	{ "ipv4 broadcast", V4(.dst = "255.255.255.255"), XGW_PASS_MCAST },
	{ "ipv4 DHCP discover from 0.0.0.0", V4(.src = "0.0.0.0", .dst = "255.255.255.255",
						.sport = 68, .dport = 67), XGW_PASS_MCAST },
	{ "ipv6 multicast ff02::1", V6(.dst = "ff02::1"), XGW_PASS_MCAST },
	{ "ipv6 global multicast ff0e::1", V6(.dst = "ff0e::1"), XGW_PASS_MCAST },
	{ "ipv6 link-local destination", V6(.dst = "fe80::1"), XGW_PASS_MCAST },
	{ "ipv6 link-local fe80::/10 upper edge", V6(.dst = "febf::1"), XGW_PASS_MCAST },
	{ "ipv4 no route", V4(.dst = "198.51.100.1"), XGW_PASS_NO_ROUTE },
	{ "ipv4 VIP marker and no prefix: no route", V4(.dst = "10.9.0.1"), XGW_PASS_NO_ROUTE },
	{ "ipv6 no route", V6(.dst = "2001:db8:ff::1"), XGW_PASS_NO_ROUTE },
	{ "ipv6 fec0:: is not link-local: no route", V6(.dst = "fec0::1"), XGW_PASS_NO_ROUTE },
	{ "ipv4 next hop unresolved", V4(.dst = "10.3.0.1"), XGW_PASS_UNRESOLVED },
	{ "ipv6 next hop unresolved", V6(.dst = "2001:db8:3::1"), XGW_PASS_UNRESOLVED },
	{ "ipv4 TTL 1", V4(.ttl = 1), XGW_PASS_TTL },
	{ "ipv4 TTL 0", V4(.ttl_zero = true), XGW_PASS_TTL },
	{ "ipv6 hop limit 0", V6(.ttl_zero = true), XGW_PASS_TTL },
	{ "ipv6 hop limit 1", V6(.ttl = 1), XGW_PASS_TTL },
	{ "ipv4 L3 length == egress MTU + 1", V4(.dst = "10.4.0.1", .payload = 1001 - 28),
	  XGW_PASS_MTU },
	{ "ipv6 L3 length == egress MTU + 1", V6(.dst = "2001:db8:a::1", .payload = 1001 - 48),
	  XGW_PASS_MTU },
	{ "ipv4 egress port not in devmap", V4(.dst = "10.5.0.1"), XGW_PASS_NO_PORT },
	{ "ipv6 egress port not in devmap", V6(.dst = "2001:db8:5::1"), XGW_PASS_NO_PORT },
	{ "ipv6 5 extension headers (one too many)",
	  V6(EXT(IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING, IPPROTO_AH, IPPROTO_DSTOPTS)),
	  XGW_PASS_EXTHDR },

	/* dropped */
	{ "VLAN tag cut short", V4(TAG1(10)), XGW_DROP_MALFORMED, 0, 16 },
	{ "ipv4 LSRR option", V4(OPTS4(0x83, 7, 4, 10, 0, 0, 9, 0)), XGW_DROP_SRCROUTE },
	{ "ipv4 SSRR option", V4(OPTS4(0x89, 7, 4, 10, 0, 0, 9, 0)), XGW_DROP_SRCROUTE },
	{ "ipv4 LSRR, a 32-byte datagram in a 46-byte frame", V4(OPTS4(0x83, 3, 4, 0), .payload = 0),
	  XGW_DROP_SRCROUTE },
	{ "ipv4 NOP, Router Alert, then LSRR", V4(OPTS4(1, 0x94, 4, 0, 0, 0x83, 3, 4)),
	  XGW_DROP_SRCROUTE },
	{ "ipv4 LSRR to the gateway itself", V4(.dst = "10.1.0.6", OPTS4(0x83, 3, 4, 0)),
	  XGW_DROP_SRCROUTE },
	{ "ipv4 option length 1", V4(OPTS4(0x94, 1, 0, 0)), XGW_DROP_BAD_IP },
	{ "ipv4 option longer than the options", V4(OPTS4(0x94, 6, 0, 0)), XGW_DROP_BAD_IP },
	{ "ipv4 option type in the last byte", V4(OPTS4(1, 1, 1, 0x94)), XGW_DROP_BAD_IP },
	{ "ipv6 hop-by-hop option past its header", V6(HBH(1, 9, 0, 0, 0, 0)), XGW_DROP_BAD_IP },
	{ "ipv4 martian destination 0.1.2.3", V4(.dst = "0.1.2.3"), XGW_DROP_MARTIAN_DST },
	{ "ipv4 martian destination 0.0.0.0", V4(.dst = "0.0.0.0"), XGW_DROP_MARTIAN_DST },
	{ "ipv4 martian destination 127.0.0.2 (not the gateway's)", V4(.dst = "127.0.0.2"),
	  XGW_DROP_MARTIAN_DST },
	{ "ipv4 martian destination 127.255.255.255", V4(.dst = "127.255.255.255", TCP),
	  XGW_DROP_MARTIAN_DST },
	{ "ipv4 martian destination 240.0.0.1", V4(.dst = "240.0.0.1"), XGW_DROP_MARTIAN_DST },
	{ "ipv4 martian destination 255.255.255.254", V4(.dst = "255.255.255.254"),
	  XGW_DROP_MARTIAN_DST },
	{ "ipv6 martian destination ::1", V6(.dst = "::1"), XGW_DROP_MARTIAN_DST },
	{ "ipv6 martian destination ::", V6(.dst = "::"), XGW_DROP_MARTIAN_DST },
	{ "ipv6 martian destination ::ffff:10.2.1.1", V6(.dst = "::ffff:10.2.1.1", TCP),
	  XGW_DROP_MARTIAN_DST },
	{ "ipv4 martian source and destination: the source counts",
	  V4(.src = "127.0.0.1", .dst = "0.0.0.1"), XGW_DROP_MARTIAN },
	{ "ipv4 martian 240.0.0.1", V4(.src = "240.0.0.1"), XGW_DROP_MARTIAN },
	{ "ipv6 martian ::ffff:10.0.0.1", V6(.src = "::ffff:10.0.0.1"), XGW_DROP_MARTIAN },
	{ "ipv6 link-local source to a service VIP", V6(.src = "fe80::1", .dst = SVC6_VIP, TCP),
	  XGW_DROP_MARTIAN },
	{ "ipv6 link-local source to a VIP over a local prefix",
	  V6(.src = "fe80::1", .dst = "2001:db8:8::80", TCP), XGW_DROP_MARTIAN },
	{ "ipv6 VIP over a local prefix, no service on the port: the kernel's",
	  V6(.dst = "2001:db8:8::80", TCP), XGW_PASS_LOCAL },
	{ "ipv4 ethertype, version 6", V4(.bad_version = 6), XGW_DROP_BAD_IP },
	{ "ipv4 IHL 4", V4(.bad_ihl = 4), XGW_DROP_BAD_IP },
	{ "ipv4 IHL 15 beyond tot_len", V4(.bad_ihl = 15, .payload = 0), XGW_DROP_BAD_IP },
	{ "ipv4 tot_len beyond the frame", V4(.len_delta = 1), XGW_DROP_BAD_IP },
	{ "ipv4 tot_len shorter than the header", V4(.len_delta = -27), XGW_DROP_BAD_IP },
	{ "ipv6 ethertype, version 4", V6(.bad_version = 4), XGW_DROP_BAD_IP },
	{ "ipv6 payload length beyond the frame", V6(.len_delta = 1), XGW_DROP_BAD_IP },
	{ "ipv6 extension header beyond the payload",
	  V6(EXT(IPPROTO_HOPOPTS), .len_delta = -30), XGW_DROP_BAD_IP },
	{ "ipv4 tcp doff 4", V4(TCP, .tcp_doff = 4), XGW_DROP_TRUNC_L4 },
	{ "ipv4 tcp doff beyond the datagram", V4(TCP, .tcp_doff = 15, .payload = 0,
						  .len_delta = -40), XGW_DROP_TRUNC_L4 },
	{ "ipv4 udp header cut by tot_len (padding after)", V4(.len_delta = -24),
	  XGW_DROP_TRUNC_L4 },
	{ "ipv4 icmp header cut by tot_len", V4(ICMP4(8), .len_delta = -22), XGW_DROP_TRUNC_L4 },
	{ "ipv6 udp header cut by payload length", V6(.len_delta = -24), XGW_DROP_TRUNC_L4 },
	{ "ipv6 icmpv6 header cut after extension header",
	  V6(ICMP6(128), EXT(IPPROTO_DSTOPTS), .len_delta = -22), XGW_DROP_TRUNC_L4 },
	{ "ipv4 blackhole", V4(.dst = "10.2.4.1"), XGW_DROP_BLACKHOLE },
	{ "ipv4 past the /25 and /26 (.128): their /16 blackhole", V4(.dst = "10.8.1.128"),
	  XGW_DROP_BLACKHOLE },
	{ "ipv4 /16 blackhole in the /24 before the /25", V4(.dst = "10.8.0.255"),
	  XGW_DROP_BLACKHOLE },
	{ "ipv6 blackhole", V6(.dst = "2001:db8:4::1"), XGW_DROP_BLACKHOLE },
	{ "ipv4 martian 0.1.2.3", V4(.src = "0.1.2.3"), XGW_DROP_MARTIAN },
	{ "ipv4 martian 0.0.0.0 to unicast", V4(.src = "0.0.0.0"), XGW_DROP_MARTIAN },
	{ "ipv4 martian 127.0.0.1", V4(.src = "127.0.0.1"), XGW_DROP_MARTIAN },
	{ "ipv4 martian 127.255.255.254 to local", V4(.src = "127.255.255.254", .dst = "10.1.0.6"),
	  XGW_DROP_MARTIAN },
	{ "ipv4 martian 224.0.0.1", V4(.src = "224.0.0.1"), XGW_DROP_MARTIAN },
	{ "ipv4 martian 239.255.0.1", V4(.src = "239.255.0.1"), XGW_DROP_MARTIAN },
	{ "ipv4 martian 255.255.255.255", V4(.src = "255.255.255.255"), XGW_DROP_MARTIAN },
	{ "ipv4 martian to multicast", V4(.src = "127.0.0.1", .dst = "224.0.0.5"),
	  XGW_DROP_MARTIAN },
	{ "ipv6 martian :: to unicast", V6(.src = "::"), XGW_DROP_MARTIAN },
	{ "ipv6 martian ::1", V6(.src = "::1"), XGW_DROP_MARTIAN },
	{ "ipv6 martian ff02::1", V6(.src = "ff02::1"), XGW_DROP_MARTIAN },
	{ "ipv6 link-local source not forwarded", V6(.src = "fe80::1"), XGW_DROP_MARTIAN },
	{ "ipv6 link-local source to a local address", V6(.src = "fe80::1", .dst = "2001:db8:1::6"),
	  XGW_PASS_LOCAL },
	{ "ipv6 link-local source to link-local", V6(.src = "fe80::1", .dst = "fe80::2"),
	  XGW_PASS_MCAST },
	{ "ipv6 martian ::1 sending ND", V6(.src = "::1", ICMP6(135)), XGW_DROP_MARTIAN },
};

/* What fix_open() does not: the tagged fixtures' VLANs, the service. */
static int maps_program(struct t *t)
{
	struct xgw_ifinfo ifi = { .vlans[0] = 1ull << 10 | 1ull << 20 };
	int err;

	err = map_update(bpf_map__fd(t->skel->maps.xgw_ifinfo), &t->port_ifindex, &ifi,
			 "xgw_ifinfo");
	if (!err)
		err = service_program(t, 1, SVC6_VIP, SVC6_PORT, IPPROTO_TCP, XGW_LB_DSR,
				      "2001:db8:2:3::99", NULL, SVC6_BACKEND_NH);
	return err;
}

static void test_fixture(struct t *t, const struct fixture *f)
{
	static uint8_t in[PKT_MAX], want[PKT_MAX];
	size_t len = pkt_build(&f->in, in), want_len;

	if (f->trunc)
		len = f->trunc;
	if (pkt_verdict_of(f->reason) == XDP_REDIRECT) {
		struct pkt_spec out = expect_forward(&f->in, nh_find(t, f->nh));

		want_len = pkt_build(&out, want);
	} else {
		memcpy(want, in, len);	/* handed on untouched */
		want_len = len;
	}
	tap_result(run_check(t, in, len, 1, f->reason, f->nh, want, want_len), "%s -> %s",
		   f->name, xgw_reason_desc[f->reason].name);
}

/* One's complement sum of two 16-bit values. */
static uint16_t ones_add(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	return (s & 0xffff) + (s >> 16);
}

/*
 * The IP ID that gives @s the header checksum @want: the checksum is
 * ~(rest + id) in one's complement, so id = ~want + ~rest = ~want + csum(id 0).
 */
static uint16_t id_for_checksum(struct pkt_spec s, uint16_t want)
{
	static uint8_t buf[PKT_MAX];
	size_t l3 = pkt_l3_off(&s);

	s.ip_id = 0;
	pkt_build(&s, buf);
	return ones_add(~want & 0xffff, (uint16_t)(buf[l3 + 10] << 8 | buf[l3 + 11]));
}

/*
 * The incremental checksum update against a full recompute, for every TTL
 * that forwards, with a spread of IP IDs and with the IDs that put the input
 * checksum at the edges of one's complement arithmetic (where a missing
 * end-around carry or fold shows).
 */
static void test_checksum_sweep(struct t *t)
{
	static const uint16_t ids[] = { 0x0000, 0x1c46, 0x7fff, 0xbeef, 0xfffe };
	static const uint16_t edges[] = { 0x0000, 0x0001, 0x00ff, 0x0100, 0x01ff, 0xeeff,
					  0xeefe, 0xef00, 0xfeff, 0xff00, 0xfffe };
	const size_t nids = sizeof(ids) / sizeof(ids[0]), n = nids + sizeof(edges) / sizeof(edges[0]);
	static uint8_t in[PKT_MAX], want[PKT_MAX];
	int ttl, runs = 0, failed = 0;
	size_t i;

	for (ttl = 2; ttl <= 255; ttl++) {
		for (i = 0; i < n; i++) {
			struct pkt_spec s = V4(.dst = "10.1.0.5", .ttl = ttl);
			struct pkt_spec o;
			size_t len, wlen, l3 = pkt_l3_off(&s);
			uint16_t csum;

			s.ip_id = i < nids ? ids[i] : id_for_checksum(s, edges[i - nids]);
			o = expect_forward(&s, nh_find(t, NH_A));
			len = pkt_build(&s, in);
			wlen = pkt_build(&o, want);
			csum = in[l3 + 10] << 8 | in[l3 + 11];
			if (i >= nids && csum != edges[i - nids]) {
				tap_diag("fixture: checksum %#06x, wanted %#06x", csum, edges[i - nids]);
				failed++;
			}
			runs++;
			if (!run_check(t, in, len, 1, XGW_FWD, NH_A, want, wlen)) {
				tap_diag("TTL %d, input checksum %#06x", ttl, csum);
				failed++;
			}
			if (failed > 3)
				goto out;
		}
	}
out:
	tap_result(!failed, "ipv4 checksum after TTL decrement equals a full recompute "
		   "(%d frames, TTL 2..255, edge checksums)", runs);
}

/*
 * Every cut of a valid frame, 0 bytes up to one short of whole. The kernel
 * refuses XDP test frames shorter than an Ethernet header (EINVAL); every
 * other cut must be dropped, as malformed L2 or as a bad IP header, and
 * leave the frame as it was.
 */
static void test_truncations(struct t *t, const char *name, const struct pkt_spec *s)
{
	static uint8_t in[PKT_MAX];
	static struct pkt_run r;
	size_t len = pkt_build(s, in), l3 = pkt_l3_off(s), n;
	int refused = 0;
	bool ok = true;

	for (n = 0; n < len && ok; n++) {
		if (n < 14) {
			pkt_run(t->prog_fd, in, n, 1, &r);
			if (r.err != -EINVAL) {
				tap_diag("%zu bytes: expected the kernel to refuse (EINVAL), got %s, "
					 "verdict %s", n, r.err ? strerror(-r.err) : "success",
					 pkt_verdict_name(r.retval));
				ok = false;
			}
			refused++;
			continue;
		}
		ok = run_check(t, in, n, 1, n < l3 ? XGW_DROP_MALFORMED : XGW_DROP_BAD_IP, 0, in,
			       n);
		if (!ok)
			tap_diag("at %zu of %zu bytes", n, len);
	}
	tap_result(ok, "every truncation of %s (0..%zu bytes; %d refused by the kernel) dropped",
		   name, len - 1, refused);
}

/* BPF_PROG_TEST_RUN with repeat reuses one buffer: TTL drops every round. */
static void test_repeat(struct t *t)
{
	static uint8_t in[PKT_MAX], want[PKT_MAX];
	struct pkt_spec s = V4(.dst = "10.1.0.5", .ttl = 64);
	struct pkt_spec o = expect_forward(&s, nh_find(t, NH_A));
	size_t len = pkt_build(&s, in), wlen;

	o.ttl = 61;
	wlen = pkt_build(&o, want);
	tap_result(run_check(t, in, len, 3, XGW_FWD, NH_A, want, wlen),
		   "repeat 3 reuses the buffer: TTL 64 comes out as 61, 3 forwards counted");
}

/*
 * xgw_trace_redirect_err: in live-frames mode BPF_PROG_TEST_RUN performs the
 * redirect, and loopback cannot take XDP frames, so a forward to it fails
 * after the program returned. The program counts the forward; the tracing
 * program counts the failure under redirect_error (a packet, no bytes).
 */
static void test_redirect_error(struct t *t)
{
	static uint8_t in[PKT_MAX];
	struct pkt_spec s = V4(.dst = "10.1.0.5");
	size_t len = pkt_build(&s, in);
	struct pkt_counters before, after;
	struct bpf_link *link;
	bool ok = true;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in,
		.data_size_in = len,
		.repeat = 1,
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
	);

	if (!bpf_program__autoload(t->skel->progs.xgw_trace_redirect_err)) {
		tap_result(true, "redirect failure counted # SKIP kernel has no xdp_redirect_err");
		return;
	}
	link = bpf_program__attach(t->skel->progs.xgw_trace_redirect_err);
	if (!link) {
		tap_result(false, "redirect failure counted: attach: %s", strerror(errno));
		return;
	}
	pkt_counters_read(t->stats_fd, t->nh_stats_fd, &before);
	if (bpf_prog_test_run_opts(t->prog_fd, &opts)) {
		tap_diag("BPF_PROG_TEST_RUN live frames: %s", strerror(errno));
		ok = false;
	}
	pkt_counters_read(t->stats_fd, t->nh_stats_fd, &after);
	bpf_link__destroy(link);

	if (after.reason[XGW_ERR_REDIRECT].packets - before.reason[XGW_ERR_REDIRECT].packets != 1 ||
	    after.reason[XGW_ERR_REDIRECT].bytes != before.reason[XGW_ERR_REDIRECT].bytes) {
		tap_diag("redirect_error: +%llu packets, expected +1",
			 (unsigned long long)(after.reason[XGW_ERR_REDIRECT].packets -
					      before.reason[XGW_ERR_REDIRECT].packets));
		ok = false;
	}
	after.reason[XGW_ERR_REDIRECT] = before.reason[XGW_ERR_REDIRECT];
	ok &= pkt_counters_expect(&before, &after, XGW_FWD, NH_A, 1, len);
	tap_result(ok, "redirect that fails after the program (loopback) counted as redirect_error");
}

static int latency_reset(struct t *t, uint32_t sample)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xgw_config cfg = { .layout_version = XGW_LAYOUT_VERSION, .latency_sample = sample };
	struct xgw_latency *zero = calloc(ncpu, sizeof(*zero));
	uint32_t key = 0;
	int err;

	if (!zero)
		return -ENOMEM;
	err = map_update(bpf_map__fd(t->skel->maps.xgw_latency), &key, zero, "xgw_latency");
	if (!err)
		err = map_update(bpf_map__fd(t->skel->maps.xgw_config), &key, &cfg, "xgw_config");
	/* per-CPU u32 countdowns, 8-byte slots: the zeroes above serve */
	if (!err)
		err = map_update(bpf_map__fd(t->skel->maps.xgw_lat_left), &key, zero, "xgw_lat_left");
	free(zero);
	return err;
}

/* Sampling one packet in @sample: @packets in, exactly @want timed. */
static void test_latency(struct t *t, uint32_t sample, int packets, uint64_t want)
{
	static uint8_t in[PKT_MAX], want_frame[PKT_MAX];
	struct pkt_spec s = V4(.dst = "10.1.0.5");
	struct pkt_spec o = expect_forward(&s, nh_find(t, NH_A));
	size_t len = pkt_build(&s, in), wlen = pkt_build(&o, want_frame);
	int ncpu = libbpf_num_possible_cpus(), i, cpu, b;
	uint64_t count = 0, in_buckets = 0, sum_ns = 0;
	struct xgw_latency *lat = calloc(ncpu, sizeof(*lat));
	uint32_t key = 0;
	bool ok = lat && !latency_reset(t, sample);

	for (i = 0; ok && i < packets; i++)
		ok = run_check(t, in, len, 1, XGW_FWD, NH_A, want_frame, wlen);
	if (ok && bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.xgw_latency), &key, lat)) {
		tap_diag("read xgw_latency: %s", strerror(errno));
		ok = false;
	}
	for (cpu = 0; ok && cpu < ncpu; cpu++) {
		count += lat[cpu].count;
		sum_ns += lat[cpu].sum_ns;
		for (b = 0; b < XGW_LAT_BUCKETS; b++)
			in_buckets += lat[cpu].bucket[b];
	}
	if (ok && (count != want || in_buckets != want)) {
		tap_diag("count %llu, in buckets %llu, expected %llu", (unsigned long long)count,
			 (unsigned long long)in_buckets, (unsigned long long)want);
		ok = false;
	}
	/* A sample is the program's own run time: well under a millisecond each. */
	if (ok && sum_ns > want * 1000000ull) {
		tap_diag("sum_ns %llu for %llu samples", (unsigned long long)sum_ns,
			 (unsigned long long)want);
		ok = false;
	}
	tap_result(ok, "latency_sample %u: %d packets, %llu timed", sample, packets,
		   (unsigned long long)want);
	latency_reset(t, 0);
	free(lat);
}

/*
 * The IPv4 FIB changed under the datapath, one step at a time through
 * common/fib.c; after each step a frame to @dst must end as the step says
 * (and as test_fixture() checks: verdict, frame out, counters).
 */
struct fib4_step {
	char op;		/* '+' set @rd, '-' delete @rd.prefix, '=' check only */
	struct route_def rd;
	const char *dst;
	enum xgw_reason reason;
	uint32_t nh;
};

static const struct fib4_step fib4_steps[] = {
	{ '+', { "0.0.0.0/0", XGW_RT_NEXTHOP, 0, NH_B }, "198.51.100.1", XGW_FWD, NH_B },
	{ '=', { 0 }, "10.9.0.1", XGW_FWD, NH_B },		/* a bare VIP mark: the default */
	{ '=', { 0 }, "10.2.1.1", XGW_FWD, NH_A },		/* longer prefixes still win */
	{ '=', { 0 }, "10.8.1.200", XGW_DROP_BLACKHOLE },
	{ '=', { 0 }, "224.0.0.5", XGW_PASS_MCAST },		/* screened before routing */
	{ '-', { "0.0.0.0/0" }, "198.51.100.1", XGW_PASS_NO_ROUTE },
	{ '=', { 0 }, "10.9.0.1", XGW_PASS_NO_ROUTE },
	{ '+', { "10.2.0.0/16", XGW_RT_NEXTHOP, 0, NH_B }, "10.2.1.1", XGW_FWD, NH_B },
	{ '=', { 0 }, "10.2.3.9", XGW_FWD, NH_A },		/* the /32 under it stays */
	{ '=', { 0 }, "10.2.3.4", XGW_FWD, NH_B },		/* so does the /24 */
	{ '=', { 0 }, "10.2.5.5", XGW_FWD, NH_B },		/* the VIP mark follows its /16 */
	{ '+', { "10.2.0.0/16", XGW_RT_NEXTHOP, 0, NH_A }, "10.2.1.1", XGW_FWD, NH_A },
	{ '-', { "10.8.1.64/26" }, "10.8.1.64", XGW_FWD, NH_A },	/* the /25 again */
	{ '=', { 0 }, "10.8.1.127", XGW_FWD, NH_A },
	{ '-', { "10.8.1.0/25" }, "10.8.1.64", XGW_DROP_BLACKHOLE },	/* the /16 again */
	{ '=', { 0 }, "10.8.1.0", XGW_DROP_BLACKHOLE },
	{ '-', { "10.7.1.9/32" }, "10.7.1.9", XGW_FWD, NH_A },	/* the /16 again */
	{ '=', { 0 }, "10.7.1.20", XGW_FWD, NH_A },		/* the VIP mark still over it */
	{ '-', { "10.7.0.0/16" }, "10.7.1.9", XGW_PASS_NO_ROUTE },
	{ '=', { 0 }, "10.7.1.20", XGW_PASS_NO_ROUTE },	/* a bare mark again */
	{ '+', { "10.7.1.0/24", XGW_RT_NEXTHOP, 0, NH_B }, "10.7.1.20", XGW_FWD, NH_B },
	{ '=', { 0 }, "10.7.1.21", XGW_FWD, NH_B },
	{ '=', { 0 }, "10.7.2.1", XGW_PASS_NO_ROUTE },
};

static void test_fib4_steps(struct t *t)
{
	size_t i;

	for (i = 0; i < sizeof(fib4_steps) / sizeof(fib4_steps[0]); i++) {
		const struct fib4_step *st = &fib4_steps[i];
		struct fixture f = { NULL, V4(.dst = st->dst), st->reason, st->nh };
		char name[160];
		int err = 0;

		if (st->op == '+') {
			err = route_add(t, &st->rd);
			snprintf(name, sizeof(name), "fib4 set %s (%s nh %u), then %s",
				 st->rd.prefix, st->rd.action == XGW_RT_BLACKHOLE ? "blackhole" :
				 "via", st->rd.nh, st->dst);
		} else if (st->op == '-') {
			err = route_del4(t, st->rd.prefix);
			snprintf(name, sizeof(name), "fib4 del %s, then %s", st->rd.prefix, st->dst);
		} else {
			snprintf(name, sizeof(name), "fib4 unchanged, %s", st->dst);
		}
		if (err) {
			tap_result(false, "%s: %s", name, strerror(-err));
			continue;
		}
		f.name = name;
		test_fixture(t, &f);
	}
}

/*
 * Every IPv4 route deleted through common/fib.c: the route set is empty,
 * no chunk is in use, every direct entry is 0 again, and the datapath finds
 * no IPv4 route at all (IPv6 untouched).
 */
static void test_fib4_empty(struct t *t)
{
	static const char *const gone[] = {
		"10.1.0.5", "10.1.0.6", "10.2.3.9", "10.2.3.4", "10.2.1.1", "10.2.5.5",
		"192.0.2.1", "10.7.1.20", "10.8.1.64",
	};
	struct xgw_fib_stats st;
	bool ok = true;
	size_t i, nonzero = 0;
	int err;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strchr(routes[i].prefix, ':'))
			continue;
		err = route_del4(t, routes[i].prefix);
		if (err && err != -ENOENT) {
			tap_diag("del %s: %s", routes[i].prefix, strerror(-err));
			ok = false;
		}
	}
	err = route_del4(t, "10.7.1.0/24");	/* added by test_fib4_steps() */
	if (err) {
		tap_diag("del 10.7.1.0/24: %s", strerror(-err));
		ok = false;
	}
	if (route_del4(t, "10.7.1.0/24") != -ENOENT) {
		tap_diag("a second del of 10.7.1.0/24 is not ENOENT");
		ok = false;
	}
	xgw_fib_stats(t->fib.fib[FIB_SKEL_V4], &st);
	for (i = 0; i < XGW_FIB_DIR; i++)
		nonzero += t->fib.m[FIB_SKEL_V4].dir[i] != 0;
	if (st.routes || st.chunks || nonzero) {
		tap_diag("routes %u, chunks %u, nonzero direct entries %zu", st.routes,
			 st.chunks, nonzero);
		ok = false;
	}
	tap_result(ok, "fib4: every IPv4 route deleted, no chunk in use, every direct entry 0");
	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		char name[96];
		struct fixture f = { name, V4(.dst = gone[i]), XGW_PASS_NO_ROUTE };

		snprintf(name, sizeof(name), "fib4 empty: %s", gone[i]);
		test_fixture(t, &f);
	}
	{
		struct fixture f = { "fib4 empty: ipv6 routes untouched",
				     V6(.dst = "2001:db8:1::5"), XGW_FWD, NH_A };

		test_fixture(t, &f);
	}
}

int main(void)
{
	struct t t;
	size_t i;

	if (FIX_OPEN(&t))
		goto out;
	if (!tap_result(!maps_program(&t), "VLANs 10 and 20 attached, IPv6 service"))
		goto out;

	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		test_fixture(&t, &fixtures[i]);
	test_checksum_sweep(&t);

	{
		const struct pkt_spec trunc[] = {
			V4(.dst = "10.1.0.5"),
			V4(TCP, .ip_opts = 8, .tcp_doff = 6, QINQ(20, 10)),
			V4(ICMP4(8), TAG1(10)),
			V6(TCP, EXT(IPPROTO_HOPOPTS, IPPROTO_FRAGMENT)),
			V6(ICMP6(135), TAG1(10)),
		};
		const char *names[] = {
			"ipv4 udp", "QinQ ipv4 tcp with options", "802.1Q ipv4 icmp",
			"ipv6 tcp after 2 extension headers", "802.1Q ipv6 neighbour solicitation",
		};

		for (i = 0; i < sizeof(trunc) / sizeof(trunc[0]); i++)
			test_truncations(&t, names[i], &trunc[i]);
	}
	test_repeat(&t);
	test_redirect_error(&t);
	test_latency(&t, 4, 16, 4);
	test_latency(&t, 1, 5, 5);
	test_latency(&t, 0, 16, 0);
	test_fib4_steps(&t);	/* these change the routes: last */
	test_fib4_empty(&t);
out:
	fix_close(&t);
	return tap_finish();
}
