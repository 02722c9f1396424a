// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The command grammar (common/cmd.c): every accepted form with its
 * canonical line (and parse(format(c)) == c), a table of bad commands each
 * with its exact one-line error (which names the bad word), abbreviations
 * and ambiguity, splitting, and help/man page/completion agreement.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "xgw_shared.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_WORDS 64

/* Parse a line (split in a copy); returns the parser's result. */
static int parse_line(const char *line, struct xgw_cmd *c, char *err, size_t errlen)
{
	char buf[1024], *argv[MAX_WORDS];
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = xgw_cmd_split(buf, argv, MAX_WORDS);
	assert_true(argc >= 0);
	return xgw_cmd_parse(argc, argv, c, err, errlen);
}

static const struct {
	const char *in, *canon;
	bool write;
} good[] = {
	{ "link attach eth0", "link attach eth0 mode native", true },
	{ "link attach eth0 mode generic", "link attach eth0 mode generic", true },
	{ "link attach eth0 decap", "link attach eth0 mode decap", true },
	{ "l a veth-h2.1 m gen", "link attach veth-h2.1 mode generic", true },
	{ "link detach eth0", "link detach eth0", true },
	{ "link show", "link show", false },
	{ "link", "link show", false },
	{ "route add 10.0.0.0/8 via 10.1.1.1 dev eth0", "route add 10.0.0.0/8 via 10.1.1.1 dev eth0", true },
	{ "route add 10.0.0.0/8 dev eth0 via 10.1.1.1", "route add 10.0.0.0/8 via 10.1.1.1 dev eth0", true },
	{ "r a 10.0.0.0/8 v 10.1.1.1", "route add 10.0.0.0/8 via 10.1.1.1", true },
	{ "route replace 2001:db8::/32 dev eth1", "route replace 2001:db8::/32 dev eth1", true },
	{ "route add 2001:db8::/32 via fe80::1 dev eth1", "route add 2001:db8::/32 via fe80::1 dev eth1", true },
	{ "route add 192.0.2.7 blackhole", "route add 192.0.2.7 blackhole", true },
	{ "route add 192.0.2.7/32 b", "route add 192.0.2.7/32 blackhole", true },
	{ "route add 0.0.0.0/0 via 10.0.0.1", "route add 0.0.0.0/0 via 10.0.0.1", true },
	{ "route del 10.0.0.0/8", "route del 10.0.0.0/8", true },
	{ "route show", "route show", false },
	{ "route", "route show", false },
	{ "route show summary", "route show summary", false },
	{ "r sh su", "route show summary", false },
	{ "route get 10.1.2.3", "route get 10.1.2.3", false },
	{ "route add 10.0.0.0/8 nexthop via 10.1.1.1 dev eth0 nexthop via 10.1.1.2 weight 3",
	  "route add 10.0.0.0/8 nexthop via 10.1.1.1 dev eth0 weight 1 nexthop via 10.1.1.2 weight 3", true },
	{ "r rep 2001:db8::/32 n v fe80::1 d eth0 w 256 n v fe80::2 d eth1",
	  "route replace 2001:db8::/32 nexthop via fe80::1 dev eth0 weight 256 nexthop via fe80::2 dev eth1 weight 1", true },
	{ "route add 10.0.0.0/8 nexthop via 10.1.1.1 dev eth0",
	  "route add 10.0.0.0/8 via 10.1.1.1 dev eth0", true },	/* one next hop: a plain route */
	{ "route add 10.0.0.0/8 nexthop via 10.1.1.1 nexthop via 10.1.1.1 dev eth0",
	  "route add 10.0.0.0/8 nexthop via 10.1.1.1 weight 1 nexthop via 10.1.1.1 dev eth0 weight 1", true },
	{ "route follow table main", "route follow table main", true },
	{ "route follow table 254 proto 12", "route follow table main proto bird", true },
	{ "route f t 100 p static", "route follow table 100 proto static", true },
	{ "route follow proto 186 table local", "route follow table local proto bgp", true },
	{ "route unfollow table 4294967295 proto 0", "route unfollow table 4294967295 proto unspec", true },
	{ "route follow show", "route follow show", false },
	{ "route follow s", "route follow show", false },
	{ "route get 2001:db8::5", "route get 2001:db8::5", false },
	{ "neigh", "neigh show", false },
	{ "n s", "neigh show", false },
	{ "stats", "stats show", false },
	{ "stats latency", "stats latency", false },
	{ "st l", "stats latency", false },
	{ "stats reset", "stats reset", true },
	{ "top", "top", false },
	{ "set latency-sample 0", "set latency-sample 0", true },
	{ "set l 64", "set latency-sample 64", true },
	{ "set ct-udp-timeout 86400", "set ct-udp-timeout 86400", true },
	{ "set ct-f 4294967295", "set ct-flood-limit 4294967295", true },
	{ "set ct-tcp-s 20", "set ct-tcp-syn-timeout 20", true },
	{ "set ct-tcp-e 604800", "set ct-tcp-established-timeout 604800", true },
	{ "set ct-tcp-f 30", "set ct-tcp-fin-timeout 30", true },
	{ "set ct-tcp-t 60", "set ct-tcp-time-wait-timeout 60", true },
	{ "set ct-tcp-c 5", "set ct-tcp-close-timeout 5", true },
	{ "set nat-ports 20000-20999", "set nat-ports 20000-20999", true },
	{ "set n 7-7", "set nat-ports 7-7", true },
	{ "set icmp-r 0", "set icmp-rate 0", true },
	{ "set icmp-b 1000000", "set icmp-burst 1000000", true },
	{ "vlan add dev eth0 vid 10", "vlan add dev eth0 vid 10", true },
	{ "vlan a vid 20-4094 dev eth1", "vlan add dev eth1 vid 20-4094", true },
	{ "vlan del dev eth0 vid 7-7", "vlan del dev eth0 vid 7", true },
	{ "vlan", "vlan show", false },
	{ "service add 192.0.2.10:80/tcp", "service add 192.0.2.10:80/tcp mode dsr", true },
	{ "service add [2001:db8::10]:443/tcp mode ipip table-size 251",
	  "service add [2001:db8::10]:443/tcp mode ipip table-size 251", true },
	{ "service replace 192.0.2.10:53/udp ta 1048573 m i",
	  "service replace 192.0.2.10:53/udp mode ipip table-size 1048573", true },
	{ "service add 192.0.2.10:80/tcp table-size 65537",
	  "service add 192.0.2.10:80/tcp mode dsr table-size 65537", true },
	{ "service del 192.0.2.10:80/tcp", "service del 192.0.2.10:80/tcp", true },
	{ "service show", "service show", false },
	{ "service", "service show", false },
	{ "service show 192.0.2.10:80/tcp table", "service show 192.0.2.10:80/tcp table", false },
	{ "service show [2001:db8::10]:443/tcp", "service show [2001:db8::10]:443/tcp", false },
	{ "service add 192.0.2.10:53/udp all-down use-all fall 2 rise 1 timeout 100ms interval 200ms check udp ping\\x00 pong",
	  "service add 192.0.2.10:53/udp mode dsr check udp ping\\x00 pong interval 200ms timeout 100ms rise 1 fall 2 all-down use-all", true },
	{ "service add 192.0.2.10:53/udp check udp a\\\\b\\x23\\x20 \\n\\r\\t\\0",
	  "service add 192.0.2.10:53/udp mode dsr check udp a\\x5cb\\x23\\x20 \\x0a\\x0d\\x09\\x00", true },
	{ "service set 192.0.2.10:80/tcp check http /h expect 204",
	  "service set 192.0.2.10:80/tcp check http /h expect 204", true },
	{ "service set 192.0.2.10:80/tcp fall 5 interval 2s", "service set 192.0.2.10:80/tcp interval 2 fall 5", true },
	{ "service set 192.0.2.10:80/tcp a d", "service set 192.0.2.10:80/tcp all-down drop", true },
	{ "service add 192.0.2.10:80/tcp persist 300 snat 198.51.100.10-198.51.100.20 mode nat",
	  "service add 192.0.2.10:80/tcp mode nat snat 198.51.100.10-198.51.100.20 persist 300", true },
	{ "service add [2001:db8::10]:443/tcp m n sn 2001:db8:1::1",
	  "service add [2001:db8::10]:443/tcp mode nat snat 2001:db8:1::1", true },
	{ "service add [2001:db8::10]:443/tcp mode nat snat 2001:db8:1::ff-2001:db8:1::1fe",
	  "service add [2001:db8::10]:443/tcp mode nat snat 2001:db8:1::ff-2001:db8:1::1fe", true },
	{ "service replace 192.0.2.10:53/udp mode dsr persist 60",
	  "service replace 192.0.2.10:53/udp mode dsr persist 60", true },
	{ "service set 192.0.2.10:80/tcp persist 0", "service set 192.0.2.10:80/tcp persist 0", true },
	{ "service set 192.0.2.10:80/tcp snat 10.0.0.1-10.0.0.1", "service set 192.0.2.10:80/tcp snat 10.0.0.1", true },
	{ "service replace 192.0.2.10:80/tcp mode ipip check none timeout 1",
	  "service replace 192.0.2.10:80/tcp mode ipip check none timeout 1", true },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.11",
	  "backend add 192.0.2.10:80/tcp 10.1.0.11 weight 1", true },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.11:8080",
	  "backend add 192.0.2.10:80/tcp 10.1.0.11:8080 weight 1", true },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.11:80",
	  "backend add 192.0.2.10:80/tcp 10.1.0.11 weight 1", true },
	{ "backend add [2001:db8::10]:443/tcp [2001:db8::11]:8443 check tcp timeout 2s",
	  "backend add [2001:db8::10]:443/tcp [2001:db8::11]:8443 weight 1 check tcp timeout 2", true },
	{ "backend set 192.0.2.10:80/tcp 10.1.0.11 check none drain weight 3",
	  "backend set 192.0.2.10:80/tcp 10.1.0.11 weight 3 drain check none", true },
	{ "backend set 192.0.2.10:80/tcp 10.1.0.11 interval 1500ms",
	  "backend set 192.0.2.10:80/tcp 10.1.0.11 interval 1500ms", true },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.11 weight 5 check http /healthz?x=1",
	  "backend add 192.0.2.10:80/tcp 10.1.0.11 weight 5 check http /healthz?x=1", true },
	{ "backend add 192.0.2.10:80/tcp 2001:db8::11 c n w 65535",
	  "backend add 192.0.2.10:80/tcp 2001:db8::11 weight 65535 check none", true },
	{ "backend del [2001:db8::10]:443/tcp [2001:db8::11]:443",
	  "backend del [2001:db8::10]:443/tcp 2001:db8::11", true },
	{ "backend set 192.0.2.10:80/tcp 10.1.0.11 weight 3",
	  "backend set 192.0.2.10:80/tcp 10.1.0.11 weight 3", true },
	{ "backend set 192.0.2.10:80/tcp 10.1.0.11 drain",
	  "backend set 192.0.2.10:80/tcp 10.1.0.11 drain", true },
	{ "backend set 192.0.2.10:80/tcp 10.1.0.11 u",
	  "backend set 192.0.2.10:80/tcp 10.1.0.11 undrain", true },
	{ "backend del [2001:db8::10]:443/tcp 2001:db8::11",
	  "backend del [2001:db8::10]:443/tcp 2001:db8::11", true },
	{ "route help", "route help", false },
	{ "set help", "set help", false },
	{ "top help", "top help", false },
	{ "  route   add 10.0.0.0/8   blackhole  # trailing comment", "route add 10.0.0.0/8 blackhole", true },
};

static void test_good(void **state)
{
	struct xgw_cmd c, d;
	char err[256], out[512];
	int n;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		if (parse_line(good[i].in, &c, err, sizeof(err)))
			fail_msg("\"%s\" refused: %s", good[i].in, err);
		n = xgw_cmd_format(&c, out, sizeof(out));
		assert_int_equal(n, strlen(good[i].canon));
		if (strcmp(out, good[i].canon))
			fail_msg("\"%s\" formats as \"%s\", want \"%s\"", good[i].in,
				 out, good[i].canon);
		assert_int_equal(xgw_cmd_is_write(&c), good[i].write);
		/* the state file's promise: parse(format(c)) == c */
		if (parse_line(out, &d, err, sizeof(err)))
			fail_msg("canonical \"%s\" refused: %s", out, err);
		assert_memory_equal(&c, &d, sizeof(c));
	}
}

static void test_fields(void **state)
{
	struct xgw_cmd c;
	char err[256];

	(void)state;
	assert_int_equal(parse_line("route add 10.0.0.0/8 via 10.1.1.1 dev eth0", &c, err, sizeof(err)), 0);
	assert_int_equal(c.obj, XGW_OBJ_ROUTE);
	assert_int_equal(c.verb, XGW_V_ADD);
	assert_int_equal(c.route.type, XGW_ROUTE_VIA);
	assert_int_equal(c.route.dst.len, 8);
	assert_false(c.route.dst.host);
	assert_string_equal(c.route.dev, "eth0");
	assert_int_equal(parse_line("route add 10.0.0.9 dev eth0", &c, err, sizeof(err)), 0);
	assert_int_equal(c.route.type, XGW_ROUTE_DEV);
	assert_true(c.route.dst.host);
	assert_int_equal(c.route.dst.len, 32);
	assert_int_equal(parse_line("service add 192.0.2.10:80/udp mode ipip", &c, err, sizeof(err)), 0);
	assert_int_equal(c.service.mode, XGW_LB_IPIP);
	assert_int_equal(c.service.table_size, 0);	/* 0: xgwd's default */
	assert_int_equal(c.service.svc.port, 80);
	assert_int_equal(parse_line("backend add 192.0.2.10:80/tcp 10.1.0.11 check http /h", &c, err, sizeof(err)), 0);
	assert_int_equal(c.backend.weight, 1);
	assert_int_equal(c.backend.check.type, XGW_CHECK_HTTP);
	assert_string_equal(c.backend.check.path, "/h");
	assert_int_equal(c.backend.check.expect_code, 0);
	assert_int_equal(c.backend.said, XGW_LB_F_WEIGHT | XGW_LB_F_CHECK);
	assert_int_equal(parse_line("backend set 192.0.2.10:80/tcp 10.1.0.11 drain", &c, err, sizeof(err)), 0);
	assert_int_equal(c.verb, XGW_V_SET);
	assert_int_equal(c.backend.said, XGW_LB_F_DRAIN);
	assert_true(c.backend.drain);
	assert_int_equal(parse_line("backend set 192.0.2.10:80/tcp [2001:db8::1]:8080 undrain "
				    "interval 250ms timeout 3 rise 4", &c, err, sizeof(err)), 0);
	assert_int_equal(c.backend.said, XGW_LB_F_DRAIN | XGW_LB_F_INTERVAL | XGW_LB_F_TIMEOUT |
					  XGW_LB_F_RISE);
	assert_false(c.backend.drain);
	assert_int_equal(c.backend.port, 8080);
	assert_int_equal(c.backend.addr.family, AF_INET6);
	assert_int_equal(c.backend.check.interval_ms, 250);
	assert_int_equal(c.backend.check.timeout_ms, 3000);
	assert_int_equal(c.backend.check.rise, 4);
	assert_int_equal(c.backend.check.type, XGW_CHECK_DEFAULT);
	assert_int_equal(parse_line("service add 192.0.2.10:53/udp check udp \\x01\\x02 ok", &c, err, sizeof(err)), 0);
	assert_int_equal(c.service.check.type, XGW_CHECK_UDP);
	assert_int_equal(c.service.check.payload_len, 2);
	assert_memory_equal(c.service.check.payload, "\x01\x02", 2);
	assert_int_equal(c.service.check.expect_len, 2);
	assert_memory_equal(c.service.check.expect, "ok", 2);
	assert_int_equal(c.service.all_down, XGW_ALLDOWN_DROP);
	assert_int_equal(parse_line("set ct-udp-timeout 45", &c, err, sizeof(err)), 0);
	assert_int_equal(c.obj, XGW_OBJ_SET);
	assert_int_equal(c.set.key, XGW_SET_CT_UDP_TIMEOUT);
	assert_int_equal(c.set.value, 45);
	assert_int_equal(parse_line("set nat-ports 1024-2047", &c, err, sizeof(err)), 0);
	{
		__u16 lo, hi;

		xgw_nat_ports_split(c.set.value, &lo, &hi);
		assert_int_equal(lo, 1024);
		assert_int_equal(hi, 2047);
	}
	assert_int_equal(parse_line("link attach eth3 decap", &c, err, sizeof(err)), 0);
	assert_int_equal(c.link.mode, XGW_LINK_DECAP);
	assert_int_equal(parse_line("stats help", &c, err, sizeof(err)), 0);
	assert_int_equal(c.verb, XGW_V_HELP);
	assert_int_equal(c.obj, XGW_OBJ_STATS);
}

static const struct {
	const char *in, *err, *token;	/* token: the word the error must name */
} bad[] = {
	{ "", "missing object (link, vlan, route, neigh, stats, top, set, service, backend, daemon)", NULL },
	{ "vlan add dev eth0", "missing \"vid\" after \"eth0\"", NULL },
	{ "vlan add vid 10", "missing \"dev\" after \"10\"", NULL },
	{ "vlan add dev eth0 vid 0", "invalid vid \"0\" (1..4094)", "0" },
	{ "vlan add dev eth0 vid 4095", "invalid vid \"4095\" (1..4094)", "4095" },
	{ "vlan add dev eth0 vid 30-20", "invalid vid range \"30-20\" (VID-VID, 1..4094, low first)",
	  "30-20" },
	{ "vlan add dev eth0 vid 10-", "invalid vid range \"10-\" (VID-VID, 1..4094, low first)",
	  "10-" },
	{ "vlan del dev eth0 vid 1 vid 2", "duplicate \"vid\"", NULL },
	{ "vlan add dev eth0 vid 1 mtu 9", "unexpected \"mtu\"", "mtu" },
	{ "set icmp-rate 1000001", "invalid icmp-rate \"1000001\" (0..1000000)", "1000001" },
	{ "set icmp-burst 0", "invalid icmp-burst \"0\" (1..1000000)", "0" },
	{ "frob", "unknown object \"frob\"", "frob" },
	{ "s", "ambiguous object \"s\": could be stats, set, service", "s" },
	{ "se show", "ambiguous object \"se\": could be set, service", "se" },
	{ "route frob", "unknown command \"frob\" for route", "frob" },
	{ "route s 1", "unexpected \"1\"", "1" },		/* s: show */
	{ "backend", "missing command for backend (try \"backend help\")", NULL },
	{ "backend show", "unknown command \"show\" for backend", "show" },
	{ "route add", "missing PREFIX after \"add\"", "add" },
	{ "route add 10.0.0.0/33 blackhole", "invalid prefix \"10.0.0.0/33\"", "10.0.0.0/33" },
	{ "route add 10.0.0.1/8 blackhole", "invalid prefix \"10.0.0.1/8\": host bits set beyond /8", "10.0.0.1/8" },
	{ "route add 2001:db8::1/32 blackhole", "invalid prefix \"2001:db8::1/32\": host bits set beyond /32", "2001:db8::1/32" },
	{ "route add 10.0.0/8 blackhole", "invalid prefix \"10.0.0/8\"", "10.0.0/8" },
	{ "route add 10.0.0.0/8", "missing via ADDR, dev DEV, blackhole or nexthop after \"10.0.0.0/8\"", "10.0.0.0/8" },
	{ "route add 10.0.0.0/8 via", "missing argument after \"via\"", "via" },
	{ "route add 10.0.0.0/8 dev", "missing argument after \"dev\"", "dev" },
	{ "route add 10.0.0.0/8 via 10.1.1.300", "invalid address \"10.1.1.300\"", "10.1.1.300" },
	{ "route add 10.0.0.0/8 via 2001:db8::1", "via \"2001:db8::1\" is IPv6 but prefix \"10.0.0.0/8\" is IPv4", "2001:db8::1" },
	{ "route add 2001:db8::/32 via 10.0.0.1", "via \"10.0.0.1\" is IPv4 but prefix \"2001:db8::/32\" is IPv6", "10.0.0.1" },
	{ "route add 10.0.0.0/8 via 10.1.1.1 via 10.1.1.2", "duplicate \"via\"", "via" },
	{ "route add 10.0.0.0/8 dev eth0 dev eth1", "duplicate \"dev\"", "dev" },
	{ "route add 10.0.0.0/8 blackhole via 10.1.1.1", "\"via\" conflicts with \"blackhole\"", "via" },
	{ "route add 10.0.0.0/8 via 10.1.1.1 blackhole", "\"blackhole\" conflicts with \"via\"", "blackhole" },
	{ "route add 10.0.0.0/8 dev eth0 blackhole", "\"blackhole\" conflicts with \"dev\"", "blackhole" },
	{ "route add 10.0.0.0/8 blackhole dev eth0", "\"dev\" conflicts with \"blackhole\"", "dev" },
	{ "route add 10.0.0.0/8 blackhole blackhole", "\"blackhole\" conflicts with \"blackhole\"", "blackhole" },
	{ "route add 10.0.0.0/8 frob", "unexpected \"frob\"", "frob" },
	{ "route add 10.0.0.0/8 dev eth0 foo", "unexpected \"foo\"", "foo" },
	{ "route add 10.0.0.0/8 dev a/b", "invalid device name \"a/b\"", "a/b" },
	{ "route add 10.0.0.0/8 dev 0123456789abcdef", "invalid device name \"0123456789abcdef\"", "0123456789abcdef" },
	{ "route del", "missing PREFIX after \"del\"", "del" },
	{ "route del 10.0.0.0/8 via 10.1.1.1", "unexpected \"via\"", "via" },
	{ "route get", "missing ADDR after \"get\"", "get" },
	{ "route get 10.0.0.0/8", "invalid address \"10.0.0.0/8\"", "10.0.0.0/8" },
	{ "route show all", "unexpected \"all\"", "all" },
	{ "route show summary all", "unexpected \"all\"", "all" },
	{ "route add 10.0.0.0/8 nexthop", "missing via ADDR after \"nexthop\"", "nexthop" },
	{ "route add 10.0.0.0/8 nexthop dev eth0", "missing via ADDR after \"nexthop\"", "nexthop" },
	{ "route add 10.0.0.0/8 nexthop via 10.1.1.1 via 10.1.1.2", "duplicate \"via\"", "via" },
	{ "route add 10.0.0.0/8 nexthop via 10.1.1.1 dev a dev b", "duplicate \"dev\"", "dev" },
	{ "route add 10.0.0.0/8 nexthop via 10.1.1.1 weight 0", "invalid weight \"0\" (1..256)", "0" },
	{ "route add 10.0.0.0/8 nexthop via 10.1.1.1 weight 257", "invalid weight \"257\" (1..256)", "257" },
	{ "route add 10.0.0.0/8 nexthop via 2001:db8::1", "via \"2001:db8::1\" is IPv6 but prefix \"10.0.0.0/8\" is IPv4", "2001:db8::1" },
	{ "route add 10.0.0.0/8 nexthop via 10.1.1.1 blackhole", "unexpected \"blackhole\"", "blackhole" },
	{ "route add 10.0.0.0/8 nexthop via 10.1.1.1 nexthop via 10.1.1.1", "duplicate nexthop via \"10.1.1.1\"", "10.1.1.1" },
	{ "route add 10.0.0.0/8 via 10.1.1.1 nexthop via 10.1.1.2", "\"nexthop\" conflicts with \"via\"", "via" },
	{ "route add 10.0.0.0/8 blackhole nexthop via 10.1.1.2", "\"nexthop\" conflicts with \"blackhole\"", "blackhole" },
	{ "route add 10.0.0.0/8 n v 1.0.0.1 n v 1.0.0.2 n v 1.0.0.3 n v 1.0.0.4 n v 1.0.0.5 "
	  "n v 1.0.0.6 n v 1.0.0.7 n v 1.0.0.8 n v 1.0.0.9", "too many \"nexthop\" (at most 8)", "nexthop" },
	{ "route follow", "missing table TABLE after \"follow\"", "follow" },
	{ "route follow proto bird", "missing table TABLE after \"bird\"", "bird" },
	{ "route follow table", "missing argument after \"table\"", "table" },
	{ "route follow table 0", "invalid table \"0\" (a name of rt_tables or 1..4294967295)", "0" },
	{ "route follow table 4294967296", "invalid table \"4294967296\" (a name of rt_tables or 1..4294967295)", "4294967296" },
	{ "route follow table nosuchtable", "invalid table \"nosuchtable\" (a name of rt_tables or 1..4294967295)", "nosuchtable" },
	{ "route follow table main proto 256", "invalid proto \"256\" (a name of rt_protos or 0..255)", "256" },
	{ "route follow table main proto nosuchproto", "invalid proto \"nosuchproto\" (a name of rt_protos or 0..255)", "nosuchproto" },
	{ "route follow table main table local", "duplicate \"table\"", "table" },
	{ "route follow table main proto bird proto bgp", "duplicate \"proto\"", "proto" },
	{ "route follow table main show", "unexpected \"show\"", "show" },
	{ "route unfollow show", "unexpected \"show\"", "show" },
	{ "route follow show now", "unexpected \"now\"", "now" },
	{ "route follow table main via 10.0.0.1", "unexpected \"via\"", "via" },
	{ "link attach", "missing DEV after \"attach\"", "attach" },
	{ "link attach eth0 mode", "missing argument after \"mode\"", "mode" },
	{ "link attach eth0 mode turbo", "unknown link mode \"turbo\"", "turbo" },
	{ "link attach eth0 turbo", "unexpected \"turbo\"", "turbo" },
	{ "link attach eth0 native generic", "unexpected \"generic\"", "generic" },
	{ "link attach . ", "invalid device name \".\"", "." },
	{ "link detach", "missing DEV after \"detach\"", "detach" },
	{ "link show eth0", "unexpected \"eth0\"", "eth0" },
	{ "neigh flush", "unknown command \"flush\" for neigh", "flush" },
	{ "stats frob", "unknown command \"frob\" for stats", "frob" },
	{ "stats reset now", "unexpected \"now\"", "now" },
	{ "top now", "unknown command \"now\" for top", "now" },
	{ "set", "missing setting after \"set\"", "set" },
	{ "set ct 5", "ambiguous setting \"ct\": could be ct-udp-timeout, ct-flood-limit, "
		      "ct-tcp-syn-timeout, ct-tcp-established-timeout, ct-tcp-fin-timeout, "
		      "ct-tcp-time-wait-timeout, ct-tcp-close-timeout", "ct" },
	{ "set ct-tcp-established-timeout 604801", "invalid ct-tcp-established-timeout \"604801\" (1..604800)", "604801" },
	{ "set ct-tcp-syn-timeout 0", "invalid ct-tcp-syn-timeout \"0\" (1..604800)", "0" },
	{ "set nat-ports 2000", "invalid nat-ports \"2000\" (MIN-MAX, 1..65535, MIN <= MAX)", "2000" },
	{ "set nat-ports 3000-2000", "invalid nat-ports \"3000-2000\" (MIN-MAX, 1..65535, MIN <= MAX)", "3000-2000" },
	{ "set nat-ports 0-2000", "invalid nat-ports \"0-2000\" (MIN-MAX, 1..65535, MIN <= MAX)", "0-2000" },
	{ "set nat-ports 1000-65536", "invalid nat-ports \"1000-65536\" (MIN-MAX, 1..65535, MIN <= MAX)", "1000-65536" },
	{ "set nat-ports", "missing argument after \"nat-ports\"", "nat-ports" },
	{ "set nat-ports 1-2 3", "unexpected \"3\"", "3" },
	{ "set mtu 1500", "unknown setting \"mtu\"", "mtu" },
	{ "set latency-sample", "missing argument after \"latency-sample\"", "latency-sample" },
	{ "set latency-sample -1", "invalid latency-sample \"-1\" (0..4294967295)", "-1" },
	{ "set latency-sample 4294967296", "invalid latency-sample \"4294967296\" (0..4294967295)", "4294967296" },
	{ "set ct-udp-timeout 0", "invalid ct-udp-timeout \"0\" (1..86400)", "0" },
	{ "set ct-flood-limit x", "invalid ct-flood-limit \"x\" (1..4294967295)", "x" },
	{ "set latency-sample 8 9", "unexpected \"9\"", "9" },
	{ "service add", "missing VIP:PORT/PROTO after \"add\"", "add" },
	{ "service add 192.0.2.10:0/tcp", "invalid service \"192.0.2.10:0/tcp\": port must be 1..65535", "192.0.2.10:0/tcp" },
	{ "service add 192.0.2.10:65536/tcp", "invalid service \"192.0.2.10:65536/tcp\": port must be 1..65535", "192.0.2.10:65536/tcp" },
	{ "service add 192.0.2.10:80/sctp", "invalid service \"192.0.2.10:80/sctp\": protocol must be tcp or udp", "192.0.2.10:80/sctp" },
	{ "service add 192.0.2.10:80", "invalid service \"192.0.2.10:80\": protocol must be tcp or udp", "192.0.2.10:80" },
	{ "service add 2001:db8::1:443/tcp", "invalid service \"2001:db8::1:443/tcp\": write IPv6 as [ADDR]:PORT/PROTO", "2001:db8::1:443/tcp" },
	{ "service add 192.0.2.10/tcp", "invalid service \"192.0.2.10/tcp\": want VIP:PORT/PROTO", "192.0.2.10/tcp" },
	{ "service add 192.0.2.300:80/tcp", "invalid service \"192.0.2.300:80/tcp\": bad address", "192.0.2.300:80/tcp" },
	{ "service add 192.0.2.10:80/tcp mode", "missing argument after \"mode\"", "mode" },
	{ "service add 192.0.2.10:80/tcp mode natx", "unknown service mode \"natx\"", "natx" },
	{ "service add 192.0.2.10:80/tcp mode dsr mode ipip", "duplicate \"mode\"", "mode" },
	{ "service add 192.0.2.10:80/tcp table-size 100", "invalid table-size \"100\": not a prime", "100" },
	{ "service add 192.0.2.10:80/tcp table-size 1048583", "invalid table-size \"1048583\" (2..1048573)", "1048583" },
	{ "service add 192.0.2.10:80/tcp table-size", "missing argument after \"table-size\"", "table-size" },
	{ "service add 192.0.2.10:80/tcp weight 3", "unexpected \"weight\"", "weight" },
	{ "service del 192.0.2.10:80/tcp mode dsr", "unexpected \"mode\"", "mode" },
	{ "backend add 192.0.2.10:80/tcp", "missing ADDR after \"192.0.2.10:80/tcp\"", "192.0.2.10:80/tcp" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.256", "invalid backend \"10.1.0.256\" (ADDR, ADDR:PORT or [ADDR6]:PORT)", "10.1.0.256" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1:0", "invalid backend \"10.1.0.1:0\": port must be 1..65535", "10.1.0.1:0" },
	{ "backend add 192.0.2.10:80/tcp [10.1.0.1]:80", "invalid backend \"[10.1.0.1]:80\" (ADDR, ADDR:PORT or [ADDR6]:PORT)", "[10.1.0.1]:80" },
	{ "backend add 192.0.2.10:80/tcp [2001:db8::1]", "invalid backend \"[2001:db8::1]\" (ADDR, ADDR:PORT or [ADDR6]:PORT)", "[2001:db8::1]" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1:65536", "invalid backend \"10.1.0.1:65536\": port must be 1..65535", "10.1.0.1:65536" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1 interval 50ms", "invalid interval \"50ms\" (100ms..3600s; N is seconds, Nms milliseconds)", "50ms" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1 interval 3601", "invalid interval \"3601\" (100ms..3600s; N is seconds, Nms milliseconds)", "3601" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1 timeout 1m", "invalid timeout \"1m\" (10ms..60s; N is seconds, Nms milliseconds)", "1m" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1 timeout", "missing argument after \"timeout\"", "timeout" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1 rise 0", "invalid rise \"0\" (1..100)", "0" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1 fall 101", "invalid fall \"101\" (1..100)", "101" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1 check default", "unknown check \"default\"", "default" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1 check http /x expect 99", "invalid http status \"99\" (100..599)", "99" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1 check http /x expect", "missing argument after \"expect\"", "expect" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1 check udp ping", "missing EXPECT after \"ping\"", "ping" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1 check udp", "missing PAYLOAD after \"udp\"", "udp" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1 check udp \\xZZ pong", "invalid udp check payload \"\\xZZ\": escapes are \\xHH \\n \\r \\t \\0 \\\\", "\\xZZ" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.1 check udp ping 0123456789012345678901234567890123456789012345678901234567890123456789",
	  "invalid udp check reply \"0123456789012345678901234567890123456789012345678901234567890123456789\": more than 64 bytes",
	  "0123456789012345678901234567890123456789012345678901234567890123456789" },
	{ "service add 192.0.2.10:80/tcp all-down maybe", "unknown all-down policy \"maybe\"", "maybe" },
	{ "service add 192.0.2.10:80/tcp check tcp check none", "duplicate \"check\"", "check" },
	{ "service add 192.0.2.10:80/tcp t 3", "ambiguous keyword \"t\": could be timeout, table-size", "t" },
	{ "service set 192.0.2.10:80/tcp", "missing what to set after \"192.0.2.10:80/tcp\"", "192.0.2.10:80/tcp" },
	{ "service set 192.0.2.10:80/tcp mode ipip", "unexpected \"mode\"", "mode" },
	{ "service show 192.0.2.10:80/tcp tables", "unexpected \"tables\"", "tables" },
	{ "service add 192.0.2.10:80/tcp snat 10.0.0.1", "\"snat\" needs \"mode nat\" (dsr rewrites no source)", NULL },
	{ "service add 192.0.2.10:80/tcp mode ipip snat 10.0.0.1", "\"snat\" needs \"mode nat\" (ipip rewrites no source)", NULL },
	{ "service add 192.0.2.10:80/tcp mode nat snat 10.0.0.9-10.0.0.1", "invalid snat \"10.0.0.9-10.0.0.1\": first to last, at most 256 addresses", "10.0.0.9-10.0.0.1" },
	{ "service add 192.0.2.10:80/tcp mode nat snat 10.0.0.0-10.0.1.0", "invalid snat \"10.0.0.0-10.0.1.0\": first to last, at most 256 addresses", "10.0.0.0-10.0.1.0" },
	{ "service add 192.0.2.10:80/tcp mode nat snat 2001:db8::1-2001:db9::1", "invalid snat \"2001:db8::1-2001:db9::1\": first to last, at most 256 addresses", "2001:db8::1-2001:db9::1" },
	{ "service add 192.0.2.10:80/tcp mode nat snat 10.0.0.1-2001:db8::1", "invalid snat \"10.0.0.1-2001:db8::1\": both ends of one family", "10.0.0.1-2001:db8::1" },
	{ "service add 192.0.2.10:80/tcp mode nat snat gw", "invalid snat \"gw\" (ADDR or ADDR-ADDR)", "gw" },
	{ "service add 192.0.2.10:80/tcp mode nat snat", "missing argument after \"snat\"", "snat" },
	{ "service add 192.0.2.10:80/tcp persist 604801", "invalid persist \"604801\" (0..604800)", "604801" },
	{ "service add 192.0.2.10:80/tcp mode nat mode dsr", "duplicate \"mode\"", "mode" },
	{ "service show 192.0.2.10:80/tcp table now", "unexpected \"now\"", "now" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.11 weight 0", "invalid weight \"0\" (1..65535)", "0" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.11 weight 65536", "invalid weight \"65536\" (1..65535)", "65536" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.11 weight", "missing argument after \"weight\"", "weight" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.11 check", "missing argument after \"check\"", "check" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.11 check icmp", "unknown check \"icmp\"", "icmp" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.11 check http", "missing PATH after \"http\"", "http" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.11 check http healthz", "invalid http path \"healthz\" (/..., at most 127 characters)", "healthz" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.11 weight 2 weight 3", "duplicate \"weight\"", "weight" },
	{ "backend add 192.0.2.10:80/tcp 10.1.0.11 drain", "unexpected \"drain\"", "drain" },
	{ "backend set 192.0.2.10:80/tcp 10.1.0.11", "missing weight W, drain, undrain or a check setting after \"10.1.0.11\"", "10.1.0.11" },
	{ "backend set 192.0.2.10:80/tcp 10.1.0.11 pause", "unexpected \"pause\"", "pause" },
	{ "backend set 192.0.2.10:80/tcp 10.1.0.11 drain undrain", "\"undrain\" conflicts with \"drain\"", "undrain" },
	{ "backend set 192.0.2.10:80/tcp 10.1.0.11 weight", "missing argument after \"weight\"", "weight" },
	{ "backend del 192.0.2.10:80/tcp", "missing ADDR after \"192.0.2.10:80/tcp\"", "192.0.2.10:80/tcp" },
	{ "backend del 192.0.2.10:80/tcp 10.1.0.11 now", "unexpected \"now\"", "now" },
	{ "route help me", "unexpected \"me\"", "me" },
};

static void test_bad(void **state)
{
	struct xgw_cmd c;
	char err[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(err, 'x', sizeof(err));
		if (parse_line(bad[i].in, &c, err, sizeof(err)) != -EINVAL)
			fail_msg("\"%s\" was accepted", bad[i].in);
		if (strcmp(err, bad[i].err))
			fail_msg("\"%s\": error \"%s\", want \"%s\"", bad[i].in, err,
				 bad[i].err);
		assert_null(strchr(err, '\n'));		/* one line */
		if (bad[i].token) {
			char q[160];

			snprintf(q, sizeof(q), "\"%s\"", bad[i].token);
			if (!strstr(err, q))
				fail_msg("\"%s\": error \"%s\" does not name %s",
					 bad[i].in, err, q);
		}
	}
}

/* The error fits any buffer: truncated, never overrun. */
static void test_err_truncation(void **state)
{
	char err[8] = "zzzzzzz", big[2] = "z";
	struct xgw_cmd c;

	(void)state;
	assert_int_equal(parse_line("route frob", &c, err, 6), -EINVAL);
	assert_string_equal(err, "unkno");
	assert_int_equal(err[7], '\0');
	assert_int_equal(parse_line("route frob", &c, big, 0), -EINVAL);
	assert_int_equal(big[0], 'z');
}

/*
 * Words straight from the shell (argv, not a split line) may hold any byte.
 * Found by tests/fuzz/fuzz_cmd: a device name starting with '#' was taken,
 * but its saved line reads back as a comment; a newline in a word made the
 * error two lines.
 */
static void test_shell_words(void **state)
{
	char w0[] = "link", w1[] = "attach", w2[] = "#x", nl[] = "rou\nte", show[] = "show";
	char *sharp[] = { w0, w1, w2 }, *ctl[] = { nl, show };
	struct xgw_cmd c;
	char err[256];

	(void)state;
	assert_int_equal(xgw_cmd_parse(3, sharp, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "invalid device name \"#x\": '#' starts a comment");
	assert_int_equal(xgw_cmd_parse(2, ctl, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown object \"rou?te\"");
}

static void test_split(void **state)
{
	char line[] = "  route\tadd  10.0.0.0/8 # blackhole\n", *argv[8];
	char line2[] = "# only a comment", line3[] = "a b c d e";
	char line4[] = "backend add 1.2.3.4:80/tcp 10.0.0.1 check http /a#b";

	(void)state;
	assert_int_equal(xgw_cmd_split(line, argv, 8), 3);
	assert_string_equal(argv[0], "route");
	assert_string_equal(argv[1], "add");
	assert_string_equal(argv[2], "10.0.0.0/8");
	assert_int_equal(xgw_cmd_split(line2, argv, 8), 0);
	assert_int_equal(xgw_cmd_split(line3, argv, 4), -E2BIG);
	/* '#' only starts a comment at the start of a word */
	assert_int_equal(xgw_cmd_split(line4, argv, 8), 7);
	assert_string_equal(argv[6], "/a#b");
}

static void test_format_limits(void **state)
{
	struct xgw_cmd c;
	char err[256], out[64];

	(void)state;
	assert_int_equal(parse_line("route add 2001:db8:1234:5678::/64 via fe80::1 dev eth0", &c, err, sizeof(err)), 0);
	assert_int_equal(xgw_cmd_format(&c, out, 10), -ENOSPC);
	assert_int_equal(xgw_cmd_format(&c, out, 0), -ENOSPC);
	c.route.type = XGW_ROUTE_LOCAL;		/* xgwd's own, never typed */
	assert_int_equal(xgw_cmd_format(&c, out, sizeof(out)), -EINVAL);
	c.obj = 99;
	assert_int_equal(xgw_cmd_format(&c, out, sizeof(out)), -EINVAL);
}

/* Random word sequences: never a crash, and whatever parses round-trips. */
static void test_random_words(void **state)
{
	static const char *const vocab[] = {
		"link", "route", "neigh", "stats", "set", "service", "backend", "top",
		"add", "replace", "del", "show", "get", "attach", "detach", "reset",
		"latency", "help", "via", "dev", "blackhole", "mode", "native", "decap",
		"dsr", "ipip", "table-size", "weight", "check", "http", "tcp", "none",
		"drain", "undrain", "10.0.0.0/8", "10.0.0.1", "2001:db8::/32", "fe80::1",
		"eth0", "192.0.2.1:80/tcp", "[2001:db8::1]:443/udp", "7", "0", "251",
		"/hc", "latency-sample", "ct-flood-limit", "r", "a", "s", "d", "",
		"interval", "timeout", "rise", "fall", "udp", "expect", "all-down", "use-all",
		"table", "200", "500ms", "3", "ping", "10.0.0.1:8080", "[2001:db8::1]:80",
		"nat", "snat", "persist", "10.0.0.1-10.0.0.9", "300",
	};
	char *argv[8], err[256], out[512];
	struct xgw_cmd c, d;
	unsigned int seed = 12345, ok = 0;

	(void)state;
	for (int it = 0; it < 200000; it++) {
		int argc = 1 + rand_r(&seed) % 7;

		for (int i = 0; i < argc; i++)
			argv[i] = (char *)vocab[rand_r(&seed) % ARRAY_SIZE(vocab)];
		if (xgw_cmd_parse(argc, argv, &c, err, sizeof(err))) {
			assert_true(strlen(err) > 0);
			continue;
		}
		ok++;
		assert_true(xgw_cmd_format(&c, out, sizeof(out)) > 0);
		if (parse_line(out, &d, err, sizeof(err)))
			fail_msg("canonical \"%s\" refused: %s", out, err);
		assert_memory_equal(&c, &d, sizeof(c));
	}
	assert_true(ok > 1000);		/* the walk did reach valid commands */
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* w as a whole word: not inside a longer keyword ("set" in "reset"). */
static bool has_word(const char *text, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = text; (p = strstr(p, w)); p++) {
		char b = p > text ? p[-1] : ' ', a = p[n];

		if (!isalnum((unsigned char)b) && b != '-' &&
		    !isalnum((unsigned char)a) && a != '-')
			return true;
		/* roff: "\fBdel\fR" -- the B of \fB is glued on */
		if (p - text >= 3 && !strncmp(p - 3, "\\fB", 3) &&
		    !isalnum((unsigned char)a) && a != '-')
			return true;
	}
	return false;
}

/* Every keyword of each object, in help, man page and completion alike. */
static void test_help_docs_agree(void **state)
{
	static const struct {
		int obj;
		const char *words[16];
	} kw[] = {
		{ XGW_OBJ_LINK, { "attach", "detach", "show", "mode", "native", "generic", "decap" } },
		{ XGW_OBJ_ROUTE, { "add", "replace", "del", "show", "get", "via", "dev", "blackhole",
				   "nexthop", "weight", "follow", "unfollow", "table", "proto",
				   "summary" } },
		{ XGW_OBJ_NEIGH, { "show" } },
		{ XGW_OBJ_STATS, { "show", "latency", "reset" } },
		{ XGW_OBJ_SET, { "latency-sample", "ct-udp-timeout", "ct-flood-limit", "icmp-rate",
				 "icmp-burst" } },
		{ XGW_OBJ_SET, { "ct-tcp-syn-timeout", "ct-tcp-established-timeout", "ct-tcp-fin-timeout",
				 "ct-tcp-time-wait-timeout", "ct-tcp-close-timeout", "nat-ports" } },
		{ XGW_OBJ_VLAN, { "add", "del", "show", "dev", "vid" } },
		{ XGW_OBJ_SERVICE, { "add", "replace", "set", "del", "show", "mode", "table-size", "dsr",
				     "ipip", "all-down", "use-all", "table" } },
		{ XGW_OBJ_SERVICE, { "nat", "snat", "persist" } },
		{ XGW_OBJ_BACKEND, { "add", "set", "del", "weight", "check", "http", "none", "drain", "undrain" } },
		{ XGW_OBJ_BACKEND, { "tcp", "udp", "expect", "interval", "timeout", "rise", "fall" } },
		{ XGW_OBJ_TOP, { "top" } },
		{ XGW_OBJ_DAEMON, { "show", "reload" } },
	};
	char *man = slurp("docs/xgwctl.8"), *comp = slurp("docs/xgwctl.bash-completion");

	(void)state;
	assert_non_null(man);
	assert_non_null(comp);
	for (size_t i = 0; i < ARRAY_SIZE(kw); i++) {
		const char *help = xgw_cmd_help(kw[i].obj);

		assert_non_null(help);
		assert_non_null(strstr(help, "Usage: xgwctl"));
		for (int j = 0; kw[i].words[j]; j++) {
			const char *w = kw[i].words[j];

			if (!strstr(help, w))
				fail_msg("help of object %d lacks \"%s\"", kw[i].obj, w);
			if (!has_word(man, w))
				fail_msg("docs/xgwctl.8 lacks \"%s\"", w);
			if (!has_word(comp, w))
				fail_msg("completion lacks \"%s\"", w);
		}
	}
	assert_non_null(strstr(xgw_cmd_help(XGW_OBJ_ROUTE),
			       "ROUTE := PREFIX { via ADDR [ dev DEV ] | dev DEV | blackhole }"));
	assert_non_null(strstr(man, "\\fIROUTE\\fR := \\fIPREFIX\\fR { \\fBvia\\fR \\fIADDR\\fR [ \\fBdev\\fR \\fIDEV\\fR ] | \\fBdev\\fR \\fIDEV\\fR | \\fBblackhole\\fR }"));
	assert_non_null(strstr(xgw_cmd_help(-1), "OBJECT := { link | vlan | route | neigh | stats | top | set | service | backend |\n"
			       "           daemon }"));
	free(man);
	free(comp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_err_truncation),
		cmocka_unit_test(test_shell_words),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_format_limits),
		cmocka_unit_test(test_random_words),
		cmocka_unit_test(test_help_docs_agree),
	};

	return cmocka_run_group_tests_name("cmd", tests, NULL, NULL);
}
