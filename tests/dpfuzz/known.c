// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Known disagreements (see known.h): the open datapath bugs, one line each. */
#include "known.h"

struct fz_known fz_known[FZ_K_MAX];

bool fz_known_strict;

bool fz_known_open(enum fz_known_id id)
{
	return !fz_known_strict && id > 0 && id < FZ_K_MAX && fz_known[id].owner;
}
