// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Known disagreements (see known.h): the open datapath bugs, one line each. */
#include "known.h"

struct fz_known fz_known[FZ_K_MAX] = {
	[FZ_K_ICMP_FAMILY] = {
		"router-dp",
		"IPv4 protocol 58 or IPv6 next header 1 with under 8 bytes of L4 is dropped "
		"truncated_l4 instead of routed (issue #14.6; fixed on router-dp's branch, d8586d0)",
	},
};

bool fz_known_strict;

bool fz_known_open(enum fz_known_id id)
{
	return !fz_known_strict && id > 0 && id < FZ_K_MAX && fz_known[id].owner;
}
