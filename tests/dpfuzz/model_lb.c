// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The model of the service path, for destinations whose route carries the
 * VIP flag: services VIP:port/proto (xgw_shared.h), the connection table
 * (one per flow as it arrives; dsr/ipip flows learnt on their second
 * packet without SYN or RST, xgw_ct_seen remembering the first by hash),
 * Maglev over the flow's hash or, with persistence, the client's
 * (common/lbhash.h: the hash is part of the contract, every gateway must
 * agree), dsr (the next hop's MACs), ipip (an outer header), ICMP errors
 * steered to the flow they quote. Sources: README (walk-through,
 * Limitations), xgw_shared.h and TEAM.md on the maps, lb-dp's notes on the
 * board (learning, new-flow counting).
 *
 * Counting (README's `service show`): a service counts every packet that
 * reached it (forwarded, refused by the next hop, dropped or routed for
 * want of a backend), a backend what it was sent; new flows are TCP SYNs
 * and UDP flows at first sight.
 */
#include <string.h>
#include <sys/socket.h>

#include "lbhash.h"
#include "model.h"

/* The packet as a flow of the service path. */
struct lbp {
	struct fz_flow k;	/* as it arrives; an ICMP error: the quoted flow's, reversed */
	uint32_t hash;		/* xgw_flow_hash(k) */
	bool syn, rst;		/* TCP: SYN without ACK; RST */
	bool unmarked;		/* TCP with SYN or RST set: never marks xgw_ct_seen */
	bool icmp;		/* an ICMP error about flow k */
};

uint32_t fz_flow_hash(const struct fz_flow *f)
{
	struct xgw_flow_key k = { .sport = __builtin_bswap16(f->sport),
				  .dport = __builtin_bswap16(f->dport), .proto = f->proto,
				  .family = (uint8_t)f->family };

	memcpy(k.src, f->src, 16);
	memcpy(k.dst, f->dst, 16);
	return xgw_flow_hash(&k);
}

static uint32_t client_hash(const struct fz_flow *f)
{
	__be32 a[4];

	memcpy(a, f->src, 16);
	return xgw_client_hash(a, (uint8_t)f->family);
}

static const struct fz_svc *svc_find(const struct fz_cfg *c, const struct fz_flow *k,
				     uint32_t *id)
{
	uint32_t i;

	for (i = 1; i < FZ_MAX_SVC; i++) {
		const struct fz_svc *s = &c->svc[i];

		if (s->family == k->family && s->port == k->dport && s->proto == k->proto &&
		    !memcmp(s->vip, k->dst, 16)) {
			*id = i;
			return s;
		}
	}
	return NULL;
}

/*
 * xgw_shared.h, struct xgw_backend: a backend may take packets of service
 * @svc while it names that service, has a family and is not down; dsr and
 * nat keep the packet's family, ipip carries either.
 */
static bool be_usable(const struct fz_cfg *c, uint32_t id, uint32_t svc, int family)
{
	const struct fz_be *b = id && id < FZ_MAX_BE ? &c->be[id] : NULL;

	if (!b || !b->family || b->svc_id != svc || (b->flags & XGW_BE_F_DOWN))
		return false;
	return b->mode == XGW_LB_IPIP || b->family == family;
}

/*
 * A backend for a new flow: with persistence, the client's own while it
 * still takes new flows (not drained); else the Maglev slot of the hash
 * (of the client with persistence), remembered for the client when @learn
 * (lb.h: whatever then becomes of the packet, even when that backend is
 * down). A drained backend takes no new flows by leaving the table: the
 * table the control plane wrote is the answer.
 */
static uint32_t lb_choose(const struct fz_cfg *c, const struct fz_state *st,
			  const struct fz_svc *s, uint32_t sid, const struct lbp *l, bool learn,
			  struct fz_expect *x)
{
	const struct fz_persist *pe = s->persist_s ? persist_find(st, sid, &l->k) : NULL;
	struct fz_op op = { .kind = FZ_OP_PERSIST };
	uint32_t be;

	if (pe && be_usable(c, pe->be, sid, l->k.family) &&
	    !(c->be[pe->be].flags & XGW_BE_F_DRAIN)) {
		why(x, "persisted backend %u", pe->be);
		path(x, FZ_P_PERSIST);
		return pe->be;
	}
	if (pe)
		why(x, "persisted backend %u takes no new flows", pe->be);
	be = s->table[(s->persist_s ? client_hash(&l->k) : l->hash) % s->table_size];
	if (s->persist_s && learn && be) {
		op.p = (struct fz_persist){ .used = true, .svc = sid, .family = l->k.family,
					    .be = be };
		memcpy(op.p.client, l->k.src, 16);
		op_add(x, &op);
	}
	return be;
}

/*
 * ipip (README, lb.h): the packet as received behind an outer header from
 * the gateway's address towards the backend (be->src) to the backend:
 * IPv4 (TOS copied, DF copied from an IPv4 inner packet and set for an
 * IPv6 one, ID 0) or IPv6 (traffic class copied, flow label 0), TTL / hop
 * limit 64, one less on the wire for the forward.
 */
static size_t ipip_outer(const struct fz_be *b, const struct pkt *p, uint8_t *o)
{
	const uint8_t *in = p->f + p->l3;
	uint8_t tos = p->family == AF_INET ? in[1] : (uint8_t)(in[0] << 4 | in[1] >> 4);
	uint8_t next = p->family == AF_INET ? 4 : 41;

	if (b->family == AF_INET) {
		memset(o, 0, 20);
		o[0] = 0x45;
		o[1] = tos;
		fz_wr16(o + 2, (uint16_t)(20 + p->l3_len));
		if (p->family == AF_INET6 || (fz_rd16(in + 6) & 0x4000))
			o[6] = 0x40;
		o[8] = 63;
		o[9] = next;
		memcpy(o + 12, b->src, 4);
		memcpy(o + 16, b->addr, 4);
		fz_wr16(o + 10, fz_fold(fz_sum(o, 20, 0)));
		return 20;
	}
	memset(o, 0, 40);
	o[0] = 0x60 | tos >> 4;
	o[1] = (uint8_t)(tos << 4);
	fz_wr16(o + 4, (uint16_t)p->l3_len);
	o[6] = next;
	o[7] = 63;
	memcpy(o + 8, b->src, 16);
	memcpy(o + 24, b->addr, 16);
	return 40;
}

/*
 * RFC 2003 3.1: a datagram whose TTL would expire on its way into the
 * tunnel is not sent into it (the kernel answers it); the inner packet is
 * otherwise untouched, Ethernet padding after it included.
 */
static void send_ipip(const struct fz_cfg *c, const struct pkt *p, const struct fz_be *b,
		      struct fz_expect *x)
{
	size_t olen = b->family == AF_INET ? 20 : 40, o;
	enum xgw_reason r = nh_check(c, b->nh, p->ttl, p->l3_len + olen);

	if (r != XGW_FWD) {
		why(x, "ipip: nh %u refuses", b->nh);
		refused(c, b->nh, olen, x);	/* the MTU it must fit before the outer header */
		end(x, p, r);
		return;
	}
	o = l2_build(x->out, &c->nh[b->nh], b->family == AF_INET ? 0x0800 : 0x86dd);
	o += ipip_outer(b, p, x->out + o);
	memcpy(x->out + o, p->f + p->l3, p->len - p->l3);
	x->out_len = o + p->len - p->l3;
	x->nh = b->nh;
	end(x, p, XGW_FWD_LB);
}

/* A dsr or ipip packet to backend @id as received (an ICMP error too). */
static void send_be(const struct fz_cfg *c, const struct pkt *p, uint32_t id, struct fz_expect *x)
{
	const struct fz_be *b = &c->be[id];

	why(x, "backend %u (%s)", id, b->mode == XGW_LB_IPIP ? "ipip" : "dsr");
	path(x, b->mode == XGW_LB_IPIP ? FZ_P_IPIP : FZ_P_DSR);
	if (b->mode == XGW_LB_IPIP)
		send_ipip(c, p, b, x);
	else
		forward(c, p, b->nh, XGW_FWD_LB, x);
	if (x->reason == XGW_FWD_LB)
		x->be = id;
}

/*
 * A fragment for a service (README reason table and Limitations): the
 * kernel reassembles it. A first fragment is the service's once its port
 * shows one.
 */
static bool frag_pass(const struct pkt *p, struct fz_expect *x)
{
	if (!p->frag)
		return false;
	end(x, p, XGW_PASS_FRAG);
	return true;
}

/*
 * Whether entry @e still stands for packet @l (lb.h): its backend is up and
 * still belongs to the entry's service; a SYN never sticks to a dsr/ipip
 * entry (a reused 5-tuple goes to Maglev).
 */
static bool ct_stands(const struct fz_cfg *c, const struct fz_ct *e, const struct lbp *l)
{
	if (!be_usable(c, e->be, e->svc, l->k.family))
		return false;
	return !(l->syn && !l->icmp);
}

/*
 * A dsr/ipip flow without an entry that stands (lb.h, the board): its own
 * entry that no longer stood is rewritten at once; otherwise the first
 * packet without SYN or RST leaves the flow's hash in xgw_ct_seen and the
 * second is learnt (a SYN or RST, SYN-ACK included, neither marks nor
 * learns: a SYN flood writes nothing). New flows: a SYN, or a UDP flow at
 * first sight.
 */
static void learn(const struct fz_state *st, const struct lbp *l, const struct fz_ct *e,
		  uint32_t svc, uint32_t be, struct fz_expect *x)
{
	uint32_t slot = l->hash % XGW_CT_SEEN_SLOTS, tag = l->hash | 1;
	struct fz_op op = { .kind = FZ_OP_CT };

	op.ct = (struct fz_ct){ .used = true, .key = l->k, .kind = XGW_CT_LB, .be = be,
				.svc = svc };
	x->new_flow = l->syn;
	if (e) {
		if (e->kind == XGW_CT_LB) {
			why(x, "its stale entry rewritten");
			path(x, FZ_P_STALE);
			op_add(x, &op);
		}
		return;
	}
	if (l->unmarked) {
		why(x, "SYN or RST: not marked");
		return;
	}
	if (st->seen[slot] == tag) {
		why(x, "learnt: seen before");
		path(x, FZ_P_LEARN);
		op_add(x, &op);
		return;
	}
	why(x, "first sight");
	x->new_flow = l->syn || l->k.proto == 17;
	op = (struct fz_op){ .kind = FZ_OP_SEEN, .slot = slot, .val = tag };
	op_add(x, &op);
}

/*
 * The service's answer for a flow without an entry that stands (@e: its
 * stale one): a backend, learning, the packet sent; no usable backend:
 * dropped (all-down drop) or routed.
 */
static bool lb_new(const struct fz_cfg *c, const struct fz_state *st, const struct pkt *p,
		   const struct lbp *l, const struct fz_ct *e, struct fz_expect *x)
{
	const struct fz_svc *s;
	uint32_t sid = 0, be;

	s = svc_find(c, &l->k, &sid);
	if (!s) {
		why(x, "no service on this port");
		return false;
	}
	if (frag_pass(p, x))
		return true;
	why(x, "service %u", sid);
	if (l->icmp)
		path(x, FZ_P_ICMP_LB);
	x->svc = sid;
	be = lb_choose(c, st, s, sid, l, !l->icmp, x);
	if (!be_usable(c, be, sid, l->k.family)) {
		/* a persistent client's choice stays remembered (lb.h) */
		why(x, "slot's backend %u not usable", be);
		if (!(s->flags & XGW_SVC_F_ALLDOWN_DROP))
			return false;
		end(x, p, XGW_DROP_NO_BACKEND);
		return true;
	}
	if (s->mode == XGW_LB_NAT) {
		if (l->icmp) {
			x->svc = 0;
			return false;	/* an error about a flow NAT never saw: not the service's */
		}
		nat_new(c, st, p, &l->k, s, sid, be, x);
		return true;
	}
	if (!l->icmp)
		learn(st, l, e, sid, be, x);	/* the flow is the backend's, sent or not */
	send_be(c, p, be, x);
	return true;
}

/*
 * A packet of a flow whose entry stands: to the entry's backend, counted
 * for the entry's service whatever becomes of it (an ICMP error too), as
 * the same packet without an entry would be.
 */
static void lb_hit(const struct fz_cfg *c, const struct pkt *p, const struct lbp *l,
		   const struct fz_ct *e, struct fz_expect *x)
{
	why(x, "entry: service %u", e->svc);
	path(x, l->icmp ? FZ_P_ICMP_LB : FZ_P_CT_HIT);
	send_be(c, p, e->be, x);
	x->svc = e->svc;
}

/* ICMP errors (RFC 792, 4443): IPv4 unreachable, time exceeded, parameter problem; ICMPv6 1-4. */
static bool is_icmp_error(const struct pkt *p)
{
	if (!p->icmp || !p->l4)
		return false;
	if (p->family == AF_INET)
		return p->icmp_type == 3 || p->icmp_type == 11 || p->icmp_type == 12;
	return p->icmp_type >= 1 && p->icmp_type <= 4;
}

/*
 * The TCP/UDP packet an ICMP error quotes, as a flow arriving here (lb.h):
 * an IP header of the error's family, sent from the address the error is
 * sent to, showing its ports, all within the error (RFC 792, 4443: the
 * quote is the ICMP message's data, inside the datagram, not in Ethernet
 * padding after it). false: not such an error.
 */
static bool quoted_flow(const struct pkt *p, struct lbp *l)
{
	size_t q = p->l4_off + 8, end_ = p->l3 + p->l3_len, qhl;
	const uint8_t *h = p->f + q;
	uint8_t proto;

	if (p->family == AF_INET) {
		if (q + 20 > end_ || h[0] >> 4 != 4 || (h[0] & 0xf) < 5)
			return false;
		qhl = (size_t)(h[0] & 0xf) * 4;
		proto = h[9];
		if (memcmp(h + 12, p->dst, 4))
			return false;
		memcpy(l->k.src, h + 16, 4);
	} else {
		if (q + 40 > end_ || h[0] >> 4 != 6)
			return false;
		qhl = 40;
		proto = h[6];
		if (memcmp(h + 8, p->dst, 16))
			return false;
		memcpy(l->k.src, h + 24, 16);
	}
	if ((proto != 6 && proto != 17) || q + qhl + 4 > end_)
		return false;
	l->k.family = p->family;
	l->k.proto = proto;
	memcpy(l->k.dst, p->dst, 16);
	l->k.dport = fz_rd16(h + qhl);
	l->k.sport = fz_rd16(h + qhl + 2);
	l->icmp = true;
	return true;
}

/* The packet as a flow: its own 5-tuple, or the flow an ICMP error quotes. */
static bool lb_flow(const struct pkt *p, struct lbp *l)
{
	if (!p->l4)
		return false;
	if (p->icmp)
		return is_icmp_error(p) && quoted_flow(p, l);
	if (p->proto != 6 && p->proto != 17)
		return false;
	l->k.family = p->family;
	l->k.proto = p->proto;
	memcpy(l->k.src, p->src, 16);
	memcpy(l->k.dst, p->dst, 16);
	l->k.sport = p->sport;
	l->k.dport = p->dport;
	l->syn = p->proto == 6 && (p->tcp_flags & 0x12) == 0x02;
	l->rst = p->proto == 6 && (p->tcp_flags & 0x04);
	l->unmarked = p->proto == 6 && (p->tcp_flags & 0x06);
	return true;
}

/*
 * The service path (lb.h). A later TCP/UDP fragment has no port to tell
 * its flow by: the kernel's. An IPv6 link-local source never reaches a
 * service (RFC 4291 2.5.6). A fragment is never matched to an entry. An
 * ICMP error is never learnt and leaves the entry alone.
 */
bool lb(const struct fz_cfg *c, const struct fz_state *st, const struct pkt *p,
	struct fz_expect *x)
{
	struct lbp l = { 0 };
	const struct fz_ct *e = NULL;

	if (p->later && (p->proto == 6 || p->proto == 17)) {
		end(x, p, XGW_PASS_FRAG);
		return true;
	}
	if (src_is_link_local6(p)) {
		why(x, "link-local source: no service");
		return false;
	}
	if (!lb_flow(p, &l))
		return false;
	l.hash = fz_flow_hash(&l.k);
	if (!p->frag)
		e = fz_ct_find((struct fz_state *)st, &l.k);
	if (e && e->kind == XGW_CT_LB && ct_stands(c, e, &l)) {
		lb_hit(c, p, &l, e, x);
		return true;
	}
	if (e && e->kind != XGW_CT_LB) {
		enum nat_ret r = nat_hit(c, st, p, l.icmp, e, x);

		if (r != NAT_MISS)
			return r == NAT_DONE;
	}
	return lb_new(c, st, p, &l, l.icmp ? NULL : e, x);
}
