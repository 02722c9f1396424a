// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Counters (summed over CPUs), the latency histogram, and `set` settings. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "json_print.h"
#include "link.h"
#include "nexthop.h"
#include "stats.h"
#include "xgwd.h"
#include "xgw.skel.h"

/* Sum n_keys per-CPU counters of map fd into out[n_keys]. */
int stats__read(int fd, __u32 n_keys, struct xgw_counter *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xgw_counter *pc;
	__u32 k;
	int c;

	if (ncpu < 1)
		return ncpu;
	pc = calloc(ncpu, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	for (k = 0; k < n_keys; k++) {
		memset(&out[k], 0, sizeof(out[k]));
		if (bpf_map_lookup_elem(fd, &k, pc))
			continue;
		for (c = 0; c < ncpu; c++) {
			out[k].packets += pc[c].packets;
			out[k].bytes += pc[c].bytes;
		}
	}
	free(pc);
	return 0;
}

int stats__latency(struct xgwd *d, struct xgw_latency *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xgw_latency *pc;
	__u32 key = 0;
	int c, i;

	memset(out, 0, sizeof(*out));
	if (ncpu < 1)
		return ncpu;
	pc = calloc(ncpu, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.xgw_latency), &key, pc)) {
		free(pc);
		return -errno;
	}
	for (c = 0; c < ncpu; c++) {
		for (i = 0; i < XGW_LAT_BUCKETS; i++)
			out->bucket[i] += pc[c].bucket[i];
		out->count += pc[c].count;
		out->sum_ns += pc[c].sum_ns;
	}
	free(pc);
	return 0;
}

/* Upper bound (ns, exclusive) of histogram bucket i; the last is open. */
double stats__bucket_hi(int i)
{
	return i == 0 ? 1 : (double)(1ull << i);
}

/* Percentile p (0..1) of a log2 histogram, linear within the bucket. */
double stats__percentile(const __u64 *bucket, int n, double p)
{
	__u64 total = 0, cum = 0;
	double target;
	int i;

	for (i = 0; i < n; i++)
		total += bucket[i];
	if (!total)
		return 0;
	target = p * total;
	for (i = 0; i < n; i++) {
		double lo = i ? (double)(1ull << (i - 1)) : 0;

		if (bucket[i] && cum + bucket[i] >= target) {
			if (i == 0 || i == n - 1)	/* exactly 0; open-ended */
				return lo;
			return lo + (stats__bucket_hi(i) - lo) * (target - cum) / bucket[i];
		}
		cum += bucket[i];
	}
	return i ? (double)(1ull << (n - 2)) : 0;
}

static void print_counter(const char *key, const char *label, const struct xgw_counter *c)
{
	open_json_object(key);
	print_text("%-14s", label);
	print_u64(PRINT_ANY, "packets", " %llu packets", c->packets);
	print_u64(PRINT_ANY, "bytes", " %llu bytes", c->bytes);
	print_nl();
	close_json_object();
}

static void stats__print_nexthops(struct xgwd *d, const struct xgw_counter *nh)
{
	char buf[XGW_ADDR_STRLEN];
	__u32 id;

	open_json_array(PRINT_JSON, "nexthops");
	for (id = 1; id < XGW_MAX_NEXTHOPS; id++) {
		const struct xgwd_nexthop *n = nexthop__find(d, id);
		struct xgwd_link *l;

		if (!n && !nh[id].packets)
			continue;
		l = n ? link__find(d, n->ifindex) : NULL;
		open_json_object(NULL);
		print_uint(PRINT_ANY, "nh_id", "nexthop %u", id);
		if (n)
			print_string(PRINT_ANY, "via", " via %s",
				     xgw_addr_str(&n->gw, buf, sizeof(buf)));
		if (l)
			print_string(PRINT_ANY, "dev", " dev %s", l->name);
		print_u64(PRINT_ANY, "packets", ": %llu packets", nh[id].packets);
		print_u64(PRINT_ANY, "bytes", " %llu bytes", nh[id].bytes);
		print_nl();
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
}

static int stats__show(struct xgwd *d)
{
	struct xgw_counter r[XGW_REASON_MAX], cls[XGW_CLASS_MAX] = {}, rx = {};
	struct xgw_counter *nh = calloc(XGW_MAX_NEXTHOPS, sizeof(*nh));
	int i, err;

	if (!nh)
		return -ENOMEM;
	err = stats__read(bpf_map__fd(d->skel->maps.xgw_stats), XGW_REASON_MAX, r);
	if (!err)
		err = stats__read(bpf_map__fd(d->skel->maps.xgw_nh_stats),
				  XGW_MAX_NEXTHOPS, nh);
	if (err)
		goto out;
	for (i = 0; i < XGW_REASON_MAX; i++) {
		enum xgw_class c = xgw_reason_desc[i].cls;

		cls[c].packets += r[i].packets;
		cls[c].bytes += r[i].bytes;
		if (c != XGW_CLASS_ERROR) {
			rx.packets += r[i].packets;
			rx.bytes += r[i].bytes;
		}
	}
	open_json_object(NULL);
	print_counter("rx", "rx", &rx);
	for (i = 0; i < XGW_CLASS_MAX; i++)
		print_counter(xgw_class_name[i], xgw_class_name[i], &cls[i]);
	open_json_array(PRINT_JSON, "reasons");
	for (i = 0; i < XGW_REASON_MAX; i++) {
		open_json_object(NULL);
		print_string(PRINT_ANY, "reason", "  %-16s", xgw_reason_desc[i].name);
		print_string(PRINT_ANY, "class", " %-10s",
			     xgw_class_name[xgw_reason_desc[i].cls]);
		print_u64(PRINT_ANY, "packets", " %llu packets", r[i].packets);
		print_u64(PRINT_ANY, "bytes", " %llu bytes", r[i].bytes);
		print_nl();
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
	stats__print_nexthops(d, nh);
	close_json_object();
out:
	free(nh);
	return err;
}

static int stats__show_latency(struct xgwd *d)
{
	static const double pct[] = { 0.5, 0.9, 0.99, 0.999 };
	static const char *const pname[] = { "p50", "p90", "p99", "p99.9" };
	struct xgw_latency l;
	char key[16];
	int i, err = stats__latency(d, &l);

	if (err)
		return err;
	open_json_object(NULL);
	print_uint(PRINT_ANY, "sample", "sampling 1 packet in %u", d->config.latency_sample);
	print_u64(PRINT_ANY, "count", ", %llu samples", l.count);
	print_u64(PRINT_ANY, "sum_ns", ", sum %llu ns", l.sum_ns);
	print_nl();
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "%s_ns", pname[i]);
		print_text("%-6s", pname[i]);
		print_float(PRINT_ANY, key, " %.0f ns", stats__percentile(l.bucket,
				XGW_LAT_BUCKETS, pct[i]));
		print_nl();
	}
	open_json_array(PRINT_JSON, "buckets");
	for (i = 0; i < XGW_LAT_BUCKETS; i++) {
		if (!l.bucket[i])
			continue;
		open_json_object(NULL);
		print_u64(PRINT_ANY, "lo_ns", "  [%llu", i ? 1ull << (i - 1) : 0);
		if (i < XGW_LAT_BUCKETS - 1)
			print_u64(PRINT_ANY, "hi_ns", ", %llu) ns", 1ull << i);
		else
			print_null(PRINT_ANY, "hi_ns", ", %s) ns", "inf");
		print_u64(PRINT_ANY, "count", ": %llu", l.bucket[i]);
		print_nl();
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
	close_json_object();
	return 0;
}

static int percpu_zero(int fd, __u32 n_keys, size_t vsize)
{
	int ncpu = libbpf_num_possible_cpus();
	void *z = calloc(ncpu, vsize);
	__u32 k;
	int err = 0;

	if (!z)
		return -ENOMEM;
	for (k = 0; k < n_keys && !err; k++)
		if (bpf_map_update_elem(fd, &k, z, BPF_ANY))
			err = -errno;
	free(z);
	return err;
}

static int stats__reset(struct xgwd *d, char *err, size_t errlen)
{
	int ret = percpu_zero(bpf_map__fd(d->skel->maps.xgw_stats), XGW_REASON_MAX,
			      sizeof(struct xgw_counter));

	if (!ret)
		ret = percpu_zero(bpf_map__fd(d->skel->maps.xgw_nh_stats),
				  XGW_MAX_NEXTHOPS, sizeof(struct xgw_counter));
	if (!ret)
		ret = percpu_zero(bpf_map__fd(d->skel->maps.xgw_latency), 1,
				  sizeof(struct xgw_latency));
	if (ret)
		snprintf(err, errlen, "cannot reset counters: %s", strerror(-ret));
	return ret;
}

int stats__apply(struct xgwd *d, const struct xgw_cmd *c, char *err, size_t errlen)
{
	int ret;

	switch (c->verb) {
	case XGW_V_SHOW:
		ret = stats__show(d);
		break;
	case XGW_V_LATENCY:
		ret = stats__show_latency(d);
		break;
	case XGW_V_RESET:
		return stats__reset(d, err, errlen);
	default:
		snprintf(err, errlen, "unsupported stats command");
		return -EOPNOTSUPP;
	}
	if (ret)
		snprintf(err, errlen, "cannot read counters: %s", strerror(-ret));
	return ret;
}

/* set nat-ports writes both as one word (xgw_nat_ports()) */
_Static_assert(offsetof(struct xgw_config, nat_port_max) ==
	       offsetof(struct xgw_config, nat_port_min) + 2 &&
	       offsetof(struct xgw_config, nat_port_min) % 4 == 0, "nat ports adjacent");

static __u32 *setting_field(struct xgw_config *cfg, enum xgw_setting key)
{
	switch (key) {
	case XGW_SET_LATENCY_SAMPLE:
		return &cfg->latency_sample;
	case XGW_SET_CT_UDP_TIMEOUT:
		return &cfg->ct_udp_timeout_s;
	case XGW_SET_CT_FLOOD_LIMIT:
		return &cfg->ct_flood_limit;
	/* lb-cp: the connection table's timeouts and the NAT port range */
	case XGW_SET_CT_TCP_SYN_TIMEOUT:
		return &cfg->ct_tcp_syn_s;
	case XGW_SET_CT_TCP_EST_TIMEOUT:
		return &cfg->ct_tcp_est_s;
	case XGW_SET_CT_TCP_FIN_TIMEOUT:
		return &cfg->ct_tcp_fin_s;
	case XGW_SET_CT_TCP_TW_TIMEOUT:
		return &cfg->ct_tcp_tw_s;
	case XGW_SET_CT_TCP_CLOSE_TIMEOUT:
		return &cfg->ct_tcp_close_s;
	case XGW_SET_NAT_PORTS:	/* both 16-bit fields as one word: xgw_nat_ports() */
		return (__u32 *)&cfg->nat_port_min;
	case XGW_SET_ICMP_RATE:
		return &cfg->icmp_rate;
	case XGW_SET_ICMP_BURST:
		return &cfg->icmp_burst;
	default:	/* not datapath config (announce.c) */
		break;
	}
	return NULL;
}

/* Zero every CPU's sampler countdown: a new rate applies from the next packet. */
static int latency__rearm(struct xgwd *d)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *zero;	/* per-CPU values are 8-byte slots in userspace */
	__u32 key = 0;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(bpf_map__fd(d->skel->maps.xgw_lat_left), &key, zero, BPF_ANY))
		err = -errno;
	free(zero);
	return err;
}

int settings__apply(struct xgwd *d, const struct xgw_cmd *c, struct xgwd_undo *undo,
		    char *err, size_t errlen)
{
	struct xgw_config cfg = d->config;
	__u32 *f = setting_field(&cfg, c->set.key), key = 0;
	struct xgw_cmd inv = *c;

	if (!f || c->set.value > 0xffffffffUL) {
		snprintf(err, errlen, "bad setting");
		return -EINVAL;
	}
	inv.set.value = *setting_field(&d->config, c->set.key);
	*f = c->set.value;
	if (bpf_map_update_elem(bpf_map__fd(d->skel->maps.xgw_config), &key, &cfg, BPF_ANY)) {
		snprintf(err, errlen, "cannot write xgw_config: %s", strerror(errno));
		return -errno;
	}
	if (c->set.key == XGW_SET_LATENCY_SAMPLE) {
		int ret = latency__rearm(d);

		if (ret) {
			bpf_map_update_elem(bpf_map__fd(d->skel->maps.xgw_config), &key,
					    &d->config, BPF_ANY);
			snprintf(err, errlen, "cannot reset xgw_lat_left: %s", strerror(-ret));
			return ret;
		}
	}
	d->config = cfg;
	return xgwd_undo__push(undo, &inv);
}

/* The settings as state-file lines. */
int settings__save(struct xgwd *d, FILE *f)
{
	static const enum xgw_setting keys[] = {
		XGW_SET_LATENCY_SAMPLE, XGW_SET_CT_UDP_TIMEOUT, XGW_SET_CT_FLOOD_LIMIT,
		XGW_SET_CT_TCP_SYN_TIMEOUT, XGW_SET_CT_TCP_EST_TIMEOUT, XGW_SET_CT_TCP_FIN_TIMEOUT,
		XGW_SET_CT_TCP_TW_TIMEOUT, XGW_SET_CT_TCP_CLOSE_TIMEOUT, XGW_SET_NAT_PORTS,
		XGW_SET_ICMP_RATE, XGW_SET_ICMP_BURST,
	};
	struct xgw_cmd c = { .obj = XGW_OBJ_SET, .verb = XGW_V_SET };
	char line[256];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		c.set.key = keys[i];
		c.set.value = *setting_field(&d->config, keys[i]);
		if (!c.set.value && i >= 3)
			continue;	/* 0: the datapath's default, never said */
		if (xgw_cmd_format(&c, line, sizeof(line)) < 0)
			return -ENOSPC;
		fprintf(f, "%s\n", line);
	}
	return 0;
}
