/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The control socket (ctlsock.c; protocol: common/proto.h). */
#ifndef XGWD_CTLSOCK_H
#define XGWD_CTLSOCK_H

#include <stdbool.h>

struct xgwd;

int ctlsock__open(struct xgwd *d);
bool ctlsock__in_use(const char *path);
void ctlsock__serve(struct xgwd *d);
void ctlsock__close(struct xgwd *d);

#endif /* XGWD_CTLSOCK_H */
