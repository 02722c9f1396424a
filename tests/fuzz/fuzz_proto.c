// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control-socket framing that is separable from xgwd's socket code
 * (common/proto.h): the request header line and the reply status line.
 * The input is treated as a whole request, as xgwd cuts it: the header is
 * everything before the first '\n'. Properties: an accepted header formats
 * and parses back to the same flags; the status parser answers 0, 1 or
 * -EINVAL. (xgwd's own reading loop lives in ctl/xgwd/ctlsock.c, static
 * and bound to a socket; the command lines after the header are the
 * grammar that fuzz_cmd covers.)
 */
#include <errno.h>
#include "fuzz.h"
#include "proto.h"

static void check_header(char *req)
{
	struct xgw_proto_hdr h, h2;
	char buf[XGW_PROTO_HDR_MAX];
	char *nl = strchr(req, '\n');
	int n;

	if (nl)
		*nl = '\0';
	if (xgw_proto_hdr_parse(req, &h))
		return;
	fuzz_assert(!strncmp(req, XGW_PROTO_MAGIC, strlen(XGW_PROTO_MAGIC)),
		    "accepted without the magic");
	n = xgw_proto_hdr_format(&h, buf, sizeof(buf));
	fuzz_assert(n > 0 && buf[n - 1] == '\n', "format returned %d", n);
	fuzz_assert(!xgw_proto_hdr_parse(buf, &h2) && h.json == h2.json &&
		    h.pretty == h2.pretty && h.batch == h2.batch,
		    "\"%s\" does not read back", buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	int r;

	r = xgw_proto_status_parse(s);
	fuzz_assert(r == 0 || r == 1 || r == -EINVAL, "status %d", r);
	check_header(s);
	free(s);
	return 0;
}
