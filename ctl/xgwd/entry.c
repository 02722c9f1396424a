// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Route entries. Every destination of a family, prefixes and host entries
 * alike, is one route set in its FIB (common/fib.h, over the mmapped
 * xgw_fib4_* and xgw_fib6_* maps).
 *
 * A prefix's entry is its effective route (rtable.h: own, else followed).
 * A host entry is the sum of four sources, recomputed by host__sync(), the
 * strongest first: the gateway's own address (action LOCAL and flag
 * XGW_RT_F_OWN, which is what "ours" means to the decap program: an on-link
 * prefix is LOCAL too but not ours), an effective host route, an on-link
 * neighbour, and the VIP mark set by the load balancer (XGW_RT_F_VIP, a
 * flag that keeps whatever action is there). A VIP with nothing else is a
 * bare mark, action XGW_RT_NONE: the FIB lays its flag over the route
 * beneath.
 *
 * `dev DEV` routes: for a host destination the destination itself is the
 * next hop. For a prefix, the entry hands the packets to the kernel
 * (action LOCAL, counted as "local"), which resolves and forwards them;
 * neighbours the kernel knows inside it get host entries (onlink.c).
 *
 * A batch of commands is one FIB batch (entry__begin/end): its changes are
 * written together at the end, each chunk once. Over an adopted datapath
 * the FIBs only record changes until the restore is complete;
 * entry__commit() then writes the replayed route set in one pass: entries
 * the state file no longer has go away, and the datapath never sees a
 * partial table.
 */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "entry.h"
#include "local.h"
#include "rtable.h"
#include "state.h"
#include "vip.h"

/* ---- the FIBs --------------------------------------------------------------- */
static struct xgw_fib *fib_of(struct xgwd *d, int family)
{
	return d->fib[family == AF_INET6];
}

void entry__errmsg(struct xgwd *d, int err, const struct xgw_prefix *dst, const char *what,
		   char *buf, size_t len)
{
	if (err == -ENOSPC)
		snprintf(buf, len, "%s", xgw_fib_full(fib_of(d, dst->addr.family)));
	else
		snprintf(buf, len, "%s: %s", what, strerror(-err));
}

/* Write (or with v NULL delete) the entry of p. */
static int entry__write(struct xgwd *d, const struct xgw_prefix *p, const struct xgw_route *v)
{
	struct xgw_fib *f = fib_of(d, p->addr.family);
	int err;

	err = v ? xgw_fib_set(f, p->addr.a, p->len, v) : xgw_fib_del(f, p->addr.a, p->len);
	return err == -ENOENT && !v ? 0 : err;
}

int entry__adopted(struct xgwd *d, const struct xgw_prefix *dst, struct xgw_route *v)
{
	return xgw_fib_adopted(fib_of(d, dst->addr.family), dst->addr.a, dst->len, v);
}

__u32 entry__adopted_nh(struct xgwd *d, const struct xgw_prefix *dst)
{
	struct xgw_route v;

	if (!d->adopted || !d->restoring || entry__adopted(d, dst, &v))
		return 0;
	return v.action == XGW_RT_NEXTHOP || v.action == XGW_RT_MULTIPATH ? v.nh_id : 0;
}

/* ops-daemon: entries kept for state file lines that failed (state.c). */
int entry__keep(struct xgwd *d, const struct xgw_prefix *dst, const struct xgw_route *v)
{
	return xgw_fib_set(fib_of(d, dst->addr.family), dst->addr.a, dst->len, v);
}

void entry__unkeep(struct xgwd *d, const struct xgw_prefix *dst)
{
	if (prefix_is_host(dst))
		entry__sync_host(d, &dst->addr);
	else
		xgw_fib_del(fib_of(d, dst->addr.family), dst->addr.a, dst->len);
}

void entry__begin(struct xgwd *d)
{
	int i;

	for (i = 0; i < 2; i++)
		if (d->fib[i])	/* none: no datapath (unit tests) */
			xgw_fib_begin(d->fib[i]);
}

int entry__end(struct xgwd *d, char *err, size_t errlen)
{
	int i, ret = 0, r;

	for (i = 0; i < 2; i++) {
		r = d->fib[i] ? xgw_fib_end(d->fib[i]) : 0;
		if (r && !ret) {
			ret = r;
			if (r == -ENOSPC)
				snprintf(err, errlen, "%s", xgw_fib_full(d->fib[i]));
			else
				snprintf(err, errlen, "cannot write the %s FIB: %s",
					 i ? "IPv6" : "IPv4", strerror(-r));
		}
	}
	return ret;
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
	case XGW_ROUTE_MULTIPATH:
		v->action = XGW_RT_MULTIPATH;
		v->nh_id = r->group;
		break;
	case XGW_ROUTE_LOCAL:
	case XGW_ROUTE_KERNEL:
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

	if (err == -ENOSPC)
		pr_warn("%s: no entry for %s", xgw_fib_full(fib_of(d, a->family)),
			xgw_addr_str(a, buf, sizeof(buf)));
	return err;
}

int entry__sync(struct xgwd *d, const struct xgw_prefix *dst)
{
	struct xgwd_route *r = rtable__effective(d, dst);
	struct xgw_route v;

	if (prefix_is_host(dst))
		return host__sync(d, &dst->addr);
	if (!r)
		return entry__write(d, dst, NULL);
	route__value(r, &v);
	return entry__write(d, dst, &v);
}

/* ---- after a restore ------------------------------------------------------------ */
int entry__commit(struct xgwd *d)
{
	struct xgw_fib_stats st;
	int i, err;

	for (i = 0; i < 2; i++) {
		const char *fam = i ? "IPv6" : "IPv4";

		err = xgw_fib_commit(d->fib[i]);
		if (err) {
			if (err == -ENOSPC)
				pr_warn("%s", xgw_fib_full(d->fib[i]));
			pr_warn("cannot write the restored %s FIB: %s", fam, strerror(-err));
			return err;
		}
		xgw_fib_stats(d->fib[i], &st);
		pr_info("%s FIB: %u route(s), %llu KiB of %llu in use", fam, st.routes,
			(unsigned long long)st.bytes / 1024, (unsigned long long)st.bytes_max / 1024);
	}
	return 0;
}
