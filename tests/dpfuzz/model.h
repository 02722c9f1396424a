/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The reference model's parts (model.c: parsing, addresses, routing,
 * forwarding; model_lb.c: services; state.c: what it remembers), and the
 * few helpers they share. Not used outside the model.
 */
#ifndef XGW_DPFUZZ_MODEL_H
#define XGW_DPFUZZ_MODEL_H

#include "fz.h"
#include "known.h"

/* The frame as the model reads it. */
struct pkt {
	const uint8_t *f;
	size_t len;
	int nvlan;
	uint16_t vid[XGW_VLAN_MAX_DEPTH];
	size_t l3;		/* IP header */
	uint16_t etype;
	int family;
	uint8_t src[16], dst[16];
	size_t hlen;		/* IPv4 header (options included) or 40 */
	size_t l3_len;		/* the datagram: tot_len, or 40 + payload length */
	uint8_t ttl, proto;
	bool frag;		/* a fragment, first or not */
	bool later;		/* a fragment other than the first */
	bool l4;		/* the L4 header below was parsed */
	bool icmp;		/* ICMP of the packet's own family (ICMPv4 in IPv4, ICMPv6 in IPv6) */
	size_t l4_off, l4_room;	/* L4 header, bytes of the datagram from it */
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_code, tcp_flags;
	int link;		/* the ingress link (0..FZ_LINKS-1) */
};

struct route {
	bool found;
	bool mark;		/* the address's own entry is a bare VIP mark (action none) */
	uint8_t action, flags;
	uint32_t nh;
	int len;
};

/* The route of @dst: its longest match, with the VIP flag of a mark on @dst. */
struct route route_lookup(const struct fz_cfg *c, int family, const uint8_t *dst);

void why(struct fz_expect *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The frame's end under reason @r (not forwarded: it leaves exactly as it came). */
void end(struct fz_expect *x, const struct pkt *p, enum xgw_reason r);
/* The member of multipath group @g packet @p takes (0: none). */
uint32_t mp_pick(const struct fz_cfg *c, const struct pkt *p, uint32_t g);
/* Next hop @nh refused the packet, which would have grown by @grow bytes (its ICMP error's MTU). */
void refused(const struct fz_cfg *c, uint32_t nh, size_t grow, struct fz_expect *x);
/* Known bug @id's deviation taken for this frame (known.h). */
void dev(struct fz_expect *x, enum fz_known_id id);

static inline void path(struct fz_expect *x, enum fz_path p)
{
	x->paths |= 1u << p;
}

bool src_is_link_local6(const struct pkt *p);

/* Whether next hop @id takes a packet of @ttl and @l3_len: XGW_FWD or why not. */
enum xgw_reason nh_check(const struct fz_cfg *c, uint32_t id, uint8_t ttl, size_t l3_len);
/* Ethernet (and VLAN) header of next hop @nh into @out; returns its length. */
size_t l2_build(uint8_t *out, const struct fz_nh *nh, uint16_t etype);
/* Forward the frame's IP packet to next hop @id, reason @ok on success. */
void forward(const struct fz_cfg *c, const struct pkt *p, uint32_t id, enum xgw_reason ok,
	     struct fz_expect *x);
/* A checksum field after a rewrite: the right one, or wrong by as much as on input. */
uint16_t csum_follow(uint16_t in_field, uint16_t in_right, uint16_t out_right);

/* The service path (model_lb.c): true when it decided the packet. */
bool lb(const struct fz_cfg *c, const struct fz_state *st, const struct pkt *p,
	struct fz_expect *x);

/* NAT (model_nat.c): a packet of a NAT entry, a new NAT flow. */
enum nat_ret { NAT_DONE, NAT_MISS, NAT_ROUTE };
enum nat_ret nat_hit(const struct fz_cfg *c, const struct fz_state *st, const struct pkt *p,
		     bool icmp, const struct fz_ct *e, struct fz_expect *x);
void nat_new(const struct fz_cfg *c, const struct fz_state *st, const struct pkt *p,
	     const struct fz_flow *k, const struct fz_svc *s, uint32_t sid, uint32_t be,
	     struct fz_expect *x);
/* The L4 checksum of the packet at @p's L4 header over the datagram, from scratch. */
uint16_t l4_csum(int family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		 const uint8_t *l4, size_t l4len, size_t csum_off);

void op_add(struct fz_expect *x, const struct fz_op *op);
uint32_t fz_flow_hash(const struct fz_flow *f);
const struct fz_persist *persist_find(const struct fz_state *st, uint32_t svc,
				      const struct fz_flow *k);

#endif /* XGW_DPFUZZ_MODEL_H */
