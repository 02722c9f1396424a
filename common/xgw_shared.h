/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every structure that crosses the kernel/user boundary, and every limit and
 * reason code both sides agree on. The BPF program (bpf/) and the control
 * plane (ctl/, tools/, tests/) include this one file; nothing here is ever
 * copied by hand.
 *
 * Layout rules: fixed-width types, network byte order where the packet has it,
 * explicit padding, and a size assertion on every struct. Any change to a
 * struct, a map's key/value/size or to the meaning of a field bumps
 * XGW_LAYOUT_VERSION: xgwd refuses to adopt pinned maps of another version.
 */
#ifndef XGW_SHARED_H
#define XGW_SHARED_H

#ifdef __bpf__
/* vmlinux.h already defines the __u8..__u64/__be types. */
#else
#include <linux/types.h>
#endif

#define XGW_LAYOUT_VERSION	3	/* 2: IPv4 FIB in DIR-24-8 arrays; 3: FIB v2, next-hop groups, NAT */

/* ---- limits (each overridable at build time) ---------------------------- */
#ifndef XGW_MAX_NEXTHOPS
#define XGW_MAX_NEXTHOPS	4096	/* next-hop table, index = nh_id */
#endif
#ifndef XGW_MAX_PORTS
#define XGW_MAX_PORTS		256	/* egress devices in the devmap */
#endif
#ifndef XGW_MAX_SERVICES
#define XGW_MAX_SERVICES	1024	/* index = service id, 0 unused */
#endif
#ifndef XGW_MAX_BACKENDS
#define XGW_MAX_BACKENDS	8192	/* index = backend id, 0 = none */
#endif
#ifndef XGW_CT_SIZE
#define XGW_CT_SIZE		262144	/* connection table entries (a NAT flow takes two) */
#endif
#ifndef XGW_MAX_SNAT
#define XGW_MAX_SNAT		4096	/* NAT source pool addresses, all services */
#endif
#ifndef XGW_PERSIST_SIZE
#define XGW_PERSIST_SIZE	65536	/* session persistence: (service, client) entries */
#endif
#define XGW_MAGLEV_DEFAULT	65537	/* prime, per the Maglev paper */
#define XGW_MAGLEV_MAX		1048573	/* largest prime table we accept */
#define XGW_IPV6_MAX_EXTHDR	4	/* extension headers skipped before L4 */
#define XGW_VLAN_MAX_DEPTH	2	/* 802.1Q / 802.1ad tags parsed */
#define XGW_LAT_BUCKETS		32	/* log2(ns) histogram buckets */
/* router-dp: next-hop groups (multipath) */
#ifndef XGW_MAX_NHGROUPS
#define XGW_MAX_NHGROUPS	1024	/* group table, index = group id, 0 unused */
#endif
#define XGW_NHG_BUCKETS		256	/* resilient hash buckets per group (power of 2) */
#define XGW_NHG_PROBE		4	/* further buckets tried past an unresolved member */

/* ---- verdicts and reasons ------------------------------------------------ */
/*
 * Every packet the program sees ends in exactly one reason; the reason's
 * class says what happened to it. The class RX is not stored: rx = fwd + pass
 * + drop + tx (TX: the gateway answered it itself, e.g. with an ICMP error
 * sent back out of the ingress port in its place). Class ERROR counts events reported by the kernel's xdp tracepoints
 * (a redirect that failed after the program returned), not extra packets.
 *
 * X(ID, CLASS, "name", "help") -- the name is what the CLI, the metrics
 * (label reason="name") and the docs print. Append only: the enum value is
 * the index into the xgw_stats map.
 */
#define XGW_REASONS(X)							\
	X(FWD,		FWD,  "forward",	"forwarded to a next hop")	\
	X(FWD_LB,	FWD,  "forward_lb",	"forwarded to a service backend") \
	X(PASS_NON_IP,	PASS, "non_ip",		"not IPv4/IPv6 (ARP, LLDP...)") \
	X(PASS_ND,	PASS, "ipv6_nd",	"IPv6 neighbour discovery")	\
	X(PASS_LOCAL,	PASS, "local",		"destination is the gateway itself") \
	X(PASS_MCAST,	PASS, "multicast",	"multicast/broadcast/link-local destination") \
	X(PASS_NO_ROUTE, PASS, "no_route",	"no route matches the destination") \
	X(PASS_UNRESOLVED, PASS, "unresolved",	"next hop not resolved yet")	\
	X(PASS_TTL,	PASS, "ttl_exceeded",	"TTL/hop limit <= 1")		\
	X(PASS_MTU,	PASS, "frag_needed",	"larger than the egress MTU")	\
	X(PASS_NO_PORT,	PASS, "no_tx_port",	"egress device not in the devmap") \
	X(PASS_EXTHDR,	PASS, "ipv6_exthdr",	"too many IPv6 extension headers") \
	X(PASS_FRAG,	PASS, "fragment",	"IP fragment for a service")	\
	X(DROP_MALFORMED, DROP, "malformed",	"truncated or malformed L2 header") \
	X(DROP_BAD_IP,	DROP, "bad_ip_header",	"bad IP version/IHL/length")	\
	X(DROP_TRUNC_L4, DROP, "truncated_l4",	"L4 header beyond the frame")	\
	X(DROP_BLACKHOLE, DROP, "blackhole",	"blackhole route")		\
	X(DROP_MARTIAN,	DROP, "martian_source",	"source is 0/8, 127/8, multicast...") \
	X(DROP_NO_BACKEND, DROP, "no_backend",	"service has no usable backend") \
	X(DROP_ENCAP,	DROP, "encap_failed",	"could not grow the frame for encapsulation") \
	X(DROP_DECAP,	DROP, "decap_failed",	"malformed tunnel packet")	\
	X(DROP_NAT_PORT, DROP, "nat_no_port",	"no free NAT source port for a new flow") \
	X(DROP_CT_FULL,	DROP, "ct_full",	"connection table full: a new NAT flow refused") \
	/* router-dp */							\
	X(TX_ICMP_TIME,	TX,   "icmp_time_exceeded", "answered with ICMP time exceeded (TTL/hop limit)") \
	X(TX_ICMP_MTU,	TX,   "icmp_frag_needed", "answered with ICMP fragmentation needed / packet too big") \
	X(DROP_ICMP_LIMIT, DROP, "icmp_ratelimited", "TTL/MTU error whose ICMP answer the rate limit refused") \
	X(DROP_MARTIAN_DST, DROP, "martian_destination", "destination is 0/8, 127/8, 240/4, ::1, ::ffff:0:0/96...") \
	X(DROP_SRCROUTE, DROP, "source_route",	"IPv4 loose or strict source route option") \
	X(PASS_IPOPT,	PASS, "ip_options",	"IP options the kernel must process (Router Alert...)") \
	X(PASS_VLAN,	PASS, "vlan_unknown",	"tagged with a VLAN not attached to the link") \
	X(ERR_REDIRECT,	ERROR, "redirect_error", "redirect failed (xdp_redirect_err)") \
	X(ERR_XMIT,	ERROR, "xmit_drop",	"dropped by the egress device (xdp_devmap_xmit)")

enum xgw_reason {
#define XGW_X_ENUM(id, cls, name, help) XGW_##id,
	XGW_REASONS(XGW_X_ENUM)
#undef XGW_X_ENUM
	XGW_REASON_MAX
};

enum xgw_class {
	XGW_CLASS_FWD = 0,
	XGW_CLASS_PASS,
	XGW_CLASS_DROP,
	XGW_CLASS_TX,		/* answered out of the ingress port (XDP_TX) */
	XGW_CLASS_ERROR,
	XGW_CLASS_MAX
};

/* ---- counters ------------------------------------------------------------ */
/* xgw_stats[reason], xgw_nh_stats[nh_id]: per-CPU, summed by the reader. */
struct xgw_counter {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct xgw_counter) == 16, "xgw_counter");

/* xgw_svc_stats[svc_id], xgw_be_stats[backend_id] */
struct xgw_lb_counter {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;	/* flows not found in the connection table */
	__u64 pad;
};
_Static_assert(sizeof(struct xgw_lb_counter) == 32, "xgw_lb_counter");

/*
 * xgw_latency[0], per CPU. bucket[i] counts samples with
 * 2^(i-1) <= ns < 2^i (bucket[0]: 0 ns); the last bucket is open-ended.
 * Which packet is timed is xgw_lat_left's business (bpf/stats.h).
 */
struct xgw_latency {
	__u64 bucket[XGW_LAT_BUCKETS];
	__u64 count;
	__u64 sum_ns;
	__u64 pad[2];
};
_Static_assert(sizeof(struct xgw_latency) == 8 * (XGW_LAT_BUCKETS + 4),
	       "xgw_latency");

/* ---- configuration: xgw_config[0], written by xgwd ----------------------- */
#define XGW_LATENCY_SAMPLE_DEFAULT	1024	/* time one packet in N */
#define XGW_LAT_RECHECK		65535	/* sampling off: read the rate again after N */
#define XGW_CT_UDP_TIMEOUT_DEFAULT	30	/* seconds */
#define XGW_CT_FLOOD_DEFAULT		65536	/* unused since layout 3 (see ct_flood_limit) */
#define XGW_HZ_DEFAULT			250	/* jiffies per second when xgw_config.hz is 0 */
#define XGW_CT_TCP_SYN_DEFAULT		30	/* seconds: SYN seen, no other packet */
#define XGW_CT_TCP_EST_DEFAULT		3600	/* established */
#define XGW_CT_TCP_FIN_DEFAULT		60	/* FIN from one side */
#define XGW_CT_TCP_TW_DEFAULT		120	/* FIN from both sides: time-wait */
#define XGW_CT_TCP_CLOSE_DEFAULT	10	/* RST */
#define XGW_NAT_PORT_MIN_DEFAULT	1024	/* nat source ports: below Linux's */
#define XGW_NAT_PORT_MAX_DEFAULT	32767	/* ephemeral range (32768-60999) */
#define XGW_ICMP_RATE_DEFAULT		1000	/* ICMP errors/s per CPU (icmp_msgs_per_sec) */
#define XGW_ICMP_BURST_DEFAULT		50	/* bucket depth (icmp_msgs_burst) */

struct xgw_config {
	__u32 layout_version;	/* XGW_LAYOUT_VERSION of whoever wrote it */
	__u32 latency_sample;	/* 0 = off, else time 1 packet in N */
	__u32 ct_udp_timeout_s;	/* idle UDP flows expire after this */
	__u32 ct_flood_limit;	/* unused since layout 3: SYNs are never learnt */
	__u32 flags;		/* XGW_CFG_F_* */
	__u32 pad[3];
	/* connection table (lb-dp); 0 = the _DEFAULT above */
	__u32 hz;		/* jiffies per second: the connection table's clock */
	__u32 ct_tcp_syn_s;	/* TCP timeouts, seconds (see struct xgw_ct_entry) */
	__u32 ct_tcp_est_s;
	__u32 ct_tcp_fin_s;
	__u32 ct_tcp_tw_s;
	__u32 ct_tcp_close_s;
	__u16 nat_port_min;	/* nat source ports, inclusive */
	__u16 nat_port_max;
	__u32 pad2;
	/* router-dp: ICMP errors generated in XDP, a token bucket per CPU */
	__u32 icmp_rate;	/* errors/s per CPU; 0 = none: the kernel gets those packets */
	__u32 icmp_burst;	/* bucket depth, errors; 0 = 1 */
};
_Static_assert(sizeof(struct xgw_config) == 72, "xgw_config");

/* ---- routing --------------------------------------------------------------- */
enum xgw_route_action {
	XGW_RT_NONE = 0,	/* no route: only a VIP marker, fall through */
	XGW_RT_NEXTHOP,		/* forward to nexthops[nh_id] */
	XGW_RT_LOCAL,		/* hand to the kernel: the gateway's own address */
	XGW_RT_BLACKHOLE,	/* drop */
	XGW_RT_MULTIPATH,	/* forward by flow hash over group nh_id (xgw_nh_groups) */
};

#define XGW_RT_F_VIP	0x1	/* host entry is also a service VIP */
#define XGW_RT_F_OWN	0x2	/* host entry is one of the gateway's addresses */
#define XGW_RT_F_MASK	0x3

/* A route: the unpacked form of a FIB leaf (xgw_fib_pack()). */
struct xgw_route {
	__u8  action;		/* enum xgw_route_action */
	__u8  flags;		/* XGW_RT_F_* (host entries only) */
	__u16 pad;
	__u32 nh_id;		/* XGW_RT_NEXTHOP: next hop; XGW_RT_MULTIPATH: group */
};
_Static_assert(sizeof(struct xgw_route) == 8, "xgw_route");

/* ---- FIB v2 (fib stream): both families, layout 3 --------------------------------- */
/*
 * Every destination of a family, prefixes, host routes, the gateway's own
 * addresses and VIP marks alike, answers from one FIB: leaf-pushed address
 * ranges (DXR, Zec, Rizzo, Mikuc 2012) in compact chunks, found through a
 * direct table on the first 16 bits and, for IPv6, hash tables keyed by
 * the first 32 and 48 bits that the datapath probes in parallel. See
 * docs/fib.md for the structure, the measurements behind it and the update
 * protocol; common/fib.c writes it, bpf/fib_lookup.h reads it.
 *
 * A value (direct entry, hash value) is a leaf index (bit 31 clear: the
 * answer for the whole span), or a chunk reference (XGW_FIB_NODE): the
 * chunk at heap[ref & XGW_FIB_OFF] (16-bit units) is heap[off] = n - 1
 * followed by n ranges sorted by start, over the next 16 bits of the
 * address (the key); the answer is the last range whose start <= key.
 * XGW_FIB_SHORT: a range is one unit, start >> 8 in its high byte and the
 * leaf in its low byte; otherwise two units, start then leaf. Leaf 0 is
 * "no route"; the leaf table holds the packed route (xgw_fib_pack()).
 */
#ifndef XGW_FIB4_HEAP
#define XGW_FIB4_HEAP		(1u << 23)	/* IPv4 chunk heap, 16-bit units (16 MiB) */
#endif
#ifndef XGW_FIB6_HEAP
#define XGW_FIB6_HEAP		(1u << 23)	/* IPv6 chunk heap, 16-bit units (16 MiB) */
#endif
#ifndef XGW_FIB6_H32
#define XGW_FIB6_H32		(1u << 18)	/* /32 hash buckets (7 keys each) */
#endif
#ifndef XGW_FIB6_H48
#define XGW_FIB6_H48		(1u << 18)	/* /48 hash buckets (5 keys each) */
#endif
#ifndef XGW_FIB6_HD
#define XGW_FIB6_HD		(1u << 17)	/* /128 and deep hash buckets (2 keys each) */
#endif
#ifndef XGW_FIB4_ROUTES
#define XGW_FIB4_ROUTES		(1u << 21)	/* IPv4 routes (records for a restart) */
#endif
#ifndef XGW_FIB6_ROUTES
#define XGW_FIB6_ROUTES		(1u << 21)	/* IPv6 routes */
#endif
#define XGW_FIB_DIR		65536		/* direct table entries (first 16 bits) */
#define XGW_FIB_LEAVES		65536		/* leaf table entries (16-bit index) */
#define XGW_FIB_PROBES		8		/* buckets a hash lookup reads at most */
_Static_assert(!(XGW_FIB4_HEAP & (XGW_FIB4_HEAP - 1)) && !(XGW_FIB6_HEAP & (XGW_FIB6_HEAP - 1)),
	       "heaps are powers of two (the datapath masks offsets)");
_Static_assert(!(XGW_FIB6_H32 & (XGW_FIB6_H32 - 1)) && !(XGW_FIB6_H48 & (XGW_FIB6_H48 - 1)) &&
	       !(XGW_FIB6_HD & (XGW_FIB6_HD - 1)), "hash tables are powers of two");

#define XGW_FIB_NODE		0x80000000u	/* value: a chunk reference */
#define XGW_FIB_SHORT		0x40000000u	/* chunk of one-unit ranges */
#define XGW_FIB_OFF		0x3fffffffu	/* chunk offset in the heap */
#define XGW_FIB_LEAF		0x0000ffffu	/* value: leaf index */

/*
 * Leaf values are packed routes: flags << 28 | action << 24 | nh_id (the
 * prefix-length field, bits 16-21 and for IPv6 up to bit 23, is left 0 in
 * the datapath's leaves so that neighbouring ranges of one next hop merge;
 * the route records keep it). IPv6 only: XGW_FIB_EXT marks the /64s holding longer
 * routes; its low 16 bits are the leaf of the rest of the /64, and
 * XGW_FIB_EXT_HOSTS / _DEEP say whether /128s (hash HD, len 128) or
 * /65-/127 routes (a deep chunk: hash HD, len 64) may answer instead.
 */
#define XGW_FIB_EXT		0x80000000u
#define XGW_FIB_EXT_HOSTS	0x40000000u
#define XGW_FIB_EXT_DEEP	0x20000000u
#define XGW_FIB_FLAGS_SHIFT	28		/* XGW_RT_F_*, 3 bits */
#define XGW_FIB_ACTION_SHIFT	24		/* enum xgw_route_action, 4 bits */
#define XGW_FIB_DEPTH_SHIFT	16		/* prefix length (route records only), 8 bits */
#define XGW_FIB_NH_MASK		0x0000ffffu	/* nh_id */

/*
 * IPv6 hash tables: one cache line per bucket, linear probing by bucket.
 * over: how many keys homed in this bucket or before it live after it (a
 * lookup reads the next bucket only while over is not 0). A slot is free
 * when its value is 0; keys are in host order.
 */
struct xgw_fib_b32 {
	__u32 over, pad;
	struct {
		__u32 key;	/* first 32 bits */
		__u32 val;
	} s[7];
};
_Static_assert(sizeof(struct xgw_fib_b32) == 64, "xgw_fib_b32");

struct xgw_fib_b48 {
	__u32 over;
	struct {
		__u32 hi;	/* first 32 bits */
		__u32 lo;	/* next 16 bits, in the low half */
		__u32 val;
	} s[5];
};
_Static_assert(sizeof(struct xgw_fib_b48) == 64, "xgw_fib_b48");

/*
 * Hosts (len 128: val is a leaf) and deep chunks (len 64: the chunk of the
 * /64's routes of /65-/127, whose ranges are 8 units: the 64-bit start in
 * four units, most significant first, the leaf, three units of padding;
 * XGW_FIB_SHORT never set).
 */
struct xgw_fib_bd {
	__u32 over, pad[3];
	struct {
		__u32 k[4];
		__u32 val;
		__u32 len;
	} s[2];
};
_Static_assert(sizeof(struct xgw_fib_bd) == 64, "xgw_fib_bd");
_Static_assert(XGW_MAX_NEXTHOPS <= XGW_FIB_NH_MASK + 1, "nh_id fits a FIB leaf");
_Static_assert(XGW_MAX_NHGROUPS <= XGW_FIB_NH_MASK + 1, "group id fits a FIB leaf");
_Static_assert(XGW_RT_F_MASK <= 7, "route flags fit a FIB leaf");

/*
 * A family's lookup arrays, the one value of its map (xgw_fib4, xgw_fib6):
 * one pointer reaches them all. The heap comes last, followed by
 * XGW_FIB_SLACK units no chunk uses: the datapath points at a chunk and
 * indexes it (any index below XGW_FIB_SLACK), which the verifier can only
 * prove in bounds with that much room after any offset into the heap.
 * Offsets are multiples of 64.
 */
#define XGW_FIB_SLACK		(1u << 17)	/* units: the longest chunk, 2 * 65536 + 1 */

struct xgw_fib4_tables {
	__u32 dir[XGW_FIB_DIR];
	__u32 leaves[XGW_FIB_LEAVES];
	__u16 heap[XGW_FIB4_HEAP];
	__u16 slack[XGW_FIB_SLACK + 64];
};

struct xgw_fib6_tables {
	__u32 dir[XGW_FIB_DIR];
	__u32 leaves[XGW_FIB_LEAVES];
	struct xgw_fib_b32 h32[XGW_FIB6_H32];
	struct xgw_fib_b48 h48[XGW_FIB6_H48];
	struct xgw_fib_bd hd[XGW_FIB6_HD];
	__u16 heap[XGW_FIB6_HEAP];
	__u16 slack[XGW_FIB_SLACK + 64];
};
_Static_assert(__builtin_offsetof(struct xgw_fib6_tables, heap) % 64 == 0 &&
	       __builtin_offsetof(struct xgw_fib6_tables, h32) % 64 == 0, "buckets on lines");

/*
 * Route records (xgw_fib4_routes, xgw_fib6_routes): the route set itself,
 * never read by the datapath, for a restarted xgwd (which next hop a route
 * had). e: the packed route with its prefix length in the depth field; 0:
 * free.
 */
struct xgw_fib4_rec {
	__be32 addr;
	__u32 e;
};
_Static_assert(sizeof(struct xgw_fib4_rec) == 8, "xgw_fib4_rec");

struct xgw_fib6_rec {
	__be32 addr[4];
	__u32 e;
	__u32 pad;
};
_Static_assert(sizeof(struct xgw_fib6_rec) == 24, "xgw_fib6_rec");

static inline __attribute__((always_inline)) __u32 xgw_fib_pack(const struct xgw_route *rt)
{
	return (__u32)(rt->flags & XGW_RT_F_MASK) << XGW_FIB_FLAGS_SHIFT |
	       (__u32)(rt->action & 0xf) << XGW_FIB_ACTION_SHIFT |
	       (rt->nh_id & XGW_FIB_NH_MASK);
}

static inline __attribute__((always_inline)) void xgw_fib_unpack(__u32 e, struct xgw_route *rt)
{
	rt->action = (e >> XGW_FIB_ACTION_SHIFT) & 0xf;
	rt->flags = (e >> XGW_FIB_FLAGS_SHIFT) & 0x7;
	rt->pad = 0;
	rt->nh_id = e & XGW_FIB_NH_MASK;
}

/* Bucket of a key (shared by both sides: a multiplicative hash). */
static inline __attribute__((always_inline)) __u32 xgw_fib_hash32(__u32 hi)
{
	return (__u32)(((__u64)hi * 0x9e3779b97f4a7c15ULL) >> 32);
}

static inline __attribute__((always_inline)) __u32 xgw_fib_hash48(__u32 hi, __u32 lo)
{
	return (__u32)((((__u64)hi << 16 | (lo & 0xffff)) * 0x9e3779b97f4a7c15ULL) >> 32);
}

static inline __attribute__((always_inline)) __u32 xgw_fib_hashd(__u64 hi, __u64 lo, __u32 len)
{
	__u64 x = hi * 0x9e3779b97f4a7c15ULL;

	x ^= lo * 0xc2b2ae3d27d4eb4fULL;
	x ^= (__u64)len * 0x165667b19e3779f9ULL;
	return (__u32)(x >> 32);
}

#define XGW_NH_F_RESOLVED	0x1	/* dmac is valid and the link is up */

/* A next hop as the datapath uses it: one version of an xgw_nexthops slot. */
struct xgw_nexthop {
	__u8  dmac[6];		/* next hop's address */
	__u8  smac[6];		/* egress device's address */
	__u32 ifindex;		/* egress device, also the devmap key */
	__u16 mtu;		/* L3 MTU of the egress device */
	__u16 vlan;		/* 802.1Q VID to push on egress, 0 = none */
	__u32 flags;		/* XGW_NH_F_* */
};
_Static_assert(sizeof(struct xgw_nexthop) == 24, "xgw_nexthop");

/*
 * xgw_nexthops[nh_id] (nh_id 0 is never used): two versions of the next hop
 * and the selector. The datapath reads v[gen & 1] and nothing else, so a
 * change never shows half written: the writer (common/nhtable.c, through
 * the mmapped array, one writer at a time) fills the other version, then
 * stores gen + 1 with release order; before it writes a version again, a
 * grace period (every XDP program running at the flip has returned) has
 * passed since the flip that retired it. One slot is one cache line.
 */
struct xgw_nh_slot {
	__u32 gen;		/* v[gen & 1] is live */
	__u32 pad;
	struct xgw_nexthop v[2];
	__u64 pad2;
};
_Static_assert(sizeof(struct xgw_nh_slot) == 64, "xgw_nh_slot");
_Static_assert(__builtin_offsetof(struct xgw_nh_slot, v) == 8 &&
	       __builtin_offsetof(struct xgw_nh_slot, v[1]) == 32,
	       "xgw_nh_slot versions 8-byte aligned (the MACs are read as 8 + 4 bytes)");
_Static_assert(__builtin_offsetof(struct xgw_nexthop, smac) == 6 &&
	       __builtin_offsetof(struct xgw_nexthop, ifindex) == 12,
	       "dmac then smac: the MAC rewrite copies 12 bytes");

/*
 * xgw_nh_groups[group id] (id 0 unused): a multipath route's next hops as
 * resilient hash buckets, as the kernel's `type resilient` groups keep
 * them. A flow's bucket is its hash (5-tuple, the kernel's L4 policy,
 * mixed with seed) & (XGW_NHG_BUCKETS - 1); the bucket holds a member's
 * nh_id (0: empty). A member that leaves frees only its own buckets, so
 * only its own flows move (xgw_nhg_fill() in common/nhgroup.c computes the
 * buckets). Each bucket is one aligned 16-bit store: the datapath reads
 * the group while xgwd rewrites it, through the mmapped array. A bucket
 * whose next hop is not resolved sends the flow to the next
 * XGW_NHG_PROBE buckets in turn, then to the kernel (unresolved).
 */
struct xgw_nh_group {
	__u32 seed;		/* hash seed: gateways in a chain should differ */
	__u32 pad;
	__u16 bucket[XGW_NHG_BUCKETS];	/* member nh_id, 0 = empty */
};
_Static_assert(sizeof(struct xgw_nh_group) == 8 + 2 * XGW_NHG_BUCKETS, "xgw_nh_group");
_Static_assert((XGW_NHG_BUCKETS & (XGW_NHG_BUCKETS - 1)) == 0, "buckets: a power of 2");

/*
 * xgw_ifinfo[ifindex]: what the datapath needs to know of an attached link
 * beyond its next hops. addr4/addr6: the gateway's address on the link,
 * the source of the ICMP errors it sends back out of it (0 / ::: none, the
 * kernel gets those packets). vlans: the 802.1Q VIDs attached on it (bit
 * VID of the 4096-bit set); a tagged frame whose outer VID is not in the
 * set is handed to the kernel (vlan_unknown). No entry: no address, no
 * VLAN.
 */
#define XGW_VLAN_IDS		4096
struct xgw_ifinfo {
	__be32 addr4;
	__be32 addr6[4];
	__u32  flags;		/* none yet */
	__u64  vlans[XGW_VLAN_IDS / 64];
};
_Static_assert(sizeof(struct xgw_ifinfo) == 24 + XGW_VLAN_IDS / 8, "xgw_ifinfo");

/* xgw_icmp_tb[0], per CPU: the ICMP error token bucket (credit in ns). */
struct xgw_icmp_bucket {
	__u64 stamp_ns;		/* last refill, bpf_ktime_get_ns() */
	__u64 credit_ns;	/* 1e9 / icmp_rate per error, up to icmp_burst errors */
};
_Static_assert(sizeof(struct xgw_icmp_bucket) == 16, "xgw_icmp_bucket");

/* ---- load balancing (stream lb-dp: datapath layouts) -------------------------- */
enum xgw_lb_mode {
	XGW_LB_DSR = 0,		/* rewrite dmac to the backend's */
	XGW_LB_IPIP,		/* encapsulate: gateway -> backend */
	XGW_LB_NAT,		/* full NAT: VIP:port -> backend addr:port, client -> gateway addr:port */
};

/* xgw_services key. family is AF_INET/AF_INET6; v4 uses addr[0]. */
struct xgw_svc_key {
	__be32 addr[4];
	__be16 port;
	__u8   proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	__u8   family;
};
_Static_assert(sizeof(struct xgw_svc_key) == 20, "xgw_svc_key");

#define XGW_SVC_F_ALLDOWN_DROP	0x1	/* no usable backend: drop (else route) */

/*
 * xgw_services value. persist_s > 0: session persistence, the same client
 * address goes to the same backend across connections (Maglev on the client
 * address alone, so every gateway agrees, plus xgw_persist to keep the choice
 * for persist_s seconds after the client's last new connection when the
 * backend set changes). NAT sources: with snat_n > 0, the pool
 * xgw_snat[snat_first .. snat_first + snat_n - 1]; with 0, each backend's
 * src (the gateway's address on the way to it).
 */
struct xgw_service {
	__u32 id;		/* index into xgw_maglev, xgw_svc_stats */
	__u8  mode;		/* enum xgw_lb_mode */
	__u8  flags;		/* XGW_SVC_F_* */
	__u16 snat_n;		/* nat: addresses in its source pool, 0 = per backend */
	__u32 table_size;	/* entries in its Maglev table */
	__u32 persist_s;	/* session persistence, seconds; 0 = off */
	__u32 snat_first;	/* nat: first index of its pool in xgw_snat */
	__u32 pad[3];
};
_Static_assert(sizeof(struct xgw_service) == 32, "xgw_service");

#define XGW_BE_F_DOWN	0x1	/* failed health checks: flows re-balance */
#define XGW_BE_F_DRAIN	0x2	/* keeps its flows, takes no new ones */
#define XGW_BE_F_SRC_FLOW 0x4	/* ipip: outer source = src with its last 16 bits
				 * (IPv6: 32) set to 1..0xfffe from the client's address
				 * and ports, so a backend's NIC (RSS on the outer
				 * addresses) spreads tunnel traffic over its queues */

/*
 * xgw_backends[backend_id]; a backend id belongs to one service. A
 * connection-table hit is trusted while the backend it names still has the
 * same svc_id, is not down and has a family (0: deleted): the datapath then
 * forwards without looking the service up, in the mode copied here.
 */
struct xgw_backend {
	__be32 addr[4];		/* backend address (outer destination, nat destination) */
	__be32 src[4];		/* the gateway's address towards it: ipip outer source,
				 * nat source when the service has no pool */
	__u8   family;		/* AF_INET / AF_INET6; 0 = no backend */
	__u8   mode;		/* its service's enum xgw_lb_mode */
	__u16  flags;		/* XGW_BE_F_* */
	__u32  nh_id;		/* how to reach the backend (on-link for dsr) */
	__u32  svc_id;		/* its service */
	__be16 port;		/* nat: the backend's port; 0 = the service's */
	__u16  pad;
};
_Static_assert(sizeof(struct xgw_backend) == 48, "xgw_backend");

/* xgw_snat[i]: one NAT source address of a service's pool. */
struct xgw_snat {
	__be32 addr[4];
	__u8   family;		/* must be the service's */
	__u8   pad[3];
};
_Static_assert(sizeof(struct xgw_snat) == 20, "xgw_snat");

/*
 * xgw_conntrack key: a packet's 5-tuple as it arrives. For a client's flow
 * src is the client; the reply of a NAT flow arrives as (backend ->
 * gateway address) and has an entry of its own.
 */
struct xgw_flow_key {
	__be32 src[4];
	__be32 dst[4];
	__be16 sport;
	__be16 dport;
	__u8   proto;
	__u8   family;
	__u16  pad;
};
_Static_assert(sizeof(struct xgw_flow_key) == 40, "xgw_flow_key");

/*
 * The connection table, xgw_conntrack: a hash (never LRU: a flood cannot
 * evict a live flow, and a NAT mapping is never dropped while in use)
 * whose dead entries xgwd sweeps (common/ct.c). Kinds:
 *  - XGW_CT_LB: a dsr/ipip flow, client -> VIP; learnt on the flow's second
 *    packet that is no SYN (until then Maglev gives the same backend)
 *  - XGW_CT_NAT_ORIG: a nat flow, client -> VIP, rewritten to nat_src:nat_sport
 *    -> nat_dst:nat_dport (gateway address -> backend)
 *  - XGW_CT_NAT_REPLY: its reply, backend -> gateway address, rewritten to
 *    nat_src:nat_sport -> nat_dst:nat_dport (VIP -> client)
 * The two entries of a NAT flow name each other: the peer's key is
 * { src = nat_dst, dst = nat_src, sport = nat_dport, dport = nat_sport }.
 * The reply entry is inserted first with BPF_NOEXIST: that insert is what
 * allocates the gateway's port, so two CPUs can never take the same one.
 *
 * Time is jiffies (bpf_jiffies64(), low 32 bits; xgw_config.hz per second);
 * atime is stored only when it moved by 1/XGW_CT_TOUCH_DIV s or more.
 * TCP state: one byte per event, each written by one direction only, so no
 * update is lost between CPUs; a FIN or RST is written into both entries of
 * a NAT flow. The timeout is the first that applies: rst -> ct_tcp_close_s,
 * fin_orig && fin_reply -> ct_tcp_tw_s, either fin -> ct_tcp_fin_s, est ->
 * ct_tcp_est_s, else ct_tcp_syn_s; UDP: ct_udp_timeout_s.
 */
enum xgw_ct_kind {
	XGW_CT_LB = 1,
	XGW_CT_NAT_ORIG,
	XGW_CT_NAT_REPLY,
};

struct xgw_ct_entry {
	__u32  backend_id;	/* the flow's backend */
	__u32  svc_id;		/* its service when chosen (a stale entry does not match) */
	__u32  atime;		/* jiffies of the last packet (low 32 bits) */
	__u8   kind;		/* enum xgw_ct_kind */
	__u8   est;		/* TCP: a packet without SYN came from the client */
	__u8   fin_orig;	/* TCP: FIN from the client */
	__u8   fin_reply;	/* TCP: FIN from the backend (nat) */
	__u8   rst;		/* TCP: RST, either way */
	__u8   pad[3];
	__be32 nat_src[4];	/* nat: the packet's new source, */
	__be32 nat_dst[4];	/* destination */
	__be16 nat_sport;	/* and ports */
	__be16 nat_dport;
};
_Static_assert(sizeof(struct xgw_ct_entry) == 56, "xgw_ct_entry");

/* The lifetime, in seconds, of entry @e of protocol @proto after its last packet. */
static inline __attribute__((always_inline)) __u32
xgw_ct_timeout_s(const struct xgw_config *cfg, const struct xgw_ct_entry *e, __u8 proto)
{
#define XGW_CFG_OR(f, d) (cfg && cfg->f ? cfg->f : (d))
	if (proto != 6)	/* IPPROTO_TCP */
		return XGW_CFG_OR(ct_udp_timeout_s, XGW_CT_UDP_TIMEOUT_DEFAULT);
	if (e->rst)
		return XGW_CFG_OR(ct_tcp_close_s, XGW_CT_TCP_CLOSE_DEFAULT);
	if (e->fin_orig && e->fin_reply)
		return XGW_CFG_OR(ct_tcp_tw_s, XGW_CT_TCP_TW_DEFAULT);
	if (e->fin_orig || e->fin_reply)
		return XGW_CFG_OR(ct_tcp_fin_s, XGW_CT_TCP_FIN_DEFAULT);
	if (e->est)
		return XGW_CFG_OR(ct_tcp_est_s, XGW_CT_TCP_EST_DEFAULT);
	return XGW_CFG_OR(ct_tcp_syn_s, XGW_CT_TCP_SYN_DEFAULT);
#undef XGW_CFG_OR
}

static inline __attribute__((always_inline)) __u32 xgw_ct_hz(const struct xgw_config *cfg)
{
	return cfg && cfg->hz ? cfg->hz : XGW_HZ_DEFAULT;
}

/*
 * Has @e outlived its timeout at jiffies @now? Signed: an atime a little
 * ahead of @now (another CPU stored it after @now was read) is not old.
 * Timeouts stay below 2^31 jiffies.
 */
static inline __attribute__((always_inline)) int
xgw_ct_expired(const struct xgw_config *cfg, const struct xgw_ct_entry *e, __u8 proto, __u32 now)
{
	return (__s32)(now - e->atime) > (__s32)(xgw_ct_timeout_s(cfg, e, proto) * xgw_ct_hz(cfg));
}

#define XGW_CT_TOUCH_DIV	4	/* atime granularity: 1/4 s (a few stores a second per flow) */
#define XGW_CT_SEEN_SLOTS	(1u << 18)	/* xgw_ct_seen: flows seen once, by hash */

/* xgw_nat_scratch[0], per CPU: a new NAT flow's entry and reply key (datapath only). */
struct xgw_nat_scratch {
	struct xgw_ct_entry e;
	struct xgw_flow_key rk;
};
_Static_assert(sizeof(struct xgw_nat_scratch) == 96, "xgw_nat_scratch");

/*
 * xgw_persist: a persistent service's choice per client address, kept for
 * xgw_service.persist_s after the client's last new connection.
 */
struct xgw_persist_key {
	__be32 addr[4];		/* the client */
	__u32  svc_id;
	__u8   family;
	__u8   pad[3];
};
_Static_assert(sizeof(struct xgw_persist_key) == 24, "xgw_persist_key");

struct xgw_persist {
	__u32 backend_id;
	__u32 atime;		/* jiffies of the client's last new connection */
};
_Static_assert(sizeof(struct xgw_persist) == 8, "xgw_persist");

/* ---- xgw-decap (lb-cp): the backend's own small decapsulation object ------------ */
/*
 * bpf/decap_only.bpf.c and ctl/xgw-decap: a backend behind an ipip service
 * strips the outer header of tunnel packets addressed to one of its own
 * addresses (xgw_decap_addrs, kept from the kernel's by xgw-decap) and
 * counts what it saw (xgw_decap_stats). No xgwd, no FIB.
 */
#ifndef XGW_DECAP_ADDRS
#define XGW_DECAP_ADDRS		256	/* the host's addresses, both families */
#endif

/* xgw_decap_addrs key (value: __u8 1). IPv4 uses addr[0], the rest is 0. */
struct xgw_decap_addr {
	__be32 addr[4];
	__u8   family;		/* AF_INET / AF_INET6 */
	__u8   pad[3];
};
_Static_assert(sizeof(struct xgw_decap_addr) == 20, "xgw_decap_addr");

/* xgw_decap_stats index (per CPU, struct xgw_counter). */
enum xgw_decap_stat {
	XGW_DECAP_DONE,		/* outer header stripped, inner packet to the stack */
	XGW_DECAP_NOT_OURS,	/* a tunnel packet to an address not ours: passed as is */
	XGW_DECAP_OTHER,	/* not a tunnel packet (or one we do not strip): passed */
	XGW_DECAP_MALFORMED,	/* a tunnel packet for us with a broken inner header: dropped */
	XGW_DECAP_STAT_MAX,
};

/* ---- BTF views of map keys and values (ops-package) ------------------------- */
/*
 * bpftool prints a map's entries through the BTF type the map was declared
 * with. The structs above hold addresses and ports as __be32/__be16 (the
 * datapath compares them as words), which bpftool would print as host-order
 * numbers (10.77.0.1 as 16796938, port 80 as 20480). bpf/maps.h therefore
 * declares these maps with a view of the same layout whose addresses and
 * ports are network-order byte arrays: bpftool prints 10.77.0.1 as
 * [10,77,0,1,0,...] and port 80 as [0,80]. The code never uses the views;
 * the asserts keep each one the same layout as its struct (a changed
 * struct must change its view). Sizes and offsets are unchanged, so
 * pinned maps stay compatible (the kernel checks sizes, not BTF).
 */
#define XGW_VIEW_SAME(s, v, f)                                                   \
	_Static_assert(__builtin_offsetof(struct s, f) == __builtin_offsetof(struct v, f) && \
		       sizeof(((struct s *)0)->f) == sizeof(((struct v *)0)->f),      \
		       #v "." #f " is " #s "." #f)
#define XGW_VIEW_SIZE(s, v)                                                      \
	_Static_assert(sizeof(struct s) == sizeof(struct v), #v " is the size of " #s)

struct xgw_fib4_rec_view {
	__u8  addr[4];
	__u32 e;
};
XGW_VIEW_SIZE(xgw_fib4_rec, xgw_fib4_rec_view);
XGW_VIEW_SAME(xgw_fib4_rec, xgw_fib4_rec_view, addr);
XGW_VIEW_SAME(xgw_fib4_rec, xgw_fib4_rec_view, e);

struct xgw_fib6_rec_view {
	__u8  addr[16];
	__u32 e;
	__u32 pad;
};
XGW_VIEW_SIZE(xgw_fib6_rec, xgw_fib6_rec_view);
XGW_VIEW_SAME(xgw_fib6_rec, xgw_fib6_rec_view, addr);
XGW_VIEW_SAME(xgw_fib6_rec, xgw_fib6_rec_view, e);

struct xgw_svc_key_view {
	__u8 addr[16];		/* IPv4: the first 4 */
	__u8 port[2];
	__u8 proto;
	__u8 family;
};
XGW_VIEW_SIZE(xgw_svc_key, xgw_svc_key_view);
XGW_VIEW_SAME(xgw_svc_key, xgw_svc_key_view, addr);
XGW_VIEW_SAME(xgw_svc_key, xgw_svc_key_view, port);
XGW_VIEW_SAME(xgw_svc_key, xgw_svc_key_view, proto);
XGW_VIEW_SAME(xgw_svc_key, xgw_svc_key_view, family);

/* router-dp: xgw_ifinfo values, addresses as bytes */
struct xgw_ifinfo_view {
	__u8  addr4[4];
	__u8  addr6[16];
	__u32 flags;
	__u64 vlans[XGW_VLAN_IDS / 64];
};
XGW_VIEW_SIZE(xgw_ifinfo, xgw_ifinfo_view);
XGW_VIEW_SAME(xgw_ifinfo, xgw_ifinfo_view, addr4);
XGW_VIEW_SAME(xgw_ifinfo, xgw_ifinfo_view, addr6);
XGW_VIEW_SAME(xgw_ifinfo, xgw_ifinfo_view, flags);
XGW_VIEW_SAME(xgw_ifinfo, xgw_ifinfo_view, vlans);

struct xgw_backend_view {
	__u8  addr[16];
	__u8  src[16];
	__u8  family;
	__u8  mode;
	__u16 flags;
	__u32 nh_id;
	__u32 svc_id;
	__u8  port[2];
	__u16 pad;
};
XGW_VIEW_SIZE(xgw_backend, xgw_backend_view);
XGW_VIEW_SAME(xgw_backend, xgw_backend_view, addr);
XGW_VIEW_SAME(xgw_backend, xgw_backend_view, src);
XGW_VIEW_SAME(xgw_backend, xgw_backend_view, family);
XGW_VIEW_SAME(xgw_backend, xgw_backend_view, flags);
XGW_VIEW_SAME(xgw_backend, xgw_backend_view, nh_id);
XGW_VIEW_SAME(xgw_backend, xgw_backend_view, mode);
XGW_VIEW_SAME(xgw_backend, xgw_backend_view, svc_id);
XGW_VIEW_SAME(xgw_backend, xgw_backend_view, port);

struct xgw_flow_key_view {
	__u8  src[16];
	__u8  dst[16];
	__u8  sport[2];
	__u8  dport[2];
	__u8  proto;
	__u8  family;
	__u16 pad;
};
XGW_VIEW_SIZE(xgw_flow_key, xgw_flow_key_view);
XGW_VIEW_SAME(xgw_flow_key, xgw_flow_key_view, src);
XGW_VIEW_SAME(xgw_flow_key, xgw_flow_key_view, dst);
XGW_VIEW_SAME(xgw_flow_key, xgw_flow_key_view, sport);
XGW_VIEW_SAME(xgw_flow_key, xgw_flow_key_view, dport);
XGW_VIEW_SAME(xgw_flow_key, xgw_flow_key_view, proto);
XGW_VIEW_SAME(xgw_flow_key, xgw_flow_key_view, family);

/* lb-dp's maps: the connection table's value, NAT pools, persistence keys. */
struct xgw_ct_entry_view {
	__u32 backend_id;
	__u32 svc_id;
	__u32 atime;
	__u8  kind;
	__u8  est;
	__u8  fin_orig;
	__u8  fin_reply;
	__u8  rst;
	__u8  pad[3];
	__u8  nat_src[16];
	__u8  nat_dst[16];
	__u8  nat_sport[2];
	__u8  nat_dport[2];
};
XGW_VIEW_SIZE(xgw_ct_entry, xgw_ct_entry_view);
XGW_VIEW_SAME(xgw_ct_entry, xgw_ct_entry_view, backend_id);
XGW_VIEW_SAME(xgw_ct_entry, xgw_ct_entry_view, svc_id);
XGW_VIEW_SAME(xgw_ct_entry, xgw_ct_entry_view, atime);
XGW_VIEW_SAME(xgw_ct_entry, xgw_ct_entry_view, kind);
XGW_VIEW_SAME(xgw_ct_entry, xgw_ct_entry_view, est);
XGW_VIEW_SAME(xgw_ct_entry, xgw_ct_entry_view, fin_orig);
XGW_VIEW_SAME(xgw_ct_entry, xgw_ct_entry_view, fin_reply);
XGW_VIEW_SAME(xgw_ct_entry, xgw_ct_entry_view, rst);
XGW_VIEW_SAME(xgw_ct_entry, xgw_ct_entry_view, nat_src);
XGW_VIEW_SAME(xgw_ct_entry, xgw_ct_entry_view, nat_dst);
XGW_VIEW_SAME(xgw_ct_entry, xgw_ct_entry_view, nat_sport);
XGW_VIEW_SAME(xgw_ct_entry, xgw_ct_entry_view, nat_dport);

struct xgw_snat_view {
	__u8 addr[16];
	__u8 family;
	__u8 pad[3];
};
XGW_VIEW_SIZE(xgw_snat, xgw_snat_view);
XGW_VIEW_SAME(xgw_snat, xgw_snat_view, addr);
XGW_VIEW_SAME(xgw_snat, xgw_snat_view, family);

struct xgw_persist_key_view {
	__u8  addr[16];
	__u32 svc_id;
	__u8  family;
	__u8  pad[3];
};
XGW_VIEW_SIZE(xgw_persist_key, xgw_persist_key_view);
XGW_VIEW_SAME(xgw_persist_key, xgw_persist_key_view, addr);
XGW_VIEW_SAME(xgw_persist_key, xgw_persist_key_view, svc_id);
XGW_VIEW_SAME(xgw_persist_key, xgw_persist_key_view, family);

struct xgw_decap_addr_view {
	__u8 addr[16];		/* IPv4: the first 4 */
	__u8 family;
	__u8 pad[3];
};
XGW_VIEW_SIZE(xgw_decap_addr, xgw_decap_addr_view);
XGW_VIEW_SAME(xgw_decap_addr, xgw_decap_addr_view, addr);
XGW_VIEW_SAME(xgw_decap_addr, xgw_decap_addr_view, family);

/* ---- userspace-only: names and descriptions ---------------------------------- */
#ifndef __bpf__
struct xgw_reason_desc {
	const char *name;
	const char *help;
	enum xgw_class cls;
};
extern const struct xgw_reason_desc xgw_reason_desc[XGW_REASON_MAX];
extern const char *const xgw_class_name[XGW_CLASS_MAX];
/* Map names as pinned under the pin dir; bpftool shows the same. */
#define XGW_PIN_DIR_DEFAULT	"/sys/fs/bpf/xgw"
#endif

#endif /* XGW_SHARED_H */
