// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Applying commands, all-or-nothing batches, and the state file.
 *
 * The state file is the desired state in the CLI's own grammar (links,
 * settings, routes, then the load balancer's lines): `xgwctl -batch FILE`
 * and the config file are one language. It is rewritten after every change
 * through one fixed temp file (fsync, rename, fsync of the directory), so
 * a crash leaves the old or the new file and at most that temp file, which
 * the next save overwrites and the next start removes. Its last line is an
 * end marker: a file xgwd wrote that lacks it was cut, and is not applied.
 *
 * Every write pushes its inverse onto an undo list before changing
 * anything; a batch that fails at line N applies those in reverse, which
 * puts the maps and the file back as they were.
 *
 * Replaying the file at start is fail-safe instead (#12): a file that does
 * not parse completely (a bad word, a cut line, no end marker) applies
 * nothing, and xgwd serves reads over whatever datapath it adopted while
 * refusing changes, which would overwrite the file; a file that parses
 * applies every line that applies, and each line that does not is reported
 * (log, metric, `xgwctl daemon show`) and kept in the file. Over an adopted
 * datapath, what a line that failed had there keeps forwarding
 * (state__keep_failed()): a route's entry and next hop, a backend in its
 * service, a service as it is (lb.c). The daemon is then "degraded" until
 * a reload applies those lines or a command replaces them.
 */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "json_print.h"
#include "announce.h"
#include "entry.h"
#include "follow.h"
#include "ifinfo.h"
#include "lb.h"
#include "link.h"
#include "loader.h"
#include "nexthop.h"
#include "prom.h"
#include "route.h"
#include "rtable.h"
#include "state.h"
#include "stats.h"
#include "util.h"
#include "xgwd.h"
#include "xgw.skel.h"

#define XGWD_MAX_WORDS	64
#define STATE_HEADER	"# xgw desired state, rewritten by xgwd on every change."
#define STATE_END	"# end of xgw state"

/* A line of the state file that did not apply (at start or a reload). */
struct state_failed {
	int line;
	struct xgw_cmd cmd;
	char text[512];		/* its canonical line */
	char err[256];
	bool kept;		/* its datapath entry is left as it was */
	bool in_service;	/* a backend kept in its service: lb__save() writes it */
	__u32 kept_nh;		/* the next hop held for it, 0: none */
};

static struct {
	enum state_status status;
	char why[512];			/* not loaded: what was wrong */
	struct state_failed *failed;
	size_t n_failed, cap;
	unsigned long reloads, reload_errors;
	char last_reload[512];		/* "" or the last reload's error */
} st;

enum state_status state__status(void)
{
	return st.status;
}

int xgwd__apply(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		char *err, size_t errlen)
{
	if (c->verb == XGW_V_HELP) {
		print_text("%s", xgw_cmd_help(c->obj));
		return 0;
	}
	switch (c->obj) {
	case XGW_OBJ_LINK:
		return ifinfo__link_apply(d, c, undo, err, errlen);
	case XGW_OBJ_ROUTE:
		return route__apply(d, c, undo, err, errlen);
	case XGW_OBJ_NEIGH:
		return neigh__show(d);
	case XGW_OBJ_STATS:
		return stats__apply(d, c, err, errlen);
	case XGW_OBJ_SET:
		if (announce__is_setting(c))
			return announce__apply(d, c, undo, err, errlen);
		return settings__apply(d, c, undo, err, errlen);
	case XGW_OBJ_SERVICE:
	case XGW_OBJ_BACKEND:
		return lb__apply(d, c, undo, err, errlen);
	case XGW_OBJ_DAEMON:
		return daemon__apply(d, c, err, errlen);
	case XGW_OBJ_VLAN:
		return ifinfo__apply(d, c, undo, err, errlen);
	default:
		snprintf(err, errlen, "command not handled by xgwd");
		return -EOPNOTSUPP;
	}
}

/* Static checks of one parsed command, before anything of a batch runs. */
static int xgwd__check(struct xgwd *d, const struct xgw_cmd *c, char *err, size_t errlen)
{
	switch (c->obj) {
	case XGW_OBJ_ROUTE:
		return route__check(d, c, err, errlen);
	case XGW_OBJ_SERVICE:
	case XGW_OBJ_BACKEND:
		return c->verb == XGW_V_HELP ? 0 : lb__check(d, c, err, errlen);
	case XGW_OBJ_TOP:
		snprintf(err, errlen, "top is an xgwctl command");
		return -EINVAL;
	default:
		return 0;
	}
}

void xgwd__rollback(struct xgwd *d, struct xgwd_undo *u)
{
	char err[256], line[512];

	while (u->n) {
		const struct xgw_cmd *c = &u->cmds[--u->n];

		if (xgwd__apply(d, c, NULL, err, sizeof(err))) {
			xgw_cmd_format(c, line, sizeof(line));
			pr_warn("rollback of \"%s\" failed: %s", line, err);
		}
	}
}

/* ---- keys: what a command is about (a route's prefix, a link's name...) ---- */
int state__key(const struct xgw_cmd *c, char *buf, size_t len)
{
	char a[XGW_SVC_STRLEN], b[XGW_ADDR_STRLEN];
	int n;

	switch (c->obj) {
	case XGW_OBJ_LINK:
		n = snprintf(buf, len, "link %s", c->link.dev);
		break;
	case XGW_OBJ_VLAN:
		n = snprintf(buf, len, "vlan %s %u-%u", c->vlan.dev, c->vlan.vid_lo, c->vlan.vid_hi);
		break;
	case XGW_OBJ_SET:
		n = snprintf(buf, len, "set %d", c->set.key);
		break;
	case XGW_OBJ_ROUTE:
		if (c->verb == XGW_V_FOLLOW || c->verb == XGW_V_UNFOLLOW)
			n = snprintf(buf, len, "route-follow %lu %d", c->follow.table,
				     c->follow.proto);	/* the follow line is its own key */
		else
			n = snprintf(buf, len, "route %s",
				     xgw_prefix_str(&c->route.dst, a, sizeof(a)));
		break;
	case XGW_OBJ_SERVICE:
		n = snprintf(buf, len, "service %s", xgw_svc_str(&c->service.svc, a, sizeof(a)));
		break;
	case XGW_OBJ_BACKEND:
		/* a drain line is a fact of its own next to the backend's add */
		n = snprintf(buf, len, "backend%s %s %s %u",
			     c->verb == XGW_V_SET ? "-set" : "",
			     xgw_svc_str(&c->backend.svc, a, sizeof(a)),
			     xgw_addr_str(&c->backend.addr, b, sizeof(b)), c->backend.port);
		break;
	default:
		return -EINVAL;
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/*
 * Does command c settle what failed line f is about? A service's delete
 * takes its backends' lines along; a backend's add or delete settles its
 * lines, a set (drain, weight) only a failed set: the backend's own line
 * still did not apply.
 */
static bool failed_is_hit(const struct state_failed *f, const struct xgw_cmd *c)
{
	char k1[160], k2[160];

	if (c->obj == XGW_OBJ_SERVICE && f->cmd.obj == XGW_OBJ_BACKEND)
		return c->verb == XGW_V_DEL &&
		       xgw_addr_equal(&c->service.svc.addr, &f->cmd.backend.svc.addr) &&
		       c->service.svc.port == f->cmd.backend.svc.port &&
		       c->service.svc.proto == f->cmd.backend.svc.proto;
	if (c->obj == XGW_OBJ_BACKEND && f->cmd.obj == XGW_OBJ_BACKEND) {
		struct xgw_cmd a = *c;

		if (c->verb == XGW_V_SET && f->cmd.verb != XGW_V_SET)
			return false;
		a.verb = f->cmd.verb;	/* add, set and del: the same backend */
		return !state__key(&a, k1, sizeof(k1)) && !state__key(&f->cmd, k2, sizeof(k2)) &&
		       !strcmp(k1, k2);
	}
	return c->obj == f->cmd.obj && !state__key(c, k1, sizeof(k1)) &&
	       !state__key(&f->cmd, k2, sizeof(k2)) && !strcmp(k1, k2);
}

/* ---- failed lines and what is kept for them --------------------------------- */
static int failed__push(int line, const struct xgw_cmd *c, const char *err)
{
	struct state_failed *f;

	if (st.n_failed == st.cap) {
		size_t cap = st.cap ? st.cap * 2 : 16;

		f = realloc(st.failed, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		st.failed = f;
		st.cap = cap;
	}
	f = &st.failed[st.n_failed++];
	memset(f, 0, sizeof(*f));
	f->line = line;
	f->cmd = *c;
	if (xgw_cmd_format(c, f->text, sizeof(f->text)) < 0)
		snprintf(f->text, sizeof(f->text), "?");
	snprintf(f->err, sizeof(f->err), "%s", err);
	return 0;
}

/*
 * Hold next hop slot id for a kept entry, on the device the adopted map
 * has for it (so no egress lookup: that is what failed), so no new next hop
 * takes the slot and netlink keeps its MAC current. 0, or -errno when the
 * slot cannot be had as it is (its link is not attached, another next hop
 * has it).
 */
int state__hold_nh(struct xgwd *d, __u32 id, const struct xgw_addr *gw)
{
	struct xgw_nexthop v;
	char err[128];
	__u32 got;
	int ret;

	if (id >= XGW_MAX_NEXTHOPS || xgw_nh_read(&d->nh_table, id, &v))	/* the live version */
		return -ENOENT;
	ret = nexthop__get_hint(d, gw, v.ifindex, id, &got, err, sizeof(err));
	if (ret)
		return ret;
	if (got != id) {
		nexthop__put(d, got);
		return -EBUSY;
	}
	return 0;
}

/* A failed route line: its entry, and its next hop, stay as adopted. */
static void keep_route(struct xgwd *d, struct state_failed *f)
{
	const struct xgw_cmd *c = &f->cmd;
	struct xgw_route v;

	if (entry__adopted(d, &c->route.dst, &v))
		return;
	if (v.action == XGW_RT_NEXTHOP) {
		const struct xgw_addr *gw = c->route.type == XGW_ROUTE_VIA ?
					    &c->route.via : &c->route.dst.addr;

		if (state__hold_nh(d, v.nh_id, gw))
			return;
		f->kept_nh = v.nh_id;
	}
	if (entry__keep(d, &c->route.dst, &v)) {
		if (f->kept_nh)
			nexthop__put(d, f->kept_nh);
		f->kept_nh = 0;
		return;
	}
	f->kept = true;
}

/*
 * After a restore over an adopted datapath, before the FIB is committed:
 * what the lines that failed had in the datapath stays as it was. Routes
 * keep their entries; services the load balancer keeps as they are, and
 * a backend it kept in its service (lb.c, at its add) is one too.
 */
void state__keep_failed(struct xgwd *d)
{
	enum lb_kept_how how;
	size_t i;

	for (i = 0; i < st.n_failed; i++) {
		struct state_failed *f = &st.failed[i];
		const struct xgw_cmd *c = &f->cmd;

		if (c->verb == XGW_V_DEL)
			continue;
		if (c->obj == XGW_OBJ_ROUTE)
			keep_route(d, f);
		else if (c->obj == XGW_OBJ_SERVICE && d->lb)
			f->kept = !lb__keep_service(d, &c->service.svc);
	}
	for (i = 0; i < st.n_failed; i++) {
		struct state_failed *f = &st.failed[i];

		if (f->cmd.obj != XGW_OBJ_BACKEND || f->cmd.verb == XGW_V_DEL || !d->lb)
			continue;
		how = lb__kept(d, &f->cmd);
		f->kept = how != LB_NOT_KEPT;
		f->in_service = how == LB_KEPT_IN_SERVICE;
	}
	for (i = 0; i < st.n_failed; i++)
		if (st.failed[i].kept)
			pr_warn("%s: line %d kept in the datapath as it was: %s", d->opts.config,
				st.failed[i].line, st.failed[i].text);
}

/* Is p the prefix of a kept entry? (route.c's sweep leaves those alone.) */
bool state__keeps(const struct xgw_prefix *p)
{
	size_t i;

	for (i = 0; i < st.n_failed; i++) {
		const struct xgw_cmd *c = &st.failed[i].cmd;

		if (st.failed[i].kept && c->obj == XGW_OBJ_ROUTE &&
		    c->route.dst.len == p->len && xgw_addr_equal(&c->route.dst.addr, &p->addr))
			return true;
	}
	return false;
}

/*
 * Forget failed line i; with remove, its kept entry leaves the datapath. A
 * kept service goes in any case: a command that replaced it has written
 * its own (lb.c removes only what is left of the old one).
 */
static void failed__drop(struct xgwd *d, size_t i, bool remove)
{
	struct state_failed *f = &st.failed[i];

	if (f->kept && f->cmd.obj == XGW_OBJ_ROUTE && remove)
		entry__unkeep(d, &f->cmd.route.dst);
	else if (f->kept && d->lb && (remove || f->cmd.obj == XGW_OBJ_SERVICE))
		lb__unkeep(d, &f->cmd);
	if (f->kept_nh)
		nexthop__put(d, f->kept_nh);
	/* in file order: the file gets them back as they were (a service
	 * before its backends) */
	memmove(f, f + 1, (--st.n_failed - i) * sizeof(*f));
	if (!st.n_failed && st.status == STATE_DEGRADED)
		st.status = STATE_OK;
}

/*
 * A write c succeeded (or, with deleted, a delete found only a failed
 * line): what it touches is no longer a failed line. Returns whether a
 * failed line was dropped.
 */
static bool failed__supersede(struct xgwd *d, const struct xgw_cmd *c, bool deleted)
{
	bool hit = false;
	size_t i = 0;

	while (i < st.n_failed) {
		if (!failed_is_hit(&st.failed[i], c)) {
			i++;
			continue;
		}
		failed__drop(d, i, deleted);
		hit = true;
	}
	return hit;
}

void state__forget_failed(struct xgwd *d, bool remove)
{
	while (st.n_failed)
		failed__drop(d, st.n_failed - 1, remove);
}

/* ---- running a request -------------------------------------------------------- */
void parsed__free(struct parsed *p)
{
	free(p->cmds);
	free(p->lines);
	memset(p, 0, sizeof(*p));
}

int parsed__push(struct parsed *p, const struct xgw_cmd *c, int line)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct xgw_cmd *nc = realloc(p->cmds, cap * sizeof(*nc));
		int *nl;

		if (!nc)
			return -ENOMEM;
		p->cmds = nc;
		nl = realloc(p->lines, cap * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		p->lines = nl;
		p->cap = cap;
	}
	p->cmds[p->n] = *c;
	p->lines[p->n++] = line;
	return 0;
}

/*
 * Parse every line of text (split in place). The first bad line's message
 * goes to err ("line N: ..." when numbered); with report, every bad line
 * is logged as FILE:N. Returns 0, -EINVAL (a bad line) or -ENOMEM.
 */
int state__parse(struct xgwd *d, char *text, bool numbered, const char *report,
		  struct parsed *out, char *err, size_t errlen)
{
	char *p, *next, msg[256];
	int lineno = 0, ret;
	struct xgw_cmd c;

	for (p = text; p && *p; p = next) {
		char *argv[XGWD_MAX_WORDS];
		int argc;

		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		argc = xgw_cmd_split(p, argv, XGWD_MAX_WORDS);
		if (argc == 0)
			continue;
		if (argc < 0)
			snprintf(msg, sizeof(msg), "more than %d words", XGWD_MAX_WORDS);
		if (argc < 0 || xgw_cmd_parse(argc, argv, &c, msg, sizeof(msg)) ||
		    (!report && xgwd__check(d, &c, msg, sizeof(msg)))) {
			if (!out->bad++ && numbered)
				snprintf(err, errlen, "line %d: %s", lineno, msg);
			else if (out->bad == 1)
				snprintf(err, errlen, "%s", msg);
			if (!report)
				return -EINVAL;
			pr_warn("%s:%d: %s", report, lineno, msg);
			continue;
		}
		ret = parsed__push(out, &c, lineno);
		if (ret)
			return ret;
	}
	return out->bad ? -EINVAL : 0;
}

/* A batch declares state: a line that holds already is skipped, so a
 * state file can be applied again to the daemon it came from. */
static bool cmd_holds(const struct xgw_cmd *c, const struct state_lines *now)
{
	char line[512];

	if (!xgw_cmd_is_write(c) || c->verb == XGW_V_DEL || c->verb == XGW_V_DETACH ||
	    xgw_cmd_format(c, line, sizeof(line)) < 0)
		return false;
	return state_lines__has(now, line);
}

/* "line N: why", or for a line no file has (a reload's removal) the
 * command itself. */
static void apply_error(const struct xgw_cmd *c, int line, bool numbered, const char *msg,
			char *err, size_t errlen)
{
	char text[512];

	if (line > 0 && numbered)
		snprintf(err, errlen, "line %d: %s", line, msg);
	else if (line > 0 || xgw_cmd_format(c, text, sizeof(text)) < 0)
		snprintf(err, errlen, "%s", msg);
	else
		snprintf(err, errlen, "%s: %s", text, msg);
}

/* Apply cmds[] in order as one transaction: a failure rolls back. */
int state__apply_all(struct xgwd *d, const struct parsed *p, bool numbered,
		      bool declare, char *err, size_t errlen)
{
	struct xgwd_undo undo = {};
	struct state_lines now = {};
	bool wrote = false;
	char msg[256];
	size_t i;
	int ret = 0;

	if (declare && state_lines__running(d, &now)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	entry__begin(d);	/* fib: the FIB writes of the batch at once, at the end */
	for (i = 0; i < p->n; i++) {
		const struct xgw_cmd *c = &p->cmds[i];

		if (declare && cmd_holds(c, &now))
			continue;
		msg[0] = '\0';
		ret = xgwd__apply(d, c, &undo, msg, sizeof(msg));
		if (ret == -ENOENT && c->verb == XGW_V_DEL && failed__supersede(d, c, true))
			ret = 0;	/* it was only a failed line: gone now */
		if (ret) {
			apply_error(c, p->lines[i], p->n > 1 || numbered,
				    msg[0] ? msg : strerror(-ret), err, errlen);
			xgwd__rollback(d, &undo);
			entry__end(d, msg, sizeof(msg));
			goto out;
		}
		if (xgw_cmd_is_write(c)) {
			wrote = true;
			failed__supersede(d, c, false);
		}
	}
	ret = entry__end(d, msg, sizeof(msg));
	if (ret) {	/* does not fit: nothing was written */
		snprintf(err, errlen, "%s; nothing applied", msg);
		xgwd__rollback(d, &undo);
		entry__end(d, msg, sizeof(msg));
		goto out;
	}
	if (wrote) {
		ret = state__save(d);
		if (ret) {
			snprintf(err, errlen, "cannot save %s: %s; change undone",
				 d->opts.config, strerror(-ret));
			xgwd__rollback(d, &undo);
		}
	}
out:
	state_lines__free(&now);
	free(undo.cmds);
	return ret;
}

/*
 * Run the commands of text (one per line) as one transaction: all parse
 * and pass their checks, then apply in order; a failure rolls back what
 * was applied. Writes are refused unless may_write, and while the state
 * file is not loaded (saving would overwrite it with less).
 */
int xgwd__run(struct xgwd *d, char *text, bool may_write, bool numbered,
	      char *err, size_t errlen)
{
	struct parsed p = {};
	size_t i;
	int ret;

	ret = state__parse(d, text, numbered, NULL, &p, err, errlen);
	if (ret)
		goto out;
	for (i = 0; i < p.n; i++) {
		if (!xgw_cmd_is_write(&p.cmds[i]))
			continue;
		if (!may_write) {
			snprintf(err, errlen, "permission denied: state-changing commands "
				 "need root or the xgwd group");
			ret = -EPERM;
			goto out;
		}
		if (st.status == STATE_NOT_LOADED && p.cmds[i].obj != XGW_OBJ_DAEMON) {
			snprintf(err, errlen, "refused: the state file was not loaded (%s); "
				 "fix it and reload (xgwctl daemon reload)", st.why);
			ret = -EROFS;
			goto out;
		}
	}
	ret = state__apply_all(d, &p, numbered, numbered, err, errlen);
out:
	parsed__free(&p);
	return ret;
}

int xgwd__batch(struct xgwd *d, char *text, char *err, size_t errlen)
{
	return xgwd__run(d, text, true, true, err, errlen);
}

/* ---- the state file ----------------------------------------------------------- */
static int link_cmp(const void *a, const void *b)
{
	return strcmp(((const struct xgwd_link *)a)->name,
		      ((const struct xgwd_link *)b)->name);
}

/* Failed lines of one object class, where a replay wants them. */
static void write_failed(FILE *f, enum xgw_obj o1, enum xgw_obj o2)
{
	size_t i;

	for (i = 0; i < st.n_failed; i++)
		if ((st.failed[i].cmd.obj == o1 || st.failed[i].cmd.obj == o2) &&
		    !st.failed[i].in_service)
			fprintf(f, "%s\n", st.failed[i].text);
}

/* The running state as command lines, in canonical order. */
static int write_running(struct xgwd *d, FILE *f, bool failed)
{
	struct xgw_cmd c;
	char line[512];
	size_t i, *idx;
	int err;

	/* canonical order, so undoing a change restores the file exactly */
	qsort(d->links.v, d->links.n, sizeof(struct xgwd_link), link_cmp);
	for (i = 0; i < d->links.n; i++) {
		struct xgwd_link *l = xgwd_vec__at(&d->links, struct xgwd_link, i);

		memset(&c, 0, sizeof(c));
		c.obj = XGW_OBJ_LINK;
		c.verb = XGW_V_ATTACH;
		memcpy(c.link.dev, l->name, sizeof(c.link.dev));
		c.link.mode = l->mode;
		if (xgw_cmd_format(&c, line, sizeof(line)) < 0)
			return -EINVAL;
		fprintf(f, "%s\n", line);
	}
	if (failed)
		write_failed(f, XGW_OBJ_LINK, XGW_OBJ_VLAN);
	err = ifinfo__save(d, f);	/* vlan lines need their links */
	if (!err)
		err = settings__save(d, f) ?: announce__save(f);
	if (err)
		return err;
	idx = route__sorted(d);
	if (d->routes.n && !idx)
		return -ENOMEM;
	for (i = 0; i < d->routes.n; i++) {
		route__to_cmd(xgwd_vec__at(&d->routes, struct xgwd_route, idx[i]),
			      XGW_V_ADD, &c);
		if (xgw_cmd_format(&c, line, sizeof(line)) < 0) {
			free(idx);
			return -EINVAL;
		}
		fprintf(f, "%s\n", line);
	}
	free(idx);
	err = follow__save(d, f);
	if (err)
		return err;
	if (failed)
		write_failed(f, XGW_OBJ_ROUTE, XGW_OBJ_SET);
	err = d->lb ? lb__save(d, f, failed) : 0;	/* no lb state: nothing to save */
	if (err)
		return err;
	if (failed)
		write_failed(f, XGW_OBJ_SERVICE, XGW_OBJ_BACKEND);
	return ferror(f) ? -EIO : 0;
}

int state__write(struct xgwd *d, FILE *f)
{
	int err;

	fprintf(f, STATE_HEADER "\n"
		   "# One xgwctl command per line (xgwctl -batch takes the same);\n"
		   "# comments are not kept. A file without the end line was cut.\n");
	err = write_running(d, f, true);
	if (err)
		return err;
	fprintf(f, STATE_END "\n");
	return ferror(f) ? -EIO : 0;
}

static int fsync_dir(const char *path)
{
	char buf[PATH_MAX];
	int fd, err = 0;

	snprintf(buf, sizeof(buf), "%s", path);
	fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

static int tmp_path(const char *config, char *buf, size_t len)
{
	return snprintf(buf, len, "%s.tmp", config) >= (int)len ? -ENAMETOOLONG : 0;
}

int state__save(struct xgwd *d)
{
	char tmp[PATH_MAX];
	FILE *f = NULL;
	int fd, err;

	if (d->restoring)
		return 0;
	err = xgw_mkdir_parent(d->opts.config);
	if (!err)
		err = tmp_path(d->opts.config, tmp, sizeof(tmp));
	if (err)
		return err;
	/* one fixed name: a save killed midway leaves nothing a later save
	 * does not overwrite */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out;
	}
	err = state__write(d, f);
	if (!err && fflush(f))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, d->opts.config))
		err = -errno;
	if (!err)
		err = fsync_dir(d->opts.config);
out:
	if (err)
		unlink(tmp);
	return err;
}

/* Temp files a killed save left: the fixed one, and mkstemp()'s of old. */
void state__clean_tmp(const char *config)
{
	char dir[PATH_MAX], base[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *de;
	size_t bl;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s", config);
	snprintf(base, sizeof(base), "%s", config);
	snprintf(base, sizeof(base), "%s.tmp", basename(base));
	bl = strlen(base);
	dp = opendir(dirname(dir));
	if (!dp)
		return;
	while ((de = readdir(dp))) {
		size_t n = strlen(de->d_name);

		if (strncmp(de->d_name, base, bl) || (n != bl && n != bl + 6))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!unlink(path))
			pr_info("removed %s, left by a save that did not finish", path);
	}
	closedir(dp);
}

/* The whole file, however large; a missing file is an empty state. */
int state__read(const char *path, char **text, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1), *nb;
	FILE *f = fopen(path, "r");
	size_t got;
	int err = 0;

	*text = NULL;
	*len = 0;
	if (!f) {
		free(buf);
		return -errno;
	}
	while (buf) {
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		nb = realloc(buf, cap * 2 + 1);
		if (!nb)
			break;
		buf = nb;
		cap *= 2;
	}
	if (!buf || n == cap)
		err = -ENOMEM;
	else if (ferror(f))
		err = -EIO;
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

/*
 * Is text a whole state file? A last line without its newline was cut; a
 * file that xgwd wrote (its header) ends with the end marker. 0, or
 * -EINVAL with why.
 */
int state__complete(const char *text, size_t len, char *why, size_t whylen)
{
	const char *last;
	int lines = 0;
	size_t i;

	if (!len)
		return 0;
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (strlen(text) != len) {
		snprintf(why, whylen, "it contains a NUL byte");
		return -EINVAL;
	}
	if (text[len - 1] != '\n') {
		snprintf(why, whylen, "line %d has no end: the file was cut", lines + 1);
		return -EINVAL;
	}
	if (strncmp(text, STATE_HEADER "\n", sizeof(STATE_HEADER)))
		return 0;
	/* lines an operator appended after it are fine: only its absence
	 * says the file was cut */
	for (last = text; (last = strstr(last, "\n" STATE_END "\n")); last++)
		break;
	if (!last) {
		snprintf(why, whylen, "it lacks xgwd's end line \"" STATE_END
			 "\": the file was cut after line %d", lines);
		return -EINVAL;
	}
	return 0;
}

/* Apply every line that applies; report and remember the others. */
static int replay_lines(struct xgwd *d, const struct parsed *p, const char *path)
{
	char msg[256];
	size_t i;
	int ret;

	for (i = 0; i < p->n; i++) {
		msg[0] = '\0';
		ret = xgwd__apply(d, &p->cmds[i], NULL, msg, sizeof(msg));
		if (!ret)
			continue;
		if (!msg[0])
			snprintf(msg, sizeof(msg), "%s", strerror(-ret));
		pr_warn("%s:%d: %s (not applied; kept in the file)", path, p->lines[i], msg);
		ret = failed__push(p->lines[i], &p->cmds[i], msg);
		if (ret)
			return ret;
	}
	return 0;
}

void state__not_loaded(const char *path, const char *why)
{
	st.status = STATE_NOT_LOADED;
	snprintf(st.why, sizeof(st.why), "%s", why);
	pr_warn("%s not applied: %s; the datapath is left as it is and changes are "
		"refused until the file is fixed and reloaded", path, why);
}

/*
 * Replay the state file (at start, or a reload of a file that was not
 * loaded). Never fails for what the file says: see the top of this file.
 * Returns 0, or -ENOMEM.
 */
int state__load(struct xgwd *d, const char *path)
{
	char *text = NULL, why[512], err[300];
	struct parsed p = {};
	size_t len = 0;
	int ret;

	state__forget_failed(d, false);
	st.status = STATE_OK;
	st.why[0] = '\0';
	state__clean_tmp(path);
	ret = state__read(path, &text, &len);
	if (ret == -ENOENT) {
		pr_info("no state file %s: starting empty", path);
		return 0;
	}
	if (ret) {
		snprintf(why, sizeof(why), "cannot read it: %s", strerror(-ret));
		state__not_loaded(path, why);
		return ret == -ENOMEM ? ret : 0;
	}
	if (state__complete(text, len, why, sizeof(why))) {
		state__not_loaded(path, why);
		goto out;
	}
	ret = state__parse(d, text, true, path, &p, err, sizeof(err));
	if (ret == -EINVAL) {
		snprintf(why, sizeof(why), "%u line(s) do not parse, the first: %s", p.bad, err);
		state__not_loaded(path, why);
		ret = 0;
		goto out;
	}
	if (ret)
		goto out;
	d->restoring = true;
	ret = replay_lines(d, &p, path);
	d->restoring = false;
	if (st.n_failed) {
		st.status = STATE_DEGRADED;
		pr_warn("%s: %zu line(s) not applied: degraded (xgwctl daemon show)", path,
			st.n_failed);
	}
out:
	parsed__free(&p);
	free(text);
	return ret;
}

/* ---- running state as a set of lines (batches, reloads) -------------------------- */
static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_lines__from_text(struct state_lines *s, char *text)
{
	char *p, *next;
	size_t cap = 0;

	for (p = text; p && *p; p = next) {
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		if (!*p || *p == '#')
			continue;
		if (s->n == cap) {
			char **nl;

			cap = cap ? cap * 2 : 256;
			nl = realloc(s->line, cap * sizeof(*nl));
			if (!nl)
				return -ENOMEM;
			s->line = nl;
		}
		s->line[s->n++] = p;
	}
	qsort(s->line, s->n, sizeof(*s->line), line_cmp);
	return 0;
}

/* The lines of the running state (failed lines left out). */
int state_lines__running(struct xgwd *d, struct state_lines *s)
{
	size_t len = 0;
	FILE *f;
	int err;

	memset(s, 0, sizeof(*s));
	f = open_memstream(&s->text, &len);
	if (!f)
		return -ENOMEM;
	err = write_running(d, f, false);
	if (fclose(f) && !err)
		err = -EIO;
	if (!err)
		err = state_lines__from_text(s, s->text);
	if (err)
		state_lines__free(s);
	return err;
}

bool state_lines__has(const struct state_lines *s, const char *line)
{
	const char *key = line;

	return s->n && bsearch(&key, s->line, s->n, sizeof(*s->line), line_cmp);
}

void state_lines__free(struct state_lines *s)
{
	free(s->line);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

/* ---- status --------------------------------------------------------------------- */
static const char *const status_name[] = {
	[STATE_OK] = "ok", [STATE_DEGRADED] = "degraded", [STATE_NOT_LOADED] = "not-loaded",
};

void state__show(struct xgwd *d)
{
	size_t i;

	print_string(PRINT_ANY, "state", "state %s", status_name[st.status]);
	print_string(PRINT_ANY, "config", " file %s", d->opts.config);
	print_nl();
	if (st.status == STATE_NOT_LOADED) {
		print_string(PRINT_ANY, "not_loaded", "  not loaded: %s", st.why);
		print_nl();
	}
	open_json_array(PRINT_JSON, "failed");
	for (i = 0; i < st.n_failed; i++) {
		const struct state_failed *f = &st.failed[i];

		open_json_object(NULL);
		print_int(PRINT_ANY, "line", "  line %d", f->line);
		print_string(PRINT_ANY, "command", ": %s", f->text);
		print_string(PRINT_ANY, "error", ": %s", f->err);
		print_bool(PRINT_ANY, "kept", f->kept ? " (datapath entry kept)" : NULL,
			   f->kept);
		print_nl();
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
	print_u64(PRINT_ANY, "reloads", "reloads %llu", st.reloads);
	print_u64(PRINT_ANY, "reload_errors", " failed %llu", st.reload_errors);
	if (st.last_reload[0])
		print_string(PRINT_ANY, "last_reload_error", ", last: %s", st.last_reload);
	print_nl();
}

void state__metrics(struct xgwd *d, FILE *f)
{
	int s;

	(void)d;
	xgw_prom_head(f, "xgw_state", "gauge",
		      "1 for the state of the state file now: ok, degraded (lines not "
		      "applied), not_loaded (file not applied, changes refused).");
	for (s = STATE_OK; s <= STATE_NOT_LOADED; s++)
		fprintf(f, "xgw_state{state=\"%s\"} %d\n", s == STATE_NOT_LOADED ? "not_loaded" :
			status_name[s], st.status == (enum state_status)s);
	xgw_prom_head(f, "xgw_state_failed_lines", "gauge",
		      "State file lines that did not apply (xgwctl daemon show).");
	fprintf(f, "xgw_state_failed_lines %zu\n", st.n_failed);
	xgw_prom_head(f, "xgw_reloads_total", "counter", "Reloads of the state file, by result.");
	fprintf(f, "xgw_reloads_total{result=\"ok\"} %lu\n", st.reloads - st.reload_errors);
	fprintf(f, "xgw_reloads_total{result=\"failed\"} %lu\n", st.reload_errors);
}

void state__reloaded(int err, const char *msg)
{
	st.reloads++;
	if (err)
		st.reload_errors++;
	snprintf(st.last_reload, sizeof(st.last_reload), "%s", err ? msg : "");
}
