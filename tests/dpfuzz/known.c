// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Known disagreements (see known.h): the open datapath bugs, one line each. */
#include "known.h"

struct fz_known fz_known[FZ_K_MAX] = {
	[FZ_K_OPT_SHORT] = {
		"router-dp",
		"IP options are read through a window of 42 bytes of the frame from the IP "
		"header (xgw_parse_opts): an IPv4 header with options in a frame shorter than "
		"that (a 60-byte QinQ frame) is dropped bad_ip_header instead of handled by its "
		"options, and an IPv6 hop-by-hop header not within the datagram is read from "
		"Ethernet padding (ip_options instead of bad_ip_header)",
	},
};

bool fz_known_strict;

bool fz_known_open(enum fz_known_id id)
{
	return !fz_known_strict && id > 0 && id < FZ_K_MAX && fz_known[id].owner;
}
