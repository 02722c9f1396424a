// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Address, prefix, MAC, service and number parsers (common/addr.c): good
 * inputs with their exact bytes, tables of bad inputs that must be refused
 * without touching the output, and printing round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include "addr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void test_addr_good(void **state)
{
	struct xgw_addr a;

	(void)state;
	assert_int_equal(xgw_addr_parse("192.0.2.1", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.a[0], htonl(0xc0000201));
	assert_int_equal(a.a[1] | a.a[2] | a.a[3], 0);

	assert_int_equal(xgw_addr_parse("2001:db8::1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.a[0], htonl(0x20010db8));
	assert_int_equal(a.a[3], htonl(1));

	assert_int_equal(xgw_addr_parse("::ffff:10.0.0.1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.a[2], htonl(0xffff));
	assert_int_equal(a.a[3], htonl(0x0a000001));
}

static const char *const bad_addrs[] = {
	"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4",
	"1.2.3.4/24", "01.2.3.4", "0x1.2.3.4", "::g", "1:2:3:4:5:6:7:8:9",
	"fe80::1%eth0", "abc", "1.2.3.-4", "2001:db8:::1", "[::1]",
};

/* A refused input must leave the output as it was. */
static void test_addr_bad(void **state)
{
	struct xgw_addr a, before;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_addrs); i++) {
		memset(&a, 0xaa, sizeof(a));
		before = a;
		if (xgw_addr_parse(bad_addrs[i], &a) != -EINVAL)
			fail_msg("address \"%s\" was accepted", bad_addrs[i]);
		assert_memory_equal(&a, &before, sizeof(a));
	}
}

static const struct {
	const char *in;
	int family;
	unsigned int len;
	bool host;
	const char *out;
} good_prefixes[] = {
	{ "10.0.0.0/8", AF_INET, 8, false, "10.0.0.0/8" },
	{ "10.0.0.1", AF_INET, 32, true, "10.0.0.1" },
	{ "10.0.0.1/32", AF_INET, 32, false, "10.0.0.1/32" },
	{ "0.0.0.0/0", AF_INET, 0, false, "0.0.0.0/0" },
	{ "192.168.128.0/17", AF_INET, 17, false, "192.168.128.0/17" },
	{ "::/0", AF_INET6, 0, false, "::/0" },
	{ "2001:db8::/32", AF_INET6, 32, false, "2001:db8::/32" },
	{ "2001:DB8:0:0::/64", AF_INET6, 64, false, "2001:db8::/64" },
	{ "2001:db8::1", AF_INET6, 128, true, "2001:db8::1" },
	{ "2001:db8::8000:0/97", AF_INET6, 97, false, "2001:db8::8000:0/97" },
};

static void test_prefix_good(void **state)
{
	char buf[XGW_PREFIX_STRLEN];
	struct xgw_prefix p;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good_prefixes); i++) {
		if (xgw_prefix_parse(good_prefixes[i].in, &p))
			fail_msg("prefix \"%s\" refused", good_prefixes[i].in);
		assert_int_equal(p.addr.family, good_prefixes[i].family);
		assert_int_equal(p.len, good_prefixes[i].len);
		assert_int_equal(p.host, good_prefixes[i].host);
		assert_string_equal(xgw_prefix_str(&p, buf, sizeof(buf)),
				    good_prefixes[i].out);
	}
}

static const char *const bad_prefixes[] = {
	"10.0.0.0/33", "10.0.0.1/8", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8",
	"10.0.0.0/8x", "10.0.0.0/0008", "10.0.0.0/ 8", "2001:db8::1/32",
	"2001:db8::/129", "/8", "10.0.0.0//8", "10.0.0/8", "", "10.0.0.0/8/8",
	"192.168.129.0/17", "::1/0",
};

static void test_prefix_bad(void **state)
{
	struct xgw_prefix p, before;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_prefixes); i++) {
		memset(&p, 0x55, sizeof(p));
		before = p;
		if (xgw_prefix_parse(bad_prefixes[i], &p) != -EINVAL)
			fail_msg("prefix \"%s\" was accepted", bad_prefixes[i]);
		assert_memory_equal(&p, &before, sizeof(p));
	}
}

static void test_mac(void **state)
{
	static const char *const bad[] = {
		"", "00:11:22:33:44", "00:11:22:33:44:55:66", "00-11-22-33-44-55",
		"0:11:22:33:44:55", "00:11:22:33:44:5g", "00:11:22:33:44:55 ",
		"001122334455", "00:11:22:33:44::5",
	};
	const __u8 want[6] = { 0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0xef };
	__u8 mac[6], before[6];
	char buf[XGW_MAC_STRLEN];

	(void)state;
	assert_int_equal(xgw_mac_parse("00:1A:2b:3c:4d:EF", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_string_equal(xgw_mac_str(mac, buf, sizeof(buf)), "00:1a:2b:3c:4d:ef");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(mac, 0x77, sizeof(mac));
		memcpy(before, mac, sizeof(mac));
		if (xgw_mac_parse(bad[i], mac) != -EINVAL)
			fail_msg("MAC \"%s\" was accepted", bad[i]);
		assert_memory_equal(mac, before, 6);
	}
}

static const struct {
	const char *in;
	int family;
	unsigned int port, proto;
	const char *out;
} good_svcs[] = {
	{ "192.0.2.10:80/tcp", AF_INET, 80, IPPROTO_TCP, "192.0.2.10:80/tcp" },
	{ "192.0.2.10:53/udp", AF_INET, 53, IPPROTO_UDP, "192.0.2.10:53/udp" },
	{ "10.0.0.1:65535/tcp", AF_INET, 65535, IPPROTO_TCP, "10.0.0.1:65535/tcp" },
	{ "10.0.0.1:1/udp", AF_INET, 1, IPPROTO_UDP, "10.0.0.1:1/udp" },
	{ "[2001:db8::1]:443/tcp", AF_INET6, 443, IPPROTO_TCP, "[2001:db8::1]:443/tcp" },
	{ "[2001:DB8:0::1]:443/udp", AF_INET6, 443, IPPROTO_UDP, "[2001:db8::1]:443/udp" },
};

static void test_svc_good(void **state)
{
	char buf[XGW_SVC_STRLEN];
	struct xgw_svc_addr s;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good_svcs); i++) {
		if (xgw_svc_parse(good_svcs[i].in, &s))
			fail_msg("service \"%s\" refused", good_svcs[i].in);
		assert_int_equal(s.addr.family, good_svcs[i].family);
		assert_int_equal(s.port, good_svcs[i].port);
		assert_int_equal(s.proto, good_svcs[i].proto);
		assert_string_equal(xgw_svc_str(&s, buf, sizeof(buf)), good_svcs[i].out);
	}
}

static const char *const bad_svcs[] = {
	"1.2.3.4:0/tcp", ":80/tcp", "1.2.3.4:65536/tcp", "1.2.3.4:80",
	"1.2.3.4:80/TCP", "1.2.3.4:80/sctp", "[1.2.3.4]:80/tcp",
	"2001:db8::1:443/tcp", "[2001:db8::1]443/tcp", "[2001:db8::1:443/tcp",
	"1.2.3.4:+80/tcp", "1.2.3.4: 80/tcp", "1.2.3.4:80/tcp ", "1.2.3.4:80/tcpx",
	"1.2.3.4:/tcp", "1.2.3.4/tcp", "1.2.3.256:80/tcp", "1.2.3.4:080080/tcp",
	"[]:80/tcp", "", "1.2.3.4:80/",
};

static void test_svc_bad(void **state)
{
	struct xgw_svc_addr s, before;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_svcs); i++) {
		memset(&s, 0x33, sizeof(s));
		before = s;
		if (xgw_svc_parse(bad_svcs[i], &s) != -EINVAL)
			fail_msg("service \"%s\" was accepted", bad_svcs[i]);
		assert_memory_equal(&s, &before, sizeof(s));
	}
}

static void test_uint(void **state)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "0x10", "1e3", "12a", "99999999999999999999999",
	};
	unsigned long v = 42;

	(void)state;
	assert_int_equal(xgw_uint_parse("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(xgw_uint_parse("4294967295", 0, 0xffffffffUL, &v), 0);
	assert_int_equal(v, 0xffffffffUL);
	assert_int_equal(xgw_uint_parse("11", 0, 10, &v), -EINVAL);
	assert_int_equal(xgw_uint_parse("4", 5, 10, &v), -EINVAL);
	assert_int_equal(v, 0xffffffffUL);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (xgw_uint_parse(bad[i], 0, ~0UL, &v) != -EINVAL)
			fail_msg("number \"%s\" was accepted", bad[i]);
}

static void test_equal_contains(void **state)
{
	struct xgw_addr a, b, c6;
	struct xgw_prefix p, p6, all;

	(void)state;
	assert_int_equal(xgw_addr_parse("10.1.2.3", &a), 0);
	assert_int_equal(xgw_addr_parse("10.1.2.3", &b), 0);
	assert_int_equal(xgw_addr_parse("::a01:203", &c6), 0);
	assert_true(xgw_addr_equal(&a, &b));
	assert_false(xgw_addr_equal(&a, &c6));	/* same bits, other family */
	assert_int_equal(xgw_prefix_parse("10.0.0.0/8", &p), 0);
	assert_true(xgw_prefix_contains(&p, &a));
	assert_int_equal(xgw_addr_parse("11.0.0.0", &b), 0);
	assert_false(xgw_prefix_contains(&p, &b));
	assert_false(xgw_prefix_contains(&p, &c6));
	assert_int_equal(xgw_prefix_parse("0.0.0.0/0", &all), 0);
	assert_true(xgw_prefix_contains(&all, &b));
	assert_int_equal(xgw_prefix_parse("2001:db8:8000::/33", &p6), 0);
	assert_int_equal(xgw_addr_parse("2001:db8:8000::5", &c6), 0);
	assert_true(xgw_prefix_contains(&p6, &c6));
	assert_int_equal(xgw_addr_parse("2001:db8:7fff::5", &c6), 0);
	assert_false(xgw_prefix_contains(&p6, &c6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_good),
		cmocka_unit_test(test_addr_bad),
		cmocka_unit_test(test_prefix_good),
		cmocka_unit_test(test_prefix_bad),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_svc_good),
		cmocka_unit_test(test_svc_bad),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_equal_contains),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
