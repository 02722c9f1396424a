// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reproducible route sets for the benchmarks (routegen.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "routegen.h"

struct rng {
	__u64 s;
};

/* xorshift64 */
static __u64 rng_next(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

static __u32 rng_below(struct rng *r, __u32 n)
{
	return (__u32)((rng_next(r) >> 32) * n >> 32);
}

/* ---- a set of prefixes, to keep them distinct --------------------------- */
struct pset {
	__u32 *slot;		/* index + 1 into the prefixes, 0 = empty */
	size_t cap;
	const struct routegen_pfx *v;
};

static __u64 pfx_hash(const struct routegen_pfx *p)
{
	__u64 h = 0x9e3779b97f4a7c15ULL ^ p->len;
	int i;

	for (i = 0; i < 4; i++) {
		h ^= p->addr[i];
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return h;
}

static bool pfx_equal(const struct routegen_pfx *a, const struct routegen_pfx *b)
{
	return a->len == b->len && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Add v[i] unless an equal prefix is in: true when added. */
static bool pset_add(struct pset *s, __u32 i)
{
	size_t k = pfx_hash(&s->v[i]) & (s->cap - 1);

	for (; s->slot[k]; k = (k + 1) & (s->cap - 1))
		if (pfx_equal(&s->v[s->slot[k] - 1], &s->v[i]))
			return false;
	s->slot[k] = i + 1;
	return true;
}

static void mask_to(struct routegen_pfx *p)
{
	int i, bits;

	for (i = 0; i < 4; i++) {
		bits = p->len - 32 * i;
		if (bits <= 0)
			p->addr[i] = 0;
		else if (bits < 32)
			p->addr[i] &= htonl(~0u << (32 - bits));
	}
}

/* ---- IPv4 ------------------------------------------------------------------ */
static void gen4(struct rng *r, enum routegen_dist dist, struct routegen_pfx *p)
{
	static const __u16 real[][2] = { { 24, 557 }, { 23, 103 }, { 22, 102 }, { 21, 71 },
					 { 20, 51 }, { 19, 39 }, { 18, 29 }, { 17, 19 },
					 { 16, 29 } };
	__u32 a, first, pick, i;

	memset(p, 0, sizeof(*p));
	if (dist == ROUTEGEN_UNIFORM) {
		p->len = 16 + rng_below(r, 9);
		do {
			a = (__u32)rng_next(r);
			first = a >> 24;
		} while (first < 11 || first > 223 || first == 127);
	} else {
		pick = rng_below(r, 1000);
		for (i = 0; pick >= real[i][1]; i++)
			pick -= real[i][1];
		p->len = real[i][0];
		do {
			a = (__u32)rng_next(r);
			first = a >> 24;
		} while (first < 1 || first > 223 || first == 127 || first == 10);
	}
	p->addr[0] = htonl(a);
	mask_to(p);
}

/* ---- IPv6 ------------------------------------------------------------------ */
/* Registry blocks (first 16 bits, how many /16s, weight). */
static const __u32 pools6[][3] = {
	{ 0x2001, 1, 25 }, { 0x2400, 16, 20 }, { 0x2600, 16, 20 },
	{ 0x2800, 16, 5 }, { 0x2a00, 16, 28 }, { 0x2c00, 16, 2 },
};

static const __u16 lens6[][2] = { { 29, 40 }, { 32, 180 }, { 36, 30 }, { 40, 60 }, { 44, 60 },
				  { 48, 480 }, { 56, 20 }, { 64, 80 }, { 128, 50 } };

static void random_bits6(struct rng *r, struct routegen_pfx *p)
{
	int i;

	for (i = 0; i < 4; i++)
		p->addr[i] = (__be32)rng_next(r);
}

/* A random address in a registry block. */
static void in_pool6(struct rng *r, struct routegen_pfx *p)
{
	__u32 pick = rng_below(r, 100), i, hi;

	for (i = 0; pick >= pools6[i][2]; i++)
		pick -= pools6[i][2];
	random_bits6(r, p);
	hi = pools6[i][0] + rng_below(r, pools6[i][1]);
	p->addr[0] = htonl(hi << 16 | (ntohl(p->addr[0]) & 0xffff));
}

/* Keep the first @len bits of @outer, random bits after them. */
static void inside6(struct rng *r, const struct routegen_pfx *outer, struct routegen_pfx *p)
{
	struct routegen_pfx keep = *outer;
	int i;

	random_bits6(r, p);
	for (i = 0; i < 4; i++) {
		int bits = outer->len - 32 * i;
		__u32 m = bits >= 32 ? ~0u : bits <= 0 ? 0 : ~0u << (32 - bits);

		p->addr[i] = (keep.addr[i] & htonl(m)) | (p->addr[i] & htonl(~m));
	}
}

/*
 * Which earlier prefixes a new one of length @len nests in: registry
 * allocations (/29, /32) for /33-/48, /48s for /56-/64, /64s for /128s.
 * -1: a registry block.
 */
static int parent_len6(int len)
{
	if (len <= 32)
		return -1;
	if (len <= 48)
		return 32;
	if (len <= 64)
		return 48;
	return 64;
}

struct byclass {
	__u32 *idx[3];		/* <= /32, /33-/48, /49-/64 */
	size_t n[3];
};

static int class_of(int len)
{
	return len <= 32 ? 0 : len <= 48 ? 1 : len <= 64 ? 2 : -1;
}

static void gen6(struct rng *r, enum routegen_dist dist, struct byclass *bc,
		 struct routegen_pfx *v, struct routegen_pfx *p)
{
	__u32 pick, i;
	int pl, c;

	memset(p, 0, sizeof(*p));
	if (dist == ROUTEGEN_UNIFORM) {
		p->len = 32 + rng_below(r, 17);
		random_bits6(r, p);
		p->addr[0] = htonl(0x20000000u | (ntohl(p->addr[0]) & 0x1fffffff));
		mask_to(p);
		return;
	}
	pick = rng_below(r, 1000);
	for (i = 0; pick >= lens6[i][1]; i++)
		pick -= lens6[i][1];
	p->len = lens6[i][0];
	pl = parent_len6(p->len);
	c = pl < 0 ? -1 : class_of(pl);
	/* most nest in an earlier one of the class above; some stand alone */
	while (c >= 0 && (!bc->n[c] || rng_below(r, 100) >= 85))
		c--;
	if (c < 0)
		in_pool6(r, p);
	else
		inside6(r, &v[bc->idx[c][rng_below(r, bc->n[c])]], p);
	mask_to(p);
}

int routegen_dist_parse(const char *s, enum routegen_dist *d)
{
	if (!strcmp(s, "uniform"))
		*d = ROUTEGEN_UNIFORM;
	else if (!strcmp(s, "real"))
		*d = ROUTEGEN_REAL;
	else
		return -EINVAL;
	return 0;
}

int routegen(bool v6, enum routegen_dist dist, size_t n, struct routegen_pfx **out)
{
	struct rng r = { .s = 0x9e3779b97f4a7c15ULL ^ (v6 ? 6 : 4) ^ (__u64)dist << 8 };
	struct routegen_pfx *v = calloc(n ? n : 1, sizeof(*v));
	struct byclass bc = {};
	struct pset s = {};
	size_t i, k;
	int c, err = 0;

	for (s.cap = 1024; s.cap < 2 * n; s.cap *= 2)
		;
	s.slot = calloc(s.cap, sizeof(*s.slot));
	for (c = 0; c < 3; c++)
		bc.idx[c] = malloc((n ? n : 1) * sizeof(__u32));
	if (!v || !s.slot || !bc.idx[0] || !bc.idx[1] || !bc.idx[2]) {
		err = -ENOMEM;
		goto out;
	}
	s.v = v;
	for (i = 0; i < n;) {
		if (v6)
			gen6(&r, dist, &bc, v, &v[i]);
		else
			gen4(&r, dist, &v[i]);
		if (!pset_add(&s, i))
			continue;
		c = v6 ? class_of(v[i].len) : -1;
		if (c >= 0)
			bc.idx[c][bc.n[c]++] = i;
		i++;
	}
	/* load order: any (a feed is not sorted) */
	for (i = n; i > 1; i--) {
		struct routegen_pfx t = v[i - 1];

		k = rng_below(&r, i);
		v[i - 1] = v[k];
		v[k] = t;
	}
	*out = v;
	v = NULL;
out:
	free(v);
	free(s.slot);
	for (c = 0; c < 3; c++)
		free(bc.idx[c]);
	return err;
}

void routegen_inside(bool v6, const struct routegen_pfx *p, __u64 seed, __be32 addr[4])
{
	struct rng r = { .s = seed * 0x9e3779b97f4a7c15ULL | 1 };
	struct routegen_pfx x;

	if (!v6) {
		__u32 m = p->len ? ~0u << (32 - p->len) : 0;

		memset(addr, 0, 16);
		addr[0] = htonl((ntohl(p->addr[0]) & m) | ((__u32)rng_next(&r) & ~m));
		return;
	}
	inside6(&r, p, &x);
	memcpy(addr, x.addr, 16);
}
