// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * VIP announcement into a kernel routing table (announce.h): which VIPs are
 * wanted, what the table holds, and the rtnetlink requests that make the
 * two agree. Self-contained: its own rtnetlink socket, no libnl cache (a
 * host with a full table must not be dumped whole; the kernel filters the
 * dumps by table and protocol).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "announce.h"

#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK	12
#endif

static int ann_nl_route(int cmd, __u32 table, const struct xgw_addr *vip);
static int ann_nl_dump(__u32 table, void (*cb)(void *, __u32, const struct xgw_addr *),
		       void *arg);

static const struct announce_kernel ann_rtnl = {
	.route = ann_nl_route,
	.dump = ann_nl_dump,
};

static struct {
	__u32 table;			/* 0: announce nothing */
	bool off;			/* `set announce off`: gateway drained */
	bool serving;			/* restore done: the kernel is ours to write */
	time_t next_resync;
	/* per service id: its address while it has a usable backend */
	struct xgw_addr svc[XGW_MAX_SERVICES];
	/* what table holds (as far as we know): routes of ours */
	struct xgw_addr *inst;
	size_t n_inst, cap_inst;
	const struct announce_kernel *k;
	int nl_fd;
	__u32 nl_seq;
} an = { .k = &ann_rtnl, .nl_fd = -1 };

/* ---- wanted and installed ---------------------------------------------------- */

static bool ann_wanted(const struct xgw_addr *a)
{
	__u32 i;

	if (!an.table || an.off)
		return false;
	for (i = 1; i < XGW_MAX_SERVICES; i++)
		if (an.svc[i].family && xgw_addr_equal(&an.svc[i], a))
			return true;
	return false;
}

static ssize_t ann_inst_find(const struct xgw_addr *a)
{
	size_t i;

	for (i = 0; i < an.n_inst; i++)
		if (xgw_addr_equal(&an.inst[i], a))
			return i;
	return -1;
}

static int ann_inst_add(const struct xgw_addr *a)
{
	if (ann_inst_find(a) >= 0)
		return 0;
	if (an.n_inst == an.cap_inst) {
		size_t cap = an.cap_inst ? an.cap_inst * 2 : 16;
		void *p = realloc(an.inst, cap * sizeof(*an.inst));

		if (!p)
			return -ENOMEM;
		an.inst = p;
		an.cap_inst = cap;
	}
	an.inst[an.n_inst++] = *a;
	return 0;
}


static int ann_add(const struct xgw_addr *a)
{
	char buf[XGW_ADDR_STRLEN];
	int err;

	xgw_addr_str(a, buf, sizeof(buf));
	err = an.k->route(RTM_NEWROUTE, an.table, a);
	if (!err)
		err = ann_inst_add(a);
	if (err)
		pr_warn("announce: cannot add %s to table %u: %s", buf, an.table, strerror(-err));
	else
		pr_info("announce: %s announced (table %u)", buf, an.table);
	return err;
}

static int ann_del(size_t i, const char *why)
{
	char buf[XGW_ADDR_STRLEN];
	int err;

	xgw_addr_str(&an.inst[i], buf, sizeof(buf));
	err = an.k->route(RTM_DELROUTE, an.table, &an.inst[i]);
	if (err) {
		pr_warn("announce: cannot delete %s from table %u: %s", buf, an.table,
			strerror(-err));
		return err;
	}
	pr_info("announce: %s withdrawn (%s)", buf, why);
	an.inst[i] = an.inst[--an.n_inst];
	return 0;
}

/* Make the table agree with what is wanted for one address. */
static int ann_sync_one(const struct xgw_addr *a)
{
	ssize_t i = ann_inst_find(a);
	bool want = ann_wanted(a);

	if (!an.serving || want == (i >= 0))
		return 0;
	return want ? ann_add(a) : ann_del(i, "no usable backend");
}

static void ann_dump_cb(void *arg, __u32 table, const struct xgw_addr *a)
{
	int *err = arg;

	if (table == an.table && !*err)
		*err = ann_inst_add(a);
}

/* Read the table back, then change only what differs. First error wins. */
static int ann_sync_all(void)
{
	int err = 0, ret;
	size_t i;
	__u32 s;

	if (!an.serving)
		return 0;
	an.n_inst = 0;
	if (an.table) {
		ret = an.k->dump(an.table, ann_dump_cb, &err);
		err = err ?: ret;
		if (err) {
			pr_warn("announce: cannot read table %u: %s", an.table, strerror(-err));
			return err;
		}
	}
	for (i = an.n_inst; i-- > 0;) {
		if (ann_wanted(&an.inst[i]))
			continue;
		ret = ann_del(i, "not a VIP with a usable backend");
		err = err ?: ret;
	}
	for (s = 1; s < XGW_MAX_SERVICES; s++) {
		if (an.svc[s].family && ann_inst_find(&an.svc[s]) < 0 &&
		    ann_wanted(&an.svc[s]) && (ret = ann_add(&an.svc[s])))
			err = err ?: ret;
	}
	return err;
}

/* Delete every route of ours from the current table (before leaving it). */
static int ann_withdraw_all(const char *why)
{
	int err;

	while (an.n_inst) {
		err = ann_del(an.n_inst - 1, why);
		if (err)
			return err;
	}
	return 0;
}

/* ---- hooks ------------------------------------------------------------------ */

void announce__service(__u32 svc_id, const struct xgw_addr *vip, bool usable)
{
	struct xgw_addr old;

	if (!svc_id || svc_id >= XGW_MAX_SERVICES)
		return;
	old = an.svc[svc_id];
	memset(&an.svc[svc_id], 0, sizeof(an.svc[svc_id]));
	if (usable)
		an.svc[svc_id] = *vip;
	if (old.family && !xgw_addr_equal(&old, vip))
		ann_sync_one(&old);
	ann_sync_one(vip);
}

static time_t ann_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void announce__tick(struct xgwd *d)
{
	time_t now;

	/* not serving yet (or a failed start): lb's tables are not final */
	if (d->ctl_fd < 0)
		return;
	now = ann_now();
	if (an.serving && now < an.next_resync)
		return;
	an.serving = true;
	an.next_resync = now + ANNOUNCE_RESYNC_S;
	ann_sync_all();
}

/* ---- settings ------------------------------------------------------------------ */

bool announce__is_setting(const struct xgw_cmd *c)
{
	return c->obj == XGW_OBJ_SET && c->verb == XGW_V_SET &&
	       (c->set.key == XGW_SET_ANNOUNCE_TABLE || c->set.key == XGW_SET_ANNOUNCE);
}

/* Move to (table, off): leave the old table first, then fill the new one. */
static int ann_configure(__u32 table, bool off)
{
	int err = 0;

	if (an.serving && (table != an.table || off))
		err = ann_withdraw_all(off ? "announce off" : "leaving the table");
	if (err)
		return err;
	an.table = table;
	an.off = off;
	return ann_sync_all();
}

int announce__apply(struct xgwd *d, const struct xgw_cmd *c,
		    struct xgwd_undo *undo, char *err, size_t errlen)
{
	__u32 old_table = an.table, table = an.table;
	bool old_off = an.off, off = an.off;
	struct xgw_cmd inv = *c;
	int ret;

	(void)d;
	if (c->set.key == XGW_SET_ANNOUNCE_TABLE) {
		if (c->set.value > 0xffffffffUL) {
			snprintf(err, errlen, "invalid announce-table \"%lu\"", c->set.value);
			return -EINVAL;
		}
		table = c->set.value;
		inv.set.value = old_table;
	} else {
		off = !c->set.value;
		inv.set.value = !old_off;
	}
	ret = xgwd_undo__push(undo, &inv);
	if (ret)
		return ret;
	ret = ann_configure(table, off);
	if (!ret)
		return 0;
	snprintf(err, errlen, "cannot update announce table %u: %s", table, strerror(-ret));
	/* back to where it was: out of the new table, into the old one */
	if (ann_configure(old_table, old_off))
		pr_warn("announce: table %u may not hold what it should", old_table);
	if (undo)
		undo->n--;
	return ret;
}

int announce__save(FILE *f)
{
	struct xgw_cmd c = { .obj = XGW_OBJ_SET, .verb = XGW_V_SET };
	char line[128];

	if (an.table) {
		c.set.key = XGW_SET_ANNOUNCE_TABLE;
		c.set.value = an.table;
		if (xgw_cmd_format(&c, line, sizeof(line)) < 0)
			return -ENOSPC;
		fprintf(f, "%s\n", line);
	}
	if (an.off) {
		c.set.key = XGW_SET_ANNOUNCE;
		c.set.value = 0;
		if (xgw_cmd_format(&c, line, sizeof(line)) < 0)
			return -ENOSPC;
		fprintf(f, "%s\n", line);
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- --cleanup ------------------------------------------------------------------- */

struct ann_found {
	__u32 table;
	struct xgw_addr addr;
};

struct ann_found_list {
	struct ann_found *v;
	size_t n, cap;
	int err;
};

static void ann_found_cb(void *arg, __u32 table, const struct xgw_addr *a)
{
	struct ann_found_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *p = realloc(l->v, cap * sizeof(*l->v));

		if (!p) {
			l->err = -ENOMEM;
			return;
		}
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n].table = table;
	l->v[l->n++].addr = *a;
}

int announce__cleanup(void)
{
	struct ann_found_list l = {};
	int err;
	size_t i;

	err = an.k->dump(0, ann_found_cb, &l);
	err = err ?: l.err;
	for (i = 0; !err && i < l.n; i++)
		err = an.k->route(RTM_DELROUTE, l.v[i].table, &l.v[i].addr);
	if (err)
		pr_warn("announce: cannot remove the announced VIPs: %s", strerror(-err));
	else if (l.n)
		pr_info("announce: withdrew %zu VIP route(s)", l.n);
	free(l.v);
	return err;
}

void announce__reset(const struct announce_kernel *k)
{
	free(an.inst);
	memset(an.svc, 0, sizeof(an.svc));
	an.inst = NULL;
	an.n_inst = an.cap_inst = 0;
	an.table = 0;
	an.off = false;
	an.serving = false;
	an.next_resync = 0;
	an.k = k ? k : &ann_rtnl;
}

/* ---- rtnetlink ----------------------------------------------------------------- */

struct ann_nl_req {
	struct nlmsghdr nh;
	struct rtmsg rt;
	char attrs[64];
};

static int ann_nl_open(void)
{
	int one = 1;

	if (an.nl_fd >= 0)
		return 0;
	an.nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (an.nl_fd < 0)
		return -errno;
	/* let the kernel filter dumps by table and protocol (4.20+) */
	setsockopt(an.nl_fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	return 0;
}

static void ann_nl_attr(struct nlmsghdr *nh, unsigned short type, const void *data,
			size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/*
 * Send req and read the answer: the ack (0 or -errno), or for a dump every
 * message up to NLMSG_DONE, each to cb.
 */
static int ann_nl_talk(struct nlmsghdr *req, void (*cb)(struct nlmsghdr *, void *),
		       void *arg)
{
	static char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr *m;
	ssize_t n;
	int err;

	err = ann_nl_open();
	if (err)
		return err;
	req->nlmsg_seq = ++an.nl_seq;
	if (sendto(an.nl_fd, req, req->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		n = recv(an.nl_fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (m = (struct nlmsghdr *)buf; NLMSG_OK(m, n); m = NLMSG_NEXT(m, n)) {
			if (m->nlmsg_seq != req->nlmsg_seq)
				continue;	/* a late answer to an earlier request */
			if (m->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(m))->error;
			if (m->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb)
				cb(m, arg);
		}
	}
}

static void ann_nl_header(struct ann_nl_req *r, int cmd, int flags, int family,
			  __u32 table)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(r->rt));
	r->nh.nlmsg_type = cmd;
	r->nh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->rt.rtm_family = family;
	r->rt.rtm_table = table < 256 ? table : RT_TABLE_UNSPEC;
	r->rt.rtm_protocol = ANNOUNCE_RTPROT;
	if (table)
		ann_nl_attr(&r->nh, RTA_TABLE, &table, sizeof(table));
}

static int ann_nl_route(int cmd, __u32 table, const struct xgw_addr *vip)
{
	bool v4 = vip->family == AF_INET;
	struct ann_nl_req r;
	int err;

	ann_nl_header(&r, cmd, NLM_F_ACK | (cmd == RTM_NEWROUTE ?
					    NLM_F_CREATE | NLM_F_REPLACE : 0),
		      vip->family, table);
	r.rt.rtm_dst_len = v4 ? 32 : 128;
	r.rt.rtm_type = RTN_BLACKHOLE;
	r.rt.rtm_scope = cmd == RTM_NEWROUTE ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE;
	ann_nl_attr(&r.nh, RTA_DST, vip->a, v4 ? 4 : 16);
	err = ann_nl_talk(&r.nh, NULL, NULL);
	if (cmd == RTM_DELROUTE && (err == -ESRCH || err == -ENOENT))
		err = 0;	/* already gone */
	return err;
}

struct ann_nl_dump_arg {
	void (*cb)(void *, __u32, const struct xgw_addr *);
	void *arg;
	__u32 table;
};

static void ann_nl_route_msg(struct nlmsghdr *m, void *arg)
{
	struct ann_nl_dump_arg *da = arg;
	struct rtmsg *rt = NLMSG_DATA(m);
	int len = RTM_PAYLOAD(m);
	struct xgw_addr a = {};
	__u32 table = rt->rtm_table;
	struct rtattr *rta;
	bool has_dst = false;

	/* the kernel filters with strict checking; older ones send all */
	if (m->nlmsg_type != RTM_NEWROUTE || rt->rtm_protocol != ANNOUNCE_RTPROT ||
	    rt->rtm_type != RTN_BLACKHOLE ||
	    !((rt->rtm_family == AF_INET && rt->rtm_dst_len == 32) ||
	      (rt->rtm_family == AF_INET6 && rt->rtm_dst_len == 128)))
		return;
	a.family = rt->rtm_family;
	for (rta = RTM_RTA(rt); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == RTA_TABLE && RTA_PAYLOAD(rta) == 4)
			memcpy(&table, RTA_DATA(rta), 4);
		if (rta->rta_type == RTA_DST &&
		    RTA_PAYLOAD(rta) == (a.family == AF_INET ? 4u : 16u)) {
			memcpy(a.a, RTA_DATA(rta), RTA_PAYLOAD(rta));
			has_dst = true;
		}
	}
	if (has_dst && (!da->table || table == da->table))
		da->cb(da->arg, table, &a);
}

static int ann_nl_dump(__u32 table, void (*cb)(void *, __u32, const struct xgw_addr *),
		       void *arg)
{
	struct ann_nl_dump_arg da = { cb, arg, table };
	struct ann_nl_req r;

	ann_nl_header(&r, RTM_GETROUTE, NLM_F_DUMP, AF_UNSPEC, table);
	r.rt.rtm_type = RTN_BLACKHOLE;
	return ann_nl_talk(&r.nh, ann_nl_route_msg, &da);
}
