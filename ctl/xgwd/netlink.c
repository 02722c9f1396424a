// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Following the kernel: links (MAC, MTU, up/down), the gateway's own
 * addresses (LOCAL host entries) and the neighbour table (next-hop MACs),
 * through libnl's cache manager, which keeps the caches current and tells
 * us what changed. Two one-shot requests use a plain rtnetlink socket:
 * asking the kernel to resolve a neighbour and looking up a route.
 */
#include <string.h>
#include <unistd.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include "xgwd.h"

struct xgwd_nl {
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

static void on_neigh(struct xgwd *d, struct rtnl_neigh *n, int action)
{
	struct xgw_addr a;

	const __u8 *mac = action == NL_ACT_DEL ? NULL : neigh_mac(n);

	if (!nl_to_addr(rtnl_neigh_get_dst(n), &a))
		return;
	nexthop__neigh_changed(d, &a, rtnl_neigh_get_ifindex(n), mac);
	if (d->onlink.n || mac)
		onlink__neigh(d, &a, rtnl_neigh_get_ifindex(n), mac);
}

static void on_addr(struct xgwd *d, struct rtnl_addr *ra, int action)
{
	struct xgw_addr a;

	if (!nl_to_addr(rtnl_addr_get_local(ra), &a))
		return;
	if (action == NL_ACT_DEL)
		local__del(d, &a, rtnl_addr_get_ifindex(ra));
	else
		local__add(d, &a, rtnl_addr_get_ifindex(ra), rtnl_addr_get_prefixlen(ra));
}

static void on_link(struct xgwd *d, struct rtnl_link *l, int action)
{
	struct nl_addr *ll = rtnl_link_get_addr(l);
	unsigned int flags = rtnl_link_get_flags(l);

	link__changed(d, rtnl_link_get_ifindex(l), rtnl_link_get_name(l),
		      ll && nl_addr_get_len(ll) == 6 ? nl_addr_get_binary_addr(ll) : NULL,
		      rtnl_link_get_mtu(l),
		      (flags & IFF_UP) && (flags & IFF_RUNNING), action == NL_ACT_DEL);
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

int netlink__open(struct xgwd *d)
{
	struct xgwd_nl *nl = calloc(1, sizeof(*nl));
	int err;

	if (!nl)
		return -ENOMEM;
	d->nl = nl;
	err = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE, &nl->mngr);
	if (!err)
		err = nl_cache_mngr_add(nl->mngr, "route/link", on_change, d, &nl->links);
	if (!err)
		err = nl_cache_mngr_add(nl->mngr, "route/addr", on_change, d, &nl->addrs);
	if (!err)
		err = nl_cache_mngr_add(nl->mngr, "route/neigh", on_change, d, &nl->neighs);
	if (err) {
		pr_warn("netlink: %s", nl_geterror(err));
		netlink__close(d);
		return -EIO;
	}
	d->nl_fd = nl_cache_mngr_get_fd(nl->mngr);
	return 0;
}

/* Feed what the caches hold now (after the maps are loaded). */
int netlink__dump(struct xgwd *d)
{
	struct xgwd_nl *nl = d->nl;

	nl_cache_foreach(nl->addrs, on_initial, d);
	nl_cache_foreach(nl->links, on_initial, d);
	return 0;
}

int netlink__process(struct xgwd *d)
{
	struct xgwd_nl *nl = d->nl;
	int err = nl_cache_mngr_data_ready(nl->mngr);

	if (err < 0 && err != -NLE_AGAIN) {
		/* lost events (ENOBUFS): resync everything from scratch */
		pr_warn("netlink: %s; resyncing", nl_geterror(err));
		nl_cache_refill(NULL, nl->links);
		nl_cache_refill(NULL, nl->addrs);
		nl_cache_refill(NULL, nl->neighs);
		netlink__dump(d);
		nl_cache_foreach(nl->neighs, on_initial, d);
	}
	return 0;
}

void netlink__close(struct xgwd *d)
{
	struct xgwd_nl *nl = d->nl;

	if (!nl)
		return;
	if (nl->mngr)
		nl_cache_mngr_free(nl->mngr);
	free(nl);
	d->nl = NULL;
	d->nl_fd = -1;
}

static void on_neigh_replay(struct nl_object *o, void *arg)
{
	on_neigh(arg, (struct rtnl_neigh *)o, NL_ACT_NEW);
}

void netlink__replay_neigh(struct xgwd *d)
{
	struct xgwd_nl *nl = d->nl;

	if (nl)
		nl_cache_foreach(nl->neighs, on_neigh_replay, d);
}

void netlink__lookup_neigh(struct xgwd *d, struct xgwd_nexthop *nh)
{
	struct xgwd_nl *nl = d->nl;
	struct nl_addr *na;
	struct rtnl_neigh *n;
	const __u8 *mac;

	if (!nl)
		return;
	na = nl_addr_build(nh->gw.family, nh->gw.a, nh->gw.family == AF_INET ? 4 : 16);
	if (!na)
		return;
	n = rtnl_neigh_get(nl->neighs, nh->ifindex, na);
	nl_addr_put(na);
	if (!n)
		return;
	mac = neigh_mac(n);
	if (mac) {
		memcpy(nh->mac, mac, 6);
		nh->has_mac = true;
	}
	rtnl_neigh_put(n);
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

/*
 * Ask the kernel to resolve a: a neighbour "use" (NTF_USE) creates the entry
 * if needed and starts ARP/ND as if a packet were waiting; the answer then
 * arrives as a neighbour event.
 */
int netlink__resolve(struct xgwd *d, const struct xgw_addr *a, int ifindex)
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

	(void)d;
	rt_attr(&r, NDA_DST, a->a, a->family == AF_INET ? 4 : 16);
	err = rt_talk(&r, buf, sizeof(buf));
	if (err < 0)
		pr_debug("neighbour resolve: %s", strerror(-err));
	return err < 0 ? err : 0;
}

/* The kernel's route to a: egress ifindex and gateway (family 0 if on-link). */
int netlink__route_dev(const struct xgw_addr *a, int *ifindex, struct xgw_addr *gw)
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
