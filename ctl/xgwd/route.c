// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Routes. Every IPv4 destination, prefixes and /32 host entries alike, is
 * one route set in the DIR-24-8 FIB (common/fib4.h, over the mmapped
 * xgw_fib4_24/_8 maps). IPv6 keeps two maps: full-length destinations
 * (2001:db8::1, /128) in xgw_host6, prefixes in the xgw_lpm6 trie.
 *
 * A host entry is the sum of four sources, recomputed by host__sync(), the
 * strongest first: the gateway's own address (action LOCAL and flag
 * XGW_RT_F_OWN, which is what "ours" means to the decap program: an on-link
 * prefix is LOCAL too but not ours), a configured host route, an on-link
 * neighbour, and the VIP mark set by the load balancer (XGW_RT_F_VIP, a
 * flag that keeps whatever action is there). A VIP with nothing else is a
 * bare mark, action XGW_RT_NONE: the IPv4 FIB lays its flag over the route
 * beneath, the IPv6 datapath looks through it to the prefix trie.
 *
 * `dev DEV` routes: for a host destination the destination itself is the
 * next hop (resolved through the neighbour table). For a prefix, each
 * neighbour the kernel knows inside it gets a host entry of its own
 * (onlink.c); the prefix's own entry hands the rest to the kernel (action
 * LOCAL, counted as "local"), which resolves and forwards them.
 *
 * Over an adopted datapath the IPv4 FIB only records changes until the
 * restore is complete; route__sweep() then writes the replayed route set
 * in one pass: entries the state file no longer has go away, and the
 * datapath never sees a partial table.
 */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fib4.h"
#include "json_print.h"
#include "state.h"
#include "xgwd.h"
#include "xgw.skel.h"

static bool prefix_is_host(const struct xgw_prefix *p)
{
	return p->len == (p->addr.family == AF_INET ? 32 : 128);
}

static bool prefix_equal(const struct xgw_prefix *a, const struct xgw_prefix *b)
{
	return a->len == b->len && xgw_addr_equal(&a->addr, &b->addr);
}

/* ---- index: chained hash over d->routes by prefix ------------------------- */
static __u32 prefix_hash(const struct xgw_prefix *p)
{
	const __u8 *b = (const __u8 *)p->addr.a;
	__u32 h = 2166136261u ^ p->addr.family ^ (p->len << 8);
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static struct xgwd_route *route__at(struct xgwd *d, size_t i)
{
	return xgwd_vec__at(&d->routes, struct xgwd_route, i);
}

static void rtidx__link(struct xgwd *d, size_t i)
{
	__u32 *head = &d->rt_heads[prefix_hash(&route__at(d, i)->dst) & (d->rt_nb - 1)];

	route__at(d, i)->hnext = *head;
	*head = i + 1;
}

static void rtidx__unlink(struct xgwd *d, size_t i)
{
	__u32 *p = &d->rt_heads[prefix_hash(&route__at(d, i)->dst) & (d->rt_nb - 1)];

	while (*p && *p != i + 1)
		p = &route__at(d, *p - 1)->hnext;
	if (*p)
		*p = route__at(d, i)->hnext;
}

/* Keep about one route per bucket. */
static int rtidx__grow(struct xgwd *d, size_t want)
{
	__u32 nb = d->rt_nb ? d->rt_nb : 1024, *heads;
	size_t i;

	while (nb < want)
		nb *= 2;
	if (nb == d->rt_nb)
		return 0;
	heads = calloc(nb, sizeof(*heads));
	if (!heads)
		return -ENOMEM;
	free(d->rt_heads);
	d->rt_heads = heads;
	d->rt_nb = nb;
	for (i = 0; i < d->routes.n; i++)
		rtidx__link(d, i);
	return 0;
}

static int route__vec_add(struct xgwd *d, const struct xgwd_route *r)
{
	if (rtidx__grow(d, d->routes.n + 1) || !xgwd_vec__push(&d->routes, r))
		return -ENOMEM;
	rtidx__link(d, d->routes.n - 1);
	return 0;
}

/* Remove routes[i]; the last route moves into its place. */
static void route__vec_del(struct xgwd *d, size_t i)
{
	size_t last = d->routes.n - 1;

	rtidx__unlink(d, i);
	if (i != last) {
		rtidx__unlink(d, last);
		*route__at(d, i) = *route__at(d, last);
		rtidx__link(d, i);
	}
	d->routes.n--;
}

static struct xgwd_route *route__find(struct xgwd *d, const struct xgw_prefix *p,
				      size_t *idx)
{
	__u32 i;

	if (!d->rt_nb)
		return NULL;
	for (i = d->rt_heads[prefix_hash(p) & (d->rt_nb - 1)]; i; i = route__at(d, i - 1)->hnext) {
		struct xgwd_route *r = route__at(d, i - 1);

		if (prefix_equal(&r->dst, p)) {
			if (idx)
				*idx = i - 1;
			return r;
		}
	}
	return NULL;
}

static int route_cmp(const void *a, const void *b, void *arg)
{
	struct xgwd *d = arg;
	const struct xgwd_route *x = route__at(d, *(const size_t *)a);
	const struct xgwd_route *y = route__at(d, *(const size_t *)b);
	int c;

	if (x->dst.addr.family != y->dst.addr.family)
		return x->dst.addr.family == AF_INET ? -1 : 1;
	c = memcmp(x->dst.addr.a, y->dst.addr.a, sizeof(x->dst.addr.a));
	return c ? c : (int)x->dst.len - (int)y->dst.len;
}

size_t *route__sorted(struct xgwd *d)
{
	size_t *idx = d->routes.n ? malloc(d->routes.n * sizeof(*idx)) : NULL;
	size_t i;

	if (!idx)
		return NULL;
	for (i = 0; i < d->routes.n; i++)
		idx[i] = i;
	qsort_r(idx, d->routes.n, sizeof(*idx), route_cmp, d);
	return idx;
}

static struct xgwd_route *route__find_host(struct xgwd *d, const struct xgw_addr *a)
{
	struct xgw_prefix p = { .addr = *a, .len = a->family == AF_INET ? 32 : 128 };

	return route__find(d, &p, NULL);
}

static struct xgwd_local *local__find(struct xgwd *d, const struct xgw_addr *a,
				      int ifindex, size_t *idx)
{
	size_t i;

	for (i = 0; i < d->locals.n; i++) {
		struct xgwd_local *lo = xgwd_vec__at(&d->locals, struct xgwd_local, i);

		if (xgw_addr_equal(&lo->addr, a) && (!ifindex || lo->ifindex == ifindex)) {
			if (idx)
				*idx = i;
			return lo;
		}
	}
	return NULL;
}

static struct xgwd_vip *vip__find(struct xgwd *d, const struct xgw_addr *a, size_t *idx)
{
	size_t i;

	for (i = 0; i < d->vips.n; i++) {
		struct xgwd_vip *v = xgwd_vec__at(&d->vips, struct xgwd_vip, i);

		if (xgw_addr_equal(&v->addr, a)) {
			if (idx)
				*idx = i;
			return v;
		}
	}
	return NULL;
}

/* An on-link prefix: `dev DEV` on anything but a host address. */
static bool route_is_onlink(const struct xgwd_route *r)
{
	return r->type == XGW_ROUTE_DEV && !r->nh_id;
}

static void route__value(const struct xgwd_route *r, struct xgw_route *v)
{
	memset(v, 0, sizeof(*v));
	switch (r->type) {
	case XGW_ROUTE_VIA:
		v->action = XGW_RT_NEXTHOP;
		v->nh_id = r->nh_id;
		break;
	case XGW_ROUTE_DEV:
		if (r->nh_id) {
			v->action = XGW_RT_NEXTHOP;
			v->nh_id = r->nh_id;
		} else {
			v->action = XGW_RT_LOCAL;
		}
		break;
	case XGW_ROUTE_BLACKHOLE:
		v->action = XGW_RT_BLACKHOLE;
		break;
	case XGW_ROUTE_LOCAL:
		v->action = XGW_RT_LOCAL;
		break;
	}
}

#define FIB4_FULL_MSG	"IPv4 FIB full: no free group for a route longer than /24 " \
			"(XGW_FIB4_GROUPS %u, all in use)"

/* One line for a failed write of dst; the IPv4 FIB's limit by name. */
static void route__errmsg(int err, const struct xgw_prefix *dst, const char *what,
			  char *buf, size_t len)
{
	if (err == -ENOSPC && dst->addr.family == AF_INET)
		snprintf(buf, len, FIB4_FULL_MSG, XGW_FIB4_GROUPS);
	else
		snprintf(buf, len, "%s: %s", what, strerror(-err));
}

/* Write (or with v NULL delete) the entry of p: the IPv4 FIB or an IPv6 map. */
static int entry__write(struct xgwd *d, const struct xgw_prefix *p, const struct xgw_route *v)
{
	struct xgw_lpm6_key key = { .prefixlen = p->len };
	bool host = p->len == 128;
	void *k = host ? (void *)p->addr.a : (void *)&key;
	int fd, err;

	if (p->addr.family == AF_INET) {
		err = v ? xgw_fib4_set(d->fib4, p->addr.a[0], p->len, v) :
			  xgw_fib4_del(d->fib4, p->addr.a[0], p->len);
		return err == -ENOENT && !v ? 0 : err;
	}
	fd = bpf_map__fd(host ? d->skel->maps.xgw_host6 : d->skel->maps.xgw_lpm6);
	memcpy(key.addr, p->addr.a, sizeof(key.addr));
	if (!v)
		return bpf_map_delete_elem(fd, k) && errno != ENOENT ? -errno : 0;
	return bpf_map_update_elem(fd, k, v, BPF_ANY) ? -errno : 0;
}

/* Write (or delete) the host entry of a from its sources, strongest first:
 * own address, configured host route, on-link neighbour, VIP mark. */
static int host__sync(struct xgwd *d, const struct xgw_addr *a)
{
	struct xgw_prefix p = { .addr = *a, .len = a->family == AF_INET ? 32 : 128 };
	struct xgwd_route *r = route__find_host(d, a);
	const struct xgwd_onlink *o = onlink__get(d, a);
	struct xgw_route v = {};
	bool vip = vip__find(d, a, NULL);

	if (local__find(d, a, 0, NULL)) {
		v.action = XGW_RT_LOCAL;
		v.flags = XGW_RT_F_OWN;
	} else if (r) {
		route__value(r, &v);
	} else if (o) {
		v.action = XGW_RT_NEXTHOP;
		v.nh_id = o->nh_id;
	} else if (!vip)
		return entry__write(d, &p, NULL);
	if (vip)
		v.flags |= XGW_RT_F_VIP;
	return entry__write(d, &p, &v);
}

int route__host_sync(struct xgwd *d, const struct xgw_addr *a)
{
	char buf[XGW_ADDR_STRLEN];
	int err = d->skel ? host__sync(d, a) : 0;

	if (err == -ENOSPC && a->family == AF_INET)
		pr_warn(FIB4_FULL_MSG ": no entry for %s", XGW_FIB4_GROUPS,
			xgw_addr_str(a, buf, sizeof(buf)));
	return err;
}

static void prefix_mask(struct xgw_prefix *p, int len)
{
	__u8 *b = (__u8 *)p->addr.a;
	int i;

	p->len = len;
	for (i = len / 8; i < 16; i++)
		b[i] &= i == len / 8 ? (__u8)(0xff00 >> (len % 8)) : 0;
}

/* The longest configured prefix route holding a (host routes excluded). */
static struct xgwd_route *route__longest_prefix(struct xgwd *d, const struct xgw_addr *a)
{
	struct xgwd_route *r = NULL;
	int len;

	for (len = (a->family == AF_INET ? 32 : 128) - 1; !r && len >= 0; len--) {
		struct xgw_prefix p = { .addr = *a };

		prefix_mask(&p, len);
		r = route__find(d, &p, NULL);
	}
	return r;
}

bool route__onlink_covers(struct xgwd *d, const struct xgw_addr *a, int ifindex)
{
	struct xgwd_route *r = route__longest_prefix(d, a);
	struct xgwd_link *l;

	if (!r || r->type != XGW_ROUTE_DEV || r->nh_id)
		return false;
	l = link__find_name(d, r->dev);
	return l && l->ifindex == ifindex;
}

/* Make the datapath match d->routes for dst (route present or absent). */
static int route__sync(struct xgwd *d, const struct xgw_prefix *dst)
{
	struct xgwd_route *r = route__find(d, dst, NULL);
	struct xgw_route v;

	if (prefix_is_host(dst))
		return host__sync(d, &dst->addr);
	if (!r)
		return entry__write(d, dst, NULL);
	route__value(r, &v);
	return entry__write(d, dst, &v);
}

/* The nh_id the adopted datapath uses for dst, to keep ids stable. */
static __u32 route__adopted_nh(struct xgwd *d, const struct xgw_prefix *dst)
{
	struct xgw_lpm6_key key = { .prefixlen = dst->len };
	struct xgw_route v;
	int err;

	if (!d->adopted || !d->restoring)
		return 0;
	if (dst->addr.family == AF_INET) {
		err = xgw_fib4_adopted(d->fib4, dst->addr.a[0], dst->len, &v);
	} else if (prefix_is_host(dst)) {
		err = bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.xgw_host6), dst->addr.a, &v);
	} else {
		memcpy(key.addr, dst->addr.a, sizeof(key.addr));
		err = bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.xgw_lpm6), &key, &v);
	}
	return !err && v.action == XGW_RT_NEXTHOP ? v.nh_id : 0;
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
}

/* Resolve a new route's device and next hop into *r. */
static int route__build(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_route *r,
			char *err, size_t errlen)
{
	int ifindex = 0;

	memset(r, 0, sizeof(*r));
	r->dst = c->route.dst;
	r->type = c->route.type;
	r->via = c->route.via;
	memcpy(r->dev, c->route.dev, sizeof(r->dev));
	if (r->dev[0]) {
		ifindex = if_nametoindex(r->dev);
		if (!ifindex) {
			snprintf(err, errlen, "unknown device \"%s\"", r->dev);
			return -ENODEV;
		}
		if (!link__find(d, ifindex)) {
			snprintf(err, errlen, "device \"%s\" is not an attached link "
				 "(xgwctl link attach %s)", r->dev, r->dev);
			return -ENODEV;
		}
	}
	if (r->type == XGW_ROUTE_VIA)
		return nexthop__get_hint(d, &r->via, ifindex,
					 route__adopted_nh(d, &r->dst), &r->nh_id,
					 err, errlen);
	if (r->type == XGW_ROUTE_DEV && prefix_is_host(&r->dst))
		return nexthop__get_hint(d, &r->dst.addr, ifindex,
					 route__adopted_nh(d, &r->dst), &r->nh_id,
					 err, errlen);
	if (r->type == XGW_ROUTE_LOCAL) {
		snprintf(err, errlen, "local routes come from the kernel's addresses");
		return -EINVAL;
	}
	return 0;
}

static int route__set(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		      char *err, size_t errlen)
{
	char buf[XGW_PREFIX_STRLEN];
	struct xgwd_route nr, old, *r;
	struct xgw_cmd inv;
	bool pushed = false;
	int ret;

	r = route__find(d, &c->route.dst, NULL);
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
		nr.hnext = r->hnext;
		*r = nr;
	} else {
		ret = route__vec_add(d, &nr);
		if (ret)
			goto fail;
	}
	ret = route__sync(d, &nr.dst);
	if (ret) {
		/* put the previous state back exactly */
		if (r)
			*r = old;
		else
			route__vec_del(d, d->routes.n - 1);
		route__sync(d, &nr.dst);
		route__errmsg(ret, &nr.dst, "cannot write route", err, errlen);
		goto fail;
	}
	if (r)
		nexthop__put(d, old.nh_id);
	if (route_is_onlink(&nr) || (r && route_is_onlink(&old)) || d->onlink.n)
		onlink__refresh(d);
	return 0;
fail:
	if (pushed)
		undo->n--;
	nexthop__put(d, nr.nh_id);
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

	if (!route__find(d, &c->route.dst, &i)) {
		snprintf(err, errlen, "no route %s",
			 xgw_prefix_str(&c->route.dst, buf, sizeof(buf)));
		return -ENOENT;
	}
	old = *route__at(d, i);
	route__to_cmd(&old, XGW_V_ADD, &inv);
	ret = xgwd_undo__push(undo, &inv);
	if (ret)
		return ret;
	route__vec_del(d, i);
	ret = route__sync(d, &old.dst);
	if (ret) {
		route__vec_add(d, &old);
		route__sync(d, &old.dst);
		if (undo)
			undo->n--;
		route__errmsg(ret, &old.dst, "cannot delete route", err, errlen);
		return ret;
	}
	nexthop__put(d, old.nh_id);
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
	default:
		return "local";
	}
}

static void route__print(struct xgwd *d, const struct xgwd_route *r)
{
	char buf[XGW_PREFIX_STRLEN];
	const struct xgwd_nexthop *nh = nexthop__find(d, r->nh_id);
	struct xgwd_link *l = nh ? link__find(d, nh->ifindex) : NULL;

	open_json_object(NULL);
	print_string(PRINT_ANY, "dst", "%s", xgw_prefix_str(&r->dst, buf, sizeof(buf)));
	print_string(PRINT_JSON, "type", NULL, route_type_name(r->type));
	if (r->type == XGW_ROUTE_VIA)
		print_string(PRINT_ANY, "via", " via %s", xgw_addr_str(&r->via, buf, sizeof(buf)));
	if (r->type == XGW_ROUTE_BLACKHOLE)
		print_text(" blackhole");
	if (l)
		print_string(PRINT_ANY, "dev", " dev %s", l->name);
	else if (r->dev[0])
		print_string(PRINT_ANY, "dev", " dev %s", r->dev);
	if (nh) {
		print_uint(PRINT_ANY, "nh_id", " nh %u", r->nh_id);
		print_bool(PRINT_JSON, "resolved", NULL,
			   nh->has_mac && l && l->up);
		if (!(nh->has_mac && l && l->up))
			print_text(" unresolved");
	}
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
	print_bool(PRINT_JSON, "resolved", NULL, nh && nh->has_mac && l && l->up);
	print_nl();
	close_json_object();
}

static int route__show(struct xgwd *d)
{
	size_t *idx = route__sorted(d), i;

	if (d->routes.n && !idx)
		return -ENOMEM;
	open_json_array(PRINT_JSON, "routes");
	for (i = 0; i < d->routes.n; i++)
		route__print(d, route__at(d, idx[i]));
	free(idx);
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
	best = route__find_host(d, a);
	if (!best && onlink__get(d, a)) {
		onlink__print(d, onlink__get(d, a));
		return 0;
	}
	if (!best)
		best = route__longest_prefix(d, a);
	if (!best) {
		snprintf(err, errlen, "no route to %s (the kernel decides)",
			 xgw_addr_str(a, buf, sizeof(buf)));
		return -ENETUNREACH;
	}
	route__print(d, best);
	return 0;
}

/* Is this IPv6 map key something we want (host: xgw_host6, else xgw_lpm6)? */
static bool route__wanted(struct xgwd *d, bool host, const void *key)
{
	struct xgw_prefix p = { .addr.family = AF_INET6 };

	if (host) {
		memcpy(p.addr.a, key, 16);
		p.len = 128;
		return route__find(d, &p, NULL) || local__find(d, &p.addr, 0, NULL) ||
		       vip__find(d, &p.addr, NULL) || onlink__get(d, &p.addr) ||
		       state__keeps(&p);
	}
	p.len = *(const __u32 *)key;
	memcpy(p.addr.a, (const char *)key + 4, 16);
	return route__find(d, &p, NULL) || state__keeps(&p);
}

/* Delete entries of one IPv6 route map that the desired state does not have. */
static void route__sweep_map(struct xgwd *d, struct bpf_map *m, bool host)
{
	int fd = bpf_map__fd(m);
	__u32 ksz = bpf_map__key_size(m);
	char *keys = NULL, *k, cur[32], *prev = NULL;
	size_t n = 0, cap = 0, i;

	while (ksz <= sizeof(cur) && !bpf_map_get_next_key(fd, prev, cur)) {
		if (!route__wanted(d, host, cur)) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				k = realloc(keys, cap * ksz);
				if (!k)
					break;
				keys = k;
			}
			memcpy(keys + n++ * ksz, cur, ksz);
		}
		prev = cur;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, keys + i * ksz);
	if (n)
		pr_info("%s: removed %zu entr%s not in the state file", bpf_map__name(m),
			n, n == 1 ? "y" : "ies");
	free(keys);
}

/*
 * After restoring over an adopted datapath: the IPv4 FIB becomes the
 * replayed route set in one pass (what the state file no longer has is
 * gone, and later changes are written as they come), then the IPv6 maps
 * forget what the state file (and the kernel's addresses) no longer want.
 * If the FIB cannot be written, the IPv6 maps are left as they were and
 * xgwd does not start.
 */
int route__sweep(struct xgwd *d)
{
	struct xgw_fib4_stats st;
	int err = xgw_fib4_commit(d->fib4);

	if (err) {
		if (err == -ENOSPC)
			pr_warn(FIB4_FULL_MSG, XGW_FIB4_GROUPS);
		pr_warn("cannot write the restored IPv4 FIB: %s", strerror(-err));
		return err;
	}
	xgw_fib4_stats(d->fib4, &st);
	pr_info("IPv4 FIB: %u route(s), %u of %u groups in use", st.routes,
		st.groups_used, st.groups_max);
	route__sweep_map(d, d->skel->maps.xgw_host6, true);
	route__sweep_map(d, d->skel->maps.xgw_lpm6, false);
	return 0;
}

/* Routes naming dev that hold no next hop (dev prefix routes, blackholes
 * given a dev): next hops count themselves. */
unsigned int route__count_dev(struct xgwd *d, const char *dev)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < d->routes.n; i++)
		n += !route__at(d, i)->nh_id && !strcmp(route__at(d, i)->dev, dev);
	return n;
}

int route__check(struct xgwd *d, const struct xgw_cmd *c, char *err, size_t errlen)
{
	(void)d;
	if (c->route.dev[0] && !if_nametoindex(c->route.dev)) {
		snprintf(err, errlen, "unknown device \"%s\"", c->route.dev);
		return -ENODEV;
	}
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
		return route__show(d);
	case XGW_V_GET:
		return route__get(d, &c->get.addr, err, errlen);
	case XGW_V_ADD:
	case XGW_V_REPLACE:
		return route__set(d, c, undo, err, errlen);
	case XGW_V_DEL:
		return route__del(d, c, undo, err, errlen);
	default:
		snprintf(err, errlen, "unsupported route command");
		return -EOPNOTSUPP;
	}
}

int local__add(struct xgwd *d, const struct xgw_addr *a, int ifindex, __u8 plen)
{
	struct xgwd_local lo = { .addr = *a, .ifindex = ifindex, .prefixlen = plen };
	struct xgwd_local *o = local__find(d, a, ifindex, NULL);

	if (o) {
		o->prefixlen = plen;
		return 0;
	}
	if (!xgwd_vec__push(&d->locals, &lo))
		return -ENOMEM;
	return route__host_sync(d, a);
}

int local__del(struct xgwd *d, const struct xgw_addr *a, int ifindex)
{
	size_t i;

	if (!local__find(d, a, ifindex, &i))
		return 0;
	xgwd_vec__del(&d->locals, i);
	return route__host_sync(d, a);
}

int local__pick(struct xgwd *d, int family, const struct xgw_addr *near,
		struct xgw_addr *out)
{
	struct xgwd_local *pick = NULL;
	size_t i;

	for (i = 0; i < d->locals.n; i++) {
		struct xgwd_local *lo = xgwd_vec__at(&d->locals, struct xgwd_local, i);
		struct xgw_prefix p = { .addr = lo->addr, .len = lo->prefixlen };

		if (lo->addr.family != family || !link__find(d, lo->ifindex))
			continue;
		if (near && xgw_prefix_contains(&p, near)) {
			pick = lo;
			break;
		}
		if (!pick)
			pick = lo;
	}
	if (!pick)
		return -ENOENT;
	*out = pick->addr;
	return 0;
}

int route__set_vip(struct xgwd *d, const struct xgw_addr *vip, bool on)
{
	struct xgwd_vip nv = { .addr = *vip, .refcnt = 1 };
	struct xgwd_vip *v;
	size_t i;
	int err;

	v = vip__find(d, vip, &i);
	if (on && v) {
		v->refcnt++;
		return 0;
	}
	if (on) {
		if (!xgwd_vec__push(&d->vips, &nv))
			return -ENOMEM;
		err = route__host_sync(d, vip);
		if (err)
			d->vips.n--;
		return err;
	}
	if (!v)
		return -ENOENT;
	if (--v->refcnt)
		return 0;
	xgwd_vec__del(&d->vips, i);
	return host__sync(d, vip);
}
