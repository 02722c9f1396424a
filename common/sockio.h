/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Socket I/O of xgwctl (xgwd's sockets are non-blocking: ctlsock.c). */
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

#endif /* XGW_SOCKIO_H */
