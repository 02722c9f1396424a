// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The kernel adapter (kernel.h): links, addresses and neighbours through
 * libnl's cache manager, which keeps the caches current and tells us what
 * changed; each change goes up as a plain value through the caller's
 * callback table. Two one-shot requests use a plain rtnetlink socket:
 * asking the kernel to resolve a neighbour and looking up a route.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include "kernel.h"
#include "log.h"

struct kernel {
	const struct kernel_ops *ops;
	void *arg;
	struct nl_cache_mngr *mngr;
	struct nl_cache *links, *addrs, *neighs;
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
	ev->ifindex = rtnl_neigh_get_ifindex(n);
	ev->mac = action == NL_ACT_DEL ? NULL : neigh_mac(n);
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

static void on_change(struct nl_cache *c, struct nl_object *o, int action, void *arg)
{
	const char *type = nl_object_get_type(o);

	(void)c;
	if (!strcmp(type, "route/neigh"))
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

int kernel__open(struct kernel **kp, const struct kernel_ops *ops, void *arg)
{
	struct kernel *k = calloc(1, sizeof(*k));
	int err;

	*kp = NULL;
	if (!k)
		return -ENOMEM;
	k->ops = ops;
	k->arg = arg;
	err = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE, &k->mngr);
	if (!err)
		err = nl_cache_mngr_add(k->mngr, "route/link", on_change, k, &k->links);
	if (!err)
		err = nl_cache_mngr_add(k->mngr, "route/addr", on_change, k, &k->addrs);
	if (!err)
		err = nl_cache_mngr_add(k->mngr, "route/neigh", on_change, k, &k->neighs);
	if (err) {
		pr_warn("netlink: %s", nl_geterror(err));
		kernel__close(k);
		return -EIO;
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
	free(k);
}

int kernel__fd(const struct kernel *k)
{
	return nl_cache_mngr_get_fd(k->mngr);
}

void kernel__replay(struct kernel *k, unsigned int what)
{
	if (what & KERNEL_ADDRS)
		nl_cache_foreach(k->addrs, on_initial, k);
	if (what & KERNEL_LINKS)
		nl_cache_foreach(k->links, on_initial, k);
	if (what & KERNEL_NEIGHS)
		nl_cache_foreach(k->neighs, on_initial, k);
}

int kernel__process(struct kernel *k)
{
	int err = nl_cache_mngr_data_ready(k->mngr);

	if (err < 0 && err != -NLE_AGAIN) {
		/* lost events (ENOBUFS): resync everything from scratch */
		pr_warn("netlink: %s; resyncing", nl_geterror(err));
		nl_cache_refill(NULL, k->links);
		nl_cache_refill(NULL, k->addrs);
		nl_cache_refill(NULL, k->neighs);
		kernel__replay(k, KERNEL_ADDRS | KERNEL_LINKS | KERNEL_NEIGHS);
	}
	return 0;
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

bool kernel__neigh_get(struct kernel *k, const struct xgw_addr *a, int ifindex,
		       __u8 *mac)
{
	struct nl_addr *na;
	struct rtnl_neigh *n;
	const __u8 *m;

	if (!k)
		return false;
	na = nl_addr_build(a->family, a->a, a->family == AF_INET ? 4 : 16);
	if (!na)
		return false;
	n = rtnl_neigh_get(k->neighs, ifindex, na);
	nl_addr_put(na);
	if (!n)
		return false;
	m = neigh_mac(n);
	if (m)
		memcpy(mac, m, 6);
	rtnl_neigh_put(n);
	return m != NULL;
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
