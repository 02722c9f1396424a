// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgwd logic that needs no kernel: the state file's text, batch parsing
 * (a bad line names its number and nothing is applied), write permission
 * (uid, gid and supplementary groups), whole-or-cut state files read with
 * no size limit, what a command is about (reload keys), the latency
 * percentile estimate, and the small containers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "../../ctl/xgwd/ctlsock.h"
#include "../../ctl/xgwd/link.h"
#include "../../ctl/xgwd/local.h"
#include "../../ctl/xgwd/route.h"
#include "../../ctl/xgwd/rtable.h"
#include "../../ctl/xgwd/state.h"
#include "../../ctl/xgwd/stats.h"
#include "../../ctl/xgwd/vip.h"
#include "../../ctl/xgwd/xgwd.h"

static void init_daemon(struct xgwd *d)
{
	memset(d, 0, sizeof(*d));
	d->links.size = sizeof(struct xgwd_link);
	d->routes.size = sizeof(struct xgwd_route);
	d->locals.size = sizeof(struct xgwd_local);
	d->vips.size = sizeof(struct xgwd_vip);
	d->onlink.size = sizeof(struct xgwd_onlink);
	d->config.latency_sample = 1024;
	d->config.ct_udp_timeout_s = 30;
	d->config.ct_flood_limit = 65536;
	d->config.icmp_rate = XGW_ICMP_RATE_DEFAULT;
	d->config.icmp_burst = XGW_ICMP_BURST_DEFAULT;
}

static void free_daemon(struct xgwd *d)
{
	xgwd_vec__free(&d->links);
	xgwd_vec__free(&d->routes);
	xgwd_vec__free(&d->locals);
	xgwd_vec__free(&d->vips);
}

static void add_route(struct xgwd *d, const char *line)
{
	char buf[256], *argv[16], err[128];
	struct xgw_cmd c;
	struct xgwd_route r = {};
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = xgw_cmd_split(buf, argv, 16);
	assert_int_equal(xgw_cmd_parse(argc, argv, &c, err, sizeof(err)), 0);
	r.dst = c.route.dst;
	r.type = c.route.type;
	r.via = c.route.via;
	memcpy(r.dev, c.route.dev, sizeof(r.dev));
	assert_non_null(xgwd_vec__push(&d->routes, &r));
}

static char *write_state(struct xgwd *d)
{
	FILE *f = tmpfile();
	char *text = calloc(1, 4096);
	size_t n;

	assert_non_null(f);
	assert_non_null(text);
	assert_int_equal(state__write(d, f), 0);
	rewind(f);
	n = fread(text, 1, 4095, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* Links first, then settings, then routes (v4 before v6, by address), each
 * a canonical command line: the order never depends on history. */
static void test_state_text(void **st)
{
	struct xgwd d;
	struct xgwd_link l = { .ifindex = 7, .mode = XGW_LINK_GENERIC };
	const char *want =
		"link attach eth9 mode generic\n"
		"set latency-sample 5\n"
		"set ct-udp-timeout 30\n"
		"set ct-flood-limit 65536\n"
		"set icmp-rate 1000\n"
		"set icmp-burst 50\n"
		"route add 10.0.0.0/8 via 192.0.2.1 dev eth9\n"
		"route add 198.51.100.7 dev eth9\n"
		"route add 2001:db8::1 blackhole\n"
		"# end of xgw state\n";
	char *text, *body;

	(void)st;
	init_daemon(&d);
	snprintf(l.name, sizeof(l.name), "eth9");
	assert_non_null(xgwd_vec__push(&d.links, &l));
	d.config.latency_sample = 5;
	add_route(&d, "route add 10.0.0.0/8 via 192.0.2.1 dev eth9");
	add_route(&d, "route add 2001:db8::1 blackhole");
	add_route(&d, "route add 198.51.100.7 dev eth9");
	text = write_state(&d);
	/* three comment lines, then the commands, then the end line */
	body = strchr(strchr(strchr(text, '\n') + 1, '\n') + 1, '\n') + 1;
	assert_string_equal(body, want);
	free(text);
	free_daemon(&d);
}

/* route__to_cmd + format gives back the line that made the route. */
static void test_route_roundtrip(void **st)
{
	static const char *const lines[] = {
		"route add 10.1.0.0/16 via 10.0.0.1",
		"route add fd00::/8 via fe80::1 dev eth0",
		"route add 10.2.0.0/24 dev eth0",
		"route add 10.3.0.0/16 blackhole",
	};
	struct xgwd d;
	struct xgw_cmd c;
	char out[256];
	size_t i;

	(void)st;
	init_daemon(&d);
	for (i = 0; i < 4; i++) {
		add_route(&d, lines[i]);
		route__to_cmd(xgwd_vec__at(&d.routes, struct xgwd_route, i), XGW_V_ADD, &c);
		assert_true(xgw_cmd_format(&c, out, sizeof(out)) > 0);
		assert_string_equal(out, lines[i]);
	}
	free_daemon(&d);
}

/* A bad line anywhere: ERR "line N: ..." and nothing is applied (there is
 * no datapath here, so applying anything would crash the test). */
static void test_batch_bad_line(void **st)
{
	static const struct {
		const char *text;
		const char *err_prefix;
	} cases[] = {
		{ "route add 10.0.0.0/8 blackhole\nroute add 10.0.0.0/33 blackhole\n", "line 2: " },
		{ "# comment\n\nroute add 10.0.0.0/8 blackhole\nroute frobnicate\n", "line 4: " },
		{ "route add 10.0.0.0/8 via 10.0.0.1 dev nosuchdev0\n", "line 1: " },
		{ "link attach\n", "line 1: " },
		{ "top\n", "line 1: " },
	};
	char text[256], err[256];
	struct xgwd d;
	size_t i;

	(void)st;
	init_daemon(&d);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s", cases[i].text);
		err[0] = '\0';
		assert_true(xgwd__run(&d, text, true, true, err, sizeof(err)) < 0);
		if (strncmp(err, cases[i].err_prefix, strlen(cases[i].err_prefix)))
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err,
				 cases[i].err_prefix);
		assert_true(strlen(err) > strlen(cases[i].err_prefix));
		assert_int_equal(d.routes.n, 0);
	}
	free_daemon(&d);
}

/* Writes need root or the group; reads do not. */
static void test_write_permission(void **st)
{
	char text[128], err[256];
	struct xgwd d;

	(void)st;
	init_daemon(&d);
	snprintf(text, sizeof(text), "route add 10.0.0.0/8 blackhole\n");
	assert_int_equal(xgwd__run(&d, text, false, false, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "permission denied"));
	snprintf(text, sizeof(text), "stats reset\n");
	assert_int_equal(xgwd__run(&d, text, false, false, err, sizeof(err)), -EPERM);
	snprintf(text, sizeof(text), "route help\n");
	assert_int_equal(xgwd__run(&d, text, false, false, err, sizeof(err)), 0);
	assert_int_equal(d.routes.n, 0);
	free_daemon(&d);
}

static void test_percentile(void **st)
{
	__u64 b[XGW_LAT_BUCKETS] = {};

	(void)st;
	assert_true(stats__percentile(b, XGW_LAT_BUCKETS, 0.5) == 0);
	b[3] = 100;			/* [4, 8) ns */
	assert_true(stats__percentile(b, XGW_LAT_BUCKETS, 0.5) == 6.0);
	assert_true(stats__percentile(b, XGW_LAT_BUCKETS, 1.0) == 8.0);
	b[10] = 100;			/* [512, 1024) ns */
	assert_true(stats__percentile(b, XGW_LAT_BUCKETS, 0.25) == 6.0);
	assert_true(stats__percentile(b, XGW_LAT_BUCKETS, 0.75) == 768.0);
	memset(b, 0, sizeof(b));
	b[XGW_LAT_BUCKETS - 1] = 3;	/* open-ended: its lower bound */
	assert_true(stats__percentile(b, XGW_LAT_BUCKETS, 0.99) ==
		    (double)(1ull << (XGW_LAT_BUCKETS - 2)));
	b[0] = 1;			/* 0 ns */
	assert_true(stats__percentile(b, XGW_LAT_BUCKETS, 0.1) == 0);
}

static void test_vec_undo(void **st)
{
	struct xgwd_vec v = { .size = sizeof(int) };
	struct xgwd_undo u = {};
	struct xgw_cmd c = { .obj = XGW_OBJ_ROUTE, .verb = XGW_V_DEL };
	int i;

	(void)st;
	for (i = 0; i < 100; i++)
		assert_non_null(xgwd_vec__push(&v, &i));
	xgwd_vec__del(&v, 0);
	xgwd_vec__del(&v, 50);
	assert_int_equal(v.n, 98);
	assert_int_equal(*xgwd_vec__at(&v, int, 0), 1);
	assert_int_equal(*xgwd_vec__at(&v, int, 50), 52);
	assert_int_equal(*xgwd_vec__at(&v, int, 97), 99);
	xgwd_vec__free(&v);
	for (i = 0; i < 40; i++)
		assert_int_equal(xgwd_undo__push(&u, &c), 0);
	assert_int_equal(u.n, 40);
	assert_int_equal(xgwd_undo__push(NULL, &c), 0);
	free(u.cmds);
}


/* A file xgwd wrote is whole only with its end line; a last line without
 * its newline was cut; hand-written files need no end line. */
static void test_state_complete(void **st)
{
	static const struct {
		const char *text;
		int ret;
		const char *why;
	} cases[] = {
		{ "", 0, NULL },
		{ "route add 10.0.0.0/8 blackhole\n", 0, NULL },
		{ "route add 10.0.0.0/8 bl", -EINVAL, "line 1 has no end" },
		{ "# xgw desired state, rewritten by xgwd on every change.\n"
		  "route add 10.0.0.0/8 blackhole\n# end of xgw state\n", 0, NULL },
		{ "# xgw desired state, rewritten by xgwd on every change.\n"
		  "route add 10.0.0.0/8 blackhole\n# end of xgw state\n"
		  "route add 10.1.0.0/16 blackhole\n", 0, NULL },	/* appended */
		{ "# xgw desired state, rewritten by xgwd on every change.\n"
		  "route add 10.0.0.0/8 blackhole\n", -EINVAL, "cut after line 2" },
		{ "# xgw desired state, rewritten by xgwd on every change.\n"
		  "route add 10.0.0.0/8 blackhole\n# end of xgw st", -EINVAL, "line 3 has no end" },
	};
	char why[256];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		assert_int_equal(state__complete(cases[i].text, strlen(cases[i].text), why,
						 sizeof(why)), cases[i].ret);
		if (cases[i].why && !strstr(why, cases[i].why))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, why, cases[i].why);
	}
	assert_int_equal(state__complete("a\0b\n", 4, why, sizeof(why)), -EINVAL);
}

/* No size limit: a 20 MiB file (over the old 16 MiB cut) is read whole,
 * its last line intact; a missing file says so. */
static void test_state_read_whole(void **st)
{
	char path[] = "/tmp/xgw-test-state.XXXXXX", *text;
	size_t len, i, n = 0;
	FILE *f;
	int fd;

	(void)st;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (i = 0; n < (20u << 20); i++)
		n += fprintf(f, "route add %zu.%zu.%zu.0/24 blackhole\n", 1 + i / 65536,
			     i / 256 % 256, i % 256);
	fprintf(f, "route add 99.0.0.0/8 via 192.0.2.1\n");
	fclose(f);
	assert_int_equal(state__read(path, &text, &len), 0);
	assert_int_equal(len, strlen(text));
	assert_true(len > (20u << 20));
	assert_string_equal(text + len - 35, "route add 99.0.0.0/8 via 192.0.2.1\n");
	free(text);
	unlink(path);
	assert_int_equal(state__read(path, &text, &len), -ENOENT);
}

/* Reload keys: what a line is about, not what it says about it. */
static void test_state_key(void **st)
{
	static const struct {
		const char *a, *b;
		bool same;
	} cases[] = {
		{ "route add 10.0.0.0/8 blackhole", "route add 10.0.0.0/8 via 192.0.2.1", true },
		{ "route add 10.0.0.0/8 blackhole", "route add 10.0.0.0/9 blackhole", false },
		{ "link attach eth0", "link attach eth0 mode generic", true },
		{ "set latency-sample 5", "set latency-sample 7", true },
		{ "set latency-sample 5", "set ct-udp-timeout 5", false },
		{ "service add 10.0.0.1:80/tcp", "service add 10.0.0.1:80/tcp mode ipip", true },
		{ "service add 10.0.0.1:80/tcp", "service add 10.0.0.1:80/udp", false },
		{ "backend add 10.0.0.1:80/tcp 10.1.0.1", "backend add 10.0.0.1:80/tcp 10.1.0.1 weight 3", true },
		{ "backend add 10.0.0.1:80/tcp 10.1.0.1", "backend add 10.0.0.1:80/tcp 10.1.0.2", false },
		{ "backend add 10.0.0.1:80/tcp 10.1.0.1", "backend set 10.0.0.1:80/tcp 10.1.0.1 drain", false },
	};
	char la[128], lb[128], ka[160], kb[160], err[128], *av[16], *bv[16];
	struct xgw_cmd a, b;
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(la, sizeof(la), "%s", cases[i].a);
		snprintf(lb, sizeof(lb), "%s", cases[i].b);
		assert_int_equal(xgw_cmd_parse(xgw_cmd_split(la, av, 16), av, &a, err, sizeof(err)), 0);
		assert_int_equal(xgw_cmd_parse(xgw_cmd_split(lb, bv, 16), bv, &b, err, sizeof(err)), 0);
		assert_int_equal(state__key(&a, ka, sizeof(ka)), 0);
		assert_int_equal(state__key(&b, kb, sizeof(kb)), 0);
		if ((strcmp(ka, kb) == 0) != cases[i].same)
			fail_msg("case %zu: \"%s\" vs \"%s\"", i, ka, kb);
	}
}

/* SO_PEERGROUPS: the peer's own groups decide, primary or supplementary. */
static void test_peer_groups(void **st)
{
	gid_t groups[] = { 10, 20, 4 };

	(void)st;
	/* no --group: only root writes (ctlsock.c checks uid 0 first) */
	assert_false(ctlsock__gid_may_write(4, groups, 3));
	ctlsock__set_group(4);
	assert_true(ctlsock__gid_may_write(4, NULL, 0));	/* primary */
	assert_true(ctlsock__gid_may_write(65534, groups, 3));	/* supplementary */
	assert_false(ctlsock__gid_may_write(65534, groups, 2));	/* dropped it */
	assert_false(ctlsock__gid_may_write(65534, NULL, 0));
	ctlsock__set_group((gid_t)-1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_text),
		cmocka_unit_test(test_route_roundtrip),
		cmocka_unit_test(test_batch_bad_line),
		cmocka_unit_test(test_write_permission),
		cmocka_unit_test(test_percentile),
		cmocka_unit_test(test_vec_undo),
		cmocka_unit_test(test_state_complete),
		cmocka_unit_test(test_state_read_whole),
		cmocka_unit_test(test_state_key),
		cmocka_unit_test(test_peer_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
