/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The routing packet suites' common harness (pkt_route, pkt_icmp,
 * pkt_multipath, pkt_nhswap): the xgw object loaded, its FIBs and
 * next-hop arrays written through common/fib.c and common/nhtable.c as
 * xgwd writes them, next hops and routes from tables, and run_check():
 * one BPF_PROG_TEST_RUN checked for verdict, whole frame out and every
 * counter. Header-only, like fib_skel.h: each suite is one binary.
 */
#ifndef XGW_ROUTE_FIX_H
#define XGW_ROUTE_FIX_H

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <net/if.h>

#include "fib_skel.h"
#include "nhtable.h"
#include "pkt_lib.h"
#include "xgw.skel.h"

/* Fixtures start from a default frame and override a few fields. */
#pragma GCC diagnostic ignored "-Woverride-init"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* A next hop of a suite's table; its egress is the loopback device. */
struct nh_def {
	uint32_t id;
	uint32_t ifindex;	/* 0: loopback */
	uint16_t mtu;
	uint16_t vlan;
	uint8_t smac[6], dmac[6];
	bool resolved;
};

/*
 * Routes go in the FIB of their family through common/fib.c (host routes,
 * own addresses, VIP marks and prefixes alike).
 */
struct route_def {
	const char *prefix;
	uint8_t action;
	uint8_t flags;
	uint32_t nh;
};

/* Frames: a default one with a few fields overridden (struct pkt_spec). */
#define V4(...) { .family = AF_INET, .src = "10.0.0.1", .dst = "10.2.1.1", \
		  .sport = 40000, .dport = 53, .payload = 18, .ip_id = 0x1c46, __VA_ARGS__ }
#define V6(...) { .family = AF_INET6, .src = "2001:db8::1", .dst = "2001:db8:2::1", \
		  .sport = 40000, .dport = 53, .payload = 18, __VA_ARGS__ }
#define TCP .proto = IPPROTO_TCP, .dport = 80
#define ICMP4(t) .proto = IPPROTO_ICMP, .icmp_type = (t)
#define ICMP6(t) .proto = IPPROTO_ICMPV6, .icmp_type = (t)
#define TAG1(v) .nvlan = 1, .vid = { (v) }
#define QINQ(o, i) .nvlan = 2, .tpid = { 0x88a8, 0x8100 }, .vid = { (o), (i) }
#define EXT(...) .ext = { __VA_ARGS__ }, .next = sizeof((uint8_t[]){ __VA_ARGS__ })
#define RAW(type, n) { .ethertype = (type), .payload = (n) }
#define OPTS4(...) .ip_opts = sizeof((uint8_t[]){ __VA_ARGS__ }), \
		   .opt_bytes = (const uint8_t[]){ __VA_ARGS__ }
#define HBH(...) EXT(IPPROTO_HOPOPTS), .hbh_len = sizeof((uint8_t[]){ __VA_ARGS__ }), \
		 .hbh_opts = (const uint8_t[]){ __VA_ARGS__ }

struct t {
	struct xgw_bpf *skel;
	struct fib_skel fib;	/* both FIBs, written through common/fib.c */
	struct xgw_nh_table nht;	/* next hops, through common/nhtable.c */
	int prog_fd, stats_fd, nh_stats_fd;
	uint32_t port_ifindex;	/* loopback: any device will do for a devmap entry */
	const struct nh_def *nh;	/* the suite's next hops */
	size_t n_nh;
};

static inline const struct nh_def *nh_find(const struct t *t, uint32_t id)
{
	size_t i;

	for (i = 0; i < t->n_nh; i++)
		if (t->nh[i].id == id)
			return &t->nh[i];
	return NULL;
}

/* Write next hop @d through common/nhtable.c (the way xgwd does). */
static inline int nh_program(struct t *t, const struct nh_def *d)
{
	struct xgw_nexthop nh = {
		.ifindex = d->ifindex ? d->ifindex : t->port_ifindex,
		.mtu = d->mtu,
		.vlan = d->vlan,
		.flags = d->resolved ? XGW_NH_F_RESOLVED : 0,
	};
	int err;

	memcpy(nh.smac, d->smac, 6);
	memcpy(nh.dmac, d->dmac, 6);
	err = xgw_nh_write(&t->nht, d->id, &nh);
	if (err)
		tap_diag("xgw_nh_write %u: %s", d->id, strerror(-err));
	return err;
}

/* What a forward through @nh must turn @in into. */
static inline struct pkt_spec expect_forward(const struct pkt_spec *in, const struct nh_def *nh)
{
	struct pkt_spec out = *in;

	out.dmac = nh->dmac;
	out.smac = nh->smac;
	memset(out.tpid, 0, sizeof(out.tpid));
	memset(out.vid, 0, sizeof(out.vid));
	out.nvlan = nh->vlan ? 1 : 0;
	out.vid[0] = nh->vlan;
	out.ttl = (in->ttl ? in->ttl : 64) - 1;
	return out;
}

static inline int map_update(int fd, const void *key, const void *val, const char *what)
{
	if (bpf_map_update_elem(fd, key, val, BPF_ANY)) {
		tap_diag("update %s: %s", what, strerror(errno));
		return -errno;
	}
	return 0;
}

/* "ADDR/LEN" into family, address bytes and length; -EINVAL on a fixture bug. */
static inline int prefix_parse(const char *prefix, int *family, uint8_t a[16], int *plen)
{
	char addr[64];
	char *slash;

	snprintf(addr, sizeof(addr), "%s", prefix);
	slash = strchr(addr, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	*plen = atoi(slash + 1);
	*family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(*family, addr, a) != 1 || *plen < 0 || *plen > (*family == AF_INET ? 32 : 128))
		return -EINVAL;
	return 0;
}

static inline int route_add(struct t *t, const struct route_def *rd)
{
	struct xgw_route rt = { .action = rd->action, .flags = rd->flags, .nh_id = rd->nh };
	int family, plen, err;
	uint8_t a[16];

	err = prefix_parse(rd->prefix, &family, a, &plen);
	if (err)
		return err;
	err = xgw_fib_set(t->fib.fib[family == AF_INET6 ? FIB_SKEL_V6 : FIB_SKEL_V4],
			  (const __be32 *)a, plen, &rt);
	if (err)
		tap_diag("xgw_fib_set %s: %s", rd->prefix, strerror(-err));
	return err;
}

/* Remove the IPv4 route @prefix through common/fib.c. Returns 0 or -errno. */
static inline int route_del4(struct t *t, const char *prefix)
{
	int family, plen, err;
	uint8_t a[16];
	__be32 a4;

	err = prefix_parse(prefix, &family, a, &plen);
	if (err || family != AF_INET)
		return -EINVAL;
	memcpy(&a4, a, 4);
	return xgw_fib_del(t->fib.fib[FIB_SKEL_V4], &a4, plen);
}

/* Tracing programs load only where the kernel has their tracepoint. */
static inline void tracing_autoload(struct xgw_bpf *skel)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct {
		struct bpf_program *prog;
		const char *type;
	} tp[] = {
		{ skel->progs.xgw_trace_redirect_err, "btf_trace_xdp_redirect_err" },
		{ skel->progs.xgw_trace_devmap_xmit, "btf_trace_xdp_devmap_xmit" },
	};
	size_t i;

	for (i = 0; i < sizeof(tp) / sizeof(tp[0]); i++) {
		if (vmlinux && btf__find_by_name_kind(vmlinux, tp[i].type, BTF_KIND_TYPEDEF) >= 0)
			continue;
		tap_diag("kernel has no %s: not loading %s", tp[i].type,
			 bpf_program__name(tp[i].prog));
		bpf_program__set_autoload(tp[i].prog, false);
	}
	btf__free(vmlinux);
}

static inline int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("XGW_TEST_VERBOSE"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Per-CPU countdowns and counters: keep every run on one CPU. */
static inline void pin_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		tap_diag("sched_setaffinity: %s (latency counts may spread over CPUs)",
			 strerror(errno));
}

/*
 * Load the xgw object (every program must verify: the first TAP line
 * says so), map the FIB and next-hop arrays, make the loopback device the
 * egress port, write @nh[0..n_nh) and @rt[0..n_rt). Returns 0, or -errno
 * after a "not ok" line.
 */
static inline int fix_open(struct t *t, const struct nh_def *nh, size_t n_nh,
		    const struct route_def *rt, size_t n_rt)
{
	struct bpf_devmap_val port;
	size_t i;
	int err;

	memset(t, 0, sizeof(*t));
	pin_cpu();
	libbpf_set_print(libbpf_quiet);
	t->nh = nh;
	t->n_nh = n_nh;
	t->port_ifindex = if_nametoindex("lo");
	t->skel = xgw_bpf__open();
	if (!t->skel) {
		err = -errno;
		tap_result(false, "open the xgw skeleton: %s", strerror(errno));
		return err;
	}
	tracing_autoload(t->skel);
	err = xgw_bpf__load(t->skel);
	if (!tap_result(!err, "xgw object loads and every program verifies"))
		return err;
	t->prog_fd = bpf_program__fd(t->skel->progs.xgw_xdp);
	t->stats_fd = bpf_map__fd(t->skel->maps.xgw_stats);
	t->nh_stats_fd = bpf_map__fd(t->skel->maps.xgw_nh_stats);
	err = fib_skel_open(&t->fib, t->skel->obj);
	if (err)
		tap_diag("mmap the FIB arrays: %s", strerror(-err));
	if (!err) {
		err = xgw_nh_table_open(&t->nht, bpf_map__fd(t->skel->maps.xgw_nexthops),
					bpf_map__fd(t->skel->maps.xgw_nh_groups));
		if (err)
			tap_diag("mmap xgw_nexthops, xgw_nh_groups: %s", strerror(-err));
	}
	port = (struct bpf_devmap_val){ .ifindex = t->port_ifindex };
	if (!err)
		err = map_update(bpf_map__fd(t->skel->maps.xgw_tx_ports), &t->port_ifindex,
				 &port, "xgw_tx_ports");
	for (i = 0; !err && i < n_nh; i++)
		err = nh_program(t, &nh[i]);
	for (i = 0; !err && i < n_rt; i++)
		err = route_add(t, &rt[i]);
	tap_result(t->port_ifindex && !err, "routes, next hops, ports programmed");
	return t->port_ifindex ? err : -ENODEV;
}

/* fix_open() with the suite's own nexthops[] and routes[] tables. */
#define FIX_OPEN(t) fix_open((t), nexthops, sizeof(nexthops) / sizeof(nexthops[0]), routes, \
			     sizeof(routes) / sizeof(routes[0]))

static inline void fix_close(struct t *t)
{
	fib_skel_close(&t->fib);
	xgw_nh_table_close(&t->nht);
	xgw_bpf__destroy(t->skel);
}

/* Write xgw_config (unset fields 0: ICMP errors off, sampling off). */
static inline int config_set(struct t *t, const struct xgw_config *cfg)
{
	struct xgw_config c = *cfg;
	uint32_t key = 0;

	c.layout_version = XGW_LAYOUT_VERSION;
	return map_update(bpf_map__fd(t->skel->maps.xgw_config), &key, &c, "xgw_config");
}

/*
 * The frame a run must produce, from the frame it did produce (@out):
 * for the rare field the datapath draws itself (an ICMP error's IPv4
 * identification). Writes @want and returns its length.
 */
typedef size_t (*want_fn)(void *arg, const uint8_t *out, uint8_t *want);

/*
 * Run @in (@len bytes, @repeat rounds) and check verdict, frame out (the
 * one @fn builds) and counters (@reason, and @nh for a forward).
 * Prints diagnostics on a mismatch; returns true when all hold.
 */
static inline bool run_check_fn(struct t *t, const uint8_t *in, size_t len, int repeat,
				enum xgw_reason reason, uint32_t nh, want_fn fn, void *arg)
{
	static uint8_t want[PKT_MAX + 256];
	struct pkt_counters before, after;
	static struct pkt_run r;
	uint32_t verdict = pkt_verdict_of(reason);
	size_t want_len;
	bool ok = true;

	pkt_counters_read(t->stats_fd, t->nh_stats_fd, &before);
	pkt_run(t->prog_fd, in, len, repeat, &r);
	pkt_counters_read(t->stats_fd, t->nh_stats_fd, &after);
	if (r.err) {
		tap_diag("BPF_PROG_TEST_RUN (%zu bytes): %s", len, strerror(-r.err));
		return false;
	}
	if (r.retval != verdict) {
		tap_diag("verdict %s, expected %s (%s)", pkt_verdict_name(r.retval),
			 pkt_verdict_name(verdict), xgw_reason_desc[reason].name);
		ok = false;
	}
	want_len = fn(arg, r.out, want);
	if (r.out_len != want_len || memcmp(r.out, want, want_len)) {
		tap_diag("frame out differs");
		tap_diff(r.out, r.out_len, want, want_len);
		ok = false;
	}
	if (!pkt_counters_expect(&before, &after, reason, verdict == XDP_REDIRECT ? nh : 0,
				 repeat, (uint64_t)repeat * len))
		ok = false;
	return ok;
}

struct want_fixed {
	const uint8_t *want;
	size_t len;
};

static inline size_t want_fixed(void *arg, const uint8_t *out, uint8_t *want)
{
	const struct want_fixed *w = arg;

	(void)out;
	memcpy(want, w->want, w->len);
	return w->len;
}

/* run_check_fn() with the frame out known beforehand. */
static inline bool run_check(struct t *t, const uint8_t *in, size_t len, int repeat,
			     enum xgw_reason reason, uint32_t nh, const uint8_t *want,
			     size_t want_len)
{
	struct want_fixed w = { want, want_len };

	return run_check_fn(t, in, len, repeat, reason, nh, want_fixed, &w);
}

/*
 * Service @id at @vip:@port/@proto in @mode: a Maglev table of 7 slots, every
 * one backend @id (address @be, ipip/nat source @be_src or none), behind
 * next hop @nh. 0, or -errno after a diagnostic.
 */
static inline int service_program(struct t *t, uint32_t id, const char *vip, uint16_t port,
				  uint8_t proto, uint8_t mode, const char *be,
				  const char *be_src, uint32_t nh)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_INNER_MAP);
	int family = strchr(vip, ':') ? AF_INET6 : AF_INET;
	struct xgw_svc_key key = { .port = htons(port), .proto = proto, .family = family };
	struct xgw_service svc = { .id = id, .mode = mode, .table_size = 7 };
	struct xgw_backend b = { .family = family, .nh_id = nh, .svc_id = id, .mode = mode };
	uint32_t i;
	int fd, err = 0;

	inet_pton(family, vip, key.addr);
	inet_pton(family, be, b.addr);
	if (be_src)
		inet_pton(family, be_src, b.src);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pkt_maglev", 4, 4, svc.table_size, &mo);
	if (fd < 0) {
		tap_diag("create the Maglev table: %s", strerror(errno));
		return -errno;
	}
	for (i = 0; !err && i < svc.table_size; i++)
		err = map_update(fd, &i, &id, "maglev slot");
	if (!err)
		err = map_update(bpf_map__fd(t->skel->maps.xgw_maglev), &id, &fd, "xgw_maglev");
	if (!err)
		err = map_update(bpf_map__fd(t->skel->maps.xgw_backends), &id, &b, "xgw_backends");
	if (!err)
		err = map_update(bpf_map__fd(t->skel->maps.xgw_services), &key, &svc,
				 "xgw_services");
	close(fd);
	return err;
}

#endif /* XGW_ROUTE_FIX_H */
