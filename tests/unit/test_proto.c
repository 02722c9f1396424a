// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control protocol's framing (common/proto.c): header and status
 * lines, strict; a request is complete only with all of its declared
 * bytes, so a request cut mid-send never runs (#14.1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void test_header(void **state)
{
	static const struct {
		const char *line;
		int ret;
		bool json, pretty, batch;
		size_t length;
	} cases[] = {
		{ "XGW/2 json=0 pretty=0 batch=0 length=11\n", 0, 0, 0, 0, 11 },
		{ "XGW/2 json=1 pretty=1 batch=1 length=0", 0, 1, 1, 1, 0 },
		{ "XGW/2 length=5 batch=1 json=1\n", 0, 1, 0, 1, 5 },
		{ "XGW/2 length=1073741824\n", 0, 0, 0, 0, 1u << 30 },
		{ "XGW/2 length=1073741825\n", -EFBIG, 0, 0, 0, 0 },
		{ "XGW/2 length=999999999999\n", -EFBIG, 0, 0, 0, 0 },
		{ "XGW/2 length=9999999999999\n", -EINVAL, 0, 0, 0, 0 },
		{ "XGW/2\n", -EINVAL, 0, 0, 0, 0 },		/* length is required */
		{ "XGW/2 json=0\n", -EINVAL, 0, 0, 0, 0 },
		{ "XGW/2 length=07\n", -EINVAL, 0, 0, 0, 0 },
		{ "XGW/2 length=-1\n", -EINVAL, 0, 0, 0, 0 },
		{ "XGW/2 length=1 length=1\n", -EINVAL, 0, 0, 0, 0 },
		{ "XGW/2 json=2 length=1\n", -EINVAL, 0, 0, 0, 0 },
		{ "XGW/2 color=1 length=1\n", -EINVAL, 0, 0, 0, 0 },
		{ "XGW/2  length=1\n", -EINVAL, 0, 0, 0, 0 },
		{ "XGW/2 length=1 \n", -EINVAL, 0, 0, 0, 0 },
		{ "XGW/2 length=1\r\n", -EINVAL, 0, 0, 0, 0 },
		{ "XGW/2 length=1\nroute show\n", -EINVAL, 0, 0, 0, 0 },
		{ "XGW/1 json=0 pretty=0 batch=0\n", -EPROTO, 0, 0, 0, 0 },
		{ "XGW/1\n", -EPROTO, 0, 0, 0, 0 },
		{ "XGW/10 length=1\n", -EINVAL, 0, 0, 0, 0 },
		{ "route show\n", -EINVAL, 0, 0, 0, 0 },
		{ "", -EINVAL, 0, 0, 0, 0 },
	};
	struct xgw_proto_hdr h = { .json = true, .batch = true, .length = 42 }, g;
	char buf[XGW_PROTO_HDR_MAX];
	volatile size_t small = 10;	/* hide the truncation from -Wformat */
	size_t i;

	(void)state;
	assert_int_equal(xgw_proto_hdr_format(&h, buf, sizeof(buf)), 40);
	assert_string_equal(buf, "XGW/2 json=1 pretty=0 batch=1 length=42\n");
	assert_int_equal(xgw_proto_hdr_format(&h, buf, small), -ENOSPC);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = xgw_proto_hdr_parse(cases[i].line, &g);

		if (r != cases[i].ret)
			fail_msg("header \"%s\": %d, want %d", cases[i].line, r, cases[i].ret);
		if (r)
			continue;
		assert_int_equal(g.json, cases[i].json);
		assert_int_equal(g.pretty, cases[i].pretty);
		assert_int_equal(g.batch, cases[i].batch);
		assert_int_equal(g.length, cases[i].length);
	}
}

static void test_status(void **state)
{
	size_t len = 99;
	char buf[64];

	(void)state;
	assert_int_equal(xgw_proto_status_format(true, 12, buf, sizeof(buf)), 13);
	assert_string_equal(buf, "OK length=12\n");
	assert_int_equal(xgw_proto_status_parse("OK length=12\n", &len), 0);
	assert_int_equal(len, 12);
	assert_int_equal(xgw_proto_status_parse("ERR length=0\n", &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(xgw_proto_status_parse("OK\n", &len), -EPROTO);
	assert_int_equal(xgw_proto_status_parse("ERR\n", &len), -EPROTO);
	assert_int_equal(xgw_proto_status_parse("OKAY length=1\n", &len), -EINVAL);
	assert_int_equal(xgw_proto_status_parse("OK length=\n", &len), -EINVAL);
	assert_int_equal(xgw_proto_status_parse("OK length=1x\n", &len), -EINVAL);
	assert_int_equal(xgw_proto_status_parse("", &len), -EINVAL);
}

/* Feed s whole; the state reached. */
static enum xgw_req_state feed(struct xgw_proto_req *r, const char *s, size_t n)
{
	xgw_proto_req_init(r);
	xgw_proto_req_feed(r, s, n);
	return r->state;
}

/* The case: `backend del 10.77.0.100:80/tcp 10.77.0.250` cut after
 * 10.77.0.2 parses as a command, so only the length can tell. Every cut of
 * the request is incomplete; whole, it is complete, fed in any split. */
static void test_cut_never_complete(void **state)
{
	static const char req[] =
		"XGW/2 json=0 pretty=0 batch=0 length=43\n"
		"backend del 10.77.0.100:80/tcp 10.77.0.250\n";
	struct xgw_proto_req r;
	char why[160];
	size_t n = sizeof(req) - 1, cut, step;

	(void)state;
	assert_int_equal(feed(&r, req, n), XGW_REQ_DONE);
	assert_string_equal(r.body, "backend del 10.77.0.100:80/tcp 10.77.0.250\n");
	xgw_proto_req_free(&r);
	for (cut = 0; cut < n; cut++) {
		enum xgw_req_state s = feed(&r, req, cut);

		if (s == XGW_REQ_DONE)
			fail_msg("cut at %zu is complete", cut);
		xgw_proto_req_eof_reason(&r, why, sizeof(why));
		assert_true(why[0]);
		xgw_proto_req_free(&r);
	}
	feed(&r, req, n - 3);		/* "...10.77.0.2" */
	xgw_proto_req_eof_reason(&r, why, sizeof(why));
	assert_string_equal(why, "request cut off after 40 of its 43 bytes: nothing applied");
	xgw_proto_req_free(&r);
	for (step = 1; step < 8; step++) {
		size_t off, used = 0;

		xgw_proto_req_init(&r);
		for (off = 0; off < n; off += step)
			used += xgw_proto_req_feed(&r, req + off, off + step > n ? n - off : step);
		assert_int_equal(r.state, XGW_REQ_DONE);
		assert_int_equal(used, n);
		xgw_proto_req_free(&r);
	}
}

static void test_refused(void **state)
{
	static const struct {
		const char *req;
		size_t len;
		int err;
	} cases[] = {
		{ "XGW/2 length=5\nab\0c\n", 20, -EBADMSG },
		{ "XGW/2 length=4\nabcd", 19, -EILSEQ },
		{ "XGW/1 json=0 pretty=0 batch=0\nroute show\n", 41, -EPROTO },
		{ "XGW/2 length=2000000000\n", 24, -EFBIG },
		{ "hello there\nroute show\n", 23, -EINVAL },
	};
	char big[200];
	struct xgw_proto_req r;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(feed(&r, cases[i].req, cases[i].len), XGW_REQ_BAD);
		assert_int_equal(r.err, cases[i].err);
		assert_true(strlen(xgw_proto_req_bad_reason(&r)) > 10);
		xgw_proto_req_free(&r);
	}
	/* a header line longer than the limit: refused without its newline */
	memset(big, 'x', sizeof(big));
	memcpy(big, "XGW/2 ", 6);
	assert_int_equal(feed(&r, big, sizeof(big)), XGW_REQ_BAD);
	xgw_proto_req_free(&r);
}

/* Bytes after a complete request are not taken; an empty body is fine. */
static void test_length_is_the_end(void **state)
{
	static const char req[] = "XGW/2 length=11\nroute show\nroute add 1.2.3.4 blackhole\n";
	struct xgw_proto_req r;

	(void)state;
	xgw_proto_req_init(&r);
	assert_int_equal(xgw_proto_req_feed(&r, req, sizeof(req) - 1), 16 + 11);
	assert_int_equal(r.state, XGW_REQ_DONE);
	assert_string_equal(r.body, "route show\n");
	xgw_proto_req_free(&r);
	assert_int_equal(feed(&r, "XGW/2 length=0\n", 15), XGW_REQ_DONE);
	assert_int_equal(r.blen, 0);
	xgw_proto_req_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_cut_never_complete),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_length_is_the_end),
	};

	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
