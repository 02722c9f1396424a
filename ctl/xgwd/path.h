/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a route forwards through (path.c): the next hop it holds, or the
 * link it names. Own routes (route.c) and followed ones (follow.c) take
 * and let go of them the same way.
 */
#ifndef XGWD_PATH_H
#define XGWD_PATH_H

#include "xgwd.h"

struct xgwd_route;

/*
 * Take what r (type, via, ifindex and dst filled in) forwards through:
 * a next hop for `via` and for `dev` host routes (slot hint kept from an
 * adopted datapath), else a hold on the link it names. 0 or -errno with a
 * one-line message in err.
 */
int path__get(struct xgwd *d, struct xgwd_route *r, __u32 hint, char *err, size_t errlen);
/* Let go of what r holds. */
void path__put(struct xgwd *d, const struct xgwd_route *r);
/* Do a and b forward the same way (type, next hop, device)? */
bool path__same(const struct xgwd_route *a, const struct xgwd_route *b);

#endif /* XGWD_PATH_H */
