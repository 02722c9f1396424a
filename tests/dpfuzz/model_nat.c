// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The model of full NAT (services in mode nat), from README's walk-through,
 * struct xgw_ct_entry's contract in xgw_shared.h and lb-dp's notes on the
 * board: a client's packet to VIP:port leaves as (gateway address:port ->
 * backend:port), the backend's reply comes back to that address and port
 * and leaves as (VIP:port -> client); both directions are entries of the
 * connection table, made on the flow's first packet (a reply needs them),
 * which name each other. The source is one of the service's pool or the
 * backend's own source, the port one in [nat_port_min, nat_port_max] whose
 * reply entry is free: which one is the datapath's choice, checked here. A
 * new flow that finds none free is dropped (nat_no_port). ICMP errors
 * quoting either direction are translated with the entry of the flow they
 * quote. TCP state (est, FIN each way, RST) decides when a SYN on the
 * client's tuple opens a new mapping. Every checksum is computed from
 * scratch over the rewritten packet; one that was wrong on input stays
 * wrong by as much; a zero IPv4 UDP checksum stays zero.
 */
#include <string.h>
#include <sys/socket.h>

#include <linux/bpf.h>

#include "model.h"

/* Candidates the datapath tries per new flow (nat.h: "tries XGW_NAT_PROBES"). */
#define NAT_PROBES	16

#define TCP_FIN	0x01
#define TCP_SYN	0x02
#define TCP_RST	0x04

static size_t alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

uint16_t l4_csum(int family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		 const uint8_t *l4, size_t l4len, size_t csum_off)
{
	uint32_t s = 0;
	uint16_t c;

	if (proto != 1) {	/* ICMPv4 has no pseudo-header */
		s = fz_sum(src, alen(family), s);
		s = fz_sum(dst, alen(family), s);
		s += proto + (uint32_t)l4len;
	}
	s = fz_sum(l4, csum_off, s);
	s = fz_sum(l4 + csum_off + 2, l4len - csum_off - 2, s);
	c = fz_fold(s);
	return c || proto != 17 ? c : 0xffff;
}

static size_t l4_csum_off(uint8_t proto)
{
	return proto == 6 ? 16 : proto == 17 ? 6 : 2;
}

static uint16_t ipv4_hdr_csum(const uint8_t *h)
{
	size_t hl = (size_t)(h[0] & 0xf) * 4;
	uint32_t s = fz_sum(h, 10, 0);

	return fz_fold(fz_sum(h + 12, hl - 12, s));
}

/*
 * RFC 1624 eqn. 3 over 16-bit words: checksum @c once the words @old
 * (@n bytes, even) read @new. For a quoted header whose packet is cut
 * short: no whole packet to sum from scratch, only the change.
 */
static uint16_t csum_adjust(uint16_t c, const uint8_t *old, const uint8_t *new, size_t n)
{
	uint32_t s = (uint16_t)~c;
	size_t i;

	for (i = 0; i < n; i += 2)
		s += (uint16_t)~fz_rd16(old + i) + (uint32_t)fz_rd16(new + i);
	return fz_fold(s);
}

/* The TCP state a segment with @flags tells an entry (xgw_shared.h, struct xgw_ct_entry). */
static void tcp_state(struct fz_ct *e, uint8_t flags, bool orig)
{
	if (flags & TCP_RST)
		e->rst = 1;
	if (flags & TCP_FIN) {
		if (orig)
			e->fin_orig = 1;
		else
			e->fin_reply = 1;
	}
	if (orig && !(flags & TCP_SYN))
		e->est = 1;
}

/* The key of an entry's other direction: its rewritten tuple, reversed. */
static struct fz_flow peer_key(const struct fz_ct *e)
{
	struct fz_flow k = { .family = e->key.family, .proto = e->key.proto,
			     .sport = e->nat_dport, .dport = e->nat_sport };

	memcpy(k.src, e->nat_dst, 16);
	memcpy(k.dst, e->nat_src, 16);
	return k;
}

/*
 * Where a packet of entry @e goes: the backend's next hop for the client's
 * direction, the route towards the client for a reply (a route to a next
 * hop or a group, whose member the reply's own hash picks; a VIP mark's
 * route beneath it). 0: the client has no route.
 */
static uint32_t nat_next_hop(const struct fz_cfg *c, const struct pkt *p, const struct fz_ct *e)
{
	struct route r;

	if (e->kind == XGW_CT_NAT_ORIG)
		return c->be[e->be].nh;
	r = route_lookup(c, e->key.family, e->nat_dst);
	if (r.found && r.action == XGW_RT_MULTIPATH)	/* by the reply's own flow hash */
		return mp_pick(c, p, r.nh);
	return r.found && r.action == XGW_RT_NEXTHOP ? r.nh : 0;
}

/*
 * The packet's IP packet at @o (a copy of the input's, @p's offsets) with
 * source @src:@sport and destination @dst:@dport, TTL one less, checksums.
 */
static void nat_rewrite(const struct pkt *p, uint8_t *o, const uint8_t *src, uint16_t sport,
			const uint8_t *dst, uint16_t dport)
{
	const uint8_t *in = p->f + p->l3;
	size_t l4 = p->l4_off - p->l3, l4len = p->l3_len - l4, co = l4_csum_off(p->proto);
	size_t a = alen(p->family), as = p->family == AF_INET ? 12 : 8;
	uint16_t in_right = l4_csum(p->family, in + as, in + as + a, p->proto, in + l4, l4len, co);
	uint16_t in_field = fz_rd16(in + l4 + co), out_right, c;

	memcpy(o + as, src, a);
	memcpy(o + as + a, dst, a);
	fz_wr16(o + l4, sport);
	fz_wr16(o + l4 + 2, dport);
	if (p->family == AF_INET) {
		o[8]--;
		fz_wr16(o + 10, csum_follow(fz_rd16(in + 10), ipv4_hdr_csum(in), ipv4_hdr_csum(o)));
	} else {
		o[7]--;
	}
	out_right = l4_csum(p->family, o + as, o + as + a, p->proto, o + l4, l4len, co);
	if (p->family == AF_INET && p->proto == 17 && !in_field)
		return;		/* RFC 768: no checksum, and none after */
	c = csum_follow(in_field, in_right, out_right);
	fz_wr16(o + l4 + co, !c && p->proto == 17 ? 0xffff : c);	/* UDP: 0 is "none" */
}

/*
 * An ICMP error quoting a packet of @e's other direction, at @o: outer
 * addresses become @e's rewrite; the quoted packet the one its sender
 * really sent (source nat_dst:nat_dport, destination nat_src:nat_sport),
 * its IPv4 header checksum and, when quoted that far, its TCP/UDP
 * checksum following; the ICMP checksum over the whole message.
 */
static void nat_icmp_rewrite(const struct pkt *p, uint8_t *o, const struct fz_ct *e)
{
	const uint8_t *in = p->f + p->l3;
	size_t a = alen(p->family), as = p->family == AF_INET ? 12 : 8, l4 = p->l4_off - p->l3;
	size_t l4len = p->l3_len - l4, q = l4 + 8, qhl, qco;
	size_t qend = p->l3_len;
	uint8_t qproto = p->family == AF_INET ? in[q + 9] : in[q + 6];
	uint8_t iproto = p->family == AF_INET ? 1 : 58;
	uint16_t in_right = l4_csum(p->family, in + as, in + as + a, iproto, in + l4, l4len, 2);
	uint8_t old[36], new[36];

	qhl = p->family == AF_INET ? (size_t)(in[q] & 0xf) * 4 : 40;
	memcpy(o + as, e->nat_src, a);
	memcpy(o + as + a, e->nat_dst, a);
	if (p->family == AF_INET) {
		o[8]--;
		fz_wr16(o + 10, csum_follow(fz_rd16(in + 10), ipv4_hdr_csum(in), ipv4_hdr_csum(o)));
	} else {
		o[7]--;
	}
	/* the quoted packet: addresses, ports, and what sums over them */
	memcpy(old, in + q + as, 2 * a);
	memcpy(old + 2 * a, in + q + qhl, 4);
	memcpy(o + q + as, e->nat_dst, a);
	memcpy(o + q + as + a, e->nat_src, a);
	fz_wr16(o + q + qhl, e->nat_dport);
	fz_wr16(o + q + qhl + 2, e->nat_sport);
	memcpy(new, o + q + as, 2 * a);
	memcpy(new + 2 * a, o + q + qhl, 4);
	if (p->family == AF_INET)
		fz_wr16(o + q + 10, csum_follow(fz_rd16(in + q + 10), ipv4_hdr_csum(in + q),
						ipv4_hdr_csum(o + q)));
	qco = q + qhl + l4_csum_off(qproto);
	if (qco + 2 <= qend && !(p->family == AF_INET && qproto == 17 && !fz_rd16(in + qco))) {
		uint16_t c = csum_adjust(fz_rd16(in + qco), old, new, 2 * a + 4);

		fz_wr16(o + qco, !c && qproto == 17 ? 0xffff : c);
	}
	fz_wr16(o + l4 + 2, csum_follow(fz_rd16(in + l4 + 2), in_right,
					l4_csum(p->family, o + as, o + as + a, iproto, o + l4, l4len,
						2)));
}

/* The rewritten packet in x->out goes to next hop @nh. */
static void nat_send(const struct pkt *p, uint32_t nh, struct fz_expect *x)
{
	x->nh = nh;
	end(x, p, XGW_FWD_LB);
}

/* The frame out: next hop @nh's L2 header, then the IP packet as received; returns its IP offset. */
static size_t nat_frame(const struct fz_cfg *c, const struct pkt *p, uint32_t nh,
			struct fz_expect *x)
{
	size_t o = l2_build(x->out, &c->nh[nh], p->etype);

	memcpy(x->out + o, p->f + p->l3, p->len - p->l3);
	x->out_len = o + p->len - p->l3;
	return o;
}

static void op_ct(struct fz_expect *x, const struct fz_ct *e)
{
	struct fz_op op = { .kind = FZ_OP_CT, .ct = *e };

	op_add(x, &op);
}

/* A TCP segment of a NAT flow: its entry learns the flags; a FIN or RST goes into the peer too. */
static void nat_state(const struct fz_state *st, const struct pkt *p, const struct fz_ct *e,
		      struct fz_expect *x)
{
	bool orig = e->kind == XGW_CT_NAT_ORIG;
	struct fz_flow pk = peer_key(e);
	const struct fz_ct *peer;
	struct fz_ct n = *e;

	if (p->proto != 6)
		return;
	tcp_state(&n, p->tcp_flags, orig);
	op_ct(x, &n);
	peer = fz_ct_find((struct fz_state *)st, &pk);
	if (peer && (p->tcp_flags & (TCP_FIN | TCP_RST))) {
		n = *peer;
		tcp_state(&n, p->tcp_flags, orig);
		op_ct(x, &n);
	}
}

/*
 * A packet of NAT entry @e (@icmp: an ICMP error about its flow). The
 * client's direction needs its backend up; a SYN on a closed flow (FIN or
 * RST seen) opens a new one (NAT_MISS); a reply whose client has no route
 * is left to routing (NAT_ROUTE).
 */
enum nat_ret nat_hit(const struct fz_cfg *c, const struct fz_state *st, const struct pkt *p,
		     bool icmp, const struct fz_ct *e, struct fz_expect *x)
{
	bool syn = p->proto == 6 && (p->tcp_flags & 0x12) == TCP_SYN;
	const struct fz_be *b = &c->be[e->be];
	uint32_t nh;
	enum xgw_reason r;
	size_t o;

	if (e->kind == XGW_CT_NAT_ORIG &&
	    (!b->family || b->svc_id != e->svc || (b->flags & XGW_BE_F_DOWN) ||
	     b->family != p->family))
		return NAT_MISS;
	if (!icmp && syn && (e->rst || e->fin_orig || e->fin_reply))
		return NAT_MISS;
	nh = nat_next_hop(c, p, e);
	why(x, "nat %s entry: service %u backend %u nh %u",
	    e->kind == XGW_CT_NAT_ORIG ? "orig" : "reply", e->svc, e->be, nh);
	path(x, icmp ? FZ_P_NAT_ICMP : e->kind == XGW_CT_NAT_ORIG ? FZ_P_NAT_ORIG : FZ_P_NAT_REPLY);
	if (!nh) {
		why(x, "no route to the client");
		return NAT_ROUTE;
	}
	r = nh_check(c, nh, p->ttl, p->l3_len);
	x->svc = e->svc;
	if (r != XGW_FWD) {
		refused(c, nh, 0, x);
		end(x, p, r);
	} else {
		if (!icmp)
			nat_state(st, p, e, x);
		o = nat_frame(c, p, nh, x);
		if (icmp)
			nat_icmp_rewrite(p, x->out + o, e);
		else
			nat_rewrite(p, x->out + o, e->nat_src, e->nat_sport, e->nat_dst,
				    e->nat_dport);
		nat_send(p, nh, x);
		x->be = e->be;
	}
	return NAT_DONE;
}

/* Whether (@addr, @port) is free as the source of a flow to backend @b:@bport. */
static bool nat_free(const struct fz_state *st, const struct fz_flow *k, const struct fz_be *b,
		     uint16_t bport, const uint8_t *addr, uint16_t port)
{
	struct fz_flow rk = { .family = k->family, .proto = k->proto, .sport = bport,
			      .dport = port };

	memcpy(rk.src, b->addr, 16);
	memcpy(rk.dst, addr, 16);
	return !fz_ct_find((struct fz_state *)st, &rk);
}

/* The sources a flow of service @s to backend @b may get: the pool's, else the backend's. */
static int nat_sources(const struct fz_cfg *c, const struct fz_svc *s, const struct fz_be *b,
		       const uint8_t *src[FZ_MAX_SNAT])
{
	int n = 0;
	uint32_t i;

	if (!s->snat_n) {
		src[n++] = b->src;
		return n;
	}
	for (i = s->snat_first; i < s->snat_first + s->snat_n && i < FZ_MAX_SNAT; i++)
		if (c->snat[i].family == s->family)
			src[n++] = c->snat[i].addr;
	return n;
}

static void nat_ports(const struct fz_cfg *c, uint32_t *min, uint32_t *max)
{
	*min = c->nat_port_min ? c->nat_port_min : XGW_NAT_PORT_MIN_DEFAULT;
	*max = c->nat_port_max ? c->nat_port_max : XGW_NAT_PORT_MAX_DEFAULT;
}

/* Whether reply entry @e is a mapping of client flow @k (a closed one the sweep has not taken yet). */
static bool nat_of_flow(const struct fz_ct *e, const struct fz_flow *k)
{
	return e && e->kind == XGW_CT_NAT_REPLY && e->nat_dport == k->sport &&
	       e->nat_sport == k->dport && !memcmp(e->nat_dst, k->src, 16) &&
	       !memcmp(e->nat_src, k->dst, 16);
}

/*
 * The source pairs a new flow @k to backend @b:@bport may get: @total in
 * all (the service's sources times the port range), @used by flows the
 * model made, @own of them by earlier mappings of this very flow (a SYN
 * after its RST or FIN maps it anew while the old mapping waits for the
 * sweep); @pick_a/@pick_p get a free one (the model's placeholder until
 * the datapath has chosen). @probes: how many candidates of the datapath's
 * NAT_PROBES land on a source of the service's family (pool entries of
 * another family are tried and skipped).
 */
static void nat_pairs(const struct fz_cfg *c, const struct fz_state *st, const struct fz_flow *k,
		      const struct fz_svc *s, const struct fz_be *b, uint16_t bport,
		      uint64_t *total, uint64_t *used, unsigned int *own, unsigned int *probes,
		      const uint8_t **pick_a, uint16_t *pick_p)
{
	const uint8_t *src[FZ_MAX_SNAT];
	uint32_t min, max, port;
	unsigned int i;
	int j, ns = nat_sources(c, s, b, src);

	nat_ports(c, &min, &max);
	*total = max >= min ? (uint64_t)ns * (max - min + 1) : 0;
	*probes = s->snat_n ? NAT_PROBES * (unsigned int)ns / s->snat_n : NAT_PROBES;
	*used = 0;
	*own = 0;
	for (i = 0; i < st->nreplies; i++) {
		const struct fz_flow *r = &st->replies[i];

		if (r->family != k->family || r->proto != k->proto || r->sport != bport ||
		    memcmp(r->src, b->addr, 16) || r->dport < min || r->dport > max)
			continue;
		for (j = 0; j < ns; j++)
			if (!memcmp(r->dst, src[j], 16))
				break;
		*used += j < ns;
		*own += j < ns && nat_of_flow(fz_ct_find((struct fz_state *)st, r), k);
	}
	*pick_a = NULL;
	for (j = 0; j < ns && !*pick_a && *used < *total; j++)
		for (port = min; port <= max; port++)
			if (nat_free(st, k, b, bport, src[j], (uint16_t)port)) {
				*pick_a = src[j];
				*pick_p = (uint16_t)port;
				break;
			}
}

/*
 * Whether nat_no_port is a right answer with free pairs left: the datapath
 * tries @probes candidates from the flow's hash, not every pair; taken to
 * be possible when the candidates can all hit used pairs with a
 * probability of 1e-9 or more. The candidates are the flow's own, the
 * same every time: each of its @own earlier mappings still in the table
 * holds one of them for sure, the others are taken as random. With the
 * default range and few flows it is not possible; near exhaustion, or
 * after the same flow was mapped @probes times within a sweep, it is.
 */
static bool nat_noport_possible(uint64_t total, uint64_t used, unsigned int own,
				unsigned int probes)
{
	double p = 1;
	unsigned int i;

	for (i = own; i < probes; i++)
		p *= (double)used / (double)total;
	return used == total || p >= 1e-9;
}

/* The datapath's choice (x->nat_addr, x->nat_port) against the rules; the broken one in x->why. */
static bool nat_choice_ok(const struct fz_cfg *c, const struct fz_state *st,
			  const struct fz_flow *k, const struct fz_svc *s, const struct fz_be *b,
			  uint16_t bport, struct fz_expect *x)
{
	const uint8_t *src[FZ_MAX_SNAT];
	uint32_t min, max;
	int i, ns = nat_sources(c, s, b, src);
	char a[64];

	nat_ports(c, &min, &max);
	for (i = 0; i < ns && memcmp(src[i], x->nat_addr, 16); i++)
		;
	if (i == ns)
		why(x, "datapath's source %s is not one of the service's", fz_addr_str(k->family,
										   x->nat_addr, a));
	else if (x->nat_port < min || x->nat_port > max)
		why(x, "datapath's port %u outside %u-%u", x->nat_port, min, max);
	else if (!nat_free(st, k, b, bport, x->nat_addr, x->nat_port))
		why(x, "datapath's %s:%u is in use", fz_addr_str(k->family, x->nat_addr, a),
		    x->nat_port);
	else
		return true;
	return false;
}

/* The two entries of a new NAT flow from @k via (@a, @port) to backend @be_id. */
static void nat_entries(const struct pkt *p, const struct fz_flow *k, uint32_t sid, uint32_t be_id,
			const struct fz_be *b, uint16_t bport, const uint8_t *a, uint16_t port,
			struct fz_expect *x)
{
	struct fz_ct o = { .used = true, .key = *k, .kind = XGW_CT_NAT_ORIG, .be = be_id,
			   .svc = sid, .nat_sport = port, .nat_dport = bport };
	struct fz_ct r = { .used = true, .kind = XGW_CT_NAT_REPLY, .be = be_id, .svc = sid,
			   .nat_sport = k->dport, .nat_dport = k->sport };

	memcpy(o.nat_src, a, 16);
	memcpy(o.nat_dst, b->addr, 16);
	r.key = peer_key(&o);
	memcpy(r.nat_src, k->dst, 16);
	memcpy(r.nat_dst, k->src, 16);
	if (p->proto == 6) {
		tcp_state(&o, p->tcp_flags, true);
		tcp_state(&r, p->tcp_flags, true);
	}
	op_ct(x, &r);
	op_ct(x, &o);
}

/*
 * The first packet of a NAT flow @k to backend @be_id of service @s:
 * nothing is written unless the packet can be forwarded; a free source
 * (the datapath's choice), both entries, the packet rewritten and sent.
 */
void nat_new(const struct fz_cfg *c, const struct fz_state *st, const struct pkt *p,
	     const struct fz_flow *k, const struct fz_svc *s, uint32_t sid, uint32_t be_id,
	     struct fz_expect *x)
{
	const struct fz_be *b = &c->be[be_id];
	uint16_t bport = b->port ? b->port : k->dport, port = 0;
	enum xgw_reason r = nh_check(c, b->nh, p->ttl, p->l3_len);
	const uint8_t *a = NULL;
	uint64_t total, used;
	unsigned int own, probes;
	size_t o;

	why(x, "nat: new flow to backend %u", be_id);
	if (r != XGW_FWD) {
		refused(c, b->nh, 0, x);
		end(x, p, r);
		return;		/* no mapping made: no new flow */
	}
	nat_pairs(c, st, k, s, b, bport, &total, &used, &own, &probes, &a, &port);
	if (!a || (x->nat_forced_noport && nat_noport_possible(total, used, own, probes))) {
		why(x, "%llu of %llu source pairs in use", (unsigned long long)used,
		    (unsigned long long)total);
		path(x, FZ_P_NAT_NOPORT);
		end(x, p, XGW_DROP_NAT_PORT);
		return;
	}
	x->nat_choice = true;
	x->nat_noport_ok = nat_noport_possible(total, used, own, probes);
	if (x->nat_forced) {
		if (!nat_choice_ok(c, st, k, s, b, bport, x)) {
			x->verdict = XDP_ABORTED;	/* no right frame: a disagreement */
			return;
		}
		a = x->nat_addr;
		port = x->nat_port;
	}
	x->new_flow = true;
	path(x, FZ_P_NAT_NEW);
	nat_entries(p, k, sid, be_id, b, bport, a, port, x);
	o = nat_frame(c, p, b->nh, x);
	x->nat_at = o;
	x->nat_l4 = o + p->l4_off - p->l3;
	nat_rewrite(p, x->out + o, a, port, b->addr, bport);
	nat_send(p, b->nh, x);
	x->be = be_id;
}

void fz_model_nat_choice(const struct fz_cfg *c, const struct fz_state *st, const uint8_t *in,
			 size_t len, int link, uint32_t verdict, const uint8_t *out, size_t out_len,
			 struct fz_expect *x)
{
	int family = x->out[x->nat_at] >> 4 == 4 ? AF_INET : AF_INET6;

	x->nat_forced = x->nat_forced_noport = false;
	if (verdict == XDP_DROP && x->nat_noport_ok) {
		x->nat_forced_noport = true;
	} else if (verdict == XDP_REDIRECT && out_len >= x->nat_l4 + 4 && x->nat_at < out_len) {
		memset(x->nat_addr, 0, 16);
		memcpy(x->nat_addr, out + x->nat_at + (family == AF_INET ? 12 : 8),
		       family == AF_INET ? 4 : 16);
		x->nat_port = fz_rd16(out + x->nat_l4);
		x->nat_forced = true;
	} else {
		return;		/* not a frame the choice can be read from: a disagreement */
	}
	fz_model(c, st, in, len, link, x);
	x->nat_forced = x->nat_forced_noport = false;
}
