/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a route forwards through (path.c): the next hop it holds, the
 * next-hop group of a multipath route, or the link it names. Own routes
 * (route.c) and followed ones (follow.c) take and let go of them the same
 * way.
 */
#ifndef XGWD_PATH_H
#define XGWD_PATH_H

#include "xgwd.h"

struct xgwd_route;
struct group_nh;

/*
 * Take what r (type, via, ifindex and dst filled in) forwards through:
 * a next hop for `via` and for `dev` host routes, the group of nh[n] for a
 * multipath route (either keeps id hint, what an adopted datapath has for
 * the route, when free), else a hold on the link it names. 0 or -errno with a one-line message in err.
 */
int path__get(struct xgwd *d, struct xgwd_route *r, __u32 hint,
	      const struct group_nh *nh, unsigned int n, char *err, size_t errlen);
/* Let go of what r holds (and free what it owns). */
void path__put(struct xgwd *d, struct xgwd_route *r);
/* Do a and b forward the same way (type, next hop or group, device)? */
bool path__same(const struct xgwd_route *a, const struct xgwd_route *b);

#endif /* XGWD_PATH_H */
