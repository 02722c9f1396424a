// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Following kernel routing tables. The kernel adapter keeps libnl's route
 * cache (every table) and passes each change up; a route of a followed
 * table (and protocol, if one was named) becomes a followed route in the
 * route table, written to the datapath unless an own route holds its
 * prefix, and leaves when the kernel deletes it. The followed routes are
 * not in the state file: only the follow lines are, and the kernel gives
 * the routes back at start.
 *
 * What XDP can do it does: a unicast route through a gateway or onto a
 * link that xgw has attached, and a blackhole. Everything else the kernel
 * would decide for itself (unreachable, prohibit, throw, an egress device
 * xgw is not attached to, gateways of the other family, encapsulations)
 * gets an entry that hands the packet to the kernel: a less specific
 * route must never take it instead. Routes with a TOS, the local,
 * broadcast, multicast and anycast types, and xgwd's own VIP announcements
 * (announce.c) are not followed.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "announce.h"
#include "entry.h"
#include "follow.h"
#include "group.h"
#include "json_print.h"
#include "kernel.h"
#include "link.h"
#include "onlink.h"
#include "path.h"
#include "prom.h"
#include "rtable.h"
#include "rtnames.h"

#define FOLLOW_MAX	64	/* follow lines */

struct follow_spec {
	unsigned long table;
	int proto;		/* -1: any */
};

struct follow {
	struct follow_spec spec[FOLLOW_MAX];
	size_t n;
	__u8 epoch;		/* routes seen since the last resync carry it */
	unsigned long failed;	/* routes the datapath could not take */
};

static bool spec_matches(const struct follow_spec *s, const struct kernel_route *kr)
{
	return s->table == kr->table && (s->proto < 0 || s->proto == kr->protocol);
}

static bool follow_wants(const struct follow *f, const struct kernel_route *kr)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (spec_matches(&f->spec[i], kr))
			return true;
	return false;
}

/* Its next hops XDP can use (not dead); false when one is beyond XDP (an
 * egress not attached, a gateway of the other family, an encapsulation):
 * then the kernel must decide for the whole route. */
static bool follow__nexthops(struct xgwd *d, const struct kernel_route *kr,
			     struct group_nh *nh, unsigned int *n)
{
	unsigned int i;

	*n = 0;
	if (kr->nh_truncated)
		return false;
	for (i = 0; i < kr->n_nh; i++) {
		const struct kernel_nh *k = &kr->nh[i];

		if (k->dead)
			continue;
		if (k->other || !link__usable(d, k->ifindex))
			return false;
		nh[*n].gw = k->gw;
		nh[*n].ifindex = k->ifindex;
		nh[(*n)++].weight = k->weight;
	}
	return *n > 0;
}

/* A unicast route's path in xgw's terms; KERNEL when XDP cannot take it. */
static void follow__unicast(struct xgwd *d, const struct kernel_route *kr,
			    struct xgwd_route *r)
{
	struct group_nh nh[KERNEL_ROUTE_NH_MAX];
	unsigned int n, i;
	char err[128];

	r->type = XGW_ROUTE_KERNEL;
	if (!follow__nexthops(d, kr, nh, &n))
		return;
	if (n > XGWD_GROUP_MAX_NH) {
		pr_debug("follow: %u next hops, more than a group holds (%d)", n,
			 XGWD_GROUP_MAX_NH);
		return;
	}
	for (i = 0; n > 1 && i < n; i++)
		if (!nh[i].gw.family)
			return;		/* a multipath member without a gateway */
	r->type = n > 1 ? XGW_ROUTE_MULTIPATH : nh[0].gw.family ? XGW_ROUTE_VIA : XGW_ROUTE_DEV;
	r->via = n > 1 ? (struct xgw_addr){} : nh[0].gw;
	r->ifindex = n > 1 ? 0 : nh[0].ifindex;
	if (path__get(d, r, entry__adopted_nh(d, &r->dst), nh, n, err, sizeof(err))) {
		pr_debug("follow: %s; handing it to the kernel", err);
		r->type = XGW_ROUTE_KERNEL;
		r->ifindex = 0;
		r->nh_id = 0;
		r->group = 0;
		memset(&r->via, 0, sizeof(r->via));
	}
}

/* The followed route for kr, holding its path; false: not one we follow. */
static bool follow__build(struct xgwd *d, const struct kernel_route *kr,
			  struct xgwd_route *r)
{
	memset(r, 0, sizeof(*r));
	r->dst = kr->dst;
	r->origin = XGWD_ORIGIN_KERNEL;
	r->table = kr->table;
	r->priority = kr->priority;
	r->proto = kr->protocol;
	r->epoch = d->follow->epoch;
	/* xgwd's own VIP announcements: the service path has those addresses */
	if (kr->tos || kr->protocol == ANNOUNCE_RTPROT)
		return false;
	switch (kr->type) {
	case RTN_UNICAST:
		follow__unicast(d, kr, r);
		return true;
	case RTN_BLACKHOLE:
		r->type = XGW_ROUTE_BLACKHOLE;
		return true;
	case RTN_UNREACHABLE:
	case RTN_PROHIBIT:
	case RTN_THROW:
		r->type = XGW_ROUTE_KERNEL;
		return true;
	default:
		return false;
	}
}

static void follow__failed(struct xgwd *d, const struct xgw_prefix *dst, int err)
{
	struct follow *f = d->follow;
	char buf[XGW_PREFIX_STRLEN], msg[160];

	/* one line per power of two: a full FIB must not flood the log */
	f->failed++;
	if (!(f->failed & (f->failed - 1))) {
		entry__errmsg(d, err, dst, "cannot write", msg, sizeof(msg));
		pr_warn("follow: %s: %s (%lu followed route(s) not in the datapath so far)",
			xgw_prefix_str(dst, buf, sizeof(buf)), msg, f->failed);
	}
}

/* Take followed route [i] out, and what it held; the prefix falls back. */
static void follow__remove(struct xgwd *d, size_t i)
{
	struct xgwd_route old = *rtable__kern_at(d, i);
	int err;

	rtable__del(d, XGWD_ORIGIN_KERNEL, i);
	err = entry__sync(d, &old.dst);
	if (err)
		follow__failed(d, &old.dst, err);
	path__put(d, &old);
	if (route_is_onlink(&old))
		onlink__refresh(d);
}

void follow__route(struct xgwd *d, const struct kernel_route *kr)
{
	struct xgwd_route nr, old, *r;
	size_t i;
	int err;

	if (!d->follow || !d->follow->n)
		return;
	r = rtable__kern_find(d, &kr->dst, kr->table, kr->priority, &i);
	if (kr->gone || !follow_wants(d->follow, kr) || !follow__build(d, kr, &nr)) {
		if (r)
			follow__remove(d, i);
		return;
	}
	if (r && path__same(r, &nr) && r->proto == nr.proto) {
		r->epoch = nr.epoch;
		path__put(d, &nr);
		return;
	}
	if (r) {
		old = *r;
		rtable__replace(d, i, &nr);
	} else if (rtable__add(d, &nr)) {
		path__put(d, &nr);
		follow__failed(d, &nr.dst, -ENOMEM);
		return;
	}
	err = entry__sync(d, &nr.dst);
	if (err) {
		/* not in the datapath: not in the table either */
		rtable__kern_find(d, &nr.dst, nr.table, nr.priority, &i);
		rtable__del(d, XGWD_ORIGIN_KERNEL, i);
		entry__sync(d, &nr.dst);
		path__put(d, &nr);
		follow__failed(d, &nr.dst, err);
	}
	if (r)
		path__put(d, &old);
	if ((!err && route_is_onlink(&nr)) || (r && route_is_onlink(&old)))
		onlink__refresh(d);
}

void follow__resync(struct xgwd *d, bool done)
{
	struct follow *f = d->follow;
	size_t i;

	if (!f)
		return;
	if (!done) {
		f->epoch++;	/* what the replay touches carries the new one */
		return;
	}
	for (i = d->kroutes.n; i--;)
		if (rtable__kern_at(d, i)->epoch != f->epoch)
			follow__remove(d, i);
}

/* ---- follow lines -------------------------------------------------------------- */
static void follow__one(void *arg, const struct kernel_route *kr)
{
	follow__route(arg, kr);
}

struct link_walk {
	struct xgwd *d;
	int ifindex;
};

static void follow__one_on_link(void *arg, const struct kernel_route *kr)
{
	struct link_walk *w = arg;
	unsigned int i;

	for (i = 0; i < kr->n_nh; i++)
		if (kr->nh[i].ifindex == w->ifindex) {
			follow__route(w->d, kr);
			return;
		}
}

void follow__link(struct xgwd *d, int ifindex)
{
	struct link_walk w = { d, ifindex };

	if (d->follow && d->follow->n)
		kernel__route_foreach(d->kernel, follow__one_on_link, &w);
}

static struct follow_spec *follow__find(struct follow *f, const struct xgw_cmd *c)
{
	size_t i;

	for (i = 0; f && i < f->n; i++)
		if (f->spec[i].table == c->follow.table && f->spec[i].proto == c->follow.proto)
			return &f->spec[i];
	return NULL;
}

static void spec_cmd(const struct follow_spec *s, enum xgw_verb verb, struct xgw_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->obj = XGW_OBJ_ROUTE;
	c->verb = verb;
	c->follow.table = s->table;
	c->follow.proto = s->proto;
}

static void spec_str(const struct follow_spec *s, char *buf, size_t len)
{
	struct xgw_cmd c;

	spec_cmd(s, XGW_V_FOLLOW, &c);
	xgw_cmd_format(&c, buf, len);
}

static int follow__add(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		       char *err, size_t errlen)
{
	struct follow_spec s = { c->follow.table, c->follow.proto };
	struct xgw_cmd inv;
	char line[96];
	int ret;

	spec_str(&s, line, sizeof(line));
	if (follow__find(d->follow, c)) {
		snprintf(err, errlen, "already following %s", strstr(line, "table"));
		return -EEXIST;
	}
	if (!d->follow)
		d->follow = calloc(1, sizeof(*d->follow));
	if (!d->follow)
		return -ENOMEM;
	if (d->follow->n == FOLLOW_MAX) {
		snprintf(err, errlen, "too many follow lines (at most %d)", FOLLOW_MAX);
		return -ENOSPC;
	}
	ret = d->kernel ? kernel__routes_open(d->kernel) : -ENOTCONN;
	if (ret) {
		snprintf(err, errlen, "cannot read the kernel's routes: %s", strerror(-ret));
		return ret;
	}
	spec_cmd(&s, XGW_V_UNFOLLOW, &inv);
	ret = xgwd_undo__push(undo, &inv);
	if (ret)
		return ret;
	d->follow->spec[d->follow->n++] = s;
	kernel__route_foreach(d->kernel, follow__one, d);
	return 0;
}

static int follow__del(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		       char *err, size_t errlen)
{
	struct follow_spec *s = follow__find(d->follow, c);
	struct follow *f = d->follow;
	struct xgw_cmd inv;
	size_t i;
	int ret;

	if (!s) {
		struct follow_spec want = { c->follow.table, c->follow.proto };
		char line[96];

		spec_str(&want, line, sizeof(line));
		snprintf(err, errlen, "not following %s", strstr(line, "table"));
		return -ENOENT;
	}
	spec_cmd(s, XGW_V_FOLLOW, &inv);
	ret = xgwd_undo__push(undo, &inv);
	if (ret)
		return ret;
	*s = f->spec[--f->n];
	for (i = d->kroutes.n; i--;) {
		struct xgwd_route *r = rtable__kern_at(d, i);
		struct kernel_route kr = { .table = r->table, .protocol = r->proto };

		if (i < d->kroutes.n && !follow_wants(f, &kr))
			follow__remove(d, i);
	}
	return 0;
}

static size_t follow__spec_routes(struct xgwd *d, const struct follow_spec *s)
{
	size_t i, n = 0;

	for (i = 0; i < d->kroutes.n; i++) {
		struct xgwd_route *r = rtable__kern_at(d, i);
		struct kernel_route kr = { .table = r->table, .protocol = r->proto };

		n += spec_matches(s, &kr);
	}
	return n;
}

static int follow__show(struct xgwd *d)
{
	struct follow *f = d->follow;
	char n[32];
	size_t i;

	open_json_array(PRINT_JSON, "follows");
	for (i = 0; f && i < f->n; i++) {
		const struct follow_spec *s = &f->spec[i];

		open_json_object(NULL);
		print_string(PRINT_ANY, "table", "table %s",
			     xgw_rtname_str(XGW_RTNAME_TABLE, s->table, true, n, sizeof(n)));
		print_uint(PRINT_JSON, "table_id", NULL, s->table);
		if (s->proto >= 0) {
			print_string(PRINT_ANY, "proto", " proto %s",
				     xgw_rtname_str(XGW_RTNAME_PROTO, s->proto, true, n, sizeof(n)));
			print_uint(PRINT_JSON, "proto_id", NULL, s->proto);
		}
		print_u64(PRINT_ANY, "routes", ": %llu route(s)", follow__spec_routes(d, s));
		print_nl();
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
	return 0;
}

int follow__apply(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		  char *err, size_t errlen)
{
	if (c->verb == XGW_V_FOLLOW && c->follow.list)
		return follow__show(d);
	if (c->verb == XGW_V_FOLLOW)
		return follow__add(d, c, undo, err, errlen);
	return follow__del(d, c, undo, err, errlen);
}

int follow__save(struct xgwd *d, FILE *f)
{
	struct follow *fl = d->follow;
	struct xgw_cmd c;
	char line[96];
	size_t i;

	for (i = 0; fl && i < fl->n; i++) {
		spec_cmd(&fl->spec[i], XGW_V_FOLLOW, &c);
		if (xgw_cmd_format(&c, line, sizeof(line)) < 0)
			return -EINVAL;
		fprintf(f, "%s\n", line);
	}
	return 0;
}

void follow__metrics(struct xgwd *d, FILE *f)
{
	struct follow *fl = d->follow;
	char n[32], p[32];
	size_t i;

	xgw_prom_head(f, "xgw_routes_followed", "gauge", "Routes followed from a kernel table.");
	for (i = 0; fl && i < fl->n; i++) {
		const struct follow_spec *s = &fl->spec[i];

		fprintf(f, "xgw_routes_followed{table=\"%s\",proto=\"%s\"} %zu\n",
			xgw_rtname_str(XGW_RTNAME_TABLE, s->table, false, n, sizeof(n)),
			s->proto < 0 ? "" : xgw_rtname_str(XGW_RTNAME_PROTO, s->proto, false,
							    p, sizeof(p)),
			follow__spec_routes(d, s));
	}
	xgw_prom_head(f, "xgw_route_follow_failed_total", "counter",
		      "Followed routes the datapath could not take (IPv4 FIB full, no memory).");
	fprintf(f, "xgw_route_follow_failed_total %lu\n", fl ? fl->failed : 0);
}

void follow__close(struct xgwd *d)
{
	rtable__kern_free(d);
	free(d->follow);
	d->follow = NULL;
}
