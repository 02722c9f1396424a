// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The logger, growable arrays and the undo list. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>
#include <bpf/bpf.h>
#include "daemon.h"
#include "util.h"
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

int xgw_mkdir_parent(const char *path)
{
	char buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

long long xgw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The key-by-key walk, for maps without batch operations (the devmap). */
static long map_walk_keys(int fd, __u32 ksz, __u32 vsz, xgw_map_fn fn, void *arg)
{
	char *cur = malloc(ksz), *next = malloc(ksz), *val = malloc(vsz);
	void *prev = NULL;
	long n = -ENOMEM;

	if (cur && next && val) {
		n = 0;
		while (!bpf_map_get_next_key(fd, prev, next)) {
			memcpy(cur, next, ksz);
			prev = cur;
			if (fn && bpf_map_lookup_elem(fd, cur, val))
				continue;	/* gone meanwhile */
			if (fn)
				fn(cur, val, arg);
			n++;
		}
	}
	free(cur);
	free(next);
	free(val);
	return n;
}

long xgw_map_walk(int fd, __u32 ksz, __u32 vsz, xgw_map_fn fn, void *arg)
{
	__u32 in = 0, out = 0, count, batch = 4096, i;
	char *keys = NULL, *vals = NULL;
	bool first = true;
	long n = 0;
	int err;

	for (;;) {
		if (!keys) {
			keys = malloc((size_t)batch * ksz);
			vals = malloc((size_t)batch * vsz);
			if (!keys || !vals)
				break;
		}
		count = batch;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, NULL);
		if (err && errno == ENOSPC && batch < (1u << 20)) {
			/* one bucket holds more than batch entries: bigger buffers */
			free(keys);
			free(vals);
			keys = vals = NULL;
			batch *= 4;
			continue;
		}
		if (err && errno != ENOENT) {
			n = first ? map_walk_keys(fd, ksz, vsz, fn, arg) : -errno;
			break;
		}
		for (i = 0; fn && i < count; i++)
			fn(keys + (size_t)i * ksz, vals + (size_t)i * vsz, arg);
		n += count;
		if (err)
			break;
		in = out;
		first = false;
	}
	if (!keys || !vals)
		n = -ENOMEM;
	free(keys);
	free(vals);
	return n;
}
