/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the datapath knows of each attached link beyond its next hops
 * (xgw_ifinfo, struct xgw_ifinfo): the gateway's own address on it, the
 * source of the ICMP errors sent back out of it, and the VLANs attached on
 * it (`xgwctl vlan`): a tagged frame on any other VLAN goes to the kernel.
 *
 * The entry of a link is rewritten whole from the daemon's state whenever
 * an input changes (ifinfo__sync()): one bpf_map_update_elem(), which the
 * datapath sees before or after, and only its VLAN bits and addresses,
 * each a word or two, can differ between the two.
 *
 * A layer above links (link.c) and own addresses (local.c), which it reads:
 * the `link` commands come through ifinfo__link_apply(), address events
 * from netlink.c call ifinfo__sync(). Called with d->lock held.
 */
#ifndef XGWD_IFINFO_H
#define XGWD_IFINFO_H

#include <stdio.h>
#include "xgwd.h"

/*
 * The `link` object: link__apply(), and the link's entry after an attach
 * or detach; a link with VLANs attached is not detached.
 */
int ifinfo__link_apply(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		       char *err, size_t errlen);
/* vlan add / del / show. 0 or -errno with a one-line message in err. */
int ifinfo__apply(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		  char *err, size_t errlen);
/* The `vlan add` lines of the state, after the links they need. */
int ifinfo__save(struct xgwd *d, FILE *f);
/*
 * Rewrite @ifindex's entry from what is known now (an address of it came
 * or went). Deferred while a restart over an adopted datapath replays its
 * state (ifinfo__sweep() writes them all).
 */
void ifinfo__sync(struct xgwd *d, int ifindex);
/* After a restore over an adopted datapath: every entry, stale ones removed. */
void ifinfo__sweep(struct xgwd *d);
void ifinfo__free(struct xgwd *d);

#endif /* XGWD_IFINFO_H */
