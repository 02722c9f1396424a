// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attached devices. Attaching goes through libxdp so xgw shares a device
 * with other XDP programs. A device that already runs an xgw program (a
 * previous xgwd was stopped or killed) is adopted as it is: detaching and
 * re-attaching would drop packets, and the program already uses the very
 * maps we pinned.
 */
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "json_print.h"
#include "kernel.h"
#include "link.h"
#include "linkcheck.h"
#include "loader.h"
#include "prom.h"
#include "xdpprog.h"
#include "xgw.skel.h"

static const char *const mode_name[] = {
	[XGW_LINK_NATIVE] = "native",
	[XGW_LINK_GENERIC] = "generic",
	[XGW_LINK_DECAP] = "decap",
};

struct xgwd_link *link__find(struct xgwd *d, int ifindex)
{
	size_t i;

	for (i = 0; i < d->links.n; i++) {
		struct xgwd_link *l = xgwd_vec__at(&d->links, struct xgwd_link, i);

		if (l->ifindex == ifindex)
			return l;
	}
	return NULL;
}

bool link__usable(struct xgwd *d, int ifindex)
{
	struct xgwd_link *l = link__find(d, ifindex);

	return l && !l->detaching;
}

void link__set_ops(struct xgwd *d, const struct link_ops *ops)
{
	d->link_ops = ops;
}

static void link__changed_attach(struct xgwd *d, int ifindex)
{
	if (d->link_ops && d->link_ops->changed)
		d->link_ops->changed(d, ifindex);
}

struct xgwd_link *link__find_name(struct xgwd *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->links.n; i++) {
		struct xgwd_link *l = xgwd_vec__at(&d->links, struct xgwd_link, i);

		if (!strcmp(l->name, name))
			return l;
	}
	return NULL;
}

/* MAC, MTU and up state, straight from the device (netlink keeps them). */
static void link__probe(struct xgwd_link *l)
{
	struct ifreq ifr = {};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", l->name);
	if (!ioctl(s, SIOCGIFHWADDR, &ifr))
		memcpy(l->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (!ioctl(s, SIOCGIFMTU, &ifr))
		l->mtu = ifr.ifr_mtu;
	if (!ioctl(s, SIOCGIFFLAGS, &ifr))
		l->up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	close(s);
}

static const char *link_prog_name(enum xgw_link_mode mode)
{
	return mode == XGW_LINK_DECAP ? "xgw_decap" : "xgw_xdp";
}

/* The xgw program attached to ifindex, if any (caller closes *mpp). */
static struct xdp_program *link__attached(int ifindex, enum xgw_link_mode mode,
					  struct xdp_multiprog **mpp)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;

	*mpp = NULL;
	if (!mp || libxdp_get_error(mp))
		return NULL;
	*mpp = mp;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		return p && !strcmp(xdp_program__name(p), link_prog_name(mode)) ? p : NULL;
	}
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (!strcmp(xdp_program__name(p), link_prog_name(mode)))
			return p;
	return NULL;
}

static int link__xdp_attach(struct xgwd *d, struct xgwd_link *l, char *err, size_t errlen)
{
	enum xdp_attach_mode m = l->mode == XGW_LINK_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	struct xdp_multiprog *mp;
	int ret;

	if (link__attached(l->ifindex, l->mode, &mp)) {
		xdp_multiprog__close(mp);
		l->adopted = true;
		pr_info("%s: %s already attached, adopted", l->name, link_prog_name(l->mode));
		return 0;
	}
	xdp_multiprog__close(mp);
	ret = xdpprog__attach(d, link_prog_name(l->mode), l->ifindex, m);
	if (ret == -EBUSY) {
		snprintf(err, errlen, "cannot attach to %s: another XDP program is attached "
			 "there, not in a libxdp dispatcher (xdp-loader status %s)",
			 l->name, l->name);
		return ret;
	}
	if (ret) {
		snprintf(err, errlen, "cannot attach to %s in %s mode: %s%s", l->name,
			 mode_name[l->mode], strerror(-ret),
			 l->mode == XGW_LINK_NATIVE ? " (try mode generic)" : "");
		return ret;
	}
	if (l->mode == XGW_LINK_GENERIC)
		pr_warn("WARNING: %s attached in GENERIC mode: slow, for testing only",
			l->name);
	linkcheck__attached(l->name, l->ifindex, l->mode == XGW_LINK_DECAP);
	return 0;
}

/* Remember what is attached now: xgw's program and the device's. */
static void link__xdp_record(struct xgwd_link *l)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct xdp_multiprog *mp;
	struct xdp_program *p = link__attached(l->ifindex, l->mode, &mp);

	l->prog_id = p ? xdp_program__id(p) : 0;
	xdp_multiprog__close(mp);
	if (!bpf_xdp_query(l->ifindex, 0, &q))
		l->xdp_id = l->mode == XGW_LINK_GENERIC ? q.skb_prog_id : q.drv_prog_id;
	l->xdp = LINK_XDP_OK;
}

static const char *const xdp_state_name[] = {
	[LINK_XDP_OK] = "attached",
	[LINK_XDP_DETACHED] = "detached",
	[LINK_XDP_REPLACED] = "replaced",
};

void link__xdp_changed(struct xgwd *d, const struct kernel_xdp *x)
{
	struct xgwd_link *l = link__find(d, x->ifindex);
	__u32 id = l && l->mode == XGW_LINK_GENERIC ? x->skb_prog_id : x->drv_prog_id;
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	enum link_xdp_state was;

	if (!l || id == l->xdp_id)
		return;
	was = l->xdp;
	l->xdp_id = id;
	/* a new dispatcher may still hold our program */
	p = id ? link__attached(l->ifindex, l->mode, &mp) : NULL;
	l->xdp = !id ? LINK_XDP_DETACHED :
		 p && xdp_program__id(p) == l->prog_id ? LINK_XDP_OK : LINK_XDP_REPLACED;
	if (id)
		xdp_multiprog__close(mp);
	if (l->xdp == was)
		return;
	if (l->xdp == LINK_XDP_OK) {
		pr_warn("%s: xgw's XDP program is attached again", l->name);
		return;
	}
	l->xdp_lost += was == LINK_XDP_OK;
	if (id)
		pr_warn("%s: xgw's XDP program was replaced by someone else's (program id %u): "
			"xgw does not see this link's traffic; `xgwctl link attach %s` "
			"puts it back", l->name, id, l->name);
	else
		pr_warn("%s: xgw's XDP program was detached by someone else: xgw does not "
			"see this link's traffic; `xgwctl link attach %s` puts it back",
			l->name, l->name);
}

void link__metrics(struct xgwd *d, FILE *f)
{
	size_t i;
	int k;

	for (k = 0; k < 2; k++) {
		xgw_prom_head(f, k ? "xgw_link_xdp_lost_total" : "xgw_link_xdp_attached",
			      k ? "counter" : "gauge",
			      k ? "Times xgw's XDP program was found detached or replaced by "
				  "someone else." :
				  "1 while xgw's XDP program is on the link.");
		for (i = 0; i < d->links.n; i++) {
			struct xgwd_link *l = xgwd_vec__at(&d->links, struct xgwd_link, i);

			fprintf(f, "%s{dev=\"", k ? "xgw_link_xdp_lost_total" :
						       "xgw_link_xdp_attached");
			xgw_prom_label(f, l->name);
			fprintf(f, "\"} %lu\n", k ? l->xdp_lost :
						   (unsigned long)(l->xdp == LINK_XDP_OK));
		}
	}
}

/* `link attach` of a link whose program someone removed: put it back. */
static int link__repair(struct xgwd *d, struct xgwd_link *l, char *err, size_t errlen)
{
	int ret;

	if (l->xdp == LINK_XDP_OK) {
		snprintf(err, errlen, "link %s is already attached", l->name);
		return -EEXIST;
	}
	ret = link__xdp_attach(d, l, err, errlen);
	if (ret)
		return ret;
	link__xdp_record(l);
	pr_info("%s: xgw's XDP program attached again", l->name);
	return 0;
}

static int link__xdp_detach(struct xgwd_link *l)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p = link__attached(l->ifindex, l->mode, &mp);
	int ret = 0;

	if (p) {
		if (xdp_multiprog__is_legacy(mp))
			ret = xdp_multiprog__detach(mp);
		else
			ret = xdp_program__detach(p, l->ifindex,
						  xdp_multiprog__attach_mode(mp), 0);
	}
	xdp_multiprog__close(mp);
	return ret;
}

static int link__tx_port(struct xgwd *d, struct xgwd_link *l, bool add)
{
	int fd = bpf_map__fd(d->skel->maps.xgw_tx_ports);
	struct bpf_devmap_val v = { .ifindex = l->ifindex };
	__u32 key = l->ifindex;

	if (l->mode == XGW_LINK_DECAP)
		return 0;
	if (add)
		return bpf_map_update_elem(fd, &key, &v, BPF_ANY) ? -errno : 0;
	return bpf_map_delete_elem(fd, &key) && errno != ENOENT ? -errno : 0;
}

static int link__attach(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
			char *err, size_t errlen)
{
	struct xgwd_link l = { .mode = c->link.mode };
	struct xgw_cmd inv = { .obj = XGW_OBJ_LINK, .verb = XGW_V_DETACH };
	int ret;

	l.ifindex = if_nametoindex(c->link.dev);
	if (!l.ifindex) {
		snprintf(err, errlen, "unknown device \"%s\"", c->link.dev);
		return -ENODEV;
	}
	if (link__find(d, l.ifindex))
		return link__repair(d, link__find(d, l.ifindex), err, errlen);
	snprintf(l.name, sizeof(l.name), "%s", c->link.dev);
	link__probe(&l);
	ret = link__xdp_attach(d, &l, err, errlen);
	if (ret)
		return ret;
	link__xdp_record(&l);
	ret = link__tx_port(d, &l, true);
	if (!ret && !xgwd_vec__push(&d->links, &l))
		ret = -ENOMEM;
	if (ret) {
		if (!l.adopted)
			link__xdp_detach(&l);
		snprintf(err, errlen, "cannot add %s to xgw_tx_ports: %s", l.name,
			 strerror(-ret));
		return ret;
	}
	memcpy(inv.link.dev, l.name, sizeof(inv.link.dev));
	xgwd_undo__push(undo, &inv);
	link__changed_attach(d, l.ifindex);
	return 0;
}

void link__hold(struct xgwd *d, int ifindex)
{
	struct xgwd_link *l = link__find(d, ifindex);

	if (l)
		l->users++;
}

void link__release(struct xgwd *d, int ifindex)
{
	struct xgwd_link *l = link__find(d, ifindex);

	if (l && l->users)
		l->users--;
}

static int link__detach(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
			char *err, size_t errlen)
{
	struct xgwd_link *l = link__find_name(d, c->link.dev);
	struct xgw_cmd inv = { .obj = XGW_OBJ_LINK, .verb = XGW_V_ATTACH };
	int ret;

	if (!l) {
		snprintf(err, errlen, "link %s is not attached", c->link.dev);
		return -ENOENT;
	}
	if (l->users) {
		/* followed routes let go (the kernel takes their packets) */
		l->detaching = true;
		link__changed_attach(d, l->ifindex);
		l->detaching = false;
	}
	if (l->users) {
		link__changed_attach(d, l->ifindex);	/* staying after all */
		snprintf(err, errlen, "link %s is used by %u route(s)/backend(s); "
			 "delete them first", l->name, l->users);
		return -EBUSY;
	}
	ret = link__xdp_detach(l);
	if (ret) {
		snprintf(err, errlen, "cannot detach from %s: %s", l->name, strerror(-ret));
		return ret;
	}
	link__tx_port(d, l, false);
	memcpy(inv.link.dev, l->name, sizeof(inv.link.dev));
	inv.link.mode = l->mode;
	xgwd_undo__push(undo, &inv);
	xgwd_vec__del(&d->links, l - (struct xgwd_link *)d->links.v);
	return 0;
}

static int link__show(struct xgwd *d)
{
	char mac[XGW_MAC_STRLEN];
	size_t i;

	open_json_array(PRINT_JSON, "links");
	for (i = 0; i < d->links.n; i++) {
		struct xgwd_link *l = xgwd_vec__at(&d->links, struct xgwd_link, i);

		open_json_object(NULL);
		print_string(PRINT_ANY, "dev", "%s", l->name);
		print_int(PRINT_ANY, "ifindex", " ifindex %d", l->ifindex);
		print_string(PRINT_ANY, "mode", " mode %s", mode_name[l->mode]);
		print_string(PRINT_ANY, "mac", " mac %s", xgw_mac_str(l->mac, mac, sizeof(mac)));
		print_uint(PRINT_ANY, "mtu", " mtu %u", l->mtu);
		print_string(PRINT_ANY, "state", " %s", l->up ? "up" : "down");
		print_bool(PRINT_JSON, "adopted", NULL, l->adopted);
		print_string(PRINT_JSON, "xdp", NULL, xdp_state_name[l->xdp]);
		if (l->xdp != LINK_XDP_OK)
			print_string(PRINT_TEXT, NULL, " xdp %s", xdp_state_name[l->xdp]);
		print_uint(PRINT_JSON, "xdp_lost", NULL, l->xdp_lost);
		linkcheck__show(l->name, l->ifindex, l->mode == XGW_LINK_GENERIC, l->mode == XGW_LINK_DECAP);
		print_nl();
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
	return 0;
}

int link__apply(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		char *err, size_t errlen)
{
	switch (c->verb) {
	case XGW_V_SHOW:
		return link__show(d);
	case XGW_V_ATTACH:
		return link__attach(d, c, undo, err, errlen);
	case XGW_V_DETACH:
		return link__detach(d, c, undo, err, errlen);
	default:
		snprintf(err, errlen, "unsupported link command");
		return -EOPNOTSUPP;
	}
}

struct xgwd_link *link__changed(struct xgwd *d, int ifindex, const char *name,
				const __u8 *mac, unsigned int mtu, bool up, bool gone)
{
	struct xgwd_link *l = link__find(d, ifindex);

	if (!l)
		return NULL;
	if (gone) {
		pr_warn("attached link %s disappeared", l->name);
		up = false;
	}
	if (name && !gone)
		snprintf(l->name, sizeof(l->name), "%s", name);
	if (mac)
		memcpy(l->mac, mac, 6);
	if (mtu)
		l->mtu = mtu;
	if (l->up != up)
		pr_info("%s is %s", l->name, up ? "up" : "down");
	l->up = up;
	return l;
}
