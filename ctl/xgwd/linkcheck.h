/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What makes forwarding through a link fail silently (linkcheck.c). */
#ifndef XGWD_LINKCHECK_H
#define XGWD_LINKCHECK_H

#include <stdbool.h>
#include <stddef.h>

/* The warnings for a link, "; "-separated, into out. Returns 1 if any. */
int linkcheck__run(const char *dev, int ifindex, bool generic, bool decap,
		   char *out, size_t len);
/* At attach: one log line if anything is wrong. */
void linkcheck__attached(const char *dev, int ifindex, bool decap);
/* In link show: " warning: ..." (JSON "warning") if anything is wrong. */
void linkcheck__show(const char *dev, int ifindex, bool generic, bool decap);

#endif /* XGWD_LINKCHECK_H */
