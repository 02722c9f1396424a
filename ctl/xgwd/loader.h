/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Loading (or adopting) the datapath and its pins (loader.c). */
#ifndef XGWD_LOADER_H
#define XGWD_LOADER_H

#include <stdbool.h>

struct xgwd;

int loader__open(struct xgwd *d);	/* open, reuse pins, load, attach tracing */
void loader__close(struct xgwd *d);
int loader__cleanup(struct xgwd *d);	/* --cleanup: this pin dir's programs only */
int loader__ensure_bpffs(const char *pin_dir);
void loader__quiet(bool quiet);	/* hush libbpf warnings (libxdp probing) */
/* The tracing programs and what became of them (daemon show). */
void loader__tracing_show(void);

#endif /* XGWD_LOADER_H */
