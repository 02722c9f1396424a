// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The logger, growable arrays and the undo list. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include "daemon.h"
#include "xgwd.h"

int xgwd_verbose;
bool xgwd_syslog;

void xgwd_log(int level, const char *fmt, ...)
{
	static const int prio[] = { LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char pre[64];
	va_list ap;

	if (level > 1 + xgwd_verbose)
		return;
	va_start(ap, fmt);
	if (xgwd_syslog) {
		vsyslog(prio[level > 2 ? 2 : level], fmt, ap);
	} else {
		fputs(daemon__log_prefix(prio[level > 2 ? 2 : level], pre, sizeof(pre)), stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

void *xgwd_vec__push(struct xgwd_vec *v, const void *item)
{
	void *slot;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		void *nv = realloc(v->v, cap * v->size);

		if (!nv)
			return NULL;
		v->v = nv;
		v->cap = cap;
	}
	slot = (char *)v->v + v->n++ * v->size;
	memcpy(slot, item, v->size);
	return slot;
}

void xgwd_vec__del(struct xgwd_vec *v, size_t i)
{
	char *base = v->v;

	memmove(base + i * v->size, base + (i + 1) * v->size,
		(v->n - i - 1) * v->size);
	v->n--;
}

void xgwd_vec__free(struct xgwd_vec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

int xgwd_undo__push(struct xgwd_undo *u, const struct xgw_cmd *inverse)
{
	if (!u)
		return 0;
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct xgw_cmd *nc = realloc(u->cmds, cap * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		u->cmds = nc;
		u->cap = cap;
	}
	u->cmds[u->n++] = *inverse;
	return 0;
}
