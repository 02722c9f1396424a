/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The Prometheus endpoint (metrics.c). */
#ifndef XGWD_METRICS_H
#define XGWD_METRICS_H

#include <stdio.h>

struct xgwd;

int metrics__open(struct xgwd *d);
void metrics__serve(struct xgwd *d);
void metrics__close(struct xgwd *d);
int metrics__write(struct xgwd *d, FILE *f);

#endif /* XGWD_METRICS_H */
