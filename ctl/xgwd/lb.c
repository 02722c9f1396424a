// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Services and backends: xgwd's side of the load balancer. Keeps the
 * desired state (lb.h), writes xgw_services, xgw_backends, xgw_snat (NAT
 * source pools) and one Maglev table per service, marks VIPs and NAT
 * source addresses in the FIB, and answers service/backend commands.
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
#include "announce.h"
#include "local.h"
#include "nexthop.h"
#include "route.h"
#include "ctgc.h"
#include "state.h"
#include "util.h"

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

/* A backend is its address and port (0: the service's). */
static struct lb_backend *lb_find_be(struct lb_service *s, const struct xgw_addr *a,
				     __u16 port)
{
	size_t i;

	for (i = 0; i < s->n_be; i++)
		if (xgw_addr_equal(&s->be[i].addr, a) && s->be[i].port == port)
			return &s->be[i];
	return NULL;
}

/* "ADDR", "ADDR:PORT" or "[ADDR6]:PORT", as the grammar writes a backend. */
static const char *lb_be_str(const struct lb_backend *b, char *buf, size_t len)
{
	char a[XGW_ADDR_STRLEN];

	xgw_addr_str(&b->addr, a, sizeof(a));
	if (!b->port)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, b->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, b->port);
	return buf;
}
#define LB_BE_STRLEN	(XGW_ADDR_STRLEN + 8)

void lb__check_effective(const struct lb_service *s, const struct lb_backend *b,
			 struct xgw_check *out)
{
	const struct xgw_check *layer[2] = { &s->check, b ? &b->check : NULL };
	int i;

	memset(out, 0, sizeof(*out));
	out->type = s->svc.proto == IPPROTO_UDP ? XGW_CHECK_NONE : XGW_CHECK_TCP;
	out->interval_ms = LB_CHECK_INTERVAL_MS;
	out->timeout_ms = LB_CHECK_TIMEOUT_MS;
	out->rise = LB_CHECK_RISE;
	out->fall = LB_CHECK_FALL;
	for (i = 0; i < 2 && layer[i]; i++) {
		const struct xgw_check *c = layer[i];

		if (c->type != XGW_CHECK_DEFAULT) {
			struct xgw_check t = *c;

			/* the check and its arguments are one thing */
			t.interval_ms = out->interval_ms;
			t.timeout_ms = out->timeout_ms;
			t.rise = out->rise;
			t.fall = out->fall;
			*out = t;
		}
		out->interval_ms = c->interval_ms ?: out->interval_ms;
		out->timeout_ms = c->timeout_ms ?: out->timeout_ms;
		out->rise = c->rise ?: out->rise;
		out->fall = c->fall ?: out->fall;
	}
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

/* Taken: in the desired state, kept (#12.1), or in the adopted datapath
 * while the restore is not finished. */
static bool lb_svc_id_used(void *arg, __u32 id)
{
	struct lb_state *st = arg;

	return st->svc[id] || st->kept[id] || (st->adopt_pending && st->svc_adopted[id]);
}

static bool lb_be_id_used(void *arg, __u32 id)
{
	struct lb_state *st = arg;

	return st->be_used[id] ||
	       (st->adopt_pending && st->adopted_be && st->adopted_be[id].family);
}

static void lb_bury(struct lb_state *st, const struct xgw_svc_addr *svc,
		    const struct lb_backend *b, __u32 id)
{
	struct lb_grave *g = &st->grave[st->grave_next++ % LB_GRAVES];

	memset(g, 0, sizeof(*g));
	g->svc = *svc;
	if (b) {
		g->addr = b->addr;
		g->port = b->port;
	}
	g->id = id;
}

/* The old id of this service (addr NULL) or backend, if free again. */
static __u32 lb_exhume(struct lb_state *st, const struct xgw_svc_addr *svc,
		       const struct xgw_addr *addr, __u16 port)
{
	unsigned int i;

	for (i = 0; i < LB_GRAVES; i++) {
		struct lb_grave *g = &st->grave[i];

		if (!g->id || !lb_svc_equal(&g->svc, svc) ||
		    (addr ? !xgw_addr_equal(&g->addr, addr) || g->port != port :
			    g->addr.family != 0))
			continue;
		if (addr ? lb_be_id_used(st, g->id) : lb_svc_id_used(st, g->id))
			continue;
		return g->id;
	}
	return 0;
}

/* ---- nat sources ------------------------------------------------------------ */

/* Addresses in the pool first..last (0: no pool). */
static __u32 lb_snat_count(const struct xgw_addr *first, const struct xgw_addr *last)
{
	int w = first->family == AF_INET ? 0 : 3;

	if (!first->family)
		return 0;
	return ntohl(last->a[w]) - ntohl(first->a[w]) + 1;
}

/* The i-th address of a pool starting at first. */
static struct xgw_addr lb_snat_addr(const struct xgw_addr *first, __u32 i)
{
	struct xgw_addr a = *first;
	int w = a.family == AF_INET ? 0 : 3;

	a.a[w] = htonl(ntohl(a.a[w]) + i);
	return a;
}

/*
 * Replies of NAT flows come back to their source: the datapath looks at
 * them only where the route says VIP, so every source address is marked.
 */
static int lb_snat_mark(struct xgwd *d, const struct xgw_addr *first, __u32 n, bool on)
{
	__u32 i;
	int err = 0;

	for (i = 0; i < n; i++) {
		struct xgw_addr a = lb_snat_addr(first, i);

		err = route__set_vip(d, &a, on);
		if (err && on) {
			lb_snat_mark(d, first, i, false);
			return err;
		}
	}
	return 0;
}

/* Is xgw_snat entry i taken for service owner? Until the restore is
 * finished, so are those of other services of the adopted datapath. */
static bool lb_snat_busy(const struct lb_state *st, __u32 i, __u32 owner)
{
	return st->snat_used[i] ||
	       (st->adopt_pending && st->snat_adopted[i] && st->snat_adopted[i] != owner);
}

/*
 * Take n entries of xgw_snat in a row for service owner (prefer: where
 * the adopted service had them), fill them with the pool from first and
 * mark its addresses. 0 with *idx, or -errno and nothing taken.
 */
static int lb_snat_take(struct xgwd *d, __u32 owner, const struct xgw_addr *first, __u32 n,
			__u32 prefer, __u32 *idx, char *err, size_t errlen)
{
	struct lb_state *st = lb_state(d);
	__u32 i, at, run = 0;
	int ret;

	for (at = 0; prefer + n <= XGW_MAX_SNAT && at < n && !lb_snat_busy(st, prefer + at, owner);
	     at++)
		;
	if (at == n) {
		at = prefer;
	} else {
		for (at = 0; at < XGW_MAX_SNAT && run < n; at++)
			run = lb_snat_busy(st, at, owner) ? 0 : run + 1;
		if (run < n) {
			snprintf(err, errlen, "snat: no room for %u addresses (%u in all services)",
				 n, XGW_MAX_SNAT);
			return -ENOSPC;
		}
		at -= n;
	}
	for (i = 0; i < n; i++) {
		struct xgw_snat v = { .family = first->family };
		struct xgw_addr a = lb_snat_addr(first, i);
		__u32 k = at + i;

		memcpy(v.addr, a.a, sizeof(v.addr));
		if (bpf_map_update_elem(st->fd_snat, &k, &v, BPF_ANY)) {
			snprintf(err, errlen, "cannot write xgw_snat: %s", strerror(errno));
			return -errno;
		}
	}
	ret = lb_snat_mark(d, first, n, true);
	if (ret) {
		snprintf(err, errlen, "cannot mark snat addresses: %s", strerror(-ret));
		return ret;
	}
	memset(st->snat_used + at, 1, n);
	*idx = at;
	return 0;
}

static void lb_snat_give(struct xgwd *d, const struct xgw_addr *first, __u32 n, __u32 idx)
{
	lb_snat_mark(d, first, n, false);
	memset(lb_state(d)->snat_used + idx, 0, n);
}

static bool lb_be_usable(const struct lb_backend *b)
{
	return b->weight && !b->drain && !b->down;
}

/* Announce s's VIP (announce.c): a usable backend whose health is known. */
static bool lb_svc_announced(const struct lb_service *s)
{
	size_t i;

	for (i = 0; !s->use_all && i < s->n_be; i++)
		if (lb_be_usable(&s->be[i]) && s->be[i].proven)
			return true;
	return false;
}

/* In the table under all-down use-all: whatever the operator did not take out. */
static bool lb_be_eligible(const struct lb_backend *b)
{
	return b->weight && !b->drain;
}

static int lb_be_write(struct lb_state *st, const struct lb_service *s,
		       const struct lb_backend *b)
{
	struct xgw_backend v = {
		.family = b->addr.family,
		.mode = s->mode,	/* a connection-table hit needs no service lookup */
		.svc_id = s->id,
		.port = htons(b->port),	/* nat; 0: the service's */
		.nh_id = b->nh_id,
		/* under use-all a down backend keeps its flows like any other */
		.flags = (b->down && !s->use_all ? XGW_BE_F_DOWN : 0) |
			 (b->drain ? XGW_BE_F_DRAIN : 0),
	};

	memcpy(v.addr, b->addr.a, sizeof(v.addr));
	memcpy(v.src, b->src.a, sizeof(v.src));
	return bpf_map_update_elem(st->fd_backends, &b->id, &v, BPF_ANY) ? -errno : 0;
}

/*
 * The backends the table holds, as Maglev sees them: the usable ones, or
 * under all-down use-all with none usable, every eligible one. Sets *use_all.
 */
static size_t lb_table_backends(const struct lb_service *s, struct maglev_backend *mb,
				bool *use_all)
{
	size_t i, k = 0;

	for (i = 0; i < s->n_be; i++)
		k += lb_be_usable(&s->be[i]);
	*use_all = !k && s->all_down == XGW_ALLDOWN_USE_ALL;
	k = 0;
	for (i = 0; i < s->n_be; i++) {
		const struct lb_backend *b = &s->be[i];

		if (!(*use_all ? lb_be_eligible(b) : lb_be_usable(b)))
			continue;
		mb[k].addr = b->addr;
		mb[k].port = b->port;
		mb[k].weight = b->weight;
		mb[k].id = b->id;
		k++;
	}
	*use_all = *use_all && k;
	return k;
}

/* Digest of a table's canonical form over its backends mb[] (sorted here). */
static int lb_table_digest(struct maglev_backend *mb, size_t k, const __u32 *table,
			   __u32 m, __u64 *digest)
{
	__u32 *rank = calloc(m, sizeof(*rank));
	int err;

	if (!rank)
		return -ENOMEM;
	maglev__sort(mb, k);
	err = maglev__canonical(mb, k, table, m, rank);
	if (!err)
		*digest = maglev__digest(mb, k, rank, m);
	free(rank);
	return err;
}

/* Build the Maglev table into a fresh inner map and swap it in. */
static int lb_table_publish(struct lb_state *st, struct lb_service *s)
{
	/* the outer map's template has BPF_F_INNER_MAP: so must every table */
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_INNER_MAP);
	struct maglev_backend *mb = NULL;
	__u32 *table = NULL, *keys = NULL, i, count;
	bool use_all, was = s->use_all;
	int fd = -1, err;
	size_t k;

	if (s->deferred)
		return 0;	/* lb__adopt_finish() publishes it */
	mb = calloc(s->n_be ? s->n_be : 1, sizeof(*mb));
	table = calloc(s->table_size, sizeof(*table));
	keys = calloc(s->table_size, sizeof(*keys));
	if (!mb || !table || !keys) {
		err = -ENOMEM;
		goto out;
	}
	k = lb_table_backends(s, mb, &use_all);
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
	if (err) {
		err = -errno;
		goto out;
	}
	s->use_all = use_all;
	for (i = 0; use_all != was && i < s->n_be; i++)
		lb_be_write(st, s, &s->be[i]);	/* DOWN flags follow use-all */
	/* VIP routes: announced while a backend is usable (use-all is not) */
	announce__service(s->id, &s->svc.addr, lb_svc_announced(s));
	if (lb_table_digest(mb, k, table, s->table_size, &s->digest))
		s->digest = 0;
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
		.persist_s = s->persist_s,
		.snat_n = lb_snat_count(&s->snat_first, &s->snat_last),
		.snat_first = s->snat_idx,
	};
	struct xgw_svc_key k;

	lb_svc_key(&s->svc, &k);
	return bpf_map_update_elem(st->fd_services, &k, &v, BPF_ANY) ? -errno : 0;
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

static void lb_ct_count_nat(const void *key, const void *value, void *arg)
{
	const struct xgw_ct_entry *ct = value;
	__u32 *nat_flows = arg;

	(void)key;
	if (ct->kind == XGW_CT_NAT_REPLY && ct->svc_id < XGW_MAX_SERVICES)
		nat_flows[ct->svc_id]++;
}

/*
 * Connection-table entries, and (nat_flows not NULL, XGW_MAX_SERVICES long)
 * per service its NAT flows: one reply entry each, each holding one source
 * address and port of the gateway's. By batches (ops-daemon, #12: not one
 * or two syscalls per entry while d->lock is held).
 */
static unsigned long lb_ct_census(struct lb_state *st, __u32 *nat_flows)
{
	long n = xgw_map_walk(st->fd_ct, sizeof(struct xgw_flow_key), sizeof(struct xgw_ct_entry),
			      nat_flows ? lb_ct_count_nat : NULL, nat_flows);

	return n < 0 ? 0 : n;
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
	c->service.all_down = s->all_down;
	c->service.check = s->check;
	c->service.snat_first = s->snat_first;
	c->service.snat_last = s->snat_last;
	c->service.persist_s = s->persist_s;
	c->service.said = XGW_LB_F_MODE | XGW_LB_F_TABLE | xgw_check_said(&s->check) |
			  (s->all_down != XGW_ALLDOWN_DROP ? XGW_LB_F_ALLDOWN : 0) |
			  (s->snat_first.family ? XGW_LB_F_SNAT : 0) |
			  (s->persist_s ? XGW_LB_F_PERSIST : 0);
}

static void lb_cmd_backend(struct xgw_cmd *c, enum xgw_verb verb,
			   const struct lb_service *s, const struct lb_backend *b)
{
	memset(c, 0, sizeof(*c));
	c->obj = XGW_OBJ_BACKEND;
	c->verb = verb;
	c->backend.svc = s->svc;
	c->backend.addr = b->addr;
	c->backend.port = b->port;
	c->backend.weight = b->weight;
	c->backend.drain = b->drain;
	c->backend.check = b->check;
	c->backend.said = XGW_LB_F_WEIGHT | xgw_check_said(&b->check);
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
		c.backend.said = XGW_LB_F_DRAIN;
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
		if (c->service.mode < XGW_LB_DSR || c->service.mode > XGW_LB_NAT) {
			snprintf(err, errlen, "invalid mode %d", c->service.mode);
			return -EINVAL;
		}
		if ((c->service.said & XGW_LB_F_SNAT) &&
		    c->service.snat_first.family != c->service.svc.addr.family) {
			snprintf(err, errlen, "snat pool of another family than the VIP (nat "
				 "translates within one family)");
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
	char buf[XGW_SVC_STRLEN], bbuf[LB_BE_STRLEN];
	struct lb_backend key = {};
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
		if ((c->verb == XGW_V_DEL || c->verb == XGW_V_SET) && !s) {
			snprintf(err, errlen, "no service %s", buf);
			return -ENOENT;
		}
		if (c->verb == XGW_V_SET && (c->service.said & XGW_LB_F_SNAT) &&
		    s->mode != XGW_LB_NAT) {
			snprintf(err, errlen, "service %s is %s: snat needs mode nat", buf,
				 xgw_lb_mode_name(s->mode));
			return -EINVAL;
		}
		return 0;
	}
	if (!s) {
		snprintf(err, errlen, "no service %s", buf);
		return -ENOENT;
	}
	key.addr = c->backend.addr;
	key.port = c->backend.port;
	lb_be_str(&key, bbuf, sizeof(bbuf));
	b = lb_find_be(s, &key.addr, key.port);
	if (c->verb == XGW_V_ADD && b && !b->kept) {	/* kept: set up anew */
		snprintf(err, errlen, "backend %s of %s exists", bbuf, buf);
		return -EEXIST;
	}
	if (c->verb != XGW_V_ADD && !b) {
		snprintf(err, errlen, "no backend %s in %s", bbuf, buf);
		return -ENOENT;
	}
	if (c->verb == XGW_V_ADD && s->mode == XGW_LB_NAT &&
	    key.addr.family != s->svc.addr.family) {
		snprintf(err, errlen, "backend %s: nat translates within one family, the VIP is IPv%d",
			 bbuf, s->svc.addr.family == AF_INET ? 4 : 6);
		return -EINVAL;
	}
	if (c->verb == XGW_V_ADD && key.port && s->mode != XGW_LB_NAT) {
		/* dsr and ipip hand the client's packet over as it is */
		snprintf(err, errlen, "backend %s: a port other than the service's (%u) needs "
			 "mode nat, %s delivers to port %u", bbuf, sa->port,
			 xgw_lb_mode_name(s->mode), sa->port);
		return -EINVAL;
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

/* The adopted id of a service, and its old entry (its NAT pool's place). */
static __u32 lb_adopt_svc_id(struct xgwd *d, const struct xgw_svc_addr *sa,
			     struct xgw_service *v)
{
	struct lb_state *st = lb_state(d);
	struct xgw_svc_key k;

	lb_svc_key(sa, &k);
	if (!lb_adopting(d) || bpf_map_lookup_elem(st->fd_services, &k, v) ||
	    !v->id || v->id >= XGW_MAX_SERVICES || st->svc[v->id]) {
		memset(v, 0, sizeof(*v));
		return 0;
	}
	return v->id;
}

/* The adopted backend id for (service, address, port), and its old entry. */
static __u32 lb_adopt_be_id(struct xgwd *d, const struct lb_service *s,
			    const struct lb_backend *b, struct xgw_backend *old)
{
	struct lb_state *st = lb_state(d);
	__u32 id;

	if (!lb_adopting(d) || !st->adopted_be)
		return 0;
	/* a backend entry names its service: the match is exact */
	for (id = 1; id < XGW_MAX_BACKENDS; id++) {
		const struct xgw_backend *v = &st->adopted_be[id];

		if (st->be_used[id] || !v->family || v->svc_id != s->id ||
		    v->family != b->addr.family || memcmp(v->addr, b->addr.a, sizeof(v->addr)) ||
		    v->port != htons(b->port))
			continue;
		*old = *v;
		return id;
	}
	return 0;
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
		    (sv.id < XGW_MAX_SERVICES && (st->svc[sv.id] || st->kept[sv.id])))
			continue;
		pr_info("lb: dropping service id %u left by the previous run", sv.id);
		bpf_map_delete_elem(st->fd_services, &k);
		bpf_map_delete_elem(st->fd_maglev, &sv.id);
		prev = NULL;	/* deleted: walk again from the start */
	}
	/* be_used covers the backends of kept services too */
	for (id = 1; id < XGW_MAX_BACKENDS; id++)
		if (!st->be_used[id] && !bpf_map_lookup_elem(st->fd_backends, &id, &v) &&
		    v.family)
			bpf_map_update_elem(st->fd_backends, &id, &zero, BPF_ANY);
	free(st->adopted_be);
	st->adopted_be = NULL;
	for (id = 1; id < XGW_MAX_SERVICES; id++) {
		if (st->svc[id] && st->svc[id]->deferred) {
			st->svc[id]->deferred = false;
			lb_svc_publish(st, st->svc[id]);
		}
	}
}

/* ---- services kept as the adopted datapath has them (#12.1) ---------------- */

static void lb_kept_free(struct lb_kept *kp)
{
	free(kp->be);
	free(kp->nh);
	free(kp->marks);
	free(kp);
}

/* Mark a as VIP for kp (it was marked in the adopted FIB). */
static void lb_kept_mark(struct xgwd *d, struct lb_kept *kp, const struct xgw_addr *a)
{
	char buf[XGW_ADDR_STRLEN];
	struct xgw_addr *m;

	m = realloc(kp->marks, (kp->n_marks + 1) * sizeof(*m));
	if (!m || route__set_vip(d, a, true)) {
		if (m)
			kp->marks = m;
		pr_warn("lb: cannot keep the VIP mark of %s", xgw_addr_str(a, buf, sizeof(buf)));
		return;
	}
	kp->marks = m;
	kp->marks[kp->n_marks++] = *a;
}

/* Its NAT pool: the xgw_snat entries reserved and their addresses marked. */
static void lb_kept_pool(struct xgwd *d, struct lb_kept *kp)
{
	struct lb_state *st = lb_state(d);
	__u32 i, first = kp->v.snat_first, n = kp->v.snat_n;
	struct xgw_snat sn;
	struct xgw_addr a;

	if (!n)
		return;
	for (i = 0; first + n <= XGW_MAX_SNAT && i < n && !st->snat_used[first + i]; i++)
		;
	if (i < n) {
		pr_warn("lb: service id %u: its nat pool's entries are taken", kp->v.id);
		return;
	}
	memset(st->snat_used + first, 1, n);
	kp->pool = true;
	for (i = first; i < first + n; i++) {
		if (bpf_map_lookup_elem(st->fd_snat, &i, &sn) || !sn.family)
			continue;
		memset(&a, 0, sizeof(a));
		a.family = sn.family;
		memcpy(a.a, sn.addr, sizeof(a.a));
		lb_kept_mark(d, kp, &a);
	}
}

/* Its backends: ids reserved, next hops held, nat sources marked. Returns
 * whether one is usable (not down), for the VIP's announcement. */
static bool lb_kept_backends(struct xgwd *d, struct lb_kept *kp)
{
	struct lb_state *st = lb_state(d);
	static const __u8 zero[16];
	bool usable = false;
	struct xgw_addr a;
	__u32 id;

	for (id = 1; st->adopted_be && id < XGW_MAX_BACKENDS; id++) {
		const struct xgw_backend *v = &st->adopted_be[id];
		__u32 *nb, *nn;

		if (!v->family || v->svc_id != kp->v.id || st->be_used[id])
			continue;
		nb = realloc(kp->be, (kp->n_be + 1) * sizeof(*nb));
		if (nb)
			kp->be = nb;
		nn = realloc(kp->nh, (kp->n_be + 1) * sizeof(*nn));
		if (nn)
			kp->nh = nn;
		if (!nb || !nn)
			break;
		st->be_used[id] = 1;
		kp->be[kp->n_be] = id;
		memset(&a, 0, sizeof(a));
		a.family = v->family;
		memcpy(a.a, v->addr, sizeof(a.a));
		kp->nh[kp->n_be] = v->nh_id && !state__hold_nh(d, v->nh_id, &a) ? v->nh_id : 0;
		if (v->nh_id && !kp->nh[kp->n_be])
			pr_warn("lb: service id %u backend id %u: its next hop %u is not to be had",
				kp->v.id, id, v->nh_id);
		kp->n_be++;
		usable |= !(v->flags & (XGW_BE_F_DOWN | XGW_BE_F_DRAIN));
		if (kp->v.mode == XGW_LB_NAT && !kp->v.snat_n && memcmp(v->src, zero, 16)) {
			memcpy(a.a, v->src, sizeof(a.a));
			lb_kept_mark(d, kp, &a);
		}
	}
	return usable;
}

int lb__keep_service(struct xgwd *d, const struct xgw_svc_addr *sa)
{
	struct lb_state *st = lb_state(d);
	char buf[XGW_SVC_STRLEN];
	struct xgw_svc_key k;
	struct xgw_service v;
	struct lb_kept *kp;
	bool usable;

	lb_svc_key(sa, &k);
	/* after the replay (d->restoring is over), before the sweep */
	if (!st->adopt_pending || lb_find_svc(st, sa) || bpf_map_lookup_elem(st->fd_services, &k, &v) ||
	    !v.id || v.id >= XGW_MAX_SERVICES || st->svc[v.id] || st->kept[v.id])
		return -ENOENT;
	kp = calloc(1, sizeof(*kp));
	if (!kp)
		return -ENOMEM;
	kp->svc = *sa;
	kp->v = v;
	st->kept[v.id] = kp;
	lb_kept_mark(d, kp, &sa->addr);
	lb_kept_pool(d, kp);
	usable = lb_kept_backends(d, kp);
	announce__service(v.id, &sa->addr, usable);	/* scale: VIP routes */
	pr_warn("lb: service %s (id %u, %zu backends) kept as the datapath has it",
		xgw_svc_str(sa, buf, sizeof(buf)), v.id, kp->n_be);
	return 0;
}

static struct lb_kept *lb_kept_find(struct lb_state *st, const struct xgw_svc_addr *sa)
{
	__u32 i;

	for (i = 1; i < XGW_MAX_SERVICES; i++)
		if (st->kept[i] && lb_svc_equal(&st->kept[i]->svc, sa))
			return st->kept[i];
	return NULL;
}

/* What the service of kept kp left: gone, unless replaced under its key. */
static void lb_kept_release(struct xgwd *d, struct lb_kept *kp)
{
	struct lb_state *st = lb_state(d);
	struct xgw_backend zero = {};
	struct xgw_service v;
	struct xgw_svc_key k;
	__u32 id = kp->v.id;
	size_t i;

	lb_svc_key(&kp->svc, &k);
	if (!bpf_map_lookup_elem(st->fd_services, &k, &v) && v.id == id)
		bpf_map_delete_elem(st->fd_services, &k);
	bpf_map_delete_elem(st->fd_maglev, &id);
	for (i = 0; i < kp->n_be; i++) {
		bpf_map_update_elem(st->fd_backends, &kp->be[i], &zero, BPF_ANY);
		st->be_used[kp->be[i]] = 0;
		if (kp->nh[i])
			nexthop__put(d, kp->nh[i]);
	}
	lb_ct_purge(st, id, 0);
	if (kp->pool)
		memset(st->snat_used + kp->v.snat_first, 0, kp->v.snat_n);
	for (i = 0; i < kp->n_marks; i++)
		route__set_vip(d, &kp->marks[i], false);
	announce__service(id, &kp->svc.addr, false);
	st->kept[id] = NULL;
	lb_kept_free(kp);
}

enum lb_kept_how lb__kept(struct xgwd *d, const struct xgw_cmd *c)
{
	struct lb_state *st = lb_state(d);
	const struct xgw_svc_addr *sa;
	struct lb_service *s;
	struct lb_backend *b;

	sa = c->obj == XGW_OBJ_SERVICE ? &c->service.svc : &c->backend.svc;
	if (lb_kept_find(st, sa))
		return LB_KEPT_AS_IS;
	if (c->obj != XGW_OBJ_BACKEND || c->verb == XGW_V_SET)
		return LB_NOT_KEPT;
	s = lb_find_svc(st, sa);
	b = s ? lb_find_be(s, &c->backend.addr, c->backend.port) : NULL;
	return b && b->kept ? LB_KEPT_IN_SERVICE : LB_NOT_KEPT;
}


/* What add and replace say of a service: all of it, defaults for the rest. */
static void lb_svc_settings(struct lb_service *s, const struct xgw_cmd *c)
{
	s->mode = c->service.mode;
	s->table_size = lb_table_size(c);
	s->all_down = c->service.all_down;
	s->check = c->service.check;
	s->snat_first = c->service.snat_first;
	s->snat_last = c->service.snat_last;
	s->persist_s = c->service.persist_s;
}

static int lb_service_add(struct xgwd *d, const struct xgw_cmd *c,
			  struct xgwd_undo *undo, char *err, size_t errlen)
{
	struct lb_state *st = lb_state(d);
	struct xgw_service old;
	struct lb_service *s;
	struct xgw_cmd inv;
	bool adopted;
	__u32 id, n;
	int ret;

	id = lb_adopt_svc_id(d, &c->service.svc, &old);
	adopted = id != 0;
	if (!id)
		id = lb_exhume(st, &c->service.svc, NULL, 0);
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
	lb_svc_settings(s, c);
	if (undo) {
		lb_cmd_service(&inv, XGW_V_DEL, s);
		ret = xgwd_undo__push(undo, &inv);
		if (ret)
			goto fail;
	}
	ret = route__set_vip(d, &s->svc.addr, true);
	if (ret) {
		if (ret == -ENOSPC)
			snprintf(err, errlen, "cannot mark VIP: %s",
				 xgw_fib_full(d->fib[s->svc.addr.family == AF_INET6]));
		else
			snprintf(err, errlen, "cannot mark VIP: %s", strerror(-ret));
		goto fail;
	}
	n = lb_snat_count(&s->snat_first, &s->snat_last);
	if (n) {
		ret = lb_snat_take(d, adopted ? id : 0, &s->snat_first, n, old.snat_first,
				   &s->snat_idx, err, errlen);
		if (ret) {
			route__set_vip(d, &s->svc.addr, false);
			goto fail;
		}
	}
	/* adopted: the old table serves until the restore is complete */
	s->deferred = adopted;
	/* table first: the service entry makes packets look for it */
	ret = s->deferred ? 0 : lb_svc_publish(st, s);
	if (ret) {
		if (n)
			lb_snat_give(d, &s->snat_first, n, s->snat_idx);
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
	if (b->src_marked)
		route__set_vip(d, &b->src, false);
	b->src_marked = false;
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
		lb_bury(st, &s->svc, &s->be[i], s->be[i].id);
		lb_backend_release(d, &s->be[i]);
	}
	lb_ct_purge(st, s->id, 0);
	announce__service(s->id, &s->svc.addr, false);	/* scale: VIP routes */
	route__set_vip(d, &s->svc.addr, false);
	lb_snat_give(d, &s->snat_first, lb_snat_count(&s->snat_first, &s->snat_last),
		     s->snat_idx);
	st->svc[s->id] = NULL;
	free(s->be);
	free(s);
	return 0;
}

/*
 * A backend whose check changed starts counting again, probed at once; with
 * no check at all it is up.
 */
static void lb_health_reset(const struct lb_service *s, struct lb_backend *b)
{
	struct xgw_check ck;

	lb__check_effective(s, b, &ck);
	b->ok_run = b->fail_run = 0;
	b->next_probe_ms = 0;
	if (ck.type == XGW_CHECK_NONE) {
		b->down = false;
		b->proven = true;
	}
}

/* After a change to s's settings (old: what they were), write it all out. */
static int lb_service_changed(struct lb_state *st, struct lb_service *s,
			      const struct lb_service *old)
{
	size_t i;

	if (memcmp(&old->check, &s->check, sizeof(s->check)))
		for (i = 0; i < s->n_be; i++)
			lb_health_reset(s, &s->be[i]);
	/*
	 * Growing: table then size; shrinking: size then table. Either way a
	 * packet in between indexes within the table it sees.
	 */
	if (s->table_size >= old->table_size)
		return lb_svc_publish(st, s);
	return lb_svc_write(st, s) ?: lb_table_publish(st, s);
}

/*
 * After a replace or set: a new NAT pool if it changed (taken before the
 * service entry points at it, the old one given back after), then the
 * service written out. On failure s is old again.
 */
static int lb_service_repool(struct xgwd *d, struct lb_service *s, const struct lb_service *old,
			     char *err, size_t errlen)
{
	__u32 n = lb_snat_count(&s->snat_first, &s->snat_last);
	__u32 n_old = lb_snat_count(&old->snat_first, &old->snat_last);
	bool moved = !xgw_addr_equal(&s->snat_first, &old->snat_first) ||
		     !xgw_addr_equal(&s->snat_last, &old->snat_last);
	struct lb_service now;
	int ret = 0;

	if (moved && n)
		ret = lb_snat_take(d, s->id, &s->snat_first, n, XGW_MAX_SNAT, &s->snat_idx, err,
				   errlen);
	if (!ret) {
		ret = lb_service_changed(lb_state(d), s, old);
		if (ret)
			snprintf(err, errlen, "cannot write service maps: %s", strerror(-ret));
	}
	if (!ret) {
		if (moved && n_old)
			lb_snat_give(d, &old->snat_first, n_old, old->snat_idx);
		return 0;
	}
	if (moved && n && s->snat_idx != old->snat_idx)
		lb_snat_give(d, &s->snat_first, n, s->snat_idx);
	now = *s;
	*s = *old;
	lb_service_changed(lb_state(d), s, &now);
	return ret;
}

static int lb_service_replace(struct xgwd *d, struct lb_service *s,
			      const struct xgw_cmd *c, struct xgwd_undo *undo,
			      char *err, size_t errlen)
{
	struct lb_service old = *s;
	struct xgw_cmd inv;
	int ret;

	/*
	 * A backend was checked for its service's mode when it was added (dsr:
	 * on-link; ipip: a local source address). Rather than re-route every
	 * backend at once, a mode change needs the service empty.
	 */
	if (c->verb == XGW_V_REPLACE && c->service.mode != s->mode && s->n_be) {
		char buf[XGW_SVC_STRLEN];

		snprintf(err, errlen, "service %s has backends: delete them before changing its mode",
			 xgw_svc_str(&s->svc, buf, sizeof(buf)));
		return -EBUSY;
	}
	if (undo) {
		lb_cmd_service(&inv, c->verb, s);
		/* set: the inverse says the same fields, with their old values */
		if (c->verb == XGW_V_SET)
			inv.service.said = c->service.said;
		ret = xgwd_undo__push(undo, &inv);
		if (ret)
			return ret;
	}
	if (c->verb == XGW_V_REPLACE) {
		lb_svc_settings(s, c);
	} else {
		xgw_check_merge(&s->check, &c->service.check, c->service.said);
		if (c->service.said & XGW_LB_F_ALLDOWN)
			s->all_down = c->service.all_down;
		if (c->service.said & XGW_LB_F_SNAT) {
			s->snat_first = c->service.snat_first;
			s->snat_last = c->service.snat_last;
		}
		if (c->service.said & XGW_LB_F_PERSIST)
			s->persist_s = c->service.persist_s;
	}
	return lb_service_repool(d, s, &old, err, errlen);
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
	/* ipip: the outer source; nat without a pool: the flows' source */
	if (ret && (s->mode == XGW_LB_IPIP || (s->mode == XGW_LB_NAT && !s->snat_first.family))) {
		nexthop__put(d, b->nh_id);
		b->nh_id = 0;
		snprintf(err, errlen, "no local %s address to reach backend %s (%s)",
			 b->addr.family == AF_INET ? "IPv4" : "IPv6", abuf,
			 xgw_lb_mode_name(s->mode));
		return ret;
	}
	if (ret)
		memset(&b->src, 0, sizeof(b->src));
	return 0;
}

/*
 * NAT: mark b's source a VIP, so replies to flows sourced from it come back
 * to the gateway. On failure b's next hop reference is dropped.
 */
static int lb_backend_mark_src(struct xgwd *d, struct lb_backend *b, char *err, size_t errlen)
{
	int ret = route__set_vip(d, &b->src, true);

	if (ret) {
		nexthop__put(d, b->nh_id);
		snprintf(err, errlen, "cannot mark nat source: %s", strerror(-ret));
		return ret;
	}
	b->src_marked = true;
	return 0;
}

/*
 * Restoring over an adopted datapath, b's line fails (it is no longer on
 * an attached link, no local address reaches it...): keep it in its
 * service as the datapath has it, old (next hop, source), so the table and
 * the flows on it stay. 0, or -errno: it cannot be kept (its next hop slot
 * is not to be had), and the line fails as any other.
 */
static int lb_backend_keep(struct xgwd *d, const struct lb_service *s, struct lb_backend *b,
			   const struct xgw_backend *old)
{
	static const __u8 zero[16];
	int ret;

	if (old->nh_id) {
		ret = state__hold_nh(d, old->nh_id, &b->addr);
		if (ret)
			return ret;
	}
	b->nh_id = old->nh_id;
	memset(&b->src, 0, sizeof(b->src));
	if (memcmp(old->src, zero, sizeof(zero))) {
		b->src.family = b->addr.family;
		memcpy(b->src.a, old->src, sizeof(b->src.a));
	}
	/* nat without a pool: replies come back to that source */
	if (s->mode == XGW_LB_NAT && !s->snat_first.family && b->src.family) {
		ret = route__set_vip(d, &b->src, true);
		if (ret) {
			if (b->nh_id)
				nexthop__put(d, b->nh_id);
			b->nh_id = 0;
			return ret;
		}
		b->src_marked = true;
	}
	b->kept = true;
	return 0;
}

/*
 * An add of kept backend b: set it up as the command says. Until that
 * works it stays kept; once it has, nothing is to undo (the state file
 * has its line all along), so a batch that fails later leaves it set up.
 */
static int lb_backend_readd(struct xgwd *d, struct lb_service *s, struct lb_backend *b,
			    const struct xgw_cmd *c, char *err, size_t errlen)
{
	struct lb_state *st = lb_state(d);
	struct lb_backend nb = *b, old = *b;
	char sbuf[XGW_SVC_STRLEN], bbuf[LB_BE_STRLEN];
	int ret;

	nb.weight = c->backend.weight;
	nb.check = c->backend.check;
	nb.nh_id = 0;
	nb.src_marked = false;
	nb.kept = false;
	ret = lb_backend_route(d, s, &nb, b->nh_id, err, errlen);
	if (ret)
		return ret;
	if (s->mode == XGW_LB_NAT && nb.src.family) {
		ret = lb_backend_mark_src(d, &nb, err, errlen);
		if (ret)
			return ret;
	}
	*b = nb;
	if (old.nh_id)
		nexthop__put(d, old.nh_id);
	if (old.src_marked)
		route__set_vip(d, &old.src, false);
	if (memcmp(&old.check, &b->check, sizeof(b->check)))
		lb_health_reset(s, b);
	pr_info("service %s backend %s set up again (kept as adopted until now)",
		xgw_svc_str(&s->svc, sbuf, sizeof(sbuf)), lb_be_str(b, bbuf, sizeof(bbuf)));
	ret = lb_be_write(st, s, b);
	if (!ret)
		ret = lb_table_publish(st, s);
	if (ret)
		snprintf(err, errlen, "cannot write backend maps: %s", strerror(-ret));
	return ret;
}

static int lb_backend_add(struct xgwd *d, struct lb_service *s,
			  const struct xgw_cmd *c, struct xgwd_undo *undo,
			  char *err, size_t errlen)
{
	struct lb_state *st = lb_state(d);
	struct lb_backend nb = {}, *b;
	struct xgw_backend old = {};
	struct xgw_check ck;
	struct xgw_cmd inv;
	int ret, failed = 0;

	b = lb_find_be(s, &c->backend.addr, c->backend.port);
	if (b && b->kept)
		return lb_backend_readd(d, s, b, c, err, errlen);
	nb.addr = c->backend.addr;
	nb.port = c->backend.port;
	nb.weight = c->backend.weight;
	nb.check = c->backend.check;
	nb.id = lb_adopt_be_id(d, s, &nb, &old);
	lb__check_effective(s, &nb, &ck);
	nb.proven = ck.type == XGW_CHECK_NONE;
	if (nb.id) {
		/* down until it rises again, if it is checked at all */
		nb.down = (old.flags & XGW_BE_F_DOWN) && ck.type != XGW_CHECK_NONE;
		nb.proven = !nb.down;	/* the running datapath's verdict */
	}
	if (!nb.id)
		nb.id = lb_exhume(st, &s->svc, &nb.addr, nb.port);
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
	/* restoring over a datapath that forwards to it: keep it as it is */
	if (ret && old.family && lb_adopting(d) && !lb_backend_keep(d, s, &nb, &old)) {
		failed = ret;
		ret = 0;
	}
	if (ret)
		return ret;
	if (s->mode == XGW_LB_NAT && nb.src.family && !nb.kept) {
		/* the replies of flows sourced from it come back to it */
		ret = lb_backend_mark_src(d, &nb, err, errlen);
		if (ret)
			return ret;
	}
	st->be_used[nb.id] = 1;
	b = &s->be[s->n_be++];
	*b = nb;
	ret = lb_be_write(st, s, b);
	if (!ret)
		ret = lb_table_publish(st, s);
	if (ret) {
		snprintf(err, errlen, "cannot write backend maps: %s", strerror(-ret));
		lb_backend_release(d, b);
		s->n_be--;
		lb_table_publish(st, s);
	}
	return ret ?: failed;	/* kept: the line still failed (err says why) */
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
	lb_bury(st, &s->svc, b, b->id);
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
	unsigned int said = c->backend.said;
	struct lb_backend old = *b;
	struct xgw_cmd inv;
	int err;

	if (undo) {
		/* the same fields, with their old values */
		lb_cmd_backend(&inv, XGW_V_SET, s, b);
		inv.backend.said = said;
		err = xgwd_undo__push(undo, &inv);
		if (err)
			return err;
	}
	if (said & XGW_LB_F_WEIGHT)
		b->weight = c->backend.weight;
	if (said & XGW_LB_F_DRAIN)
		b->drain = c->backend.drain;
	xgw_check_merge(&b->check, &c->backend.check, said);
	if (memcmp(&old.check, &b->check, sizeof(b->check)))
		lb_health_reset(s, b);
	err = lb_be_write(st, s, b);
	if (!err)
		err = lb_table_publish(st, s);
	if (err) {
		*b = old;
		lb_be_write(st, s, b);
		lb_table_publish(st, s);
		return err;
	}
	if (old.drain != b->drain) {
		char sbuf[XGW_SVC_STRLEN], bbuf[LB_BE_STRLEN];

		pr_info("service %s backend %s %s", xgw_svc_str(&s->svc, sbuf, sizeof(sbuf)),
			lb_be_str(b, bbuf, sizeof(bbuf)), b->drain ? "draining" : "undrained");
	}
	return 0;
}

void lb__unkeep(struct xgwd *d, const struct xgw_cmd *c)
{
	struct lb_state *st = lb_state(d);
	struct lb_service *s;
	struct lb_backend *b;
	struct lb_kept *kp;

	if (c->obj == XGW_OBJ_SERVICE) {
		kp = lb_kept_find(st, &c->service.svc);
		if (kp)
			lb_kept_release(d, kp);
		return;
	}
	s = lb_find_svc(st, &c->backend.svc);
	b = s ? lb_find_be(s, &c->backend.addr, c->backend.port) : NULL;
	if (b && b->kept)
		lb_backend_del(d, s, b, NULL);
}

int lb__backend_health(struct xgwd *d, __u32 svc_id, __u32 be_id, bool ok)
{
	struct lb_state *st = lb_state(d);
	char sbuf[XGW_SVC_STRLEN], bbuf[LB_BE_STRLEN];
	struct lb_backend *b = NULL;
	struct lb_service *s;
	struct xgw_check ck;
	bool was_down, was_proven;
	size_t i;

	s = svc_id < XGW_MAX_SERVICES ? st->svc[svc_id] : NULL;
	for (i = 0; s && i < s->n_be; i++)
		if (s->be[i].id == be_id)
			b = &s->be[i];
	if (!b)
		return -ENOENT;	/* deleted while it was being checked */
	b->probing = false;
	lb__check_effective(s, b, &ck);
	if (ck.type == XGW_CHECK_NONE)
		return 0;	/* its check went away meanwhile */
	was_down = b->down;
	was_proven = b->proven;
	if (ok) {
		b->ok_run++;
		b->fail_run = 0;
		b->proven = true;
		if (b->down && b->ok_run >= ck.rise)
			b->down = false;
	} else {
		b->fail_run++;
		b->ok_run = 0;
		if (!b->down && b->fail_run >= ck.fall)
			b->down = true;
	}
	if (was_down == b->down) {
		if (!was_proven && b->proven)	/* its first passed check */
			announce__service(s->id, &s->svc.addr, lb_svc_announced(s));
		return 0;
	}
	pr_info("service %s backend %s is %s", xgw_svc_str(&s->svc, sbuf, sizeof(sbuf)),
		lb_be_str(b, bbuf, sizeof(bbuf)), b->down ? "down" : "up");
	lb_be_write(st, s, b);
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

/* The check in force: text as the grammar writes it, JSON field by field. */
static void lb_show_check(const struct xgw_check *ck)
{
	char txt[XGW_HTTP_PATH_MAX + 6 * XGW_CHECK_DATA_MAX];

	/* no check: its timing would only be noise */
	if (xgw_check_format(ck, ck->type == XGW_CHECK_NONE ? XGW_LB_F_CHECK : XGW_LB_F_HEALTH,
			     txt, sizeof(txt)) < 0)
		txt[0] = '\0';
	print_string(PRINT_TEXT, NULL, "%s", txt);
	open_json_object("check");
	print_string(PRINT_JSON, "type", NULL, xgw_check_name(ck->type));
	if (ck->type == XGW_CHECK_HTTP) {
		print_string(PRINT_JSON, "path", NULL, ck->path);
		print_uint(PRINT_JSON, "expect", NULL, ck->expect_code);
	}
	print_uint(PRINT_JSON, "interval_ms", NULL, ck->interval_ms);
	print_uint(PRINT_JSON, "timeout_ms", NULL, ck->timeout_ms);
	print_uint(PRINT_JSON, "rise", NULL, ck->rise);
	print_uint(PRINT_JSON, "fall", NULL, ck->fall);
	close_json_object();
}

static void lb_show_backend(struct lb_state *st, const struct lb_service *s,
			    const struct lb_backend *b)
{
	char abuf[XGW_ADDR_STRLEN], bbuf[LB_BE_STRLEN];
	struct xgw_check ck;

	lb__check_effective(s, b, &ck);
	open_json_object(NULL);
	print_string(PRINT_TEXT, NULL, "\tbackend %s", lb_be_str(b, bbuf, sizeof(bbuf)));
	print_string(PRINT_JSON, "addr", NULL, xgw_addr_str(&b->addr, abuf, sizeof(abuf)));
	print_uint(PRINT_JSON, "port", NULL, lb_backend_port(s, b));
	print_uint(PRINT_ANY, "id", " id %u", b->id);
	print_uint(PRINT_ANY, "weight", " weight %u", b->weight);
	lb_show_check(&ck);
	print_string(PRINT_ANY, "state", " state %s", lb_be_state(b));
	print_bool(PRINT_JSON, "healthy", NULL, !b->down);
	print_bool(PRINT_JSON, "drain", NULL, b->drain);
	print_bool(PRINT_ANY, "kept", b->kept ? " kept" : NULL, b->kept);
	print_uint(PRINT_JSON, "nh_id", NULL, b->nh_id);
	lb_show_counters(st->fd_be_stats, b->id);
	print_nl();
	close_json_object();
}

static void lb_show_service(struct lb_state *st, const struct lb_service *s,
			    const __u32 *nat_flows)
{
	char buf[XGW_SVC_STRLEN], dig[20];
	struct xgw_check ck;
	size_t j, up = 0;

	for (j = 0; j < s->n_be; j++)
		up += lb_be_usable(&s->be[j]);
	lb__check_effective(s, NULL, &ck);
	snprintf(dig, sizeof(dig), "%016llx", (unsigned long long)s->digest);
	print_string(PRINT_ANY, "service", "service %s", xgw_svc_str(&s->svc, buf, sizeof(buf)));
	print_uint(PRINT_ANY, "id", " id %u", s->id);
	print_string(PRINT_ANY, "mode", " mode %s", xgw_lb_mode_name(s->mode));
	print_uint(PRINT_ANY, "table_size", " table-size %u", s->table_size);
	print_string(PRINT_ANY, "table_digest", " table-digest %s", dig);
	print_uint(PRINT_ANY, "usable", " usable %u", up);
	if (s->snat_first.family) {
		char a[XGW_ADDR_STRLEN], b[XGW_ADDR_STRLEN];

		xgw_addr_str(&s->snat_first, a, sizeof(a));
		xgw_addr_str(&s->snat_last, b, sizeof(b));
		print_string(PRINT_ANY, "snat_first", " snat %s", a);
		print_string(PRINT_ANY, "snat_last", "-%s", b);
	}
	print_uint(PRINT_ANY, "persist", " persist %u", s->persist_s);
	if (s->mode == XGW_LB_NAT && nat_flows)
		print_uint(PRINT_ANY, "nat_flows", " nat-flows %u", nat_flows[s->id]);
	print_string(PRINT_ANY, "all_down", " all-down %s", xgw_all_down_name(s->all_down));
	print_string(PRINT_TEXT, NULL, "%s", s->use_all ? " (in force: every backend down)" : "");
	print_bool(PRINT_JSON, "all_down_in_force", NULL, s->use_all);
	print_uint(PRINT_JSON, "backends_total", NULL, s->n_be);
	lb_show_check(&ck);
	lb_show_counters(st->fd_svc_stats, s->id);
	print_nl();
}

static void lb_show(struct xgwd *d, const struct xgw_svc_addr *filter)
{
	struct lb_state *st = lb_state(d);
	__u32 i, *nat = NULL;
	size_t j;

	/* the connection table is walked once, and only for a nat service */
	for (i = 1; i < XGW_MAX_SERVICES && !nat; i++)
		if (st->svc[i] && st->svc[i]->mode == XGW_LB_NAT &&
		    (!filter || lb_svc_equal(&st->svc[i]->svc, filter)))
			nat = calloc(XGW_MAX_SERVICES, sizeof(*nat));
	if (nat)
		lb_ct_census(st, nat);
	open_json_array(PRINT_JSON, "services");
	for (i = 1; i < XGW_MAX_SERVICES; i++) {
		struct lb_service *s = st->svc[i];

		if (!s || (filter && !lb_svc_equal(&s->svc, filter)))
			continue;
		open_json_object(NULL);
		lb_show_service(st, s, nat);
		open_json_array(PRINT_JSON, "backends");
		for (j = 0; j < s->n_be; j++)
			lb_show_backend(st, s, &s->be[j]);
		close_json_array(PRINT_JSON, NULL);
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
	free(nat);
}

/* The live table of s, as the datapath reads it: slot -> backend id. */
static int lb_table_read(struct lb_state *st, const struct lb_service *s, __u32 *table)
{
	__u32 inner_id, *keys, count = s->table_size, i;
	int fd, err = 0;

	if (bpf_map_lookup_elem(st->fd_maglev, &s->id, &inner_id))
		return -ENOENT;
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return -errno;
	keys = calloc(s->table_size, sizeof(*keys));
	if (!keys) {
		close(fd);
		return -ENOMEM;
	}
	for (i = 0; i < s->table_size; i++)
		keys[i] = i;
	/* one batch; the lookup batch API wants an in/out cursor */
	{
		__u32 out_batch = 0;

		if (bpf_map_lookup_batch(fd, NULL, &out_batch, keys, table, &count, NULL) &&
		    errno != ENOENT)
			err = -errno;
		else if (count != s->table_size)
			err = -EIO;
	}
	free(keys);
	close(fd);
	return err;
}

/* A table in canonical form: its backends by rank, then rank per slot. */
static void lb_print_canonical(const char *svc, const struct maglev_backend *mb, size_t k,
			       const __u32 *rank, __u32 m)
{
	char dig[20], bbuf[LB_BE_STRLEN];
	size_t j;
	__u32 i;

	snprintf(dig, sizeof(dig), "%016llx",
		 (unsigned long long)maglev__digest(mb, k, rank, m));
	open_json_object(NULL);
	print_string(PRINT_ANY, "service", "service %s", svc);
	print_uint(PRINT_ANY, "table_size", " table-size %u", m);
	print_string(PRINT_ANY, "table_digest", " table-digest %s", dig);
	print_nl();
	open_json_array(PRINT_JSON, "backends");
	for (j = 0; j < k; j++) {
		struct lb_backend key = { .addr = mb[j].addr, .port = mb[j].port };

		open_json_object(NULL);
		print_uint(PRINT_ANY, "rank", "rank %u", j);
		print_string(PRINT_ANY, "backend", " backend %s", lb_be_str(&key, bbuf, sizeof(bbuf)));
		print_uint(PRINT_ANY, "weight", " weight %u", mb[j].weight);
		print_nl();
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
	/* text: one line per slot, "slot RANK" (- for empty, ? for unknown) */
	open_json_array(PRINT_JSON, "slots");
	for (i = 0; i < m; i++) {
		if (rank[i] == MAGLEV_RANK_EMPTY) {
			print_int(PRINT_JSON, NULL, NULL, -1);
			print_text("%u -\n", i);
		} else if (rank[i] == MAGLEV_RANK_UNKNOWN) {
			print_int(PRINT_JSON, NULL, NULL, -2);
			print_text("%u ?\n", i);
		} else {
			print_uint(PRINT_JSON, NULL, NULL, rank[i]);
			print_text("%u %u\n", i, rank[i]);
		}
	}
	close_json_array(PRINT_JSON, NULL);
	close_json_object();
}

/*
 * service show SERVICE table: the live table in canonical form (backends
 * in address order, each slot the rank of its backend), which is what two
 * gateways with the same service and backends must agree on byte for
 * byte, and its digest.
 */
static int lb_show_table(struct xgwd *d, const struct xgw_svc_addr *sa, char *err,
			 size_t errlen)
{
	struct lb_state *st = lb_state(d);
	struct lb_service *s = lb_find_svc(st, sa);
	char buf[XGW_SVC_STRLEN];
	struct maglev_backend *mb = NULL;
	__u32 *table = NULL, *rank = NULL;
	bool use_all;
	size_t k;
	int ret;

	xgw_svc_str(sa, buf, sizeof(buf));
	if (!s) {
		snprintf(err, errlen, "no service %s", buf);
		return -ENOENT;
	}
	mb = calloc(s->n_be ? s->n_be : 1, sizeof(*mb));
	table = calloc(s->table_size, sizeof(*table));
	rank = calloc(s->table_size, sizeof(*rank));
	ret = mb && table && rank ? 0 : -ENOMEM;
	if (!ret)
		ret = lb_table_read(st, s, table);
	if (ret) {
		snprintf(err, errlen, "cannot read the table of %s: %s", buf, strerror(-ret));
		goto out;
	}
	k = lb_table_backends(s, mb, &use_all);
	maglev__sort(mb, k);
	ret = maglev__canonical(mb, k, table, s->table_size, rank);
	if (ret)
		goto out;
	lb_print_canonical(buf, mb, k, rank, s->table_size);
out:
	free(rank);
	free(table);
	free(mb);
	return ret;
}

static int lb_apply(struct xgwd *d, const struct xgw_cmd *c,
	      struct xgwd_undo *undo, char *err, size_t errlen)
{
	struct lb_state *st = lb_state(d);
	struct lb_service *s;
	struct lb_backend *b;
	int ret;

	if (c->verb == XGW_V_SHOW) {
		const struct xgw_svc_addr *f = &c->service.svc;

		if (c->service.show_table)
			return lb_show_table(d, f, err, errlen);
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
	b = lb_find_be(s, &c->backend.addr, c->backend.port);
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

int lb__save(struct xgwd *d, FILE *f, bool kept)
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
			if (s->be[j].kept && !kept)
				continue;
			lb_cmd_backend(&c, XGW_V_ADD, s, &s->be[j]);
			if (xgw_cmd_format(&c, line, sizeof(line)) < 0)
				return -ENOSPC;
			fprintf(f, "%s\n", line);
			if (!s->be[j].drain)
				continue;
			c.verb = XGW_V_SET;
			c.backend.said = XGW_LB_F_DRAIN;
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
	char sbuf[XGW_SVC_STRLEN], abuf[LB_BE_STRLEN], name[64];
	unsigned long entries;
	struct xgw_lb_counter c;
	__u32 i, *nat;
	size_t j;
	int w;

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
					lb_be_str(&s->be[j], abuf, sizeof(abuf)),
					w == 0 ? c.packets : w == 1 ? c.bytes : c.new_flows);
			}
		}
	}
	/* one metric's samples together, as the text format wants */
	for (w = 0; w < 4; w++) {
		static const char *const gauge[][2] = {
			{ "xgw_backend_up", "1 when health checks pass" },
			{ "xgw_backend_drain", "1 when drained by the operator" },
			{ "xgw_service_table_info", "1, labelled with the digest of the service's "
			  "Maglev table (equal on gateways that send each flow to the same backend)" },
			{ "xgw_service_all_down_in_force", "1 when every backend is down and "
			  "all-down use-all spreads flows anyway" },
		};

		lb_metric_head(f, gauge[w][0], "gauge", gauge[w][1]);
		for (i = 1; i < XGW_MAX_SERVICES; i++) {
			struct lb_service *s = st->svc[i];

			if (!s)
				continue;
			xgw_svc_str(&s->svc, sbuf, sizeof(sbuf));
			if (w == 2)
				fprintf(f, "%s{service=\"%s\",digest=\"%016llx\"} 1\n", gauge[w][0],
					sbuf, (unsigned long long)s->digest);
			if (w == 3)
				fprintf(f, "%s{service=\"%s\"} %d\n", gauge[w][0], sbuf, s->use_all);
			for (j = 0; w < 2 && j < s->n_be; j++)
				fprintf(f, "%s{service=\"%s\",backend=\"%s\"} %d\n", gauge[w][0], sbuf,
					lb_be_str(&s->be[j], abuf, sizeof(abuf)),
					w == 0 ? !s->be[j].down : s->be[j].drain);
		}
	}
	nat = calloc(XGW_MAX_SERVICES, sizeof(*nat));
	entries = lb_ct_census(st, nat);
	lb_metric_head(f, "xgw_nat_flows", "gauge",
		       "NAT flows of a service: source ports of the gateway in use");
	for (i = 1; nat && i < XGW_MAX_SERVICES; i++) {
		if (!st->svc[i] || st->svc[i]->mode != XGW_LB_NAT)
			continue;
		fprintf(f, "xgw_nat_flows{service=\"%s\"} %u\n",
			xgw_svc_str(&st->svc[i]->svc, sbuf, sizeof(sbuf)), nat[i]);
	}
	free(nat);
	lb_metric_head(f, "xgw_conntrack_entries", "gauge", "connection table entries");
	fprintf(f, "xgw_conntrack_entries %lu\n", entries);
	lb_metric_head(f, "xgw_conntrack_capacity", "gauge", "connection table size");
	fprintf(f, "xgw_conntrack_capacity %u\n", XGW_CT_SIZE);
}

/* ---- life cycle ------------------------------------------------------------------ */

static void lb_adopted_svc(const void *key, const void *value, void *arg)
{
	const struct xgw_service *v = value;
	struct lb_state *st = arg;
	__u32 i;

	(void)key;
	if (!v->id || v->id >= XGW_MAX_SERVICES)
		return;
	st->svc_adopted[v->id] = 1;
	for (i = v->snat_first; i < XGW_MAX_SNAT && i - v->snat_first < v->snat_n; i++)
		st->snat_adopted[i] = v->id;
}

/* The ids and backend entries of the adopted datapath (one batch each). */
static void lb_adopted_read(struct lb_state *st)
{
	__u32 *keys = calloc(XGW_MAX_BACKENDS, sizeof(*keys)), count = XGW_MAX_BACKENDS, i;
	__u32 out = 0;

	xgw_map_walk(st->fd_services, sizeof(struct xgw_svc_key), sizeof(struct xgw_service),
		     lb_adopted_svc, st);
	st->adopted_be = calloc(XGW_MAX_BACKENDS, sizeof(*st->adopted_be));
	if (!keys || !st->adopted_be ||
	    (bpf_map_lookup_batch(st->fd_backends, NULL, &out, keys, st->adopted_be, &count,
				  NULL) && errno != ENOENT) || count != XGW_MAX_BACKENDS) {
		/* one at a time, then */
		for (i = 1; st->adopted_be && i < XGW_MAX_BACKENDS; i++)
			if (bpf_map_lookup_elem(st->fd_backends, &i, &st->adopted_be[i]))
				memset(&st->adopted_be[i], 0, sizeof(st->adopted_be[i]));
	}
	free(keys);
}

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
	st->fd_snat = bpf_map__fd(d->skel->maps.xgw_snat);
	st->fd_svc_stats = bpf_map__fd(d->skel->maps.xgw_svc_stats);
	st->fd_be_stats = bpf_map__fd(d->skel->maps.xgw_be_stats);
	st->health_stop_fd[0] = st->health_stop_fd[1] = -1;
	st->adopt_pending = d->adopted;
	if (d->adopted)
		lb_adopted_read(st);
	d->lb = st;
	err = health__start(d);
	if (!err) {
		err = ctgc__start(d);	/* the connection table's sweeper (lb-dp) */
		if (err)
			health__stop(d);
	}
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
	ctgc__stop(d);
	health__stop(d);
	/* maps stay as they are: a restart adopts them and flows go on */
	for (i = 1; i < XGW_MAX_SERVICES; i++) {
		if (st->svc[i]) {
			free(st->svc[i]->be);
			free(st->svc[i]);
		}
		if (st->kept[i])
			lb_kept_free(st->kept[i]);
	}
	free(st->adopted_be);
	free(st);
	d->lb = NULL;
}
