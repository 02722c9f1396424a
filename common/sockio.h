/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Socket I/O shared by xgwctl and xgwd's control and metrics sockets. */
#ifndef XGW_SOCKIO_H
#define XGW_SOCKIO_H

#include <stddef.h>

/* Send all of @p (no SIGPIPE, retried on EINTR). Returns 0 or -errno. */
int xgw_send_all(int fd, const void *p, size_t len);

#endif /* XGW_SOCKIO_H */
