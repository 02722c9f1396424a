// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The reference model: what xgw_xdp must do with one frame, from the
 * specifications (RFC 791, 8200, 1812, 6890, 792, 4443) and xgw's documented
 * contracts (README's reason table and architecture, common/xgw_shared.h,
 * the service modes as README, TEAM.md and the connection-table comments
 * describe them). Not a translation of bpf/: it parses the frame its own
 * way, byte by byte, looks routes up in the plain list of the
 * configuration by longest match, and builds every output frame from
 * scratch, checksums included.
 *
 * Each behaviour is one function below, named for the rule it implements,
 * so a rule that changes is changed in one place. Where the specification
 * leaves a choice open, the comment says which reading the model takes.
 */
#include <string.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <linux/bpf.h>

#include "model.h"
#include "nhgroup.h"	/* the flow hash and bucket: the contract every gateway shares */
#include "pkt_lib.h"	/* pkt_verdict_of(): README's reason table */

#define FZ_OK	(-1)	/* a parse step found nothing wrong */

void why(struct fz_expect *x, const char *fmt, ...)
{
	size_t n = strlen(x->why);
	va_list ap;

	if (n + 2 >= sizeof(x->why))
		return;
	if (n)
		x->why[n++] = ';', x->why[n++] = ' ', x->why[n] = 0;
	va_start(ap, fmt);
	vsnprintf(x->why + n, sizeof(x->why) - n, fmt, ap);
	va_end(ap);
}


/* A packet not forwarded leaves exactly as it came (README: "handed ... unchanged"). */
void end(struct fz_expect *x, const struct pkt *p, enum xgw_reason r)
{
	x->reason = r;
	x->verdict = pkt_verdict_of(r);
	if (x->verdict != XDP_REDIRECT) {
		memcpy(x->out, p->f, p->len);
		x->out_len = p->len;
	}
	why(x, "-> %s", xgw_reason_desc[r].name);
}

void dev(struct fz_expect *x, enum fz_known_id id)
{
	x->known |= 1u << id;
	why(x, "known bug %d", id);
}

/* ==== parsing ==================================================================== */

/*
 * Ethernet and up to XGW_VLAN_MAX_DEPTH 802.1Q/802.1ad tags, either TPID at
 * either depth. A tag whose TCI or inner type is cut off: malformed. A third
 * tag is beyond the parser: its type is not IP, so non_ip.
 */
static int parse_l2(struct pkt *p)
{
	size_t off = 12;
	uint16_t type = fz_rd16(p->f + off);

	while ((type == 0x8100 || type == 0x88a8) && p->nvlan < XGW_VLAN_MAX_DEPTH) {
		if (p->len < off + 6)
			return XGW_DROP_MALFORMED;
		p->vid[p->nvlan++] = fz_rd16(p->f + off + 2) & 0x0fff;
		off += 4;
		type = fz_rd16(p->f + off);
	}
	p->etype = type;
	p->l3 = off + 2;
	return FZ_OK;
}

/*
 * TCP, UDP, and ICMP of the packet's own family (ICMPv4 in IPv4, ICMPv6 in
 * IPv6: RFC 792, 4443): a header that must be whole within the datagram.
 * Any other protocol, ICMPv6 carried in IPv4 included, is opaque: routed
 * without looking into it.
 */
static int parse_l4(struct pkt *p, size_t off, size_t room)
{
	const uint8_t *h = p->f + off;

	p->icmp = (p->family == AF_INET && p->proto == 1) ||
		  (p->family == AF_INET6 && p->proto == 58);
	p->l4_off = off;
	p->l4_room = room;
	if (p->proto == 6) {
		if (room < 20 || h[12] >> 4 < 5 || (size_t)(h[12] >> 4) * 4 > room)
			return XGW_DROP_TRUNC_L4;
		p->tcp_flags = h[13];
	} else if (p->proto == 17) {
		if (room < 8)
			return XGW_DROP_TRUNC_L4;
	} else if (p->icmp) {
		if (room < 8)
			return XGW_DROP_TRUNC_L4;
		p->icmp_type = h[0];
		p->icmp_code = h[1];
		p->l4 = true;
		return FZ_OK;
	} else {
		return FZ_OK;	/* a protocol without a header we read */
	}
	p->sport = fz_rd16(h);
	p->dport = fz_rd16(h + 2);
	p->l4 = true;
	return FZ_OK;
}

/*
 * The options of an IPv4 header (@v4) or of a hop-by-hop header, @len
 * bytes at @o, as the kernel treats a packet it forwards (README "Martians,
 * IP options, VLANs"): padding (IPv4 NOP, EOL ending the list; IPv6 Pad1,
 * PadN) is forwarded; a loose or strict source route is dropped
 * (accept_source_route 0); any other option goes to the kernel, which
 * processes it, unless a later one is a source route or malformed; an
 * option running past the header is a bad header.
 */
static int ip_options(const uint8_t *o, size_t len, bool v4)
{
	int r = FZ_OK;
	size_t i = 0, olen;

	while (i < len) {
		if (v4 && o[i] == 0)		/* EOL */
			break;
		if (o[i] == (v4 ? 1 : 0)) {	/* NOP, Pad1 */
			i++;
			continue;
		}
		olen = i + 1 < len ? (size_t)o[i + 1] + (v4 ? 0 : 2) : 0;
		if (olen < 2 || i + olen > len)
			return XGW_DROP_BAD_IP;
		if (v4 && (o[i] == 0x83 || o[i] == 0x89))	/* LSRR, SSRR */
			return XGW_DROP_SRCROUTE;
		if (v4 || o[i] != 1)		/* PadN */
			r = XGW_PASS_IPOPT;
		i += olen;
	}
	return r;
}

/* RFC 791: version, IHL >= 5, header within tot_len, tot_len within the frame. */
static int parse_ipv4(struct pkt *p)
{
	const uint8_t *h = p->f + p->l3;
	size_t avail = p->len - p->l3;
	uint16_t frag;

	if (avail < 20 || h[0] >> 4 != 4 || (h[0] & 0xf) < 5)
		return XGW_DROP_BAD_IP;
	p->hlen = (size_t)(h[0] & 0xf) * 4;
	p->l3_len = fz_rd16(h + 2);
	if (p->l3_len < p->hlen || p->l3_len > avail)
		return XGW_DROP_BAD_IP;
	p->family = AF_INET;
	if (p->hlen > 20) {
		int r;

		r = ip_options(h + 20, p->hlen - 20, true);
		if (r != FZ_OK)
			return r;
	}
	p->ttl = h[8];
	p->proto = h[9];
	memcpy(p->src, h + 12, 4);
	memcpy(p->dst, h + 16, 4);
	frag = fz_rd16(h + 6);
	p->frag = (frag & 0x3fff) != 0;
	p->later = (frag & 0x1fff) != 0;
	if (p->later)
		return FZ_OK;	/* no L4 header in a later fragment */
	return parse_l4(p, p->l3 + p->hlen, p->l3_len - p->hlen);
}

static bool ipv6_is_exthdr(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

/*
 * RFC 8200 extension headers: hop-by-hop, routing, fragment, destination
 * options and AH are stepped over, at most XGW_IPV6_MAX_EXTHDR of them (one
 * more is handed to the kernel: ipv6_exthdr); one that does not fit in the
 * payload is a bad header. A fragment header with an offset ends the walk.
 */
static int parse_ipv6_ext(struct pkt *p, size_t *off, size_t *room, struct fz_expect *x)
{
	int n = 0;

	while (ipv6_is_exthdr(p->proto)) {
		const uint8_t *h = p->f + *off;
		size_t hl;

		if (n == XGW_IPV6_MAX_EXTHDR)
			return XGW_PASS_EXTHDR;
		if (*room < 8)
			return XGW_DROP_BAD_IP;
		if (p->proto == 44)
			hl = 8;
		else if (p->proto == 51)
			hl = ((size_t)h[1] + 2) * 4;
		else
			hl = ((size_t)h[1] + 1) * 8;
		if (hl > *room)
			return XGW_DROP_BAD_IP;
		x->paths |= 1u << FZ_P_EXTHDR;
		if (p->proto == 44) {
			p->frag = true;
			p->later = (fz_rd16(h + 2) & 0xfff8) != 0;
		}
		p->proto = h[0];
		*off += hl;
		*room -= hl;
		n++;
		if (p->later)
			break;
	}
	return FZ_OK;
}

static int parse_ipv6(struct pkt *p, struct fz_expect *x)
{
	const uint8_t *h = p->f + p->l3;
	size_t avail = p->len - p->l3, off, room;
	int r;

	if (avail < 40 || h[0] >> 4 != 6)
		return XGW_DROP_BAD_IP;
	p->hlen = 40;
	p->l3_len = 40 + (size_t)fz_rd16(h + 4);
	if (p->l3_len > avail)
		return XGW_DROP_BAD_IP;
	if (h[6] == 0) {	/* hop-by-hop options right after the header */
		size_t hl = avail >= 42 ? ((size_t)h[41] + 1) * 8 : 0;
		int r;

		if (p->l3_len < 48 || 40 + hl > p->l3_len)	/* not within the datagram */
			return XGW_DROP_BAD_IP;
		if (hl > 66)	/* longer than the datapath scans: the kernel's */
			return XGW_PASS_IPOPT;
		r = ip_options(h + 42, hl - 2, false);
		if (r != FZ_OK)
			return r;
	}
	p->family = AF_INET6;
	p->ttl = h[7];
	p->proto = h[6];
	memcpy(p->src, h + 8, 16);
	memcpy(p->dst, h + 24, 16);
	off = p->l3 + 40;
	room = p->l3_len - 40;
	r = parse_ipv6_ext(p, &off, &room, x);
	if (r != FZ_OK || p->later)
		return r;
	return parse_l4(p, off, room);
}

static int parse(struct pkt *p, struct fz_expect *x)
{
	int r = parse_l2(p);

	if (r != FZ_OK)
		return r;
	if (p->etype == 0x0800)
		return parse_ipv4(p);
	if (p->etype == 0x86dd)
		return parse_ipv6(p, x);
	return XGW_PASS_NON_IP;
}

/* ==== address classes (RFC 1812 5.3.7, RFC 6890, RFC 4291) ======================== */

static bool v4_in(const uint8_t *a, uint32_t net, int len)
{
	uint32_t v = fz_rd32(a), m = len ? ~0u << (32 - len) : 0;

	return (v & m) == (net & m);
}

static bool v6_zero_upto(const uint8_t *a, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (a[i])
			return false;
	return true;
}

static bool is_unspec6(const uint8_t *a)
{
	return v6_zero_upto(a, 16);
}

static bool is_loop6(const uint8_t *a)
{
	return v6_zero_upto(a, 15) && a[15] == 1;
}

/* Destinations only the kernel handles: 224/4, 255.255.255.255; ff00::/8, fe80::/10. */
static bool dst_is_link_scope(const struct pkt *p)
{
	if (p->family == AF_INET)
		return v4_in(p->dst, 0xe0000000, 4) || fz_rd32(p->dst) == 0xffffffff;
	return p->dst[0] == 0xff || (p->dst[0] == 0xfe && (p->dst[1] & 0xc0) == 0x80);
}

bool src_is_link_local6(const struct pkt *p)
{
	return p->family == AF_INET6 && p->src[0] == 0xfe && (p->src[1] & 0xc0) == 0x80;
}

/* ::ffff:0:0/96, IPv4-mapped (RFC 4291 2.5.5.2): never on the wire. */
static bool is_v4mapped6(const uint8_t *a)
{
	return v6_zero_upto(a, 10) && a[10] == 0xff && a[11] == 0xff;
}

/*
 * Sources nobody may forward from (README "Martians, IP options, VLANs",
 * RFC 6890): 0/8, 127/8, 224/4, 240/4 and 255.255.255.255; ::, ::1,
 * ::ffff:0:0/96, ff00::/8. The unspecified source to a link-scope
 * destination (multicast, broadcast, IPv6 link-local) is the link's
 * business: DHCP, DAD, MLD (RFC 4291 2.5.2 only forbids forwarding it),
 * and goes on to the kernel.
 */
static bool src_is_martian(const struct pkt *p)
{
	if (p->family == AF_INET) {
		if (v4_in(p->src, 0, 8))
			return !(fz_rd32(p->src) == 0 && dst_is_link_scope(p));
		return v4_in(p->src, 0x7f000000, 8) || v4_in(p->src, 0xe0000000, 3);
	}
	if (is_unspec6(p->src))
		return !dst_is_link_scope(p);
	return is_loop6(p->src) || p->src[0] == 0xff || is_v4mapped6(p->src);
}

/*
 * Destinations nobody may forward to (README, RFC 6890): 0/8 and 240/4
 * (255.255.255.255 is link scope, the kernel's); ::, ::ffff:0:0/96.
 * IPv4-compatible ::a.b.c.d is not one (the kernel routes it). Loopback
 * destinations: dst_is_loopback().
 */
static bool dst_is_martian(const struct pkt *p)
{
	if (p->family == AF_INET)
		return v4_in(p->dst, 0, 8) || v4_in(p->dst, 0xf0000000, 4);
	return is_unspec6(p->dst) || is_v4mapped6(p->dst);
}

/* 127/8, ::1: martian unless one of the gateway's own addresses (then the kernel's). */
static bool dst_is_loopback(const struct pkt *p)
{
	return p->family == AF_INET ? v4_in(p->dst, 0x7f000000, 8) : is_loop6(p->dst);
}

/* Whether the frame's outer VLAN is attached on the link it came in on (xgw_ifinfo). */
static bool vlan_attached(const struct fz_cfg *c, const struct pkt *p)
{
	int i;

	for (i = 0; i < c->nvids; i++)
		if (c->vids[i] == p->vid[0] && (c->vid_on[p->link] >> i & 1))
			return true;
	return false;
}

/* RFC 4861: router/neighbour solicitation and advertisement, redirect. */
static bool is_nd(const struct pkt *p)
{
	return p->family == AF_INET6 && p->icmp && p->l4 && p->icmp_type >= 133 &&
	       p->icmp_type <= 137;
}

/* ==== routing ===================================================================== */

/* Longest match over the configuration's prefixes of @family (not host entries of IPv6). */
static const struct fz_route *lpm(const struct fz_cfg *c, int family, const uint8_t *dst,
				  bool skip_none, bool skip_host6)
{
	const struct fz_route *best = NULL;
	int i;

	for (i = 0; i < c->nrt; i++) {
		const struct fz_route *r = &c->rt[i];

		if (r->family != family || (skip_none && r->action == XGW_RT_NONE))
			continue;
		if (skip_host6 && r->len == 128)
			continue;
		if (!fz_prefix_has(family, r->addr, r->len, dst))
			continue;
		if (!best || r->len > best->len)
			best = r;
	}
	return best;
}

static const struct fz_route *exact(const struct fz_cfg *c, int family, const uint8_t *dst,
				    int len)
{
	int i;

	for (i = 0; i < c->nrt; i++)
		if (c->rt[i].family == family && c->rt[i].len == len &&
		    !memcmp(c->rt[i].addr, dst, fz_addr_bits(family) / 8))
			return &c->rt[i];
	return NULL;
}

/*
 * Both families (contract C2, README "The FIB", docs/fib.md): the longest
 * match among routes; a VIP mark (a host route of action NONE) adds its
 * flag to the route beneath it.
 */
struct route route_lookup(const struct fz_cfg *c, int family, const uint8_t *dst)
{
	const struct fz_route *host = exact(c, family, dst, fz_addr_bits(family));
	const struct fz_route *best;
	struct route r = { 0 };

	if (host && host->action != XGW_RT_NONE)
		best = host;
	else
		best = lpm(c, family, dst, true, true);
	if (best) {
		r.found = true;
		r.action = best->action;
		r.nh = best->nh;
		r.flags = best->flags;
		r.len = best->len;
	}
	if (host && host->action == XGW_RT_NONE) {
		r.flags |= host->flags;
		r.mark = true;
	}
	return r;
}

/* ==== forwarding ==================================================================== */

static bool port_present(const struct fz_cfg *c, uint32_t ifindex)
{
	int i;

	for (i = 0; i < c->nports; i++)
		if (c->ports[i] == ifindex)
			return true;
	return false;
}

/*
 * Whether next hop @id takes a packet of @ttl and @l3_len (README:
 * "resolved? TTL>1? fits MTU?", then the devmap): XGW_FWD or the reason.
 */
enum xgw_reason nh_check(const struct fz_cfg *c, uint32_t id, uint8_t ttl, size_t l3_len)
{
	const struct fz_nh *nh = id < FZ_MAX_NH ? &c->nh[id] : NULL;

	if (!nh || !nh->used || !nh->resolved)
		return XGW_PASS_UNRESOLVED;
	if (ttl <= 1)
		return XGW_PASS_TTL;
	if (l3_len > nh->mtu)
		return XGW_PASS_MTU;
	if (!port_present(c, nh->ifindex))
		return XGW_PASS_NO_PORT;
	return XGW_FWD;
}

/* One's complement a + b and a - b on 16-bit values. */
static uint16_t oc_add(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	return (uint16_t)((s & 0xffff) + (s >> 16));
}

static uint16_t oc_sub(uint16_t a, uint16_t b)
{
	return oc_add(a, ~b & 0xffff);
}

/*
 * The checksum field of a rewritten header: computed from scratch over the
 * new header. A field that was wrong on input stays wrong by as much
 * (README Limitations: xgw does not verify IPv4 header checksums and
 * updates them incrementally, RFC 1624), so a bad checksum is never made
 * good nor worse. Of one's complement's two zeros such an update writes
 * 0x0000 (RFC 1624 eqn. 3 and the kernel's TTL decrement give 0xffff only
 * for sums of zero words), as a checksum computed from scratch does.
 */
uint16_t csum_follow(uint16_t in_field, uint16_t in_right, uint16_t out_right)
{
	uint16_t c;

	if (in_field == in_right)
		return out_right;
	c = oc_add(out_right, oc_sub(in_field, in_right));
	return c == 0xffff ? 0 : c;
}

/* Recompute the IPv4 header checksum at @h, keeping the input's error (@in: the input header). */
static void ipv4_csum_redo(uint8_t *h, const uint8_t *in)
{
	size_t hl = (size_t)(h[0] & 0xf) * 4;
	uint8_t tmp[60];
	uint16_t in_right, out_right;

	memcpy(tmp, in, hl);
	tmp[10] = tmp[11] = 0;
	in_right = fz_fold(fz_sum(tmp, hl, 0));
	h[10] = h[11] = 0;
	out_right = fz_fold(fz_sum(h, hl, 0));
	fz_wr16(h + 10, csum_follow(fz_rd16(in + 10), in_right, out_right));
}

/*
 * The L2 header of next hop @nh in front of the IP packet @l3 (@l3n bytes
 * to the frame's end, padding included): the next hop's MACs, one 802.1Q
 * tag when it has a VLAN, whatever tags the frame came with gone.
 */
size_t l2_build(uint8_t *out, const struct fz_nh *nh, uint16_t etype)
{
	size_t o = 12;

	memcpy(out, nh->dmac, 6);
	memcpy(out + 6, nh->smac, 6);
	if (nh->vlan) {	/* path VLAN_OUT: counted by the driver from the frame */
		fz_wr16(out + 12, 0x8100);
		fz_wr16(out + 14, nh->vlan);
		o = 16;
	}
	fz_wr16(out + o, etype);
	return o + 2;
}

/* A forward to @id of the frame's IP packet: MACs, VLAN, TTL - 1, checksum. */
static void forward_out(const struct fz_cfg *c, const struct pkt *p, uint32_t id,
			struct fz_expect *x)
{
	size_t o = l2_build(x->out, &c->nh[id], p->etype), n = p->len - p->l3;
	uint8_t *h = x->out + o;

	memcpy(h, p->f + p->l3, n);
	x->out_len = o + n;
	if (p->family == AF_INET) {
		h[8]--;
		ipv4_csum_redo(h, p->f + p->l3);
	} else {
		h[7]--;
	}
}

/*
 * Multipath (README "Multipath (datapath)"): the flow's bucket, by the
 * kernel's L4 policy hash (ports 0 for fragments and protocols without
 * them) mixed with the group's seed; its next hop if resolved, else the
 * first resolved one of the next 4 buckets, else its own (refused
 * unresolved).
 */
static bool nh_resolved(const struct fz_cfg *c, uint32_t id)
{
	return id && id < FZ_MAX_NH && c->nh[id].used && c->nh[id].resolved;
}

uint32_t mp_pick(const struct fz_cfg *c, const struct pkt *p, uint32_t g)
{
	uint32_t ports = 0, h, b, id;
	__be32 s[4], d[4];
	int i;

	if (!g || g >= FZ_MAX_GRP || !c->grp[g].used)
		return 0;
	if (p->l4 && !p->frag && (p->proto == 6 || p->proto == 17))
		ports = (uint32_t)__builtin_bswap16(p->sport) |
			(uint32_t)__builtin_bswap16(p->dport) << 16;
	memcpy(s, p->src, 16);
	memcpy(d, p->dst, 16);
	h = p->family == AF_INET ? xgw_mp_hash4(s[0], d[0], ports, p->proto) :
				   xgw_mp_hash6(s, d, ports, p->proto);
	b = xgw_mp_bucket(h, c->grp[g].seed);
	id = c->grp[g].bucket[b];
	for (i = 0; i <= XGW_NHG_PROBE; i++)
		if (nh_resolved(c, c->grp[g].bucket[(b + (uint32_t)i) % XGW_NHG_BUCKETS]))
			return c->grp[g].bucket[(b + (uint32_t)i) % XGW_NHG_BUCKETS];
	return id;
}

/* Route a packet to next hop @id (a route's or a dsr backend's), reason @ok on success. */
void forward(const struct fz_cfg *c, const struct pkt *p, uint32_t id, enum xgw_reason ok,
	     struct fz_expect *x)
{
	enum xgw_reason r = nh_check(c, id, p->ttl, p->l3_len);

	if (r != XGW_FWD) {
		why(x, "nh %u refuses", id);
		refused(c, id, 0, x);
		end(x, p, r);
		return;
	}
	forward_out(c, p, id, x);
	x->nh = id;
	end(x, p, ok);
}

/* The route's action (README reason table). */
static void route_act(const struct fz_cfg *c, const struct pkt *p, const struct route *r,
		      struct fz_expect *x)
{
	if (!r->found || r->action == XGW_RT_NONE) {
		end(x, p, XGW_PASS_NO_ROUTE);
		return;
	}
	why(x, "route /%d action %u nh %u", r->len, r->action, r->nh);
	switch (r->action) {
	case XGW_RT_LOCAL:
		end(x, p, XGW_PASS_LOCAL);
		return;
	case XGW_RT_BLACKHOLE:
		end(x, p, XGW_DROP_BLACKHOLE);
		return;
	case XGW_RT_NEXTHOP:
		forward(c, p, r->nh, XGW_FWD, x);
		return;
	case XGW_RT_MULTIPATH:
		path(x, FZ_P_MULTIPATH);
		why(x, "group %u member %u", r->nh, mp_pick(c, p, r->nh));
		forward(c, p, mp_pick(c, p, r->nh), XGW_FWD, x);
		return;
	}
	end(x, p, XGW_PASS_NO_ROUTE);
}

/* ==== ICMP errors (README "ICMP errors") ================================================= */

void refused(const struct fz_cfg *c, uint32_t nh, size_t grow, struct fz_expect *x)
{
	uint16_t mtu = nh < FZ_MAX_NH && c->nh[nh].used ? c->nh[nh].mtu : 0;

	x->icmp_mtu = mtu > grow ? (uint16_t)(mtu - grow) : 0;
}

/*
 * Packets never answered with an error (RFC 1812 4.3.2.7, RFC 4443 2.4 e):
 * sent to a group MAC, a fragment other than the first, an ICMP error
 * itself (IPv4 types 3, 4, 5, 11, 12; ICMPv6 types below 128), from a
 * martian, multicast or broadcast source (IPv4 outside 1/8..223/8 or in
 * 127/8; IPv6 ff00::/8, fe80::/10, ::, ::1); and an IPv4 packet too big
 * without DF: the kernel fragments it.
 */
static bool icmp_exempt(const struct pkt *p, enum xgw_reason r)
{
	const uint8_t *ip = p->f + p->l3;

	if ((p->f[0] & 1) || p->later)
		return true;
	if (p->family == AF_INET) {
		uint8_t t = p->icmp_type;

		if (r == XGW_PASS_MTU && !(ip[6] & 0x40))
			return true;
		if (p->icmp && p->l4 && (t == 3 || t == 4 || t == 5 || t == 11 || t == 12))
			return true;
		return p->src[0] == 0 || p->src[0] >= 224 || p->src[0] == 127;
	}
	if (p->icmp && p->l4 && p->icmp_type < 128)
		return true;
	return p->src[0] == 0xff || (p->src[0] == 0xfe && (p->src[1] & 0xc0) == 0x80) ||
	       (v6_zero_upto(p->src, 15) && p->src[15] <= 1);
}

/*
 * The error in place of the packet, XDP_TX out of the ingress link: the
 * received L2 header with its MACs swapped (VLAN tags as received), from
 * the link's address, TTL / hop limit 64; IPv4: TOS 0xc0 with the packet's
 * TOS bits, DF clear, ID the datapath's; time exceeded (11/0) or
 * fragmentation needed (3/4, the MTU in bytes 6-7, RFC 1191); IPv6: traffic
 * class and flow label 0, hop limit exceeded (3/0) or packet too big (2/0,
 * the MTU in bytes 4-7). Quoted: the datagram as received, up to 576 bytes
 * in all for IPv4, 1280 for IPv6; not its Ethernet padding.
 */
static void icmp_build(const struct pkt *p, const uint8_t *saddr, enum xgw_reason r,
		       uint16_t mtu, struct fz_expect *x)
{
	bool v4 = p->family == AF_INET;
	size_t hl = v4 ? 20 : 40, q = p->l3_len, max = (v4 ? 576 : 1280) - hl - 8;
	uint8_t *o = x->out, *ip = o + p->l3, *ic = ip + hl;
	uint32_t s;

	if (q > max)
		q = max;
	memcpy(o, p->f + 6, 6);
	memcpy(o + 6, p->f, 6);
	memcpy(o + 12, p->f + 12, p->l3 - 12);
	memset(ip, 0, hl + 8);
	memcpy(ic + 8, p->f + p->l3, q);
	if (v4) {
		ip[0] = 0x45;
		ip[1] = (uint8_t)(0xc0 | (p->f[p->l3 + 1] & 0x1e));
		fz_wr16(ip + 2, (uint16_t)(hl + 8 + q));
		ip[8] = 64;
		ip[9] = 1;
		memcpy(ip + 12, saddr, 4);
		memcpy(ip + 16, p->src, 4);
		fz_wr16(ip + 10, fz_fold(fz_sum(ip, 20, 0)));
		ic[0] = r == XGW_PASS_TTL ? 11 : 3;
		ic[1] = r == XGW_PASS_TTL ? 0 : 4;
		if (r == XGW_PASS_MTU)
			fz_wr16(ic + 6, mtu);
		fz_wr16(ic + 2, fz_fold(fz_sum(ic, 8 + q, 0)));
		x->icmp_id_at = p->l3 + 4;
	} else {
		ip[0] = 0x60;
		fz_wr16(ip + 4, (uint16_t)(8 + q));
		ip[6] = 58;
		ip[7] = 64;
		memcpy(ip + 8, saddr, 16);
		memcpy(ip + 24, p->src, 16);
		ic[0] = r == XGW_PASS_TTL ? 3 : 2;
		if (r == XGW_PASS_MTU)
			fz_wr32(ic + 4, mtu);
		s = fz_sum(ip + 8, 32, 58 + (uint32_t)(8 + q));
		fz_wr16(ic + 2, fz_fold(fz_sum(ic, 8 + q, s)));
	}
	x->out_len = p->l3 + hl + 8 + q;
}

/*
 * A packet refused for its TTL or size (@x's reason): answered with an ICMP
 * error while errors are on and the ingress link has an address of the
 * packet's family (and the next hop said which MTU), unless exempt.
 */
static void icmp_answer(const struct fz_cfg *c, const struct pkt *p, struct fz_expect *x)
{
	enum xgw_reason r = x->reason;
	const uint8_t *a = p->family == AF_INET ? c->addr4[p->link] : c->addr6[p->link];

	if ((r != XGW_PASS_TTL && r != XGW_PASS_MTU) || !c->icmp || !x->icmp_mtu ||
	    v6_zero_upto(a, p->family == AF_INET ? 4 : 16) || icmp_exempt(p, r))
		return;
	path(x, FZ_P_ICMP_ERR);
	icmp_build(p, a, r, x->icmp_mtu, x);
	x->reason = r == XGW_PASS_TTL ? XGW_TX_ICMP_TIME : XGW_TX_ICMP_MTU;
	x->verdict = XDP_TX;
	why(x, "answered: %s", xgw_reason_desc[x->reason].name);
}

void fz_model_icmp_id(struct fz_expect *x, const uint8_t *out, size_t out_len)
{
	uint8_t *ip = x->out + x->icmp_id_at - 4;

	if (out_len < x->icmp_id_at + 2 || x->out_len < x->icmp_id_at + 2)
		return;
	memcpy(ip + 4, out + x->icmp_id_at, 2);
	fz_wr16(ip + 10, 0);
	fz_wr16(ip + 10, fz_fold(fz_sum(ip, 20, 0)));
}

/* ==== the decision ==================================================================== */

/*
 * README Architecture, in order: parse (IP options included); a VLAN not
 * attached to the link to the kernel; martian source; neighbour discovery
 * and link-scope destinations to the kernel; martian destination; the
 * route; an IPv6 link-local source with a route other than the gateway's
 * own (RFC 4291 2.5.6: it never leaves its link); a VIP's service path;
 * the route's action; the next hop's checks.
 */
static void decide(const struct fz_cfg *c, const struct fz_state *st, const struct pkt *p,
		   struct fz_expect *x)
{
	struct route r;

	if (p->nvlan && !vlan_attached(c, p)) {
		end(x, p, XGW_PASS_VLAN);
		return;
	}
	if (src_is_martian(p)) {
		end(x, p, XGW_DROP_MARTIAN);
		return;
	}
	if (is_nd(p)) {
		end(x, p, XGW_PASS_ND);
		return;
	}
	if (dst_is_link_scope(p)) {
		end(x, p, XGW_PASS_MCAST);
		return;
	}
	if (dst_is_martian(p)) {
		end(x, p, XGW_DROP_MARTIAN_DST);
		return;
	}
	r = route_lookup(c, p->family, p->dst);
	if (dst_is_loopback(p) &&
	    !(r.found && r.action == XGW_RT_LOCAL && (r.flags & XGW_RT_F_OWN))) {
		end(x, p, XGW_DROP_MARTIAN_DST);
		return;
	}
	/* a VIP mark is the address's route: a service's, whatever lies beneath */
	if ((r.mark || (r.flags & XGW_RT_F_VIP) || (r.found && r.action != XGW_RT_LOCAL)) &&
	    src_is_link_local6(p)) {
		end(x, p, XGW_DROP_MARTIAN);
		return;
	}
	if (r.flags & XGW_RT_F_VIP)
		path(x, FZ_P_VIP);
	if ((r.flags & XGW_RT_F_VIP) && lb(c, st, p, x))
		return;
	route_act(c, p, &r, x);
}

/* x->nat_forced and its choice are the caller's: kept. */
void fz_model(const struct fz_cfg *c, const struct fz_state *st, const uint8_t *in, size_t len,
	      int link, struct fz_expect *x)
{
	struct pkt p = { .f = in, .len = len, .link = link };
	int r;

	x->verdict = XDP_ABORTED;
	x->out_len = 0;
	x->nh = x->svc = x->be = 0;
	x->new_flow = x->nat_choice = x->nat_noport_ok = false;
	x->nat_at = x->nat_l4 = 0;
	x->icmp_mtu = 0;
	x->icmp_id_at = 0;
	x->nops = 0;
	x->known = 0;
	x->paths = 0;
	x->why[0] = 0;
	r = parse(&p, x);
	if (p.nvlan)
		path(x, FZ_P_VLAN_IN);
	if (p.family == AF_INET && p.hlen > 20)
		path(x, FZ_P_IP_OPTIONS);
	if (p.frag)
		path(x, FZ_P_FRAGMENT);
	if (r != FZ_OK) {
		end(x, &p, r);
		return;
	}
	decide(c, st, &p, x);
	icmp_answer(c, &p, x);
}

