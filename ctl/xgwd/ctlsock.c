// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control socket (protocol: common/proto.h). Clients are served one at
 * a time from the main loop: requests are small and each is one
 * transaction on the shared state, so there is nothing to gain from
 * concurrency and a lot to lose. Peer credentials decide who may write.
 */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "json_print.h"
#include "proto.h"
#include "ctlsock.h"
#include "state.h"
#include "xgwd.h"
#include "sockio.h"

static gid_t ctl_gid = (gid_t)-1;

static int mkdir_parent(const char *path)
{
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path)], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static int ctlsock__addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* Is another xgwd answering on path? */
bool ctlsock__in_use(const char *path)
{
	struct sockaddr_un sa;
	int s, ok;

	if (ctlsock__addr(path, &sa))
		return false;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return false;
	ok = !connect(s, (struct sockaddr *)&sa, sizeof(sa));
	close(s);
	return ok;
}

int ctlsock__open(struct xgwd *d)
{
	const char *path = d->opts.socket;
	struct sockaddr_un sa;
	int s, err;

	if (d->opts.group) {
		struct group *g = getgrnam(d->opts.group);

		if (!g) {
			pr_warn("unknown group \"%s\"", d->opts.group);
			return -ENOENT;
		}
		ctl_gid = g->gr_gid;
	}
	err = ctlsock__addr(path, &sa);
	if (!err)
		err = mkdir_parent(path);
	if (err) {
		pr_warn("bad socket path %s: %s", path, strerror(-err));
		return err;
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	unlink(path);	/* stale: ctlsock__in_use() said nobody answers */
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0660) ||
	    (d->opts.group && chown(path, -1, ctl_gid)) || listen(s, 16)) {
		err = -errno;
		pr_warn("control socket %s: %s", path, strerror(errno));
		close(s);
		return err;
	}
	d->ctl_fd = s;
	return 0;
}

void ctlsock__close(struct xgwd *d)
{
	if (d->ctl_fd < 0)
		return;
	close(d->ctl_fd);
	unlink(d->opts.socket);
	d->ctl_fd = -1;
}

static bool peer_may_write(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	gid_t groups[256];
	int n = 256, i;
	struct passwd *pw;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return false;
	if (cr.uid == 0)
		return true;
	if (ctl_gid == (gid_t)-1)
		return false;
	if (cr.gid == ctl_gid)
		return true;
	pw = getpwuid(cr.uid);
	if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == ctl_gid)
			return true;
	return false;
}

/* Answer one request: "OK\n" + body, or "ERR\n" + one error line. */
static void ctlsock__handle(struct xgwd *d, int fd)
{
	struct xgw_proto_hdr h = {};
	char *req = NULL, *body = NULL, *nl = NULL, err[512] = "";
	size_t len = 0, blen = 0;
	FILE *out;
	int ret;

	ret = xgw_recv_all(fd, XGW_PROTO_MAX_REQUEST, &req, &len);
	if (ret == -EFBIG)
		snprintf(err, sizeof(err), "request larger than %u bytes refused",
			 XGW_PROTO_MAX_REQUEST);
	else if (ret)
		snprintf(err, sizeof(err), "cannot read request: %s", strerror(-ret));
	else if (strlen(req) != len)
		snprintf(err, sizeof(err), "request contains a NUL byte");
	else if (!(nl = strchr(req, '\n')) || (*nl = '\0', xgw_proto_hdr_parse(req, &h)))
		snprintf(err, sizeof(err), "malformed request header (expected \"%s "
			 "json=0|1 pretty=0|1 batch=0|1\")", XGW_PROTO_MAGIC);
	out = open_memstream(&body, &blen);
	if (!err[0] && out) {
		jp_open(out, h.json, h.pretty);
		pthread_mutex_lock(&d->lock);
		ret = xgwd__run(d, nl + 1, peer_may_write(fd), h.batch, err, sizeof(err));
		pthread_mutex_unlock(&d->lock);
		jp_close();
		if (ret && !err[0])
			snprintf(err, sizeof(err), "%s", strerror(-ret));
	} else if (!out) {
		snprintf(err, sizeof(err), "out of memory");
	}
	if (out)
		fclose(out);
	if (err[0]) {
		FILE *e = fdopen(dup(fd), "w");

		if (e) {
			fputs(XGW_PROTO_ERR "\n", e);
			jp_print_error(e, h.json, err);
			fclose(e);
		}
	} else {
		xgw_send_all(fd, XGW_PROTO_OK "\n", 3);
		xgw_send_all(fd, body, blen);
	}
	free(body);
	free(req);
}

/* Up to 16 clients per wake-up, so netlink events are never starved; a
 * client that stalls costs the loop at most the 2 s socket timeout. */
void ctlsock__serve(struct xgwd *d)
{
	int fd, n;

	for (n = 0; n < 16; n++) {
		fd = xgw_accept_timed(d->ctl_fd, 2);
		if (fd < 0)
			return;
		ctlsock__handle(d, fd);
		close(fd);
	}
}
