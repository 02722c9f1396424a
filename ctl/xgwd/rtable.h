/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The route table (rtable.c): the routes the operator configured, indexed
 * by prefix, and the on-link neighbours that got host entries. A store
 * with its queries; what the datapath holds is entry.c's, above it.
 */
#ifndef XGWD_RTABLE_H
#define XGWD_RTABLE_H

#include "xgwd.h"

/* A route the operator configured (XGW_ROUTE_LOCAL ones live in locals). */
struct xgwd_route {
	struct xgw_prefix dst;
	enum xgw_route_type type;
	struct xgw_addr via;	/* XGW_ROUTE_VIA */
	char dev[IF_NAMESIZE];	/* as given ("" when not given) */
	__u32 nh_id;		/* XGW_ROUTE_VIA / XGW_ROUTE_DEV host routes */
	__u32 hnext;		/* rtable.c's index: next in chain + 1, 0 = end */
	int ifindex;		/* dev's, when given */
};

/* A neighbour inside an on-link (dev) prefix route: its own host entry. */
struct xgwd_onlink {
	struct xgw_addr addr;
	int ifindex;
	__u32 nh_id;
};

static inline bool prefix_is_host(const struct xgw_prefix *p)
{
	return p->len == (p->addr.family == AF_INET ? 32 : 128);
}

static inline struct xgwd_route *rtable__at(struct xgwd *d, size_t i)
{
	return xgwd_vec__at(&d->routes, struct xgwd_route, i);
}

/* Add r (a copy); -ENOMEM. */
int rtable__add(struct xgwd *d, const struct xgwd_route *r);
/* Remove routes[i]; the last route moves into its place. */
void rtable__del(struct xgwd *d, size_t i);
/* Replace routes[i] by r, keeping its place in the index. */
void rtable__replace(struct xgwd *d, size_t i, const struct xgwd_route *r);
/* The route of exactly p; its index in *idx. */
struct xgwd_route *rtable__find(struct xgwd *d, const struct xgw_prefix *p, size_t *idx);
struct xgwd_route *rtable__find_host(struct xgwd *d, const struct xgw_addr *a);
/* The longest configured prefix route holding a (host routes excluded). */
struct xgwd_route *rtable__longest_prefix(struct xgwd *d, const struct xgw_addr *a);
/* An on-link route: `dev DEV` on anything but a host address. */
bool route_is_onlink(const struct xgwd_route *r);
/* Is a inside an on-link (dev) prefix route on ifindex? */
bool rtable__onlink_covers(struct xgwd *d, const struct xgw_addr *a, int ifindex);
/* The on-link neighbour a; its index in *idx. */
struct xgwd_onlink *rtable__onlink(struct xgwd *d, const struct xgw_addr *a, size_t *idx);

#endif /* XGWD_RTABLE_H */
