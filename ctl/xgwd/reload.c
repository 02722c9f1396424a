// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The restore at start, and reloads (SIGHUP, `xgwctl daemon reload`).
 *
 * A reload applies the difference between the state file and the running
 * state as one transaction: what the file no longer has is removed (in the
 * reverse of the file's order: backends before their service, routes
 * before their link), what differs is replaced, what is new is added, in
 * the file's order; a failure anywhere rolls all of it back and the daemon
 * runs on as it was. A daemon whose file was not loaded at start (it did
 * not parse) restores from it instead, as at start.
 */
#include <stdlib.h>
#include <string.h>
#include "json_print.h"
#include "loader.h"
#include "nexthop.h"
#include "route.h"
#include "state.h"
#include "ifinfo.h"
#include "xgwd.h"

int state__restore(struct xgwd *d)
{
	int err = state__load(d, d->opts.config);

	if (err || !d->adopted || state__status() == STATE_NOT_LOADED)
		return err;
	/*
	 * Restored over an adopted datapath: keep the entries of the lines
	 * that failed, write the IPv4 FIB in one pass and sweep what the
	 * state file no longer has.
	 */
	state__keep_failed(d);
	err = route__sweep(d);
	if (err) {
		state__not_loaded(d->opts.config, "the restored IPv4 FIB cannot be written");
		return 0;
	}
	nexthop__sweep(d);
	ifinfo__sweep(d);
	return 0;
}

static const struct xgw_cmd *find_key(const struct parsed *p, const char *key)
{
	char k[160];
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!state__key(&p->cmds[i], k, sizeof(k)) && !strcmp(k, key))
			return &p->cmds[i];
	return NULL;
}

/* The setting's value when the file does not say. */
static unsigned long setting_default(enum xgw_setting k)
{
	switch (k) {
	case XGW_SET_LATENCY_SAMPLE:
		return XGW_LATENCY_SAMPLE_DEFAULT;
	case XGW_SET_CT_UDP_TIMEOUT:
		return XGW_CT_UDP_TIMEOUT_DEFAULT;
	case XGW_SET_CT_FLOOD_LIMIT:
		return XGW_CT_FLOOD_DEFAULT;
	case XGW_SET_ANNOUNCE:
		return 1;	/* on, unless a line says off */
	default:
		/* announce-table: none; ct-tcp-*-timeout and nat-ports: 0 is
		 * the datapath's default (stats.c never writes those lines) */
		return 0;
	}
}

/* The command that removes what running line c made. */
static void removal(const struct xgw_cmd *c, struct xgw_cmd *out)
{
	*out = *c;
	switch (c->obj) {
	case XGW_OBJ_LINK:
		out->verb = XGW_V_DETACH;
		break;
	case XGW_OBJ_SET:
		out->set.value = setting_default(c->set.key);
		break;
	case XGW_OBJ_ROUTE:
		out->verb = c->verb == XGW_V_FOLLOW ? XGW_V_UNFOLLOW : XGW_V_DEL;
		break;
	case XGW_OBJ_BACKEND:
		if (c->verb == XGW_V_SET) {
			out->backend.said = XGW_LB_F_DRAIN;
			out->backend.drain = false;
			break;
		}
		/* fall through */
	default:
		out->verb = XGW_V_DEL;
	}
}

/* Running lines whose key the file lacks: removed, last first. */
static int plan_removals(const struct parsed *run, const struct parsed *file,
			 struct parsed *plan)
{
	struct xgw_cmd c;
	char key[160];
	size_t i;
	int err;

	for (i = run->n; i-- > 0;) {
		if (state__key(&run->cmds[i], key, sizeof(key)) || find_key(file, key))
			continue;
		removal(&run->cmds[i], &c);
		err = parsed__push(plan, &c, 0);
		if (err)
			return err;
	}
	return 0;
}

/* Do two backend lines say the same health check? */
static bool same_health(const struct xgw_cmd *a, const struct xgw_cmd *b)
{
	char ha[256], hb[256];

	return (a->backend.said & XGW_LB_F_HEALTH) == (b->backend.said & XGW_LB_F_HEALTH) &&
	       xgw_check_format(&a->backend.check, a->backend.said, ha, sizeof(ha)) >= 0 &&
	       xgw_check_format(&b->backend.check, b->backend.said, hb, sizeof(hb)) >= 0 &&
	       !strcmp(ha, hb);
}

/* File line c differs from running line old (same key): what changes it. */
static int plan_change(const struct xgw_cmd *c, const struct xgw_cmd *old, int line,
		       struct parsed *plan)
{
	struct xgw_cmd x = *c;
	int err = 0;

	switch (c->obj) {
	case XGW_OBJ_ROUTE:
	case XGW_OBJ_SERVICE:
		x.verb = XGW_V_REPLACE;
		return parsed__push(plan, &x, line);
	case XGW_OBJ_BACKEND:
		if (c->verb == XGW_V_ADD && same_health(c, old)) {
			x.verb = XGW_V_SET;	/* weight only: keeps drain and flows */
			x.backend.said = XGW_LB_F_WEIGHT;
			return parsed__push(plan, &x, line);
		}
		if (c->verb == XGW_V_ADD) {
			removal(old, &x);
			err = parsed__push(plan, &x, line);
		}
		return err ? err : parsed__push(plan, c, line);
	case XGW_OBJ_LINK:
		removal(old, &x);
		err = parsed__push(plan, &x, line);
		return err ? err : parsed__push(plan, c, line);
	default:
		return parsed__push(plan, c, line);
	}
}

/* Was c's backend just re-added by the plan (so its drain line is due)? */
static bool readded(const struct parsed *plan, const struct xgw_cmd *c)
{
	const struct xgw_cmd *last = plan->n ? &plan->cmds[plan->n - 1] : NULL;

	return c->obj == XGW_OBJ_BACKEND && c->verb == XGW_V_SET && last &&
	       last->obj == XGW_OBJ_BACKEND && last->verb == XGW_V_ADD &&
	       xgw_addr_equal(&last->backend.addr, &c->backend.addr) &&
	       last->backend.port == c->backend.port &&
	       xgw_addr_equal(&last->backend.svc.addr, &c->backend.svc.addr) &&
	       last->backend.svc.port == c->backend.svc.port &&
	       last->backend.svc.proto == c->backend.svc.proto;
}

/* File lines not running as they are: changed or added, in file order. A
 * backend re-added (its check changed) gets its drain line again. */
static int plan_additions(const struct parsed *run, const struct state_lines *now,
			  const struct parsed *file, struct parsed *plan)
{
	const struct xgw_cmd *old;
	char line[512], key[160];
	size_t i;
	int err;

	for (i = 0; i < file->n; i++) {
		const struct xgw_cmd *c = &file->cmds[i];

		if (!xgw_cmd_is_write(c) || xgw_cmd_format(c, line, sizeof(line)) < 0 ||
		    state__key(c, key, sizeof(key)))
			continue;
		if (state_lines__has(now, line) && !readded(plan, c))
			continue;
		old = find_key(run, key);
		err = old ? plan_change(c, old, file->lines[i], plan) :
			    parsed__push(plan, c, file->lines[i]);
		if (err)
			return err;
	}
	return 0;
}

/* The running state parsed back into commands (canonical lines). */
static int running_cmds(struct xgwd *d, struct state_lines *now, struct parsed *run,
			char *err, size_t errlen)
{
	char *text;
	size_t i, len = 0;
	int ret;

	ret = state_lines__running(d, now);
	if (ret)
		return ret;
	/* state_lines split its text; parse a copy, line by line */
	for (i = 0; i < now->n; i++)
		len += strlen(now->line[i]) + 1;
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	for (len = 0, i = 0; i < now->n; i++)
		len += sprintf(text + len, "%s\n", now->line[i]);
	text[len] = '\0';
	ret = state__parse(d, text, true, NULL, run, err, errlen);
	free(text);
	return ret;
}

static int reload_diff(struct xgwd *d, char *err, size_t errlen)
{
	struct parsed file = {}, run = {}, plan = {};
	struct state_lines now = {};
	char *text = NULL, why[512];
	size_t len;
	int ret;

	ret = state__read(d->opts.config, &text, &len);
	if (ret == -ENOENT) {
		text = strdup("");	/* no file: an empty state */
		len = 0;
		ret = text ? 0 : -ENOMEM;
	}
	if (ret) {
		snprintf(err, errlen, "cannot read %s: %s", d->opts.config, strerror(-ret));
		goto out;
	}
	if (state__complete(text, len, why, sizeof(why))) {
		snprintf(err, errlen, "%s: %s", d->opts.config, why);
		ret = -EINVAL;
		goto out;
	}
	ret = state__parse(d, text, true, NULL, &file, err, errlen);
	if (!ret)
		ret = running_cmds(d, &now, &run, err, errlen);
	if (!ret)
		ret = plan_removals(&run, &file, &plan);
	if (!ret)
		ret = plan_additions(&run, &now, &file, &plan);
	if (ret) {
		if (!err[0])
			snprintf(err, errlen, "%s", strerror(-ret));
		goto out;
	}
	ret = plan.n ? state__apply_all(d, &plan, true, false, err, errlen) : 0;
	if (!ret) {
		/* the file is applied whole: failed lines it dropped go too */
		state__forget_failed(d, true);
		pr_info("reloaded %s: %zu change(s)", d->opts.config, plan.n);
	}
out:
	parsed__free(&file);
	parsed__free(&run);
	parsed__free(&plan);
	state_lines__free(&now);
	free(text);
	return ret;
}

int state__reload(struct xgwd *d, char *err, size_t errlen)
{
	int ret;

	err[0] = '\0';
	if (state__status() == STATE_NOT_LOADED) {
		ret = state__restore(d);
		if (!ret && state__status() == STATE_NOT_LOADED) {
			snprintf(err, errlen, "%s still does not load", d->opts.config);
			ret = -EINVAL;
		}
	} else {
		ret = reload_diff(d, err, errlen);
	}
	if (ret)
		pr_warn("reload refused, nothing changed: %s", err);
	state__reloaded(ret, err);
	return ret;
}

int daemon__apply(struct xgwd *d, const struct xgw_cmd *c, char *err, size_t errlen)
{
	switch (c->verb) {
	case XGW_V_SHOW:
		open_json_object(NULL);
		state__show(d);
		loader__tracing_show();
		close_json_object();
		return 0;
	case XGW_V_RELOAD:
		return state__reload(d, err, errlen);
	default:
		snprintf(err, errlen, "unsupported daemon command");
		return -EOPNOTSUPP;
	}
}
