/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* xgwd's one logger (util.c): stderr in the foreground, syslog once daemonized. */
#ifndef XGWD_LOG_H
#define XGWD_LOG_H

#include <stdbool.h>

extern int xgwd_verbose;	/* -v */
extern bool xgwd_syslog;	/* daemonized: log to syslog */
void xgwd_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define pr_warn(...)	xgwd_log(0, __VA_ARGS__)
#define pr_info(...)	xgwd_log(1, __VA_ARGS__)
#define pr_debug(...)	xgwd_log(2, __VA_ARGS__)

#endif /* XGWD_LOG_H */
