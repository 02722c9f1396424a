/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet-test toolkit: a frame builder that computes every checksum from
 * scratch (never the datapath's incremental way), a BPF_PROG_TEST_RUN
 * wrapper, counter snapshots, and TAP output. Used by pkt_route and the load
 * balancer's lb_* tests.
 */
#ifndef XGW_PKT_LIB_H
#define XGW_PKT_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>

#include "xgw_shared.h"

#define PKT_MAX		2048	/* largest frame a fixture builds */
#define PKT_MAX_VLAN	3	/* one more than the datapath parses */
#define PKT_MAX_EXT	6	/* one more than XGW_IPV6_MAX_EXTHDR, and then some */

/*
 * A frame, described. Zero values mean the common case: untagged, TTL 64,
 * UDP, no options, no payload, default MACs. The builder fills in lengths
 * and the IPv4 header checksum; the override fields below break a frame on
 * purpose after it is built.
 */
struct pkt_spec {
	const uint8_t *dmac, *smac;	/* NULL: PKT_DMAC_IN / PKT_SMAC_IN */
	uint16_t ethertype;		/* non-IP frame: this type, @payload bytes */
	int nvlan;			/* VLAN tags, outermost first */
	uint16_t tpid[PKT_MAX_VLAN];	/* 0: 0x8100 */
	uint16_t vid[PKT_MAX_VLAN];
	int family;			/* AF_INET or AF_INET6 */
	const char *src, *dst;		/* addresses, as text */
	uint8_t ttl;			/* TTL / hop limit; 0: 64 */
	bool ttl_zero;			/* send TTL / hop limit 0 instead */
	uint8_t proto;			/* 0: UDP */
	uint16_t ip_id;
	int ip_opts;			/* IPv4 option bytes, multiple of 4 */
	const uint8_t *opt_bytes;	/* those bytes (NULL: all NOP) */
	const uint8_t *hbh_opts;	/* IPv6 hop-by-hop header: its options, */
	int hbh_len;			/* hbh_len bytes (NULL: one PadN) */
	uint16_t frag;			/* IPv4 frag_off / IPv6 fragment offset|M */
	int next;			/* IPv6 extension headers ... */
	uint8_t ext[PKT_MAX_EXT];	/* ... their types, in order */
	uint16_t sport, dport;
	uint8_t icmp_type;
	uint8_t tcp_doff;		/* 0: 5, and (doff - 5) * 4 option bytes */
	int payload;			/* bytes after the L4 header */
	int pad;			/* bytes after the IP datagram */
	/* breakage, applied after building (0: none) */
	uint8_t bad_version;		/* IP version nibble */
	uint8_t bad_ihl;		/* IPv4 IHL nibble */
	int len_delta;			/* added to IPv4 tot_len / IPv6 payload_len */
};

extern const uint8_t PKT_DMAC_IN[6], PKT_SMAC_IN[6];

/* Build @s into @buf; returns its length, or exits on a fixture bug. */
size_t pkt_build(const struct pkt_spec *s, uint8_t *buf);
/* Offset of the IP header in the frame @s builds. */
size_t pkt_l3_off(const struct pkt_spec *s);

/* Internet checksum of @len bytes computed the plain way (RFC 1071), with
 * @sum (a 32-bit sum of 16-bit big-endian words) added first. */
uint16_t pkt_csum(const uint8_t *p, size_t len, uint32_t sum);

/* The verdict each class of reason must produce, spelled out independently. */
static inline uint32_t pkt_verdict_of(enum xgw_reason r)
{
	switch (xgw_reason_desc[r].cls) {
	case XGW_CLASS_FWD:
		return XDP_REDIRECT;
	case XGW_CLASS_PASS:
		return XDP_PASS;
	case XGW_CLASS_DROP:
		return XDP_DROP;
	case XGW_CLASS_TX:
		return XDP_TX;
	default:
		return XDP_ABORTED;
	}
}

/* ---- BPF_PROG_TEST_RUN ------------------------------------------------- */
struct pkt_run {
	int err;			/* 0, or -errno from the syscall */
	uint32_t retval;		/* XDP verdict */
	uint32_t out_len;
	uint8_t out[PKT_MAX + 256];
};

/* Run @prog_fd once (@repeat times) over @in; fills @r. */
void pkt_run(int prog_fd, const uint8_t *in, size_t len, int repeat, struct pkt_run *r);

/* ---- counters ------------------------------------------------------------ */
#define PKT_NH_TRACKED	16	/* next hops a snapshot covers: 0..15 */

struct pkt_counters {
	struct xgw_counter reason[XGW_REASON_MAX];
	struct xgw_counter nh[PKT_NH_TRACKED];
};

/* Sum the per-CPU xgw_stats and xgw_nh_stats; exits on a map error. */
void pkt_counters_read(int stats_fd, int nh_stats_fd, struct pkt_counters *c);

/*
 * Compare after - before with the expected delta (one packet of @bytes
 * under @reason, and under @nh_id when @nh_id != 0). Prints a diagnostic
 * line per mismatch; returns true when all match.
 */
bool pkt_counters_expect(const struct pkt_counters *before, const struct pkt_counters *after,
			 enum xgw_reason reason, uint32_t nh_id, uint64_t packets, uint64_t bytes);

/* ---- TAP ------------------------------------------------------------------- */
/* Report one case; returns @ok. Diagnostics go before it as "# ..." lines. */
bool tap_result(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the plan ("1..N") and return the exit status: 0 if nothing failed. */
int tap_finish(void);
/* Print a hex dump of @a against @b, marking differing bytes. */
void tap_diff(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

const char *pkt_verdict_name(uint32_t v);

#endif /* XGW_PKT_LIB_H */
