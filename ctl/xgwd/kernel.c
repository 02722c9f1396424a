// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The kernel adapter (kernel.h): links, addresses and neighbours through
 * libnl's cache manager, which keeps the caches current and tells us what
 * changed; each change goes up as a plain value through the caller's
 * callback table. Two one-shot requests use a plain rtnetlink socket:
 * asking the kernel to resolve a neighbour and looking up a route.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <netlink/version.h>
#include "kernel.h"
#include "log.h"

struct kernel {
	const struct kernel_ops *ops;
	void *arg;
	struct nl_cache_mngr *mngr;
	struct nl_cache *links, *addrs, *neighs, *routes;
	struct nl_sock *sync;	/* dumps after lost events */
	int link_fd;		/* raw RTMGRP_LINK socket: IFLA_XDP */
	int ep_fd;		/* both sockets, for one poll() */
	bool link_lost;		/* link_fd overflowed: dump the links again */
};


static bool nl_to_addr(struct nl_addr *na, struct xgw_addr *a)
{
	int fam = na ? nl_addr_get_family(na) : 0;

	memset(a, 0, sizeof(*a));
	if (fam == AF_INET && nl_addr_get_len(na) == 4) {
		a->family = AF_INET;
		memcpy(a->a, nl_addr_get_binary_addr(na), 4);
		return true;
	}
	if (fam == AF_INET6 && nl_addr_get_len(na) == 16) {
		a->family = AF_INET6;
		memcpy(a->a, nl_addr_get_binary_addr(na), 16);
		return true;
	}
	return false;
}

static const __u8 *neigh_mac(struct rtnl_neigh *n)
{
	struct nl_addr *ll = rtnl_neigh_get_lladdr(n);
	int st = rtnl_neigh_get_state(n);

	if (st < 0 || (st & (NUD_INCOMPLETE | NUD_FAILED)) || !ll ||
	    nl_addr_get_len(ll) != 6)
		return NULL;
	return nl_addr_get_binary_addr(ll);
}

static bool neigh_event(struct rtnl_neigh *n, int action, struct kernel_neigh *ev)
{
	int st = rtnl_neigh_get_state(n);

	ev->ifindex = rtnl_neigh_get_ifindex(n);
	ev->mac = action == NL_ACT_DEL ? NULL : neigh_mac(n);
	ev->stale = ev->mac && st >= 0 && (st & NUD_STALE);
	return nl_to_addr(rtnl_neigh_get_dst(n), &ev->addr);
}

static void on_neigh(struct kernel *k, struct rtnl_neigh *n, int action)
{
	struct kernel_neigh ev;

	if (neigh_event(n, action, &ev))
		k->ops->neigh(k->arg, &ev);
}

static void on_addr(struct kernel *k, struct rtnl_addr *ra, int action)
{
	struct kernel_addr ev = {
		.ifindex = rtnl_addr_get_ifindex(ra),
		.prefixlen = rtnl_addr_get_prefixlen(ra),
		.gone = action == NL_ACT_DEL,
	};

	if (nl_to_addr(rtnl_addr_get_local(ra), &ev.addr))
		k->ops->addr(k->arg, &ev);
}

static void on_link(struct kernel *k, struct rtnl_link *l, int action)
{
	struct nl_addr *ll = rtnl_link_get_addr(l);
	unsigned int flags = rtnl_link_get_flags(l);
	struct kernel_link ev = {
		.ifindex = rtnl_link_get_ifindex(l),
		.name = rtnl_link_get_name(l),
		.mac = ll && nl_addr_get_len(ll) == 6 ? nl_addr_get_binary_addr(ll) : NULL,
		.mtu = rtnl_link_get_mtu(l),
		.up = (flags & IFF_UP) && (flags & IFF_RUNNING),
		.gone = action == NL_ACT_DEL,
	};

	k->ops->link(k->arg, &ev);
}

static void route_nh(struct rtnl_nexthop *n, int family, struct kernel_nh *nh)
{
	struct nl_addr *gw = rtnl_route_nh_get_gateway(n);
	unsigned int fl = rtnl_route_nh_get_flags(n);

	memset(nh, 0, sizeof(*nh));
	nh->ifindex = rtnl_route_nh_get_ifindex(n);
	nh->weight = rtnl_route_nh_get_weight(n) + 1;	/* rtnh_hops */
	nh->dead = fl & (RTNH_F_DEAD | RTNH_F_LINKDOWN);
	nh->other = rtnl_route_nh_get_via(n) || rtnl_route_nh_get_encap_mpls_dst(n);
	if (gw && (!nl_to_addr(gw, &nh->gw) || nh->gw.family != family))
		nh->other = true;
}

/* The route as a plain value; false for one that is not an address route. */
static bool route_event(struct rtnl_route *r, int action, struct kernel_route *ev)
{
	struct nl_addr *dst = rtnl_route_get_dst(r);
	int i, n = rtnl_route_get_nnexthops(r);

	memset(ev, 0, offsetof(struct kernel_route, nh));
	if (!nl_to_addr(dst, &ev->dst.addr))
		return false;
	ev->dst.len = nl_addr_get_prefixlen(dst);
	ev->table = rtnl_route_get_table(r);
	ev->priority = rtnl_route_get_priority(r);
	ev->protocol = rtnl_route_get_protocol(r);
	ev->type = rtnl_route_get_type(r);
	ev->tos = rtnl_route_get_tos(r);
	ev->gone = action == NL_ACT_DEL;
	ev->nh_truncated = n > KERNEL_ROUTE_NH_MAX;
	for (i = 0; i < n && i < KERNEL_ROUTE_NH_MAX; i++)
		route_nh(rtnl_route_nexthop_n(r, i), ev->dst.addr.family, &ev->nh[ev->n_nh++]);
	return true;
}

static void on_route(struct kernel *k, struct rtnl_route *r, int action)
{
	struct kernel_route ev;

	if (route_event(r, action, &ev))
		k->ops->route(k->arg, &ev);
}

static void on_change(struct nl_cache *c, struct nl_object *o, int action, void *arg)
{
	const char *type = nl_object_get_type(o);

	(void)c;
	if (!strcmp(type, "route/route"))
		on_route(arg, (struct rtnl_route *)o, action);
	else if (!strcmp(type, "route/neigh"))
		on_neigh(arg, (struct rtnl_neigh *)o, action);
	else if (!strcmp(type, "route/addr"))
		on_addr(arg, (struct rtnl_addr *)o, action);
	else if (!strcmp(type, "route/link"))
		on_link(arg, (struct rtnl_link *)o, action);
}

static void on_initial(struct nl_object *o, void *arg)
{
	on_change(NULL, o, NL_ACT_NEW, arg);
}

/* ---- IFLA_XDP: a raw link socket beside libnl's ---------------------------------- */
static int kernel__link_dump(struct kernel *k)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = {
		.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		.h.nlmsg_type = RTM_GETLINK,
		.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
	};

	return send(k->link_fd, &req, req.h.nlmsg_len, 0) < 0 ? -errno : 0;
}

static int kernel__xdp_open(struct kernel *k)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct epoll_event ev = { .events = EPOLLIN };
	int sz = 4 << 20;

	k->link_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (k->link_fd < 0)
		return -errno;
	if (setsockopt(k->link_fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		pr_debug("netlink: link socket SO_RCVBUFFORCE: %s", strerror(errno));
	if (bind(k->link_fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	k->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (k->ep_fd < 0)
		return -errno;
	if (epoll_ctl(k->ep_fd, EPOLL_CTL_ADD, k->link_fd, &ev))
		return -errno;
	if (epoll_ctl(k->ep_fd, EPOLL_CTL_ADD, nl_cache_mngr_get_fd(k->mngr), &ev))
		return -errno;
	return 0;
}

/* One RTM_NEWLINK: its IFLA_XDP programs, if it says. */
static void kernel__xdp_msg(struct kernel *k, struct nlmsghdr *h)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct kernel_xdp ev = { .ifindex = ifi->ifi_index };
	struct rtattr *a, *x;
	int len = IFLA_PAYLOAD(h), xl;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return;
	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if ((a->rta_type & ~NLA_F_NESTED) != IFLA_XDP)
			continue;
		xl = RTA_PAYLOAD(a);
		for (x = RTA_DATA(a); RTA_OK(x, xl); x = RTA_NEXT(x, xl)) {
			if (RTA_PAYLOAD(x) < sizeof(__u32))
				continue;
			if (x->rta_type == IFLA_XDP_DRV_PROG_ID)
				ev.drv_prog_id = *(__u32 *)RTA_DATA(x);
			else if (x->rta_type == IFLA_XDP_SKB_PROG_ID)
				ev.skb_prog_id = *(__u32 *)RTA_DATA(x);
		}
		k->ops->xdp(k->arg, &ev);
		return;
	}
}

/* Everything waiting on the link socket; after an overflow, a fresh dump. */
static void kernel__xdp_process(struct kernel *k)
{
	char buf[32768];
	struct nlmsghdr *h;
	int n;

	for (;;) {
		n = recv(k->link_fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == ENOBUFS) {
			k->link_lost = true;
			continue;
		}
		if (n <= 0)
			break;
		for (h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n))
			kernel__xdp_msg(k, h);
	}
	if (k->link_lost && !kernel__link_dump(k)) {
		pr_warn("netlink: link events lost; asking for every link again");
		k->link_lost = false;
	}
}

int kernel__open(struct kernel **kp, const struct kernel_ops *ops, void *arg, int rcvbuf)
{
	struct kernel *k = calloc(1, sizeof(*k));
	int err;

	*kp = NULL;
	if (!k)
		return -ENOMEM;
	k->ops = ops;
	k->arg = arg;
	k->link_fd = -1;
	k->ep_fd = -1;
	err = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE, &k->mngr);
	if (!err) {
		/* a burst of route changes (a full table from a routing
		 * daemon) must not overflow it */
		int sz = rcvbuf ? rcvbuf : KERNEL_RCVBUF, fd = nl_cache_mngr_get_fd(k->mngr);

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
			pr_debug("netlink: SO_RCVBUFFORCE: %s", strerror(errno));
	}
	if (!err)
		err = nl_cache_mngr_add(k->mngr, "route/link", on_change, k, &k->links);
	if (!err)
		err = nl_cache_mngr_add(k->mngr, "route/addr", on_change, k, &k->addrs);
	if (!err)
		err = nl_cache_mngr_add(k->mngr, "route/neigh", on_change, k, &k->neighs);
	if (!err && !(k->sync = nl_socket_alloc()))
		err = -NLE_NOMEM;
	if (!err)
		err = nl_connect(k->sync, NETLINK_ROUTE);
	if (err) {
		pr_warn("netlink: %s", nl_geterror(err));
		kernel__close(k);
		return -EIO;
	}
	err = kernel__xdp_open(k);
	if (err) {
		pr_warn("netlink: link socket: %s", strerror(-err));
		kernel__close(k);
		return err;
	}
	*kp = k;
	return 0;
}

void kernel__close(struct kernel *k)
{
	if (!k)
		return;
	if (k->mngr)
		nl_cache_mngr_free(k->mngr);
	if (k->sync)
		nl_socket_free(k->sync);
	if (k->link_fd >= 0)
		close(k->link_fd);
	if (k->ep_fd >= 0)
		close(k->ep_fd);
	free(k);
}

int kernel__fd(const struct kernel *k)
{
	return k->ep_fd;
}

void kernel__replay(struct kernel *k, unsigned int what)
{
	if (what & KERNEL_ADDRS)
		nl_cache_foreach(k->addrs, on_initial, k);
	if (what & KERNEL_LINKS)
		nl_cache_foreach(k->links, on_initial, k);
	if (what & KERNEL_NEIGHS)
		nl_cache_foreach(k->neighs, on_initial, k);
	if ((what & KERNEL_ROUTES) && k->routes)
		nl_cache_foreach(k->routes, on_initial, k);
}

/*
 * Events were lost (ENOBUFS). What is still queued is older than the loss:
 * applied after a fresh dump it would undo newer changes, so it goes first;
 * then every cache is dumped again (on the sync socket: the event socket
 * must stay the cache manager's).
 */
static void kernel__refill(struct kernel *k)
{
	struct nl_cache *caches[] = { k->links, k->addrs, k->neighs, k->routes };
	static const char *const names[] = { "links", "addresses", "neighbours", "routes" };
	int fd = nl_cache_mngr_get_fd(k->mngr), err;
	char buf[16384];
	size_t i;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 || errno == ENOBUFS)
		;
	for (i = 0; i < sizeof(caches) / sizeof(caches[0]); i++) {
		if (!caches[i])
			continue;
		err = nl_cache_refill(k->sync, caches[i]);
		if (err < 0)
			pr_warn("netlink: reading the %s again: %s", names[i], nl_geterror(err));
	}
}

int kernel__process(struct kernel *k)
{
	int err;

	kernel__xdp_process(k);
	err = nl_cache_mngr_data_ready(k->mngr);

	if (err < 0 && err != -NLE_AGAIN) {
		pr_warn("netlink: %s; resyncing", nl_geterror(err));
		kernel__refill(k);
		k->ops->resync(k->arg, false);
		kernel__replay(k, KERNEL_ADDRS | KERNEL_LINKS | KERNEL_NEIGHS | KERNEL_ROUTES);
		k->ops->resync(k->arg, true);
	}
	return 0;
}

/*
 * libnl before 3.12 hashes a cache's objects into a fixed 1024 buckets
 * (NL_MAX_HASH_ENTRIES) unless its type sets co_hash_size, which
 * route/route does not: with a million routes every change walks chains of
 * a thousand (100k routes: 6.5 s to fill, 1M: minutes). 3.12 made the
 * table resizable (libnl commit 97069f49). Until then, set the route
 * type's co_hash_size, the fourth field of struct nl_cache_ops in every
 * 3.x before 3.12, after checking the three before it are what they must be.
 */
#define KERNEL_ROUTE_HASH	(1 << 20)

static void route_cache_hash_size(void)
{
#if LIBNL_VER_NUM < LIBNL_VER(3, 12)
	struct ops_head {
		char *co_name;
		int co_hdrsize;
		int co_protocol;
		int co_hash_size;
	} *h = (void *)nl_cache_ops_lookup("route/route");

	if (h && h->co_name && !strcmp(h->co_name, "route/route") &&
	    h->co_hdrsize == (int)sizeof(struct rtmsg) && h->co_protocol == NETLINK_ROUTE &&
	    (h->co_hash_size == 0 || h->co_hash_size == KERNEL_ROUTE_HASH))
		h->co_hash_size = KERNEL_ROUTE_HASH;
	else
		pr_warn("netlink: cannot size libnl's route cache; large tables will be slow");
#endif
}

int kernel__routes_open(struct kernel *k)
{
	int err;

	if (k->routes)
		return 0;
	route_cache_hash_size();
	err = nl_cache_mngr_add(k->mngr, "route/route", on_change, k, &k->routes);
	if (err) {
		k->routes = NULL;
		pr_warn("netlink: route cache: %s", nl_geterror(err));
		return -EIO;
	}
	return 0;
}

struct route_walk {
	void (*fn)(void *arg, const struct kernel_route *r);
	void *arg;
};

static void route_walk_one(struct nl_object *o, void *arg)
{
	struct route_walk *w = arg;
	struct kernel_route ev;

	if (route_event((struct rtnl_route *)o, NL_ACT_NEW, &ev))
		w->fn(w->arg, &ev);
}

void kernel__route_foreach(struct kernel *k,
			   void (*fn)(void *arg, const struct kernel_route *r), void *arg)
{
	struct route_walk w = { .fn = fn, .arg = arg };

	if (k && k->routes)
		nl_cache_foreach(k->routes, route_walk_one, &w);
}

struct neigh_walk {
	void (*fn)(void *arg, const struct kernel_neigh *n);
	void *arg;
};

static void neigh_walk_one(struct nl_object *o, void *arg)
{
	struct neigh_walk *w = arg;
	struct kernel_neigh ev;

	if (neigh_event((struct rtnl_neigh *)o, NL_ACT_NEW, &ev))
		w->fn(w->arg, &ev);
}

void kernel__neigh_foreach(struct kernel *k,
			   void (*fn)(void *arg, const struct kernel_neigh *n), void *arg)
{
	struct neigh_walk w = { .fn = fn, .arg = arg };

	if (k)
		nl_cache_foreach(k->neighs, neigh_walk_one, &w);
}

int kernel__neigh_get(struct kernel *k, const struct xgw_addr *a, int ifindex,
		      struct kernel_neigh *out, __u8 *mac)
{
	struct nl_addr *na;
	struct rtnl_neigh *n;
	int ret;

	if (!k)
		return -ENOENT;
	na = nl_addr_build(a->family, a->a, a->family == AF_INET ? 4 : 16);
	if (!na)
		return -ENOMEM;
	n = rtnl_neigh_get(k->neighs, ifindex, na);
	nl_addr_put(na);
	if (!n)
		return -ENOENT;
	ret = neigh_event(n, NL_ACT_NEW, out) && out->mac;
	if (ret) {
		memcpy(mac, out->mac, 6);
		out->mac = mac;
	}
	rtnl_neigh_put(n);
	return ret;
}

/* ---- one-shot rtnetlink requests -------------------------------------------- */
struct rtreq {
	struct nlmsghdr h;
	union {
		struct ndmsg nd;
		struct rtmsg rt;
	};
	char attrs[64];
};

static void rt_attr(struct rtreq *r, int type, const void *data, int len)
{
	struct rtattr *a = (void *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send r, read one reply into buf. Returns its length or -errno. */
static int rt_talk(struct rtreq *r, char *buf, size_t len)
{
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct nlmsghdr *h = (void *)buf;
	struct timeval tv = { .tv_sec = 1 };
	int n;

	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = send(s, r, r->h.nlmsg_len, 0);
	if (n >= 0)
		n = recv(s, buf, len, 0);
	if (n < 0)
		n = -errno;
	else if (n < (int)sizeof(*h) || !NLMSG_OK(h, (unsigned int)n))
		n = -EIO;
	else if (h->nlmsg_type == NLMSG_ERROR)
		n = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	close(s);
	return n;
}

int kernel__neigh_use(const struct xgw_addr *a, int ifindex)
{
	struct rtreq r = {
		.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg)),
		.h.nlmsg_type = RTM_NEWNEIGH,
		.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
		.nd.ndm_family = a->family,
		.nd.ndm_ifindex = ifindex,
		.nd.ndm_state = NUD_NONE,
		.nd.ndm_flags = NTF_USE,
	};
	char buf[512];
	int err;

	rt_attr(&r, NDA_DST, a->a, a->family == AF_INET ? 4 : 16);
	err = rt_talk(&r, buf, sizeof(buf));
	if (err < 0)
		pr_debug("neighbour resolve: %s", strerror(-err));
	return err < 0 ? err : 0;
}

int kernel__route_get(const struct xgw_addr *a, int *ifindex, struct xgw_addr *gw)
{
	struct rtreq r = {
		.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)),
		.h.nlmsg_type = RTM_GETROUTE,
		.h.nlmsg_flags = NLM_F_REQUEST,
		.rt.rtm_family = a->family,
		.rt.rtm_dst_len = a->family == AF_INET ? 32 : 128,
	};
	char buf[4096];
	struct nlmsghdr *h = (void *)buf;
	struct rtmsg *rt;
	struct rtattr *at;
	int n, len;

	rt_attr(&r, RTA_DST, a->a, a->family == AF_INET ? 4 : 16);
	n = rt_talk(&r, buf, sizeof(buf));
	if (n < 0)
		return n;
	if (h->nlmsg_type != RTM_NEWROUTE)
		return -EIO;
	rt = NLMSG_DATA(h);
	if (rt->rtm_type != RTN_UNICAST)
		return -ENETUNREACH;
	memset(gw, 0, sizeof(*gw));
	*ifindex = 0;
	len = RTM_PAYLOAD(h);
	for (at = RTM_RTA(rt); RTA_OK(at, len); at = RTA_NEXT(at, len)) {
		if (at->rta_type == RTA_OIF)
			*ifindex = *(int *)RTA_DATA(at);
		else if (at->rta_type == RTA_GATEWAY &&
			 RTA_PAYLOAD(at) == (a->family == AF_INET ? 4u : 16u)) {
			gw->family = a->family;
			memcpy(gw->a, RTA_DATA(at), RTA_PAYLOAD(at));
		}
	}
	return *ifindex ? 0 : -ENETUNREACH;
}
