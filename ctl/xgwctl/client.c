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

#define REPLY_MAX	(1UL << 30)	/* a route table dump can be large */

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

/* Split "OK\n<body>" into status and body (moved to the front). */
static int reply_split(struct reply *r)
{
	char *nl = memchr(r->body, '\n', r->len);
	size_t hl;

	if (!nl)
		return -EPROTO;
	r->status = xgw_proto_status_parse(r->body);
	if (r->status < 0)
		return -EPROTO;
	hl = nl + 1 - r->body;
	memmove(r->body, nl + 1, r->len - hl + 1);
	r->len -= hl;
	return 0;
}

int client__request(const char *path, const struct xgw_proto_hdr *h,
		    const char *body, size_t len, struct reply *r)
{
	char hdr[XGW_PROTO_HDR_MAX];
	int fd, hl, err;

	memset(r, 0, sizeof(*r));
	hl = xgw_proto_hdr_format(h, hdr, sizeof(hdr));
	if (hl < 0)
		return hl;
	if (len + hl > XGW_PROTO_MAX_REQUEST)
		return -E2BIG;
	fd = sock_connect(path);
	if (fd < 0)
		return fd;
	/* xgwd may answer early (and close) on a bad request, so a failed
	 * write is not the end: its reply says why */
	if (!xgw_send_all(fd, hdr, hl))
		xgw_send_all(fd, body, len);
	shutdown(fd, SHUT_WR);
	err = xgw_recv_all(fd, REPLY_MAX, &r->body, &r->len);
	if (!err)
		err = reply_split(r);
	close(fd);
	if (err) {
		reply__free(r);
		return -EPROTO;
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
		print_error(o, "%sxgwd at %s sent a malformed reply",
			    o->json ? "" : "xgwctl: ", o->sock);
	else if (err == -E2BIG)
		print_error(o, "%srequest larger than %u bytes",
			    o->json ? "" : "xgwctl: ", XGW_PROTO_MAX_REQUEST);
	else
		print_error(o, "%scannot connect to xgwd at %s: %s",
			    o->json ? "" : "xgwctl: ", o->sock, strerror(-err));
	return 1;
}
