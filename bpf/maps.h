/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every map of the xgw object. Names, keys and values are the contract in
 * docs/TEAM.md and common/xgw_shared.h; xgwd pins each one by name under its
 * pin dir (pin paths are set by the loader, not here). All are BTF-defined so
 * `bpftool map dump` prints field names.
 */
#ifndef XGW_MAPS_H
#define XGW_MAPS_H

#include "xgw_shared.h"

/* Run-time settings written by xgwd: latency sampling, conntrack limits. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xgw_config);
	__uint(max_entries, 1);
} xgw_config SEC(".maps");

/*
 * Next hops by nh_id: egress port, MACs, MTU, VLAN, resolved flag, in two
 * versions and a selector (struct xgw_nh_slot; read through
 * xgw_nexthop_get()). Mmappable: xgwd switches versions with ordered
 * stores, so no packet sees a half-written next hop.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xgw_nh_slot);
	__uint(max_entries, XGW_MAX_NEXTHOPS);
	__uint(map_flags, BPF_F_MMAPABLE);
} xgw_nexthops SEC(".maps");

/* ---- router-dp ---- */
/* Multipath: resilient hash buckets per group id (XGW_RT_MULTIPATH routes). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xgw_nh_group);
	__uint(max_entries, XGW_MAX_NHGROUPS);
	__uint(map_flags, BPF_F_MMAPABLE);
} xgw_nh_groups SEC(".maps");

/* Per attached link: ICMP error source addresses, attached VLANs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct xgw_ifinfo_view);	/* bpftool: bytes */
	__uint(max_entries, XGW_MAX_PORTS);
} xgw_ifinfo SEC(".maps");

/* ICMP error token bucket, per CPU (xgw_config.icmp_rate / icmp_burst). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xgw_icmp_bucket);
	__uint(max_entries, 1);
} xgw_icmp_tb SEC(".maps");
/* ---- end router-dp ---- */

/* Egress devices by ifindex: the redirect target of every forward. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
	__uint(max_entries, XGW_MAX_PORTS);
} xgw_tx_ports SEC(".maps");

/* Packets and bytes per enum xgw_reason, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xgw_counter);
	__uint(max_entries, XGW_REASON_MAX);
} xgw_stats SEC(".maps");

/* Forwarded packets and bytes per next hop, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xgw_counter);
	__uint(max_entries, XGW_MAX_NEXTHOPS);
} xgw_nh_stats SEC(".maps");

/* Sampled processing-time histogram, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xgw_latency);
	__uint(max_entries, 1);
} xgw_latency SEC(".maps");

/*
 * The sampler's countdown, per CPU: packets to let by before the next
 * timed one. 0 = read xgw_config.latency_sample now: whoever changes that
 * zeroes this on every CPU, so a new rate applies from the next packet.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} xgw_lat_left SEC(".maps");

/* L4 services by (VIP, port, proto, family); only VIP-flagged hosts look. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct xgw_svc_key_view);	/* bpftool: bytes */
	__type(value, struct xgw_service);
	__uint(max_entries, XGW_MAX_SERVICES);
} xgw_services SEC(".maps");

/*
 * Maglev lookup table per service id: slot -> backend_id. Inner maps may
 * differ in size (BPF_F_INNER_MAP), so a service's table can be resized by
 * swapping in a new inner map.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, XGW_MAX_SERVICES);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_ARRAY);
		__type(key, __u32);
		__type(value, __u32);
		__uint(max_entries, XGW_MAGLEV_DEFAULT);
		__uint(map_flags, BPF_F_INNER_MAP);
	});
} xgw_maglev SEC(".maps");

/* Backends by backend_id: address, outer source, next hop, state. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xgw_backend_view);	/* bpftool: bytes */
	__uint(max_entries, XGW_MAX_BACKENDS);
} xgw_backends SEC(".maps");

/*
 * The connection table (lb-dp): dsr/ipip flows, both directions of NAT
 * flows (struct xgw_ct_entry). A hash, not an LRU: nothing evicts a live
 * entry; xgwd sweeps the expired ones (common/ct.c). Preallocated, so an
 * insert on a full table fails at once (new NAT flows are refused, counted
 * ct_full; dsr/ipip flows go on by Maglev unlearnt).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct xgw_flow_key_view);	/* bpftool: bytes */
	__type(value, struct xgw_ct_entry_view);
	__uint(max_entries, XGW_CT_SIZE);
} xgw_conntrack SEC(".maps");

/*
 * Flows seen once (lb-dp): slot = flow hash % XGW_CT_SEEN_SLOTS, value = the
 * hash. A dsr/ipip flow is learnt when a packet without SYN finds its own
 * mark, i.e. on its second packet: a flood of one packet per flow, SYN or
 * not, never reaches the connection table.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, XGW_CT_SEEN_SLOTS);
} xgw_ct_seen SEC(".maps");

/* NAT source pools (lb-dp): a service's pool is a range of indexes. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xgw_snat_view);	/* bpftool: bytes */
	__uint(max_entries, XGW_MAX_SNAT);
} xgw_snat SEC(".maps");

/*
 * Scratch for a new NAT flow's entry and reply key (lb-dp): the service
 * path's stack is nearly full (512 bytes for the program and the one
 * function it calls).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xgw_nat_scratch);
	__uint(max_entries, 1);
} xgw_nat_scratch SEC(".maps");

/* Session persistence (lb-dp): (service, client address) -> backend. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xgw_persist_key_view);	/* bpftool: bytes */
	__type(value, struct xgw_persist);
	__uint(max_entries, XGW_PERSIST_SIZE);
} xgw_persist SEC(".maps");

/* Per-service packets, bytes, new flows, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xgw_lb_counter);
	__uint(max_entries, XGW_MAX_SERVICES);
} xgw_svc_stats SEC(".maps");

/* Per-backend packets, bytes, new flows, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xgw_lb_counter);
	__uint(max_entries, XGW_MAX_BACKENDS);
} xgw_be_stats SEC(".maps");

/*
 * ---- the FIB (fib stream; layout in common/xgw_shared.h, docs/fib.md) ----
 * One per family: every destination, prefixes, host routes, the gateway's
 * addresses and VIP marks. Mmapped by xgwd and written in place by
 * common/fib.c; read by bpf/fib_lookup.h.
 */
#define XGW_FIB_ARRAY(name, vtype, n)				\
	struct {						\
		__uint(type, BPF_MAP_TYPE_ARRAY);		\
		__type(key, __u32);				\
		__type(value, vtype);				\
		__uint(max_entries, n);				\
		__uint(map_flags, BPF_F_MMAPABLE);		\
	} name SEC(".maps")

/*
 * Per family: the lookup arrays (direct table, leaves, chunk heap, IPv6's
 * hash buckets: one value), and the route records, never read here (they
 * hold addresses: declared with their views, so bpftool prints bytes).
 */
XGW_FIB_ARRAY(xgw_fib4, struct xgw_fib4_tables, 1);
XGW_FIB_ARRAY(xgw_fib4_routes, struct xgw_fib4_rec_view, XGW_FIB4_ROUTES);
XGW_FIB_ARRAY(xgw_fib6, struct xgw_fib6_tables, 1);
XGW_FIB_ARRAY(xgw_fib6_routes, struct xgw_fib6_rec_view, XGW_FIB6_ROUTES);

#endif /* XGW_MAPS_H */
