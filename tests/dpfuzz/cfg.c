// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Random configurations: next hops (MACs, MTU, VLAN, resolved or not, an
 * egress port or none), routes of every kind in both families (nested
 * prefixes, host routes, blackholes, on-link LOCAL prefixes, the gateway's
 * own addresses, VIP marks, a default route sometimes, routes over
 * martian space), services of every mode with backends and Maglev tables.
 * Everything follows from one seed.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "fz.h"
#include "nhgroup.h"

/* devmap keys the driver writes (each pointing at loopback), and one it never does. */
static const uint32_t PORT_KEYS[FZ_MAX_PORTS] = { 1, 100, 200, 300 };
#define PORT_ABSENT	999

struct anchor {
	int family;
	const char *text;	/* for the report only */
	uint8_t addr[16];
	int len;
};

/* Where prefixes grow from: documentation, private and special space. */
static const struct anchor ANCHORS[] = {
	{ AF_INET, "10/8", { 10 }, 8 },
	{ AF_INET, "172.16/12", { 172, 16 }, 12 },
	{ AF_INET, "192.0.2/24", { 192, 0, 2 }, 24 },
	{ AF_INET, "198.51.100/24", { 198, 51, 100 }, 24 },
	{ AF_INET, "203.0.113/24", { 203, 0, 113 }, 24 },
	{ AF_INET, "100.64/10", { 100, 64 }, 10 },
	{ AF_INET, "127/8", { 127 }, 8 },		/* martian space: routes there too */
	{ AF_INET, "240/4", { 240 }, 4 },
	{ AF_INET, "0/8", { 0 }, 8 },
	{ AF_INET6, "2001:db8::/32", { 0x20, 0x01, 0x0d, 0xb8 }, 32 },
	{ AF_INET6, "fd00::/8", { 0xfd }, 8 },
	{ AF_INET6, "2002::/16", { 0x20, 0x02 }, 16 },
	{ AF_INET6, "::ffff:0:0/96", { [10] = 0xff, [11] = 0xff }, 96 },
	{ AF_INET6, "64:ff9b::/96", { 0, 0x64, 0xff, 0x9b }, 96 },
	{ AF_INET6, "::/96", { 0 }, 96 },
};
#define NANCHORS (sizeof(ANCHORS) / sizeof(ANCHORS[0]))

static void rand_bytes(struct fz_rng *r, uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)fz_rand(r);
}

/* A random address inside @prefix/@len. */
void fz_addr_in(struct fz_rng *r, int family, const uint8_t *prefix, int len, uint8_t *out);
void fz_addr_in(struct fz_rng *r, int family, const uint8_t *prefix, int len, uint8_t *out)
{
	int bytes = fz_addr_bits(family) / 8, i;

	memset(out, 0, 16);
	rand_bytes(r, out, bytes);
	for (i = 0; i < len / 8; i++)
		out[i] = prefix[i];
	if (len % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - len % 8));

		out[i] = (prefix[i] & m) | (out[i] & ~m);
	}
}

static void mask(int family, uint8_t *a, int len)
{
	int bytes = fz_addr_bits(family) / 8, i;

	for (i = 0; i < bytes; i++) {
		int keep = len - i * 8;

		if (keep <= 0)
			a[i] = 0;
		else if (keep < 8)
			a[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

static bool route_exists(const struct fz_cfg *c, int family, const uint8_t *a, int len)
{
	int i;

	for (i = 0; i < c->nrt; i++)
		if (c->rt[i].family == family && c->rt[i].len == len &&
		    !memcmp(c->rt[i].addr, a, 16))
			return true;
	return false;
}

static struct fz_route *route_add(struct fz_cfg *c, int family, const uint8_t *a, int len,
				  uint8_t action, uint8_t flags, uint32_t nh)
{
	struct fz_route *r;
	uint8_t m[16];

	memcpy(m, a, 16);
	mask(family, m, len);
	if (c->nrt >= FZ_MAX_RT || route_exists(c, family, m, len))
		return NULL;
	r = &c->rt[c->nrt++];
	*r = (struct fz_route){ .family = family, .len = len, .action = action, .flags = flags,
				.nh = nh };
	memcpy(r->addr, m, 16);
	return r;
}

static uint32_t nh_pick(struct fz_rng *r, const struct fz_cfg *c)
{
	uint32_t id;

	/* mostly next hops that exist; now and then one never written */
	do
		id = 1 + fz_below(r, FZ_MAX_NH - 1);
	while (!c->nh[id].used && !fz_chance(r, 5));
	return id;
}

static void cfg_nexthops(struct fz_rng *r, struct fz_cfg *c)
{
	static const uint16_t mtus[] = { 1500, 1500, 1500, 1280, 1000, 576, 1400, 68, 1800 };
	int n = 3 + (int)fz_below(r, 14), i;

	c->nports = 0;
	for (i = 0; i < FZ_MAX_PORTS; i++)
		if (i == 0 || fz_chance(r, 70))
			c->ports[c->nports++] = PORT_KEYS[i];
	for (i = 0; i < n; i++) {
		/* next hop 1 always exists: the generator's fallback */
		struct fz_nh *nh = &c->nh[i ? 1 + fz_below(r, FZ_MAX_NH - 1) : 1];

		nh->used = true;
		rand_bytes(r, nh->dmac, 6);
		rand_bytes(r, nh->smac, 6);
		nh->dmac[0] = (nh->dmac[0] & 0xfe) | 0x02;
		nh->smac[0] = (nh->smac[0] & 0xfe) | 0x02;
		nh->ifindex = fz_chance(r, 4) ? PORT_ABSENT : PORT_KEYS[fz_below(r, FZ_MAX_PORTS)];
		nh->mtu = fz_chance(r, 15) ? (uint16_t)(68 + fz_below(r, 1900)) :
					     mtus[fz_below(r, sizeof(mtus) / sizeof(mtus[0]))];
		nh->vlan = fz_chance(r, 25) ? (uint16_t)(1 + fz_below(r, 4094)) : 0;
		nh->resolved = fz_chance(r, 92);
	}
}

/* A prefix: a child of an existing route (nesting) or of an anchor. */
static void cfg_prefix(struct fz_rng *r, struct fz_cfg *c, int family)
{
	uint8_t a[16];
	int len, plen, bits = fz_addr_bits(family);
	const uint8_t *base;
	uint8_t action = XGW_RT_NEXTHOP;
	uint32_t k = fz_below(r, 100);

	do {
		const struct anchor *an = &ANCHORS[fz_below(r, NANCHORS)];

		base = an->addr;
		plen = an->len;
		if (an->family != family)
			continue;
		if (c->nrt && fz_chance(r, 50)) {
			const struct fz_route *p = &c->rt[fz_below(r, c->nrt)];

			if (p->family == family && p->len < bits) {
				base = p->addr;
				plen = p->len;
			}
		}
		break;
	} while (1);
	len = plen + (int)fz_below(r, (uint32_t)(bits - plen + 1));
	if (len == bits && family == AF_INET6)
		len = bits - 1 - (int)fz_below(r, 16);	/* /128s are host entries */
	fz_addr_in(r, family, base, plen, a);
	if (k < 12)
		action = XGW_RT_BLACKHOLE;
	else if (k < 20)
		action = XGW_RT_LOCAL;
	route_add(c, family, a, len, action, 0, action == XGW_RT_NEXTHOP ? nh_pick(r, c) : 0);
}

/* A host address: inside some route (often) or anywhere in an anchor. */
static void host_addr(struct fz_rng *r, const struct fz_cfg *c, int family, uint8_t *a)
{
	int i, tries;

	for (tries = 0; tries < 20; tries++) {
		if (c->nrt && fz_chance(r, 70)) {
			const struct fz_route *p = &c->rt[fz_below(r, c->nrt)];

			if (p->family != family)
				continue;
			fz_addr_in(r, family, p->addr, p->len, a);
		} else {
			i = (int)fz_below(r, NANCHORS);
			if (ANCHORS[i].family != family)
				continue;
			fz_addr_in(r, family, ANCHORS[i].addr, ANCHORS[i].len, a);
		}
		return;
	}
	fz_addr_in(r, family, ANCHORS[family == AF_INET ? 0 : 9].addr,
		   ANCHORS[family == AF_INET ? 0 : 9].len, a);
}

static void cfg_hosts(struct fz_rng *r, struct fz_cfg *c, int family, int n)
{
	uint8_t a[16];
	int bits = fz_addr_bits(family);

	while (n-- > 0) {
		host_addr(r, c, family, a);
		if (fz_chance(r, 25))	/* the gateway's own address */
			route_add(c, family, a, bits, XGW_RT_LOCAL, XGW_RT_F_OWN, 0);
		else if (fz_chance(r, 10))
			route_add(c, family, a, bits, XGW_RT_BLACKHOLE, 0, 0);
		else
			route_add(c, family, a, bits, XGW_RT_NEXTHOP, 0, nh_pick(r, c));
	}
}

/* The VIP flag on @a: on its own host route if it has one, else a bare mark. */
static void vip_mark(struct fz_cfg *c, int family, const uint8_t *a)
{
	int i, bits = fz_addr_bits(family);

	for (i = 0; i < c->nrt; i++) {
		struct fz_route *rt = &c->rt[i];

		if (rt->family == family && rt->len == bits && !memcmp(rt->addr, a, 16)) {
			rt->flags |= XGW_RT_F_VIP;
			return;
		}
	}
	route_add(c, family, a, bits, XGW_RT_NONE, XGW_RT_F_VIP, 0);
}

static const uint32_t PRIMES[] = { 7, 13, 31, 61, 127, 251, 257 };

/*
 * The gateway's address towards backends (an ipip outer source, a NAT
 * source): for NAT it must carry the VIP mark or replies never reach the
 * service path (lb-dp's note): mostly an own address marked VIP, or a bare
 * mark; now and then neither, to see replies routed.
 */
static void gw_source(struct fz_rng *r, struct fz_cfg *c, int family, bool nat, uint8_t *a)
{
	uint32_t k = fz_below(r, 100);

	host_addr(r, c, family, a);
	if (!nat || k >= 95)
		return;
	if (k < 60)
		route_add(c, family, a, fz_addr_bits(family), XGW_RT_LOCAL, XGW_RT_F_OWN, 0);
	vip_mark(c, family, a);
}

static uint32_t be_new(struct fz_rng *r, struct fz_cfg *c, const struct fz_svc *s, uint32_t sid,
		       const uint8_t *nat_src)
{
	bool nat = s->mode == XGW_LB_NAT;
	uint32_t id;
	struct fz_be *b;

	for (id = 1; id < FZ_MAX_BE && c->be[id].family; id++)
		;
	if (id == FZ_MAX_BE)
		return 0;
	b = &c->be[id];
	b->family = s->mode == XGW_LB_IPIP && fz_chance(r, 40) ?
			    (fz_chance(r, 50) ? AF_INET : AF_INET6) : s->family;
	host_addr(r, c, b->family, b->addr);
	if (nat && nat_src && fz_chance(r, 70))
		memcpy(b->src, nat_src, 16);	/* backends on one link share it */
	else
		gw_source(r, c, b->family, nat, b->src);
	b->mode = s->mode;
	b->nh = nh_pick(r, c);
	b->svc_id = sid;
	if (nat && fz_chance(r, 50))
		b->port = (uint16_t)(fz_chance(r, 50) ? 8080 : 1 + fz_below(r, 65535));
	if (fz_chance(r, 8))
		b->flags = XGW_BE_F_DOWN;
	else if (fz_chance(r, 8))
		b->flags = XGW_BE_F_DRAIN;
	return id;
}

/* A NAT source pool of 1-3 addresses (xgw_snat), each marked VIP (mostly). */
static void svc_pool(struct fz_rng *r, struct fz_cfg *c, struct fz_svc *s, int *next)
{
	int n = 1 + (int)fz_below(r, 3), i;

	if (*next + n > FZ_MAX_SNAT)
		return;
	s->snat_first = (uint32_t)*next;
	s->snat_n = (uint16_t)n;
	for (i = 0; i < n; i++) {
		struct fz_snat *p = &c->snat[(*next)++];

		p->family = fz_chance(r, 95) ? s->family : (s->family == AF_INET ? AF_INET6 : AF_INET);
		gw_source(r, c, p->family, true, p->addr);
	}
}

/*
 * A table as the control plane writes it: only backends that take new
 * flows, each a share of slots; none usable: every slot 0. Now and then a
 * slot names a backend that went down meanwhile (the table not yet
 * rebuilt).
 */
static void svc_table(struct fz_rng *r, struct fz_cfg *c, struct fz_svc *s, const uint32_t *ids,
		      int n)
{
	uint32_t ok[FZ_MAX_BE], nok = 0, i;
	int j;

	for (j = 0; j < n; j++)
		if (!(c->be[ids[j]].flags & (XGW_BE_F_DOWN | XGW_BE_F_DRAIN)) || fz_chance(r, 3))
			ok[nok++] = ids[j];
	for (i = 0; i < s->table_size; i++)
		s->table[i] = nok ? ok[fz_below(r, nok)] : 0;
}

static void cfg_services(struct fz_rng *r, struct fz_cfg *c)
{
	int nsvc = (int)fz_below(r, FZ_MAX_SVC), i, j, pool = 0;
	uint8_t vips[3][16], nat_src[2][16];
	int vfam[3];

	for (j = 0; j < 3; j++) {	/* a few VIPs, shared by services on other ports */
		vfam[j] = fz_chance(r, 60) ? AF_INET : AF_INET6;
		host_addr(r, c, vfam[j], vips[j]);
		vip_mark(c, vfam[j], vips[j]);
	}
	gw_source(r, c, AF_INET, true, nat_src[0]);
	gw_source(r, c, AF_INET6, true, nat_src[1]);
	for (i = 1; i <= nsvc && i < FZ_MAX_SVC; i++) {
		static const uint16_t ports[] = { 80, 443, 53, 8080, 0 };
		struct fz_svc *s = &c->svc[i];
		uint32_t ids[8], k = fz_below(r, 3);
		int nb = (int)fz_below(r, 7);

		j = (int)fz_below(r, 3);
		s->family = vfam[j];
		memcpy(s->vip, vips[j], 16);
		s->port = ports[fz_below(r, 5)];
		if (!s->port)
			s->port = (uint16_t)(1 + fz_below(r, 65535));
		s->proto = fz_chance(r, 60) ? 6 : 17;
		s->mode = k == 0 ? XGW_LB_DSR : k == 1 ? XGW_LB_IPIP : XGW_LB_NAT;
		s->flags = fz_chance(r, 70) ? XGW_SVC_F_ALLDOWN_DROP : 0;
		s->table_size = PRIMES[fz_below(r, sizeof(PRIMES) / sizeof(PRIMES[0]))];
		s->persist_s = fz_chance(r, 25) ? 300 : 0;
		if (s->mode == XGW_LB_NAT && fz_chance(r, 40))
			svc_pool(r, c, s, &pool);
		for (j = 0; j < nb; j++)
			ids[j] = be_new(r, c, s, i, nat_src[s->family == AF_INET6]);
		svc_table(r, c, s, ids, nb);
		/* two services may not share (VIP, port, proto): the later one goes */
		for (j = 1; j < i; j++)
			if (c->svc[j].family == s->family && c->svc[j].port == s->port &&
			    c->svc[j].proto == s->proto && !memcmp(c->svc[j].vip, s->vip, 16))
				s->family = 0;
	}
}

/* NAT source ports: the defaults mostly, a few ports (exhaustion), an empty range. */
static void cfg_nat_ports(struct fz_rng *r, struct fz_cfg *c)
{
	uint32_t k = fz_below(r, 100);

	if (k < 70)
		return;
	c->nat_port_min = (uint16_t)(1024 + fz_below(r, 60000));
	if (k < 88)
		c->nat_port_max = (uint16_t)(c->nat_port_min + fz_below(r, 64));
	else if (k < 98)
		c->nat_port_max = (uint16_t)(c->nat_port_min + fz_below(r, 4));
	else
		c->nat_port_max = (uint16_t)(c->nat_port_min - 1);
}

/* VLANs attached (`xgwctl vlan add`), each on some of the links: VID 1..4094. */
static void cfg_vlans(struct fz_rng *r, struct fz_cfg *c)
{
	int i, l;

	c->nvids = (int)fz_below(r, FZ_MAX_VIDS + 1);
	for (i = 0; i < c->nvids; i++) {
		c->vids[i] = (uint16_t)(1 + fz_below(r, 4094));
		for (l = 0; l < FZ_LINKS; l++)
			if (fz_chance(r, 60))
				c->vid_on[l] |= (uint8_t)(1u << i);
	}
}

/* ICMP errors in XDP on or off; each link's addresses (documentation space), or none. */
static void cfg_icmp(struct fz_rng *r, struct fz_cfg *c)
{
	int l;

	c->icmp = fz_chance(r, 75);
	for (l = 0; l < FZ_LINKS; l++) {
		if (fz_chance(r, 80)) {
			c->addr4[l][0] = 198, c->addr4[l][1] = 51, c->addr4[l][2] = 100;
			c->addr4[l][3] = (uint8_t)(1 + fz_below(r, 254));
		}
		if (fz_chance(r, 80)) {
			c->addr6[l][0] = 0x20, c->addr6[l][1] = 0x01;
			c->addr6[l][2] = 0x0d, c->addr6[l][3] = 0xb8;
			c->addr6[l][15] = (uint8_t)(1 + fz_below(r, 254));
		}
	}
}

/*
 * Multipath groups of 2-4 next hops (weights 1-4), their buckets filled as
 * xgwd fills them (common/nhgroup.c, resolved members only), and some
 * routes via one next hop turned into routes via a group.
 */
static void cfg_multipath(struct fz_rng *r, struct fz_cfg *c)
{
	struct xgw_nhg_member m[4];
	uint32_t g;
	int i, j, n;

	if (!fz_chance(r, 60))
		return;
	for (g = 1; g < FZ_MAX_GRP; g++) {
		n = 2 + (int)fz_below(r, 3);
		for (i = 0; i < n; i++) {
			m[i] = (struct xgw_nhg_member){ .nh_id = nh_pick(r, c),
							.weight = 1 + fz_below(r, 4) };
			for (j = 0; j < i; j++)
				if (m[j].nh_id == m[i].nh_id)
					break;
			if (j < i) {	/* distinct members only */
				n = i;
				break;
			}
			m[i].usable = c->nh[m[i].nh_id].resolved;
		}
		c->grp[g].used = true;
		c->grp[g].seed = (uint32_t)fz_rand(r);
		xgw_nhg_fill(c->grp[g].bucket, m, (unsigned int)n);
	}
	for (i = 0; i < c->nrt; i++)
		if (c->rt[i].action == XGW_RT_NEXTHOP && !c->rt[i].flags && fz_chance(r, 25)) {
			c->rt[i].action = XGW_RT_MULTIPATH;
			c->rt[i].nh = 1 + fz_below(r, FZ_MAX_GRP - 1);
		}
}

void fz_cfg_random(struct fz_cfg *c, uint64_t seed)
{
	struct fz_rng r = { seed };
	int n, i;

	memset(c, 0, sizeof(*c));
	c->seed = seed;
	cfg_nexthops(&r, c);
	if (fz_chance(&r, 30))
		route_add(c, AF_INET, (uint8_t[16]){ 0 }, 0, XGW_RT_NEXTHOP, 0, nh_pick(&r, c));
	if (fz_chance(&r, 30))
		route_add(c, AF_INET6, (uint8_t[16]){ 0 }, 0, XGW_RT_NEXTHOP, 0, nh_pick(&r, c));
	n = 4 + (int)fz_below(&r, 30);
	for (i = 0; i < n; i++)
		cfg_prefix(&r, c, fz_chance(&r, 55) ? AF_INET : AF_INET6);
	if (fz_chance(&r, 60))	/* where the generator's clients are: replies go there */
		route_add(c, AF_INET, (uint8_t[16]){ 203 }, 8, XGW_RT_NEXTHOP, 0, nh_pick(&r, c));
	if (fz_chance(&r, 60))
		route_add(c, AF_INET6, (uint8_t[16]){ 0x20, 0x01 }, 16, XGW_RT_NEXTHOP, 0,
			  nh_pick(&r, c));
	cfg_hosts(&r, c, AF_INET, 2 + (int)fz_below(&r, 10));
	cfg_hosts(&r, c, AF_INET6, 2 + (int)fz_below(&r, 8));
	cfg_services(&r, c);
	cfg_nat_ports(&r, c);
	cfg_vlans(&r, c);
	cfg_icmp(&r, c);
	cfg_multipath(&r, c);
}

/* The backends of service @sid, into @ids; their number. */
static int svc_backends(const struct fz_cfg *c, uint32_t sid, uint32_t *ids)
{
	int n = 0;
	uint32_t i;

	for (i = 1; i < FZ_MAX_BE; i++)
		if (c->be[i].family && c->be[i].svc_id == sid)
			ids[n++] = i;
	return n;
}

/*
 * A change while frames flow, as the control plane makes them: a backend
 * goes down or comes back, is drained or undrained (its service's table
 * rebuilt without it), a table is rebuilt, a next hop's MAC, MTU or
 * resolution changes. Returns FZ_EV_* of what to write again; @what says it.
 */
unsigned int fz_cfg_event(struct fz_cfg *c, uint64_t seed, char *what, size_t wlen)
{
	struct fz_rng r = { seed };
	uint32_t sid = 1 + fz_below(&r, FZ_MAX_SVC - 1), ids[FZ_MAX_BE], k = fz_below(&r, 10);
	struct fz_nh *nh;
	int n;

	if (k < 6 && c->svc[sid].family) {
		struct fz_svc *s = &c->svc[sid];
		struct fz_be *b;

		n = svc_backends(c, sid, ids);
		if (n && k < 5) {
			b = &c->be[ids[fz_below(&r, (uint32_t)n)]];
			b->flags ^= k < 3 ? XGW_BE_F_DOWN : XGW_BE_F_DRAIN;
			snprintf(what, wlen, "service %u: a backend %s", sid,
				 b->flags & XGW_BE_F_DOWN ? "down" : b->flags & XGW_BE_F_DRAIN ?
				 "drained" : "back");
		} else {
			snprintf(what, wlen, "service %u: table rebuilt", sid);
		}
		svc_table(&r, c, s, ids, n);
		return FZ_EV_SERVICES;
	}
	nh = &c->nh[1 + fz_below(&r, FZ_MAX_NH - 1)];
	if (!nh->used)
		nh = &c->nh[1];
	if (k < 8) {
		rand_bytes(&r, nh->dmac, 6);
		nh->dmac[0] = (nh->dmac[0] & 0xfe) | 0x02;
		snprintf(what, wlen, "a next hop's MAC changed");
	} else if (k < 9) {
		nh->resolved = !nh->resolved;
		snprintf(what, wlen, "a next hop %s", nh->resolved ? "resolved" : "unresolved");
	} else {
		nh->mtu = (uint16_t)(68 + fz_below(&r, 1900));
		snprintf(what, wlen, "a next hop's MTU now %u", nh->mtu);
	}
	return FZ_EV_NEXTHOPS;
}

static const char *action_name(uint8_t a)
{
	static const char *const n[] = { "none", "via", "local", "blackhole", "group" };

	return a < 5 ? n[a] : "?";
}

void fz_cfg_print(const struct fz_cfg *c)
{
	char a[64], b[64];
	int i;
	uint32_t j;

	printf("# config seed %#llx\n", (unsigned long long)c->seed);
	printf("#   nat ports %u-%u (0: default)\n", c->nat_port_min, c->nat_port_max);
	for (i = 0; i < FZ_MAX_SNAT; i++)
		if (c->snat[i].family)
			printf("#   xgw_snat[%d] %s\n", i, fz_addr_str(c->snat[i].family,
								   c->snat[i].addr, a));
	printf("#   ports:");
	for (i = 0; i < c->nports; i++)
		printf(" %u", c->ports[i]);
	printf("\n");
	printf("#   icmp errors %s\n", c->icmp ? "on" : "off");
	for (i = 0; i < FZ_LINKS; i++)
		printf("#   link %d addresses %s %s\n", i, fz_addr_str(AF_INET, c->addr4[i], a),
		       fz_addr_str(AF_INET6, c->addr6[i], b));
	for (i = 0; i < c->nvids; i++)
		printf("#   vlan %u on links%s%s%s\n", c->vids[i], c->vid_on[0] >> i & 1 ? " 0" : "",
		       c->vid_on[1] >> i & 1 ? " 1" : "", c->vid_on[2] >> i & 1 ? " 2" : "");
	for (i = 1; i < FZ_MAX_NH; i++) {
		const struct fz_nh *n = &c->nh[i];

		if (n->used)
			printf("#   nh %d dmac %02x:%02x:%02x:%02x:%02x:%02x port %u mtu %u vlan %u%s\n",
			       i, n->dmac[0], n->dmac[1], n->dmac[2], n->dmac[3], n->dmac[4],
			       n->dmac[5], n->ifindex, n->mtu, n->vlan,
			       n->resolved ? "" : " unresolved");
	}
	for (i = 0; i < c->nrt; i++) {
		const struct fz_route *r = &c->rt[i];

		printf("#   route %s/%d %s", fz_addr_str(r->family, r->addr, a), r->len,
		       action_name(r->action));
		if (r->action == XGW_RT_NEXTHOP || r->action == XGW_RT_MULTIPATH)
			printf(" %s %u", r->action == XGW_RT_NEXTHOP ? "nh" : "id", r->nh);
		printf("%s%s\n", r->flags & XGW_RT_F_VIP ? " vip" : "",
		       r->flags & XGW_RT_F_OWN ? " own" : "");
	}
	for (i = 1; i < FZ_MAX_SVC; i++) {
		const struct fz_svc *s = &c->svc[i];

		if (!s->family)
			continue;
		if (s->snat_n)
			printf("#   service %d pool xgw_snat[%u..%u]\n", i, s->snat_first,
			       s->snat_first + s->snat_n - 1);
		printf("#   service %d %s:%u/%s mode %s%s size %u persist %u table", i,
		       fz_addr_str(s->family, s->vip, a), s->port, s->proto == 6 ? "tcp" : "udp",
		       s->mode == XGW_LB_DSR ? "dsr" : s->mode == XGW_LB_IPIP ? "ipip" : "nat",
		       s->flags & XGW_SVC_F_ALLDOWN_DROP ? " all-down-drop" : "", s->table_size,
		       s->persist_s);
		for (j = 0; j < s->table_size && j < 16; j++)
			printf(" %u", s->table[j]);
		printf("%s\n", s->table_size > 16 ? " ..." : "");
	}
	for (i = 1; i < FZ_MAX_BE; i++) {
		const struct fz_be *be = &c->be[i];

		if (be->family)
			printf("#   backend %d svc %u %s src %s nh %u port %u%s%s\n", i, be->svc_id,
			       fz_addr_str(be->family, be->addr, a),
			       fz_addr_str(be->family, be->src, b), be->nh, be->port,
			       be->flags & XGW_BE_F_DOWN ? " down" : "",
			       be->flags & XGW_BE_F_DRAIN ? " drain" : "");
	}
}
