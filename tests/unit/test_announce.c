// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * VIP announcement (ctl/xgwd/announce.c) against a fake kernel table: what
 * is written when, that a restart changes only the difference (no flap),
 * several services on one address, drain, moving tables with rollback,
 * the state-file lines, --cleanup, and the grammar of the two settings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "../../ctl/xgwd/announce.h"

/* ---- the fake kernel: a list of (table, address), and a call log ---------- */
#define MAXR 32
static struct {
	__u32 table[MAXR];
	struct xgw_addr addr[MAXR];
	int n;
	int adds, dels;		/* route() calls that changed something */
	__u32 fail_table;	/* adds into this table fail with -ENOBUFS */
} k;

static int find(__u32 table, const struct xgw_addr *a)
{
	for (int i = 0; i < k.n; i++)
		if (k.table[i] == table && xgw_addr_equal(&k.addr[i], a))
			return i;
	return -1;
}

static int fake_route(int cmd, __u32 table, const struct xgw_addr *a)
{
	int i = find(table, a);

	if (cmd == RTM_NEWROUTE) {
		if (table == k.fail_table)
			return -ENOBUFS;
		k.adds++;
		if (i < 0) {
			k.table[k.n] = table;
			k.addr[k.n++] = *a;
		}
		return 0;
	}
	if (i >= 0) {
		k.dels++;
		k.table[i] = k.table[--k.n];
		k.addr[i] = k.addr[k.n];
	}
	return 0;
}

static int fake_dump(__u32 table, void (*cb)(void *, __u32, const struct xgw_addr *),
		     void *arg)
{
	for (int i = 0; i < k.n; i++)
		if (!table || k.table[i] == table)
			cb(arg, k.table[i], &k.addr[i]);
	return 0;
}

static const struct announce_kernel fake = { fake_route, fake_dump };

static struct xgw_addr A(const char *s)
{
	struct xgw_addr a;

	assert_int_equal(xgw_addr_parse(s, &a), 0);
	return a;
}

static bool has(__u32 table, const char *s)
{
	struct xgw_addr a = A(s);

	return find(table, &a) >= 0;
}

static void set(struct xgwd *d, const char *line, int want)
{
	char buf[128], *argv[8], err[256] = "";
	struct xgw_cmd c;
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = xgw_cmd_split(buf, argv, 8);
	assert_int_equal(xgw_cmd_parse(argc, argv, &c, err, sizeof(err)), 0);
	assert_true(announce__is_setting(&c));
	assert_int_equal(announce__apply(d, &c, NULL, err, sizeof(err)), want);
}

static void svc(__u32 id, const char *vip, bool usable)
{
	struct xgw_addr a = A(vip);

	announce__service(id, &a, usable);
}

static int setup(void **state)
{
	(void)state;
	memset(&k, 0, sizeof(k));
	announce__reset(&fake);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	announce__reset(NULL);
	return 0;
}

/* Restoring: everything is recorded, nothing written until xgwd serves. */
static void test_nothing_before_serving(void **state)
{
	struct xgwd d = { .ctl_fd = -1 };

	(void)state;
	set(&d, "set announce-table 100", 0);
	svc(1, "10.99.0.1", true);
	svc(2, "2001:db8::1", true);
	announce__tick(&d);
	assert_int_equal(k.n, 0);
	d.ctl_fd = 3;
	announce__tick(&d);
	assert_true(has(100, "10.99.0.1"));
	assert_true(has(100, "2001:db8::1"));
	assert_int_equal(k.n, 2);
	/* from now on every change is written at once */
	svc(3, "10.99.0.3", true);
	assert_true(has(100, "10.99.0.3"));
	svc(1, "10.99.0.1", false);
	assert_false(has(100, "10.99.0.1"));
}

/* A restarted xgwd: the wanted routes are already there and stay
 * untouched; a stale one (VIP deleted meanwhile) goes. */
static void test_restart_no_flap(void **state)
{
	struct xgwd d = { .ctl_fd = -1 };
	struct xgw_addr a = A("10.99.0.1"), stale = A("10.99.0.9"), other = A("10.99.0.1");

	(void)state;
	fake_route(RTM_NEWROUTE, 100, &a);
	fake_route(RTM_NEWROUTE, 100, &stale);
	fake_route(RTM_NEWROUTE, 7, &other);	/* another table: not ours now */
	k.adds = 0;
	set(&d, "set announce-table 100", 0);
	svc(4, "10.99.0.1", true);
	d.ctl_fd = 3;
	announce__tick(&d);
	assert_int_equal(k.adds, 0);
	assert_int_equal(k.dels, 1);
	assert_true(has(100, "10.99.0.1"));
	assert_false(has(100, "10.99.0.9"));
	assert_true(has(7, "10.99.0.1"));
}

/* One address, two services: withdrawn only when neither has a backend. */
static void test_shared_address(void **state)
{
	struct xgwd d = { .ctl_fd = 3 };

	(void)state;
	set(&d, "set announce-table 100", 0);
	announce__tick(&d);
	svc(1, "10.99.0.1", true);
	svc(2, "10.99.0.1", true);
	assert_int_equal(k.adds, 1);
	svc(1, "10.99.0.1", false);
	assert_true(has(100, "10.99.0.1"));
	svc(2, "10.99.0.1", false);	/* deleted */
	assert_false(has(100, "10.99.0.1"));
	/* an id reused for another address takes the old one's route away */
	svc(5, "10.99.0.5", true);
	svc(5, "10.99.0.6", true);
	assert_false(has(100, "10.99.0.5"));
	assert_true(has(100, "10.99.0.6"));
}

/* Drain and back; a route deleted by hand is not re-added before the next
 * comparison (ANNOUNCE_RESYNC_S, or a restart as here). */
static void test_drain(void **state)
{
	struct xgwd d = { .ctl_fd = 3 };
	struct xgw_addr a = A("10.99.0.2");

	(void)state;
	set(&d, "set announce-table 100", 0);
	svc(1, "10.99.0.1", true);
	svc(2, "10.99.0.2", true);
	announce__tick(&d);
	assert_int_equal(k.n, 2);
	set(&d, "set announce off", 0);
	assert_int_equal(k.n, 0);
	svc(3, "10.99.0.3", true);	/* drained: stays out */
	assert_int_equal(k.n, 0);
	set(&d, "set announce on", 0);
	assert_int_equal(k.n, 3);
	fake_route(RTM_DELROUTE, 100, &a);
	announce__tick(&d);		/* within ANNOUNCE_RESYNC_S: not yet */
	assert_false(has(100, "10.99.0.2"));
	announce__reset(&fake);
	d.ctl_fd = 3;
	set(&d, "set announce-table 100", 0);
	svc(2, "10.99.0.2", true);
	announce__tick(&d);
	assert_true(has(100, "10.99.0.2"));
}

/* Moving tables; a failure in the new one puts everything back. */
static void test_table_change(void **state)
{
	struct xgwd d = { .ctl_fd = 3 };
	char err[256] = "";
	struct xgw_cmd c = { .obj = XGW_OBJ_SET, .verb = XGW_V_SET,
			     .set = { XGW_SET_ANNOUNCE_TABLE, 300 } };
	struct xgwd_undo u = {};

	(void)state;
	set(&d, "set announce-table 100", 0);
	svc(1, "10.99.0.1", true);
	announce__tick(&d);
	set(&d, "set announce-table 200", 0);
	assert_false(has(100, "10.99.0.1"));
	assert_true(has(200, "10.99.0.1"));
	k.fail_table = 300;
	assert_int_equal(announce__apply(&d, &c, &u, err, sizeof(err)), -ENOBUFS);
	assert_non_null(strstr(err, "table 300"));
	assert_int_equal(u.n, 0);	/* nothing to undo: nothing changed */
	assert_true(has(200, "10.99.0.1"));
	assert_int_equal(k.n, 1);
	/* a successful change pushes its inverse */
	c.set.value = 0;
	assert_int_equal(announce__apply(&d, &c, &u, err, sizeof(err)), 0);
	assert_int_equal(k.n, 0);
	assert_int_equal(u.n, 1);
	assert_int_equal(u.cmds[0].set.value, 200);
	free(u.cmds);
}

static void test_save(void **state)
{
	struct xgwd d = { .ctl_fd = -1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&buf, &len);
	assert_int_equal(announce__save(f), 0);	/* defaults: nothing */
	fflush(f);
	assert_int_equal(len, 0);
	set(&d, "set announce-table 4242", 0);
	set(&d, "set announce off", 0);
	assert_int_equal(announce__save(f), 0);
	fclose(f);
	assert_string_equal(buf, "set announce-table 4242\nset announce off\n");
	free(buf);
}

static void test_cleanup(void **state)
{
	struct xgw_addr a = A("10.99.0.1"), b = A("2001:db8::1");

	(void)state;
	fake_route(RTM_NEWROUTE, 100, &a);
	fake_route(RTM_NEWROUTE, 5000, &b);
	assert_int_equal(announce__cleanup(), 0);
	assert_int_equal(k.n, 0);
}

static void expect_parse_error(const char *line, const char *msg)
{
	char buf[128], *argv[8], err[256] = "";
	struct xgw_cmd c;
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = xgw_cmd_split(buf, argv, 8);
	assert_int_equal(xgw_cmd_parse(argc, argv, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, msg));
}

static void test_grammar(void **state)
{
	const char *lines[] = { "set announce-table 100", "set announce off", "set announce on",
				"set announce-table 0", "set announce-table 4294967295" };
	char buf[128], out[128], *argv[8], err[256];
	struct xgw_cmd c;

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", lines[i]);
		assert_int_equal(xgw_cmd_parse(xgw_cmd_split(buf, argv, 8), argv, &c, err,
					       sizeof(err)), 0);
		assert_true(xgw_cmd_format(&c, out, sizeof(out)) > 0);
		assert_string_equal(out, lines[i]);
		assert_true(xgw_cmd_is_write(&c));
	}
	snprintf(buf, sizeof(buf), "set announce of");	/* prefixes, as ip(8) */
	assert_int_equal(xgw_cmd_parse(xgw_cmd_split(buf, argv, 8), argv, &c, err,
				       sizeof(err)), 0);
	assert_int_equal(c.set.key, XGW_SET_ANNOUNCE);
	assert_int_equal(c.set.value, 0);
	expect_parse_error("set announce-table 254", "invalid announce-table \"254\"");
	expect_parse_error("set announce-table main", "invalid announce-table \"main\"");
	expect_parse_error("set announce-table 4294967296", "invalid announce-table");
	expect_parse_error("set announce maybe", "unknown value \"maybe\" for announce");
	expect_parse_error("set announce", "missing on or off");
	expect_parse_error("set ann 1", "ambiguous setting \"ann\"");
	expect_parse_error("set announce on now", "unexpected \"now\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_before_serving, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_no_flap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cleanup, setup, teardown),
		cmocka_unit_test(test_grammar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
