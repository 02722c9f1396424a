// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The real datapath for dpfuzz: see dp.h. */
#include <errno.h>
#include <sched.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "dp.h"
#include "fib_skel.h"
#include "nhtable.h"
#include "xgw.skel.h"

struct dp {
	struct xgw_bpf *skel;
	struct fib_skel fib;
	struct xgw_nh_table nht;	/* next hops, through common/nhtable.c as xgwd writes them */
	int prog_fd;
	int lo;
	int link[FZ_LINKS];	/* ifindex of each ingress link */
	int ncpu;
	void *pcpu;		/* scratch for per-CPU batch reads */
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "dpfuzz: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return err < 0 ? err : -err;
}

static int upd(struct bpf_map *m, const void *k, const void *v)
{
	if (bpf_map_update_elem(bpf_map__fd(m), k, v, BPF_ANY))
		return fail(bpf_map__name(m), errno);
	return 0;
}

/* Our own netns: loopback up, and veth pairs fzlink1.. as further ingress links. */
static int netns_links(struct dp *d)
{
	char cmd[160], name[IFNAMSIZ];
	int i;

	if (unshare(CLONE_NEWNET))
		return fail("unshare(CLONE_NEWNET)", errno);
	if (system("ip link set lo up"))
		return fail("ip link set lo up", EIO);
	d->link[0] = (int)if_nametoindex("lo");
	for (i = 1; i < FZ_LINKS; i++) {
		snprintf(name, sizeof(name), "fzlink%d", i);
		snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name %sp && "
			 "ip link set %s up && ip link set %sp up", name, name, name, name);
		if (system(cmd))
			return fail(cmd, EIO);
		d->link[i] = (int)if_nametoindex(name);
		if (!d->link[i])
			return fail(name, errno);
	}
	return 0;
}

struct dp *dp_open(void)
{
	struct dp *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return NULL;
	libbpf_set_print(NULL);
	if (netns_links(d)) {
		free(d);
		return NULL;
	}
	d->lo = (int)if_nametoindex("lo");
	d->ncpu = libbpf_num_possible_cpus();
	d->pcpu = calloc((size_t)d->ncpu * FZ_MAX_BE, sizeof(struct xgw_lb_counter));
	d->skel = xgw_bpf__open();
	if (!d->lo || d->ncpu <= 0 || !d->pcpu || !d->skel) {
		fail("open the xgw object", errno ? errno : EINVAL);
		goto err;
	}
	/* the tracing programs are not what is fuzzed, and need a tracepoint */
	bpf_program__set_autoload(d->skel->progs.xgw_trace_redirect_err, false);
	bpf_program__set_autoload(d->skel->progs.xgw_trace_devmap_xmit, false);
	err = xgw_bpf__load(d->skel);
	if (err) {
		fail("load the xgw object (verifier)", err);
		goto err;
	}
	err = fib_skel_open(&d->fib, d->skel->obj);
	if (err) {
		fail("mmap the FIBs", err);
		goto err;
	}
	err = xgw_nh_table_open(&d->nht, bpf_map__fd(d->skel->maps.xgw_nexthops),
				bpf_map__fd(d->skel->maps.xgw_nh_groups));
	if (err) {
		fail("mmap the next hops", err);
		goto err;
	}
	d->prog_fd = bpf_program__fd(d->skel->progs.xgw_xdp);
	return d;
err:
	dp_close(d);
	return NULL;
}

void dp_close(struct dp *d)
{
	if (!d)
		return;
	xgw_nh_table_close(&d->nht);
	if (d->fib.fib[0])
		fib_skel_close(&d->fib);
	xgw_bpf__destroy(d->skel);
	free(d->pcpu);
	free(d);
}

#define FZ_NO_EXPIRY	1000000

static int config_write(struct dp *d, const struct fz_cfg *c)
{
	/* The model has no clock: no entry expires within a run (a flow with
	 * a RST seen would otherwise go after ct-tcp-close-timeout, 10 s, a
	 * slice a loaded machine can take). 1000000 s is xgwd's bound. */
	struct xgw_config cfg = { .layout_version = XGW_LAYOUT_VERSION, .hz = 250,
				  .ct_udp_timeout_s = FZ_NO_EXPIRY, .ct_tcp_syn_s = FZ_NO_EXPIRY,
				  .ct_tcp_est_s = FZ_NO_EXPIRY, .ct_tcp_fin_s = FZ_NO_EXPIRY,
				  .ct_tcp_tw_s = FZ_NO_EXPIRY, .ct_tcp_close_s = FZ_NO_EXPIRY,
				  .nat_port_min = c->nat_port_min,
				  .nat_port_max = c->nat_port_max,
				  /* no rate limit: the token bucket is the clock's */
				  .icmp_rate = c->icmp ? UINT32_MAX : 0, .icmp_burst = 1 };
	uint32_t zero = 0;

	return upd(d->skel->maps.xgw_config, &zero, &cfg);
}

static int nexthops_write(struct dp *d, const struct fz_cfg *c, bool clear)
{
	struct bpf_devmap_val port = { .ifindex = (uint32_t)d->lo };
	uint32_t i;
	int err = 0, j;

	for (j = 0; j < c->nports && !err; j++) {
		if (clear)
			bpf_map_delete_elem(bpf_map__fd(d->skel->maps.xgw_tx_ports), &c->ports[j]);
		else
			err = upd(d->skel->maps.xgw_tx_ports, &c->ports[j], &port);
	}
	for (i = 1; i < FZ_MAX_NH && !err; i++) {
		const struct fz_nh *n = &c->nh[i];
		struct xgw_nexthop nh = { 0 };

		if (n->used && !clear) {
			memcpy(nh.dmac, n->dmac, 6);
			memcpy(nh.smac, n->smac, 6);
			nh.ifindex = n->ifindex;
			nh.mtu = n->mtu;
			nh.vlan = n->vlan;
			nh.flags = n->resolved ? XGW_NH_F_RESOLVED : 0;
		}
		err = xgw_nh_write(&d->nht, i, &nh);
		if (err)
			err = fail("xgw_nh_write", err);
	}
	for (i = 1; i < FZ_MAX_GRP && !err; i++) {
		static const uint16_t none[XGW_NHG_BUCKETS];

		if (xgw_nhg_write(&d->nht, i, c->grp[i].seed,
				  clear || !c->grp[i].used ? none : c->grp[i].bucket) < 0)
			err = fail("xgw_nhg_write", EINVAL);
	}
	return err;
}

static int route_write(struct dp *d, const struct fz_route *r, bool clear)
{
	struct xgw_route rt = { .action = r->action, .flags = r->flags, .nh_id = r->nh };
	struct xgw_fib *f = d->fib.fib[r->family == AF_INET6 ? FIB_SKEL_V6 : FIB_SKEL_V4];
	__be32 a[4];
	int err;

	memcpy(a, r->addr, r->family == AF_INET6 ? 16 : 4);
	err = clear ? xgw_fib_del(f, a, r->len) : xgw_fib_set(f, a, r->len, &rt);
	return err ? fail(r->family == AF_INET6 ? "IPv6 FIB" : "IPv4 FIB", err) : 0;
}

static int maglev_write(struct dp *d, uint32_t sid, const struct fz_svc *s)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_INNER_MAP);
	uint32_t keys[FZ_MAX_TBL], i, n = s->table_size;
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fz_maglev", 4, 4, s->table_size, &mo);
	if (fd < 0)
		return fail("maglev inner map", errno);
	for (i = 0; i < s->table_size; i++)
		keys[i] = i;
	err = bpf_map_update_batch(fd, keys, s->table, &n, NULL) ? -errno : 0;
	if (!err)
		err = upd(d->skel->maps.xgw_maglev, &sid, &fd);
	close(fd);
	return err ? fail("maglev table", err) : 0;
}

static int services_write(struct dp *d, const struct fz_cfg *c, bool clear)
{
	uint32_t i;
	int err = 0;

	for (i = 1; i < FZ_MAX_BE && !err; i++) {
		const struct fz_be *b = &c->be[i];
		struct xgw_backend v = { 0 };

		if (b->family && !clear) {
			v.family = (uint8_t)b->family;
			v.mode = b->mode;
			v.flags = b->flags;
			v.nh_id = b->nh;
			v.svc_id = b->svc_id;
			v.port = __builtin_bswap16(b->port);
			memcpy(v.addr, b->addr, 16);
			memcpy(v.src, b->src, 16);
		}
		err = upd(d->skel->maps.xgw_backends, &i, &v);
	}
	for (i = 1; i < FZ_MAX_SVC && !err; i++) {
		const struct fz_svc *s = &c->svc[i];
		struct xgw_svc_key k = { .port = __builtin_bswap16(s->port), .proto = s->proto,
					 .family = (uint8_t)s->family };
		struct xgw_service v = { .id = i, .mode = s->mode, .flags = s->flags,
					 .table_size = s->table_size, .persist_s = s->persist_s,
					 .snat_first = s->snat_first, .snat_n = s->snat_n };

		if (!s->family)
			continue;
		memcpy(k.addr, s->vip, 16);
		if (clear) {
			bpf_map_delete_elem(bpf_map__fd(d->skel->maps.xgw_services), &k);
			bpf_map_delete_elem(bpf_map__fd(d->skel->maps.xgw_maglev), &i);
			continue;
		}
		err = maglev_write(d, i, s);
		if (!err)
			err = upd(d->skel->maps.xgw_services, &k, &v);
	}
	for (i = 0; i < FZ_MAX_SNAT && !err; i++) {
		struct xgw_snat v = { .family = (uint8_t)c->snat[i].family };

		if (!clear)
			memcpy(v.addr, c->snat[i].addr, 16);
		err = upd(d->skel->maps.xgw_snat, &i, &v);
	}
	return err;
}

/* Each ingress link's xgw_ifinfo: its addresses (ICMP errors' sources), the VLANs attached on it. */
static int ifinfo_write(struct dp *d, const struct fz_cfg *c, bool clear)
{
	static struct xgw_ifinfo ifi;
	int l, i, err = 0;

	for (l = 0; l < FZ_LINKS && !err; l++) {
		uint32_t ifindex = (uint32_t)d->link[l];

		if (clear) {
			bpf_map_delete_elem(bpf_map__fd(d->skel->maps.xgw_ifinfo), &ifindex);
			continue;
		}
		memset(&ifi, 0, sizeof(ifi));
		memcpy(&ifi.addr4, c->addr4[l], 4);
		memcpy(ifi.addr6, c->addr6[l], 16);
		for (i = 0; i < c->nvids; i++)
			if (c->vid_on[l] >> i & 1)
				ifi.vlans[c->vids[i] / 64] |= 1ull << (c->vids[i] % 64);
		err = upd(d->skel->maps.xgw_ifinfo, &ifindex, &ifi);
	}
	return err;
}

int dp_apply(struct dp *d, const struct fz_cfg *c)
{
	int err, i;

	err = config_write(d, c);
	if (!err)
		err = ifinfo_write(d, c, false);
	if (!err)
		err = nexthops_write(d, c, false);
	for (i = 0; i < c->nrt && !err; i++)
		err = route_write(d, &c->rt[i], false);
	if (!err)
		err = services_write(d, c, false);
	return err;
}

int dp_update(struct dp *d, const struct fz_cfg *c, unsigned int what)
{
	int err = 0;

	if (what & FZ_EV_NEXTHOPS)
		err = nexthops_write(d, c, false);
	if (!err && (what & FZ_EV_SERVICES))
		err = services_write(d, c, false);
	return err;
}

/* Every key of hash map @m (keys of @ksz bytes) deleted: all listed first, then deleted. */
static int hash_empty(struct bpf_map *m, size_t ksz)
{
	int fd = bpf_map__fd(m), err = 0;
	size_t n = 0, cap = 1024;
	uint8_t *keys = malloc(cap * ksz), *prev = NULL;

	while (keys && !bpf_map_get_next_key(fd, prev, keys + n * ksz)) {
		prev = keys + n * ksz;
		if (++n == cap) {
			uint8_t *k = realloc(keys, 2 * cap * ksz);

			if (!k)
				break;
			prev = k + (prev - keys);
			keys = k;
			cap *= 2;
		}
	}
	if (!keys)
		return fail(bpf_map__name(m), ENOMEM);
	while (n--)
		if (bpf_map_delete_elem(fd, keys + n * ksz) && errno != ENOENT)
			err = fail(bpf_map__name(m), errno);
	free(keys);
	return err;
}

int dp_clear(struct dp *d, const struct fz_cfg *c, const uint32_t *seen, unsigned int nseen)
{
	static uint32_t zeros[XGW_CT_SEEN_SLOTS];
	uint32_t n = nseen;
	int err = 0, j;

	for (j = c->nrt - 1; j >= 0 && !err; j--)
		err = route_write(d, &c->rt[j], true);
	if (!err)
		err = services_write(d, c, true);
	if (!err)
		err = nexthops_write(d, c, true);
	if (!err)
		err = ifinfo_write(d, c, true);
	if (!err)
		err = hash_empty(d->skel->maps.xgw_conntrack, sizeof(struct xgw_flow_key));
	if (!err)
		err = hash_empty(d->skel->maps.xgw_persist, sizeof(struct xgw_persist_key));
	if (!err && n && bpf_map_update_batch(bpf_map__fd(d->skel->maps.xgw_ct_seen), seen, zeros,
					      &n, NULL))
		err = fail("clear xgw_ct_seen", errno);
	return err;
}

void dp_run(struct dp *d, const uint8_t *in, size_t len, int link, struct dp_run *r)
{
	struct xdp_md ctx = { .data_end = (uint32_t)len, .ingress_ifindex = (uint32_t)d->link[link] };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in,
		.data_size_in = (uint32_t)len,
		.data_out = r->out,
		.data_size_out = sizeof(r->out),
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = 1,
	);

	r->err = bpf_prog_test_run_opts(d->prog_fd, &opts) ? -errno : 0;
	r->verdict = opts.retval;
	r->out_len = opts.data_size_out;
}

/* Sum per-CPU values of keys 0..@n-1 of array @m, @vsz bytes each of @nf u64 fields. */
static int pcpu_sum(struct dp *d, struct bpf_map *m, uint32_t n, size_t vsz, uint64_t *out)
{
	uint32_t keys[FZ_MAX_BE], count = n, batch, i, f;
	size_t nf = vsz / 8;
	int cpu;
	LIBBPF_OPTS(bpf_map_batch_opts, bo);

	if (bpf_map_lookup_batch(bpf_map__fd(m), NULL, &batch, keys, d->pcpu, &count, &bo) &&
	    errno != ENOENT)
		return fail("counters", errno);
	if (count != n)
		return fail("counters: short batch", EIO);
	memset(out, 0, n * vsz);
	for (i = 0; i < n; i++)
		for (cpu = 0; cpu < d->ncpu; cpu++) {
			const uint64_t *v = (const uint64_t *)((const uint8_t *)d->pcpu +
							       ((size_t)i * d->ncpu + cpu) * vsz);

			for (f = 0; f < nf; f++)
				out[i * nf + f] += v[f];
		}
	return 0;
}

int dp_count_reason(struct dp *d, uint32_t reason, struct xgw_counter *out)
{
	struct xgw_counter *v = d->pcpu;
	int cpu;

	if (bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.xgw_stats), &reason, v))
		return fail("xgw_stats", errno);
	out->packets = out->bytes = 0;
	for (cpu = 0; cpu < d->ncpu; cpu++) {
		out->packets += v[cpu].packets;
		out->bytes += v[cpu].bytes;
	}
	return 0;
}

int dp_counts(struct dp *d, struct fz_counts *c, bool all)
{
	int err = pcpu_sum(d, d->skel->maps.xgw_stats, XGW_REASON_MAX, sizeof(struct xgw_counter),
			   (uint64_t *)c->reason);

	if (err || !all)
		return err;
	err = pcpu_sum(d, d->skel->maps.xgw_nh_stats, FZ_MAX_NH, sizeof(struct xgw_counter),
		       (uint64_t *)c->nh);
	if (!err)
		err = pcpu_sum(d, d->skel->maps.xgw_svc_stats, FZ_MAX_SVC,
			       sizeof(struct xgw_lb_counter), (uint64_t *)c->svc);
	if (!err)
		err = pcpu_sum(d, d->skel->maps.xgw_be_stats, FZ_MAX_BE,
			       sizeof(struct xgw_lb_counter), (uint64_t *)c->be);
	return err;
}
