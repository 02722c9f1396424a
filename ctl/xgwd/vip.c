// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The set of VIP addresses, each counted once per service that uses it. */
#include "vip.h"

struct xgwd_vip *vip__find(struct xgwd *d, const struct xgw_addr *a, size_t *idx)
{
	size_t i;

	for (i = 0; i < d->vips.n; i++) {
		struct xgwd_vip *v = xgwd_vec__at(&d->vips, struct xgwd_vip, i);

		if (xgw_addr_equal(&v->addr, a)) {
			if (idx)
				*idx = i;
			return v;
		}
	}
	return NULL;
}

int vip__get(struct xgwd *d, const struct xgw_addr *a)
{
	struct xgwd_vip nv = { .addr = *a, .refcnt = 1 };
	struct xgwd_vip *v = vip__find(d, a, NULL);

	if (v) {
		v->refcnt++;
		return 0;
	}
	return xgwd_vec__push(&d->vips, &nv) ? 1 : -ENOMEM;
}

int vip__put(struct xgwd *d, const struct xgw_addr *a)
{
	size_t i;
	struct xgwd_vip *v = vip__find(d, a, &i);

	if (!v)
		return -ENOENT;
	if (--v->refcnt)
		return 0;
	xgwd_vec__del(&d->vips, i);
	return 1;
}
