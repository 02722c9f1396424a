// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The `route` object: add, replace, del, show, get (follow and unfollow
 * are follow.c's). A route holds what it
 * uses (a next hop, or the link it names) and lets go of it when it leaves;
 * every change goes to the route table, then to the datapath's entries,
 * and on-link neighbours follow on-link routes. A failed change puts the
 * previous state back exactly.
 */
#include <stdlib.h>
#include <string.h>
#include "entry.h"
#include "follow.h"
#include "group.h"
#include "json_print.h"
#include "link.h"
#include "local.h"
#include "nexthop.h"
#include "onlink.h"
#include "path.h"
#include "route.h"
#include "rtable.h"
#include "rtnames.h"
#include "vip.h"

/* Canonical order: family, address, length (then table and metric). */
static int route_cmp(const void *a, const void *b, void *arg)
{
	struct xgwd_vec *v = arg;
	const struct xgwd_route *x = xgwd_vec__at(v, struct xgwd_route, *(const size_t *)a);
	const struct xgwd_route *y = xgwd_vec__at(v, struct xgwd_route, *(const size_t *)b);
	int c;

	if (x->dst.addr.family != y->dst.addr.family)
		return x->dst.addr.family == AF_INET ? -1 : 1;
	c = memcmp(x->dst.addr.a, y->dst.addr.a, sizeof(x->dst.addr.a));
	if (c)
		return c;
	if (x->dst.len != y->dst.len)
		return (int)x->dst.len - (int)y->dst.len;
	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	return x->priority < y->priority ? -1 : x->priority > y->priority;
}

static size_t *sorted(struct xgwd_vec *v)
{
	size_t *idx = v->n ? malloc(v->n * sizeof(*idx)) : NULL;
	size_t i;

	if (!idx)
		return NULL;
	for (i = 0; i < v->n; i++)
		idx[i] = i;
	qsort_r(idx, v->n, sizeof(*idx), route_cmp, v);
	return idx;
}

size_t *route__sorted(struct xgwd *d)
{
	return sorted(&d->routes);
}

void route__to_cmd(const struct xgwd_route *r, enum xgw_verb verb, struct xgw_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->obj = XGW_OBJ_ROUTE;
	c->verb = verb;
	c->route.dst = r->dst;
	c->route.type = r->type;
	c->route.via = r->via;
	memcpy(c->route.dev, r->dev, sizeof(c->route.dev));
	if (r->type == XGW_ROUTE_MULTIPATH && r->mp) {
		c->route.n_nh = r->n_mp;
		memcpy(c->route.nh, r->mp, r->n_mp * sizeof(*r->mp));
	}
}

/* A command's gateway may not be one of the gateway's own addresses. */
static int route__check_via(struct xgwd *d, const struct xgw_addr *via, char *err,
			    size_t errlen)
{
	const struct xgwd_local *lo = local__find(d, via, 0, NULL);
	char a[XGW_ADDR_STRLEN], ifn[IF_NAMESIZE];

	if (!lo)
		return 0;
	snprintf(err, errlen, "via %s: that is the gateway's own address (on %s)",
		 xgw_addr_str(via, a, sizeof(a)),
		 if_indextoname(lo->ifindex, ifn) ? ifn : "?");
	return -EINVAL;
}

/* An attached link named dev: its ifindex, or -ENODEV with a message. */
static int route__dev(struct xgwd *d, const char *dev, int *ifindex, char *err,
		      size_t errlen)
{
	*ifindex = if_nametoindex(dev);
	if (!*ifindex) {
		snprintf(err, errlen, "unknown device \"%s\"", dev);
		return -ENODEV;
	}
	if (!link__find(d, *ifindex)) {
		snprintf(err, errlen, "device \"%s\" is not an attached link "
			 "(xgwctl link attach %s)", dev, dev);
		return -ENODEV;
	}
	return 0;
}

/* A multipath route's group, and its next hops as typed (for the state file). */
static int route__build_mp(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_route *r,
			   char *err, size_t errlen)
{
	struct group_nh nh[XGW_ROUTE_NH_MAX] = {};
	unsigned int i, n = c->route.n_nh;
	int ret;

	for (i = 0; i < n && i < XGW_ROUTE_NH_MAX; i++) {
		const struct xgw_route_nh *t = &c->route.nh[i];

		nh[i].gw = t->via;
		nh[i].weight = t->weight;
		ret = route__check_via(d, &t->via, err, errlen);
		if (!ret && t->dev[0])
			ret = route__dev(d, t->dev, &nh[i].ifindex, err, errlen);
		if (ret)
			return ret;
	}
	ret = path__get(d, r, entry__adopted_nh(d, &r->dst), nh, n, err, errlen);
	if (ret)
		return ret;
	r->mp = malloc(n * sizeof(*r->mp));
	if (!r->mp) {
		path__put(d, r);
		return -ENOMEM;
	}
	memcpy(r->mp, c->route.nh, n * sizeof(*r->mp));
	r->n_mp = n;
	return 0;
}

/* Resolve a new route's device and next hop into *r, taking hold of what
 * it uses (path__put() lets go). */
static int route__build(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_route *r,
			char *err, size_t errlen)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->dst = c->route.dst;
	r->type = c->route.type;
	r->via = c->route.via;
	memcpy(r->dev, c->route.dev, sizeof(r->dev));
	if (r->dev[0]) {
		ret = route__dev(d, r->dev, &r->ifindex, err, errlen);
		if (ret)
			return ret;
	}
	if (r->type == XGW_ROUTE_LOCAL || r->type == XGW_ROUTE_KERNEL) {
		snprintf(err, errlen, "local routes come from the kernel's addresses");
		return -EINVAL;
	}
	if (r->type == XGW_ROUTE_MULTIPATH)
		return route__build_mp(d, c, r, err, errlen);
	if (r->type == XGW_ROUTE_VIA) {
		ret = route__check_via(d, &r->via, err, errlen);
		if (ret)
			return ret;
	}
	return path__get(d, r, entry__adopted_nh(d, &r->dst), NULL, 0, err, errlen);
}

static int route__set(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		      char *err, size_t errlen)
{
	char buf[XGW_PREFIX_STRLEN];
	struct xgwd_route nr, old, *r;
	struct xgw_cmd inv;
	bool pushed = false;
	size_t i;
	int ret;

	r = rtable__find(d, &c->route.dst, &i);
	if (r && c->verb == XGW_V_ADD) {
		snprintf(err, errlen, "route %s exists (use replace)",
			 xgw_prefix_str(&c->route.dst, buf, sizeof(buf)));
		return -EEXIST;
	}
	ret = route__build(d, c, &nr, err, errlen);
	if (ret)
		return ret;
	if (r)
		route__to_cmd(r, XGW_V_REPLACE, &inv);
	else
		route__to_cmd(&nr, XGW_V_DEL, &inv);
	ret = xgwd_undo__push(undo, &inv);
	if (ret)
		goto fail;
	pushed = undo != NULL;
	if (r) {
		old = *r;
		rtable__replace(d, i, &nr);
	} else {
		ret = rtable__add(d, &nr);
		if (ret)
			goto fail;
	}
	ret = entry__sync(d, &nr.dst);
	if (ret) {
		/* put the previous state back exactly */
		if (r)
			rtable__replace(d, i, &old);
		else
			rtable__del(d, XGWD_ORIGIN_OWN, d->routes.n - 1);
		entry__sync(d, &nr.dst);
		entry__errmsg(d, ret, &nr.dst, "cannot write route", err, errlen);
		goto fail;
	}
	if (r)
		path__put(d, &old);
	if (route_is_onlink(&nr) || (r && route_is_onlink(&old)) || d->onlink.n)
		onlink__refresh(d);
	return 0;
fail:
	if (pushed)
		undo->n--;
	path__put(d, &nr);
	return ret;
}

static int route__del(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		      char *err, size_t errlen)
{
	char buf[XGW_PREFIX_STRLEN];
	struct xgwd_route old;
	struct xgw_cmd inv;
	size_t i;
	int ret;

	if (!rtable__find(d, &c->route.dst, &i)) {
		snprintf(err, errlen, "no route %s",
			 xgw_prefix_str(&c->route.dst, buf, sizeof(buf)));
		return -ENOENT;
	}
	old = *rtable__at(d, i);
	route__to_cmd(&old, XGW_V_ADD, &inv);
	ret = xgwd_undo__push(undo, &inv);
	if (ret)
		return ret;
	rtable__del(d, XGWD_ORIGIN_OWN, i);
	ret = entry__sync(d, &old.dst);
	if (ret) {
		rtable__add(d, &old);
		entry__sync(d, &old.dst);
		if (undo)
			undo->n--;
		entry__errmsg(d, ret, &old.dst, "cannot delete route", err, errlen);
		return ret;
	}
	path__put(d, &old);
	if (route_is_onlink(&old) || d->onlink.n)
		onlink__refresh(d);
	return 0;
}

static const char *route_type_name(enum xgw_route_type t)
{
	switch (t) {
	case XGW_ROUTE_VIA:
		return "via";
	case XGW_ROUTE_DEV:
		return "dev";
	case XGW_ROUTE_BLACKHOLE:
		return "blackhole";
	case XGW_ROUTE_KERNEL:
		return "kernel";
	case XGW_ROUTE_MULTIPATH:
		return "multipath";
	default:
		return "local";
	}
}

/* Where a route came from; a followed one may be shadowed by an own route
 * or a better followed one for its prefix. */
static void route__print_origin(struct xgwd *d, const struct xgwd_route *r)
{
	char n[32];

	if (r->origin != XGWD_ORIGIN_KERNEL) {
		print_string(PRINT_JSON, "origin", NULL, "xgw");
		return;
	}
	print_string(PRINT_JSON, "origin", NULL, "kernel");
	print_string(PRINT_ANY, "table", " table %s",
		     xgw_rtname_str(XGW_RTNAME_TABLE, r->table, true, n, sizeof(n)));
	print_string(PRINT_ANY, "proto", " proto %s",
		     xgw_rtname_str(XGW_RTNAME_PROTO, r->proto, true, n, sizeof(n)));
	print_uint(PRINT_ANY, "metric", " metric %u", r->priority);
	print_bool(PRINT_JSON, "active", NULL, rtable__effective(d, &r->dst) == r);
	if (rtable__effective(d, &r->dst) != r)
		print_text(" shadowed");
}

/* One next hop: via, dev, nh id, resolution (JSON keys alike for members). */
static void route__print_nh(struct xgwd *d, const struct xgwd_nexthop *nh, const char *dev,
			    int ifindex)
{
	struct xgwd_link *l = link__find(d, nh ? nh->ifindex : ifindex);

	if (l)
		print_string(PRINT_ANY, "dev", " dev %s", l->name);
	else if (dev && dev[0])
		print_string(PRINT_ANY, "dev", " dev %s", dev);
	if (!nh)
		return;
	print_uint(PRINT_ANY, "nh_id", " nh %u", nh->id);
	print_bool(PRINT_JSON, "resolved", NULL, nexthop__is_resolved(d, nh));
	if (!nexthop__is_resolved(d, nh))
		print_text(" unresolved");
}

static void route__print_group(struct xgwd *d, const struct xgwd_route *r)
{
	const struct xgwd_group *g = group__find(d, r->group);
	char buf[XGW_ADDR_STRLEN];
	unsigned int i;

	if (!g)
		return;
	print_uint(PRINT_JSON, "group", NULL, g->id);
	open_json_array(PRINT_JSON, "nexthops");
	for (i = 0; i < g->n; i++) {
		const struct xgwd_nexthop *nh = nexthop__find(d, g->m[i].nh_id);

		open_json_object(NULL);
		print_string(PRINT_ANY, "via", " nexthop via %s",
			     nh ? xgw_addr_str(&nh->gw, buf, sizeof(buf)) : "?");
		route__print_nh(d, nh, NULL, 0);
		print_uint(PRINT_ANY, "weight", " weight %u", g->m[i].weight);
		print_uint(PRINT_ANY, "buckets", " buckets %u", group__buckets(d, g->id, g->m[i].nh_id));
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
}

static void route__print(struct xgwd *d, const struct xgwd_route *r)
{
	char buf[XGW_PREFIX_STRLEN];

	open_json_object(NULL);
	print_string(PRINT_ANY, "dst", "%s", xgw_prefix_str(&r->dst, buf, sizeof(buf)));
	print_string(PRINT_JSON, "type", NULL, route_type_name(r->type));
	if (r->type == XGW_ROUTE_VIA)
		print_string(PRINT_ANY, "via", " via %s", xgw_addr_str(&r->via, buf, sizeof(buf)));
	if (r->type == XGW_ROUTE_BLACKHOLE)
		print_text(" blackhole");
	if (r->type == XGW_ROUTE_KERNEL)
		print_text(" to kernel");
	if (r->type == XGW_ROUTE_MULTIPATH)
		route__print_group(d, r);
	else
		route__print_nh(d, nexthop__find(d, r->nh_id), r->dev, r->ifindex);
	route__print_origin(d, r);
	print_nl();
	close_json_object();
}

static void local__print(struct xgwd *d, const struct xgwd_local *lo)
{
	char buf[XGW_ADDR_STRLEN], ifn[IF_NAMESIZE];
	struct xgwd_link *l = link__find(d, lo->ifindex);

	open_json_object(NULL);
	print_string(PRINT_ANY, "dst", "%s", xgw_addr_str(&lo->addr, buf, sizeof(buf)));
	print_string(PRINT_ANY, "type", " %s", "local");
	print_string(PRINT_ANY, "dev", " dev %s",
		     l ? l->name : (if_indextoname(lo->ifindex, ifn) ?: "?"));
	print_nl();
	close_json_object();
}

static void onlink__print(struct xgwd *d, const struct xgwd_onlink *o)
{
	char buf[XGW_ADDR_STRLEN];
	const struct xgwd_nexthop *nh = nexthop__find(d, o->nh_id);
	struct xgwd_link *l = link__find(d, o->ifindex);

	open_json_object(NULL);
	print_string(PRINT_ANY, "dst", "%s", xgw_addr_str(&o->addr, buf, sizeof(buf)));
	print_string(PRINT_ANY, "type", " %s", "onlink");
	print_string(PRINT_ANY, "dev", " dev %s", l ? l->name : "?");
	print_uint(PRINT_ANY, "nh_id", " nh %u", o->nh_id);
	print_bool(PRINT_JSON, "resolved", NULL, nh && nexthop__is_resolved(d, nh));
	print_nl();
	close_json_object();
}

/* Per family: routes, and the FIB's memory (docs/fib.md). */
static int route__summary(struct xgwd *d)
{
	static const char *const fam[2] = { "ipv4", "ipv6" };
	struct xgw_fib_stats st;
	int i;

	open_json_array(PRINT_JSON, "fib");
	for (i = 0; i < 2; i++) {
		xgw_fib_stats(d->fib[i], &st);
		open_json_object(NULL);
		print_string(PRINT_ANY, "family", "%s", fam[i]);
		print_uint(PRINT_ANY, "routes", " routes %u", st.routes);
		print_u64(PRINT_JSON, "memory_bytes", NULL, st.bytes);
		print_u64(PRINT_JSON, "memory_max_bytes", NULL, st.bytes_max);
		print_text(" memory %llu KiB of %llu", (unsigned long long)st.bytes / 1024,
			   (unsigned long long)st.bytes_max / 1024);
		print_uint(PRINT_ANY, "chunks", " chunks %u", st.chunks);
		print_uint(PRINT_ANY, "leaves", " leaves %u", st.leaves);
		if (i) {
			print_uint(PRINT_ANY, "hash_keys", " hash keys %u", st.hash_keys);
			print_uint(PRINT_ANY, "hash_slots", " of %u", st.hash_max);
		}
		print_nl();
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
	return 0;
}

static int route__show(struct xgwd *d)
{
	size_t *idx = route__sorted(d), *kidx = sorted(&d->kroutes), i;

	if ((d->routes.n && !idx) || (d->kroutes.n && !kidx)) {
		free(idx);
		return -ENOMEM;
	}
	open_json_array(PRINT_JSON, "routes");
	for (i = 0; i < d->routes.n; i++)
		route__print(d, rtable__at(d, idx[i]));
	for (i = 0; i < d->kroutes.n; i++)
		route__print(d, rtable__kern_at(d, kidx[i]));
	free(idx);
	free(kidx);
	for (i = 0; i < d->onlink.n; i++)
		onlink__print(d, xgwd_vec__at(&d->onlink, struct xgwd_onlink, i));
	for (i = 0; i < d->locals.n; i++)
		local__print(d, xgwd_vec__at(&d->locals, struct xgwd_local, i));
	close_json_array(PRINT_JSON, NULL);
	return 0;
}

/* The route a destination matches, looked up as the datapath does: the
 * host entry (unless it is only a VIP mark), then the longest prefix. */
static int route__get(struct xgwd *d, const struct xgw_addr *a, char *err, size_t errlen)
{
	struct xgwd_route *best = NULL;
	struct xgwd_local *lo = local__find(d, a, 0, NULL);
	char buf[XGW_ADDR_STRLEN];

	if (lo) {
		local__print(d, lo);
		return 0;
	}
	/* host entry first (configured, then on-link), then longest prefix */
	best = rtable__find_host(d, a);
	if (!best && rtable__onlink(d, a, NULL)) {
		onlink__print(d, rtable__onlink(d, a, NULL));
		return 0;
	}
	if (!best)
		best = rtable__longest_prefix(d, a);
	if (!best) {
		snprintf(err, errlen, "no route to %s (the kernel decides)",
			 xgw_addr_str(a, buf, sizeof(buf)));
		return -ENETUNREACH;
	}
	route__print(d, best);
	return 0;
}

/* What a next hop of a command can be checked for before anything runs. */
static int route__check_nh(struct xgwd *d, const struct xgw_addr *via, const char *dev,
			   char *err, size_t errlen)
{
	if (via && route__check_via(d, via, err, errlen))
		return -EINVAL;
	if (dev[0] && !if_nametoindex(dev)) {
		snprintf(err, errlen, "unknown device \"%s\"", dev);
		return -ENODEV;
	}
	return 0;
}

int route__check(struct xgwd *d, const struct xgw_cmd *c, char *err, size_t errlen)
{
	bool change = c->verb == XGW_V_ADD || c->verb == XGW_V_REPLACE;
	unsigned int i;
	int ret;

	if (c->verb == XGW_V_FOLLOW || c->verb == XGW_V_UNFOLLOW)
		return 0;
	ret = route__check_nh(d, change && c->route.type == XGW_ROUTE_VIA ? &c->route.via : NULL,
			      c->route.dev, err, errlen);
	for (i = 0; !ret && change && c->route.type == XGW_ROUTE_MULTIPATH &&
		    i < c->route.n_nh && i < XGW_ROUTE_NH_MAX; i++)
		ret = route__check_nh(d, &c->route.nh[i].via, c->route.nh[i].dev, err, errlen);
	if (ret)
		return ret;
	if (c->verb != XGW_V_DEL && c->route.type == XGW_ROUTE_LOCAL) {
		snprintf(err, errlen, "local routes come from the kernel's addresses");
		return -EINVAL;
	}
	return 0;
}

int route__apply(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		 char *err, size_t errlen)
{
	switch (c->verb) {
	case XGW_V_SHOW:
		return c->route.summary ? route__summary(d) : route__show(d);
	case XGW_V_GET:
		return route__get(d, &c->get.addr, err, errlen);
	case XGW_V_ADD:
	case XGW_V_REPLACE:
		return route__set(d, c, undo, err, errlen);
	case XGW_V_DEL:
		return route__del(d, c, undo, err, errlen);
	case XGW_V_FOLLOW:
	case XGW_V_UNFOLLOW:
		return follow__apply(d, c, undo, err, errlen);
	default:
		snprintf(err, errlen, "unsupported route command");
		return -EOPNOTSUPP;
	}
}


int route__sweep(struct xgwd *d)
{
	int err = entry__commit(d);

	if (!err)
		group__sweep(d);
	return err;
}

int route__set_vip(struct xgwd *d, const struct xgw_addr *vip, bool on)
{
	int ret = on ? vip__get(d, vip) : vip__put(d, vip);

	if (ret <= 0)
		return ret;
	ret = entry__sync_host(d, vip);
	if (ret && on)
		vip__put(d, vip);
	return ret;
}
