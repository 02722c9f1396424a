// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The FIB's userspace half (fib.h), both families; docs/fib.md has the
 * design. The datapath's structures are a function of the route set:
 *
 *  - IPv4: per /16 (the direct table's slot) the answer for its routes of
 *    /17-/32, leaf-pushed over the shorter ones: a leaf when uniform, else
 *    a chunk of ranges over the low 16 bits.
 *  - IPv6: per /16 the same for /17-/23; a /32 hash entry for every /32
 *    that a /24-/32 route covers or that holds /33-/47 routes (chunk over
 *    bits 32-47); a /48 entry for every /48 route and every /48 holding
 *    longer routes (chunk over bits 48-63, the /64s with /65-/128 routes
 *    marked XGW_FIB_EXT); hosts (/128, marks included) and, per /64 with
 *    /65-/127 routes, a deep chunk over the low 64 bits, in hash HD.
 *
 * In userspace each of these is an object (a slot, a group of /32 or /48,
 * a /64, a host) holding the routes of its band, with a tree of objects
 * for IPv6 so that a route finds what lies beneath it. A change marks the
 * objects whose answer it may change; a flush recomputes them, checks that
 * the result fits, and writes what differs, chunks before the values that
 * point at them and removals last.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <stdio.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fib.h"

/* ---- small things ------------------------------------------------------------- */
struct faddr {
	__u32 w[4];	/* host order, most significant first; IPv4: w[0] */
};

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_until(__u64 ms)
{
	__u64 t = now_ms();
	struct timespec ts;

	if (t >= ms)
		return;
	ts.tv_sec = (ms - t) / 1000;
	ts.tv_nsec = (ms - t) % 1000 * 1000000;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define PUBLISH(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

static __u32 mask32(int bits)
{
	return bits <= 0 ? 0 : bits >= 32 ? ~0u : ~0u << (32 - bits);
}

static void faddr_mask(struct faddr *a, int len)
{
	int i;

	for (i = 0; i < 4; i++)
		a->w[i] &= mask32(len - 32 * i);
}

static bool faddr_under(const struct faddr *a, const struct faddr *p, int len)
{
	int i;

	for (i = 0; i < 4; i++)
		if ((a->w[i] ^ p->w[i]) & mask32(len - 32 * i))
			return false;
	return true;
}

static bool faddr_eq(const struct faddr *a, const struct faddr *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* 16 bits of @a from bit @at. */
static __u32 bits16(const struct faddr *a, int at)
{
	return (a->w[at / 32] >> (16 - at % 32)) & 0xffff;
}

static __u64 mix64(__u64 x)
{
	x ^= x >> 33;	/* murmur3's fmix64 */
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static __u64 key_hash(const struct faddr *a, int len)
{
	return mix64(((__u64)a->w[0] << 32 | a->w[1]) ^ mix64(((__u64)a->w[2] << 32 | a->w[3]) ^
							   (__u64)len << 1));
}

/* A growable array of u32. */
struct uvec {
	__u32 *v;
	__u32 n, cap;
};

static int uvec_push(struct uvec *u, __u32 x)
{
	if (u->n == u->cap) {
		__u32 cap = u->cap ? u->cap * 2 : 4, *v = realloc(u->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		u->v = v;
		u->cap = cap;
	}
	u->v[u->n++] = x;
	return 0;
}

static void uvec_free(struct uvec *u)
{
	free(u->v);
	memset(u, 0, sizeof(*u));
}

/* ---- index: open addressing over 32-bit ids, keyed by (address, length) ---------- */
/*
 * A slot holds the key's 32-bit hash and the id + 1 (0: empty): probing
 * and moving slots never touch the objects themselves, only comparing a
 * key whose hash matches does.
 */
struct index {
	__u64 *slot;
	size_t cap, n;	/* cap: power of two */
};

/* Whether id's key is (a, len): the caller's table. */
typedef bool (*index_eq_fn)(const void *ctx, __u32 id, const struct faddr *a, int len);

static __u32 slot_hash(__u64 s)
{
	return s >> 32;
}

static __u32 index_find(const struct index *x, const void *ctx, index_eq_fn eq,
			const struct faddr *a, int len)
{
	__u32 h = (__u32)key_hash(a, len);
	size_t i;

	if (!x->cap)
		return 0;
	for (i = h & (x->cap - 1); x->slot[i]; i = (i + 1) & (x->cap - 1))
		if (slot_hash(x->slot[i]) == h && eq(ctx, (__u32)x->slot[i] - 1, a, len))
			return (__u32)x->slot[i];
	return 0;
}

typedef void (*index_key_fn)(const void *ctx, __u32 id, struct faddr *a, int *len);

static void index_put_raw(struct index *x, __u64 s)
{
	size_t i;

	for (i = slot_hash(s) & (x->cap - 1); x->slot[i]; i = (i + 1) & (x->cap - 1))
		;
	x->slot[i] = s;
	x->n++;
}

static int index_add(struct index *x, const void *ctx, index_key_fn key, __u32 id)
{
	struct faddr a;
	int len;

	if ((x->n + 1) * 2 > x->cap) {
		struct index g = { .cap = x->cap ? x->cap * 2 : 1024 };
		size_t i;

		g.slot = calloc(g.cap, sizeof(*g.slot));
		if (!g.slot)
			return -ENOMEM;
		for (i = 0; i < x->cap; i++)
			if (x->slot[i])
				index_put_raw(&g, x->slot[i]);
		free(x->slot);
		*x = g;
	}
	key(ctx, id, &a, &len);
	index_put_raw(x, (__u64)(__u32)key_hash(&a, len) << 32 | (id + 1));
	return 0;
}

/* Remove id (present) with backward shift. */
static void index_del(struct index *x, const void *ctx, index_key_fn key, __u32 id)
{
	size_t mask = x->cap - 1, i, j, home;
	struct faddr a;
	int len;

	key(ctx, id, &a, &len);
	for (i = (__u32)key_hash(&a, len) & mask; (__u32)x->slot[i] != id + 1; i = (i + 1) & mask)
		;
	for (j = (i + 1) & mask; x->slot[j]; j = (j + 1) & mask) {
		home = slot_hash(x->slot[j]) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			x->slot[i] = x->slot[j];
			i = j;
		}
	}
	x->slot[i] = 0;
	x->n--;
}

/* u32 -> u32 map (leaf values to leaf indexes), open addressing. */
struct vmap {
	__u32 *k, *v;	/* v == 0: empty (indexes are never 0) */
	size_t cap, n;
};

static size_t vmap_slot(const struct vmap *m, __u32 k)
{
	return mix64(k) & (m->cap - 1);
}

static __u32 vmap_get(const struct vmap *m, __u32 k)
{
	size_t i;

	if (!m->cap)
		return 0;
	for (i = vmap_slot(m, k); m->v[i]; i = (i + 1) & (m->cap - 1))
		if (m->k[i] == k)
			return m->v[i];
	return 0;
}

static int vmap_put(struct vmap *m, __u32 k, __u32 v)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct vmap g = { .cap = m->cap ? m->cap * 2 : 256 };

		g.k = calloc(g.cap, sizeof(*g.k));
		g.v = calloc(g.cap, sizeof(*g.v));
		if (!g.k || !g.v) {
			free(g.k);
			free(g.v);
			return -ENOMEM;
		}
		for (i = 0; i < m->cap; i++)
			if (m->v[i])
				vmap_put(&g, m->k[i], m->v[i]);
		free(m->k);
		free(m->v);
		*m = g;
	}
	for (i = vmap_slot(m, k); m->v[i]; i = (i + 1) & (m->cap - 1))
		if (m->k[i] == k)
			break;
	if (!m->v[i])
		m->n++;
	m->k[i] = k;
	m->v[i] = v;
	return 0;
}

static void vmap_del(struct vmap *m, __u32 k)
{
	size_t mask = m->cap - 1, i, j, home;

	if (!m->cap)
		return;
	for (i = vmap_slot(m, k); m->v[i] && m->k[i] != k; i = (i + 1) & mask)
		;
	if (!m->v[i])
		return;
	for (j = (i + 1) & mask; m->v[j]; j = (j + 1) & mask) {
		home = vmap_slot(m, m->k[j]);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->k[i] = m->k[j];
			m->v[i] = m->v[j];
			i = j;
		}
	}
	m->v[i] = 0;
	m->n--;
}

static void vmap_free(struct vmap *m)
{
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* A FIFO of things freed at a time, reusable XGW_FIB_GRACE_MS later. */
struct grace {
	struct gitem {
		__u64 at;
		__u32 a, b;
	} *q;
	size_t head, n, cap;
};

static int grace_push(struct grace *g, __u32 a, __u32 b)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 256, i;
		struct gitem *q = malloc(cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (i = 0; i < g->n; i++)
			q[i] = g->q[(g->head + i) % g->cap];
		free(g->q);
		g->q = q;
		g->head = 0;
		g->cap = cap;
	}
	g->q[(g->head + g->n++) % g->cap] = (struct gitem){ .at = now_ms(), .a = a, .b = b };
	return 0;
}

/* The oldest item if its grace is over (or @wait: once it is). */
static bool grace_pop(struct grace *g, bool wait, __u32 *a, __u32 *b)
{
	struct gitem *it;

	if (!g->n)
		return false;
	it = &g->q[g->head];
	if (now_ms() < it->at + XGW_FIB_GRACE_MS) {
		if (!wait)
			return false;
		sleep_until(it->at + XGW_FIB_GRACE_MS);
	}
	*a = it->a;
	*b = it->b;
	g->head = (g->head + 1) % g->cap;
	g->n--;
	return true;
}

/* ---- the chunk heap: a buddy allocator over 16-bit units ------------------------ */
/*
 * Blocks of 2^order units (order >= 1), aligned to their size: a chunk of
 * up to 32 units (64 bytes) never straddles two cache lines. state[off/2]
 * says what starts at off: 0 nothing, else order + 1, | HEAP_FREE.
 * Free lists are stacks checked against state when popped (a block merged
 * into its buddy stays behind as a stale entry).
 */
#define HEAP_FREE	0x80
#define HEAP_ORDERS	32

struct heap {
	__u32 units;
	int maxorder;
	__u8 *state;
	struct uvec freel[HEAP_ORDERS];
	__u32 nfree[HEAP_ORDERS];	/* free blocks per order (the lists may hold stale ones) */
	struct grace grace;	/* a: offset, b: order */
	__u64 used;		/* units in allocated blocks */
	__u64 graced;		/* of which in their grace period (nothing points at them) */
};

static int order_of(__u32 units)
{
	int o = 1;

	while ((1u << o) < units)
		o++;
	return o;
}

static bool heap_is_free(const struct heap *h, __u32 off, int o)
{
	return h->state[off / 2] == (HEAP_FREE | (o + 1));
}

/* Drop the stale entries of a free list (and duplicates: marked while seen). */
static void heap_compact(struct heap *h, int o)
{
	struct uvec *fl = &h->freel[o];
	__u32 i, n = 0;

	for (i = 0; i < fl->n; i++) {
		__u32 off = fl->v[i];

		if (!heap_is_free(h, off, o))
			continue;
		h->state[off / 2] |= 0x40;
		fl->v[n++] = off;
	}
	for (i = 0; i < n; i++)
		h->state[fl->v[i] / 2] &= ~0x40;
	fl->n = n;
}

static void heap_put_free(struct heap *h, __u32 off, int o)
{
	h->state[off / 2] = HEAP_FREE | (o + 1);
	h->nfree[o]++;
	if (h->freel[o].n > 2 * h->nfree[o] + 256)
		heap_compact(h, o);
	uvec_push(&h->freel[o], off);	/* ENOMEM: the block is lost, not corrupt */
}

/* A free block stops being one (taken, merged, carved). */
static void heap_unfree(struct heap *h, __u32 off, int o, __u8 state)
{
	h->state[off / 2] = state;
	h->nfree[o]--;
}

static int heap_init(struct heap *h, __u32 units)
{
	memset(h, 0, sizeof(*h));
	h->units = units;
	h->maxorder = order_of(units);
	h->state = calloc(units / 2, 1);
	if (!h->state)
		return -ENOMEM;
	heap_put_free(h, 0, h->maxorder);
	return h->freel[h->maxorder].n ? 0 : -ENOMEM;
}

static void heap_fini(struct heap *h)
{
	int o;

	for (o = 0; o < HEAP_ORDERS; o++)
		uvec_free(&h->freel[o]);
	free(h->grace.q);
	free(h->state);
	memset(h, 0, sizeof(*h));
}

/* Free a block now, merging it with its free buddies. */
static void heap_release(struct heap *h, __u32 off, int o)
{
	h->used -= 1u << o;
	h->state[off / 2] = 0;
	while (o < h->maxorder) {
		__u32 buddy = off ^ (1u << o);

		if (!heap_is_free(h, buddy, o))
			break;
		heap_unfree(h, buddy, o, 0);
		off &= ~(1u << o);
		o++;
	}
	heap_put_free(h, off, o);
}

static bool heap_pop(struct heap *h, int o, __u32 *off)
{
	struct uvec *fl = &h->freel[o];

	while (fl->n) {
		*off = fl->v[--fl->n];
		if (heap_is_free(h, *off, o))
			return true;
	}
	return false;
}

static bool heap_take(struct heap *h, int want, __u32 *off)
{
	int o;

	for (o = want; o <= h->maxorder; o++) {
		if (!heap_pop(h, o, off))
			continue;
		heap_unfree(h, *off, o, 0);
		while (o > want) {	/* split: keep the low half */
			o--;
			heap_put_free(h, *off + (1u << o), o);
		}
		h->state[*off / 2] = want + 1;
		h->used += 1u << want;
		return true;
	}
	return false;
}

/* Free the blocks whose grace period is over (@wait: at least one, if any). */
static void heap_reclaim(struct heap *h, bool wait)
{
	__u32 a, b;

	while (grace_pop(&h->grace, wait, &a, &b)) {
		h->graced -= 1u << b;
		heap_release(h, a, b);
		wait = false;
	}
}

/*
 * A block of at least @units; waits out grace periods if it must. What
 * has served its grace goes back first, so that new chunks reuse the
 * memory of old ones and a table under churn stays as compact (and as
 * cache-friendly) as a fresh one.
 */
static int heap_alloc(struct heap *h, __u32 units, __u32 *off)
{
	int want = order_of(units);

	if (want > h->maxorder)
		return -ENOSPC;
	heap_reclaim(h, false);
	for (;;) {
		if (heap_take(h, want, off))
			return 0;
		if (!h->grace.n)
			return -ENOSPC;
		heap_reclaim(h, true);
	}
}

/* An allocated block nothing points at any more: free after the grace period. */
static void heap_retire(struct heap *h, __u32 off, int o)
{
	if (grace_push(&h->grace, off, o))
		heap_release(h, off, o);	/* ENOMEM: no grace rather than a leak */
	else
		h->graced += 1u << o;
}

/* Claim the block at @off of order @o inside the free space (adopting). */
static bool heap_carve(struct heap *h, __u32 off, int o)
{
	__u32 b = off;
	int p;

	for (p = o; p <= h->maxorder; p++) {
		b = off & ~((1u << p) - 1);
		if (heap_is_free(h, b, p))
			break;
	}
	if (p > h->maxorder)
		return false;	/* overlaps a block already taken */
	heap_unfree(h, b, p, 0);
	while (p > o) {
		p--;
		if (off & (1u << p)) {
			heap_put_free(h, b, p);
			b += 1u << p;
		} else {
			heap_put_free(h, b + (1u << p), p);
		}
	}
	h->state[off / 2] = o + 1;
	h->used += 1u << o;
	return true;
}

/* ---- IPv6 hash tables (userspace side) ----------------------------------------- */
enum { HT32, HT48, HTD, NHT };

struct htab {
	int kind;
	void *b;		/* buckets */
	__u32 nb;
	int nslots;
	__u8 *busy;		/* per slot: in use, planned or in its grace period */
	struct grace grace;	/* a: slot */
	__u32 used;
};

static const int ht_slots[NHT] = { 7, 5, 2 };

static __u32 *ht_over(const struct htab *t, __u32 b)
{
	switch (t->kind) {
	case HT32:
		return &((struct xgw_fib_b32 *)t->b)[b].over;
	case HT48:
		return &((struct xgw_fib_b48 *)t->b)[b].over;
	default:
		return &((struct xgw_fib_bd *)t->b)[b].over;
	}
}

static __u32 *ht_val(const struct htab *t, __u32 slot)
{
	__u32 b = slot / t->nslots, i = slot % t->nslots;

	switch (t->kind) {
	case HT32:
		return &((struct xgw_fib_b32 *)t->b)[b].s[i].val;
	case HT48:
		return &((struct xgw_fib_b48 *)t->b)[b].s[i].val;
	default:
		return &((struct xgw_fib_bd *)t->b)[b].s[i].val;
	}
}

static __u32 ht_home(const struct htab *t, const struct faddr *k, int len)
{
	switch (t->kind) {
	case HT32:
		return xgw_fib_hash32(k->w[0]) & (t->nb - 1);
	case HT48:
		return xgw_fib_hash48(k->w[0], k->w[1] >> 16) & (t->nb - 1);
	default:
		return xgw_fib_hashd((__u64)k->w[0] << 32 | k->w[1], (__u64)k->w[2] << 32 | k->w[3],
				     len) & (t->nb - 1);
	}
}

/* The key of @slot (as an address and length). */
static void ht_key(const struct htab *t, __u32 slot, struct faddr *k, int *len)
{
	__u32 b = slot / t->nslots, i = slot % t->nslots;

	memset(k, 0, sizeof(*k));
	switch (t->kind) {
	case HT32:
		k->w[0] = ((struct xgw_fib_b32 *)t->b)[b].s[i].key;
		*len = 32;
		break;
	case HT48:
		k->w[0] = ((struct xgw_fib_b48 *)t->b)[b].s[i].hi;
		k->w[1] = ((struct xgw_fib_b48 *)t->b)[b].s[i].lo << 16;
		*len = 48;
		break;
	default:
		memcpy(k->w, ((struct xgw_fib_bd *)t->b)[b].s[i].k, 16);
		*len = ((struct xgw_fib_bd *)t->b)[b].s[i].len;
		break;
	}
}

static void ht_key_set(const struct htab *t, __u32 slot, const struct faddr *k, int len)
{
	__u32 b = slot / t->nslots, i = slot % t->nslots;

	switch (t->kind) {
	case HT32:
		STORE(&((struct xgw_fib_b32 *)t->b)[b].s[i].key, k->w[0]);
		break;
	case HT48:
		STORE(&((struct xgw_fib_b48 *)t->b)[b].s[i].hi, k->w[0]);
		STORE(&((struct xgw_fib_b48 *)t->b)[b].s[i].lo, k->w[1] >> 16);
		break;
	default: {
		struct xgw_fib_bd *bd = &((struct xgw_fib_bd *)t->b)[b];
		int j;

		for (j = 0; j < 4; j++)
			STORE(&bd->s[i].k[j], k->w[j]);
		STORE(&bd->s[i].len, (__u32)len);
		break;
	}
	}
}

/* Reserve a free slot for key @k/@len; ENOSPC if its buckets are full. */
static int ht_reserve(struct htab *t, const struct faddr *k, int len, __u32 *slot)
{
	__u32 home = ht_home(t, k, len), d, i, s, a, x;

	for (;;) {
		for (d = 0; d < XGW_FIB_PROBES; d++) {
			for (i = 0; i < (__u32)t->nslots; i++) {
				s = ((home + d) & (t->nb - 1)) * t->nslots + i;
				if (!t->busy[s]) {
					t->busy[s] = 1;
					*slot = s;
					return 0;
				}
			}
		}
		/* slots in their grace period may free one: wait for the oldest */
		if (!grace_pop(&t->grace, true, &a, &x))
			return -ENOSPC;
		t->busy[a] = 0;
		while (grace_pop(&t->grace, false, &a, &x))
			t->busy[a] = 0;
	}
}

/* Buckets from the home of @k to @slot's, exclusive: their over counts. */
static void ht_over_add(struct htab *t, const struct faddr *k, int len, __u32 slot, int delta)
{
	__u32 b = ht_home(t, k, len), end = slot / t->nslots;

	for (; b != end; b = (b + 1) & (t->nb - 1))
		PUBLISH(ht_over(t, b), *ht_over(t, b) + delta);
}

/* Publish a reserved slot: over counts, key, then the value. */
static void ht_insert(struct htab *t, __u32 slot, const struct faddr *k, int len, __u32 val)
{
	ht_over_add(t, k, len, slot, 1);
	ht_key_set(t, slot, k, len);
	PUBLISH(ht_val(t, slot), val);
	t->used++;
}

static void ht_remove(struct htab *t, __u32 slot)
{
	struct faddr k;
	int len;

	ht_key(t, slot, &k, &len);
	PUBLISH(ht_val(t, slot), 0);
	ht_over_add(t, &k, len, slot, -1);
	t->used--;
	if (grace_push(&t->grace, slot, 0))
		t->busy[slot] = 0;
}

enum { IT_ROUTE, IT_MARK, IT_EXT };

struct item {
	__u64 s, e;		/* first and last key */
	__u32 v;		/* route: its value; mark, ext: flags */
	__u8 len;		/* ordering at one start: shorter first, ext last */
	__u8 what;
};

struct rng {
	__u64 start;
	__u32 v;		/* leaf value */
};

/* Work buffers of one chunk computation. */
struct work {
	struct item *it;
	size_t nit, cit;
	struct rng *rg;
	size_t nrg, crg;
	struct item **st;
	size_t cst;
	__u16 *chunk;
	size_t cchunk;
};

/* ---- routes and objects ------------------------------------------------------------ */
struct route {
	struct faddr a;		/* masked */
	__u8 len;
	bool mark;		/* action NONE: flags for the route beneath */
	bool live;
	__u8 pad;
	__u32 e;		/* packed route (marks: flags only), no depth */
	__u32 rec;		/* record slot + 1 */
	__u32 obj;		/* the object whose band holds it + 1 */
	__u32 pos;		/* its place in that object's members */
};

/*
 * What the datapath holds for part of the address space: a direct slot
 * (IPv4, IPv6: the /16s), or an IPv6 hash entry: a /32 or /48 group, a /64
 * with deep routes, a host. Objects of IPv6 form a tree (slot > /32 > /48 >
 * /64s and hosts) through which a change reaches what lies beneath it.
 */
enum okind { K_SLOT, K_G32, K_G48, K_D64, K_HOST };

static const int kind_level[] = { 16, 32, 48, 64, 128 };
static const int kind_ht[] = { -1, HT32, HT48, HTD, HTD };

struct obj {
	struct faddr key;	/* masked to its level */
	__u8 kind;
	bool dirty;
	bool live;
	bool subtree;		/* dirty with everything beneath it (obj_mark_under) */
	__u32 cur;		/* value in the datapath (hash kinds: 0 = absent) */
	__u32 hslot;		/* hash kinds: slot + 1 while present */
	__u32 parent;		/* id + 1 */
	__u32 kpos;		/* place in the parent's kids */
	struct uvec members;	/* route ids of its band */
	struct uvec kids;	/* object ids */
	/* flush plan */
	__u32 nval;		/* the new value */
	__u32 nslot;		/* a reserved slot + 1, or a new chunk: offset + 1 */
	bool nexists;
};

struct xgw_fib {
	struct xgw_fib_mem m;
	bool v6;
	int alen;		/* 32 or 128 */
	int batch;		/* xgw_fib_begin() depth: changes recorded, written at the end */
	bool adopting;		/* the same until xgw_fib_commit() rewrites everything once */
	const char *full;	/* the limit of the last -ENOSPC */

	struct route *r;
	__u32 nr, rcap;
	struct uvec rfree;
	struct index ridx;	/* (address, length) -> route */
	__u32 nlen[129];	/* non-mark routes per length */
	__u32 nroutes;

	struct obj *o;
	__u32 no, ocap;
	struct uvec ofree;
	struct index oidx;	/* (key, level) -> object (not the slots) */
	struct uvec dirty;
	struct work w;
	struct uvec newblk;	/* chunks written by the flush in progress: offsets */

	struct heap heap;
	__u32 chunks;
	struct htab ht[NHT];

	struct vmap lidx;	/* leaf value -> index */
	__u32 *lval;		/* leaf index -> value (what the leaf table says, or will) */
	__u8 *lused;		/* per leaf index: in use since the last collection */
	__u32 nleaves;
	struct uvec lnew;	/* leaves made by the flush in progress */
	struct grace lgrace;	/* leaves collected, reusable after grace */

	__u32 *recfree;		/* free record slots (stack) */
	__u32 nrecfree;
	struct index adopted;	/* adopting: the records before, by (address, length) */
	struct xgw_fib6_rec *arec;	/* their copies */
	__u32 narec;
	struct uvec orphans;	/* adopting: hash slots (table << 28 | slot) not yet claimed */
};

static bool route_eq(const void *ctx, __u32 id, const struct faddr *a, int len)
{
	const struct route *r = &((const struct xgw_fib *)ctx)->r[id];

	return r->len == len && faddr_eq(&r->a, a);
}

static void route_key(const void *ctx, __u32 id, struct faddr *a, int *len)
{
	const struct route *r = &((const struct xgw_fib *)ctx)->r[id];

	*a = r->a;
	*len = r->len;
}

static bool obj_eq(const void *ctx, __u32 id, const struct faddr *a, int len)
{
	const struct obj *o = &((const struct xgw_fib *)ctx)->o[id];

	return kind_level[o->kind] == len && faddr_eq(&o->key, a);
}

static void obj_key(const void *ctx, __u32 id, struct faddr *a, int *len)
{
	const struct obj *o = &((const struct xgw_fib *)ctx)->o[id];

	*a = o->key;
	*len = kind_level[o->kind];
}

static struct route *route_find(const struct xgw_fib *f, const struct faddr *a, int len)
{
	__u32 id = index_find(&f->ridx, f, route_eq, a, len);

	return id ? &f->r[id - 1] : NULL;
}

/* The longest route (marks aside) of length <= @max holding @a; NULL: none. */
static const struct route *route_match(const struct xgw_fib *f, const struct faddr *a, int max)
{
	struct faddr p;
	int len;

	for (len = max; len >= 0; len--) {
		const struct route *r;

		if (!f->nlen[len])
			continue;
		p = *a;
		faddr_mask(&p, len);
		r = route_find(f, &p, len);
		if (r && !r->mark)
			return r;
	}
	return NULL;
}

static __u32 match_e(const struct xgw_fib *f, const struct faddr *a, int max)
{
	const struct route *r = route_match(f, a, max);

	return r ? r->e : 0;
}

static int obj_new(struct xgw_fib *f, enum okind kind, const struct faddr *key, __u32 *id)
{
	struct obj *o;
	int err;

	if (f->ofree.n) {
		*id = f->ofree.v[--f->ofree.n];
	} else {
		if (f->no == f->ocap) {
			__u32 cap = f->ocap ? f->ocap * 2 : 1024;

			o = realloc(f->o, cap * sizeof(*o));
			if (!o)
				return -ENOMEM;
			f->o = o;
			f->ocap = cap;
		}
		*id = f->no++;
	}
	o = &f->o[*id];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->key = *key;
	o->live = true;
	if (kind == K_SLOT)
		return 0;
	err = index_add(&f->oidx, f, obj_key, *id);
	if (err) {
		o->live = false;
		uvec_push(&f->ofree, *id);
	}
	return err;
}

static void obj_mark(struct xgw_fib *f, __u32 id)
{
	if (f->o[id].dirty)
		return;
	if (uvec_push(&f->dirty, id))
		return;	/* ENOMEM: left as it was */
	f->o[id].dirty = true;
}

/* Mark what lies under @p/@plen in the subtree of @id (IPv6 objects). */
static void obj_mark_under(struct xgw_fib *f, __u32 id, const struct faddr *p, int plen)
{
	struct obj *o = &f->o[id];
	int lev = kind_level[o->kind];
	__u32 i;

	if (lev >= plen) {
		if (!faddr_under(&o->key, p, plen) || o->subtree)
			return;	/* (or marked with its subtree already) */
		obj_mark(f, id);
		f->o[id].subtree = f->o[id].dirty;
	} else if (!faddr_under(p, &o->key, lev)) {
		return;
	}
	for (i = 0; i < f->o[id].kids.n; i++)
		obj_mark_under(f, f->o[id].kids.v[i], p, plen);
}

/* The object of @kind holding @a (created with its ancestors when @make). */
static int obj_get(struct xgw_fib *f, enum okind kind, const struct faddr *a, bool make, __u32 *id)
{
	struct faddr key = *a;
	__u32 parent, x;
	int err;

	if (kind == K_SLOT) {
		*id = a->w[0] >> 16;
		return 0;
	}
	faddr_mask(&key, kind_level[kind]);
	x = index_find(&f->oidx, f, obj_eq, &key, kind_level[kind]);
	if (x) {
		*id = x - 1;
		return 0;
	}
	if (!make)
		return -ENOENT;
	err = obj_get(f, kind == K_HOST ? K_G48 : kind - 1, a, true, &parent);
	if (err)
		return err;
	err = obj_new(f, kind, &key, id);
	if (err)
		return err;
	f->o[*id].parent = parent + 1;
	f->o[*id].kpos = f->o[parent].kids.n;
	err = uvec_push(&f->o[parent].kids, *id);
	if (err) {
		index_del(&f->oidx, f, obj_key, *id);
		f->o[*id].live = false;
		uvec_push(&f->ofree, *id);
	}
	return err;
}

/* Unlink an object left with nothing (members, kids, datapath entry), and
 * its ancestors in turn. */
static void obj_drop(struct xgw_fib *f, __u32 id)
{
	struct obj *o = &f->o[id], *p;
	__u32 last, pid;

	if (!o->live || o->kind == K_SLOT || o->members.n || o->kids.n || o->hslot || o->dirty)
		return;
	pid = o->parent - 1;
	p = &f->o[pid];
	last = p->kids.v[--p->kids.n];
	if (last != id) {
		p->kids.v[o->kpos] = last;
		f->o[last].kpos = o->kpos;
	}
	index_del(&f->oidx, f, obj_key, id);
	uvec_free(&o->members);
	uvec_free(&o->kids);
	o->live = false;
	uvec_push(&f->ofree, id);
	obj_drop(f, pid);
}

static int member_add(struct xgw_fib *f, __u32 oid, __u32 rid)
{
	int err = uvec_push(&f->o[oid].members, rid);

	if (!err) {
		f->r[rid].obj = oid + 1;
		f->r[rid].pos = f->o[oid].members.n - 1;
	}
	return err;
}

static void member_del(struct xgw_fib *f, __u32 rid)
{
	struct route *r = &f->r[rid];
	struct obj *o;
	__u32 last;

	if (!r->obj)
		return;
	o = &f->o[r->obj - 1];
	last = o->members.v[--o->members.n];
	if (last != rid) {
		o->members.v[r->pos] = last;
		f->r[last].pos = r->pos;
	}
	r->obj = 0;
}

/* ---- leaves ------------------------------------------------------------------------ */
/*
 * Distinct answers, by index. Made on demand (the lowest free index, so
 * that common answers fit short chunks); taken back only by a collection
 * when the table is nearly full: whatever the datapath's arrays no longer
 * reference goes, reusable after a grace period.
 */
static void leaf_collect(struct xgw_fib *f);

static int leaf_get(struct xgw_fib *f, __u32 v, __u32 *idx)
{
	__u32 i, a, b;

	*idx = v ? vmap_get(&f->lidx, v) : 0;
	if (*idx || !v)
		return 0;
	while (grace_pop(&f->lgrace, false, &a, &b))
		f->lused[a] = 0;
	for (i = 1; i < XGW_FIB_LEAVES && f->lused[i]; i++)
		;
	if (i == XGW_FIB_LEAVES) {
		f->full = "leaf table full: XGW_FIB_LEAVES (65536) distinct answers "
			  "(action, flags, next hop) in use";
		return -ENOSPC;
	}
	if (vmap_put(&f->lidx, v, i) || uvec_push(&f->lnew, i)) {
		vmap_del(&f->lidx, v);
		return -ENOMEM;
	}
	f->lused[i] = 1;
	f->lval[i] = v;
	f->nleaves++;
	*idx = i;
	return 0;
}

/* The leaves made by a flush that failed: never published, free at once. */
static void leaf_unmake(struct xgw_fib *f)
{
	__u32 i, x;

	for (i = 0; i < f->lnew.n; i++) {
		x = f->lnew.v[i];
		vmap_del(&f->lidx, f->lval[x]);
		f->lused[x] = 0;
		f->nleaves--;
	}
	f->lnew.n = 0;
}

/* ---- a chunk's ranges ------------------------------------------------------------------ */
static int item_cmp(const void *x, const void *y)
{
	const struct item *a = x, *b = y;

	if (a->s != b->s)
		return a->s < b->s ? -1 : 1;
	return (int)a->len - (int)b->len;
}

static int grow(void **p, size_t *cap, size_t want, size_t size)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (want <= *cap)
		return 0;
	while (c < want)
		c *= 2;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static void emit(struct work *w, __u64 start, __u32 v)
{
	struct rng *last = w->nrg ? &w->rg[w->nrg - 1] : NULL;

	if (last && last->start == start) {
		last->v = v;
		if (w->nrg > 1 && w->rg[w->nrg - 2].v == v)
			w->nrg--;
		return;
	}
	if (last && last->v == v)
		return;
	w->rg[w->nrg++] = (struct rng){ .start = start, .v = v };
}

/* The value an item takes, given what holds its start (@under). */
static int item_value(struct xgw_fib *f, const struct item *it, __u32 under, __u32 *v)
{
	__u32 idx;
	int err;

	switch (it->what) {
	case IT_MARK:
		*v = under | it->v;
		return 0;
	case IT_EXT:
		err = leaf_get(f, under, &idx);
		*v = XGW_FIB_EXT | it->v | idx;
		return err;
	default:
		*v = it->v;
		return 0;
	}
}

/*
 * Leaf-pushed ranges of the items (sorted) over keys 0..@max, @base where
 * none holds: a sweep with the stack of the items holding the position.
 */
static int sweep(struct xgw_fib *f, struct work *w, __u32 base, __u64 max)
{
	size_t sp = 0, i;
	int err;

	if (grow((void **)&w->rg, &w->crg, 2 * w->nit + 2, sizeof(*w->rg)) ||
	    grow((void **)&w->st, &w->cst, w->nit + 1, sizeof(*w->st)))
		return -ENOMEM;
	w->nrg = 0;
	emit(w, 0, base);
	for (i = 0; i <= w->nit; i++) {
		__u64 s = i < w->nit ? w->it[i].s : max;
		bool end = i == w->nit;

		while (sp && (w->st[sp - 1]->e < s || (end && w->st[sp - 1]->e <= s))) {
			__u64 e = w->st[--sp]->e;

			if (e < max)
				emit(w, e + 1, sp ? w->st[sp - 1]->v : base);
		}
		if (end)
			break;
		err = item_value(f, &w->it[i], sp ? w->st[sp - 1]->v : base, &w->it[i].v);
		if (err)
			return err;
		w->it[i].what = IT_ROUTE;	/* its value is final now */
		emit(w, s, w->it[i].v);
		w->st[sp++] = &w->it[i];
	}
	return 0;
}

/* ---- planning an object's new value ------------------------------------------------- */
static const char *heap_full_msg(const struct xgw_fib *f)
{
	return f->v6 ? "IPv6 chunk heap full: XGW_FIB6_HEAP (16-bit units) in use" :
		       "IPv4 chunk heap full: XGW_FIB4_HEAP (16-bit units) in use";
}

static bool kind_wide(enum okind k)
{
	return k == K_D64;
}

/* Units of the chunk @ref points at (@wide: a deep chunk). */
static __u32 chunk_units(const struct xgw_fib *f, __u32 ref, bool wide)
{
	__u32 n = (__u32)f->m.heap[ref & XGW_FIB_OFF & (f->m.heap_units - 1)] + 1;

	if (wide)
		return 4 + 8 * n;
	return ref & XGW_FIB_SHORT ? 1 + n : 1 + 2 * n;
}

/* The value for the ranges in w->rg: a leaf, or a chunk (written, unpublished). */
static int encode(struct xgw_fib *f, struct obj *o, bool wide)
{
	struct work *w = &f->w;
	bool sh = !wide;
	__u32 i, units, flags, off, idx;
	int err;

	for (i = 0; i < w->nrg; i++) {
		err = leaf_get(f, w->rg[i].v, &idx);
		if (err)
			return err;
		w->rg[i].v = idx;
		sh = sh && !(w->rg[i].start & 0xff) && idx < 256;
	}
	if (w->nrg == 1) {
		o->nval = w->rg[0].v;
		return 0;
	}
	if (w->nrg > 65535) {	/* the datapath's indexes (XGW_FIB_SLACK) */
		f->full = "more than 65535 answers in one chunk (the routes of one /16, "
			  "/32, /48 or /64 alternate too often)";
		return -ENOSPC;
	}
	units = wide ? 4 + 8 * w->nrg : sh ? 1 + w->nrg : 1 + 2 * w->nrg;
	if (grow((void **)&w->chunk, &w->cchunk, units, sizeof(*w->chunk)))
		return -ENOMEM;
	memset(w->chunk, 0, units * sizeof(*w->chunk));
	w->chunk[0] = w->nrg - 1;
	for (i = 0; i < w->nrg; i++) {
		__u64 st = w->rg[i].start;

		if (wide) {
			__u16 *e = &w->chunk[4 + 8 * i];

			e[0] = st >> 48;
			e[1] = st >> 32;
			e[2] = st >> 16;
			e[3] = st;
			e[4] = w->rg[i].v;
		} else if (sh) {
			w->chunk[1 + i] = (st & 0xff00) | w->rg[i].v;
		} else {
			w->chunk[1 + 2 * i] = st;
			w->chunk[2 + 2 * i] = w->rg[i].v;
		}
	}
	flags = XGW_FIB_NODE | (sh ? XGW_FIB_SHORT : 0);
	if ((o->cur & (XGW_FIB_NODE | XGW_FIB_SHORT)) == flags &&
	    chunk_units(f, o->cur, wide) == units &&
	    !memcmp(&f->m.heap[o->cur & XGW_FIB_OFF], w->chunk, units * sizeof(*w->chunk))) {
		o->nval = o->cur;
		return 0;
	}
	err = heap_alloc(&f->heap, units, &off);
	if (err == -ENOSPC)
		f->full = heap_full_msg(f);
	if (!err)
		err = uvec_push(&f->newblk, off);
	if (err)
		return err;
	memcpy(&f->m.heap[off], w->chunk, units * sizeof(*w->chunk));
	o->nval = flags | off;
	return 0;
}

static int item_add(struct work *w, __u64 s, __u64 e, __u32 v, int len, int what)
{
	if (grow((void **)&w->it, &w->cit, w->nit + 1, sizeof(*w->it)))
		return -ENOMEM;
	w->it[w->nit++] = (struct item){ .s = s, .e = e, .v = v, .len = len, .what = what };
	return 0;
}

/* The key of @a in a chunk of @o (16 bits after its level, or the low 64). */
static __u64 obj_keybits(const struct obj *o, const struct faddr *a)
{
	if (kind_wide(o->kind))
		return (__u64)a->w[2] << 32 | a->w[3];
	return bits16(a, kind_level[o->kind]);
}

/* A /48's kids that make its /64 XGW_FIB_EXT: hosts, deep chunks. */
static int items_ext(struct xgw_fib *f, const struct obj *o)
{
	__u32 i;
	int err = 0;

	for (i = 0; !err && i < o->kids.n; i++) {
		const struct obj *k = &f->o[o->kids.v[i]];
		__u64 s = bits16(&k->key, 48);

		if (k->kind == K_HOST && route_find(f, &k->key, 128))
			err = item_add(&f->w, s, s, XGW_FIB_EXT_HOSTS, 200, IT_EXT);
		else if (k->kind == K_D64 && k->members.n)
			err = item_add(&f->w, s, s, XGW_FIB_EXT_DEEP, 200, IT_EXT);
	}
	return err;
}

/* Sorted items, one EXT per /64 (its flags together). */
static void items_sort(struct work *w)
{
	size_t i, n = 0;

	qsort(w->it, w->nit, sizeof(*w->it), item_cmp);
	for (i = 0; i < w->nit; i++) {
		if (n && w->it[i].what == IT_EXT && w->it[n - 1].what == IT_EXT &&
		    w->it[n - 1].s == w->it[i].s) {
			w->it[n - 1].v |= w->it[i].v;
			continue;
		}
		w->it[n++] = w->it[i];
	}
	w->nit = n;
}

/* Ranges and value of an object that exists, from its members (and kids). */
static int obj_compute(struct xgw_fib *f, struct obj *o, __u32 base)
{
	struct work *w = &f->w;
	bool wide = kind_wide(o->kind);
	int lev = kind_level[o->kind], width = wide ? 64 : 16, err = 0;
	__u32 i;

	w->nit = 0;
	for (i = 0; !err && i < o->members.n; i++) {
		const struct route *r = &f->r[o->members.v[i]];
		__u64 s = obj_keybits(o, &r->a), span = 1ULL << (lev + width - r->len);

		err = item_add(w, s, s + span - 1, r->e, r->len, r->mark ? IT_MARK : IT_ROUTE);
	}
	if (!err && o->kind == K_G48)
		err = items_ext(f, o);
	if (err)
		return err;
	items_sort(w);
	err = sweep(f, w, base, wide ? ~0ULL : 0xffff);
	return err ? err : encode(f, o, wide);
}

static bool g32_covered(const struct xgw_fib *f, const struct faddr *k)
{
	const struct route *r = route_match(f, k, 32);

	return r && r->len >= 24;
}

static bool g48_needed(const struct xgw_fib *f, const struct obj *o)
{
	const struct route *r = route_find(f, &o->key, 48);
	__u32 i;

	if ((r && !r->mark) || o->members.n)
		return true;
	for (i = 0; i < o->kids.n; i++) {
		const struct obj *k = &f->o[o->kids.v[i]];

		if ((k->kind == K_HOST && route_find(f, &k->key, 128)) ||
		    (k->kind == K_D64 && k->members.n))
			return true;
	}
	return false;
}

static __u32 rd_search(const struct xgw_fib_mem *m, __u32 ref, __u32 key);

/* The answer (packed) object @o gives at the 16 bits @key after its level,
 * as planned by this flush or as published; false: it holds nothing. */
static bool obj_answer(const struct xgw_fib *f, const struct obj *o, __u32 key, __u32 *e)
{
	__u32 v;

	if (o->dirty ? !o->nexists : o->kind != K_SLOT && !o->hslot)
		return false;
	v = o->dirty ? o->nval : o->cur;
	if (v & XGW_FIB_NODE)
		v = rd_search(&f->m, v, key);
	*e = f->lval[v & XGW_FIB_LEAF];
	return true;
}

/*
 * The answer routes no longer than @o's level give its prefix. IPv6 /32
 * and /48 groups ask the level above (planned first: a flush goes down)
 * rather than probing every length: /24-/32, or the /48 itself, then the
 * /32 group or the /16 slot.
 */
static __u32 obj_inherited(const struct xgw_fib *f, const struct obj *o)
{
	const struct obj *p = o->parent ? &f->o[o->parent - 1] : NULL;
	const struct route *r;
	__u32 e;

	switch (o->kind) {
	case K_G32:
		r = route_match(f, &o->key, 32);
		if (r && r->len >= 24)
			return r->e;
		obj_answer(f, p, bits16(&o->key, 16), &e);	/* a slot holds something */
		return e;
	case K_G48:
		r = route_find(f, &o->key, 48);
		if (r && !r->mark)
			return r->e;
		if (obj_answer(f, p, bits16(&o->key, 32), &e))
			return e;
		obj_answer(f, &f->o[p->parent - 1], bits16(&o->key, 16), &e);
		return e;
	default:
		return match_e(f, &o->key, kind_level[o->kind]);
	}
}

/* Decide what object @id should hold now: o->nexists, o->nval (o->nslot). */
static int obj_plan(struct xgw_fib *f, __u32 id)
{
	struct obj *o = &f->o[id];
	const struct route *r;
	__u32 slot;
	int err;

	o->nslot = 0;
	switch (o->kind) {
	case K_SLOT:
		o->nexists = true;
		break;
	case K_G32:
		o->nexists = o->members.n || g32_covered(f, &o->key);
		break;
	case K_G48:
		o->nexists = g48_needed(f, o);
		break;
	case K_D64:
		o->nexists = o->members.n;
		break;
	case K_HOST:
		r = route_find(f, &o->key, 128);
		o->nexists = r;
		if (!r)
			break;
		err = leaf_get(f, r->mark ? match_e(f, &o->key, 127) | r->e : r->e, &o->nval);
		if (err)
			return err;
		break;
	}
	if (!o->nexists)
		return 0;
	if (o->kind != K_HOST) {
		err = obj_compute(f, o, obj_inherited(f, o));
		if (err)
			return err;
	}
	if (o->kind == K_SLOT || o->hslot)
		return 0;
	err = ht_reserve(&f->ht[kind_ht[o->kind]], &o->key, kind_level[o->kind], &slot);
	if (err == -ENOSPC)
		f->full = o->kind == K_G32 ? "IPv6 /32 hash full: XGW_FIB6_H32 buckets of 7" :
			  o->kind == K_G48 ? "IPv6 /48 hash full: XGW_FIB6_H48 buckets of 5" :
			  "IPv6 host and deep hash full: XGW_FIB6_HD buckets of 2";
	if (!err)
		o->nslot = slot + 1;
	return err;
}

/* ---- flush: plan every marked object, check, write ----------------------------------- */
static void retire(struct xgw_fib *f, const struct obj *o, __u32 old)
{
	if (!(old & XGW_FIB_NODE) || old == o->nval)
		return;
	heap_retire(&f->heap, old & XGW_FIB_OFF, order_of(chunk_units(f, old, kind_wide(o->kind))));
	f->chunks--;
}

static void publish(struct xgw_fib *f, struct obj *o, __u32 id)
{
	struct htab *t = o->kind == K_SLOT ? NULL : &f->ht[kind_ht[o->kind]];

	if (o->nval & XGW_FIB_NODE && o->nval != o->cur)
		f->chunks++;
	if (!t) {
		if (f->m.dir[id] != o->nval)
			PUBLISH(&f->m.dir[id], o->nval);
	} else if (o->hslot) {
		if (*ht_val(t, o->hslot - 1) != o->nval)
			PUBLISH(ht_val(t, o->hslot - 1), o->nval);
	} else {
		ht_insert(t, o->nslot - 1, &o->key, kind_level[o->kind], o->nval);
		o->hslot = o->nslot;
		o->nslot = 0;
	}
	retire(f, o, o->cur);
	o->cur = o->nval;
}

static void unpublish(struct xgw_fib *f, struct obj *o)
{
	ht_remove(&f->ht[kind_ht[o->kind]], o->hslot - 1);
	o->hslot = 0;
	o->nval = 0;
	retire(f, o, o->cur);
	o->cur = 0;
}

/* A failed plan: nothing was published; give back what it took. */
static void plan_undo(struct xgw_fib *f)
{
	__u32 i;

	for (i = 0; i < f->newblk.n; i++) {
		__u32 off = f->newblk.v[i];

		heap_release(&f->heap, off, (f->heap.state[off / 2] & 0x3f) - 1);
	}
	f->newblk.n = 0;
	for (i = 0; i < f->dirty.n; i++) {
		struct obj *o = &f->o[f->dirty.v[i]];

		if (o->nslot)
			f->ht[kind_ht[o->kind]].busy[o->nslot - 1] = 0;
		o->nslot = 0;
	}
	leaf_unmake(f);
}

/* The dirty list in order of depth (slots first): a counting sort. */
static int dirty_sort(struct xgw_fib *f)
{
	__u32 cnt[K_HOST + 2] = {}, i, *out;

	for (i = 0; i < f->dirty.n; i++)
		cnt[f->o[f->dirty.v[i]].kind + 1]++;
	if (cnt[K_SLOT + 1] == f->dirty.n)
		return 0;
	out = malloc(f->dirty.n * sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (i = 1; i <= K_HOST + 1; i++)
		cnt[i] += cnt[i - 1];
	for (i = 0; i < f->dirty.n; i++)
		out[cnt[f->o[f->dirty.v[i]].kind]++] = f->dirty.v[i];
	memcpy(f->dirty.v, out, f->dirty.n * sizeof(*out));
	free(out);
	return 0;
}

static int flush(struct xgw_fib *f)
{
	__u32 i;
	int err = 0;

	if (!f->dirty.n)
		return 0;
	if (f->nleaves > XGW_FIB_LEAVES * 3 / 4)
		leaf_collect(f);
	err = dirty_sort(f);
	for (i = 0; !err && i < f->dirty.n; i++)
		err = obj_plan(f, f->dirty.v[i]);
	if (err) {
		plan_undo(f);
		return err;
	}
	/* leaves, then values shallow to deep, then removals deep to shallow */
	for (i = 0; i < f->lnew.n; i++)
		STORE(&f->m.leaves[f->lnew.v[i]], f->lval[f->lnew.v[i]]);
	f->lnew.n = 0;
	f->newblk.n = 0;
	for (i = 0; i < f->dirty.n; i++) {
		struct obj *o = &f->o[f->dirty.v[i]];

		if (o->nexists)
			publish(f, o, f->dirty.v[i]);
	}
	for (i = f->dirty.n; i-- > 0;) {
		struct obj *o = &f->o[f->dirty.v[i]];

		if (!o->nexists && o->hslot)
			unpublish(f, o);
		o->dirty = o->subtree = false;
	}
	for (i = f->dirty.n; i-- > 0;)
		obj_drop(f, f->dirty.v[i]);
	f->dirty.n = 0;
	return 0;
}

/* Mark the leaves the arrays reference; take back the others (after grace). */
static void leaf_mark(struct xgw_fib *f, __u8 *seen, __u32 v, bool wide)
{
	__u32 n, i, off, idx;

	if (!(v & XGW_FIB_NODE)) {
		seen[v & XGW_FIB_LEAF] = 1;
		return;
	}
	off = v & XGW_FIB_OFF;
	n = (__u32)f->m.heap[off] + 1;
	for (i = 0; i < n; i++) {
		idx = wide ? f->m.heap[off + 4 + 8 * i + 4] :
		      v & XGW_FIB_SHORT ? f->m.heap[off + 1 + i] & 0xff : f->m.heap[off + 2 + 2 * i];
		seen[idx] = 1;
	}
}

static void leaf_collect(struct xgw_fib *f)
{
	__u8 *seen = calloc(XGW_FIB_LEAVES, 1);
	__u32 i;

	if (!seen)
		return;
	for (i = 0; i < f->no; i++) {
		const struct obj *o = &f->o[i];

		if (o->live && (o->kind == K_SLOT || o->hslot))
			leaf_mark(f, seen, o->cur, kind_wide(o->kind));
	}
	for (i = 1; i < XGW_FIB_LEAVES; i++)	/* an EXT leaf holds the /64's leaf */
		if (seen[i] && (f->lval[i] & XGW_FIB_EXT))
			seen[f->lval[i] & XGW_FIB_LEAF] = 1;
	for (i = 1; i < XGW_FIB_LEAVES; i++) {
		if (!f->lused[i] || seen[i] || vmap_get(&f->lidx, f->lval[i]) != i)
			continue;
		vmap_del(&f->lidx, f->lval[i]);
		f->nleaves--;
		if (grace_push(&f->lgrace, i, 0))
			f->lused[i] = 0;
	}
	free(seen);
}

/* ---- route records (for a restart) ---------------------------------------------------- */
/* Write the record of live route @r (a slot for it if it has none). */
static void rec_set(struct xgw_fib *f, struct route *r)
{
	__u32 e = r->e | (__u32)r->len << XGW_FIB_DEPTH_SHIFT, slot;
	int i;

	if (f->adopting)
		return;	/* the records say what the datapath has until the commit */
	if (!r->rec) {
		if (!f->nrecfree)
			return;	/* no record: a restart would not know its next hop */
		r->rec = f->recfree[--f->nrecfree] + 1;
	}
	slot = r->rec - 1;
	if (f->v6) {
		struct xgw_fib6_rec *x = &((struct xgw_fib6_rec *)f->m.recs)[slot];

		for (i = 0; i < 4; i++)
			STORE(&x->addr[i], htonl(r->a.w[i]));
		STORE(&x->e, e);
	} else {
		struct xgw_fib4_rec *x = &((struct xgw_fib4_rec *)f->m.recs)[slot];

		STORE(&x->addr, htonl(r->a.w[0]));
		STORE(&x->e, e);
	}
}

/* Free record @rec (slot + 1; 0: none). */
static void rec_clear(struct xgw_fib *f, __u32 rec)
{
	if (!rec || f->adopting)
		return;
	if (f->v6)
		STORE(&((struct xgw_fib6_rec *)f->m.recs)[rec - 1].e, 0);
	else
		STORE(&((struct xgw_fib4_rec *)f->m.recs)[rec - 1].e, 0);
	f->recfree[f->nrecfree++] = rec - 1;
}

/* ---- which objects a route concerns ------------------------------------------------ */
/* The object whose band holds a route of @len at @a (made), or none. */
static int band_owner(struct xgw_fib *f, const struct faddr *a, int len, __u32 *id, bool *has)
{
	*has = true;
	if (!f->v6) {
		*has = len > 16;
		return obj_get(f, K_SLOT, a, true, id);
	}
	if (len <= 16 || (len >= 24 && len <= 32) || len == 48 || len == 128) {
		*has = false;
		return 0;
	}
	return obj_get(f, len < 24 ? K_SLOT : len < 48 ? K_G32 : len <= 64 ? K_G48 : K_D64, a,
		       true, id);
}

/* Mark every object whose answer a change of route @a/@len may change. */
static int touch(struct xgw_fib *f, const struct faddr *a, int len)
{
	__u32 s, n, id, g;
	struct faddr k;
	int err = 0;

	if (len <= 16) {	/* what a longer route of up to /16 covers keeps its answer */
		n = 1u << (16 - len);
		for (s = a->w[0] >> 16; s < (a->w[0] >> 16) + n; s++) {
			const struct route *r;

			if (!f->v6 && f->o[s].dirty)
				continue;
			r = route_match(f, &f->o[s].key, 16);
			if (r && r->len > len)
				continue;
			if (f->v6)
				obj_mark_under(f, s, a, len);
			else
				obj_mark(f, s);
		}
		return 0;
	}
	if (!f->v6 || len < 24) {
		err = obj_get(f, K_SLOT, a, true, &id);
		obj_mark(f, id);
		if (f->v6)
			obj_mark_under(f, id, a, len);
		return err;
	}
	if (len <= 32) {
		n = 1u << (32 - len);
		for (s = 0; !err && s < n; s++) {
			k = *a;
			k.w[0] += s;
			err = obj_get(f, K_G32, &k, true, &id);
			if (!err)
				obj_mark_under(f, id, &k, 32);
		}
		return err;
	}
	err = obj_get(f, len < 48 ? K_G32 : len <= 64 ? K_G48 : len < 128 ? K_D64 : K_HOST, a,
		      true, &id);
	if (err)
		return err;
	obj_mark(f, id);
	obj_mark_under(f, id, a, len);
	if (len > 64) {	/* the /48 marks the /64 XGW_FIB_EXT or not; hosts beneath */
		err = obj_get(f, K_G48, a, true, &g);
		if (!err) {
			obj_mark(f, g);
			obj_mark_under(f, g, a, len);
		}
	}
	return err;
}

/* ---- the route set -------------------------------------------------------------------- */
static int route_new(struct xgw_fib *f, const struct faddr *a, int len, __u32 *id)
{
	if (f->rfree.n) {
		*id = f->rfree.v[--f->rfree.n];
	} else {
		if (f->nr == f->rcap) {
			__u32 cap = f->rcap ? f->rcap * 2 : 1024;
			struct route *r = realloc(f->r, cap * sizeof(*r));

			if (!r)
				return -ENOMEM;
			f->r = r;
			f->rcap = cap;
		}
		*id = f->nr++;
	}
	memset(&f->r[*id], 0, sizeof(f->r[*id]));
	f->r[*id].a = *a;
	f->r[*id].len = len;
	f->r[*id].live = true;
	if (index_add(&f->ridx, f, route_key, *id)) {
		f->r[*id].live = false;
		uvec_push(&f->rfree, *id);
		return -ENOMEM;
	}
	return 0;
}

static void route_count(struct xgw_fib *f, const struct route *r, int delta)
{
	if (!r->mark)
		f->nlen[r->len] += delta;
	f->nroutes += delta;
}

/* Take route @id out of the set (its record is the caller's). */
static void route_free(struct xgw_fib *f, __u32 id)
{
	struct route *r = &f->r[id];

	route_count(f, r, -1);
	member_del(f, id);
	index_del(&f->ridx, f, route_key, id);
	r->live = false;
	uvec_push(&f->rfree, id);
}

/* Put @a/@len in the set as @e (new or replacing), its objects marked. */
static int route_put(struct xgw_fib *f, const struct faddr *a, int len, __u32 e, bool mark,
		     __u32 *id, bool *added)
{
	struct route *r = route_find(f, a, len);
	bool has;
	__u32 owner;
	int err;

	*added = !r;
	if (r) {
		*id = r - f->r;
		route_count(f, r, -1);
	} else {
		err = route_new(f, a, len, id);
		if (err)
			return err;
		err = band_owner(f, a, len, &owner, &has);
		if (!err && has)
			err = member_add(f, owner, *id);
		if (err) {
			index_del(&f->ridx, f, route_key, *id);
			f->r[*id].live = false;
			uvec_push(&f->rfree, *id);
			return err;
		}
	}
	r = &f->r[*id];
	r->e = e;
	r->mark = mark;
	route_count(f, r, 1);
	return touch(f, a, len);
}

/* ---- reading the arrays as the datapath does ------------------------------------------ */
static __u32 rd_search(const struct xgw_fib_mem *m, __u32 ref, __u32 key)
{
	const __u16 *h = m->heap;
	__u32 mask = m->heap_units - 1, off = ref & XGW_FIB_OFF, n = (__u32)h[off & mask] + 1;
	__u32 lo = 0, half;

	off++;
	while (n > 1) {
		half = n >> 1;
		if (ref & XGW_FIB_SHORT ? (h[(off + lo + half) & mask] >> 8) <= key >> 8 :
					  h[(off + 2 * (lo + half)) & mask] <= key)
			lo += half;
		n -= half;
	}
	return ref & XGW_FIB_SHORT ? h[(off + lo) & mask] & 0xff : h[(off + 2 * lo + 1) & mask];
}

static __u32 rd_deep(const struct xgw_fib_mem *m, __u32 ref, __u64 key)
{
	const __u16 *h = m->heap;
	__u32 mask = m->heap_units - 1, off = (ref & XGW_FIB_OFF) + 4;
	__u32 n = (__u32)h[(off - 4) & mask] + 1, lo = 0, half, j;
	__u64 st;

	while (n > 1) {
		half = n >> 1;
		j = off + 8 * (lo + half);
		st = (__u64)h[j & mask] << 48 | (__u64)h[(j + 1) & mask] << 32 |
		     (__u64)h[(j + 2) & mask] << 16 | h[(j + 3) & mask];
		if (st <= key)
			lo += half;
		n -= half;
	}
	return h[(off + 8 * lo + 4) & mask];
}

static __u32 rd_h32(const struct xgw_fib_mem *m, __u32 hi)
{
	__u32 b = xgw_fib_hash32(hi) & (m->nh32 - 1);
	int i, j;

	for (j = 0; j < XGW_FIB_PROBES; j++) {
		const struct xgw_fib_b32 *bk = &m->h32[b];

		for (i = 0; i < 7; i++)
			if (bk->s[i].key == hi && bk->s[i].val)
				return bk->s[i].val;
		if (!bk->over)
			return 0;
		b = (b + 1) & (m->nh32 - 1);
	}
	return 0;
}

static __u32 rd_h48(const struct xgw_fib_mem *m, __u32 hi, __u32 lo)
{
	__u32 b = xgw_fib_hash48(hi, lo) & (m->nh48 - 1);
	int i, j;

	for (j = 0; j < XGW_FIB_PROBES; j++) {
		const struct xgw_fib_b48 *bk = &m->h48[b];

		for (i = 0; i < 5; i++)
			if (bk->s[i].hi == hi && bk->s[i].lo == lo && bk->s[i].val)
				return bk->s[i].val;
		if (!bk->over)
			return 0;
		b = (b + 1) & (m->nh48 - 1);
	}
	return 0;
}

static __u32 rd_hd(const struct xgw_fib_mem *m, const __u32 *k, __u32 len)
{
	__u32 b = xgw_fib_hashd((__u64)k[0] << 32 | k[1], (__u64)k[2] << 32 | k[3], len) &
		  (m->nhd - 1);
	int i, j;

	for (j = 0; j < XGW_FIB_PROBES; j++) {
		const struct xgw_fib_bd *bk = &m->hd[b];

		for (i = 0; i < 2; i++)
			if (!memcmp(bk->s[i].k, k, 16) && bk->s[i].len == len && bk->s[i].val)
				return bk->s[i].val;
		if (!bk->over)
			return 0;
		b = (b + 1) & (m->nhd - 1);
	}
	return 0;
}

__u32 xgw_fib_read(const struct xgw_fib_mem *m, const __be32 *addr)
{
	__u32 a[4], v, v32, v48, key, e;
	int i;

	if (m->family == AF_INET) {
		a[0] = ntohl(addr[0]);
		v = m->dir[a[0] >> 16];
		if (v & XGW_FIB_NODE)
			v = rd_search(m, v, a[0] & 0xffff);
		return m->leaves[v & XGW_FIB_LEAF];
	}
	for (i = 0; i < 4; i++)
		a[i] = ntohl(addr[i]);
	v = m->dir[a[0] >> 16];
	key = a[0] & 0xffff;
	v32 = rd_h32(m, a[0]);
	v48 = rd_h48(m, a[0], a[1] >> 16);
	if (v48) {
		v = v48;
		key = a[1] & 0xffff;
	} else if (v32) {
		v = v32;
		key = a[1] >> 16;
	}
	if (v & XGW_FIB_NODE)
		v = rd_search(m, v, key);
	e = m->leaves[v & XGW_FIB_LEAF];
	if (!(e & XGW_FIB_EXT))
		return e;
	if (e & XGW_FIB_EXT_HOSTS) {
		v = rd_hd(m, a, 128);
		if (v)
			return m->leaves[v & XGW_FIB_LEAF];
	}
	if (e & XGW_FIB_EXT_DEEP) {
		__u32 k64[4] = { a[0], a[1], 0, 0 };

		v = rd_hd(m, k64, 64);
		if (v & XGW_FIB_NODE)
			return m->leaves[rd_deep(m, v, (__u64)a[2] << 32 | a[3]) & XGW_FIB_LEAF];
	}
	return m->leaves[e & XGW_FIB_LEAF];
}

/* ---- digest: what the arrays mean, wherever things sit -------------------------------- */
static __u64 dg_leaf(const struct xgw_fib_mem *m, __u32 idx)
{
	__u32 v = m->leaves[idx & XGW_FIB_LEAF];

	if (v & XGW_FIB_EXT)	/* the /64's own leaf by value, not by index */
		return mix64((__u64)(v & ~XGW_FIB_LEAF) << 32 | m->leaves[v & XGW_FIB_LEAF]);
	return mix64(v);
}

static __u64 dg_value(const struct xgw_fib_mem *m, __u32 v, bool wide)
{
	__u32 off, n, i, mask = m->heap_units - 1;
	__u64 h;

	if (!(v & XGW_FIB_NODE))
		return dg_leaf(m, v);
	off = v & XGW_FIB_OFF;
	n = (__u32)m->heap[off & mask] + 1;
	h = mix64(n);
	for (i = 0; i < n; i++) {
		__u64 st;
		__u32 leaf;

		if (wide) {
			const __u16 *e = &m->heap[(off + 4 + 8 * i) & mask];

			st = (__u64)e[0] << 48 | (__u64)e[1] << 32 | (__u64)e[2] << 16 | e[3];
			leaf = e[4];
		} else if (v & XGW_FIB_SHORT) {
			st = m->heap[(off + 1 + i) & mask] & 0xff00;
			leaf = m->heap[(off + 1 + i) & mask] & 0xff;
		} else {
			st = m->heap[(off + 1 + 2 * i) & mask];
			leaf = m->heap[(off + 2 + 2 * i) & mask];
		}
		h = mix64(h ^ mix64(st) ^ dg_leaf(m, leaf) * 31);
	}
	return h;
}

__u64 xgw_fib_digest(const struct xgw_fib_mem *m)
{
	__u64 sum = 0;
	__u32 i, j;

	for (i = 0; i < XGW_FIB_DIR; i++)
		sum += mix64(i ^ dg_value(m, m->dir[i], false));
	if (m->family != AF_INET6)
		return sum;
	/* hash entries: by key, in whatever bucket or slot */
	for (i = 0; i < m->nh32; i++)
		for (j = 0; j < 7; j++)
			if (m->h32[i].s[j].val)
				sum += mix64((1ULL << 40 | m->h32[i].s[j].key) ^
					     dg_value(m, m->h32[i].s[j].val, false));
	for (i = 0; i < m->nh48; i++)
		for (j = 0; j < 5; j++)
			if (m->h48[i].s[j].val)
				sum += mix64((2ULL << 56 | (__u64)m->h48[i].s[j].hi << 16 |
					      m->h48[i].s[j].lo) ^
					     dg_value(m, m->h48[i].s[j].val, false));
	for (i = 0; i < m->nhd; i++)
		for (j = 0; j < 2; j++) {
			const __u32 *k = m->hd[i].s[j].k;

			if (!m->hd[i].s[j].val)
				continue;
			sum += mix64(mix64((__u64)k[0] << 32 | k[1]) ^ mix64((__u64)k[2] << 32 | k[3]) ^
				     m->hd[i].s[j].len ^
				     dg_value(m, m->hd[i].s[j].val, m->hd[i].s[j].len == 64));
		}
	return sum;
}

/* ---- open, adopt, close ------------------------------------------------------------------ */
static int ht_init(struct xgw_fib *f)
{
	void *b[NHT] = { f->m.h32, f->m.h48, f->m.hd };
	__u32 nb[NHT] = { f->m.nh32, f->m.nh48, f->m.nhd };
	int i;

	for (i = 0; i < NHT; i++) {
		struct htab *t = &f->ht[i];

		t->kind = i;
		t->b = b[i];
		t->nb = nb[i];
		t->nslots = ht_slots[i];
		t->busy = calloc((size_t)t->nb * t->nslots, 1);
		if (!t->busy)
			return -ENOMEM;
	}
	return 0;
}

/* Take over a chunk of the adopted arrays: its block, its leaves. */
static int adopt_value(struct xgw_fib *f, __u32 v, bool wide)
{
	__u32 off = v & XGW_FIB_OFF, units;

	if (!(v & XGW_FIB_NODE))
		return 0;
	if (off >= f->m.heap_units)
		return -EINVAL;
	units = chunk_units(f, v, wide);
	if ((off & ((1u << order_of(units)) - 1)) || off + units > f->m.heap_units ||
	    !heap_carve(&f->heap, off, order_of(units)))
		return -EINVAL;	/* not a layout this code wrote */
	f->chunks++;
	return 0;
}

/* Orphan @i: its table, slot, key and length (HD: 128 a host, 64 a deep chunk). */
static struct htab *orphan_at(struct xgw_fib *f, __u32 i, __u32 *slot, struct faddr *k,
			      int *len)
{
	struct htab *t = &f->ht[f->orphans.v[i] >> 28];

	*slot = f->orphans.v[i] & 0x0fffffff;
	ht_key(t, *slot, k, len);
	return t;
}

static void adopt_leaves(struct xgw_fib *f)
{
	__u8 *seen = calloc(XGW_FIB_LEAVES, 1);
	__u32 i;

	if (!seen)
		return;
	for (i = 0; i < XGW_FIB_DIR; i++)
		leaf_mark(f, seen, f->m.dir[i], false);
	for (i = 0; i < f->orphans.n; i++) {
		struct faddr k;
		__u32 slot;
		int len;
		struct htab *t = orphan_at(f, i, &slot, &k, &len);

		leaf_mark(f, seen, *ht_val(t, slot), t->kind == HTD && len == 64);
	}
	for (i = 1; i < XGW_FIB_LEAVES; i++)
		if (seen[i] && (f->m.leaves[i] & XGW_FIB_EXT))
			seen[f->m.leaves[i] & XGW_FIB_LEAF] = 1;
	for (i = 1; i < XGW_FIB_LEAVES; i++) {
		if (!seen[i])
			continue;
		f->lused[i] = 1;
		f->lval[i] = f->m.leaves[i];
		f->nleaves++;
		if (!vmap_get(&f->lidx, f->lval[i]))
			vmap_put(&f->lidx, f->lval[i], i);
	}
	free(seen);
}

static bool arec_eq(const void *ctx, __u32 id, const struct faddr *a, int len)
{
	const struct xgw_fib6_rec *x = &((const struct xgw_fib *)ctx)->arec[id];

	return (int)(x->e >> XGW_FIB_DEPTH_SHIFT & 0xff) == len && !memcmp(x->addr, a->w, 16);
}

static void arec_key(const void *ctx, __u32 id, struct faddr *a, int *len)
{
	const struct xgw_fib6_rec *x = &((const struct xgw_fib *)ctx)->arec[id];

	memcpy(a->w, x->addr, 16);
	*len = x->e >> XGW_FIB_DEPTH_SHIFT & 0xff;
}

/* The records of what the datapath has: kept aside for xgw_fib_adopted(). */
static int adopt_records(struct xgw_fib *f)
{
	__u32 i, n = 0;
	int err = 0;

	f->arec = calloc(f->m.nrecs ? f->m.nrecs : 1, sizeof(*f->arec));
	if (!f->arec)
		return -ENOMEM;
	for (i = 0; i < f->m.nrecs; i++) {
		struct xgw_fib6_rec x = {};

		int j;

		if (f->v6) {
			x = ((struct xgw_fib6_rec *)f->m.recs)[i];
		} else {
			x.addr[0] = ((struct xgw_fib4_rec *)f->m.recs)[i].addr;
			x.e = ((struct xgw_fib4_rec *)f->m.recs)[i].e;
		}
		for (j = 0; j < 4; j++)	/* kept in host order, as the route set */
			x.addr[j] = ntohl(x.addr[j]);
		struct faddr a;
		int len = x.e >> XGW_FIB_DEPTH_SHIFT & 0xff;

		memcpy(a.w, x.addr, sizeof(a.w));
		if (!x.e || len > f->alen || index_find(&f->adopted, f, arec_eq, &a, len))
			continue;
		f->arec[n] = x;
		err = index_add(&f->adopted, f, arec_key, n);
		if (err)
			return err;
		n++;
	}
	f->narec = n;
	return 0;
}

static int adopt(struct xgw_fib *f)
{
	__u32 i, s;
	int err, t;

	for (i = 0; i < XGW_FIB_DIR; i++) {
		f->o[i].cur = f->m.dir[i];
		err = adopt_value(f, f->m.dir[i], false);
		if (err)
			return err;
	}
	for (t = 0; f->v6 && t < NHT; t++) {
		struct htab *h = &f->ht[t];

		for (s = 0; s < h->nb * h->nslots; s++) {
			struct faddr k;
			int len;

			if (!*ht_val(h, s))
				continue;
			ht_key(h, s, &k, &len);
			h->busy[s] = 1;
			h->used++;
			err = adopt_value(f, *ht_val(h, s), t == HTD && len == 64);
			if (!err)
				err = uvec_push(&f->orphans, (__u32)t << 28 | s);
			if (err)
				return err;
		}
	}
	adopt_leaves(f);
	f->adopting = true;
	return adopt_records(f);
}

static void clear(struct xgw_fib *f)
{
	memset(f->m.dir, 0, XGW_FIB_DIR * sizeof(*f->m.dir));
	memset(f->m.leaves, 0, XGW_FIB_LEAVES * sizeof(*f->m.leaves));
	memset(f->m.recs, 0, (size_t)f->m.nrecs * (f->v6 ? sizeof(struct xgw_fib6_rec) :
							 sizeof(struct xgw_fib4_rec)));
	if (!f->v6)
		return;
	memset(f->m.h32, 0, (size_t)f->m.nh32 * sizeof(*f->m.h32));
	memset(f->m.h48, 0, (size_t)f->m.nh48 * sizeof(*f->m.h48));
	memset(f->m.hd, 0, (size_t)f->m.nhd * sizeof(*f->m.hd));
}

static bool pow2(__u32 x)
{
	return x && !(x & (x - 1));
}

int xgw_fib_open(struct xgw_fib **fp, const struct xgw_fib_mem *mem, bool adopting)
{
	struct xgw_fib *f;
	__u32 i, id;
	int err;

	if ((mem->family != AF_INET && mem->family != AF_INET6) || !mem->dir || !mem->heap ||
	    !mem->leaves || !mem->recs || !pow2(mem->heap_units) || mem->heap_units < 64 ||
	    (mem->family == AF_INET6 && (!mem->h32 || !mem->h48 || !mem->hd || !pow2(mem->nh32) ||
					 !pow2(mem->nh48) || !pow2(mem->nhd))))
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->m = *mem;
	f->v6 = mem->family == AF_INET6;
	f->alen = f->v6 ? 128 : 32;
	f->lval = calloc(XGW_FIB_LEAVES, sizeof(*f->lval));
	f->lused = calloc(XGW_FIB_LEAVES, 1);
	f->recfree = malloc((f->m.nrecs ? f->m.nrecs : 1) * sizeof(*f->recfree));
	err = f->lval && f->lused && f->recfree ? heap_init(&f->heap, mem->heap_units) : -ENOMEM;
	if (!err && f->v6)
		err = ht_init(f);
	for (i = 0; !err && i < XGW_FIB_DIR; i++)
		err = obj_new(f, K_SLOT, &(struct faddr){ .w = { i << 16 } }, &id);
	f->lused[0] = 1;	/* leaf 0: no route */
	if (!err && adopting)
		err = adopt(f);
	else if (!err)
		clear(f);
	for (i = 0; !err && !adopting && i < f->m.nrecs; i++)
		f->recfree[f->nrecfree++] = f->m.nrecs - 1 - i;
	if (err) {
		xgw_fib_close(f);
		return err;
	}
	*fp = f;
	return 0;
}

void xgw_fib_close(struct xgw_fib *f)
{
	__u32 i;
	int t;

	if (!f)
		return;
	for (i = 0; i < f->no; i++) {
		uvec_free(&f->o[i].members);
		uvec_free(&f->o[i].kids);
	}
	for (t = 0; t < NHT; t++) {
		free(f->ht[t].busy);
		free(f->ht[t].grace.q);
	}
	heap_fini(&f->heap);
	free(f->o);
	free(f->r);
	uvec_free(&f->rfree);
	uvec_free(&f->ofree);
	uvec_free(&f->dirty);
	uvec_free(&f->newblk);
	uvec_free(&f->lnew);
	uvec_free(&f->orphans);
	free(f->ridx.slot);
	free(f->oidx.slot);
	free(f->adopted.slot);
	free(f->arec);
	vmap_free(&f->lidx);
	free(f->lval);
	free(f->lused);
	free(f->lgrace.q);
	free(f->recfree);
	free(f->w.it);
	free(f->w.rg);
	free(f->w.st);
	free(f->w.chunk);
	free(f);
}

/* ---- the interface -------------------------------------------------------------------- */
static int addr_in(const struct xgw_fib *f, const __be32 *addr, int len, struct faddr *a)
{
	int i;

	if (len < 0 || len > f->alen)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	for (i = 0; i < f->alen / 32; i++)
		a->w[i] = ntohl(addr[i]);
	faddr_mask(a, len);
	return 0;
}

/* Write what was marked now unless deferred; on failure put @a/@len back. */
static int settle(struct xgw_fib *f, const struct faddr *a, int len, bool had, __u32 e, bool mark)
{
	struct route *r;
	__u32 id;
	bool added;
	int err;

	if (f->batch || f->adopting)
		return 0;
	err = flush(f);
	if (!err)
		return 0;
	r = route_find(f, a, len);
	if (had) {
		route_put(f, a, len, e, mark, &id, &added);
	} else if (r) {
		route_free(f, r - f->r);
		touch(f, a, len);
	}
	flush(f);	/* the arrays as they were: nothing to allocate */
	return err;
}

int xgw_fib_set(struct xgw_fib *f, const __be32 *addr, int len, const struct xgw_route *rt)
{
	bool mark = rt->action == XGW_RT_NONE, host = len == f->alen, had, added;
	struct faddr a;
	struct route *r;
	__u32 e, olde = 0, id;
	bool oldmark = false;
	int err = addr_in(f, addr, len, &a);

	if (err || rt->action > 0xf || ((mark || rt->flags) && !host) ||
	    (rt->flags & ~XGW_RT_F_MASK) || (mark && !rt->flags) || rt->nh_id > XGW_FIB_NH_MASK)
		return -EINVAL;
	e = mark ? (__u32)rt->flags << XGW_FIB_FLAGS_SHIFT : xgw_fib_pack(rt);
	r = route_find(f, &a, len);
	had = r;
	if (r) {
		olde = r->e;
		oldmark = r->mark;
		if (olde == e && oldmark == mark)
			return 0;
	}
	err = route_put(f, &a, len, e, mark, &id, &added);
	if (!err)
		err = settle(f, &a, len, had, olde, oldmark);
	else if (added)
		route_free(f, id);
	if (!err)
		rec_set(f, &f->r[id]);
	return err;
}

int xgw_fib_del(struct xgw_fib *f, const __be32 *addr, int len)
{
	struct faddr a;
	struct route *r;
	__u32 e, rec;
	bool mark;
	int err = addr_in(f, addr, len, &a);

	if (err)
		return err;
	r = route_find(f, &a, len);
	if (!r)
		return -ENOENT;
	e = r->e;
	mark = r->mark;
	rec = r->rec;
	route_free(f, r - f->r);
	err = touch(f, &a, len);
	if (!err)
		err = settle(f, &a, len, true, e, mark);
	r = route_find(f, &a, len);
	if (r)	/* put back: its record with it */
		r->rec = rec;
	else
		rec_clear(f, rec);
	return err;
}

int xgw_fib_get(const struct xgw_fib *f, const __be32 *addr, int len, struct xgw_route *rt)
{
	const struct route *r;
	struct faddr a;

	if (addr_in(f, addr, len, &a))
		return -EINVAL;
	r = route_find(f, &a, len);
	if (!r)
		return -ENOENT;
	xgw_fib_unpack(r->e, rt);
	return 0;
}

bool xgw_fib_lookup(const struct xgw_fib *f, const __be32 *addr, struct xgw_route *rt)
{
	__u32 e = xgw_fib_read(&f->m, addr);

	if (!e)
		return false;
	xgw_fib_unpack(e, rt);
	return true;
}

int xgw_fib_adopted(const struct xgw_fib *f, const __be32 *addr, int len, struct xgw_route *rt)
{
	struct faddr a;
	__u32 id;

	if (addr_in(f, addr, len, &a))
		return -EINVAL;
	id = index_find(&f->adopted, f, arec_eq, &a, len);
	if (!id)
		return -ENOENT;
	xgw_fib_unpack(f->arec[id - 1].e & ~(0xffu << XGW_FIB_DEPTH_SHIFT), rt);
	return 0;
}

/* Adopting: every object takes the hash slot its key has now, if any. */
static void adopt_claim(struct xgw_fib *f)
{
	__u32 i, n = 0, id;

	for (i = 0; i < f->orphans.n; i++) {
		enum okind kind;
		struct faddr k;
		__u32 slot;
		int len;
		struct htab *t = orphan_at(f, i, &slot, &k, &len);

		kind = t->kind == HT32 ? K_G32 : t->kind == HT48 ? K_G48 : len == 64 ? K_D64 : K_HOST;
		if (!obj_get(f, kind, &k, false, &id) && !f->o[id].hslot) {
			f->o[id].hslot = slot + 1;
			f->o[id].cur = *ht_val(t, slot);
			continue;
		}
		f->orphans.v[n++] = f->orphans.v[i];
	}
	f->orphans.n = n;
	for (i = 0; i < f->no; i++)
		if (f->o[i].live)
			obj_mark(f, i);
}

/* Adopting, once written: what no route claims goes; the records are the set. */
static void adopt_finish(struct xgw_fib *f)
{
	struct obj tmp = {};
	__u32 i;

	for (i = 0; i < f->orphans.n; i++) {
		struct faddr k;
		__u32 slot;
		int len;
		struct htab *t = orphan_at(f, i, &slot, &k, &len);

		tmp.kind = t->kind == HTD && len == 64 ? K_D64 : K_G32;
		tmp.cur = *ht_val(t, slot);
		ht_remove(t, slot);
		retire(f, &tmp, tmp.cur);
	}
	f->orphans.n = 0;
	memset(f->m.recs, 0, (size_t)f->m.nrecs * (f->v6 ? sizeof(struct xgw_fib6_rec) :
							 sizeof(struct xgw_fib4_rec)));
	f->nrecfree = 0;
	for (i = 0; i < f->m.nrecs; i++)
		f->recfree[f->nrecfree++] = f->m.nrecs - 1 - i;
	f->adopting = false;
	for (i = 0; i < f->nr; i++) {
		f->r[i].rec = 0;
		if (f->r[i].live)
			rec_set(f, &f->r[i]);
	}
}

int xgw_fib_commit(struct xgw_fib *f)
{
	int err;

	if (f->batch)
		return -EBUSY;
	if (f->adopting)
		adopt_claim(f);
	err = flush(f);
	if (err || !f->adopting)
		return err;
	adopt_finish(f);
	return 0;
}

void xgw_fib_begin(struct xgw_fib *f)
{
	f->batch++;
}

int xgw_fib_end(struct xgw_fib *f)
{
	int err;

	if (f->batch > 1 || f->adopting) {
		f->batch -= f->batch > 0;
		return 0;
	}
	err = flush(f);
	if (!err)
		f->batch = 0;
	return err;	/* on error the batch stays open: undo, then end again */
}

const char *xgw_fib_full(const struct xgw_fib *f)
{
	return f->full ? f->full : "no limit reached";
}

void xgw_fib_stats(const struct xgw_fib *f, struct xgw_fib_stats *st)
{
	int t;

	memset(st, 0, sizeof(*st));
	st->routes = f->nroutes;
	st->leaves = f->nleaves;
	st->chunks = f->chunks;
	st->heap_bytes = (f->heap.used - f->heap.graced) * 2;
	st->heap_max = (__u64)f->m.heap_units * 2;
	st->bytes = XGW_FIB_DIR * 4 + (__u64)f->nleaves * 4 + st->heap_bytes;
	st->bytes_max = (XGW_FIB_DIR + XGW_FIB_LEAVES) * 4 + st->heap_max;
	for (t = 0; f->v6 && t < NHT; t++) {
		st->hash_keys += f->ht[t].used;
		st->hash_max += f->ht[t].nb * f->ht[t].nslots;
		st->bytes += (__u64)f->ht[t].used * 64 / f->ht[t].nslots;
		st->bytes_max += (__u64)f->ht[t].nb * 64;
	}
}

/* ---- the maps ---------------------------------------------------------------------------- */
/* Map all of array @fd (@vsize-byte values, @n of them: 0 = any). */
static void *map_one(int fd, int prot, __u32 vsize, __u32 n, __u32 *entries, size_t *len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);
	void *p;

	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		return NULL;
	if (info.type != BPF_MAP_TYPE_ARRAY || !(info.map_flags & BPF_F_MMAPABLE) ||
	    info.value_size != vsize || (n && info.max_entries != n)) {
		errno = EINVAL;
		return NULL;
	}
	*entries = info.max_entries;
	*len = ((size_t)info.max_entries * ((info.value_size + 7) & ~7u) + page - 1) / page * page;
	p = mmap(NULL, *len, prot, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

int xgw_fib_map(int family, const struct xgw_fib_fds *fds, int prot, struct xgw_fib_mem *m)
{
	bool v6 = family == AF_INET6;
	__u32 n;
	int err;

	memset(m, 0, sizeof(*m));
	if (family != AF_INET && !v6)
		return -EINVAL;
	m->family = family;
	m->map[0] = map_one(fds->tables, prot, v6 ? sizeof(struct xgw_fib6_tables) :
						   sizeof(struct xgw_fib4_tables), 1, &n,
			    &m->maplen[0]);
	if (m->map[0])
		m->map[1] = map_one(fds->recs, prot, v6 ? sizeof(struct xgw_fib6_rec) :
							sizeof(struct xgw_fib4_rec), 0, &m->nrecs,
				    &m->maplen[1]);
	if (!m->map[0] || !m->map[1]) {
		err = -errno;
		xgw_fib_unmap(m);
		return err;
	}
	m->recs = m->map[1];
	if (v6) {
		struct xgw_fib6_tables *t = m->map[0];

		m->dir = t->dir;
		m->leaves = t->leaves;
		m->heap = t->heap;
		m->heap_units = XGW_FIB6_HEAP;
		m->h32 = t->h32;
		m->h48 = t->h48;
		m->hd = t->hd;
		m->nh32 = XGW_FIB6_H32;
		m->nh48 = XGW_FIB6_H48;
		m->nhd = XGW_FIB6_HD;
	} else {
		struct xgw_fib4_tables *t = m->map[0];

		m->dir = t->dir;
		m->leaves = t->leaves;
		m->heap = t->heap;
		m->heap_units = XGW_FIB4_HEAP;
	}
	return 0;
}

void xgw_fib_unmap(struct xgw_fib_mem *m)
{
	int i;

	for (i = 0; i < 2; i++)
		if (m->map[i])
			munmap(m->map[i], m->maplen[i]);
	memset(m, 0, sizeof(*m));
}

/* Map @family's maps by name: @fd_of gives each one's fd (-1: none). */
static int map_named(int family, int prot, struct xgw_fib_mem *m,
		     int (*fd_of)(void *ctx, const char *name), void *ctx, bool owned)
{
	char name[64];
	struct xgw_fib_fds fds;
	int err = -ENOENT, c = family == AF_INET6 ? '6' : '4';

	snprintf(name, sizeof(name), "xgw_fib%c", c);
	fds.tables = fd_of(ctx, name);
	snprintf(name, sizeof(name), "xgw_fib%c_routes", c);
	fds.recs = fd_of(ctx, name);
	if (fds.tables >= 0 && fds.recs >= 0)
		err = xgw_fib_map(family, &fds, prot, m);
	if (owned && fds.tables >= 0)
		close(fds.tables);
	if (owned && fds.recs >= 0)
		close(fds.recs);
	return err;
}

static int fd_of_object(void *obj, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	return map ? bpf_map__fd(map) : -1;
}

static int fd_of_pin(void *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", (const char *)dir, name);
	return bpf_obj_get(path);
}

int xgw_fib_map_object(void *obj, int family, int prot, struct xgw_fib_mem *m)
{
	return map_named(family, prot, m, fd_of_object, obj, false);
}

int xgw_fib_map_pinned(const char *pin_dir, int family, int prot, struct xgw_fib_mem *m)
{
	return map_named(family, prot, m, fd_of_pin, (void *)pin_dir, true);
}
