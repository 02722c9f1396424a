// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Applying commands, all-or-nothing batches, and the state file.
 *
 * The state file is the desired state in the CLI's own grammar (links,
 * settings, routes, then the load balancer's lines): `xgwctl -batch FILE`
 * and the config file are one language. It is rewritten atomically after
 * every change (temp file in the same directory, fsync, rename, fsync of
 * the directory), so a crash leaves either the old or the new file.
 *
 * Every write pushes its inverse onto an undo list before changing
 * anything; a batch that fails at line N applies those in reverse, which
 * puts the maps and the file back as they were.
 */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "json_print.h"
#include "follow.h"
#include "lb.h"
#include "link.h"
#include "nexthop.h"
#include "route.h"
#include "rtable.h"
#include "state.h"
#include "stats.h"
#include "xgwd.h"
#include "announce.h"

#define XGWD_MAX_WORDS	64

int xgwd__apply(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		char *err, size_t errlen)
{
	if (c->verb == XGW_V_HELP) {
		print_text("%s", xgw_cmd_help(c->obj));
		return 0;
	}
	switch (c->obj) {
	case XGW_OBJ_LINK:
		return link__apply(d, c, undo, err, errlen);
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

static void xgwd__rollback(struct xgwd *d, struct xgwd_undo *u)
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

/* Parse every line of text into cmds[]; line numbers in lines[]. */
static int xgwd__parse_all(struct xgwd *d, char *text, bool numbered,
			   struct xgw_cmd **cmds, int **lines, size_t *n,
			   char *err, size_t errlen)
{
	size_t cap = 0, lineno = 0;
	char *p, *next;
	char msg[256];

	*n = 0;
	for (p = text; p; p = next) {
		char *argv[XGWD_MAX_WORDS];
		int argc;

		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		argc = xgw_cmd_split(p, argv, XGWD_MAX_WORDS);
		if (argc == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*cmds = realloc(*cmds, cap * sizeof(**cmds));
			*lines = realloc(*lines, cap * sizeof(**lines));
			if (!*cmds || !*lines)
				return -ENOMEM;
		}
		if (argc < 0) {
			snprintf(err, errlen, "line %zu: too many words", lineno);
			return -E2BIG;
		}
		if (xgw_cmd_parse(argc, argv, &(*cmds)[*n], msg, sizeof(msg)) ||
		    xgwd__check(d, &(*cmds)[*n], msg, sizeof(msg))) {
			if (numbered)
				snprintf(err, errlen, "line %zu: %s", lineno, msg);
			else
				snprintf(err, errlen, "%s", msg);
			return -EINVAL;
		}
		(*lines)[(*n)++] = lineno;
	}
	return 0;
}

/*
 * Run the commands of text (one per line) as one transaction: all parse
 * and pass their checks, then apply in order; a failure rolls back what
 * was applied. Writes are refused unless may_write.
 */
int xgwd__run(struct xgwd *d, char *text, bool may_write, bool numbered,
	      char *err, size_t errlen)
{
	struct xgwd_undo undo = {};
	struct xgw_cmd *cmds = NULL;
	int *lines = NULL, ret;
	bool wrote = false;
	char msg[256];
	size_t n, i;

	numbered |= d->restoring;
	ret = xgwd__parse_all(d, text, numbered, &cmds, &lines, &n, err, errlen);
	if (ret)
		goto out;
	for (i = 0; i < n; i++) {
		if (xgw_cmd_is_write(&cmds[i]) && !may_write) {
			snprintf(err, errlen, "permission denied: state-changing commands "
				 "need root or the xgwd group");
			ret = -EPERM;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		msg[0] = '\0';
		ret = xgwd__apply(d, &cmds[i], &undo, msg, sizeof(msg));
		if (ret) {
			if (n > 1 || numbered)
				snprintf(err, errlen, "line %d: %s", lines[i],
					 msg[0] ? msg : strerror(-ret));
			else
				snprintf(err, errlen, "%s", msg[0] ? msg : strerror(-ret));
			xgwd__rollback(d, &undo);
			goto out;
		}
		wrote |= xgw_cmd_is_write(&cmds[i]);
	}
	if (wrote && !d->restoring) {
		ret = state__save(d);
		if (ret) {
			snprintf(err, errlen, "cannot save %s: %s; change undone",
				 d->opts.config, strerror(-ret));
			xgwd__rollback(d, &undo);
		}
	}
out:
	free(undo.cmds);
	free(cmds);
	free(lines);
	return ret;
}

int xgwd__batch(struct xgwd *d, char *text, char *err, size_t errlen)
{
	return xgwd__run(d, text, true, true, err, errlen);
}

static int link_cmp(const void *a, const void *b)
{
	return strcmp(((const struct xgwd_link *)a)->name,
		      ((const struct xgwd_link *)b)->name);
}

int state__write(struct xgwd *d, FILE *f)
{
	struct xgw_cmd c;
	char line[512];
	size_t i, *idx;
	int err;

	fprintf(f, "# xgw desired state, rewritten by xgwd on every change.\n"
		   "# One xgwctl command per line (xgwctl -batch takes the same).\n");
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
	err = d->lb ? lb__save(d, f) : 0;	/* no lb state: nothing to save */
	if (err)
		return err;
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

static int mkdir_parent(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

int state__save(struct xgwd *d)
{
	char tmp[PATH_MAX];
	FILE *f = NULL;
	int fd, err;

	if (d->restoring)
		return 0;
	err = mkdir_parent(d->opts.config);
	if (err)
		return err;
	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", d->opts.config) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	fchmod(fd, 0640);
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

/* Replay the state file at start. A missing file is an empty state. */
int state__load(struct xgwd *d, const char *path)
{
	char *text = NULL, err[512];
	size_t len = 0;
	FILE *f = fopen(path, "r");
	int ret;

	if (!f) {
		if (errno == ENOENT) {
			pr_info("no state file %s: starting empty", path);
			return 0;
		}
		pr_warn("cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	text = calloc(1, XGWD_REQUEST_MAX + 1);
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(text, 1, XGWD_REQUEST_MAX, f);
	fclose(f);
	text[len] = '\0';
	d->restoring = true;
	ret = xgwd__run(d, text, true, true, err, sizeof(err));
	d->restoring = false;
	if (ret) {
		/* "line N: ..." -> "FILE:N: ..." */
		if (!strncmp(err, "line ", 5))
			pr_warn("%s:%s", path, err + 5);
		else
			pr_warn("%s: %s", path, err);
	}
	free(text);
	return ret;
}
