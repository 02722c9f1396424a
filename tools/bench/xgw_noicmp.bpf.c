// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgw's datapath with ICMP error generation compiled out: the "before" of
 * pktbench's --no-icmp rows, the same source otherwise. Its skeleton has
 * xgw_bpf's very maps and programs; pktbench loads these bytes into an
 * xgw_bpf skeleton.
 */
#define XGW_NO_ICMP
#include "xgw.bpf.c"
