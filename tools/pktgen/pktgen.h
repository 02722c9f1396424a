/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared between xgw-pktgen's generator (pktgen.c) and its sink (sink.c). */
#ifndef XGW_PKTGEN_H
#define XGW_PKTGEN_H

#include <signal.h>

extern volatile sig_atomic_t pktgen_stop;

void pktgen__signals(void);
void pktgen__libbpf_init(void);
double pktgen__now(void);
/* ifindex of dev in this namespace, 0 (with a message) if none */
int pktgen__ifindex(const char *dev);

/* `xgw-pktgen sink ...`; argv[0] is "sink". Returns the exit status. */
int sink__main(int argc, char **argv);

#endif /* XGW_PKTGEN_H */
