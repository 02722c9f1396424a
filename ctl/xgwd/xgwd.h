/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xgwd's shared context (struct xgwd), its options, and the small
 * containers every part uses. Each part declares its own functions in the
 * header beside its .c. The routing side is layered, each layer calling
 * only those below it:
 *
 *   netlink.c   kernel events -> the modules that own them (callbacks)
 *   route.c     the `route` object: commands, VIP marks, restore sweep
 *   onlink.c    neighbours inside on-link prefixes get host entries
 *   follow.c    routes of followed kernel tables into the route table
 *   path.c      what a route holds: a next hop, a group, a link
 *   entry.c     what the datapath holds per destination, and the FIB writes
 *   rtable.c    the route table (own and followed routes, on-link
 *               neighbours); local.c (own addresses), vip.c (VIP marks)
 *   group.c     next-hop groups of multipath routes
 *   nexthop.c   next hops (gateway, device) -> xgw_nexthops slots
 *   link.c      attached devices
 *   kernel.c    the kernel adapter: libnl caches and requests
 *
 * Locking: the main loop is single threaded; only the health checker runs in
 * its own thread. Everything that touches struct xgwd's lists or writes a
 * map takes d->lock (ctlsock and netlink handlers take it around each
 * request/event; the lb__ hooks are always CALLED WITH d->lock HELD, so they
 * must not take it again; health.c takes it itself).
 */
#ifndef XGWD_H
#define XGWD_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <net/if.h>
#include <linux/types.h>

#include "xgw_shared.h"
#include "addr.h"
#include "cmd.h"
#include "fib.h"
#include "log.h"
#include "nhtable.h"

struct xgw_bpf;		/* build/skel/xgw.skel.h */
struct kernel;		/* kernel.h */
struct xgwd_nexthop;	/* nexthop.h */
struct xgwd_group;	/* group.h */

/* ---- options --------------------------------------------------------------- */
#define XGWD_CONFIG_DEFAULT	"/etc/xgw/xgw.conf"
#define XGWD_SOCKET_DEFAULT	"/run/xgw/xgw.sock"
#define XGWD_METRICS_DEFAULT	"127.0.0.1:9469"
#define XGWD_REQUEST_MAX	(16u << 20)	/* control request size limit */

struct xgwd_opts {
	const char *config;	/* state file: read at start, rewritten on change */
	const char *socket;
	const char *pin_dir;
	const char *metrics;	/* ADDR:PORT, "" or "none": off */
	const char *group;	/* may send state-changing commands */
	bool foreground;
	bool cleanup;		/* --cleanup: detach everywhere, remove pins */
	unsigned int run_prio;	/* libxdp dispatcher run priority (xdpprog.h) */
};

/* ---- containers (util.c) ------------------------------------------------------ */
/* A growable array; items are of one type, see the accessors in each file. */
struct xgwd_vec {
	void *v;
	size_t n, cap, size;
};

void *xgwd_vec__push(struct xgwd_vec *v, const void *item);	/* NULL: ENOMEM */
void xgwd_vec__del(struct xgwd_vec *v, size_t i);
void xgwd_vec__free(struct xgwd_vec *v);
#define xgwd_vec__at(vec, type, i)	(&((type *)(vec)->v)[i])

/* Inverse commands collected while applying a batch, undone in reverse. */
struct xgwd_undo {
	struct xgw_cmd *cmds;
	size_t n, cap;
};
/* Push the command that undoes what is about to be applied. */
int xgwd_undo__push(struct xgwd_undo *u, const struct xgw_cmd *inverse);

/* ---- the context ------------------------------------------------------------- */
struct xgwd {
	struct xgwd_opts opts;
	pthread_mutex_t lock;		/* guards everything below */
	struct xgw_bpf *skel;
	bool adopted;			/* pinned maps were reused at start */
	struct xgw_fib *fib[2];		/* the FIBs, IPv4 and IPv6 (entry.c writes) */
	struct xgw_fib_mem fibm[2];	/* their maps' memory (loader.c) */
	struct xgw_nh_table nh_table;	/* xgw_nexthops, xgw_nh_groups (loader.c) */
	bool restoring;			/* applying the state file: no saving */

	struct xgwd_vec links;		/* struct xgwd_link (link.h) */
	const struct link_ops *link_ops;	/* link.h: who hears of attach/detach */
	struct xgwd_vec routes;		/* struct xgwd_route (rtable.h), any order */
	__u32 *rt_heads, rt_nb;		/* rtable.c's hash index over routes */
	struct xgwd_vec kroutes;	/* followed routes (rtable.h) */
	__u32 *krt_heads, krt_nb;	/* their index */
	struct follow *follow;		/* follow.c's private state */
	struct xgwd_vec locals;		/* struct xgwd_local (local.h) */
	struct xgwd_vec vips;		/* struct xgwd_vip (vip.h) */
	struct xgwd_vec onlink;		/* struct xgwd_onlink (rtable.h) */
	struct xgwd_nexthop *nexthops;	/* [XGW_MAX_NEXTHOPS], index = id */
	const struct nexthop_ops *nexthop_ops;	/* nexthop.h: who hears of changes */
	struct xgwd_group *groups;	/* [XGWD_MAX_GROUPS] (group.h), on first use */
	struct xgw_config config;	/* mirror of xgw_config[0] */

	struct kernel *kernel;		/* the kernel adapter (netlink.c opens it) */
	int nl_fd;			/* its event socket, for poll() */
	int ctl_fd;			/* listening control socket */
	int metrics_fd;			/* listening HTTP socket, -1: off */
	volatile int stop;		/* SIGTERM/SIGINT */

	void *lb;			/* lb.c's private state */
	void *ifinfo;			/* ifinfo.c's private state */
};

#endif /* XGWD_H */
