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
};

/* Called from kernel__replay() and kernel__process() only. */
struct kernel_ops {
	void (*link)(void *arg, const struct kernel_link *l);
	void (*addr)(void *arg, const struct kernel_addr *a);
	void (*neigh)(void *arg, const struct kernel_neigh *n);
};

/* What kernel__replay() delivers, in this order. */
enum {
	KERNEL_ADDRS = 1 << 0,
	KERNEL_LINKS = 1 << 1,
	KERNEL_NEIGHS = 1 << 2,
};

/* Fill the caches and subscribe; events flow once kernel__process() runs. */
int kernel__open(struct kernel **kp, const struct kernel_ops *ops, void *arg);
void kernel__close(struct kernel *k);
/* The event socket, for poll(). */
int kernel__fd(const struct kernel *k);
/* Handle what is ready on the socket; after lost events (ENOBUFS) refill
 * every cache and replay all of it. */
int kernel__process(struct kernel *k);
/* Deliver what the caches hold now, as if it had just appeared. */
void kernel__replay(struct kernel *k, unsigned int what);
/* Call fn for every cached neighbour (not through the callback table). */
void kernel__neigh_foreach(struct kernel *k,
			   void (*fn)(void *arg, const struct kernel_neigh *n), void *arg);
/* The cached neighbour a on ifindex: true and its MAC if usable. */
bool kernel__neigh_get(struct kernel *k, const struct xgw_addr *a, int ifindex,
		       __u8 *mac);
/*
 * Ask the kernel to resolve a on ifindex: a neighbour "use" (NTF_USE)
 * creates the entry if needed and starts ARP/ND as if a packet were
 * waiting; the answer arrives as a neighbour event. 0 or -errno.
 */
int kernel__neigh_use(const struct xgw_addr *a, int ifindex);
/* The kernel's route to a: egress ifindex and gateway (family 0 if on-link). */
int kernel__route_get(const struct xgw_addr *a, int *ifindex, struct xgw_addr *gw);

#endif /* XGWD_KERNEL_H */
