/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Service addresses marked XGW_RT_F_VIP, reference counted (vip.c). The
 * marking itself is route__set_vip() (route.h). */
#ifndef XGWD_VIP_H
#define XGWD_VIP_H

#include "xgwd.h"

struct xgwd_vip {
	struct xgw_addr addr;
	unsigned int refcnt;
};

struct xgwd_vip *vip__find(struct xgwd *d, const struct xgw_addr *a, size_t *idx);
/* Take a reference: 1 when a is new (its host entry must follow), 0 when
 * it was marked already, -ENOMEM. */
int vip__get(struct xgwd *d, const struct xgw_addr *a);
/* Drop a reference: 1 when that was the last (the mark must go), 0 when
 * others remain, -ENOENT. */
int vip__put(struct xgwd *d, const struct xgw_addr *a);

#endif /* XGWD_VIP_H */
