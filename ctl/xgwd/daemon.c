// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Running as a system daemon. Under systemd (Type=notify) xgwd stays in the
 * foreground, logs to stderr (the journal) and says READY=1 once the state
 * file is applied and the control socket listens. Detached by itself, it
 * logs to syslog, or to a file when the host has no syslog socket (a
 * container, a minimal host): a log line is never dropped silently.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include "daemon.h"
#include "xgwd.h"

int daemon__pidfile_write(const char *path)
{
	char tmp[4096], buf[32];
	int fd, n, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (fchmod(fd, 0644) || write(fd, buf, n) != n)
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

void daemon__pidfile_remove(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && atoi(buf) == (int)getpid())
		unlink(path);
	fclose(f);
}

void daemon__notify_ready(const char *status)
{
	/* 0 without $NOTIFY_SOCKET: not started by systemd, nothing to say */
	if (sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%d", status, (int)getpid()) < 0)
		pr_warn("cannot notify systemd of readiness");
}

void daemon__notify_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading the state file");
}

void daemon__notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping; the datapath keeps forwarding");
}

/* Does the syslog socket take datagrams? glibc's syslog() drops them silently. */
static bool syslog_works(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = _PATH_LOG };
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (s < 0)
		return false;
	ok = !connect(s, (struct sockaddr *)&sa, sizeof(sa));
	close(s);
	return ok;
}

static enum { LOG_PLAIN, LOG_JOURNAL, LOG_FILE } log_mode = -1;

/* systemd sets $JOURNAL_STREAM to the device:inode of the stream it gave us. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;

	return js && sscanf(js, "%lu:%lu", &dev, &ino) == 2 &&
	       !fstat(STDERR_FILENO, &st) && st.st_dev == dev && st.st_ino == ino;
}

const char *daemon__log_prefix(int prio, char *buf, size_t len)
{
	struct tm tm;
	time_t now;

	if ((int)log_mode < 0)
		log_mode = stderr_is_journal() ? LOG_JOURNAL : LOG_PLAIN;
	switch (log_mode) {
	case LOG_JOURNAL:
		snprintf(buf, len, "<%d>", prio);
		return buf;
	case LOG_FILE:
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(buf + strlen(buf), len - strlen(buf), " xgwd[%d]: ", (int)getpid());
		return buf;
	default:
		return "xgwd: ";
	}
}

void daemon__log_detach(void)
{
	int fd;

	if (syslog_works()) {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		xgwd_syslog = true;
		openlog("xgwd", LOG_PID, LOG_DAEMON);
	} else {
		fd = open(XGWD_LOG_FALLBACK, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd >= 0) {
			fprintf(stderr, "xgwd: no syslog socket at %s: logging to %s\n",
				_PATH_LOG, XGWD_LOG_FALLBACK);
			log_mode = LOG_FILE;
		}
		else
			fprintf(stderr, "xgwd: no syslog socket at %s and cannot open %s "
				"(%s): run with --foreground to see the log\n", _PATH_LOG,
				XGWD_LOG_FALLBACK, strerror(errno));
	}
	if (fd < 0)
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
}
