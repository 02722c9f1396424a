/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Running as a system daemon: the pidfile, readiness for systemd
 * (sd_notify), and where a detached xgwd's log lines go.
 */
#ifndef XGWD_DAEMON_H
#define XGWD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

/* Where a detached xgwd logs when the host has no syslog socket. */
#define XGWD_LOG_FALLBACK	"/var/log/xgwd.log"

/* Write our pid to path (atomically); 0 or -errno. */
int daemon__pidfile_write(const char *path);
/* Remove path if it still holds our pid. */
void daemon__pidfile_remove(const char *path);

/*
 * Tell systemd (when it started us: $NOTIFY_SOCKET) that we serve, reload
 * (READY=1 again when done), stop.
 */
void daemon__notify_ready(const char *status);
void daemon__notify_reloading(void);
void daemon__notify_stopping(void);

/*
 * Before a detached xgwd lets its parent exit: route log lines to syslog
 * when /dev/log takes them, else append them to XGWD_LOG_FALLBACK, and say
 * which on the (still attached) stderr. Then stderr no longer is a terminal.
 */
void daemon__log_detach(void);

/*
 * What precedes a log line on stderr: "<P>" for the journal (it keeps
 * the priority and adds the name itself), a timestamp and pid in the
 * fallback file, else "xgwd: ". prio is syslog's.
 */
const char *daemon__log_prefix(int prio, char *buf, size_t len);

#endif /* XGWD_DAEMON_H */
