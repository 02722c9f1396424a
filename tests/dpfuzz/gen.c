// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Frames for the fuzzer: valid frames of every kind the model knows (routed
 * traffic to every kind of destination, flows of services with TCP flags in
 * sequence so they are learnt, ICMP errors quoting service flows, neighbour
 * discovery, non-IP), built field by field with checksums from scratch;
 * then mutations (truncation, IHL and length lies, version lies, byte
 * flips, bad checksums) and now and then a sweep of every truncation of
 * one frame. Sizes aim at the egress MTU's edges.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fz.h"

void fz_addr_in(struct fz_rng *r, int family, const uint8_t *prefix, int len, uint8_t *out);

#define GEN_FLOWS	192
#define GEN_CLIENTS	24

/* A client's flow to a service, or to any address: sent again and again. */
struct gflow {
	int family;
	uint8_t proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	int sent;
};

struct fz_gen {
	const struct fz_cfg *c;
	struct fz_rng r;
	struct gflow flows[GEN_FLOWS];
	int nflows;
	uint8_t clients[2][GEN_CLIENTS][16];
	/* a truncation sweep in progress: every length of one frame */
	uint8_t sweep[FZ_FRAME_MAX];
	size_t sweep_len, sweep_at;
};

/* A frame, field by field. */
struct fb {
	uint8_t dmac[6], smac[6];
	int nvlan;
	uint16_t tpid[3], tci[3];
	uint16_t etype;		/* non-IP frames: this type, @payload random bytes */
	int family;
	uint8_t src[16], dst[16];
	uint8_t ttl, tos, proto;
	uint16_t ip_id, frag;	/* IPv4 flags+offset; IPv6: the fragment header's field */
	uint8_t opts[40];
	int optlen;
	uint8_t ext[6];		/* IPv6 extension header types, in order */
	int next;
	uint8_t hbh_opt;	/* hop-by-hop option type (1: PadN) */
	uint16_t sport, dport;
	uint8_t tcp_flags, tcp_doff;
	uint8_t icmp_type, icmp_code;
	const uint8_t *quote;	/* ICMP error payload */
	size_t qlen;
	int payload, pad;
	bool udp_nocsum;	/* IPv4 UDP sent without a checksum (RFC 768: 0) */
};

static const uint8_t GW_MAC[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };

/* ---- building ------------------------------------------------------------------- */

static size_t build_l4(struct fz_gen *g, const struct fb *s, uint8_t *p)
{
	size_t h = 0;
	int i;

	switch (s->proto) {
	case 6:
		h = s->tcp_doff >= 5 ? (size_t)s->tcp_doff * 4 : 20;
		memset(p, 0, h);
		fz_wr16(p, s->sport);
		fz_wr16(p + 2, s->dport);
		fz_wr32(p + 4, (uint32_t)fz_rand(&g->r));
		p[12] = (uint8_t)((s->tcp_doff ? s->tcp_doff : 5) << 4);
		p[13] = s->tcp_flags;
		fz_wr16(p + 14, 65535);
		memset(p + 20, 1, h - 20);
		break;
	case 17:
		h = 8;
		fz_wr16(p, s->sport);
		fz_wr16(p + 2, s->dport);
		break;
	case 1:
	case 58:
		if (s->proto == 1 ? s->family != AF_INET : s->family != AF_INET6)
			break;
		h = 8;
		memset(p, 0, 8);
		p[0] = s->icmp_type;
		p[1] = s->icmp_code;
		fz_wr32(p + 4, s->quote ? 0 : (uint32_t)fz_rand(&g->r));
		if (s->quote) {
			memcpy(p + 8, s->quote, s->qlen);
			return 8 + s->qlen;
		}
		break;
	}
	for (i = 0; i < s->payload; i += 8) {
		uint64_t v = fz_rand(&g->r);

		memcpy(p + h + i, &v, s->payload - i < 8 ? (size_t)(s->payload - i) : 8);
	}
	return h + (size_t)s->payload;
}

static size_t build_ext(const struct fb *s, int i, uint8_t next, uint8_t *p)
{
	memset(p, 0, 8);
	p[0] = next;
	switch (s->ext[i]) {
	case 0:
	case 60:
		if (s->ext[i] == 0 && s->hbh_opt != 1) {
			p[2] = s->hbh_opt;	/* e.g. Router Alert: 5, 2, value */
			p[3] = 2;
			p[6] = 1;		/* PadN, 0 bytes */
			return 8;
		}
		p[2] = 1;
		p[3] = 4;
		return 8;
	case 43:
		p[1] = 2;		/* type 2 routing header: one address */
		p[2] = 2;
		p[3] = 1;
		memset(p + 8, 0xab, 16);
		return 24;
	case 44:
		fz_wr16(p + 2, s->frag);
		fz_wr32(p + 4, 0xf00d);
		return 8;
	case 51:
		memset(p, 0, 16);
		p[0] = next;
		p[1] = 2;		/* (2 + 2) * 4 = 16 bytes */
		fz_wr32(p + 4, 0x100);
		return 16;
	}
	return 0;
}

static size_t build_ip(struct fz_gen *g, const struct fb *s, uint8_t *p)
{
	size_t off, l4;
	int i;

	if (s->family == AF_INET) {
		off = 20 + (size_t)s->optlen;
		l4 = build_l4(g, s, p + off);
		p[0] = (uint8_t)(0x40 | off / 4);
		p[1] = s->tos;
		fz_wr16(p + 2, (uint16_t)(off + l4));
		fz_wr16(p + 4, s->ip_id);
		fz_wr16(p + 6, s->frag);
		p[8] = s->ttl;
		p[9] = s->proto;
		p[10] = p[11] = 0;
		memcpy(p + 12, s->src, 4);
		memcpy(p + 16, s->dst, 4);
		memcpy(p + 20, s->opts, (size_t)s->optlen);
		if (!(s->frag & 0x1fff))
			fz_l4_csum_set(p, off + l4, 0);
		if (s->proto == 17 && s->udp_nocsum && !(s->frag & 0x1fff))
			p[off + 6] = p[off + 7] = 0;
		fz_wr16(p + 10, fz_fold(fz_sum(p, off, 0)));
		return off + l4;
	}
	off = 40;
	for (i = 0; i < s->next; i++)
		off += build_ext(s, i, i + 1 < s->next ? s->ext[i + 1] : s->proto, p + off);
	l4 = build_l4(g, s, p + off);
	p[0] = (uint8_t)(0x60 | s->tos >> 4);
	p[1] = (uint8_t)(s->tos << 4);
	p[2] = p[3] = 0;
	fz_wr16(p + 4, (uint16_t)(off - 40 + l4));
	p[6] = s->next ? s->ext[0] : s->proto;
	p[7] = s->ttl;
	memcpy(p + 8, s->src, 16);
	memcpy(p + 24, s->dst, 16);
	if (!s->next)
		fz_l4_csum_set(p, 40 + l4, 0);
	return off + l4;
}

static size_t build(struct fz_gen *g, const struct fb *s, uint8_t *buf)
{
	size_t off = 12, len;
	int i;

	memcpy(buf, s->dmac, 6);
	memcpy(buf + 6, s->smac, 6);
	for (i = 0; i < s->nvlan; i++, off += 4) {
		fz_wr16(buf + off, s->tpid[i]);
		fz_wr16(buf + off + 2, s->tci[i]);
	}
	if (s->etype) {
		fz_wr16(buf + off, s->etype);
		for (i = 0; i < s->payload; i++)
			buf[off + 2 + i] = (uint8_t)fz_rand(&g->r);
		return off + 2 + (size_t)s->payload;
	}
	fz_wr16(buf + off, s->family == AF_INET ? 0x0800 : 0x86dd);
	off += 2;
	len = off + build_ip(g, s, buf + off);
	memset(buf + len, 0, (size_t)s->pad);
	return len + (size_t)s->pad;
}

/* ---- choosing fields --------------------------------------------------------------- */

static void special_addr(struct fz_rng *r, int family, uint8_t *a, bool as_src)
{
	static const uint8_t v4[][4] = {
		{ 0, 0, 0, 0 }, { 0, 1, 2, 3 }, { 127, 0, 0, 1 }, { 127, 9, 9, 9 },
		{ 224, 0, 0, 5 }, { 239, 1, 2, 3 }, { 240, 0, 0, 1 }, { 255, 255, 255, 255 },
		{ 169, 254, 1, 1 }, { 10, 255, 255, 255 }, { 223, 255, 255, 255 },
	};
	static const uint8_t v6[][16] = {
		{ 0 }, { [15] = 1 }, { 0xff, 0x02, [15] = 1 }, { 0xff, 0x0e, [15] = 1 },
		{ 0xfe, 0x80, [15] = 1 }, { 0xfe, 0xbf, [15] = 9 }, { 0xfe, 0xc0, [15] = 1 },
		{ [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 }, { [12] = 10, 0, 0, 1 },
		{ 0xff, 0x02, [11] = 1, 0xff, 0, 0, 5 },
	};

	(void)as_src;
	memset(a, 0, 16);
	if (family == AF_INET)
		memcpy(a, v4[fz_below(r, sizeof(v4) / 4)], 4);
	else
		memcpy(a, v6[fz_below(r, sizeof(v6) / 16)], 16);
}

/* A destination: where the configuration has something to say, or anywhere. */
static void pick_dst(struct fz_gen *g, int family, uint8_t *a)
{
	const struct fz_cfg *c = g->c;
	int i, tries;

	if (fz_chance(&g->r, 8)) {
		special_addr(&g->r, family, a, false);
		return;
	}
	for (tries = 0; tries < 16 && c->nrt; tries++) {
		const struct fz_route *rt = &c->rt[fz_below(&g->r, c->nrt)];
		int bits = fz_addr_bits(family), k;

		if (rt->family != family)
			continue;
		fz_addr_in(&g->r, family, rt->addr, rt->len, a);
		k = (int)fz_below(&g->r, 4);
		if (k == 0 || k == 1) {		/* first or last address of the prefix */
			for (i = rt->len; i < bits; i++) {
				if (k)
					a[i / 8] |= (uint8_t)(0x80 >> (i % 8));
				else
					a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
			}
		}
		if (k == 1 && fz_chance(&g->r, 30)) {	/* one past the end */
			for (i = bits / 8 - 1; i >= 0 && ++a[i] == 0; i--)
				;
		}
		return;
	}
	memset(a, 0, 16);
	for (i = 0; i < fz_addr_bits(family) / 8; i++)
		a[i] = (uint8_t)fz_rand(&g->r);
}

static void pick_src(struct fz_gen *g, int family, uint8_t *a)
{
	if (fz_chance(&g->r, 6)) {
		special_addr(&g->r, family, a, true);
		return;
	}
	memcpy(a, g->clients[family == AF_INET6][fz_below(&g->r, GEN_CLIENTS)], 16);
}

static uint8_t pick_ttl(struct fz_rng *r)
{
	static const uint8_t t[] = { 64, 64, 64, 64, 64, 0, 1, 2, 255, 128 };

	return t[fz_below(r, sizeof(t))];
}

static uint8_t pick_tcp_flags(struct fz_rng *r)
{
	static const uint8_t f[] = { 0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x01, 0x03, 0x06 };

	return fz_chance(r, 10) ? (uint8_t)fz_rand(r) : f[fz_below(r, sizeof(f))];
}

/* IPv4 options: NOPs, EOL, Router Alert, source routes, record route, timestamps, junk. */
static void pick_opts(struct fz_rng *r, struct fb *s)
{
	int room = 4 * (1 + (int)fz_below(r, 10)), n = 0;

	while (n < room) {
		uint32_t k = fz_below(r, 9);
		int left = room - n, l;

		if (k == 0 || left < 4) {
			s->opts[n++] = fz_chance(r, 70) ? 1 : 0;	/* NOP, EOL */
			continue;
		}
		if (k == 1) {				/* Router Alert */
			s->opts[n] = 148, s->opts[n + 1] = 4, s->opts[n + 2] = s->opts[n + 3] = 0;
			n += 4;
			continue;
		}
		l = 3 + 4 * (int)fz_below(r, (uint32_t)(left - 3) / 4 + 1);
		if (l > left)
			l = left;
		s->opts[n] = k == 2 ? 131 : k == 3 ? 137 : k == 4 ? 7 : k == 5 ? 68 :
			     (uint8_t)fz_rand(r);
		s->opts[n + 1] = fz_chance(r, 90) ? (uint8_t)l : (uint8_t)fz_rand(r);
		if (l > 2)
			s->opts[n + 2] = 4;
		memset(s->opts + n + 3, 0x5a, (size_t)(l > 3 ? l - 3 : 0));
		n += l;
	}
	s->optlen = room;
}

static void pick_ext(struct fz_rng *r, struct fb *s)
{
	static const uint8_t t[] = { 0, 60, 43, 44, 51, 60 };
	int i;

	s->next = 1 + (int)fz_below(r, 6);
	for (i = 0; i < s->next; i++)
		s->ext[i] = t[fz_below(r, sizeof(t))];
	s->hbh_opt = fz_chance(r, 70) ? 1 : fz_chance(r, 50) ? 5 : (uint8_t)fz_rand(r);
	if (fz_chance(r, 50))
		s->frag = (uint16_t)(fz_chance(r, 50) ? 1 : (fz_below(r, 200) << 3) | fz_below(r, 2));
}

/* The payload that puts the datagram at the edge of @mtu (or a small one). */
static int pick_payload(struct fz_gen *g, const struct fb *s, int hdrs)
{
	const struct fz_cfg *c = g->c;
	uint32_t k = fz_below(&g->r, 100);
	int mtu, want;

	if (k < 70)
		return (int)fz_below(&g->r, k < 10 ? 1 : 80);
	mtu = c->nh[1 + fz_below(&g->r, FZ_MAX_NH - 1)].mtu;
	if (!mtu)
		mtu = 1500;
	want = mtu + (int)fz_below(&g->r, 3) - 1;		/* mtu - 1, mtu, mtu + 1 */
	if (k > 85)
		want -= fz_chance(&g->r, 50) ? 20 : 40;	/* what ipip adds */
	want -= hdrs;
	if (want < 0)
		want = 0;
	if (want + hdrs + 64 > FZ_FRAME_MAX)
		want = FZ_FRAME_MAX - hdrs - 64;
	(void)s;
	return want;
}

static void base_frame(struct fz_gen *g, struct fb *s, int family)
{
	struct fz_rng *r = &g->r;
	int i;

	memset(s, 0, sizeof(*s));
	memcpy(s->dmac, GW_MAC, 6);
	s->smac[0] = 0x02, s->smac[5] = (uint8_t)fz_rand(r);
	if (fz_chance(r, 15)) {
		s->nvlan = fz_chance(r, 70) ? 1 : fz_chance(r, 80) ? 2 : 3;
		for (i = 0; i < s->nvlan; i++) {
			s->tpid[i] = fz_chance(r, 70) ? 0x8100 : 0x88a8;
			s->tci[i] = (uint16_t)fz_rand(r);
		}
		if (g->c->nvids && fz_chance(r, 80))	/* mostly an attached VLAN's */
			s->tci[0] = (uint16_t)((s->tci[0] & 0xf000) |
					       g->c->vids[fz_below(r, (uint32_t)g->c->nvids)]);
	}
	s->family = family;
	s->ttl = pick_ttl(r);
	s->tos = fz_chance(r, 80) ? 0 : (uint8_t)fz_rand(r);
	s->ip_id = (uint16_t)fz_rand(r);
	s->udp_nocsum = fz_chance(r, 10);
	if (family == AF_INET && fz_chance(r, 50))
		s->frag = 0x4000;	/* DF */
	if (family == AF_INET && fz_chance(r, 6))
		s->frag = (uint16_t)(fz_chance(r, 50) ? 0x2000 : fz_below(r, 0x4000));
	if (family == AF_INET && fz_chance(r, 6))
		pick_opts(r, s);
	if (family == AF_INET6 && fz_chance(r, 8))
		pick_ext(r, s);
	if (fz_chance(r, 3))
		s->pad = (int)fz_below(r, 30);
}

static void l4_fields(struct fz_gen *g, struct fb *s)
{
	struct fz_rng *r = &g->r;
	uint32_t k = fz_below(r, 100);

	if (k < 45)
		s->proto = 6;
	else if (k < 85)
		s->proto = 17;
	else if (k < 93)
		s->proto = s->family == AF_INET ? 1 : 58;
	else
		s->proto = (uint8_t)(fz_chance(r, 50) ? fz_rand(r) : (s->family == AF_INET ? 58 : 1));
	s->sport = (uint16_t)fz_rand(r);
	s->dport = (uint16_t)fz_rand(r);
	s->tcp_flags = pick_tcp_flags(r);
	if (fz_chance(r, 5))
		s->tcp_doff = (uint8_t)(5 + fz_below(r, 11));
	s->icmp_type = fz_chance(r, 60) ? (s->family == AF_INET ? 8 : 128) : (uint8_t)fz_rand(r);
}

/* ---- kinds of frames ------------------------------------------------------------------ */

static void frame_routed(struct fz_gen *g, struct fb *s)
{
	int family = fz_chance(&g->r, 55) ? AF_INET : AF_INET6;

	base_frame(g, s, family);
	pick_src(g, family, s->src);
	pick_dst(g, family, s->dst);
	l4_fields(g, s);
	s->payload = pick_payload(g, s, (family == AF_INET ? 20 + s->optlen : 40) + 20);
}

static struct gflow *flow_new(struct fz_gen *g)
{
	const struct fz_cfg *c = g->c;
	struct gflow *f = &g->flows[g->nflows < GEN_FLOWS ? g->nflows++ :
				   (int)fz_below(&g->r, GEN_FLOWS)];
	uint32_t sid = 1 + fz_below(&g->r, FZ_MAX_SVC - 1), i;

	for (i = 0; i < FZ_MAX_SVC && !c->svc[sid].family; i++)
		sid = 1 + (sid % (FZ_MAX_SVC - 1));
	memset(f, 0, sizeof(*f));
	if (!c->svc[sid].family) {	/* no service: a flow to anywhere */
		f->family = fz_chance(&g->r, 50) ? AF_INET : AF_INET6;
		f->proto = fz_chance(&g->r, 50) ? 6 : 17;
		pick_dst(g, f->family, f->dst);
		f->dport = (uint16_t)fz_rand(&g->r);
	} else {
		const struct fz_svc *v = &c->svc[sid];

		f->family = v->family;
		f->proto = fz_chance(&g->r, 95) ? v->proto : (v->proto == 6 ? 17 : 6);
		memcpy(f->dst, v->vip, 16);
		f->dport = fz_chance(&g->r, 95) ? v->port : (uint16_t)fz_rand(&g->r);
	}
	pick_src(g, f->family, f->src);
	f->sport = (uint16_t)(1024 + fz_below(&g->r, 64000));
	return f;
}

/* The next packet of a flow: SYN first, then ACKs, now and then FIN or RST. */
static void frame_flow(struct fz_gen *g, struct fb *s)
{
	struct gflow *f = g->nflows && fz_chance(&g->r, 75) ?
				  &g->flows[fz_below(&g->r, (uint32_t)g->nflows)] : flow_new(g);

	base_frame(g, s, f->family);
	if (fz_chance(&g->r, 85)) {	/* flows are mostly plain */
		s->nvlan = 0;
		s->optlen = 0;
		s->next = 0;
		s->frag &= 0x4000;
		s->ttl = fz_chance(&g->r, 95) ? 64 : s->ttl;
	}
	memcpy(s->src, f->src, 16);
	memcpy(s->dst, f->dst, 16);
	s->proto = f->proto;
	s->sport = f->sport;
	s->dport = f->dport;
	if (f->sent == 0)
		s->tcp_flags = 0x02;
	else if (fz_chance(&g->r, 90))
		s->tcp_flags = fz_chance(&g->r, 50) ? 0x10 : 0x18;
	else
		s->tcp_flags = pick_tcp_flags(&g->r);
	f->sent++;
	s->payload = fz_chance(&g->r, 80) ? (int)fz_below(&g->r, 64) :
					    pick_payload(g, s, s->family == AF_INET ? 40 : 60);
}

/*
 * An ICMP error to a flow's destination quoting that destination's reply
 * (or, now and then, something else: the other direction, another VIP's
 * flow, a truncated quote).
 */
static void frame_icmp_error(struct fz_gen *g, const struct fz_state *st, struct fb *s,
			     uint8_t *quote)
{
	struct gflow *f = g->nflows ? &g->flows[fz_below(&g->r, (uint32_t)g->nflows)] : flow_new(g);
	struct gflow nat;
	struct fb q;

	if (st->nreplies && fz_chance(&g->r, 30)) {
		/* from a router by a backend, about the gateway's packet to it */
		const struct fz_flow *k = &st->replies[fz_below(&g->r, st->nreplies)];

		nat = (struct gflow){ .family = k->family, .proto = k->proto, .sport = k->sport,
				      .dport = k->dport };
		memcpy(nat.src, k->src, 16);
		memcpy(nat.dst, k->dst, 16);
		f = &nat;
	}
	size_t qlen, hl;

	base_frame(g, &q, f->family);
	q.nvlan = q.optlen = q.next = 0;
	q.frag &= 0x4000;
	memcpy(q.src, f->dst, 16);
	memcpy(q.dst, f->src, 16);
	q.proto = f->proto;
	q.sport = f->dport;
	q.dport = f->sport;
	q.tcp_flags = 0x12;
	q.payload = (int)fz_below(&g->r, 40);
	if (fz_chance(&g->r, 10)) {	/* the other direction's packet */
		memcpy(q.src, f->src, 16);
		memcpy(q.dst, f->dst, 16);
		q.sport = f->sport;
		q.dport = f->dport;
	}
	if (fz_chance(&g->r, 10) && g->nflows)	/* another flow's reply */
		memcpy(q.src, g->flows[fz_below(&g->r, (uint32_t)g->nflows)].dst, 16);
	qlen = build(g, &q, quote) - 14;
	memmove(quote, quote + 14, qlen);
	hl = f->family == AF_INET ? 20 : 40;
	if (fz_chance(&g->r, 60) && qlen > hl + 8)
		qlen = hl + 8;			/* RFC 792: header + 64 bits */
	else if (fz_chance(&g->r, 15))
		qlen = fz_below(&g->r, (uint32_t)qlen + 1);

	base_frame(g, s, f->family);
	pick_src(g, f->family, s->src);
	memcpy(s->dst, f->dst, 16);
	s->proto = f->family == AF_INET ? 1 : 58;
	if (f->family == AF_INET) {
		static const uint8_t t4[] = { 3, 11, 12, 3, 4, 5 };

		s->icmp_type = t4[fz_below(&g->r, sizeof(t4))];
	} else {
		s->icmp_type = (uint8_t)(1 + fz_below(&g->r, fz_chance(&g->r, 90) ? 4 : 200));
	}
	s->icmp_code = (uint8_t)fz_below(&g->r, 5);
	s->quote = quote;
	s->qlen = qlen;
}

/* A backend's reply to a NAT flow the model knows: to the gateway's address and port. */
static bool frame_reply(struct fz_gen *g, const struct fz_state *st, struct fb *s)
{
	const struct fz_flow *k;

	if (!st->nreplies)
		return false;
	k = &st->replies[fz_below(&g->r, st->nreplies)];
	base_frame(g, s, k->family);
	if (fz_chance(&g->r, 85)) {
		s->nvlan = s->optlen = s->next = 0;
		s->frag &= 0x4000;
		s->ttl = 64;
	}
	memcpy(s->src, k->src, 16);
	memcpy(s->dst, k->dst, 16);
	s->proto = k->proto;
	s->sport = k->sport;
	s->dport = k->dport;
	s->tcp_flags = fz_chance(&g->r, 80) ? (fz_chance(&g->r, 30) ? 0x12 : 0x10) :
					      pick_tcp_flags(&g->r);
	s->payload = (int)fz_below(&g->r, 64);
	return true;
}

static void frame_nd(struct fz_gen *g, struct fb *s)
{
	base_frame(g, s, AF_INET6);
	pick_src(g, AF_INET6, s->src);
	pick_dst(g, AF_INET6, s->dst);
	s->proto = 58;
	s->icmp_type = (uint8_t)(130 + fz_below(&g->r, 9));
	s->ttl = 255;
	s->payload = 16 + (int)fz_below(&g->r, 16);
}

static void frame_non_ip(struct fz_gen *g, struct fb *s)
{
	static const uint16_t types[] = { 0x0806, 0x88cc, 0x8100, 0x88a8, 0x0842, 0x86dd, 0x0800 };

	memset(s, 0, sizeof(*s));
	memcpy(s->dmac, GW_MAC, 6);
	s->smac[0] = 2;
	s->etype = fz_chance(&g->r, 80) ? types[fz_below(&g->r, 5)] : (uint16_t)fz_rand(&g->r);
	s->payload = (int)fz_below(&g->r, 80);
	if (fz_chance(&g->r, 20)) {
		s->nvlan = 1 + (int)fz_below(&g->r, 3);
		s->tpid[0] = s->tpid[1] = s->tpid[2] = 0x8100;
	}
}

/* ---- mutations ------------------------------------------------------------------------ */

static size_t l3_of(const uint8_t *f, size_t len)
{
	size_t off = 12;
	int n = 0;

	while (off + 2 <= len && n < 3 &&
	       (fz_rd16(f + off) == 0x8100 || fz_rd16(f + off) == 0x88a8))
		off += 4, n++;
	return off + 2;
}

static size_t mutate(struct fz_gen *g, uint8_t *f, size_t len)
{
	struct fz_rng *r = &g->r;
	size_t l3 = l3_of(f, len);
	uint8_t *h = f + l3;
	bool v4 = l3 < len && h[0] >> 4 == 4, v6 = l3 < len && h[0] >> 4 == 6;
	uint32_t k = fz_below(r, 10);

	if (k == 0 && len > 14)				/* truncation */
		return 14 + fz_below(r, (uint32_t)(len - 14));
	if (k == 1 && v4 && l3 + 20 <= len)		/* IHL lie */
		h[0] = (uint8_t)(0x40 | fz_below(r, 16));
	else if (k == 2 && v4 && l3 + 20 <= len)	/* tot_len lie */
		fz_wr16(h + 2, (uint16_t)(fz_rd16(h + 2) + (int)fz_below(r, 81) - 40));
	else if (k == 3 && v6 && l3 + 40 <= len)	/* payload length lie */
		fz_wr16(h + 4, (uint16_t)(fz_rd16(h + 4) + (int)fz_below(r, 81) - 40));
	else if (k == 4 && l3 < len)			/* version lie */
		h[0] = (uint8_t)((h[0] & 0x0f) | fz_below(r, 16) << 4);
	else if (k == 5 && v4 && l3 + 20 <= len)	/* bad header checksum */
		fz_wr16(h + 10, (uint16_t)fz_rand(r));
	else if (k == 6 && len > l3 + 30)		/* bad L4 checksum, or L4 bytes */
		f[l3 + 20 + fz_below(r, (uint32_t)(len - l3 - 20))] ^= (uint8_t)(1 + fz_below(r, 255));
	else if (k == 7 && len + 20 < FZ_FRAME_MAX)	/* Ethernet padding */
		return memset(f + len, 0, 20), len + 1 + fz_below(r, 20);
	else						/* a byte anywhere */
		f[fz_below(r, (uint32_t)len)] ^= (uint8_t)(1 + fz_below(r, 255));
	return len;
}

/* ---- the generator ------------------------------------------------------------------ */

struct fz_gen *fz_gen_new(const struct fz_cfg *c, uint64_t seed)
{
	struct fz_gen *g = calloc(1, sizeof(*g));
	int i;

	if (!g)
		return NULL;
	g->c = c;
	g->r.s = seed;
	for (i = 0; i < GEN_CLIENTS; i++) {
		static const uint8_t v4[4] = { 203, 0, 113, 0 }, v6[16] = { 0x20, 0x01, 0x0d, 0xb8,
									    0xc1 };

		fz_addr_in(&g->r, AF_INET, v4, i < 12 ? 24 : 8, g->clients[0][i]);
		fz_addr_in(&g->r, AF_INET6, v6, i < 12 ? 40 : 16, g->clients[1][i]);
	}
	return g;
}

void fz_gen_free(struct fz_gen *g)
{
	free(g);
}

size_t fz_gen_frame(struct fz_gen *g, const struct fz_state *st, uint8_t *buf, const char **what,
		    int *link)
{
	*link = fz_chance(&g->r, 50) ? 0 : 1 + (int)fz_below(&g->r, FZ_LINKS - 1);
	static uint8_t quote[FZ_FRAME_MAX];
	struct fb s;
	uint32_t k;
	size_t len;

	if (g->sweep_at < g->sweep_len) {
		*what = "truncation sweep";
		memcpy(buf, g->sweep, g->sweep_at);
		return g->sweep_at++;
	}
	k = fz_below(&g->r, 100);
	if (k >= 60 && k < 72 && frame_reply(g, st, &s)) {
		*what = "nat reply";
	} else if (k < 35) {
		*what = "routed";
		frame_routed(g, &s);
	} else if (k < 75) {
		*what = "flow";
		frame_flow(g, &s);
	} else if (k < 87) {
		*what = "icmp error";
		frame_icmp_error(g, st, &s, quote);
	} else if (k < 93) {
		*what = "nd";
		frame_nd(g, &s);
	} else {
		*what = "non-ip";
		frame_non_ip(g, &s);
	}
	len = build(g, &s, buf);
	if (len > 40 && len <= 300 && !fz_below(&g->r, 2000)) {	/* every cut of this one, next */
		memcpy(g->sweep, buf, len);
		g->sweep_len = len;
		g->sweep_at = 14;
	}
	if (fz_chance(&g->r, 20)) {
		*what = "mutated";
		len = mutate(g, buf, len);
	}
	return len;
}
