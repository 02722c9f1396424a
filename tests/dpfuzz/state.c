// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the model remembers between frames, as the datapath does: the
 * connection table, xgw_ct_seen, persistence; and the counters every
 * frame must have moved. A frame's changes are applied by
 * fz_model_commit() once the driver has compared it.
 */
#include <stdlib.h>
#include <string.h>

#include "model.h"

static uint32_t ct_slot(const struct fz_flow *k)
{
	return fz_flow_hash(k) & (FZ_CT_SLOTS - 1);
}

static bool flow_eq(const struct fz_flow *a, const struct fz_flow *b)
{
	return a->family == b->family && a->proto == b->proto && a->sport == b->sport &&
	       a->dport == b->dport && !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16);
}

struct fz_ct *fz_ct_find(struct fz_state *st, const struct fz_flow *k)
{
	uint32_t i = ct_slot(k), n;

	for (n = 0; n < FZ_CT_SLOTS; n++, i = (i + 1) & (FZ_CT_SLOTS - 1)) {
		if (!st->ct[i].used)
			return NULL;
		if (flow_eq(&st->ct[i].key, k))
			return &st->ct[i];
	}
	return NULL;
}

static void ct_put(struct fz_state *st, const struct fz_ct *e)
{
	uint32_t i = ct_slot(&e->key), n;

	for (n = 0; n < FZ_CT_SLOTS; n++, i = (i + 1) & (FZ_CT_SLOTS - 1)) {
		if (!st->ct[i].used || flow_eq(&st->ct[i].key, &e->key)) {
			st->nct += !st->ct[i].used;
			st->ct[i] = *e;
			return;
		}
	}
}

/* An entry made or changed; a new NAT reply key is kept for the generator's replies. */
static void ct_commit(struct fz_state *st, const struct fz_ct *e)
{
	bool fresh = !fz_ct_find(st, &e->key);

	ct_put(st, e);
	if (fresh && e->kind == XGW_CT_NAT_REPLY && st->nreplies < FZ_REPLIES)
		st->replies[st->nreplies++] = e->key;
}

static void persist_put(struct fz_state *st, const struct fz_persist *p)
{
	int i, free_ = -1;

	for (i = 0; i < FZ_PERSIST_SLOTS; i++) {
		struct fz_persist *e = &st->persist[i];

		if (e->used && e->svc == p->svc && e->family == p->family &&
		    !memcmp(e->client, p->client, 16)) {
			*e = *p;
			return;
		}
		if (!e->used && free_ < 0)
			free_ = i;
	}
	if (free_ >= 0)
		st->persist[free_] = *p;
}

static void lb_count(struct xgw_lb_counter *c, size_t len, bool new_flow)
{
	c->packets++;
	c->bytes += len;
	c->new_flows += new_flow;
}

void fz_model_commit(struct fz_state *st, const struct fz_expect *x, size_t in_len)
{
	int i;

	for (i = 0; i < x->nops; i++) {
		const struct fz_op *op = &x->ops[i];

		if (op->kind == FZ_OP_SEEN) {
			if (!st->seen[op->slot] && st->nseen_used < XGW_CT_SEEN_SLOTS)
				st->seen_used[st->nseen_used++] = op->slot;
			st->seen[op->slot] = op->val;
		}
		else if (op->kind == FZ_OP_CT)
			ct_commit(st, &op->ct);
		else
			persist_put(st, &op->p);
	}
	st->cnt.reason[x->reason].packets++;
	st->cnt.reason[x->reason].bytes += in_len;
	if (x->nh && x->nh < FZ_MAX_NH) {
		st->cnt.nh[x->nh].packets++;
		st->cnt.nh[x->nh].bytes += in_len;
	}
	if (x->svc && x->svc < FZ_MAX_SVC)
		lb_count(&st->cnt.svc[x->svc], in_len, x->new_flow);
	if (x->be && x->be < FZ_MAX_BE)
		lb_count(&st->cnt.be[x->be], in_len, x->new_flow);
}

int fz_state_init(struct fz_state *st)
{
	memset(st, 0, sizeof(*st));
	st->ct = calloc(FZ_CT_SLOTS, sizeof(*st->ct));
	st->seen = calloc(XGW_CT_SEEN_SLOTS, sizeof(*st->seen));
	st->seen_used = calloc(XGW_CT_SEEN_SLOTS, sizeof(*st->seen_used));
	st->replies = calloc(FZ_REPLIES, sizeof(*st->replies));
	st->persist = calloc(FZ_PERSIST_SLOTS, sizeof(*st->persist));
	if (!st->ct || !st->seen || !st->seen_used || !st->persist || !st->replies) {
		fz_state_free(st);
		return -1;
	}
	return 0;
}

void fz_state_reset(struct fz_state *st)
{
	memset(st->ct, 0, FZ_CT_SLOTS * sizeof(*st->ct));
	while (st->nseen_used)
		st->seen[st->seen_used[--st->nseen_used]] = 0;
	memset(st->persist, 0, FZ_PERSIST_SLOTS * sizeof(*st->persist));
	memset(&st->cnt, 0, sizeof(st->cnt));
	st->nct = 0;
	st->nreplies = 0;
}

void fz_state_free(struct fz_state *st)
{
	free(st->ct);
	free(st->seen);
	free(st->seen_used);
	free(st->replies);
	free(st->persist);
	memset(st, 0, sizeof(*st));
}

const struct fz_persist *persist_find(const struct fz_state *st, uint32_t svc,
				      const struct fz_flow *k)
{
	int i;

	for (i = 0; i < FZ_PERSIST_SLOTS; i++) {
		const struct fz_persist *e = &st->persist[i];

		if (e->used && e->svc == svc && e->family == k->family &&
		    !memcmp(e->client, k->src, 16))
			return e;
	}
	return NULL;
}

void op_add(struct fz_expect *x, const struct fz_op *op)
{
	if (x->nops < FZ_MAX_OPS)
		x->ops[x->nops++] = *op;
}
