/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xgwctl <-> xgwd control socket protocol (docs/TEAM.md "Protocol").
 *
 * Request:  "XGW/1 json=0|1 pretty=0|1 batch=0|1\n", then one command per
 *           line in common/cmd.h's grammar; the client then shuts down its
 *           write side. More than XGW_PROTO_MAX_REQUEST bytes: refused.
 * Response: "OK\n" or "ERR\n", then the body (text, or JSON with json=1);
 *           an ERR body is one line (`{"error": "..."}` under json). The
 *           server then closes.
 */
#ifndef XGW_PROTO_H
#define XGW_PROTO_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define XGW_PROTO_MAGIC		"XGW/1"
#define XGW_PROTO_MAX_REQUEST	(16u << 20)	/* bytes, header included */
#define XGW_PROTO_HDR_MAX	64		/* header line, newline included */
#define XGW_SOCKET_DEFAULT	"/run/xgw/xgw.sock"
#define XGW_PROTO_OK		"OK"
#define XGW_PROTO_ERR		"ERR"

struct xgw_proto_hdr {
	bool json;
	bool pretty;
	bool batch;
};

/* Write the request header line, '\n' included. Returns its length or
 * -ENOSPC. */
static inline int xgw_proto_hdr_format(const struct xgw_proto_hdr *h,
				       char *buf, size_t len)
{
	int n = snprintf(buf, len, XGW_PROTO_MAGIC " json=%d pretty=%d batch=%d\n",
			 h->json, h->pretty, h->batch);

	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

/* Parse one "key=0|1" word of the header into *h; seen guards repeats. */
static inline int xgw_proto__flag(const char *w, size_t n,
				  struct xgw_proto_hdr *h, unsigned int *seen)
{
	static const char *const keys[] = { "json", "pretty", "batch" };
	unsigned int i;
	bool v;

	for (i = 0; i < 3; i++) {
		size_t kl = strlen(keys[i]);

		if (n != kl + 2 || strncmp(w, keys[i], kl) || w[kl] != '=' ||
		    (w[kl + 1] != '0' && w[kl + 1] != '1'))
			continue;
		if (*seen & (1u << i))
			return -EINVAL;
		*seen |= 1u << i;
		v = w[kl + 1] == '1';
		if (i == 0)
			h->json = v;
		else if (i == 1)
			h->pretty = v;
		else
			h->batch = v;
		return 0;
	}
	return -EINVAL;
}

/*
 * Parse a request header line (a trailing "\n" or "\r\n" is allowed).
 * Strict: the magic first, then key=0|1 words separated by single spaces,
 * any order, each at most once, missing ones are 0. Returns 0 or -EINVAL
 * (*h is then undefined).
 */
static inline int xgw_proto_hdr_parse(const char *line,
				      struct xgw_proto_hdr *h)
{
	size_t ml = strlen(XGW_PROTO_MAGIC), n;
	unsigned int seen = 0;
	const char *p = line;

	memset(h, 0, sizeof(*h));
	if (strncmp(p, XGW_PROTO_MAGIC, ml))
		return -EINVAL;
	p += ml;
	while (*p == ' ') {
		p++;
		n = strcspn(p, " \r\n");
		if (xgw_proto__flag(p, n, h, &seen))
			return -EINVAL;
		p += n;
	}
	if (p[0] == '\r')
		p++;
	if (p[0] == '\n')
		p++;
	return *p ? -EINVAL : 0;
}

/* Response status line: 0 for OK, 1 for ERR, -EINVAL otherwise. */
static inline int xgw_proto_status_parse(const char *line)
{
	size_t n = strcspn(line, "\r\n");

	if (n == 2 && !strncmp(line, XGW_PROTO_OK, 2))
		return 0;
	if (n == 3 && !strncmp(line, XGW_PROTO_ERR, 3))
		return 1;
	return -EINVAL;
}

#endif /* XGW_PROTO_H */
