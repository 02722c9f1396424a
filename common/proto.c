// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The control socket protocol's framing (common/proto.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proto.h"

int xgw_proto_hdr_format(const struct xgw_proto_hdr *h, char *buf, size_t len)
{
	int n = snprintf(buf, len, XGW_PROTO_MAGIC " json=%d pretty=%d batch=%d length=%zu\n",
			 h->json, h->pretty, h->batch, h->length);

	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

/* A decimal size: digits only, no sign, no leading zero but "0" itself. */
static int parse_size(const char *w, size_t n, size_t max, size_t *out)
{
	size_t v = 0, i;

	if (!n || n > 12 || (w[0] == '0' && n > 1))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return -EINVAL;
		v = v * 10 + (w[i] - '0');
	}
	if (v > max)
		return -EFBIG;
	*out = v;
	return 0;
}

/* One "key=value" word of the header into *h; seen guards repeats. */
static int hdr_word(const char *w, size_t n, struct xgw_proto_hdr *h, unsigned int *seen)
{
	static const char *const keys[] = { "json", "pretty", "batch", "length" };
	bool *flags[] = { &h->json, &h->pretty, &h->batch };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		size_t kl = strlen(keys[i]);

		if (n <= kl + 1 || strncmp(w, keys[i], kl) || w[kl] != '=')
			continue;
		if (*seen & (1u << i))
			return -EINVAL;
		*seen |= 1u << i;
		if (i == 3)
			return parse_size(w + kl + 1, n - kl - 1, XGW_PROTO_MAX_BODY, &h->length);
		if (n != kl + 2 || (w[kl + 1] != '0' && w[kl + 1] != '1'))
			return -EINVAL;
		*flags[i] = w[kl + 1] == '1';
		return 0;
	}
	return -EINVAL;
}

int xgw_proto_hdr_parse(const char *line, struct xgw_proto_hdr *h)
{
	size_t ml = strlen(XGW_PROTO_MAGIC), n;
	unsigned int seen = 0;
	const char *p = line;
	int err;

	memset(h, 0, sizeof(*h));
	if (!strncmp(p, XGW_PROTO_MAGIC_V1, ml) && (p[ml] == ' ' || p[ml] == '\n' || !p[ml]))
		return -EPROTO;
	if (strncmp(p, XGW_PROTO_MAGIC, ml))
		return -EINVAL;
	p += ml;
	while (*p == ' ') {
		p++;
		n = strcspn(p, " \n");
		err = hdr_word(p, n, h, &seen);
		if (err)
			return err;
		p += n;
	}
	if (p[0] == '\n')
		p++;
	if (*p || !(seen & (1u << 3)))
		return -EINVAL;
	return 0;
}

int xgw_proto_status_format(bool ok, size_t length, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s length=%zu\n", ok ? XGW_PROTO_OK : XGW_PROTO_ERR,
			 length);

	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

int xgw_proto_status_parse(const char *line, size_t *length)
{
	size_t n = strcspn(line, "\n"), sl;
	int st;

	if (!strncmp(line, XGW_PROTO_OK, 2) && (n == 2 || line[2] == ' '))
		st = 0, sl = 2;
	else if (!strncmp(line, XGW_PROTO_ERR, 3) && (n == 3 || line[3] == ' '))
		st = 1, sl = 3;
	else
		return -EINVAL;
	if (n == sl)
		return -EPROTO;
	if (n < sl + 8 || strncmp(line + sl, " length=", 8) ||
	    parse_size(line + sl + 8, n - sl - 8, (size_t)-1 / 10, length))
		return -EINVAL;
	return st;
}

void xgw_proto_req_init(struct xgw_proto_req *r)
{
	memset(r, 0, sizeof(*r));
	r->state = XGW_REQ_HEADER;
}

void xgw_proto_req_free(struct xgw_proto_req *r)
{
	free(r->body);
	r->body = NULL;
	r->blen = r->bcap = 0;
}

static void req_bad(struct xgw_proto_req *r, int err)
{
	r->state = XGW_REQ_BAD;
	r->err = err;
}

/* The header line is in r->hdr: parse it, get room for the body. */
static void req_header_done(struct xgw_proto_req *r)
{
	int err;

	r->hdr[r->hlen] = '\0';
	err = xgw_proto_hdr_parse(r->hdr, &r->h);
	if (err) {
		req_bad(r, err);
		return;
	}
	/* grown as bytes arrive: a header alone never reserves its length */
	r->bcap = r->h.length < 65536 ? r->h.length : 65536;
	r->body = malloc(r->bcap + 1);
	if (!r->body) {
		req_bad(r, -ENOMEM);
		return;
	}
	r->state = XGW_REQ_BODY;
}

/* All of the body is in: every line ends in '\n', no NUL byte. */
static void req_body_done(struct xgw_proto_req *r)
{
	r->body[r->blen] = '\0';
	if (memchr(r->body, '\0', r->blen))
		req_bad(r, -EBADMSG);
	else if (r->blen && r->body[r->blen - 1] != '\n')
		req_bad(r, -EILSEQ);
	else
		r->state = XGW_REQ_DONE;
}

static size_t req_feed_header(struct xgw_proto_req *r, const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);
	size_t take = nl ? (size_t)(nl - p) + 1 : n;

	if (r->hlen + take > XGW_PROTO_HDR_MAX) {
		req_bad(r, -EINVAL);
		return 0;
	}
	memcpy(r->hdr + r->hlen, p, take);
	r->hlen += take;
	if (nl)
		req_header_done(r);
	return take;
}

static size_t req_feed_body(struct xgw_proto_req *r, const char *p, size_t n)
{
	size_t want = r->h.length - r->blen, take = n < want ? n : want;

	if (r->blen + take > r->bcap) {
		size_t cap = r->bcap * 2 > r->blen + take ? r->bcap * 2 : r->blen + take;
		char *nb;

		if (cap > r->h.length)
			cap = r->h.length;
		nb = realloc(r->body, cap + 1);
		if (!nb) {
			req_bad(r, -ENOMEM);
			return 0;
		}
		r->body = nb;
		r->bcap = cap;
	}
	memcpy(r->body + r->blen, p, take);
	r->blen += take;
	return take;
}

size_t xgw_proto_req_feed(struct xgw_proto_req *r, const char *p, size_t n)
{
	size_t used = 0;

	while (r->state == XGW_REQ_HEADER || r->state == XGW_REQ_BODY) {
		if (r->state == XGW_REQ_HEADER) {
			if (used == n)
				break;
			used += req_feed_header(r, p + used, n - used);
			continue;
		}
		used += req_feed_body(r, p + used, n - used);
		if (r->state == XGW_REQ_BODY && r->blen == r->h.length)
			req_body_done(r);
		if (used == n)
			break;
	}
	return used;
}

const char *xgw_proto_req_eof_reason(const struct xgw_proto_req *r, char *buf, size_t len)
{
	switch (r->state) {
	case XGW_REQ_HEADER:
		snprintf(buf, len, r->hlen ? "request cut off in its header: nothing applied" :
			 "empty request");
		break;
	case XGW_REQ_BODY:
		snprintf(buf, len, "request cut off after %zu of its %zu bytes: nothing applied",
			 r->blen, r->h.length);
		break;
	case XGW_REQ_BAD:
		snprintf(buf, len, "%s", xgw_proto_req_bad_reason(r));
		break;
	default:
		buf[0] = '\0';
	}
	return buf;
}

const char *xgw_proto_req_bad_reason(const struct xgw_proto_req *r)
{
	switch (r->err) {
	case -EPROTO:
		return "protocol " XGW_PROTO_MAGIC_V1 " is not served: this xgwctl is older "
		       "than xgwd (" XGW_PROTO_MAGIC "), upgrade it";
	case -EFBIG:
		return "request longer than the protocol's maximum (1 GiB) refused";
	case -ENOMEM:
		return "out of memory reading the request";
	case -EBADMSG:
		return "request contains a NUL byte";
	case -EILSEQ:
		return "request does not end with a newline: nothing applied";
	default:
		return "malformed request header (expected \"" XGW_PROTO_MAGIC
		       " json=0|1 pretty=0|1 batch=0|1 length=N\")";
	}
}
