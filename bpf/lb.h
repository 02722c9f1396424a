/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * L4 load balancer hook (owner: h4). PLACEHOLDER written by h1 so the
 * datapath builds before the load balancer lands; h4 replaces this file.
 *
 * Contract: called for packets whose destination has a host entry flagged
 * XGW_RT_F_VIP. Returns -1 when the packet is not for a service (routing
 * goes on), else the enum xgw_reason it ends with; for a forward, *nh_id is
 * the next hop it went to (counted in xgw_nh_stats).
 */
#ifndef XGW_LB_H
#define XGW_LB_H

#include "parse.h"
#include "route.h"

static __always_inline int xgw_lb_handle(struct xdp_md *ctx, struct xgw_pkt *pkt,
					 __u32 *nh_id)
{
	(void)ctx;
	(void)pkt;
	(void)nh_id;
	return -1;	/* not a service */
}

#endif /* XGW_LB_H */
