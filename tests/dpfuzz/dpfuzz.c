// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dpfuzz: the differential datapath fuzzer (issue #14). For each of many
 * random configurations (one seed each), random and mutated frames go
 * through the real xgw_xdp (BPF_PROG_TEST_RUN, a fresh copy of the frame
 * each time) and through the reference model (model.c); verdict, reason,
 * the frame out byte for byte and every counter must agree. Output: TAP, one
 * line per configuration; a disagreement prints the seeds, the
 * configuration and both answers, and the command that replays it.
 *
 *   dpfuzz [--seconds S] [--frames N] [--per-config N] [--seed S]
 *   dpfuzz --config CFGSEED [--upto FRAME] [-v]     (replay one configuration;
 *                                                   -vv: every frame, -vvv: its bytes)
 *
 * --strict models no known bug (known.h): each shows as a disagreement.
 *
 * Without --frames the run is bounded by --seconds (default 45: make
 * check's slice); `make fuzz` runs 10M frames.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "dp.h"
#include "fz.h"
#include "known.h"

#define CHECKPOINT	512	/* frames between reads of every counter */
#define EVENTS		1000	/* frames between chances of a change (fz_cfg_event) */
#define REPORTS_MAX	5	/* disagreements reported in full per run */

struct opts {
	uint64_t seed;
	unsigned long frames;		/* 0: until --seconds */
	unsigned long per_config;
	double seconds;
	bool replay;			/* --config: one configuration */
	uint64_t cfg_seed;
	unsigned long upto;		/* replay: stop after this frame */
	int verbose;
};

/* One frame and both answers. */
struct fz_seen {
	const uint8_t *in;
	size_t len;
	const struct fz_expect *x;	/* the model's */
	const struct dp_run *r;		/* the datapath's */
	int reason;			/* the datapath's reason, -1 if none or several */
	int link;			/* ingress link */
};

struct run {
	struct dp *dp;
	struct fz_state st;
	struct fz_counts base;		/* the datapath's counters when the configuration began */
	unsigned long frames, disagree, known;
	unsigned long reports;
	uint64_t cfg_printed;
	char last[400];			/* the last frame, told in one line */
	unsigned long by_class[XGW_CLASS_MAX];
	unsigned long by_reason[XGW_REASON_MAX];
	unsigned long by_path[FZ_P_MAX];
	const struct opts *o;
};

static const char *verdict_name(uint32_t v)
{
	static const char *const n[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					 "XDP_REDIRECT" };

	return v < 5 ? n[v] : "XDP_?";
}

static void hexdump(const char *title, const uint8_t *p, size_t len, const uint8_t *other,
		    size_t olen)
{
	size_t i;

	printf("#   %s (%zu bytes)%s\n", title, len, other ? ", * marks a difference" : "");
	for (i = 0; i < len; i++) {
		bool d = other && (i >= olen || other[i] != p[i]);

		if (i % 16 == 0)
			printf("#     %04zx:", i);
		printf(" %02x%s", p[i], d ? "*" : "");
		if (i % 16 == 15 || i + 1 == len)
			printf("\n");
	}
}

static uint64_t mix(uint64_t x)
{
	struct fz_rng r = { x };

	return fz_rand(&r);
}

/* The reason whose counter moved by one packet of @len bytes; -1: not exactly one. */
static int moved_reason(const struct fz_counts *a, const struct fz_counts *b, size_t len)
{
	int i, found = -1;

	for (i = 0; i < XGW_REASON_MAX; i++) {
		uint64_t dp = a->reason[i].packets - b->reason[i].packets;
		uint64_t db = a->reason[i].bytes - b->reason[i].bytes;

		if (!dp && !db)
			continue;
		if (dp != 1 || db != len || found >= 0)
			return -1;
		found = i;
	}
	return found;
}

static const char *reason_name(int r)
{
	return r >= 0 && r < XGW_REASON_MAX ? xgw_reason_desc[r].name : "(none or several)";
}

/* Frames that took a known bug's deviation count for it (known.h). */
static void known_count(uint32_t bits, uint64_t cfg, unsigned long frame)
{
	int id;

	for (id = 1; id < FZ_K_MAX; id++) {
		struct fz_known *k = &fz_known[id];

		if (!(bits & 1u << id))
			continue;
		if (!k->hits++) {
			k->first_cfg = cfg;
			k->first_frame = frame;
		}
	}
}

static void report(struct run *ru, const struct fz_cfg *c, unsigned long i, const char *what,
		   const struct fz_seen *s)
{
	ru->reports++;
	printf("# DISAGREEMENT: config seed %#llx frame %lu (%s, ingress link %d)\n",
	       (unsigned long long)c->seed, i, what, s->link);
	if (ru->reports > REPORTS_MAX && !ru->o->verbose)
		return;
	printf("#   model:    %s %s [%s]\n", verdict_name(s->x->verdict),
	       xgw_reason_desc[s->x->reason].name, s->x->why);
	printf("#   datapath: %s %s%s\n", verdict_name(s->r->verdict), reason_name(s->reason),
	       s->r->err ? " (BPF_PROG_TEST_RUN failed)" : "");
	hexdump("frame in", s->in, s->len, NULL, 0);
	hexdump("expected out", s->x->out, s->x->out_len, s->r->out, s->r->out_len);
	hexdump("actual out", s->r->out, s->r->out_len, s->x->out, s->x->out_len);
	if (ru->cfg_printed != c->seed)
		fz_cfg_print(c);
	ru->cfg_printed = c->seed;
	printf("#   replay: %s --config %#llx --upto %lu -v\n", "build/tests/pkt/dpfuzz",
	       (unsigned long long)c->seed, i);
}

/*
 * The reason the datapath counted for a frame of @len bytes: the model's
 * if its counter moved by this frame (every other reason's counter is
 * compared at the next checkpoint), else the one that moved (-1: not
 * exactly one). @exact: read them all.
 */
static int frame_reason(struct run *ru, const struct fz_expect *x, size_t len,
			struct fz_counts *before, bool exact)
{
	struct xgw_counter *b = &before->reason[x->reason], now;
	struct fz_counts after;
	int r;

	if (!exact) {
		if (dp_count_reason(ru->dp, x->reason, &now))
			exit(2);
		if (now.packets == b->packets + 1 && now.bytes == b->bytes + len) {
			*b = now;
			return (int)x->reason;
		}
	}
	if (dp_counts(ru->dp, &after, false))
		exit(2);
	r = moved_reason(&after, before, len);
	memcpy(before->reason, after.reason, sizeof(after.reason));
	return r;
}

/*
 * A known bug's deviation that changes nothing one can observe (verdict,
 * reason, frame, counters) is not counted as showing the bug: the model
 * without deviations is asked too.
 */
static void known_moot(const struct fz_cfg *c, struct run *ru, const uint8_t *in, size_t len,
		       int link, struct fz_expect *x)
{
	static struct fz_expect xs;

	fz_known_strict = true;
	fz_model(c, &ru->st, in, len, link, &xs);
	fz_known_strict = false;
	if (xs.verdict == x->verdict && xs.reason == x->reason && xs.out_len == x->out_len &&
	    !memcmp(xs.out, x->out, x->out_len) && xs.nh == x->nh && xs.svc == x->svc &&
	    xs.be == x->be && xs.new_flow == x->new_flow)
		x->known = 0;
}

/* One frame: model, datapath, comparison. false on a disagreement not known. */
static bool one_frame(struct run *ru, const struct fz_cfg *c, struct fz_gen *g, unsigned long i,
		      struct fz_counts *before, bool exact)
{
	static uint8_t in[FZ_FRAME_MAX + 64];
	static struct fz_expect x;
	static struct dp_run r;
	struct fz_seen s = { in, 0, &x, &r, -1, 0 };
	const char *what;
	bool same;

	s.len = fz_gen_frame(g, &ru->st, in, &what, &s.link);
	fz_model(c, &ru->st, in, s.len, s.link, &x);
	if (x.known)
		known_moot(c, ru, in, s.len, s.link, &x);
	dp_run(ru->dp, in, s.len, s.link, &r);	/* the kernel copies @in: a fresh frame each run */
	if (x.nat_choice && !r.err)
		fz_model_nat_choice(c, &ru->st, in, s.len, s.link, r.verdict, r.out, r.out_len, &x);
	if (x.icmp_id_at && !r.err && r.verdict == XDP_TX)
		fz_model_icmp_id(&x, r.out, r.out_len);
	s.reason = frame_reason(ru, &x, s.len, before, exact);
	same = !r.err && r.verdict == x.verdict && s.reason == (int)x.reason &&
	       r.out_len == x.out_len && !memcmp(r.out, x.out, x.out_len);
	snprintf(ru->last, sizeof(ru->last),
		 "# frame %lu (%s, %zu bytes, link %d): model %s [%s], datapath %s %s", i, what, s.len,
		 s.link, xgw_reason_desc[x.reason].name, x.why, verdict_name(r.verdict),
		 reason_name(s.reason));
	if (ru->o->verbose > 1 || (ru->o->verbose && (!same || (ru->o->replay && i == ru->o->upto))))
		printf("%s\n", ru->last);
	if (ru->o->verbose > 2)		/* -vvv: every frame's bytes */
		hexdump("in", in, s.len, NULL, 0);
	ru->frames++;
	ru->by_class[xgw_reason_desc[x.reason].cls]++;
	ru->by_reason[x.reason]++;
	if (x.verdict == XDP_REDIRECT && x.out_len >= 14 && fz_rd16(x.out + 12) == 0x8100)
		x.paths |= 1u << FZ_P_VLAN_OUT;
	for (int p = 0; p < FZ_P_MAX; p++)
		ru->by_path[p] += x.paths >> p & 1;
	fz_model_commit(&ru->st, &x, s.len);
	if (x.known && same) {
		known_count(x.known, c->seed, i);
		ru->known++;
	}
	if (same)
		return true;
	ru->disagree++;
	report(ru, c, i, what, &s);
	/* carry on from what the datapath did: its counters become the model's */
	ru->st.cnt.reason[x.reason].packets--;
	ru->st.cnt.reason[x.reason].bytes -= s.len;
	if (s.reason >= 0) {
		ru->st.cnt.reason[s.reason].packets++;
		ru->st.cnt.reason[s.reason].bytes += s.len;
	}
	return false;
}

static bool counts_equal(const struct fz_counts *want, const struct fz_counts *now,
			 const struct fz_counts *base, bool report)
{
	bool ok = true;
	int i, f;

	for (i = 0; i < XGW_REASON_MAX; i++)
		if (now->reason[i].packets - base->reason[i].packets != want->reason[i].packets ||
		    now->reason[i].bytes - base->reason[i].bytes != want->reason[i].bytes) {
			if (report)
				printf("#   reason %s: +%llu packets +%llu bytes, model +%llu +%llu\n",
				       xgw_reason_desc[i].name,
				       (unsigned long long)(now->reason[i].packets -
							    base->reason[i].packets),
				       (unsigned long long)(now->reason[i].bytes - base->reason[i].bytes),
				       (unsigned long long)want->reason[i].packets,
				       (unsigned long long)want->reason[i].bytes);
			ok = false;
		}
	for (i = 0; i < FZ_MAX_NH; i++)
		if (now->nh[i].packets - base->nh[i].packets != want->nh[i].packets ||
		    now->nh[i].bytes - base->nh[i].bytes != want->nh[i].bytes) {
			if (report)
				printf("#   nh %d: +%llu packets +%llu bytes, model +%llu +%llu\n", i,
				       (unsigned long long)(now->nh[i].packets - base->nh[i].packets),
				       (unsigned long long)(now->nh[i].bytes - base->nh[i].bytes),
				       (unsigned long long)want->nh[i].packets,
				       (unsigned long long)want->nh[i].bytes);
			ok = false;
		}
	for (i = 0; i < FZ_MAX_SVC + FZ_MAX_BE; i++) {
		const struct xgw_lb_counter *w = i < FZ_MAX_SVC ? &want->svc[i] :
								  &want->be[i - FZ_MAX_SVC];
		const struct xgw_lb_counter *n = i < FZ_MAX_SVC ? &now->svc[i] :
								  &now->be[i - FZ_MAX_SVC];
		const struct xgw_lb_counter *b = i < FZ_MAX_SVC ? &base->svc[i] :
								  &base->be[i - FZ_MAX_SVC];
		const uint64_t dw[3] = { w->packets, w->bytes, w->new_flows };
		const uint64_t dn[3] = { n->packets - b->packets, n->bytes - b->bytes,
					 n->new_flows - b->new_flows };

		for (f = 0; f < 3; f++)
			if (dw[f] != dn[f]) {
				if (report)
					printf("#   %s %d %s: +%llu, model +%llu\n",
					       i < FZ_MAX_SVC ? "service" : "backend",
					       i < FZ_MAX_SVC ? i : i - FZ_MAX_SVC,
					       f == 0 ? "packets" : f == 1 ? "bytes" : "new flows",
					       (unsigned long long)dn[f], (unsigned long long)dw[f]);
				ok = false;
				break;
			}
	}
	return ok;
}

/* The model's counters become the datapath's: @want = @now - @base, field by field. */
static void counts_resync(struct fz_counts *want, const struct fz_counts *now,
			  const struct fz_counts *base)
{
	uint64_t *w = (uint64_t *)want;
	const uint64_t *n = (const uint64_t *)now, *b = (const uint64_t *)base;
	size_t i;

	_Static_assert(sizeof(struct fz_counts) % 8 == 0, "fz_counts: u64 fields only");
	for (i = 0; i < sizeof(*want) / 8; i++)
		w[i] = n[i] - b[i];
}

/*
 * Run configuration @seed for @n frames. @exact: every counter after every
 * frame (a replay); else the next hop, service and backend counters every
 * CHECKPOINT frames. Returns the frames whose counters disagreed (one per
 * checkpoint), 0 if none.
 */
static unsigned long run_config(struct run *ru, uint64_t seed, unsigned long n, bool exact,
				unsigned long *bad_at)
{
	static struct fz_cfg c;
	struct fz_counts before, now;
	struct fz_gen *g;
	unsigned long i, bad = 0;

	fz_cfg_random(&c, seed);
	if (ru->o->verbose > 1 || (ru->o->replay && ru->o->verbose))
		fz_cfg_print(&c);
	fz_state_reset(&ru->st);
	g = fz_gen_new(&c, mix(seed));
	if (!g || dp_apply(ru->dp, &c) || dp_counts(ru->dp, &ru->base, true))
		exit(2);
	before = ru->base;
	for (i = 0; i < n; i++) {
		if (i % EVENTS == EVENTS - 1 && mix(seed + i) % 2) {
			char what[96];
			unsigned int ev = fz_cfg_event(&c, mix(seed ^ i), what, sizeof(what));

			if (ru->o->verbose > 1 || (ru->o->replay && ru->o->verbose))
				printf("# before frame %lu: %s\n", i, what);
			if (dp_update(ru->dp, &c, ev))
				exit(2);
		}
		one_frame(ru, &c, g, i, &before, exact);
		if (!exact && (i + 1) % CHECKPOINT && i + 1 != n)
			continue;
		if (dp_counts(ru->dp, &now, true))
			exit(2);
		if (!counts_equal(&ru->st.cnt, &now, &ru->base, false)) {
			if (!bad++)
				*bad_at = i;
			/* report once, then go on from the datapath's counters */
			printf("# DISAGREEMENT: config seed %#llx counters after frame %lu:\n",
			       (unsigned long long)seed, i);
			counts_equal(&ru->st.cnt, &now, &ru->base, true);
			if (exact)
				printf("%s\n", ru->last);
			counts_resync(&ru->st.cnt, &now, &ru->base);
		}
		before = now;
		if (ru->o->replay && i >= ru->o->upto)
			break;
	}
	fz_gen_free(g);
	if (dp_clear(ru->dp, &c, ru->st.seen_used, ru->st.nseen_used))
		exit(2);
	return bad;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: dpfuzz [--seconds S] [--frames N] [--per-config N] [--seed S] [--strict] [-v]\n"
			"       dpfuzz --config CFGSEED [--upto FRAME] [--strict] [-v]\n");
	exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "seconds", 1, NULL, 's' }, { "frames", 1, NULL, 'n' },
		{ "per-config", 1, NULL, 'p' }, { "seed", 1, NULL, 'S' },
		{ "config", 1, NULL, 'c' }, { "upto", 1, NULL, 'u' },
		{ "verbose", 0, NULL, 'v' }, { "strict", 0, NULL, 'x' }, { NULL, 0, NULL, 0 },
	};
	char *end;
	int ch;

	*o = (struct opts){ .seconds = 45, .per_config = 20000 };
	o->seed = mix((uint64_t)time(NULL) ^ (uint64_t)getpid() << 32);
	while ((ch = getopt_long(argc, argv, "v", lo, NULL)) != -1) {
		errno = 0;
		end = NULL;
		switch (ch) {
		case 's': o->seconds = strtod(optarg, &end); break;
		case 'n': o->frames = strtoul(optarg, &end, 0); break;
		case 'p': o->per_config = strtoul(optarg, &end, 0); break;
		case 'S': o->seed = strtoull(optarg, &end, 0); break;
		case 'c': o->cfg_seed = strtoull(optarg, &end, 0), o->replay = true; break;
		case 'u': o->upto = strtoul(optarg, &end, 0); break;
		case 'v': o->verbose++; continue;
		case 'x': fz_known_strict = true; continue;
		default: usage();
		}
		if (errno || !end || *end) {
			fprintf(stderr, "dpfuzz: bad number \"%s\"\n", optarg);
			exit(2);
		}
	}
	if (optind != argc || !o->per_config)
		usage();
	if (o->replay && !o->upto)
		o->upto = o->per_config - 1;
}

static void pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu >= 0 ? cpu : 0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int finish_known(int n)
{
	int i;

	for (i = 1; i < FZ_K_MAX; i++) {
		const struct fz_known *k = &fz_known[i];

		if (!k->owner)
			continue;
		printf("not ok %d - known disagreement (%s): %s; %lu frames this run", ++n, k->owner,
		       k->what, k->hits);
		if (k->hits)
			printf(", first config %#llx frame %lu", (unsigned long long)k->first_cfg,
			       k->first_frame);
		printf(" # TODO until %s's fix lands\n", k->owner);
	}
	return n;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct run ru = { .o = &o };
	unsigned long cfgs = 0, failed = 0, bad_at = 0;
	double t0;
	int n = 0;

	parse_opts(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pin_cpu();
	ru.dp = dp_open();
	printf("%sok %d - xgw object loads and verifies\n", ru.dp ? "" : "not ", ++n);
	if (!ru.dp || fz_state_init(&ru.st)) {
		printf("1..%d\n", n);
		return 1;
	}
	t0 = now_s();
	if (o.replay) {
		unsigned long bad = run_config(&ru, o.cfg_seed, o.upto + 1, true, &bad_at);

		printf("%sok %d - config %#llx replayed, %lu frames, %lu disagreements\n",
		       bad || ru.disagree ? "not " : "", ++n, (unsigned long long)o.cfg_seed,
		       ru.frames, ru.disagree + bad);
		printf("1..%d\n", n);
		return bad || ru.disagree ? 1 : 0;
	}
	printf("# seed %#llx (replay a run: --seed; one configuration: --config)\n",
	       (unsigned long long)o.seed);
	while (o.frames ? ru.frames < o.frames : now_s() - t0 < o.seconds) {
		uint64_t cs = mix(o.seed + cfgs);
		unsigned long d0 = ru.disagree, k0 = ru.known, f0 = ru.frames, bad;
		unsigned long want = o.per_config;

		if (o.frames && o.frames - ru.frames < want)
			want = o.frames - ru.frames;
		bad = run_config(&ru, cs, want, false, &bad_at);
		cfgs++;
		if (bad && ru.disagree == d0) {
			/* counters only: replay exactly to find the frame */
			struct opts ro = o;
			struct run rr = ru;

			ro.replay = true, ro.upto = bad_at, ro.verbose = 1;
			rr.o = &ro;
			rr.reports = 0;
			printf("# replaying config %#llx with every counter after every frame\n",
			       (unsigned long long)cs);
			run_config(&rr, cs, bad_at + 1, true, &bad_at);
		}
		if (bad || ru.disagree != d0)
			failed++;
		printf("%sok %d - config %#llx: %lu frames, %lu disagreements%s%lu known\n",
		       bad || ru.disagree != d0 ? "not " : "", ++n, (unsigned long long)cs,
		       ru.frames - f0, ru.disagree - d0 + bad, bad ? " (counters), " : ", ",
		       ru.known - k0);
	}
	printf("# %lu frames, %lu configurations, %.1f s (%.0f frames/s): forwarded %lu, "
	       "passed %lu, dropped %lu; %lu disagreements, %lu known\n", ru.frames, cfgs,
	       now_s() - t0, ru.frames / (now_s() - t0), ru.by_class[XGW_CLASS_FWD],
	       ru.by_class[XGW_CLASS_PASS], ru.by_class[XGW_CLASS_DROP], ru.disagree, ru.known);
	printf("# by reason (model):");
	for (int i = 0; i < XGW_REASON_MAX; i++)
		if (ru.by_reason[i])
			printf(" %s %lu", xgw_reason_desc[i].name, ru.by_reason[i]);
	printf("\n# coverage (frames):");
	{
		static const char *const names[] = {
#define FZ_X_NAME(id, name) name,
			FZ_PATHS(FZ_X_NAME)
#undef FZ_X_NAME
		};

		for (int i = 0; i < FZ_P_MAX; i++)
			printf("%s %s %lu", i ? "," : "", names[i], ru.by_path[i]);
	}
	printf("\n");
	n = finish_known(n);
	printf("1..%d\n", n);
	fz_state_free(&ru.st);
	dp_close(ru.dp);
	return failed ? 1 : 0;
}
