/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Following the kernel (netlink.c): opens the kernel adapter with xgwd's
 * callbacks, which hand each event to the module that owns it. */
#ifndef XGWD_NETLINK_H
#define XGWD_NETLINK_H

struct xgwd;

int netlink__open(struct xgwd *d);	/* sets d->kernel, d->nl_fd */
int netlink__dump(struct xgwd *d);	/* what the kernel has now: addresses, links */
int netlink__process(struct xgwd *d);	/* events ready on d->nl_fd */
void netlink__close(struct xgwd *d);

#endif /* XGWD_NETLINK_H */
