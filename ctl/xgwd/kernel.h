/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel adapter: libnl's caches of links, addresses and neighbours,
 * kept current by its cache manager, and a few one-shot rtnetlink requests.
 * It knows nothing of xgwd: what changed comes up through the callback
 * table the caller registers at kernel__open(), as plain values.
 */
#ifndef XGWD_KERNEL_H
#define XGWD_KERNEL_H

#include <stdbool.h>
#include <linux/types.h>
#include "addr.h"

struct kernel;

struct kernel_link {
	int ifindex;
	const char *name;
	const __u8 *mac;	/* NULL: not a 6-byte address */
	unsigned int mtu;
	bool up;		/* IFF_UP and IFF_RUNNING */
	bool gone;		/* deleted */
};

/* A link's XDP programs, from its RTM_NEWLINK (libnl does not parse IFLA_XDP). */
struct kernel_xdp {
	int ifindex;
	__u32 drv_prog_id;	/* native mode, 0: none */
	__u32 skb_prog_id;	/* generic mode, 0: none */
};

struct kernel_addr {
	struct xgw_addr addr;
	int ifindex;
	__u8 prefixlen;
	bool gone;
};

struct kernel_neigh {
	struct xgw_addr addr;
	int ifindex;
	const __u8 *mac;	/* NULL: gone, incomplete, failed or no lladdr */
	bool stale;		/* NUD_STALE: the MAC is unconfirmed; only use
				 * by the kernel's own traffic revalidates it */
};

#define KERNEL_ROUTE_NH_MAX	64	/* next hops passed up per route */

struct kernel_nh {
	struct xgw_addr gw;	/* family 0: none (on-link) */
	int ifindex;
	unsigned int weight;	/* 1..256 */
	bool dead;		/* RTNH_F_DEAD or RTNH_F_LINKDOWN */
	bool other;		/* a gateway of another family, or an encapsulation */
};

/* A route of any table (routes are followed once kernel__routes_open()). */
struct kernel_route {
	struct xgw_prefix dst;
	__u32 table;
	__u32 priority;
	__u8 protocol;		/* RTPROT_* */
	__u8 type;		/* RTN_* */
	__u8 tos;
	bool gone;
	unsigned int n_nh;	/* next hops in nh[] */
	bool nh_truncated;	/* the route had more than KERNEL_ROUTE_NH_MAX */
	struct kernel_nh nh[KERNEL_ROUTE_NH_MAX];
};

/* Called from kernel__replay() and kernel__process() only. */
struct kernel_ops {
	void (*link)(void *arg, const struct kernel_link *l);
	void (*addr)(void *arg, const struct kernel_addr *a);
	void (*neigh)(void *arg, const struct kernel_neigh *n);
	void (*route)(void *arg, const struct kernel_route *r);
	void (*xdp)(void *arg, const struct kernel_xdp *x);
	/* Events were lost: the caches are refilled and everything in them
	 * replayed, between resync(false) and resync(true); what was not
	 * replayed is gone. */
	void (*resync)(void *arg, bool done);
};

/* What kernel__replay() delivers, in this order. */
enum {
	KERNEL_ADDRS = 1 << 0,
	KERNEL_LINKS = 1 << 1,
	KERNEL_NEIGHS = 1 << 2,
	KERNEL_ROUTES = 1 << 3,
};

/* Fill the caches and subscribe; events flow once kernel__process() runs.
 * rcvbuf: the event socket's receive buffer, bytes (0: KERNEL_RCVBUF). */
#define KERNEL_RCVBUF	(64 << 20)
int kernel__open(struct kernel **kp, const struct kernel_ops *ops, void *arg, int rcvbuf);
void kernel__close(struct kernel *k);
/* The event descriptor (libnl's socket and our own link socket), for poll(). */
int kernel__fd(const struct kernel *k);
/* Handle what is ready on the socket; after lost events (ENOBUFS) refill
 * every cache and replay all of it. */
int kernel__process(struct kernel *k);
/* Deliver what the caches hold now, as if it had just appeared. */
void kernel__replay(struct kernel *k, unsigned int what);
/*
 * Follow routes too: add the route cache (a dump of every table, which may
 * take seconds for a million routes); route events flow from then on.
 * Idempotent. 0 or -errno.
 */
int kernel__routes_open(struct kernel *k);
/* Call fn for every cached route (not through the callback table). */
void kernel__route_foreach(struct kernel *k,
			   void (*fn)(void *arg, const struct kernel_route *r), void *arg);
/* Call fn for every cached neighbour (not through the callback table). */
void kernel__neigh_foreach(struct kernel *k,
			   void (*fn)(void *arg, const struct kernel_neigh *n), void *arg);
/* The cached neighbour a on ifindex, into *n (n->mac points into mac[6]
 * when usable): 1 its MAC is usable, 0 it is not (incomplete, failed),
 * -ENOENT no entry. */
int kernel__neigh_get(struct kernel *k, const struct xgw_addr *a, int ifindex,
		      struct kernel_neigh *n, __u8 *mac);
/*
 * Ask the kernel to resolve a on ifindex: a neighbour "use" (NTF_USE)
 * creates the entry if needed and starts ARP/ND as if a packet were
 * waiting; the answer arrives as a neighbour event. 0 or -errno.
 */
int kernel__neigh_use(const struct xgw_addr *a, int ifindex);
/* The kernel's route to a: egress ifindex and gateway (family 0 if on-link). */
int kernel__route_get(const struct xgw_addr *a, int *ifindex, struct xgw_addr *gw);

#endif /* XGWD_KERNEL_H */
