// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Route entries. Every IPv4 destination, prefixes and /32 host entries
 * alike, is one route set in the DIR-24-8 FIB (common/fib4.h, over the
 * mmapped xgw_fib4_24/_8 maps). IPv6 keeps two maps: full-length
 * destinations (2001:db8::1, /128) in xgw_host6, prefixes in the xgw_lpm6
 * trie.
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
 * next hop. For a prefix, the entry hands the packets to the kernel
 * (action LOCAL, counted as "local"), which resolves and forwards them;
 * neighbours the kernel knows inside it get host entries (onlink.c).
 *
 * Over an adopted datapath the IPv4 FIB only records changes until the
 * restore is complete; entry__commit() then writes the replayed route set
 * in one pass: entries the state file no longer has go away, and the
 * datapath never sees a partial table.
 */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "entry.h"
#include "fib4.h"
#include "local.h"
#include "rtable.h"
#include "state.h"
#include "vip.h"
#include "xgw.skel.h"

#define FIB4_FULL_MSG	"IPv4 FIB full: no free group for a route longer than /24 " \
			"(XGW_FIB4_GROUPS %u, all in use)"

/* ---- the FIBs --------------------------------------------------------------- */
void entry__errmsg(int err, const struct xgw_prefix *dst, const char *what,
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

int entry__adopted(struct xgwd *d, const struct xgw_prefix *dst, struct xgw_route *v)
{
	struct xgw_lpm6_key key = { .prefixlen = dst->len };

	if (dst->addr.family == AF_INET)
		return xgw_fib4_adopted(d->fib4, dst->addr.a[0], dst->len, v);
	if (prefix_is_host(dst))
		return bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.xgw_host6), dst->addr.a,
					   v) ? -errno : 0;
	memcpy(key.addr, dst->addr.a, sizeof(key.addr));
	return bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.xgw_lpm6), &key, v) ? -errno : 0;
}

__u32 entry__adopted_nh(struct xgwd *d, const struct xgw_prefix *dst)
{
	struct xgw_route v;

	if (!d->adopted || !d->restoring || entry__adopted(d, dst, &v))
		return 0;
	return v.action == XGW_RT_NEXTHOP ? v.nh_id : 0;
}

/* ops-daemon: entries kept for state file lines that failed (state.c). */
int entry__keep(struct xgwd *d, const struct xgw_prefix *dst, const struct xgw_route *v)
{
	/* IPv6: the entry is in its map already, and the sweep keeps it */
	if (dst->addr.family != AF_INET)
		return 0;
	return xgw_fib4_set(d->fib4, dst->addr.a[0], dst->len, v);
}

void entry__unkeep(struct xgwd *d, const struct xgw_prefix *dst)
{
	struct xgw_lpm6_key key = { .prefixlen = dst->len };

	if (dst->addr.family == AF_INET) {
		xgw_fib4_del(d->fib4, dst->addr.a[0], dst->len);
	} else if (prefix_is_host(dst)) {
		entry__sync_host(d, &dst->addr);
	} else {
		memcpy(key.addr, dst->addr.a, sizeof(key.addr));
		bpf_map_delete_elem(bpf_map__fd(d->skel->maps.xgw_lpm6), &key);
	}
}

/* ---- composing an entry from its sources -------------------------------------- */
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

static int host__sync(struct xgwd *d, const struct xgw_addr *a)
{
	struct xgw_prefix p = { .addr = *a, .len = a->family == AF_INET ? 32 : 128 };
	struct xgwd_route *r = rtable__find_host(d, a);
	const struct xgwd_onlink *o = rtable__onlink(d, a, NULL);
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

int entry__sync_host(struct xgwd *d, const struct xgw_addr *a)
{
	char buf[XGW_ADDR_STRLEN];
	int err = d->skel ? host__sync(d, a) : 0;

	if (err == -ENOSPC && a->family == AF_INET)
		pr_warn(FIB4_FULL_MSG ": no entry for %s", XGW_FIB4_GROUPS,
			xgw_addr_str(a, buf, sizeof(buf)));
	return err;
}

int entry__sync(struct xgwd *d, const struct xgw_prefix *dst)
{
	struct xgwd_route *r = rtable__find(d, dst, NULL);
	struct xgw_route v;

	if (prefix_is_host(dst))
		return host__sync(d, &dst->addr);
	if (!r)
		return entry__write(d, dst, NULL);
	route__value(r, &v);
	return entry__write(d, dst, &v);
}

/* ---- after a restore ------------------------------------------------------------ */
/* Is this IPv6 map key something we want (host: xgw_host6, else xgw_lpm6)? */
static bool entry__wanted(struct xgwd *d, bool host, const void *key)
{
	struct xgw_prefix p = { .addr.family = AF_INET6 };

	if (host) {
		memcpy(p.addr.a, key, 16);
		p.len = 128;
		return rtable__find(d, &p, NULL) || local__find(d, &p.addr, 0, NULL) ||
		       vip__find(d, &p.addr, NULL) || rtable__onlink(d, &p.addr, NULL) ||
		       state__keeps(&p);
	}
	p.len = *(const __u32 *)key;
	memcpy(p.addr.a, (const char *)key + 4, 16);
	return rtable__find(d, &p, NULL) || state__keeps(&p);
}

/* Delete entries of one IPv6 route map that the desired state does not have. */
static void entry__sweep_map(struct xgwd *d, struct bpf_map *m, bool host)
{
	int fd = bpf_map__fd(m);
	__u32 ksz = bpf_map__key_size(m);
	char *keys = NULL, *k, cur[32], *prev = NULL;
	size_t n = 0, cap = 0, i;

	while (ksz <= sizeof(cur) && !bpf_map_get_next_key(fd, prev, cur)) {
		if (!entry__wanted(d, host, cur)) {
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

int entry__commit(struct xgwd *d)
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
	entry__sweep_map(d, d->skel->maps.xgw_host6, true);
	entry__sweep_map(d, d->skel->maps.xgw_lpm6, false);
	return 0;
}
