// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Known disagreements (see known.h): the open datapath bugs, one line each. */
#include "known.h"

struct fz_known fz_known[FZ_K_MAX] = {
	[FZ_K_ICMP_FAMILY] = {
		"router-dp",
		"IPv4 protocol 58 or IPv6 next header 1 with under 8 bytes of L4 is dropped "
		"truncated_l4 instead of routed (issue #14.6; fixed on router-dp's branch, d8586d0)",
	},
	[FZ_K_LB_HIT_COUNT] = {
		"lb-dp",
		"a dsr/ipip flow's packet that the next hop refuses, and an ICMP error about "
		"it, move its service's counters while the flow is unlearnt and not once it "
		"is learnt (connection-table hit): svc_stats depend on learning",
	},
	[FZ_K_ICMP_QUOTE] = {
		"lb-dp",
		"an ICMP error to a VIP is matched to the flow it quotes with the quote read up "
		"to the frame's end, not the datagram's (Ethernet padding taken as quoted "
		"bytes), and a quoted IPv6 header's version is not checked: such a malformed "
		"error goes to a backend instead of being routed",
	},
	[FZ_K_NAT_NEWFLOW] = {
		"lb-dp",
		"a NAT flow's first packet that makes no mapping (refused by the next hop: "
		"unresolved, TTL, MTU, no port; or nat_no_port) counts as a new flow of its "
		"service, where new flows count \"NAT mappings made\" (lb-dp's note)",
	},
	[FZ_K_NAT_UDP6_ZERO] = {
		"lb-dp",
		"NAT rewrites an IPv6 UDP packet whose new checksum computes to zero with 0x0000 "
		"in the header, which IPv6 receivers discard (RFC 8200 8.1: sent as 0xffff; "
		"nat.h maps 0 to 0xffff for IPv4 only): about 1 in 65536 IPv6 UDP NAT packets lost",
	},
};

bool fz_known_strict;

bool fz_known_open(enum fz_known_id id)
{
	return !fz_known_strict && id > 0 && id < FZ_K_MAX && fz_known[id].owner;
}
