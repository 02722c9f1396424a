/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Attaching xgw's XDP programs so they can share a device (xdpprog.c). */
#ifndef XGWD_XDPPROG_H
#define XGWD_XDPPROG_H

#include <stddef.h>
#include <xdp/libxdp.h>

struct xgwd;

/* libxdp's default run priority (lower runs first in its dispatcher). */
#define XGWD_RUN_PRIO_DEFAULT	50

/*
 * Attach prog_name ("xgw_xdp", "xgw_decap") to ifindex through libxdp, in
 * its dispatcher (at the daemon's run priority) where the kernel allows
 * one, else alone. 0 or -errno (libxdp's: -EBUSY when another program is
 * attached outside a dispatcher).
 */
int xdpprog__attach(struct xgwd *d, const char *prog_name, int ifindex,
		    enum xdp_attach_mode mode);

#endif /* XGWD_XDPPROG_H */
