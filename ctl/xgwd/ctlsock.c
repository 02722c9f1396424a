// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control socket (protocol: common/proto.h). Clients are served
 * concurrently from the main loop, never waited for: every connection is
 * non-blocking with its own state (request read so far, reply left to
 * send) and one deadline for its whole request, and there is a cap on
 * connections. A request runs only once its header and all of its
 * declared bytes are in, as one transaction under d->lock; a client that
 * stalls, trickles or dies mid-send holds nothing but its own slot, so
 * netlink events and other clients go on in the meantime.
 *
 * Who may write is decided by the peer's credentials as the kernel took
 * them at connect(): uid, gid and supplementary groups (SO_PEERCRED,
 * SO_PEERGROUPS), never by what /etc/group says now.
 */
#include <fcntl.h>
#include <stdint.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "ctlsock.h"
#include "json_print.h"
#include "proto.h"
#include "state.h"
#include "sockio.h"
#include "util.h"
#include "xgwd.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

struct ctl_conn {
	int fd;
	bool may_write;			/* from the peer's credentials */
	bool v1;			/* answer in version 1's framing */
	struct xgw_proto_req req;
	char *out;			/* reply: status line and body */
	size_t olen, ooff;
	long long deadline;		/* ms, CLOCK_MONOTONIC */
};

static struct {
	int ep;				/* epoll: listener and connections */
	gid_t gid;			/* --group, (gid_t)-1 if none */
	struct ctl_conn *conn[XGWD_CTL_MAX_CONN];
	unsigned int n;
	unsigned long refused;		/* over the connection cap */
	unsigned long timed_out;	/* past their deadline */
	unsigned long cut;		/* ended before the request was complete */
} ctl = { .ep = -1, .gid = (gid_t)-1 };

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

static int ctlsock__listen(struct xgwd *d, const char *path)
{
	struct sockaddr_un sa;
	int s, err;

	err = ctlsock__addr(path, &sa);
	if (!err)
		err = xgw_mkdir_parent(path);
	if (err) {
		pr_warn("bad socket path %s: %s", path, strerror(-err));
		return err;
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	unlink(path);	/* stale: ctlsock__in_use() said nobody answers */
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0660) ||
	    (d->opts.group && chown(path, -1, ctl.gid)) || listen(s, 128)) {
		err = -errno;
		pr_warn("control socket %s: %s", path, strerror(errno));
		close(s);
		return err;
	}
	return s;
}

int ctlsock__open(struct xgwd *d)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int s;

	if (d->opts.group) {
		struct group *g = getgrnam(d->opts.group);

		if (!g) {
			pr_warn("unknown group \"%s\"", d->opts.group);
			return -ENOENT;
		}
		ctlsock__set_group(g->gr_gid);
	}
	ctl.ep = epoll_create1(EPOLL_CLOEXEC);
	if (ctl.ep < 0)
		return -errno;
	s = ctlsock__listen(d, d->opts.socket);
	if (s < 0)
		return s;
	ev.data.ptr = NULL;	/* the listener */
	if (epoll_ctl(ctl.ep, EPOLL_CTL_ADD, s, &ev)) {
		close(s);
		return -errno;
	}
	d->ctl_fd = s;
	return 0;
}

static void conn_close(struct ctl_conn *c)
{
	unsigned int i;

	for (i = 0; i < ctl.n; i++) {
		if (ctl.conn[i] != c)
			continue;
		ctl.conn[i] = ctl.conn[--ctl.n];
		break;
	}
	close(c->fd);	/* also leaves the epoll set */
	xgw_proto_req_free(&c->req);
	free(c->out);
	free(c);
}

void ctlsock__close(struct xgwd *d)
{
	while (ctl.n)
		conn_close(ctl.conn[0]);
	if (ctl.ep >= 0)
		close(ctl.ep);
	ctl.ep = -1;
	if (d->ctl_fd < 0)
		return;
	close(d->ctl_fd);
	unlink(d->opts.socket);
	d->ctl_fd = -1;
}

int ctlsock__fd(void)
{
	return ctl.ep;
}

void ctlsock__set_group(gid_t gid)
{
	ctl.gid = gid;
}

bool ctlsock__gid_may_write(gid_t gid, const gid_t *groups, int n)
{
	int i;

	if (ctl.gid == (gid_t)-1)
		return false;
	if (gid == ctl.gid)
		return true;
	for (i = 0; i < n; i++)
		if (groups[i] == ctl.gid)
			return true;
	return false;
}

/* Root, or the --group as the peer's gid or one of its groups at connect(). */
static bool peer_may_write(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	gid_t small[64], *groups = small;
	bool ok;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return false;
	if (cr.uid == 0)
		return true;
	len = sizeof(small);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, small, &len)) {
		if (errno != ERANGE || !(groups = malloc(len)))
			return ctlsock__gid_may_write(cr.gid, NULL, 0);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
			len = 0;
	}
	ok = ctlsock__gid_may_write(cr.gid, groups, len / sizeof(gid_t));
	if (groups != small)
		free(groups);
	return ok;
}

/* Switch c to sending: status line (of c's framing) and body. */
static void conn_reply(struct ctl_conn *c, bool ok, const char *body, size_t blen)
{
	char st[64];
	int n;

	if (c->v1)
		n = snprintf(st, sizeof(st), "%s\n", ok ? XGW_PROTO_OK : XGW_PROTO_ERR);
	else
		n = xgw_proto_status_format(ok, blen, st, sizeof(st));
	free(c->out);
	c->out = malloc(n + blen);
	c->olen = c->ooff = 0;
	if (!c->out)
		return;
	memcpy(c->out, st, n);
	memcpy(c->out + n, body, blen);
	c->olen = n + blen;
	c->deadline = xgw_now_ms() + XGWD_CTL_REPLY_MS;
}

static void conn_error(struct ctl_conn *c, const char *msg)
{
	char *body = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&body, &blen);

	if (f) {
		jp_print_error(f, c->req.h.json, msg);
		fclose(f);
	}
	conn_reply(c, false, body ? body : "", body ? blen : 0);
	free(body);
}

/* The request is complete: run it as one transaction. */
static void conn_run(struct xgwd *d, struct ctl_conn *c)
{
	struct xgw_proto_hdr *h = &c->req.h;
	char *body = NULL, err[512] = "";
	size_t blen = 0;
	FILE *out = open_memstream(&body, &blen);
	int ret;

	if (!out) {
		conn_error(c, "out of memory");
		return;
	}
	jp_open(out, h->json, h->pretty);
	pthread_mutex_lock(&d->lock);
	ret = xgwd__run(d, c->req.body, c->may_write, h->batch, err, sizeof(err));
	pthread_mutex_unlock(&d->lock);
	jp_close();
	fclose(out);
	xgw_proto_req_free(&c->req);	/* a big batch: give it back now */
	if (ret && !err[0])
		snprintf(err, sizeof(err), "%s", strerror(-ret));
	if (err[0])
		conn_error(c, err);
	else
		conn_reply(c, true, body, blen);
	free(body);
}

/* Send what the socket takes; closed once all is sent or on error. */
static void conn_send(struct ctl_conn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };

	while (c->ooff < c->olen) {
		ssize_t n = send(c->fd, c->out + c->ooff, c->olen - c->ooff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			epoll_ctl(ctl.ep, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (n <= 0)
			break;
		c->ooff += n;
	}
	conn_close(c);
}

/* Read what is there (at most XGWD_CTL_READ_MAX bytes a turn, so one
 * client streaming a huge batch never holds the loop); run when complete. */
static void conn_read(struct xgwd *d, struct ctl_conn *c)
{
	char buf[65536], why[160];
	size_t total = 0;
	ssize_t n;

	while (total < XGWD_CTL_READ_MAX) {
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* EOF or error before the request was complete */
			ctl.cut++;
			pr_debug("control client: %s",
				 xgw_proto_req_eof_reason(&c->req, why, sizeof(why)));
			conn_error(c, why);
			conn_send(c);
			return;
		}
		total += n;
		xgw_proto_req_feed(&c->req, buf, n);
		if (c->req.state == XGW_REQ_DONE) {
			conn_run(d, c);
			conn_send(c);
			return;
		}
		if (c->req.state == XGW_REQ_BAD) {
			c->v1 = c->req.err == -EPROTO;
			conn_error(c, xgw_proto_req_bad_reason(&c->req));
			conn_send(c);
			return;
		}
	}
}

/* Over the cap: one line saying so, never a wait. */
static void ctlsock__refuse(int fd)
{
	static const char msg[] = "too many control connections; retry\n";
	char st[64];
	int n = xgw_proto_status_format(false, sizeof(msg) - 1, st, sizeof(st));

	ctl.refused++;
	if (n < 0 || send(fd, st, n, MSG_NOSIGNAL | MSG_DONTWAIT) != n ||
	    send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		pr_debug("refused control client: %s", strerror(errno));
	close(fd);
}

static void ctlsock__accept(int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ctl_conn *c;
	int fd, i;

	for (i = 0; i < 64; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		c = ctl.n < XGWD_CTL_MAX_CONN ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			ctlsock__refuse(fd);
			continue;
		}
		c->fd = fd;
		c->may_write = peer_may_write(fd);
		c->deadline = xgw_now_ms() + XGWD_CTL_REQUEST_MS;
		xgw_proto_req_init(&c->req);
		ev.data.ptr = c;
		if (epoll_ctl(ctl.ep, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		ctl.conn[ctl.n++] = c;
	}
}

void ctlsock__serve(struct xgwd *d)
{
	struct epoll_event ev[64];
	int n, i;

	n = epoll_wait(ctl.ep, ev, 64, 0);
	for (i = 0; i < n; i++) {
		struct ctl_conn *c = ev[i].data.ptr;

		if (!c)
			ctlsock__accept(d->ctl_fd);
		else if (c->olen)
			conn_send(c);
		else
			conn_read(d, c);
	}
}

int ctlsock__tick(void)
{
	long long now = xgw_now_ms(), next = -1;
	unsigned int i = 0;

	while (i < ctl.n) {
		struct ctl_conn *c = ctl.conn[i];

		if (c->deadline > now) {
			if (next < 0 || c->deadline - now < next)
				next = c->deadline - now;
			i++;
			continue;
		}
		ctl.timed_out++;
		pr_debug("control client: %s", c->olen ? "reply not taken in time" :
			 "request not complete in time: nothing applied");
		if (!c->olen) {
			char msg[96];

			snprintf(msg, sizeof(msg), "request not complete within %d s: "
				 "nothing applied", XGWD_CTL_REQUEST_MS / 1000);
			conn_error(c, msg);
			/* one try, never a wait: the client is stuck anyway */
			if (c->olen)
				(void)send(c->fd, c->out, c->olen, MSG_NOSIGNAL | MSG_DONTWAIT);
		}
		conn_close(c);	/* the array moved: same i again */
	}
	return next > INT32_MAX ? INT32_MAX : (int)next;
}

void ctlsock__stats(struct ctlsock_stats *st)
{
	st->open = ctl.n;
	st->refused = ctl.refused;
	st->timed_out = ctl.timed_out;
	st->cut = ctl.cut;
}
