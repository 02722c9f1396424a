/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Prometheus endpoint (metrics.c): libmicrohttpd in its own thread,
 * serving a snapshot the main loop writes when asked.
 */
#ifndef XGWD_METRICS_H
#define XGWD_METRICS_H

#include <stdio.h>

struct xgwd;

#define XGWD_METRICS_MAX_CONN	32	/* MHD refuses more */
#define XGWD_METRICS_PER_IP	8	/* ... and more than this from one address */
#define XGWD_METRICS_TIMEOUT_S	5	/* idle connection closed after */
#define XGWD_METRICS_REQUEST_S	10	/* a request not answered by then: closed */
#define XGWD_METRICS_FRESH_MS	1000	/* a snapshot younger than this is served */
#define XGWD_METRICS_WAIT_MS	500	/* for a fresh one; else the last one */

int metrics__open(struct xgwd *d);
void metrics__close(struct xgwd *d);
/* The snapshot's text (called by metrics__refresh, d->lock held). */
int metrics__write(struct xgwd *d, FILE *f);
/* The eventfd the main loop polls: a scraper wants a snapshot. -1: off. */
int metrics__fd(void);
/* Main loop: write the snapshot (takes d->lock). */
void metrics__refresh(struct xgwd *d);
/* Main loop, once a second: close connections whose request is overdue
 * (a client that trickles a byte now and then is never idle). */
void metrics__tick(void);

#endif /* XGWD_METRICS_H */
