// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Next hops rewritten while frames flow: never a half-written one.
 *
 * A writer thread changes one next hop back and forth between two
 * versions, A and B, that differ in every byte the rewrite copies (both
 * MACs), as fast as common/nhtable.c lets it (xgw_nh_write(): fill the
 * version not in use, switch, a grace period before writing a version
 * again). Meanwhile the main thread, on the other CPU, sends frames through
 * BPF_PROG_TEST_RUN, one per call: each must leave with A's MACs or B's,
 * never a mix. The same harness then writes the live version in place, a
 * byte at a time (what an unprotected update does, stretched out): the
 * check must see mixed frames there, or it proves nothing (then SKIP).
 * Output: TAP.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "route_fix.h"

#define NH	1
#define RUN_S	1.5

static const struct nh_def nexthops[] = {
	{ NH, 0, 1500, 0, { 2, 0xa0, 0xa0, 0xa0, 0xa0, 0xa0 }, { 2, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa },
	  true },
};

static const struct route_def routes[] = {
	{ "10.60.0.0/16", XGW_RT_NEXTHOP, 0, NH },
};

struct swap {
	struct t *t;
	struct xgw_nexthop v[2];	/* A, B */
	bool in_place;			/* the unprotected way */
	atomic_bool stop;
	unsigned long writes;
	int err;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Overwrite the live version byte by byte, as no writer may. */
static void write_in_place(struct xgw_nh_table *nht, const struct xgw_nexthop *v)
{
	struct xgw_nh_slot *s = &nht->slot[NH];
	volatile uint8_t *dst = (volatile uint8_t *)&s->v[s->gen & 1];
	const uint8_t *src = (const uint8_t *)v;
	size_t i;

	for (i = 0; i < sizeof(*v); i++)
		dst[i] = src[i];
}

static void *writer(void *arg)
{
	struct swap *w = arg;

	pin(0);
	while (!atomic_load(&w->stop)) {
		const struct xgw_nexthop *v = &w->v[w->writes & 1];

		if (w->in_place) {
			write_in_place(&w->t->nht, v);
		} else {
			w->err = xgw_nh_write(&w->t->nht, NH, v);
			if (w->err)
				break;
		}
		w->writes++;
	}
	return NULL;
}

static struct xgw_nexthop version(const uint8_t d, const uint8_t s, uint32_t ifindex)
{
	struct xgw_nexthop v = { .ifindex = ifindex, .mtu = 1500, .flags = XGW_NH_F_RESOLVED };

	memset(v.dmac, d, 6);
	memset(v.smac, s, 6);
	v.dmac[0] = v.smac[0] = 2;	/* unicast, locally administered */
	return v;
}

/*
 * Frames sent for RUN_S seconds while the writer runs; counts of frames
 * that left with A's MACs, B's, or a mix (anything else is an error).
 */
static int run(struct swap *w, unsigned long *a, unsigned long *b, unsigned long *mixed)
{
	static uint8_t in[PKT_MAX];
	struct pkt_spec s = V4(.dst = "10.60.1.1");
	size_t len = pkt_build(&s, in);
	static struct pkt_run r;
	pthread_t th;
	double end;

	*a = *b = *mixed = 0;
	atomic_store(&w->stop, false);
	/* A first, before any frame: then every frame must be A or B */
	if (w->in_place)
		write_in_place(&w->t->nht, &w->v[0]);
	else if (xgw_nh_write(&w->t->nht, NH, &w->v[0]))
		return -EIO;
	w->writes = 1;
	if (pthread_create(&th, NULL, writer, w))
		return -errno;
	pin(1);
	for (end = now() + RUN_S; now() < end;) {
		pkt_run(w->t->prog_fd, in, len, 1, &r);
		if (r.err || r.retval != XDP_REDIRECT)
			break;
		if (!memcmp(r.out, w->v[0].dmac, 12))
			(*a)++;
		else if (!memcmp(r.out, w->v[1].dmac, 12))
			(*b)++;
		else
			(*mixed)++;
	}
	atomic_store(&w->stop, true);
	pthread_join(th, NULL);
	if (r.err || r.retval != XDP_REDIRECT) {
		tap_diag("run: %s, verdict %s", strerror(-r.err), pkt_verdict_name(r.retval));
		return -EIO;
	}
	return w->err;
}

int main(void)
{
	struct swap w = { 0 };
	unsigned long a, b, mixed;
	struct t t;
	int err;

	if (FIX_OPEN(&t))
		goto out;
	if (libbpf_num_possible_cpus() < 2) {
		tap_result(true, "next hop swapped under traffic # SKIP needs 2 CPUs");
		goto out;
	}
	w.t = &t;
	w.v[0] = version(0xa1, 0xa2, t.port_ifindex);
	w.v[1] = version(0xb1, 0xb2, t.port_ifindex);

	err = run(&w, &a, &b, &mixed);
	tap_diag("xgw_nh_write: %lu writes, frames %lu with A, %lu with B, %lu mixed",
		 w.writes, a, b, mixed);
	tap_result(!err && !mixed && a && b && w.writes >= 20,
		   "next hop switched %lu times under %lu frames: every frame wholly A or B",
		   w.writes, a + b + mixed);

	w.in_place = true;
	err = run(&w, &a, &b, &mixed);
	tap_diag("in place, byte by byte: %lu writes, frames %lu with A, %lu with B, %lu mixed",
		 w.writes, a, b, mixed);
	if (!err && !mixed)
		tap_result(true, "the check sees torn writes # SKIP none provoked in %.1f s", RUN_S);
	else
		tap_result(!err, "the check sees torn writes: %lu mixed frames when written in place",
			   mixed);
out:
	fix_close(&t);
	return tap_finish();
}
