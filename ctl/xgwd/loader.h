/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The loader's own additions (loader.c); the rest is declared in xgwd.h. */
#ifndef XGWD_LOADER_H
#define XGWD_LOADER_H

/* The tracing programs and what became of them (daemon show). */
void loader__tracing_show(void);

#endif /* XGWD_LOADER_H */
