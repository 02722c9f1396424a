// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Next hops: one xgw_nexthops slot per (gateway address, egress device),
 * shared by every route and backend that uses it and reference counted.
 * The destination MAC comes from the kernel's neighbour table; until it is
 * known (or while the link is down) the slot is not RESOLVED and the
 * datapath hands those packets to the kernel, which resolves and forwards.
 */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "json_print.h"
#include "kernel.h"
#include "link.h"
#include "local.h"
#include "nexthop.h"
#include "xgw.skel.h"

int nexthop__init(struct xgwd *d)
{
	d->nexthops = calloc(XGW_MAX_NEXTHOPS, sizeof(*d->nexthops));
	return d->nexthops ? 0 : -ENOMEM;
}

void nexthop__set_ops(struct xgwd *d, const struct nexthop_ops *ops)
{
	d->nexthop_ops = ops;
}

const struct xgwd_nexthop *nexthop__find(struct xgwd *d, __u32 nh_id)
{
	if (!nh_id || nh_id >= XGW_MAX_NEXTHOPS || !d->nexthops[nh_id].id)
		return NULL;
	return &d->nexthops[nh_id];
}

bool nexthop__is_resolved(struct xgwd *d, const struct xgwd_nexthop *nh)
{
	struct xgwd_link *l = link__find(d, nh->ifindex);

	return nh->has_mac && l && l->up;
}

static int nexthop__write(struct xgwd *d, struct xgwd_nexthop *nh)
{
	struct xgwd_link *l = link__find(d, nh->ifindex);
	struct xgw_nexthop v = { .ifindex = nh->ifindex };
	int err;

	if (l) {
		v.mtu = l->mtu > 0xffff ? 0xffff : l->mtu;
		memcpy(v.smac, l->mac, 6);
	}
	memcpy(v.dmac, nh->mac, 6);
	if (nexthop__is_resolved(d, nh))
		v.flags = XGW_NH_F_RESOLVED;
	err = xgw_nh_write(&d->nh_table, nh->id, &v);	/* never half written */
	if (err)
		return err;
	if (d->nexthop_ops && d->nexthop_ops->changed)
		d->nexthop_ops->changed(d, nh->id);
	return 0;
}

/*
 * The kernel's neighbour entry, when it has one, is the truth over what an
 * adopted datapath held: MAC and state, or none usable (failed). With no
 * entry, an adopted MAC is kept (a hitless restart) but counts as stale:
 * in use, it is revalidated, which makes the kernel resolve it afresh.
 */
static void nexthop__from_kernel(struct xgwd *d, struct xgwd_nexthop *nh)
{
	struct kernel_neigh kn;
	__u8 mac[6];
	int ret = kernel__neigh_get(d->kernel, &nh->gw, nh->ifindex, &kn, mac);

	if (ret < 0) {
		nh->stale = nh->has_mac;
		return;
	}
	nh->has_mac = ret > 0;
	memset(nh->mac, 0, 6);
	if (ret > 0)
		memcpy(nh->mac, mac, 6);
	nh->stale = ret > 0 && kn.stale;
}

/* Clearing a freed slot keeps stale MACs out of `bpftool map dump`. */
static void nexthop__clear(struct xgwd *d, __u32 id)
{
	struct xgw_nexthop v = {};

	xgw_nh_write(&d->nh_table, id, &v);
}

/* Pick the egress device for gw: an attached link whose connected subnet
 * holds it, else the kernel's routing table (following its gateway). */
static int nexthop__egress(struct xgwd *d, struct xgw_addr *gw, int *ifindex)
{
	struct xgw_addr kgw;
	int err;

	*ifindex = local__subnet_link(d, gw);
	if (*ifindex)
		return 0;
	err = kernel__route_get(gw, ifindex, &kgw);
	if (err)
		return err;
	if (kgw.family)
		*gw = kgw;
	return 0;
}

/* An adopted datapath already has a slot for this next hop: keep its id
 * (and so its counters) when it is free and points at the same device. */
static __u32 nexthop__adopt_id(struct xgwd *d, __u32 hint, int ifindex,
			       struct xgwd_nexthop *nh)
{
	struct xgw_nexthop v;

	if (!hint || hint >= XGW_MAX_NEXTHOPS || d->nexthops[hint].id ||
	    xgw_nh_read(&d->nh_table, hint, &v) ||
	    (int)v.ifindex != ifindex)
		return 0;
	if (v.flags & XGW_NH_F_RESOLVED) {
		memcpy(nh->mac, v.dmac, 6);
		nh->has_mac = true;
	}
	return hint;
}

/* A slot the adopted datapath still uses (its route is not restored yet). */
static bool nexthop_is_busy_in_map(struct xgwd *d, __u32 id)
{
	struct xgw_nexthop v;

	return d->adopted && d->restoring &&
	       !xgw_nh_read(&d->nh_table, id, &v) &&
	       v.ifindex;
}

static __u32 nexthop__free_id(struct xgwd *d)
{
	__u32 id;

	for (id = 1; id < XGW_MAX_NEXTHOPS; id++)
		if (!d->nexthops[id].id && !nexthop_is_busy_in_map(d, id))
			return id;
	for (id = 1; id < XGW_MAX_NEXTHOPS; id++)
		if (!d->nexthops[id].id)
			return id;
	return 0;
}

void nexthop__sweep(struct xgwd *d)
{
	struct xgw_nexthop v;
	__u32 id;

	for (id = 1; id < XGW_MAX_NEXTHOPS; id++)
		if (!d->nexthops[id].id &&
		    !xgw_nh_read(&d->nh_table, id, &v) &&
		    v.ifindex)
			nexthop__clear(d, id);
}

int nexthop__get_hint(struct xgwd *d, const struct xgw_addr *gw_in, int ifindex,
		      __u32 hint, __u32 *nh_id, char *err, size_t errlen)
{
	struct xgwd_nexthop nh = { .gw = *gw_in, .ifindex = ifindex };
	char buf[XGW_ADDR_STRLEN], ifn[IF_NAMESIZE];
	__u32 id;
	int ret;

	if (!ifindex && nexthop__egress(d, &nh.gw, &nh.ifindex)) {
		snprintf(err, errlen, "no route to %s",
			 xgw_addr_str(gw_in, buf, sizeof(buf)));
		return -ENETUNREACH;
	}
	if (!link__find(d, nh.ifindex)) {
		snprintf(err, errlen, "egress device %s for %s is not an attached link",
			 if_indextoname(nh.ifindex, ifn) ? ifn : "?",
			 xgw_addr_str(gw_in, buf, sizeof(buf)));
		return -ENETUNREACH;
	}
	for (id = 1; id < XGW_MAX_NEXTHOPS; id++) {
		struct xgwd_nexthop *o = &d->nexthops[id];

		if (o->id && o->ifindex == nh.ifindex && xgw_addr_equal(&o->gw, &nh.gw)) {
			o->refcnt++;
			link__hold(d, o->ifindex);
			*nh_id = id;
			return 0;
		}
	}
	id = nexthop__adopt_id(d, hint, nh.ifindex, &nh);
	if (!id)
		id = nexthop__free_id(d);
	if (!id) {
		snprintf(err, errlen, "next-hop table full (%d)", XGW_MAX_NEXTHOPS - 1);
		return -ENOSPC;
	}
	nh.id = id;
	nh.refcnt = 1;
	d->nexthops[id] = nh;
	nexthop__from_kernel(d, &d->nexthops[id]);
	ret = nexthop__write(d, &d->nexthops[id]);
	if (ret) {
		memset(&d->nexthops[id], 0, sizeof(nh));
		snprintf(err, errlen, "cannot write next hop: %s", strerror(-ret));
		return ret;
	}
	if (!d->nexthops[id].has_mac)
		kernel__neigh_use(&nh.gw, nh.ifindex);
	link__hold(d, nh.ifindex);
	*nh_id = id;
	return 0;
}

int nexthop__get(struct xgwd *d, const struct xgw_addr *gw, int ifindex,
		 __u32 *nh_id, char *err, size_t errlen)
{
	return nexthop__get_hint(d, gw, ifindex, 0, nh_id, err, errlen);
}

void nexthop__put(struct xgwd *d, __u32 nh_id)
{
	struct xgwd_nexthop *nh;

	if (!nexthop__find(d, nh_id))
		return;
	nh = &d->nexthops[nh_id];
	link__release(d, nh->ifindex);
	if (--nh->refcnt)
		return;
	memset(nh, 0, sizeof(*nh));
	nexthop__clear(d, nh_id);
}

void nexthop__link_changed(struct xgwd *d, int ifindex)
{
	__u32 id;

	for (id = 1; id < XGW_MAX_NEXTHOPS; id++)
		if (d->nexthops[id].id && d->nexthops[id].ifindex == ifindex)
			nexthop__write(d, &d->nexthops[id]);
}

void nexthop__neigh_changed(struct xgwd *d, const struct kernel_neigh *n)
{
	const __u8 *mac = n->mac;
	__u32 id;

	for (id = 1; id < XGW_MAX_NEXTHOPS; id++) {
		struct xgwd_nexthop *nh = &d->nexthops[id];

		if (!nh->id || nh->ifindex != n->ifindex || !xgw_addr_equal(&nh->gw, &n->addr))
			continue;
		nh->stale = n->stale;
		if (mac ? nh->has_mac && !memcmp(nh->mac, mac, 6) : !nh->has_mac)
			continue;
		nh->has_mac = mac != NULL;
		memset(nh->mac, 0, 6);
		if (mac)
			memcpy(nh->mac, mac, 6);
		nexthop__write(d, nh);
	}
}

/* Packets forwarded through nh, summed over CPUs (0 if unreadable). */
static __u64 nexthop__packets(struct xgwd *d, __u32 id)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xgw_counter *c;
	__u64 sum = 0;
	int i;

	if (ncpu <= 0)
		return 0;
	c = calloc(ncpu, sizeof(*c));
	if (c && !bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.xgw_nh_stats), &id, c))
		for (i = 0; i < ncpu; i++)
			sum += c[i].packets;
	free(c);
	return sum;
}

void nexthop__retry(struct xgwd *d)
{
	__u32 id;

	for (id = 1; id < XGW_MAX_NEXTHOPS; id++) {
		struct xgwd_nexthop *nh = &d->nexthops[id];
		struct xgwd_link *l;
		__u64 pkts;

		if (!nh->id || (nh->has_mac && !nh->stale))
			continue;
		l = link__find(d, nh->ifindex);
		if (!l || !l->up)
			continue;
		if (!nh->has_mac) {
			kernel__neigh_use(&nh->gw, nh->ifindex);
			continue;
		}
		/* STALE: revalidate only while forwarded through (in use) */
		pkts = nexthop__packets(d, id);
		if (pkts != nh->seen_packets)
			kernel__neigh_use(&nh->gw, nh->ifindex);
		nh->seen_packets = pkts;
	}
}

int neigh__show(struct xgwd *d)
{
	char buf[XGW_ADDR_STRLEN], mac[XGW_MAC_STRLEN], ifn[IF_NAMESIZE];
	__u32 id;

	open_json_array(PRINT_JSON, "neighbours");
	for (id = 1; id < XGW_MAX_NEXTHOPS; id++) {
		struct xgwd_nexthop *nh = &d->nexthops[id];
		struct xgwd_link *l;

		if (!nh->id)
			continue;
		l = link__find(d, nh->ifindex);
		open_json_object(NULL);
		print_string(PRINT_ANY, "addr", "%s",
			     xgw_addr_str(&nh->gw, buf, sizeof(buf)));
		print_string(PRINT_ANY, "dev", " dev %s",
			     l ? l->name : (if_indextoname(nh->ifindex, ifn) ?: "?"));
		if (nh->has_mac)
			print_string(PRINT_ANY, "lladdr", " lladdr %s",
				     xgw_mac_str(nh->mac, mac, sizeof(mac)));
		else
			print_null(PRINT_ANY, "lladdr", " lladdr %s", "-");
		print_uint(PRINT_ANY, "nh_id", " nh %u", id);
		print_uint(PRINT_ANY, "refcnt", " ref %u", nh->refcnt);
		print_bool(PRINT_JSON, "resolved", NULL, nexthop__is_resolved(d, nh));
		print_text(" %s", nexthop__is_resolved(d, nh) ? "resolved" : "unresolved");
		print_bool(PRINT_JSON, "stale", NULL, nh->has_mac && nh->stale);
		if (nh->has_mac && nh->stale)
			print_text(" stale");
		print_nl();
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
	return 0;
}
