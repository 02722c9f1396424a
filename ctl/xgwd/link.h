/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Attached devices (link.c): the bottom of xgwd's routing side above the
 * kernel adapter. Calls nothing above it. */
#ifndef XGWD_LINK_H
#define XGWD_LINK_H

#include "xgwd.h"

struct xgwd_link {
	int ifindex;
	char name[IF_NAMESIZE];
	enum xgw_link_mode mode;
	__u8 mac[6];
	unsigned int mtu;
	bool up;		/* IFF_UP and carrier (IFF_RUNNING) */
	bool adopted;		/* found attached at start: left as it was */
	unsigned int users;	/* link__hold()s: next-hop references, dev routes */
};

int link__apply(struct xgwd *d, const struct xgw_cmd *c,
		struct xgwd_undo *undo, char *err, size_t errlen);
struct xgwd_link *link__find(struct xgwd *d, int ifindex);
struct xgwd_link *link__find_name(struct xgwd *d, const char *name);
/* From the kernel: keep MAC, MTU, name and state current. The link, or
 * NULL when ifindex is not attached. */
struct xgwd_link *link__changed(struct xgwd *d, int ifindex, const char *name,
				const __u8 *mac, unsigned int mtu, bool up, bool gone);
/* Users of an attached link (a next-hop reference, a route naming it): a
 * link with users cannot be detached. */
void link__hold(struct xgwd *d, int ifindex);
void link__release(struct xgwd *d, int ifindex);

#endif /* XGWD_LINK_H */
