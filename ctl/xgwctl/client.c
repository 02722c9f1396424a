// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The control socket client: one request, one reply (common/proto.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "json_print.h"
#include "xgwctl.h"
#include "sockio.h"

static int sock_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* The status line, one byte at a time (it is short): nothing of the
 * body is read with it. */
static int read_status(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < len) {
		r = read(fd, buf + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf[n++] == '\n') {
			buf[n] = '\0';
			return 0;
		}
	}
	buf[n] = '\0';
	return -EPROTO;
}

/* Exactly len bytes of body; fewer means the reply was cut. */
static int read_body(int fd, size_t len, struct reply *r)
{
	size_t got = 0;
	ssize_t n;

	r->body = malloc(len + 1);
	if (!r->body)
		return -ENOMEM;
	while (got < len) {
		n = read(fd, r->body + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPROTO;
		got += n;
	}
	r->body[len] = '\0';
	r->len = len;
	return 0;
}

/* An older xgwd (protocol 1) answered "ERR\n<why>" to our header. */
static int old_daemon(int fd, const char *st, struct reply *r)
{
	char *rest = NULL;
	size_t len = 0;

	if (strcmp(st, XGW_PROTO_ERR "\n") ||
	    xgw_recv_all(fd, 4096, &rest, &len))
		return -EPROTO;
	free(rest);
	r->status = 1;
	if (asprintf(&r->body, "xgwd speaks an older protocol than this xgwctl (%s): "
		     "upgrade xgwd\n", XGW_PROTO_MAGIC) < 0)
		return -ENOMEM;
	r->len = strlen(r->body);
	return 0;
}

int client__request(const char *path, const struct xgw_proto_hdr *h_in,
		    const char *body, size_t len, struct reply *r)
{
	struct xgw_proto_hdr h = *h_in;
	char hdr[XGW_PROTO_HDR_MAX], st[128];
	size_t blen;
	int fd, hl, err;

	memset(r, 0, sizeof(*r));
	if (len > XGW_PROTO_MAX_BODY)
		return -E2BIG;
	h.length = len;
	hl = xgw_proto_hdr_format(&h, hdr, sizeof(hdr));
	if (hl < 0)
		return hl;
	fd = sock_connect(path);
	if (fd < 0)
		return fd;
	/* xgwd may answer early (and close) on a bad request, so a failed
	 * write is not the end: its reply says why */
	if (!xgw_send_all(fd, hdr, hl))
		xgw_send_all(fd, body, len);
	err = read_status(fd, st, sizeof(st));
	if (!err) {
		r->status = xgw_proto_status_parse(st, &blen);
		if (r->status == -EPROTO)
			err = old_daemon(fd, st, r);
		else if (r->status < 0)
			err = -EPROTO;
		else
			err = read_body(fd, blen, r);
	}
	close(fd);
	if (err) {
		reply__free(r);
		return err == -ENOMEM ? err : -EPROTO;
	}
	return 0;
}

void reply__free(struct reply *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

void print_error(const struct opts *o, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jp_print_error(stderr, o->json, msg);
}

int report_connect_error(const struct opts *o, int err)
{
	if (err == -EPROTO)
		print_error(o, "%sxgwd at %s sent a malformed or cut reply",
			    o->json ? "" : "xgwctl: ", o->sock);
	else if (err == -E2BIG)
		print_error(o, "%srequest larger than the protocol's %lu bytes",
			    o->json ? "" : "xgwctl: ", XGW_PROTO_MAX_BODY);
	else
		print_error(o, "%scannot connect to xgwd at %s: %s",
			    o->json ? "" : "xgwctl: ", o->sock, strerror(-err));
	return 1;
}
