// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Load balancer packet-suite fixtures: see lb_lib.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ct.h"
#include "fib_skel.h"
#include "lb_lib.h"
#include "lbhash.h"
#include "maglev.h"

struct xgw_bpf *skel;
const uint8_t GW_MAC[6] = { 0x02, 0, 0, 0, 0, 0xaa };
const uint8_t RT_MAC[6] = { 0x02, 0, 0, 0, 0, 0xee };

/* host -> address; its next hop is nh <host>, the router nh LB_RT_NH */
const struct lb_host HOST[LB_HOSTS] = {
	[1] = { AF_INET, "10.0.1.1", "10.0.0.1", { 2, 0, 0, 0, 1, 1 } },
	[2] = { AF_INET, "10.0.1.2", "10.0.0.1", { 2, 0, 0, 0, 1, 2 } },
	[3] = { AF_INET, "10.0.1.3", "10.0.0.1", { 2, 0, 0, 0, 1, 3 } },
	[4] = { AF_INET6, "2001:db8:1::4", "2001:db8::1", { 2, 0, 0, 0, 1, 4 } },
	[5] = { AF_INET6, "2001:db8:1::5", "2001:db8::1", { 2, 0, 0, 0, 1, 5 } },
	[6] = { AF_INET, "10.0.1.6", "10.0.0.1", { 2, 0, 0, 0, 1, 6 } },
	[7] = { AF_INET, "10.0.1.7", "10.0.0.1", { 2, 0, 0, 0, 1, 7 } },
};

static struct fib_skel fib;
static struct xgw_clock clk;
static int lo_ifindex;
static struct lb_svc svcs[LB_SVCS];
static uint32_t table[LB_SVCS][LB_TBL];

void lb_die(const char *what, int err)
{
	fprintf(stderr, "lb: %s: %s\n", what, strerror(err < 0 ? -err : err));
	printf("not ok 1 - setup: %s\n", what);
	exit(1);
}

void lb_addr(int family, const char *s, __be32 out[4])
{
	memset(out, 0, 16);
	if (inet_pton(family, s, out) != 1)
		lb_die(s, EINVAL);
}

static void update(struct bpf_map *m, const void *k, const void *v)
{
	if (bpf_map_update_elem(bpf_map__fd(m), k, v, BPF_ANY))
		lb_die(bpf_map__name(m), errno);
}

int lb_prog(void)
{
	return bpf_program__fd(skel->progs.xgw_xdp);
}

uint32_t lb_be_id(int sid, int host)
{
	return sid * LB_HOSTS + host;
}

int lb_be_host(uint32_t be_id)
{
	return be_id % LB_HOSTS;
}

void lb_config(struct xgw_config cfg)
{
	uint32_t zero = 0;

	cfg.layout_version = XGW_LAYOUT_VERSION;
	cfg.hz = LB_HZ;
	update(skel->maps.xgw_config, &zero, &cfg);
}

static void nexthop(uint32_t id, const uint8_t dmac[6])
{
	struct xgw_nh_slot s = { .v[0] = { .ifindex = lo_ifindex, .mtu = 1500,
					    .flags = XGW_NH_F_RESOLVED } };

	memcpy(s.v[0].smac, GW_MAC, 6);
	memcpy(s.v[0].dmac, dmac, 6);
	update(skel->maps.xgw_nexthops, &id, &s);	/* gen 0: v[0] is live */
}

void lb_route4(const char *addr, int len, const struct xgw_route *rt)
{
	__be32 a[4];
	int err;

	lb_addr(AF_INET, addr, a);
	err = xgw_fib_set(fib.fib[FIB_SKEL_V4], a, len, rt);
	if (err)
		lb_die(addr, err);
}

static void route6(const char *addr, int len, const struct xgw_route *rt)
{
	__be32 a[4];
	int err;

	lb_addr(AF_INET6, addr, a);
	err = xgw_fib_set(fib.fib[FIB_SKEL_V6], a, len, rt);
	if (err)
		lb_die(addr, err);
}

/* The host entry of @addr: a /32 or /128 in its FIB. */
void lb_host_entry(int family, const char *addr, const struct xgw_route *rt)
{
	if (family == AF_INET)
		lb_route4(addr, 32, rt);
	else
		route6(addr, 128, rt);
}

void lb_setup(void)
{
	struct bpf_devmap_val port = { .ifindex = 0 };
	struct xgw_route via = { .action = XGW_RT_NEXTHOP, .nh_id = LB_RT_NH };
	struct xgw_route own = { .action = XGW_RT_LOCAL, .flags = XGW_RT_F_OWN | XGW_RT_F_VIP };
	cpu_set_t cpus;
	int i, err;

	/* per-CPU state (counters, xgw_ct_seen is global) is read on one CPU */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	libbpf_set_print(NULL);
	lo_ifindex = if_nametoindex("lo");
	port.ifindex = lo_ifindex;
	skel = xgw_bpf__open();
	if (!skel)
		lb_die("open", errno);
	bpf_program__set_autoload(skel->progs.xgw_trace_redirect_err, false);
	bpf_program__set_autoload(skel->progs.xgw_trace_devmap_xmit, false);
	err = xgw_bpf__load(skel);
	if (err)
		lb_die("load (verifier)", err);
	err = fib_skel_open(&fib, skel->obj);
	if (err)
		lb_die("mmap the FIBs", err);
	err = xgw_clock_open(&clk);
	if (err)
		lb_die("clock", err);
	lb_config((struct xgw_config){ 0 });
	update(skel->maps.xgw_tx_ports, &lo_ifindex, &port);
	for (i = 1; i < LB_HOSTS; i++)
		nexthop(i, HOST[i].mac);
	nexthop(LB_RT_NH, RT_MAC);
	lb_route4("10.0.0.0", 24, &via);
	lb_route4("192.0.2.0", 24, &via);	/* clients */
	route6("2001:db8:9::", 48, &via);
	route6("2001:db8::", 64, &via);
	/* the gateway's addresses towards the backends: NAT replies come back to them */
	lb_host_entry(AF_INET, "10.0.0.1", &own);
	lb_host_entry(AF_INET6, "2001:db8::1", &own);
}

void lb_teardown(void)
{
	xgw_clock_close(&clk);
	fib_skel_close(&fib);
	xgw_bpf__destroy(skel);
}

void lb_backend_set(int sid, int host, uint16_t flags)
{
	const struct lb_svc *s = &svcs[sid];
	struct xgw_backend b = { .family = HOST[host].family, .mode = s->mode,
				 .flags = flags, .nh_id = host, .svc_id = sid,
				 .port = htons(s->be_port) };
	uint32_t id = lb_be_id(sid, host);

	lb_addr(b.family, HOST[host].addr, b.addr);
	lb_addr(b.family, HOST[host].src, b.src);
	update(skel->maps.xgw_backends, &id, &b);
}

void lb_backend_del(int sid, int host)
{
	struct xgw_backend zero = { 0 };
	uint32_t id = lb_be_id(sid, host);

	update(skel->maps.xgw_backends, &id, &zero);
}

void lb_publish(int sid, const int *hosts)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_INNER_MAP);
	struct maglev_backend mb[LB_HOSTS] = {};
	uint32_t keys[LB_TBL], i, n = 0, cnt = LB_TBL;
	int fd, err;

	for (; hosts[n]; n++) {
		mb[n].addr.family = HOST[hosts[n]].family;
		lb_addr(mb[n].addr.family, HOST[hosts[n]].addr, mb[n].addr.a);
		mb[n].weight = 1;
		mb[n].id = lb_be_id(sid, hosts[n]);
	}
	err = maglev__build(mb, n, LB_TBL, table[sid]);
	if (err)
		lb_die("maglev", err);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_maglev", 4, 4, LB_TBL, &mo);
	if (fd < 0)
		lb_die("inner map", errno);
	for (i = 0; i < LB_TBL; i++)
		keys[i] = i;
	if (bpf_map_update_batch(fd, keys, table[sid], &cnt, NULL))
		lb_die("inner fill", errno);
	update(skel->maps.xgw_maglev, &(uint32_t){ sid }, &fd);
	close(fd);
}

void lb_service(int sid, const struct lb_svc *s)
{
	struct xgw_service v = { .id = sid, .mode = s->mode, .flags = XGW_SVC_F_ALLDOWN_DROP,
				 .table_size = LB_TBL, .persist_s = s->persist_s,
				 .snat_first = s->snat_first, .snat_n = s->snat_n };
	struct xgw_svc_key k = { .port = htons(s->port), .proto = s->proto,
				 .family = s->family };
	struct xgw_route mark = { .action = XGW_RT_NONE, .flags = XGW_RT_F_VIP };
	int i;

	svcs[sid] = *s;
	for (i = 0; s->hosts[i]; i++)
		lb_backend_set(sid, s->hosts[i], 0);
	lb_addr(s->family, s->vip, k.addr);
	update(skel->maps.xgw_services, &k, &v);
	lb_host_entry(s->family, s->vip, &mark);
	lb_publish(sid, s->hosts);
}

struct xgw_flow_key lb_flow(const struct pkt_spec *s)
{
	struct xgw_flow_key k = { .sport = htons(s->sport), .dport = htons(s->dport),
				  .proto = s->proto ? s->proto : IPPROTO_UDP,
				  .family = s->family };

	lb_addr(s->family, s->src, k.src);
	lb_addr(s->family, s->dst, k.dst);
	return k;
}

int lb_expect_host(int sid, const struct xgw_flow_key *k)
{
	uint32_t h = svcs[sid].persist_s ? xgw_client_hash(k->src, k->family) : xgw_flow_hash(k);
	uint32_t id = table[sid][h % LB_TBL];

	return id ? lb_be_host(id) : 0;
}

int lb_out_host(const struct pkt_run *r)
{
	int i;

	for (i = 1; i < LB_HOSTS; i++)
		if (r->out_len >= 6 && !memcmp(r->out, HOST[i].mac, 6))
			return i;
	return 0;
}

uint32_t lb_now(void)
{
	__u64 j;

	if (xgw_clock_now(&clk, &j, NULL))
		lb_die("clock", errno);
	return (uint32_t)j;
}

void lb_ct_clear(void)
{
	struct xgw_flow_key k;
	int fd = bpf_map__fd(skel->maps.xgw_conntrack);

	while (!bpf_map_get_next_key(fd, NULL, &k))
		bpf_map_delete_elem(fd, &k);
}

unsigned int lb_ct_count(void)
{
	struct xgw_flow_key k, n, *p = NULL;
	unsigned int c = 0;
	int fd = bpf_map__fd(skel->maps.xgw_conntrack);

	while (!bpf_map_get_next_key(fd, p, &n)) {
		k = n;
		p = &k;
		c++;
	}
	return c;
}

bool lb_ct_get(const struct xgw_flow_key *k, struct xgw_ct_entry *e)
{
	return !bpf_map_lookup_elem(bpf_map__fd(skel->maps.xgw_conntrack), k, e);
}

void lb_ct_put(const struct xgw_flow_key *k, const struct xgw_ct_entry *e)
{
	update(skel->maps.xgw_conntrack, k, e);
}

uint64_t lb_counter(struct bpf_map *m, uint32_t id, int field)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct xgw_lb_counter v[ncpu];
	uint64_t sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(m), &id, v))
		lb_die("lb counter", errno);
	for (i = 0; i < ncpu; i++)
		sum += field == 0 ? v[i].packets : field == 1 ? v[i].bytes : v[i].new_flows;
	return sum;
}

/* ---- checksums, from scratch ---------------------------------------------------- */

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

void lb_l4_csum(uint8_t *f, size_t len, size_t l3)
{
	bool v6 = (f[l3] >> 4) == 6;
	size_t hl = v6 ? 40 : (f[l3] & 0xf) * 4, l4 = l3 + hl, l4len, off;
	uint8_t proto = v6 ? f[l3 + 6] : f[l3 + 9];
	uint32_t s = 0;
	uint16_t c;

	l4len = v6 ? (size_t)(f[l3 + 4] << 8 | f[l3 + 5]) :
		     (size_t)(f[l3 + 2] << 8 | f[l3 + 3]) - hl;
	if (l4 + l4len > len)
		lb_die("checksum: truncated packet", EINVAL);
	switch (proto) {
	case IPPROTO_TCP: off = 16; break;
	case IPPROTO_UDP: off = 6; break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: off = 2; break;
	default: return;
	}
	f[l4 + off] = f[l4 + off + 1] = 0;
	if (proto != IPPROTO_ICMP) {	/* pseudo-header */
		s = sum16(f + l3 + (v6 ? 8 : 12), v6 ? 32 : 8, s);
		s += proto + l4len;
	}
	s = sum16(f + l4, l4len, s);
	c = fold(s);
	if (!c && proto == IPPROTO_UDP)
		c = 0xffff;
	f[l4 + off] = c >> 8;
	f[l4 + off + 1] = c & 0xff;
}

size_t lb_build(const struct pkt_spec *s, uint8_t *buf)
{
	size_t len = pkt_build(s, buf);

	lb_l4_csum(buf, len, pkt_l3_off(s));
	return len;
}

size_t lb_build_icmp(const struct pkt_spec *ic, const uint8_t *quote, size_t qlen,
		     uint8_t code, uint8_t *buf)
{
	struct pkt_spec s = *ic;
	size_t l3 = pkt_l3_off(ic), hl = ic->family == AF_INET ? 20 : 40, len;

	s.payload = qlen;
	len = pkt_build(&s, buf);
	buf[l3 + hl + 1] = code;
	memcpy(buf + l3 + hl + 8, quote, qlen);
	lb_l4_csum(buf, len, l3);
	return len;
}

bool lb_frame_eq(const struct pkt_run *r, const uint8_t *exp, size_t len)
{
	if (!r->err && r->out_len == len && !memcmp(r->out, exp, len))
		return true;
	tap_diag("output differs (err %d, got %u bytes, want %zu):", r->err, r->out_len, len);
	tap_diff(r->out, r->out_len, exp, len);
	return false;
}

void lb_read_counters(struct pkt_counters *c)
{
	pkt_counters_read(bpf_map__fd(skel->maps.xgw_stats), bpf_map__fd(skel->maps.xgw_nh_stats),
			  c);
}
