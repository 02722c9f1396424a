/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The control socket (ctlsock.c; protocol: common/proto.h): concurrent,
 * non-blocking clients served from the main loop.
 */
#ifndef XGWD_CTLSOCK_H
#define XGWD_CTLSOCK_H

#include <stdbool.h>
#include <sys/types.h>

struct xgwd;

#define XGWD_CTL_MAX_CONN	64	/* more are refused with one error line */
#define XGWD_CTL_REQUEST_MS	10000	/* accept to complete request */
#define XGWD_CTL_REPLY_MS	30000	/* for the client to take its reply */
#define XGWD_CTL_READ_MAX	(1 << 20) /* bytes per connection per loop turn */

int ctlsock__open(struct xgwd *d);
bool ctlsock__in_use(const char *path);
/* Serve what is ready (the epoll fd polled readable). */
void ctlsock__serve(struct xgwd *d);
void ctlsock__close(struct xgwd *d);

/* The epoll fd to poll() for: readable when any client needs service. */
int ctlsock__fd(void);
/* Drop clients past their deadline. Returns ms until the next deadline,
 * -1 if none. */
int ctlsock__tick(void);
/* The group that may write besides root ((gid_t)-1: none). */
void ctlsock__set_group(gid_t gid);
/* May a peer with this gid and these supplementary groups write? */
bool ctlsock__gid_may_write(gid_t gid, const gid_t *groups, int n);

struct ctlsock_stats {
	unsigned int open;		/* connections now */
	unsigned long refused;		/* over XGWD_CTL_MAX_CONN */
	unsigned long timed_out;	/* request or reply past its deadline */
	unsigned long cut;		/* ended before the request was complete */
};
void ctlsock__stats(struct ctlsock_stats *st);

#endif /* XGWD_CTLSOCK_H */
