/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Backend-side ipip decapsulation (owner: h4). PLACEHOLDER written by h1 so
 * the object has its xgw_decap program before the load balancer lands; h4
 * replaces this file.
 */
#ifndef XGW_DECAP_H
#define XGW_DECAP_H

SEC("xdp")
int xgw_decap(struct xdp_md *ctx)
{
	(void)ctx;
	return XGW_XDP_PASS;
}

#endif /* XGW_DECAP_H */
