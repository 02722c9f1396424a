/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * VIP announcement: xgwd publishes each VIP that has a usable backend as a
 * host route in a kernel routing table of the operator's choice, where a
 * routing daemon (BIRD's kernel protocol with `learn`) picks it up and
 * offers it to the upstream routers (contrib/bird/xgw-gateway.conf).
 *
 *   set announce-table TABLE   the table (0, the default: announce nothing)
 *   set announce { on | off }  off withdraws every VIP (drain the gateway)
 *
 * A route is `blackhole VIP/32` (or /128) of protocol ANNOUNCE_RTPROT in
 * TABLE: blackhole because the table is only a list for the routing daemon
 * (no `ip rule` should look it up), and a protocol of its own so that BIRD
 * imports exactly these and --cleanup finds them.
 *
 * A VIP is wanted while at least one of its services (one address may carry
 * several ports) has a usable backend: weight > 0, not drained, healthy.
 * lb.c says so through announce__service() whenever a service's Maglev
 * table changes or the service goes. Nothing is written while the state file
 * is replayed; the first announce__tick() after that (the health checker's
 * first round while xgwd serves) compares the table with what is wanted and
 * changes only the difference: a restarted xgwd takes its routes over
 * without a flap. xgwd stopping or dying leaves the routes in place (the
 * datapath keeps forwarding); --cleanup, which removes the datapath,
 * removes them. Every ANNOUNCE_RESYNC_S the table is compared again, so a
 * route deleted by hand comes back.
 *
 * One announcer per daemon: the module keeps its state itself, so lb.c's
 * hook needs no daemon context. All functions are called with d->lock held.
 */
#ifndef XGWD_ANNOUNCE_H
#define XGWD_ANNOUNCE_H

#include <stdbool.h>
#include <stdio.h>
#include "xgwd.h"

#define ANNOUNCE_RTPROT		88	/* rtm_protocol of xgwd's routes ("xgw") */
#define ANNOUNCE_RESYNC_S	10

/* lb.c: service svc_id (address vip) has a usable backend, or not (or is
 * deleted: usable false). */
void announce__service(__u32 svc_id, const struct xgw_addr *vip, bool usable);
/* health.c, once per round: the first call while xgwd serves writes the
 * table; later ones re-check it every ANNOUNCE_RESYNC_S. */
void announce__tick(struct xgwd *d);
/* Is c one of the announce settings (set announce-table, set announce)? */
bool announce__is_setting(const struct xgw_cmd *c);
/* Apply one of them: pushes its inverse onto undo; on failure nothing changed. */
int announce__apply(struct xgwd *d, const struct xgw_cmd *c,
		    struct xgwd_undo *undo, char *err, size_t errlen);
/* The settings as state-file lines (none while they are the defaults). */
int announce__save(FILE *f);
/* --cleanup: delete routes of protocol ANNOUNCE_RTPROT from every table. */
int announce__cleanup(void);

/*
 * The kernel side, replaceable for unit tests. route(): add (RTM_NEWROUTE,
 * create or replace) or delete (RTM_DELROUTE; a missing route is 0) one VIP
 * route. dump(): every route of protocol ANNOUNCE_RTPROT in table (0: in any
 * table), to cb. 0 or -errno.
 */
struct announce_kernel {
	int (*route)(int cmd, __u32 table, const struct xgw_addr *vip);
	int (*dump)(__u32 table, void (*cb)(void *arg, __u32 table,
					    const struct xgw_addr *vip), void *arg);
};
/* NULL: back to rtnetlink. Also forgets all state (tests start afresh). */
void announce__reset(const struct announce_kernel *k);

#endif /* XGWD_ANNOUNCE_H */
