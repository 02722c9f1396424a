/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Attached devices (link.c): the bottom of xgwd's routing side above the
 * kernel adapter. Calls nothing above it. */
#ifndef XGWD_LINK_H
#define XGWD_LINK_H

#include "xgwd.h"

/* xgw's program on an attached link, as the device's IFLA_XDP tells. */
enum link_xdp_state {
	LINK_XDP_OK,
	LINK_XDP_DETACHED,	/* ip link set dev X xdp off, or alike */
	LINK_XDP_REPLACED,	/* another program in its place */
};

struct xgwd_link {
	int ifindex;
	char name[IF_NAMESIZE];
	enum xgw_link_mode mode;
	__u8 mac[6];
	unsigned int mtu;
	bool up;		/* IFF_UP and carrier (IFF_RUNNING) */
	bool adopted;		/* found attached at start: left as it was */
	unsigned int users;	/* link__hold()s: next-hop references, dev routes */
	bool detaching;		/* link__detach() asks its followers to let go */
	enum link_xdp_state xdp;	/* someone else's doing, when not OK */
	__u32 prog_id;		/* xgw's program on the device */
	__u32 xdp_id;		/* the device's program in our mode (xgw's or a
				 * libxdp dispatcher holding it) */
	unsigned long xdp_lost;	/* times xgw's program was found gone */
};

/* What the layers above want to hear from the links (link__set_ops()). */
struct link_ops {
	/* ifindex was attached, is being detached (link__usable() is false),
	 * or stays after all: routes through it may take another path. */
	void (*changed)(struct xgwd *d, int ifindex);
};

int link__apply(struct xgwd *d, const struct xgw_cmd *c,
		struct xgwd_undo *undo, char *err, size_t errlen);
struct xgwd_link *link__find(struct xgwd *d, int ifindex);
/* Attached and staying: new paths may use it. */
bool link__usable(struct xgwd *d, int ifindex);
void link__set_ops(struct xgwd *d, const struct link_ops *ops);
struct xgwd_link *link__find_name(struct xgwd *d, const char *name);
/* From the kernel: keep MAC, MTU, name and state current. The link, or
 * NULL when ifindex is not attached. */
struct xgwd_link *link__changed(struct xgwd *d, int ifindex, const char *name,
				const __u8 *mac, unsigned int mtu, bool up, bool gone);
struct kernel_xdp;
/* The device's XDP programs changed: is xgw's still there? */
void link__xdp_changed(struct xgwd *d, const struct kernel_xdp *x);
/* Prometheus text for the links (state of xgw's program, losses). */
void link__metrics(struct xgwd *d, FILE *f);
/* Users of an attached link (a next-hop reference, a route naming it): a
 * link with users cannot be detached. */
void link__hold(struct xgwd *d, int ifindex);
void link__release(struct xgwd *d, int ifindex);

#endif /* XGWD_LINK_H */
