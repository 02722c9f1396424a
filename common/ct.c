// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The connection table's clock and sweep: see ct.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ct.h"
#include "clock.skel.h"

#define SWEEP_BATCH	4096	/* entries per lookup_batch call */

int xgw_clock_open(struct xgw_clock *c)
{
	c->skel = clock_bpf__open_and_load();
	return c->skel ? 0 : -errno;
}

void xgw_clock_close(struct xgw_clock *c)
{
	clock_bpf__destroy(c->skel);
	c->skel = NULL;
}

int xgw_clock_now(const struct xgw_clock *c, __u64 *jiffies, __u64 *ns)
{
	__u64 in[8] = { 0 }, out[8];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = sizeof(in),
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(bpf_program__fd(c->skel->progs.xgw_clock), &o))
		return -errno;
	if (o.retval != XDP_PASS)
		return -EIO;
	*jiffies = out[0];
	if (ns)
		*ns = out[1];
	return 0;
}

/* The value of @v[0..n-1] nearest @rate. */
static __u32 clock_nearest(const __u32 *v, size_t n, double rate)
{
	double best = -1, d;
	__u32 hz = v[0];
	size_t i;

	for (i = 0; i < n; i++) {
		d = rate > v[i] ? rate - v[i] : v[i] - rate;
		if (best < 0 || d < best) {
			best = d;
			hz = v[i];
		}
	}
	return hz;
}

int xgw_clock_hz(const struct xgw_clock *c, unsigned int ms, __u32 *hz)
{
	/* CONFIG_HZ's choices: x86's and most arm64 builds first, then others' */
	static const __u32 common[] = { 100, 250, 300, 1000 };
	static const __u32 other[] = { 24, 32, 48, 64, 128, 200, 256, 500, 512, 1024, 1200 };
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	__u64 j0, n0, j1, n1;
	double rate;
	int err;

	err = xgw_clock_now(c, &j0, &n0);
	if (!err)
		nanosleep(&ts, NULL);
	if (!err)
		err = xgw_clock_now(c, &j1, &n1);
	if (err)
		return err;
	if (n1 <= n0)
		return -EIO;
	rate = (double)(j1 - j0) * 1e9 / (double)(n1 - n0);
	*hz = clock_nearest(common, sizeof(common) / sizeof(common[0]), rate);
	if (rate < *hz * 0.97 || rate > *hz * 1.03)	/* none of those: the rest */
		*hz = clock_nearest(other, sizeof(other) / sizeof(other[0]), rate);
	return 0;
}

static bool ct_dead(const struct xgw_config *cfg, const struct xgw_ct_entry *e, __u8 proto,
		    __u32 now)
{
	/* expired XGW_CT_SWEEP_MARGIN_S ago, i.e. at now - margin */
	return xgw_ct_expired(cfg, e, proto, now - XGW_CT_SWEEP_MARGIN_S * xgw_ct_hz(cfg));
}

static void ct_peer_key(const struct xgw_ct_entry *e, const struct xgw_flow_key *k,
			struct xgw_flow_key *pk)
{
	memset(pk, 0, sizeof(*pk));
	memcpy(pk->src, e->nat_dst, sizeof(pk->src));
	memcpy(pk->dst, e->nat_src, sizeof(pk->dst));
	pk->sport = e->nat_dport;
	pk->dport = e->nat_sport;
	pk->proto = k->proto;
	pk->family = k->family;
}

/*
 * A NAT entry @e (key @k) that has outlived its own timeout: delete it, with
 * its peer when the flow as a whole (newer time, every state byte) is over
 * too; keep both while the other direction keeps the flow alive.
 */
static void ct_sweep_nat(int fd, const struct xgw_config *cfg, __u32 now,
			 const struct xgw_flow_key *k, const struct xgw_ct_entry *e,
			 struct xgw_ct_sweep *st)
{
	struct xgw_flow_key pk, back;
	struct xgw_ct_entry p, m;

	ct_peer_key(e, k, &pk);
	if (bpf_map_lookup_elem(fd, &pk, &p) || p.kind == e->kind || p.kind == XGW_CT_LB) {
		st->orphans++;
		st->deleted += !bpf_map_delete_elem(fd, k);
		return;
	}
	ct_peer_key(&p, &pk, &back);
	if (memcmp(&back, k, sizeof(back))) {	/* the peer belongs to a newer flow */
		st->orphans++;
		st->deleted += !bpf_map_delete_elem(fd, k);
		return;
	}
	m = *e;
	if ((__s32)(p.atime - m.atime) > 0)
		m.atime = p.atime;
	m.est |= p.est;
	m.fin_orig |= p.fin_orig;
	m.fin_reply |= p.fin_reply;
	m.rst |= p.rst;
	if (!ct_dead(cfg, &m, k->proto, now))
		return;
	/* the orig entry first: until the reply entry goes, the port stays taken */
	if (e->kind == XGW_CT_NAT_ORIG) {
		st->deleted += !bpf_map_delete_elem(fd, k);
		st->deleted += !bpf_map_delete_elem(fd, &pk);
	} else {
		st->deleted += !bpf_map_delete_elem(fd, &pk);
		st->deleted += !bpf_map_delete_elem(fd, k);
	}
	st->nat_flows++;
}

int xgw_ct_sweep(int fd, const struct xgw_config *cfg, __u32 now, struct xgw_ct_sweep *out)
{
	struct xgw_flow_key *keys = calloc(SWEEP_BATCH, sizeof(*keys));
	struct xgw_ct_entry *vals = calloc(SWEEP_BATCH, sizeof(*vals));
	__u8 in_batch[sizeof(struct xgw_flow_key)], out_batch[sizeof(struct xgw_flow_key)];
	struct xgw_ct_sweep st = { 0 };
	bool first = true, last = false;
	__u32 n, i;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	while (!last) {
		n = SWEEP_BATCH;
		if (bpf_map_lookup_batch(fd, first ? NULL : in_batch, out_batch, keys, vals, &n,
					 NULL)) {
			if (errno != ENOENT) {
				err = -errno;
				goto out;
			}
			last = true;	/* n holds what the last batch had */
		}
		first = false;
		memcpy(in_batch, out_batch, sizeof(in_batch));
		for (i = 0; i < n; i++) {
			const struct xgw_ct_entry *e = &vals[i];

			st.entries++;
			if (!ct_dead(cfg, e, keys[i].proto, now))
				continue;
			if (e->kind == XGW_CT_NAT_ORIG || e->kind == XGW_CT_NAT_REPLY)
				ct_sweep_nat(fd, cfg, now, &keys[i], e, &st);
			else
				st.deleted += !bpf_map_delete_elem(fd, &keys[i]);
		}
	}
out:
	if (out)
		*out = st;
	free(keys);
	free(vals);
	return err;
}
