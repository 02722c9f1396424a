/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Routing table and protocol names as ip(8) takes them: a number, a name
 * the kernel defines (main, local, default; kernel, static, bird, bgp...),
 * or a name from /etc/iproute2/rt_tables, rt_protos and the .conf files of their .d directories.
 */
#ifndef XGW_RTNAMES_H
#define XGW_RTNAMES_H

#include <stdbool.h>
#include <stddef.h>

enum xgw_rtname {
	XGW_RTNAME_TABLE,	/* 1..4294967295 */
	XGW_RTNAME_PROTO,	/* 0..255 */
};

/* s as a number or a name: 0, or -EINVAL (unknown name, out of range). */
int xgw_rtname_parse(enum xgw_rtname kind, const char *s, unsigned long *id);
/*
 * The name of id: the kernel's name when it has one, else (with files)
 * one from the iproute2 files, else the number. Returns buf.
 */
const char *xgw_rtname_str(enum xgw_rtname kind, unsigned long id, bool files,
			   char *buf, size_t len);

#endif /* XGW_RTNAMES_H */
