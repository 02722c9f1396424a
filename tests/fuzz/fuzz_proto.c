// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control socket's framing (common/proto.c), as xgwd reads it from a
 * socket: the input is the byte stream a client sent. Properties:
 * - a request is complete (XGW_REQ_DONE) only with a valid header and
 *   exactly its declared body: every cut-off prefix of a complete request
 *   is not complete, so nothing of it could run;
 * - how the bytes are split across reads never changes the outcome;
 * - a complete request's body is its header's length, ends in '\n' and
 *   holds no NUL; an accepted header formats and parses back the same;
 * - the reply status parser answers 0, 1, -EPROTO or -EINVAL only.
 */
#include <errno.h>
#include "fuzz.h"
#include "proto.h"

/* Feed data in pieces whose sizes come from seed; the final state. */
static void feed_split(struct xgw_proto_req *r, const uint8_t *data, size_t size,
		       unsigned int seed, size_t *used)
{
	size_t off = 0, n;

	xgw_proto_req_init(r);
	*used = 0;
	while (off < size && (r->state == XGW_REQ_HEADER || r->state == XGW_REQ_BODY)) {
		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % 97;
		if (n > size - off)
			n = size - off;
		*used += xgw_proto_req_feed(r, (const char *)data + off, n);
		off += n;
	}
}

static void check_header(const struct xgw_proto_hdr *h)
{
	struct xgw_proto_hdr h2;
	char buf[XGW_PROTO_HDR_MAX];
	int n = xgw_proto_hdr_format(h, buf, sizeof(buf));

	fuzz_assert(n > 0 && buf[n - 1] == '\n', "format returned %d", n);
	fuzz_assert(!xgw_proto_hdr_parse(buf, &h2) && h->json == h2.json &&
		    h->pretty == h2.pretty && h->batch == h2.batch &&
		    h->length == h2.length, "\"%s\" does not read back", buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xgw_proto_req whole, split, cut;
	size_t used, used2, used3, len, k;
	char *s = fuzz_str(data, size);
	int r;

	r = xgw_proto_status_parse(s, &len);
	fuzz_assert(r == 0 || r == 1 || r == -EPROTO || r == -EINVAL, "status %d", r);
	free(s);

	xgw_proto_req_init(&whole);
	used = xgw_proto_req_feed(&whole, (const char *)data, size);
	feed_split(&split, data, size, size ? data[0] : 0, &used2);
	fuzz_assert(whole.state == split.state &&
		    (whole.state != XGW_REQ_DONE || used == used2),
		    "split changes the outcome: %d/%zu vs %d/%zu", whole.state, used,
		    split.state, used2);
	if (whole.state == XGW_REQ_DONE) {
		fuzz_assert(used == whole.hlen + whole.h.length, "used %zu", used);
		fuzz_assert(whole.blen == whole.h.length &&
			    !memcmp(whole.body, data + whole.hlen, whole.blen) &&
			    (!whole.blen || whole.body[whole.blen - 1] == '\n') &&
			    strlen(whole.body) == whole.blen, "bad body");
		check_header(&whole.h);
		/* any cut of the complete request is incomplete */
		for (k = 0; k < 8 && used; k++) {
			size_t at = (k * 2654435761u + (size ? data[size - 1] : 0)) % used;

			xgw_proto_req_init(&cut);
			used3 = xgw_proto_req_feed(&cut, (const char *)data, at);
			fuzz_assert(cut.state != XGW_REQ_DONE && used3 <= at,
				    "a cut at %zu of %zu is complete", at, used);
			xgw_proto_req_free(&cut);
		}
	}
	xgw_proto_req_free(&whole);
	xgw_proto_req_free(&split);
	return 0;
}
