/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The route table (rtable.c): the routes the operator configured (own
 * routes), the routes followed from kernel tables (follow.c puts them
 * here), both indexed by prefix, and the on-link neighbours that got host
 * entries. For a prefix, an own route wins over followed ones; among those,
 * the lowest metric, then the lowest table. A store with its queries; what
 * the datapath holds is entry.c's, above it.
 */
#ifndef XGWD_RTABLE_H
#define XGWD_RTABLE_H

#include "xgwd.h"

enum xgwd_origin {
	XGWD_ORIGIN_OWN,	/* xgwctl route add, the state file */
	XGWD_ORIGIN_KERNEL,	/* followed from a kernel table */
};

/* A route (the gateway's own addresses live in locals). */
struct xgwd_route {
	struct xgw_prefix dst;
	enum xgw_route_type type;
	struct xgw_addr via;	/* XGW_ROUTE_VIA */
	char dev[IF_NAMESIZE];	/* as given ("" when not given) */
	__u32 nh_id;		/* XGW_ROUTE_VIA / XGW_ROUTE_DEV host routes */
	__u32 hnext;		/* rtable.c's index: next in chain + 1, 0 = end */
	int ifindex;		/* dev's, when given */
	__u8 origin;		/* enum xgwd_origin */
	__u8 proto;		/* kernel routes: RTPROT_* */
	__u32 table;		/* kernel routes */
	__u32 priority;		/* kernel routes: metric */
	__u8 epoch;		/* kernel routes: follow.c's resync mark */
	__u32 group;		/* XGW_ROUTE_MULTIPATH: its next-hop group */
	/* own XGW_ROUTE_MULTIPATH routes: the next hops as typed (owned) */
	struct xgw_route_nh *mp;
	unsigned int n_mp;
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

/* Add r (a copy) to the own or the followed routes, by r->origin; -ENOMEM. */
int rtable__add(struct xgwd *d, const struct xgwd_route *r);
/* Remove route i of that origin; the last one moves into its place. */
void rtable__del(struct xgwd *d, __u8 origin, size_t i);
/* Replace route i of r's origin by r, keeping its place in the index. */
void rtable__replace(struct xgwd *d, size_t i, const struct xgwd_route *r);
/* The own route of exactly p; its index in *idx. */
struct xgwd_route *rtable__find(struct xgwd *d, const struct xgw_prefix *p, size_t *idx);
/* The route the datapath takes for exactly p: own, else the best followed. */
struct xgwd_route *rtable__effective(struct xgwd *d, const struct xgw_prefix *p);
struct xgwd_route *rtable__find_host(struct xgwd *d, const struct xgw_addr *a);
/* The longest effective prefix route holding a (host routes excluded). */
struct xgwd_route *rtable__longest_prefix(struct xgwd *d, const struct xgw_addr *a);

/* ---- followed routes: keyed by (prefix, table, metric) ---- */
static inline struct xgwd_route *rtable__kern_at(struct xgwd *d, size_t i)
{
	return xgwd_vec__at(&d->kroutes, struct xgwd_route, i);
}

struct xgwd_route *rtable__kern_find(struct xgwd *d, const struct xgw_prefix *p,
				     __u32 table, __u32 priority, size_t *idx);
/* The followed route that wins for exactly p, or NULL. */
struct xgwd_route *rtable__kern_best(struct xgwd *d, const struct xgw_prefix *p);
/* Forget every followed route (memory only: the datapath is left alone). */
void rtable__kern_free(struct xgwd *d);
/* An on-link route: `dev DEV` on anything but a host address. */
bool route_is_onlink(const struct xgwd_route *r);
/* Is a inside an on-link (dev) prefix route on ifindex? */
bool rtable__onlink_covers(struct xgwd *d, const struct xgw_addr *a, int ifindex);
/* The on-link neighbour a; its index in *idx. */
struct xgwd_onlink *rtable__onlink(struct xgwd *d, const struct xgw_addr *a, size_t *idx);

#endif /* XGWD_RTABLE_H */
