// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Placeholder until the load balancer lands (h4 replaces this file). */
#include <stdio.h>
#include "xgwd.h"

int lb__init(struct xgwd *d)
{
	(void)d;
	return 0;
}

void lb__fini(struct xgwd *d)
{
	(void)d;
}

int lb__check(struct xgwd *d, const struct xgw_cmd *c, char *err, size_t errlen)
{
	(void)d;
	(void)c;
	snprintf(err, errlen, "services not supported yet");
	return -EOPNOTSUPP;
}

int lb__apply(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
	      char *err, size_t errlen)
{
	(void)undo;
	return lb__check(d, c, err, errlen);
}

int lb__save(struct xgwd *d, FILE *f)
{
	(void)d;
	(void)f;
	return 0;
}

void lb__metrics(struct xgwd *d, FILE *f)
{
	(void)d;
	(void)f;
}
