/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Socket I/O shared by xgwctl and xgwd's control and metrics sockets. */
#ifndef XGW_SOCKIO_H
#define XGW_SOCKIO_H

#include <stddef.h>

/* Send all of @p (no SIGPIPE, retried on EINTR). Returns 0 or -errno. */
int xgw_send_all(int fd, const void *p, size_t len);

/*
 * Read until the peer shuts down its write side. On success *out is a
 * NUL-terminated buffer of *outlen bytes (the caller frees it). -EFBIG once
 * more than @max bytes arrive, else 0 or -errno.
 */
int xgw_recv_all(int fd, size_t max, char **out, size_t *outlen);

/*
 * Accept one connection on non-blocking listener @lfd, with send and
 * receive timeouts of @timeout_s seconds so one slow peer cannot hold the
 * caller for longer. Returns the fd, or -1 when none is pending.
 */
int xgw_accept_timed(int lfd, int timeout_s);

#endif /* XGW_SOCKIO_H */
