// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Services and backends: xgwd's side of the load balancer. Keeps the
 * desired state (lb.h), writes xgw_services, xgw_backends and one Maglev
 * table per service, and answers service/backend commands.
 *
 * A Maglev table is never edited in place: every change builds a complete
 * new inner map and swaps it into xgw_maglev[id] with one update, so a
 * packet sees either the old table or the new one, never a mix.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xgw.skel.h"
#include "json_print.h"
#include "maglev.h"
#include "lb.h"
#include "state.h"

static const char *const lb_mode_name[] = {
	[XGW_LB_DSR] = "dsr",
	[XGW_LB_IPIP] = "ipip",
};

static const char *const lb_check_name[] = {
	[XGW_CHECK_TCP] = "tcp",
	[XGW_CHECK_HTTP] = "http",
	[XGW_CHECK_NONE] = "none",
};

static void lb_svc_key(const struct xgw_svc_addr *sa, struct xgw_svc_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, sa->addr.a, sizeof(k->addr));
	k->port = htons(sa->port);
	k->proto = sa->proto;
	k->family = sa->addr.family;
}

static bool lb_svc_equal(const struct xgw_svc_addr *a, const struct xgw_svc_addr *b)
{
	return xgw_addr_equal(&a->addr, &b->addr) && a->port == b->port &&
	       a->proto == b->proto;
}

static struct lb_service *lb_find_svc(struct lb_state *st,
				      const struct xgw_svc_addr *sa)
{
	__u32 i;

	for (i = 1; i < XGW_MAX_SERVICES; i++)
		if (st->svc[i] && lb_svc_equal(&st->svc[i]->svc, sa))
			return st->svc[i];
	return NULL;
}

static struct lb_backend *lb_find_be(struct lb_service *s,
				     const struct xgw_addr *a)
{
	size_t i;

	for (i = 0; i < s->n_be; i++)
		if (xgw_addr_equal(&s->be[i].addr, a))
			return &s->be[i];
	return NULL;
}

/* Round-robin over [1, max): an id comes back only after all others. */
static __u32 lb_alloc_id(__u32 *cursor, __u32 max, bool (*used)(void *, __u32),
			 void *arg)
{
	__u32 i, id;

	for (i = 0; i < max - 1; i++) {
		id = (*cursor + i) % (max - 1) + 1;
		if (!used(arg, id)) {
			*cursor = id;
			return id;
		}
	}
	return 0;
}

static bool lb_svc_id_used(void *arg, __u32 id)
{
	return ((struct lb_state *)arg)->svc[id] != NULL;
}

static bool lb_be_id_used(void *arg, __u32 id)
{
	return ((struct lb_state *)arg)->be_used[id];
}

static void lb_bury(struct lb_state *st, const struct xgw_svc_addr *svc,
		    const struct xgw_addr *addr, __u32 id)
{
	struct lb_grave *g = &st->grave[st->grave_next++ % LB_GRAVES];

	memset(g, 0, sizeof(*g));
	g->svc = *svc;
	if (addr)
		g->addr = *addr;
	g->id = id;
}

/* The old id of this service (addr NULL) or backend, if free again. */
static __u32 lb_exhume(struct lb_state *st, const struct xgw_svc_addr *svc,
		       const struct xgw_addr *addr)
{
	unsigned int i;

	for (i = 0; i < LB_GRAVES; i++) {
		struct lb_grave *g = &st->grave[i];

		if (!g->id || !lb_svc_equal(&g->svc, svc) ||
		    (addr ? !xgw_addr_equal(&g->addr, addr) : g->addr.family != 0))
			continue;
		if (addr ? st->be_used[g->id] : st->svc[g->id] != NULL)
			continue;
		return g->id;
	}
	return 0;
}

static bool lb_be_usable(const struct lb_backend *b)
{
	return b->weight && !b->drain && !b->down;
}

/* Build the Maglev table into a fresh inner map and swap it in. */
static int lb_table_publish(struct lb_state *st, struct lb_service *s)
{
	/* the outer map's template has BPF_F_INNER_MAP: so must every table */
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_INNER_MAP);
	struct maglev_backend *mb = NULL;
	__u32 *table = NULL, *keys = NULL, i, count;
	int fd = -1, err;
	size_t k = 0;

	if (s->deferred)
		return 0;	/* lb__adopt_finish() publishes it */
	mb = calloc(s->n_be ? s->n_be : 1, sizeof(*mb));
	table = calloc(s->table_size, sizeof(*table));
	keys = calloc(s->table_size, sizeof(*keys));
	if (!mb || !table || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < s->n_be; i++) {
		if (!lb_be_usable(&s->be[i]))
			continue;
		mb[k].addr = s->be[i].addr;
		mb[k].weight = s->be[i].weight;
		mb[k].id = s->be[i].id;
		k++;
	}
	err = maglev__build(mb, k, s->table_size, table);
	if (err)
		goto out;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xgw_maglev_in", sizeof(__u32),
			    sizeof(__u32), s->table_size, &mo);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < s->table_size; i++)
		keys[i] = i;
	count = s->table_size;
	err = bpf_map_update_batch(fd, keys, table, &count, NULL);
	if (err) {
		err = -errno;
		goto out;
	}
	err = bpf_map_update_elem(st->fd_maglev, &s->id, &fd, BPF_ANY);
	if (err)
		err = -errno;
out:
	if (fd >= 0)
		close(fd);	/* the outer map holds the table now */
	free(keys);
	free(table);
	free(mb);
	return err;
}

static int lb_svc_write(struct lb_state *st, struct lb_service *s)
{
	struct xgw_service v = {
		.id = s->id,
		.mode = s->mode,
		.flags = XGW_SVC_F_ALLDOWN_DROP,
		.table_size = s->table_size,
	};
	struct xgw_svc_key k;

	lb_svc_key(&s->svc, &k);
	return bpf_map_update_elem(st->fd_services, &k, &v, BPF_ANY) ? -errno : 0;
}

static int lb_be_write(struct lb_state *st, const struct lb_backend *b)
{
	struct xgw_backend v = {
		.family = b->addr.family,
		.nh_id = b->nh_id,
		.flags = (b->down ? XGW_BE_F_DOWN : 0) |
			 (b->drain ? XGW_BE_F_DRAIN : 0),
	};

	memcpy(v.addr, b->addr.a, sizeof(v.addr));
	memcpy(v.src, b->src.a, sizeof(v.src));
	return bpf_map_update_elem(st->fd_backends, &b->id, &v, BPF_ANY) ? -errno : 0;
}

/* Forget connection-table entries of a service (be_id 0) or of a backend.
 * Keys are collected first: deleting while walking restarts the walk. */
static void lb_ct_purge(struct lb_state *st, __u32 svc_id, __u32 be_id)
{
	struct xgw_flow_key key, next, *prev = NULL, *del = NULL, *p;
	size_t n = 0, cap = 0, i;
	struct xgw_ct_entry ct;

	while (!bpf_map_get_next_key(st->fd_ct, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(st->fd_ct, &key, &ct))
			continue;
		if (be_id ? ct.backend_id != be_id : ct.svc_id != svc_id)
			continue;
		if (n == cap) {
			p = realloc(del, (cap ? cap * 2 : 256) * sizeof(*del));
			if (!p)
				break;
			del = p;
			cap = cap ? cap * 2 : 256;
		}
		del[n++] = key;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(st->fd_ct, &del[i]);
	if (n)
		pr_debug("lb: purged %zu connection entries", n);
	free(del);
}

/* Publish the table after a backend set change, and the service value. */
static int lb_svc_publish(struct lb_state *st, struct lb_service *s)
{
	int err = lb_table_publish(st, s);

	return err ? err : lb_svc_write(st, s);
}

/* ---- commands ---------------------------------------------------------------- */

static void lb_cmd_service(struct xgw_cmd *c, enum xgw_verb verb,
			   const struct lb_service *s)
{
	memset(c, 0, sizeof(*c));
	c->obj = XGW_OBJ_SERVICE;
	c->verb = verb;
	c->service.svc = s->svc;
	c->service.mode = s->mode;
	c->service.table_size = s->table_size;
}

static void lb_cmd_backend(struct xgw_cmd *c, enum xgw_verb verb,
			   const struct lb_service *s, const struct lb_backend *b)
{
	memset(c, 0, sizeof(*c));
	c->obj = XGW_OBJ_BACKEND;
	c->verb = verb;
	c->backend.svc = s->svc;
	c->backend.addr = b->addr;
	c->backend.weight = b->weight;
	c->backend.check = b->check;
	memcpy(c->backend.path, b->path, sizeof(c->backend.path));
}

/* Commands recreating backend b (add, then drain if it is drained), pushed
 * so that the reversed undo list replays add before drain. */
static int lb_undo_backend_readd(struct xgwd_undo *u, const struct lb_service *s,
				 const struct lb_backend *b)
{
	struct xgw_cmd c;
	int err;

	if (b->drain) {
		lb_cmd_backend(&c, XGW_V_SET, s, b);
		c.backend.op = XGW_BE_DRAIN;
		err = xgwd_undo__push(u, &c);
		if (err)
			return err;
	}
	lb_cmd_backend(&c, XGW_V_ADD, s, b);
	return xgwd_undo__push(u, &c);
}

static unsigned int lb_table_size(const struct xgw_cmd *c)
{
	return c->service.table_size ? c->service.table_size : XGW_MAGLEV_DEFAULT;
}

/*
 * What can be decided from the command alone. Batches check every line
 * before applying any, so whether a service or backend exists (an earlier
 * line may create it) is lb_check_state()'s, at apply time.
 */
int lb__check(struct xgwd *d, const struct xgw_cmd *c, char *err, size_t errlen)
{
	(void)d;
	if (c->verb == XGW_V_SHOW || c->verb == XGW_V_HELP)
		return 0;
	if (c->obj == XGW_OBJ_SERVICE) {
		unsigned int m = lb_table_size(c);

		if (c->verb != XGW_V_DEL &&
		    (m < 3 || m > XGW_MAGLEV_MAX || !maglev__is_prime(m))) {
			snprintf(err, errlen, "invalid table-size \"%u\" (a prime up to %u)",
				 m, XGW_MAGLEV_MAX);
			return -EINVAL;
		}
		if (c->service.mode != XGW_LB_DSR && c->service.mode != XGW_LB_IPIP) {
			snprintf(err, errlen, "invalid mode %d", c->service.mode);
			return -EINVAL;
		}
		return 0;
	}
	if (c->backend.weight > XGW_WEIGHT_MAX) {
		snprintf(err, errlen, "invalid weight \"%u\"", c->backend.weight);
		return -EINVAL;
	}
	return 0;
}

/* Existence checks against the current state, just before applying. */
static int lb_check_state(struct xgwd *d, const struct xgw_cmd *c, char *err,
			  size_t errlen)
{
	struct lb_state *st = lb_state(d);
	const struct xgw_svc_addr *sa;
	char buf[XGW_SVC_STRLEN], abuf[XGW_ADDR_STRLEN];
	struct lb_service *s;
	struct lb_backend *b;

	sa = c->obj == XGW_OBJ_SERVICE ? &c->service.svc : &c->backend.svc;
	xgw_svc_str(sa, buf, sizeof(buf));
	s = lb_find_svc(st, sa);
	if (c->obj == XGW_OBJ_SERVICE) {
		if (c->verb == XGW_V_ADD && s) {
			snprintf(err, errlen, "service %s exists", buf);
			return -EEXIST;
		}
		if (c->verb == XGW_V_DEL && !s) {
			snprintf(err, errlen, "no service %s", buf);
			return -ENOENT;
		}
		return 0;
	}
	if (!s) {
		snprintf(err, errlen, "no service %s", buf);
		return -ENOENT;
	}
	xgw_addr_str(&c->backend.addr, abuf, sizeof(abuf));
	b = lb_find_be(s, &c->backend.addr);
	if (c->verb == XGW_V_ADD && b) {
		snprintf(err, errlen, "backend %s of %s exists", abuf, buf);
		return -EEXIST;
	}
	if (c->verb != XGW_V_ADD && !b) {
		snprintf(err, errlen, "no backend %s in %s", abuf, buf);
		return -ENOENT;
	}
	return 0;
}

/*
 * Restart over adopted maps: keep the ids the running datapath uses, so
 * connection-table entries stay valid and flows go on undisturbed.
 */
static bool lb_adopting(struct xgwd *d)
{
	return d->adopted && d->restoring;
}

static __u32 lb_adopt_svc_id(struct xgwd *d, const struct xgw_svc_addr *sa)
{
	struct lb_state *st = lb_state(d);
	struct xgw_service v;
	struct xgw_svc_key k;

	lb_svc_key(sa, &k);
	if (!lb_adopting(d) || bpf_map_lookup_elem(st->fd_services, &k, &v) ||
	    !v.id || v.id >= XGW_MAX_SERVICES || st->svc[v.id])
		return 0;
	return v.id;
}

/* Does the service's live table point at backend id? */
static bool lb_table_has(struct lb_state *st, __u32 svc_id, __u32 be_id)
{
	__u32 inner_id, slot, v;
	bool found = false;
	int fd;

	if (bpf_map_lookup_elem(st->fd_maglev, &svc_id, &inner_id))
		return false;
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return false;
	/* Maglev spreads every backend over the table: a short scan finds it */
	for (slot = 0; slot < 4096 && !found; slot++)
		found = !bpf_map_lookup_elem(fd, &slot, &v) && v == be_id;
	close(fd);
	return found;
}

/* The adopted backend id for (service, address), and its old entry. */
static __u32 lb_adopt_be_id(struct xgwd *d, const struct lb_service *s,
			    const struct xgw_addr *a, struct xgw_backend *old)
{
	struct lb_state *st = lb_state(d);
	__u32 id, only = 0, n = 0;
	struct xgw_backend v;

	if (!lb_adopting(d))
		return 0;
	for (id = 1; id < XGW_MAX_BACKENDS; id++) {
		if (st->be_used[id] || bpf_map_lookup_elem(st->fd_backends, &id, &v) ||
		    v.family != a->family || memcmp(v.addr, a->a, sizeof(v.addr)))
			continue;
		if (lb_table_has(st, s->id, id)) {
			*old = v;
			return id;
		}
		only = id;
		*old = v;
		n++;
	}
	return n == 1 ? only : 0;	/* out of the table: only if unambiguous */
}

void lb__adopt_finish(struct xgwd *d)
{
	struct lb_state *st = lb_state(d);
	struct xgw_svc_key k, next, *prev = NULL;
	struct xgw_backend v, zero = {};
	struct xgw_service sv;
	__u32 id;

	/* only once the daemon is serving: a failed restore must not sweep */
	if (!st->adopt_pending || d->ctl_fd < 0 || state__status() == STATE_NOT_LOADED)
		return;
	st->adopt_pending = false;
	while (!bpf_map_get_next_key(st->fd_services, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(st->fd_services, &k, &sv) ||
		    (sv.id < XGW_MAX_SERVICES && st->svc[sv.id]))
			continue;
		pr_info("lb: dropping service id %u left by the previous run", sv.id);
		bpf_map_delete_elem(st->fd_services, &k);
		bpf_map_delete_elem(st->fd_maglev, &sv.id);
		prev = NULL;	/* deleted: walk again from the start */
	}
	for (id = 1; id < XGW_MAX_BACKENDS; id++)
		if (!st->be_used[id] && !bpf_map_lookup_elem(st->fd_backends, &id, &v) &&
		    v.family)
			bpf_map_update_elem(st->fd_backends, &id, &zero, BPF_ANY);
	for (id = 1; id < XGW_MAX_SERVICES; id++) {
		if (st->svc[id] && st->svc[id]->deferred) {
			st->svc[id]->deferred = false;
			lb_svc_publish(st, st->svc[id]);
		}
	}
}

static int lb_service_add(struct xgwd *d, const struct xgw_cmd *c,
			  struct xgwd_undo *undo, char *err, size_t errlen)
{
	struct lb_state *st = lb_state(d);
	struct lb_service *s;
	struct xgw_cmd inv;
	bool adopted;
	__u32 id;
	int ret;

	id = lb_adopt_svc_id(d, &c->service.svc);
	adopted = id != 0;
	if (!id)
		id = lb_exhume(st, &c->service.svc, NULL);
	if (!id)
		id = lb_alloc_id(&st->next_svc_id, XGW_MAX_SERVICES, lb_svc_id_used, st);
	if (!id) {
		snprintf(err, errlen, "too many services (max %u)", XGW_MAX_SERVICES - 1);
		return -ENOSPC;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->svc = c->service.svc;
	s->id = id;
	s->mode = c->service.mode;
	s->table_size = lb_table_size(c);
	if (undo) {
		lb_cmd_service(&inv, XGW_V_DEL, s);
		ret = xgwd_undo__push(undo, &inv);
		if (ret)
			goto fail;
	}
	ret = route__set_vip(d, &s->svc.addr, true);
	if (ret) {
		if (ret == -ENOSPC && s->svc.addr.family == AF_INET)
			snprintf(err, errlen, "cannot mark VIP: IPv4 FIB full (no free group "
				 "of %u for its /24)", XGW_FIB4_GROUPS);
		else
			snprintf(err, errlen, "cannot mark VIP: %s", strerror(-ret));
		goto fail;
	}
	/* adopted: the old table serves until the restore is complete */
	s->deferred = adopted;
	/* table first: the service entry makes packets look for it */
	ret = s->deferred ? 0 : lb_svc_publish(st, s);
	if (ret) {
		route__set_vip(d, &s->svc.addr, false);
		snprintf(err, errlen, "cannot write service maps: %s", strerror(-ret));
		goto fail;
	}
	st->svc[id] = s;
	return 0;
fail:
	free(s);
	return ret;
}

static void lb_backend_release(struct xgwd *d, struct lb_backend *b)
{
	struct lb_state *st = lb_state(d);
	struct xgw_backend zero = {};

	bpf_map_update_elem(st->fd_backends, &b->id, &zero, BPF_ANY);
	st->be_used[b->id] = 0;
	if (b->nh_id)
		nexthop__put(d, b->nh_id);
	b->nh_id = 0;
}

static int lb_service_del(struct xgwd *d, struct lb_service *s,
			  struct xgwd_undo *undo)
{
	struct lb_state *st = lb_state(d);
	struct xgw_svc_key k;
	struct xgw_cmd inv;
	size_t i;
	int err;

	if (undo) {
		for (i = s->n_be; i-- > 0;) {
			err = lb_undo_backend_readd(undo, s, &s->be[i]);
			if (err)
				return err;
		}
		lb_cmd_service(&inv, XGW_V_ADD, s);
		err = xgwd_undo__push(undo, &inv);
		if (err)
			return err;
	}
	lb_svc_key(&s->svc, &k);
	bpf_map_delete_elem(st->fd_services, &k);
	bpf_map_delete_elem(st->fd_maglev, &s->id);
	lb_bury(st, &s->svc, NULL, s->id);
	for (i = 0; i < s->n_be; i++) {
		lb_bury(st, &s->svc, &s->be[i].addr, s->be[i].id);
		lb_backend_release(d, &s->be[i]);
	}
	lb_ct_purge(st, s->id, 0);
	route__set_vip(d, &s->svc.addr, false);
	st->svc[s->id] = NULL;
	free(s->be);
	free(s);
	return 0;
}

static int lb_service_replace(struct xgwd *d, struct lb_service *s,
			      const struct xgw_cmd *c, struct xgwd_undo *undo,
			      char *err, size_t errlen)
{
	struct lb_state *st = lb_state(d);
	unsigned int old_size = s->table_size;
	int old_mode = s->mode, ret;
	struct xgw_cmd inv;

	/*
	 * A backend was checked for its service's mode when it was added (dsr:
	 * on-link; ipip: a local source address). Rather than re-route every
	 * backend at once, a mode change needs the service empty.
	 */
	if (c->service.mode != s->mode && s->n_be) {
		char buf[XGW_SVC_STRLEN];

		snprintf(err, errlen, "service %s has backends: delete them before changing its mode",
			 xgw_svc_str(&s->svc, buf, sizeof(buf)));
		return -EBUSY;
	}
	if (undo) {
		lb_cmd_service(&inv, XGW_V_REPLACE, s);
		ret = xgwd_undo__push(undo, &inv);
		if (ret)
			return ret;
	}
	s->mode = c->service.mode;
	s->table_size = lb_table_size(c);
	/*
	 * Growing: table then size; shrinking: size then table. Either way a
	 * packet in between indexes within the table it sees.
	 */
	if (s->table_size >= old_size)
		ret = lb_svc_publish(st, s);
	else
		ret = lb_svc_write(st, s) ?: lb_table_publish(st, s);
	if (ret) {
		s->mode = old_mode;
		s->table_size = old_size;
		lb_svc_publish(st, s);
		snprintf(err, errlen, "cannot write service maps: %s", strerror(-ret));
	}
	return ret;
}

/* Next hop and (for ipip) outer source of a backend. */
static int lb_backend_route(struct xgwd *d, struct lb_service *s,
			    struct lb_backend *b, __u32 nh_hint, char *err, size_t errlen)
{
	const struct xgwd_nexthop *nh;
	char abuf[XGW_ADDR_STRLEN];
	int ret;

	xgw_addr_str(&b->addr, abuf, sizeof(abuf));
	ret = nexthop__get_hint(d, &b->addr, 0, nh_hint, &b->nh_id, err, errlen);
	if (ret)
		return ret;
	nh = nexthop__find(d, b->nh_id);
	if (s->mode == XGW_LB_DSR && (!nh || !xgw_addr_equal(&nh->gw, &b->addr))) {
		nexthop__put(d, b->nh_id);
		b->nh_id = 0;
		snprintf(err, errlen, "backend %s is not on an attached link (dsr needs it on-link)",
			 abuf);
		return -ENETUNREACH;
	}
	ret = local__pick(d, b->addr.family, &b->addr, &b->src);
	if (ret && s->mode == XGW_LB_IPIP) {
		nexthop__put(d, b->nh_id);
		b->nh_id = 0;
		snprintf(err, errlen, "no local %s address to reach backend %s (ipip)",
			 b->addr.family == AF_INET ? "IPv4" : "IPv6", abuf);
		return ret;
	}
	if (ret)
		memset(&b->src, 0, sizeof(b->src));
	return 0;
}

static int lb_backend_add(struct xgwd *d, struct lb_service *s,
			  const struct xgw_cmd *c, struct xgwd_undo *undo,
			  char *err, size_t errlen)
{
	struct lb_state *st = lb_state(d);
	struct lb_backend nb = {}, *b;
	struct xgw_backend old = {};
	struct xgw_cmd inv;
	int ret;

	nb.addr = c->backend.addr;
	nb.weight = c->backend.weight;
	nb.check = c->backend.check;
	memcpy(nb.path, c->backend.path, sizeof(nb.path));
	nb.id = lb_adopt_be_id(d, s, &nb.addr, &old);
	if (nb.id)
		nb.down = old.flags & XGW_BE_F_DOWN;	/* until it rises again */
	if (!nb.id)
		nb.id = lb_exhume(st, &s->svc, &nb.addr);
	if (!nb.id)
		nb.id = lb_alloc_id(&st->next_be_id, XGW_MAX_BACKENDS, lb_be_id_used, st);
	if (!nb.id) {
		snprintf(err, errlen, "too many backends (max %u)", XGW_MAX_BACKENDS - 1);
		return -ENOSPC;
	}
	if (s->n_be == s->cap_be) {
		size_t cap = s->cap_be ? s->cap_be * 2 : 8;
		void *p = realloc(s->be, cap * sizeof(*s->be));

		if (!p)
			return -ENOMEM;
		s->be = p;
		s->cap_be = cap;
	}
	if (undo) {
		lb_cmd_backend(&inv, XGW_V_DEL, s, &nb);
		ret = xgwd_undo__push(undo, &inv);
		if (ret)
			return ret;
	}
	ret = lb_backend_route(d, s, &nb, old.nh_id, err, errlen);
	if (ret)
		return ret;
	st->be_used[nb.id] = 1;
	b = &s->be[s->n_be++];
	*b = nb;
	ret = lb_be_write(st, b);
	if (!ret)
		ret = lb_table_publish(st, s);
	if (ret) {
		snprintf(err, errlen, "cannot write backend maps: %s", strerror(-ret));
		lb_backend_release(d, b);
		s->n_be--;
		lb_table_publish(st, s);
	}
	return ret;
}

static int lb_backend_del(struct xgwd *d, struct lb_service *s,
			  struct lb_backend *b, struct xgwd_undo *undo)
{
	struct lb_state *st = lb_state(d);
	unsigned int old_weight;
	__u32 id = b->id;
	int err;

	if (undo) {
		err = lb_undo_backend_readd(undo, s, b);
		if (err)
			return err;
	}
	/* out of the table first, then gone from the backend map: an id
	 * still in the live table must never be released and reused */
	old_weight = b->weight;
	b->weight = 0;
	err = lb_table_publish(st, s);
	if (err) {
		b->weight = old_weight;
		return err;
	}
	lb_bury(st, &s->svc, &b->addr, b->id);
	lb_backend_release(d, b);
	memmove(b, b + 1, (s->be + s->n_be - (b + 1)) * sizeof(*b));
	s->n_be--;
	lb_ct_purge(st, 0, id);
	return 0;
}

static int lb_backend_set(struct xgwd *d, struct lb_service *s,
			  struct lb_backend *b, const struct xgw_cmd *c,
			  struct xgwd_undo *undo)
{
	struct lb_state *st = lb_state(d);
	struct lb_backend old = *b;
	struct xgw_cmd inv;
	int err;

	if (undo) {
		lb_cmd_backend(&inv, XGW_V_SET, s, b);
		inv.backend.op = c->backend.op;
		if (c->backend.op != XGW_BE_SET_WEIGHT)
			inv.backend.op = b->drain ? XGW_BE_DRAIN : XGW_BE_UNDRAIN;
		err = xgwd_undo__push(undo, &inv);
		if (err)
			return err;
	}
	if (c->backend.op == XGW_BE_SET_WEIGHT)
		b->weight = c->backend.weight;
	else
		b->drain = c->backend.op == XGW_BE_DRAIN;
	err = lb_be_write(st, b);
	if (!err)
		err = lb_table_publish(st, s);
	if (err) {
		*b = old;
		lb_be_write(st, b);
		lb_table_publish(st, s);
		return err;
	}
	if (old.drain != b->drain) {
		char sbuf[XGW_SVC_STRLEN], abuf[XGW_ADDR_STRLEN];

		pr_info("service %s backend %s %s", xgw_svc_str(&s->svc, sbuf, sizeof(sbuf)),
			xgw_addr_str(&b->addr, abuf, sizeof(abuf)),
			b->drain ? "draining" : "undrained");
	}
	return 0;
}

int lb__backend_health(struct xgwd *d, __u32 svc_id, __u32 be_id, bool ok)
{
	struct lb_state *st = lb_state(d);
	char sbuf[XGW_SVC_STRLEN], abuf[XGW_ADDR_STRLEN];
	struct lb_service *s;
	struct lb_backend *b = NULL;
	bool was_down;
	size_t i;

	s = svc_id < XGW_MAX_SERVICES ? st->svc[svc_id] : NULL;
	for (i = 0; s && i < s->n_be; i++)
		if (s->be[i].id == be_id)
			b = &s->be[i];
	if (!b)
		return -ENOENT;	/* deleted while it was being checked */
	was_down = b->down;
	if (ok) {
		b->ok_run++;
		b->fail_run = 0;
		if (b->down && b->ok_run >= st->rise)
			b->down = false;
	} else {
		b->fail_run++;
		b->ok_run = 0;
		if (!b->down && b->fail_run >= st->fall)
			b->down = true;
	}
	if (was_down == b->down)
		return 0;
	pr_info("service %s backend %s is %s", xgw_svc_str(&s->svc, sbuf, sizeof(sbuf)),
		xgw_addr_str(&b->addr, abuf, sizeof(abuf)), b->down ? "down" : "up");
	lb_be_write(st, b);
	return lb_table_publish(st, s);
}

/* ---- show, save, metrics ------------------------------------------------------ */

static void lb_counter_sum(int fd, __u32 id, struct xgw_lb_counter *sum)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct xgw_lb_counter *v;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return;
	v = calloc(ncpu, sizeof(*v));
	if (v && !bpf_map_lookup_elem(fd, &id, v)) {
		for (i = 0; i < ncpu; i++) {
			sum->packets += v[i].packets;
			sum->bytes += v[i].bytes;
			sum->new_flows += v[i].new_flows;
		}
	}
	free(v);
}

static const char *lb_be_state(const struct lb_backend *b)
{
	if (b->down)
		return "down";
	return b->drain ? "drain" : "up";
}

static void lb_show_counters(int fd, __u32 id)
{
	struct xgw_lb_counter c;

	lb_counter_sum(fd, id, &c);
	print_u64(PRINT_ANY, "packets", " packets %llu", c.packets);
	print_u64(PRINT_ANY, "bytes", " bytes %llu", c.bytes);
	print_u64(PRINT_ANY, "new_flows", " new-flows %llu", c.new_flows);
}

static void lb_show_backend(struct lb_state *st, const struct lb_backend *b)
{
	char abuf[XGW_ADDR_STRLEN];

	open_json_object(NULL);
	print_string(PRINT_ANY, "addr", "\tbackend %s", xgw_addr_str(&b->addr, abuf, sizeof(abuf)));
	print_uint(PRINT_ANY, "id", " id %u", b->id);
	print_uint(PRINT_ANY, "weight", " weight %u", b->weight);
	print_string(PRINT_ANY, "check", " check %s", lb_check_name[b->check]);
	if (b->check == XGW_CHECK_HTTP)
		print_string(PRINT_ANY, "path", " %s", b->path);
	print_string(PRINT_ANY, "state", " state %s", lb_be_state(b));
	print_bool(PRINT_JSON, "healthy", NULL, !b->down);
	print_bool(PRINT_JSON, "drain", NULL, b->drain);
	print_uint(PRINT_JSON, "nh_id", NULL, b->nh_id);
	lb_show_counters(st->fd_be_stats, b->id);
	print_nl();
	close_json_object();
}

static void lb_show(struct xgwd *d, const struct xgw_svc_addr *filter)
{
	struct lb_state *st = lb_state(d);
	char buf[XGW_SVC_STRLEN];
	__u32 i;
	size_t j;

	open_json_array(PRINT_JSON, "services");
	for (i = 1; i < XGW_MAX_SERVICES; i++) {
		struct lb_service *s = st->svc[i];
		size_t up = 0;

		if (!s || (filter && !lb_svc_equal(&s->svc, filter)))
			continue;
		for (j = 0; j < s->n_be; j++)
			up += lb_be_usable(&s->be[j]);
		open_json_object(NULL);
		print_string(PRINT_ANY, "service", "service %s", xgw_svc_str(&s->svc, buf, sizeof(buf)));
		print_uint(PRINT_ANY, "id", " id %u", s->id);
		print_string(PRINT_ANY, "mode", " mode %s", lb_mode_name[s->mode]);
		print_uint(PRINT_ANY, "table_size", " table-size %u", s->table_size);
		print_uint(PRINT_ANY, "usable", " usable %u", up);
		print_uint(PRINT_JSON, "backends_total", NULL, s->n_be);
		lb_show_counters(st->fd_svc_stats, s->id);
		print_nl();
		open_json_array(PRINT_JSON, "backends");
		for (j = 0; j < s->n_be; j++)
			lb_show_backend(st, &s->be[j]);
		close_json_array(PRINT_JSON, NULL);
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
}

static int lb_apply(struct xgwd *d, const struct xgw_cmd *c,
	      struct xgwd_undo *undo, char *err, size_t errlen)
{
	struct lb_state *st = lb_state(d);
	struct lb_service *s;
	struct lb_backend *b;
	int ret;

	if (c->verb == XGW_V_SHOW) {
		const struct xgw_svc_addr *f = c->obj == XGW_OBJ_SERVICE ?
			&c->service.svc : &c->backend.svc;

		lb_show(d, f->addr.family ? f : NULL);
		return 0;
	}
	ret = lb__check(d, c, err, errlen);
	if (!ret)
		ret = lb_check_state(d, c, err, errlen);
	if (ret)
		return ret;
	if (c->obj == XGW_OBJ_SERVICE) {
		s = lb_find_svc(st, &c->service.svc);
		if (c->verb == XGW_V_DEL)
			return lb_service_del(d, s, undo);
		if (s)
			return lb_service_replace(d, s, c, undo, err, errlen);
		return lb_service_add(d, c, undo, err, errlen);
	}
	s = lb_find_svc(st, &c->backend.svc);
	b = lb_find_be(s, &c->backend.addr);
	switch (c->verb) {
	case XGW_V_ADD:
		return lb_backend_add(d, s, c, undo, err, errlen);
	case XGW_V_DEL:
		return lb_backend_del(d, s, b, undo);
	case XGW_V_SET:
		return lb_backend_set(d, s, b, c, undo);
	default:
		snprintf(err, errlen, "unsupported backend command");
		return -EINVAL;
	}
}

int lb__apply(struct xgwd *d, const struct xgw_cmd *c,
	      struct xgwd_undo *undo, char *err, size_t errlen)
{
	size_t n0 = undo ? undo->n : 0;
	int ret = lb_apply(d, c, undo, err, errlen);

	/* nothing changed: forget the inverses pushed on the way */
	if (ret && undo)
		undo->n = n0;
	return ret;
}

int lb__save(struct xgwd *d, FILE *f)
{
	struct lb_state *st = lb_state(d);
	char line[512];
	struct xgw_cmd c;
	__u32 i;
	size_t j;

	for (i = 1; i < XGW_MAX_SERVICES; i++) {
		struct lb_service *s = st->svc[i];

		if (!s)
			continue;
		lb_cmd_service(&c, XGW_V_ADD, s);
		if (xgw_cmd_format(&c, line, sizeof(line)) < 0)
			return -ENOSPC;
		fprintf(f, "%s\n", line);
		for (j = 0; j < s->n_be; j++) {
			lb_cmd_backend(&c, XGW_V_ADD, s, &s->be[j]);
			if (xgw_cmd_format(&c, line, sizeof(line)) < 0)
				return -ENOSPC;
			fprintf(f, "%s\n", line);
			if (!s->be[j].drain)
				continue;
			c.verb = XGW_V_SET;
			c.backend.op = XGW_BE_DRAIN;
			if (xgw_cmd_format(&c, line, sizeof(line)) < 0)
				return -ENOSPC;
			fprintf(f, "%s\n", line);
		}
	}
	return ferror(f) ? -EIO : 0;
}

static void lb_metric_head(FILE *f, const char *name, const char *type,
			   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void lb__metrics(struct xgwd *d, FILE *f)
{
	static const char *const what[] = { "packets", "bytes", "new_flows" };
	struct lb_state *st = lb_state(d);
	char sbuf[XGW_SVC_STRLEN], abuf[XGW_ADDR_STRLEN], name[64];
	struct xgw_lb_counter c;
	int w;
	__u32 i;
	size_t j;

	if (!st)
		return;
	for (w = 0; w < 3; w++) {
		snprintf(name, sizeof(name), "xgw_service_%s_total", what[w]);
		lb_metric_head(f, name, "counter", "per service, from the datapath");
		for (i = 1; i < XGW_MAX_SERVICES; i++) {
			struct lb_service *s = st->svc[i];

			if (!s)
				continue;
			lb_counter_sum(st->fd_svc_stats, s->id, &c);
			fprintf(f, "%s{service=\"%s\"} %llu\n", name,
				xgw_svc_str(&s->svc, sbuf, sizeof(sbuf)),
				w == 0 ? c.packets : w == 1 ? c.bytes : c.new_flows);
		}
		snprintf(name, sizeof(name), "xgw_backend_%s_total", what[w]);
		lb_metric_head(f, name, "counter", "per backend, from the datapath");
		for (i = 1; i < XGW_MAX_SERVICES; i++) {
			struct lb_service *s = st->svc[i];

			for (j = 0; s && j < s->n_be; j++) {
				lb_counter_sum(st->fd_be_stats, s->be[j].id, &c);
				fprintf(f, "%s{service=\"%s\",backend=\"%s\"} %llu\n", name,
					xgw_svc_str(&s->svc, sbuf, sizeof(sbuf)),
					xgw_addr_str(&s->be[j].addr, abuf, sizeof(abuf)),
					w == 0 ? c.packets : w == 1 ? c.bytes : c.new_flows);
			}
		}
	}
	lb_metric_head(f, "xgw_backend_up", "gauge", "1 when health checks pass");
	lb_metric_head(f, "xgw_backend_drain", "gauge", "1 when drained by the operator");
	for (i = 1; i < XGW_MAX_SERVICES; i++) {
		struct lb_service *s = st->svc[i];

		for (j = 0; s && j < s->n_be; j++) {
			xgw_svc_str(&s->svc, sbuf, sizeof(sbuf));
			xgw_addr_str(&s->be[j].addr, abuf, sizeof(abuf));
			fprintf(f, "xgw_backend_up{service=\"%s\",backend=\"%s\"} %d\n",
				sbuf, abuf, !s->be[j].down);
			fprintf(f, "xgw_backend_drain{service=\"%s\",backend=\"%s\"} %d\n",
				sbuf, abuf, s->be[j].drain);
		}
	}
}

/* ---- life cycle ------------------------------------------------------------------ */

int lb__init(struct xgwd *d)
{
	struct lb_state *st;
	int err;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->fd_services = bpf_map__fd(d->skel->maps.xgw_services);
	st->fd_maglev = bpf_map__fd(d->skel->maps.xgw_maglev);
	st->fd_backends = bpf_map__fd(d->skel->maps.xgw_backends);
	st->fd_ct = bpf_map__fd(d->skel->maps.xgw_conntrack);
	st->fd_svc_stats = bpf_map__fd(d->skel->maps.xgw_svc_stats);
	st->fd_be_stats = bpf_map__fd(d->skel->maps.xgw_be_stats);
	st->interval_ms = LB_CHECK_INTERVAL_MS;
	st->timeout_ms = LB_CHECK_TIMEOUT_MS;
	st->rise = LB_CHECK_RISE;
	st->fall = LB_CHECK_FALL;
	st->health_stop_fd[0] = st->health_stop_fd[1] = -1;
	st->adopt_pending = d->adopted;
	d->lb = st;
	err = health__start(d);
	if (err) {
		d->lb = NULL;
		free(st);
	}
	return err;
}

void lb__fini(struct xgwd *d)
{
	struct lb_state *st = lb_state(d);
	__u32 i;

	if (!st)
		return;
	health__stop(d);
	/* maps stay as they are: a restart adopts them and flows go on */
	for (i = 1; i < XGW_MAX_SERVICES; i++) {
		if (st->svc[i]) {
			free(st->svc[i]->be);
			free(st->svc[i]);
		}
	}
	free(st);
	d->lb = NULL;
}
