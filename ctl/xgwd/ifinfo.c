// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-link datapath facts: ICMP error sources and attached VLANs (ifinfo.h). */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "json_print.h"
#include "ifinfo.h"
#include "link.h"
#include "local.h"
#include "xgw.skel.h"

#define VID_WORDS	(XGW_VLAN_IDS / 64)

/* The VLANs attached on one link, by ifindex (a rename keeps them). */
struct ifinfo_vlans {
	int ifindex;
	__u64 set[VID_WORDS];
};

static struct xgwd_vec *ifinfo__vec(struct xgwd *d)
{
	struct xgwd_vec *v = d->ifinfo;

	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return NULL;
		v->size = sizeof(struct ifinfo_vlans);
		d->ifinfo = v;
	}
	return v;
}

static struct ifinfo_vlans *ifinfo__vlans(struct xgwd *d, int ifindex, bool create)
{
	struct xgwd_vec *v = ifinfo__vec(d);
	struct ifinfo_vlans nv = { .ifindex = ifindex };
	size_t i;

	if (!v)
		return NULL;
	for (i = 0; i < v->n; i++) {
		struct ifinfo_vlans *e = xgwd_vec__at(v, struct ifinfo_vlans, i);

		if (e->ifindex == ifindex)
			return e;
	}
	return create ? xgwd_vec__push(v, &nv) : NULL;
}

static bool vid_is_set(const __u64 *set, unsigned int vid)
{
	return (set[vid / 64] >> (vid % 64)) & 1;
}

static void vid_put(__u64 *set, unsigned int vid, bool on)
{
	if (on)
		set[vid / 64] |= 1ull << (vid % 64);
	else
		set[vid / 64] &= ~(1ull << (vid % 64));
}

/* The next run of attached VIDs at or after *lo: true, with it in *lo..*hi. */
static bool vid_next_run(const __u64 *set, unsigned int *lo, unsigned int *hi)
{
	unsigned int v = *lo;

	while (v <= XGW_VID_MAX && !vid_is_set(set, v))
		v++;
	if (v > XGW_VID_MAX)
		return false;
	*lo = *hi = v;
	while (*hi < XGW_VID_MAX && vid_is_set(set, *hi + 1))
		(*hi)++;
	return true;
}

static bool addr_is_link_local6(const struct xgw_addr *a)
{
	return a->family == AF_INET6 && (ntohl(a->a[0]) >> 22) == (0xfe80 >> 6);
}

/* The entry of an attached link: its first address of each family (IPv6:
 * a global one; a link-local source cannot reach a remote sender). */
static void ifinfo__fill(struct xgwd *d, int ifindex, struct xgw_ifinfo *v)
{
	struct ifinfo_vlans *vl = ifinfo__vlans(d, ifindex, false);
	size_t i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < d->locals.n; i++) {
		struct xgwd_local *lo = xgwd_vec__at(&d->locals, struct xgwd_local, i);

		if (lo->ifindex != ifindex)
			continue;
		if (lo->addr.family == AF_INET && !v->addr4)
			v->addr4 = lo->addr.a[0];
		else if (lo->addr.family == AF_INET6 && !addr_is_link_local6(&lo->addr) &&
			 !(v->addr6[0] | v->addr6[1] | v->addr6[2] | v->addr6[3]))
			memcpy(v->addr6, lo->addr.a, 16);
	}
	if (vl)
		memcpy(v->vlans, vl->set, sizeof(v->vlans));
}

static int ifinfo__write(struct xgwd *d, int ifindex)
{
	int fd = bpf_map__fd(d->skel->maps.xgw_ifinfo);
	__u32 key = ifindex;
	struct xgw_ifinfo v;

	if (!link__find(d, ifindex))
		return bpf_map_delete_elem(fd, &key) && errno != ENOENT ? -errno : 0;
	ifinfo__fill(d, ifindex, &v);
	return bpf_map_update_elem(fd, &key, &v, BPF_ANY) ? -errno : 0;
}

void ifinfo__sync(struct xgwd *d, int ifindex)
{
	int err;

	if (!d->skel || (d->adopted && d->restoring))
		return;
	err = ifinfo__write(d, ifindex);
	if (err)
		pr_warn("cannot write xgw_ifinfo for ifindex %d: %s", ifindex, strerror(-err));
}

void ifinfo__sweep(struct xgwd *d)
{
	int fd = bpf_map__fd(d->skel->maps.xgw_ifinfo);
	__u32 key, next, *prev = NULL;
	size_t i;

	for (i = 0; i < d->links.n; i++)
		ifinfo__sync(d, xgwd_vec__at(&d->links, struct xgwd_link, i)->ifindex);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!link__find(d, key) && !bpf_map_delete_elem(fd, &key))
			prev = NULL;	/* deleted: start over */
	}
}

static unsigned int ifinfo__vlan_count(struct xgwd *d, int ifindex)
{
	struct ifinfo_vlans *vl = ifinfo__vlans(d, ifindex, false);
	unsigned int vid, n = 0;

	for (vid = 1; vl && vid <= XGW_VID_MAX; vid++)
		n += vid_is_set(vl->set, vid);
	return n;
}

/* Print the set as VID and VID-VID runs: text "10,20-30", JSON numbers. */
static void ifinfo__print_set(const __u64 *set)
{
	unsigned int vid, end;
	bool first = true;

	open_json_array(PRINT_JSON, "vids");
	for (vid = 1; vid_next_run(set, &vid, &end); vid = end + 1) {
		print_text("%s%u", first ? " vid " : ",", vid);
		if (end > vid)
			print_text("-%u", end);
		for (unsigned int i = vid; i <= end; i++)
			print_uint(PRINT_JSON, NULL, NULL, i);
		first = false;
	}
	close_json_array(PRINT_JSON, NULL);
}

static int ifinfo__show(struct xgwd *d)
{
	size_t i;

	open_json_array(PRINT_JSON, "vlans");
	for (i = 0; i < d->links.n; i++) {
		struct xgwd_link *l = xgwd_vec__at(&d->links, struct xgwd_link, i);
		struct ifinfo_vlans *vl = ifinfo__vlans(d, l->ifindex, false);

		if (!ifinfo__vlan_count(d, l->ifindex))
			continue;
		open_json_object(NULL);
		print_string(PRINT_ANY, "dev", "dev %s", l->name);
		ifinfo__print_set(vl->set);
		print_nl();
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
	return 0;
}

/* vlan add / del: all of the range changes, or none of it. */
static int ifinfo__change(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
			  char *err, size_t errlen)
{
	bool on = c->verb == XGW_V_ADD;
	struct xgwd_link *l = link__find_name(d, c->vlan.dev);
	struct xgw_cmd inv = *c;
	struct ifinfo_vlans *vl;
	__u64 old[VID_WORDS];
	unsigned int vid;
	int ret;

	if (!l) {
		snprintf(err, errlen, "link %s is not attached", c->vlan.dev);
		return -ENOENT;
	}
	vl = ifinfo__vlans(d, l->ifindex, true);
	if (!vl)
		return -ENOMEM;
	for (vid = c->vlan.vid_lo; vid <= c->vlan.vid_hi; vid++) {
		if (vid_is_set(vl->set, vid) == on) {
			snprintf(err, errlen, "vid %u is %s attached to %s", vid,
				 on ? "already" : "not", l->name);
			return on ? -EEXIST : -ENOENT;
		}
	}
	memcpy(old, vl->set, sizeof(old));
	for (vid = c->vlan.vid_lo; vid <= c->vlan.vid_hi; vid++)
		vid_put(vl->set, vid, on);
	ret = d->adopted && d->restoring ? 0 : ifinfo__write(d, l->ifindex);
	if (ret) {
		memcpy(vl->set, old, sizeof(old));
		snprintf(err, errlen, "cannot write xgw_ifinfo: %s", strerror(-ret));
		return ret;
	}
	inv.verb = on ? XGW_V_DEL : XGW_V_ADD;
	snprintf(inv.vlan.dev, sizeof(inv.vlan.dev), "%s", l->name);
	return xgwd_undo__push(undo, &inv);
}

int ifinfo__link_apply(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		       char *err, size_t errlen)
{
	struct xgwd_link *l = link__find_name(d, c->link.dev);
	int ifindex = l ? l->ifindex : 0, ret;

	if (c->verb == XGW_V_DETACH && l && ifinfo__vlan_count(d, ifindex)) {
		snprintf(err, errlen, "link %s has %u VLAN(s) attached; delete them first",
			 l->name, ifinfo__vlan_count(d, ifindex));
		return -EBUSY;
	}
	ret = link__apply(d, c, undo, err, errlen);
	if (ret || (c->verb != XGW_V_ATTACH && c->verb != XGW_V_DETACH))
		return ret;
	l = link__find_name(d, c->link.dev);
	ifinfo__sync(d, l ? l->ifindex : ifindex);
	return 0;
}

int ifinfo__apply(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		  char *err, size_t errlen)
{
	switch (c->verb) {
	case XGW_V_SHOW:
		return ifinfo__show(d);
	case XGW_V_ADD:
	case XGW_V_DEL:
		return ifinfo__change(d, c, undo, err, errlen);
	default:
		snprintf(err, errlen, "unsupported vlan command");
		return -EOPNOTSUPP;
	}
}

int ifinfo__save(struct xgwd *d, FILE *f)
{
	struct xgw_cmd c = { .obj = XGW_OBJ_VLAN, .verb = XGW_V_ADD };
	char line[128];
	unsigned int vid, end;
	size_t i;

	for (i = 0; i < d->links.n; i++) {
		struct xgwd_link *l = xgwd_vec__at(&d->links, struct xgwd_link, i);
		struct ifinfo_vlans *vl = ifinfo__vlans(d, l->ifindex, false);

		for (vid = 1; vl && vid_next_run(vl->set, &vid, &end); vid = end + 1) {
			snprintf(c.vlan.dev, sizeof(c.vlan.dev), "%s", l->name);
			c.vlan.vid_lo = vid;
			c.vlan.vid_hi = end;
			if (xgw_cmd_format(&c, line, sizeof(line)) < 0)
				return -EINVAL;
			fprintf(f, "%s\n", line);
		}
	}
	return 0;
}

void ifinfo__free(struct xgwd *d)
{
	if (d->ifinfo)
		xgwd_vec__free(d->ifinfo);
	free(d->ifinfo);
	d->ifinfo = NULL;
}
