/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xgwctl <-> xgwd control socket protocol, version 2 (docs/TEAM.md
 * "Protocol").
 *
 * Request:  "XGW/2 json=0|1 pretty=0|1 batch=0|1 length=N\n", then exactly
 *           N bytes: command lines in common/cmd.h's grammar, each ending
 *           in '\n'. A request whose N bytes do not all arrive (the client
 *           died, the connection was cut) is refused and changes nothing:
 *           the end of a request is its length, never the end of the
 *           stream. N up to XGW_PROTO_MAX_BODY.
 * Response: "OK length=N\n" or "ERR length=N\n", then exactly N bytes of
 *           body (text, or JSON with json=1); an ERR body is one line
 *           (`{"error": "..."}` under json). The server then closes.
 *
 * Version 1 ended a request at EOF, so a request cut mid-send looked
 * complete; xgwd answers an "XGW/1" header with a version-1 error reply
 * saying the client is too old, and xgwctl says so of an old xgwd.
 */
#ifndef XGW_PROTO_H
#define XGW_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define XGW_PROTO_MAGIC		"XGW/2"
#define XGW_PROTO_MAGIC_V1	"XGW/1"
/* A 1M-route batch is ~30 MB; 1 GiB holds an internet table many times. */
#define XGW_PROTO_MAX_BODY	(1ul << 30)
#define XGW_PROTO_HDR_MAX	96		/* a header line, '\n' included */
#define XGW_SOCKET_DEFAULT	"/run/xgw/xgw.sock"
#define XGW_PROTO_OK		"OK"
#define XGW_PROTO_ERR		"ERR"

struct xgw_proto_hdr {
	bool json;
	bool pretty;
	bool batch;
	size_t length;		/* body bytes that follow the header */
};

/* Write the request header line, '\n' included. Returns its length or
 * -ENOSPC. */
int xgw_proto_hdr_format(const struct xgw_proto_hdr *h, char *buf, size_t len);

/*
 * Parse a request header line (a trailing "\n" is allowed). Strict: the
 * magic first, then key=value words separated by single spaces, any order,
 * each at most once; json/pretty/batch are 0 or 1 (missing: 0), length is
 * required, decimal, at most XGW_PROTO_MAX_BODY. Returns 0, -EPROTO for a
 * version-1 header, -EFBIG for a length over the maximum, else -EINVAL.
 */
int xgw_proto_hdr_parse(const char *line, struct xgw_proto_hdr *h);

/* The reply status line: "OK length=N\n" / "ERR length=N\n". Returns its
 * length or -ENOSPC. */
int xgw_proto_status_format(bool ok, size_t length, char *buf, size_t len);

/*
 * Parse a reply status line (up to its '\n'): 0 for OK, 1 for ERR with
 * *length set; -EPROTO for a version-1 status ("OK" / "ERR" alone: an
 * older xgwd), -EINVAL otherwise.
 */
int xgw_proto_status_parse(const char *line, size_t *length);

/*
 * Reading one request incrementally, as bytes arrive (xgwd's control
 * socket feeds each read to it). The request is complete only once its
 * header and all of its declared body are in; anything short of that is
 * never handed out.
 */
enum xgw_req_state {
	XGW_REQ_HEADER,		/* reading the header line */
	XGW_REQ_BODY,		/* reading the body */
	XGW_REQ_DONE,		/* header and body complete: h and body valid */
	XGW_REQ_BAD,		/* refused: err says why */
};

struct xgw_proto_req {
	enum xgw_req_state state;
	int err;		/* XGW_REQ_BAD: -EINVAL, -EPROTO, -EFBIG, -ENOMEM */
	struct xgw_proto_hdr h;
	char hdr[XGW_PROTO_HDR_MAX + 1];
	size_t hlen;
	char *body;		/* NUL-terminated once DONE */
	size_t blen, bcap;
};

void xgw_proto_req_init(struct xgw_proto_req *r);
void xgw_proto_req_free(struct xgw_proto_req *r);

/*
 * Feed n bytes. Returns how many were consumed (bytes past the end of a
 * complete request are left alone); r->state tells what the request is
 * now. Bytes fed in any split give the same result.
 */
size_t xgw_proto_req_feed(struct xgw_proto_req *r, const char *p, size_t n);

/* The peer stopped sending (EOF) in state r->state: why that refuses the
 * request, in one line ("" when it was complete). */
const char *xgw_proto_req_eof_reason(const struct xgw_proto_req *r, char *buf,
				     size_t len);

/* The one-line reason of a refused request (state XGW_REQ_BAD). */
const char *xgw_proto_req_bad_reason(const struct xgw_proto_req *r);

#endif /* XGW_PROTO_H */
