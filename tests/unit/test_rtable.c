// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The route table without a kernel (ctl/xgwd/rtable.c): own routes win over
 * followed ones for a prefix, followed ones are picked by metric then
 * table, deletes bring the next one back, the longest effective prefix is
 * found across both; and the table/protocol names of common/rtnames.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "../../ctl/xgwd/rtable.h"
#include "rtnames.h"

static struct xgw_prefix pfx(const char *s)
{
	struct xgw_prefix p;

	assert_int_equal(xgw_prefix_parse(s, &p), 0);
	return p;
}

static struct xgw_addr addr(const char *s)
{
	struct xgw_addr a;

	assert_int_equal(xgw_addr_parse(s, &a), 0);
	return a;
}

/* A route whose nh_id tells which one it is. */
static struct xgwd_route route(const char *p, __u8 origin, __u32 table, __u32 metric,
			       __u32 tag)
{
	struct xgwd_route r = {
		.dst = pfx(p), .type = XGW_ROUTE_BLACKHOLE, .origin = origin,
		.table = table, .priority = metric, .nh_id = tag,
	};

	return r;
}

static __u32 tag_of(struct xgwd_route *r)
{
	return r ? r->nh_id : 0;
}

static void free_tables(struct xgwd *d)
{
	xgwd_vec__free(&d->routes);
	free(d->rt_heads);
	rtable__kern_free(d);
}

static void test_effective(void **st)
{
	struct xgwd d = { .routes.size = sizeof(struct xgwd_route) };
	struct xgw_prefix p = pfx("10.1.0.0/16");
	struct xgwd_route k;
	size_t i;

	(void)st;
	assert_null(rtable__effective(&d, &p));
	k = route("10.1.0.0/16", XGWD_ORIGIN_KERNEL, 254, 20, 1);
	assert_int_equal(rtable__add(&d, &k), 0);
	k = route("10.1.0.0/16", XGWD_ORIGIN_KERNEL, 100, 10, 2);
	assert_int_equal(rtable__add(&d, &k), 0);
	k = route("10.1.0.0/16", XGWD_ORIGIN_KERNEL, 90, 10, 3);
	assert_int_equal(rtable__add(&d, &k), 0);
	/* lowest metric, then lowest table */
	assert_int_equal(tag_of(rtable__effective(&d, &p)), 3);
	k = route("10.1.0.0/16", XGWD_ORIGIN_OWN, 0, 0, 9);
	assert_int_equal(rtable__add(&d, &k), 0);
	assert_int_equal(tag_of(rtable__effective(&d, &p)), 9);	/* own wins */
	assert_non_null(rtable__find(&d, &p, &i));
	rtable__del(&d, XGWD_ORIGIN_OWN, i);
	assert_int_equal(tag_of(rtable__effective(&d, &p)), 3);	/* back */
	assert_non_null(rtable__kern_find(&d, &p, 90, 10, &i));
	rtable__del(&d, XGWD_ORIGIN_KERNEL, i);
	assert_int_equal(tag_of(rtable__effective(&d, &p)), 2);
	assert_null(rtable__kern_find(&d, &p, 90, 10, NULL));
	assert_int_equal(tag_of(rtable__kern_find(&d, &p, 254, 20, NULL)), 1);
	free_tables(&d);
}

static void test_longest(void **st)
{
	struct xgwd d = { .routes.size = sizeof(struct xgwd_route) };
	struct xgw_addr a = addr("10.1.2.3");
	struct xgwd_route r;
	int i;

	(void)st;
	r = route("10.0.0.0/8", XGWD_ORIGIN_OWN, 0, 0, 1);
	assert_int_equal(rtable__add(&d, &r), 0);
	r = route("10.1.0.0/16", XGWD_ORIGIN_KERNEL, 254, 0, 2);
	assert_int_equal(rtable__add(&d, &r), 0);
	assert_int_equal(tag_of(rtable__longest_prefix(&d, &a)), 2);
	r = route("10.1.2.0/24", XGWD_ORIGIN_OWN, 0, 0, 3);
	assert_int_equal(rtable__add(&d, &r), 0);
	assert_int_equal(tag_of(rtable__longest_prefix(&d, &a)), 3);
	/* many followed routes: the index grows and still finds each one */
	for (i = 0; i < 5000; i++) {
		char s[32];

		snprintf(s, sizeof(s), "20.%d.%d.0/24", i / 256, i % 256);
		r = route(s, XGWD_ORIGIN_KERNEL, 100, 0, 100 + i);
		assert_int_equal(rtable__add(&d, &r), 0);
	}
	a = addr("20.19.135.77");	/* i = 19 * 256 + 135 */
	assert_int_equal(tag_of(rtable__longest_prefix(&d, &a)), 100 + 19 * 256 + 135);
	free_tables(&d);
}

static void test_rtnames(void **st)
{
	char buf[32];
	unsigned long id;

	(void)st;
	assert_int_equal(xgw_rtname_parse(XGW_RTNAME_TABLE, "main", &id), 0);
	assert_int_equal(id, 254);
	assert_int_equal(xgw_rtname_parse(XGW_RTNAME_TABLE, "4294967295", &id), 0);
	assert_int_equal(xgw_rtname_parse(XGW_RTNAME_TABLE, "0", &id), -EINVAL);
	assert_int_equal(xgw_rtname_parse(XGW_RTNAME_TABLE, "nosuchtable", &id), -EINVAL);
	assert_int_equal(xgw_rtname_parse(XGW_RTNAME_PROTO, "bird", &id), 0);
	assert_int_equal(id, 12);
	assert_int_equal(xgw_rtname_parse(XGW_RTNAME_PROTO, "0", &id), 0);
	assert_int_equal(xgw_rtname_parse(XGW_RTNAME_PROTO, "256", &id), -EINVAL);
	assert_int_equal(xgw_rtname_parse(XGW_RTNAME_PROTO, "", &id), -EINVAL);
	assert_string_equal(xgw_rtname_str(XGW_RTNAME_TABLE, 255, false, buf, sizeof(buf)), "local");
	assert_string_equal(xgw_rtname_str(XGW_RTNAME_TABLE, 100, false, buf, sizeof(buf)), "100");
	assert_string_equal(xgw_rtname_str(XGW_RTNAME_PROTO, 186, false, buf, sizeof(buf)), "bgp");
	assert_string_equal(xgw_rtname_str(XGW_RTNAME_PROTO, 77, false, buf, sizeof(buf)), "77");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_effective),
		cmocka_unit_test(test_longest),
		cmocka_unit_test(test_rtnames),
	};

	return cmocka_run_group_tests_name("rtable", tests, NULL, NULL);
}
