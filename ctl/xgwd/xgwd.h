/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xgwd's shared context and the interfaces between its parts: loader, links,
 * next hops, routes, netlink, state file, control socket, metrics, and the
 * load-balancer hooks (lb__*, implemented in lb.c/health.c).
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
#include "fib4.h"

struct xgw_bpf;		/* build/skel/xgw.skel.h */

/* ---- logging ------------------------------------------------------------ */
extern int xgwd_verbose;	/* -v */
extern bool xgwd_syslog;	/* daemonized: log to syslog */
void xgwd_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define pr_warn(...)	xgwd_log(0, __VA_ARGS__)
#define pr_info(...)	xgwd_log(1, __VA_ARGS__)
#define pr_debug(...)	xgwd_log(2, __VA_ARGS__)

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
};

/* ---- state ----------------------------------------------------------------- */
/* An attached device. */
struct xgwd_link {
	int ifindex;
	char name[IF_NAMESIZE];
	enum xgw_link_mode mode;
	__u8 mac[6];
	unsigned int mtu;
	bool up;		/* IFF_UP and carrier (IFF_RUNNING) */
	bool adopted;		/* found attached at start: left as it was */
};

/*
 * A next hop: deduplicated by (gateway address, ifindex), reference counted
 * by the routes (and backends) that use it. id indexes xgw_nexthops.
 */
struct xgwd_nexthop {
	__u32 id;		/* 0: slot free */
	struct xgw_addr gw;
	int ifindex;
	unsigned int refcnt;
	__u8 mac[6];
	bool has_mac;		/* the kernel's neighbour table knows gw */
};

/* A route the operator configured (XGW_ROUTE_LOCAL ones live in locals). */
struct xgwd_route {
	struct xgw_prefix dst;
	enum xgw_route_type type;
	struct xgw_addr via;	/* XGW_ROUTE_VIA */
	char dev[IF_NAMESIZE];	/* as given ("" when not given) */
	__u32 nh_id;		/* XGW_ROUTE_VIA / XGW_ROUTE_DEV host routes */
	__u32 hnext;		/* route.c's index: next in chain + 1, 0 = end */
};

/* One of the gateway's own addresses (from the kernel): a LOCAL host entry
 * flagged XGW_RT_F_OWN. */
struct xgwd_local {
	struct xgw_addr addr;
	int ifindex;
	__u8 prefixlen;
};

/* A neighbour inside an on-link (dev) prefix route: its own host entry. */
struct xgwd_onlink {
	struct xgw_addr addr;
	int ifindex;
	__u32 nh_id;
};

/* A service address marked XGW_RT_F_VIP in its host entry. */
struct xgwd_vip {
	struct xgw_addr addr;
	unsigned int refcnt;
};

/* A growable array; items are of one type, see the accessors in each file. */
struct xgwd_vec {
	void *v;
	size_t n, cap, size;
};

/* Inverse commands collected while applying a batch, undone in reverse. */
struct xgwd_undo {
	struct xgw_cmd *cmds;
	size_t n, cap;
};
/* Push the command that undoes what is about to be applied. */
int xgwd_undo__push(struct xgwd_undo *u, const struct xgw_cmd *inverse);

struct xgwd {
	struct xgwd_opts opts;
	pthread_mutex_t lock;		/* guards everything below */
	struct xgw_bpf *skel;
	bool adopted;			/* pinned maps were reused at start */
	struct xgw_fib4 *fib4;		/* the IPv4 FIB over xgw_fib4_24/_8 */
	struct xgw_fib4_maps fib4_maps;	/* their mmaps (loader.c) */
	bool restoring;			/* applying the state file: no saving */

	struct xgwd_vec links;		/* struct xgwd_link */
	struct xgwd_vec routes;		/* struct xgwd_route, any order */
	__u32 *rt_heads, rt_nb;		/* hash index over routes (route.c) */
	struct xgwd_vec locals;		/* struct xgwd_local */
	struct xgwd_vec vips;		/* struct xgwd_vip */
	struct xgwd_vec onlink;		/* struct xgwd_onlink (onlink.c) */
	struct xgwd_nexthop *nexthops;	/* [XGW_MAX_NEXTHOPS], index = id */
	struct xgw_config config;	/* mirror of xgw_config[0] */

	void *nl;			/* netlink.c's private state */
	int nl_fd;			/* its event socket, for poll() */
	int ctl_fd;			/* listening control socket */
	int metrics_fd;			/* listening HTTP socket, -1: off */
	volatile int stop;		/* SIGTERM/SIGINT */

	void *lb;			/* lb.c's private state */
};

/* ---- vectors ---------------------------------------------------------------- */
void *xgwd_vec__push(struct xgwd_vec *v, const void *item);	/* NULL: ENOMEM */
void xgwd_vec__del(struct xgwd_vec *v, size_t i);
void xgwd_vec__free(struct xgwd_vec *v);
#define xgwd_vec__at(vec, type, i)	(&((type *)(vec)->v)[i])

/* ---- services for lb.c (all called with d->lock held) ------------------------- */
/*
 * Find or create the next hop for reaching addr: via the matching xgw route,
 * or on-link when addr is inside an attached link's connected subnet, or by
 * asking the kernel's routing table. ifindex 0 = find the device. Takes a
 * reference; nexthop__put() drops it. Errors: -ENETUNREACH (no attached
 * egress device), -ENOSPC.
 */
int nexthop__get(struct xgwd *d, const struct xgw_addr *gw, int ifindex,
		 __u32 *nh_id, char *err, size_t errlen);
void nexthop__put(struct xgwd *d, __u32 nh_id);
const struct xgwd_nexthop *nexthop__find(struct xgwd *d, __u32 nh_id);
/*
 * Mark or unmark addr as a VIP in its host entry (XGW_RT_F_VIP), keeping
 * whatever route/local entry it has; an entry created only for the VIP gets
 * action XGW_RT_NONE (IPv4: a mark over the route beneath) and goes away on
 * the last unmark. Reference counted.
 */
int route__set_vip(struct xgwd *d, const struct xgw_addr *vip, bool on);
/* A local address of the given family (for ipip outer sources); -ENOENT. */
int local__pick(struct xgwd *d, int family, const struct xgw_addr *near,
		struct xgw_addr *out);
/* Rewrite the state file now (lb.c: after a change made outside a request). */
int state__save(struct xgwd *d);

/* ---- load-balancer hooks (lb.c) ------------------------------------------- */
/* After the maps are loaded or adopted, before the state file is replayed. */
int lb__init(struct xgwd *d);
/* At exit: stop the health checker; never clears any map (hitless restart). */
void lb__fini(struct xgwd *d);
/*
 * Check c (a service or backend command) without applying it: everything
 * decidable from the command and the current state. Batches call this for
 * each line first. 0 or -errno with a one-line message in err.
 */
int lb__check(struct xgwd *d, const struct xgw_cmd *c, char *err, size_t errlen);
/*
 * Apply c: obj XGW_OBJ_SERVICE or XGW_OBJ_BACKEND, any verb (add, replace,
 * del, set, show). Reads print with common/json_print.h's calls (jp_open()
 * was already called on the reply; text and JSON from the same calls).
 * For a write, before changing anything, push onto undo (when not NULL) the command(s) that would restore the previous state, e.g.
 * `service del` pushes `service add` plus one `backend add`/`set` per
 * backend. 0, or -errno with a one-line message in err and nothing changed.
 * xgwd saves the state file after a successful write.
 */
int lb__apply(struct xgwd *d, const struct xgw_cmd *c,
	      struct xgwd_undo *undo, char *err, size_t errlen);
/* Write the desired state as command lines (xgw_cmd_format), services then
 * their backends. 0 or -errno. */
int lb__save(struct xgwd *d, FILE *f);
/* Append Prometheus text (HELP/TYPE + samples) for services and backends. */
void lb__metrics(struct xgwd *d, FILE *f);

/* ---- daemon parts ----------------------------------------------------------- */
/* loader.c */
int loader__open(struct xgwd *d);	/* open, reuse pins, load */
void loader__close(struct xgwd *d);
int loader__cleanup(struct xgwd *d);	/* --cleanup */
int loader__ensure_bpffs(const char *pin_dir);
void loader__quiet(bool quiet);	/* hush libbpf warnings (libxdp probing) */

/* link.c */
int link__apply(struct xgwd *d, const struct xgw_cmd *c,
		struct xgwd_undo *undo, char *err, size_t errlen);
struct xgwd_link *link__find(struct xgwd *d, int ifindex);
struct xgwd_link *link__find_name(struct xgwd *d, const char *name);
void link__changed(struct xgwd *d, int ifindex, const char *name,
		   const __u8 *mac, unsigned int mtu, bool up, bool gone);

/* route.c */
int route__apply(struct xgwd *d, const struct xgw_cmd *c,
		 struct xgwd_undo *undo, char *err, size_t errlen);
/* Indexes of d->routes in canonical order (family, address, length);
 * caller frees. NULL with routes.n == 0 or on ENOMEM. */
size_t *route__sorted(struct xgwd *d);
void route__to_cmd(const struct xgwd_route *r, enum xgw_verb verb, struct xgw_cmd *c);
int route__check(struct xgwd *d, const struct xgw_cmd *c, char *err, size_t errlen);
unsigned int route__count_dev(struct xgwd *d, const char *dev);
/*
 * After restoring over an adopted datapath: write the IPv4 FIB's deferred
 * changes in one pass (xgw_fib4_commit()), then forget the IPv6 entries the
 * state file (and the kernel's addresses) no longer want. 0 or -errno (the
 * FIB could not be written: the datapath keeps what it had).
 */
int route__sweep(struct xgwd *d);
/* Write (or delete) a's host entry from its sources. */
int route__host_sync(struct xgwd *d, const struct xgw_addr *a);
/* Is a inside an on-link (dev) prefix route on ifindex? */
bool route__onlink_covers(struct xgwd *d, const struct xgw_addr *a, int ifindex);

/* onlink.c */
void onlink__neigh(struct xgwd *d, const struct xgw_addr *a, int ifindex,
		   const __u8 *mac);
void onlink__refresh(struct xgwd *d);
const struct xgwd_onlink *onlink__get(struct xgwd *d, const struct xgw_addr *a);
int local__add(struct xgwd *d, const struct xgw_addr *a, int ifindex, __u8 plen);
int local__del(struct xgwd *d, const struct xgw_addr *a, int ifindex);

/* nexthop.c */
int nexthop__init(struct xgwd *d);
int nexthop__write(struct xgwd *d, struct xgwd_nexthop *nh);
void nexthop__link_changed(struct xgwd *d, int ifindex);
void nexthop__neigh_changed(struct xgwd *d, const struct xgw_addr *a, int ifindex,
			    const __u8 *mac);
void nexthop__retry(struct xgwd *d);
void nexthop__sweep(struct xgwd *d);
int nexthop__get_hint(struct xgwd *d, const struct xgw_addr *gw, int ifindex,
		      __u32 hint, __u32 *nh_id, char *err, size_t errlen);
int neigh__show(struct xgwd *d);

/* netlink.c */
int netlink__open(struct xgwd *d);
int netlink__dump(struct xgwd *d);		/* links, addresses, neighbours */
int netlink__process(struct xgwd *d);		/* events ready on d->nl_fd */
void netlink__close(struct xgwd *d);
int netlink__resolve(struct xgwd *d, const struct xgw_addr *a, int ifindex);
/* Feed every neighbour the kernel knows to onlink__neigh(). */
void netlink__replay_neigh(struct xgwd *d);
/* Fill nh->mac from the kernel's neighbour table if it has a usable entry. */
void netlink__lookup_neigh(struct xgwd *d, struct xgwd_nexthop *nh);
int netlink__route_dev(const struct xgw_addr *a, int *ifindex, struct xgw_addr *gw);

/* stats.c */
int stats__apply(struct xgwd *d, const struct xgw_cmd *c,
		 char *err, size_t errlen);
int settings__apply(struct xgwd *d, const struct xgw_cmd *c,
		    struct xgwd_undo *undo, char *err, size_t errlen);
int settings__save(struct xgwd *d, FILE *f);
/* Sum n_keys per-CPU struct xgw_counter entries of map fd. */
int stats__read(int fd, __u32 n_keys, struct xgw_counter *out);
int stats__latency(struct xgwd *d, struct xgw_latency *out);
/* Estimated percentile p (0..1) of a log2(ns) histogram, in ns. */
double stats__percentile(const __u64 *bucket, int n, double p);
double stats__bucket_hi(int i);

/* state.c */
int state__load(struct xgwd *d, const char *path);
int state__write(struct xgwd *d, FILE *f);
int xgwd__apply(struct xgwd *d, const struct xgw_cmd *c,
		struct xgwd_undo *undo, char *err, size_t errlen);
int xgwd__batch(struct xgwd *d, char *text, char *err, size_t errlen);
/* One transaction of command lines; writes need may_write (peer creds). */
int xgwd__run(struct xgwd *d, char *text, bool may_write, bool numbered,
	      char *err, size_t errlen);

/* ctlsock.c */
int ctlsock__open(struct xgwd *d);
bool ctlsock__in_use(const char *path);
void ctlsock__serve(struct xgwd *d);
void ctlsock__close(struct xgwd *d);

/* metrics.c */
int metrics__open(struct xgwd *d);
void metrics__serve(struct xgwd *d);
void metrics__close(struct xgwd *d);
int metrics__write(struct xgwd *d, FILE *f);

#endif /* XGWD_H */
