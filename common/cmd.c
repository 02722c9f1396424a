// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The command grammar (cmd.h): parse, format, help. Objects and verbs are
 * tables; keywords may be abbreviated to a unique prefix as ip(8) accepts
 * (an exact match always wins, an ambiguous prefix is an error naming the
 * candidates). Every error is one line naming the token at fault.
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "rtnames.h"
#include "xgw_shared.h"

struct parser {
	int argc;
	char **argv;
	int i;			/* next word */
	struct xgw_cmd *cmd;
	char *err;
	size_t errlen;
};

/*
 * The error quotes the word at fault, and a word from the shell may hold
 * any byte: control characters become '?' so the error stays one line.
 */
__attribute__((format(printf, 2, 3)))
static int perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
		for (char *c = p->err; *c; c++)
			if (iscntrl((unsigned char)*c))
				*c = '?';
	}
	return -EINVAL;
}

static bool more(const struct parser *p)
{
	return p->i < p->argc;
}

static const char *peek(const struct parser *p)
{
	return more(p) ? p->argv[p->i] : NULL;
}

/* The word before the next one, for "missing ... after" messages. */
static const char *prev(const struct parser *p)
{
	return p->i > 0 ? p->argv[p->i - 1] : "";
}

/*
 * Index of word in names[] (NULL-terminated): exact match, else the one
 * name it is a prefix of. -ENOENT when none, -EAGAIN when ambiguous.
 */
static int word_match(const char *word, const char *const *names)
{
	size_t n = strlen(word);
	int found = -ENOENT;

	if (!n)
		return -ENOENT;
	for (int i = 0; names[i]; i++) {
		if (!strcmp(word, names[i]))
			return i;
		if (strncmp(word, names[i], n))
			continue;
		found = found == -ENOENT ? i : -EAGAIN;
	}
	return found;
}

/* "a, b, c": the names word could abbreviate. */
static void candidates(const char *word, const char *const *names, char *buf,
		       size_t len)
{
	size_t n = strlen(word), off = 0;

	buf[0] = '\0';
	for (int i = 0; names[i] && off < len; i++)
		if (!strncmp(word, names[i], n))
			off += snprintf(buf + off, len - off, "%s%s",
					off ? ", " : "", names[i]);
}

/*
 * Match the next word against names; what says what kind of word it is
 * (e.g. "command \"%s\" for route" is built by the caller as what/ctx).
 * Returns the index or -EINVAL with the error written.
 */
static int expect_word(struct parser *p, const char *const *names,
		       const char *what, const char *ctx)
{
	const char *w = peek(p);
	char cand[160];
	int r;

	r = word_match(w, names);
	if (r >= 0) {
		p->i++;
		return r;
	}
	if (r == -EAGAIN) {
		candidates(w, names, cand, sizeof(cand));
		return perr(p, "ambiguous %s \"%s\"%s%s: could be %s", what, w,
			    ctx ? " for " : "", ctx ? ctx : "", cand);
	}
	return perr(p, "unknown %s \"%s\"%s%s", what, w, ctx ? " for " : "",
		    ctx ? ctx : "");
}

/* Keyword value: the word after KW, or "missing argument after KW". */
static const char *kw_arg(struct parser *p)
{
	if (!more(p)) {
		perr(p, "missing argument after \"%s\"", prev(p));
		return NULL;
	}
	return p->argv[p->i++];
}

/* Positional argument named meta (PREFIX, DEV...). */
static const char *pos_arg(struct parser *p, const char *meta)
{
	if (!more(p)) {
		perr(p, "missing %s after \"%s\"", meta, prev(p));
		return NULL;
	}
	return p->argv[p->i++];
}

static int no_more(struct parser *p)
{
	if (more(p))
		return perr(p, "unexpected \"%s\"", peek(p));
	return 0;
}

/* Next word as one of the keywords kws: index, or "unexpected"/ambiguous. */
static int kw_next(struct parser *p, const char *const *kws)
{
	int r = word_match(peek(p), kws);

	if (r == -EAGAIN)
		return expect_word(p, kws, "keyword", NULL);
	if (r < 0)
		return perr(p, "unexpected \"%s\"", peek(p));
	p->i++;
	return r;
}

/* The value of a keyword that takes one of names (mode dsr|ipip...). */
static int kw_choice(struct parser *p, const char *const *names, const char *what)
{
	if (!more(p))
		return perr(p, "missing argument after \"%s\"", prev(p));
	return expect_word(p, names, what, NULL);
}

/* The kernel's own rule (dev_valid_name). */
static bool dev_name_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s))
			return false;
	return true;
}

static int dev_parse(struct parser *p, const char *s, char dev[IF_NAMESIZE])
{
	if (!s)
		return -EINVAL;
	if (!dev_name_is_valid(s))
		return perr(p, "invalid device name \"%s\"", s);
	/* the kernel allows it, but a saved line could not say it */
	if (s[0] == '#')
		return perr(p, "invalid device name \"%s\": '#' starts a comment", s);
	strcpy(dev, s);
	return 0;
}

static int addr_parse(struct parser *p, const char *s, struct xgw_addr *a)
{
	if (!s)
		return -EINVAL;
	if (xgw_addr_parse(s, a))
		return perr(p, "invalid address \"%s\"", s);
	return 0;
}

static int prefix_parse(struct parser *p, const char *s, struct xgw_prefix *pf)
{
	char buf[XGW_PREFIX_STRLEN];
	const char *slash;
	struct xgw_addr a;
	unsigned long len;

	if (!s)
		return -EINVAL;
	if (!xgw_prefix_parse(s, pf))
		return 0;
	/* the usual mistake deserves its own words: 10.0.0.1/8 */
	slash = strchr(s, '/');
	if (slash && (size_t)(slash - s) < sizeof(buf)) {
		snprintf(buf, sizeof(buf), "%.*s", (int)(slash - s), s);
		if (!xgw_addr_parse(buf, &a) && strlen(slash + 1) <= 3 &&
		    !xgw_uint_parse(slash + 1, 0, a.family == AF_INET ? 32 : 128, &len))
			return perr(p, "invalid prefix \"%s\": host bits set beyond /%lu",
				    s, len);
	}
	return perr(p, "invalid prefix \"%s\"", s);
}

/* Which part of a service token is wrong, for the error message. */
static const char *svc_problem(const char *s)
{
	const char *slash = strrchr(s, '/'), *colon;
	unsigned long port;
	char buf[8];

	if (!slash || (strcmp(slash + 1, "tcp") && strcmp(slash + 1, "udp")))
		return "protocol must be tcp or udp";
	if (s[0] != '[' && strchr(s, ':') != strrchr(s, ':'))
		return "write IPv6 as [ADDR]:PORT/PROTO";
	colon = strrchr(s, ':');
	if (!colon || colon > slash)
		return "want VIP:PORT/PROTO";
	snprintf(buf, sizeof(buf), "%.*s", (int)(slash - colon - 1), colon + 1);
	if (slash - colon - 1 >= (long)sizeof(buf) ||
	    xgw_uint_parse(buf, 1, 65535, &port))
		return "port must be 1..65535";
	return "bad address";
}

static int svc_parse(struct parser *p, const char *s, struct xgw_svc_addr *svc)
{
	if (!s)
		return -EINVAL;
	if (xgw_svc_parse(s, svc))
		return perr(p, "invalid service \"%s\": %s", s, svc_problem(s));
	return 0;
}

static int uint_arg(struct parser *p, const char *name, const char *s,
		    unsigned long min, unsigned long max, unsigned long *out)
{
	if (!s)
		return -EINVAL;
	if (xgw_uint_parse(s, min, max, out))
		return perr(p, "invalid %s \"%s\" (%lu..%lu)", name, s, min, max);
	return 0;
}

static bool is_prime(unsigned long n)
{
	if (n < 2)
		return false;
	for (unsigned long d = 2; d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

/* ---- link ------------------------------------------------------------------ */

static const char *const link_modes[] = { "native", "generic", "decap", NULL };

static int do_link_attach(struct parser *p)
{
	static const char *const kws[] = { "mode", "native", "generic", "decap", NULL };
	struct xgw_cmd *c = p->cmd;
	int r;

	if (dev_parse(p, pos_arg(p, "DEV"), c->link.dev))
		return -EINVAL;
	c->link.mode = XGW_LINK_NATIVE;
	if (!more(p))
		return 0;
	/* "mode decap" or just "decap", as issue 4 writes it */
	r = kw_next(p, kws);
	if (r == 0)
		r = kw_choice(p, link_modes, "link mode");
	else if (r > 0)
		r--;
	if (r < 0)
		return r;
	c->link.mode = r;
	return no_more(p);
}

static int do_link_detach(struct parser *p)
{
	if (dev_parse(p, pos_arg(p, "DEV"), p->cmd->link.dev))
		return -EINVAL;
	return no_more(p);
}

/* ---- vlan ------------------------------------------------------------------ */

/* VID or VID-VID, 1..4094 each, low first. */
static int vid_parse(struct parser *p, const char *s, struct xgw_cmd *c)
{
	const char *dash;
	unsigned long a, b;
	char lo[8];

	if (!s)
		return -EINVAL;
	dash = strchr(s, '-');
	if (!dash) {
		if (xgw_uint_parse(s, 1, XGW_VID_MAX, &a))
			return perr(p, "invalid vid \"%s\" (1..%d)", s, XGW_VID_MAX);
		b = a;
	} else {
		snprintf(lo, sizeof(lo), "%.*s", (int)(dash - s), s);
		if ((size_t)(dash - s) >= sizeof(lo) || xgw_uint_parse(lo, 1, XGW_VID_MAX, &a) ||
		    xgw_uint_parse(dash + 1, 1, XGW_VID_MAX, &b) || b < a)
			return perr(p, "invalid vid range \"%s\" (VID-VID, 1..%d, low first)",
				    s, XGW_VID_MAX);
	}
	c->vlan.vid_lo = a;
	c->vlan.vid_hi = b;
	return 0;
}

/* add and del: dev DEV vid { VID | VID-VID }, in either order */
static int do_vlan_change(struct parser *p)
{
	static const char *const kws[] = { "dev", "vid", NULL };
	struct xgw_cmd *c = p->cmd;
	bool seen[2] = {};
	int r;

	while (more(p)) {
		r = kw_next(p, kws);
		if (r < 0)
			return r;
		if (seen[r])
			return perr(p, "duplicate \"%s\"", kws[r]);
		seen[r] = true;
		if (r == 0 ? dev_parse(p, kw_arg(p), c->vlan.dev) : vid_parse(p, kw_arg(p), c))
			return -EINVAL;
	}
	if (!seen[0] || !seen[1])
		return perr(p, "missing \"%s\" after \"%s\"", seen[0] ? "vid" : "dev", prev(p));
	return 0;
}

/* ---- route ----------------------------------------------------------------- */

/* An address in the family of the route's prefix. */
static int route_addr(struct parser *p, struct xgw_addr *a)
{
	const struct xgw_cmd *c = p->cmd;
	const char *s = kw_arg(p);
	char pf[XGW_PREFIX_STRLEN];

	if (addr_parse(p, s, a))
		return -EINVAL;
	if (a->family != c->route.dst.addr.family)
		return perr(p, "via \"%s\" is IPv%d but prefix \"%s\" is IPv%d", s,
			    a->family == AF_INET ? 4 : 6,
			    xgw_prefix_str(&c->route.dst, pf, sizeof(pf)),
			    c->route.dst.addr.family == AF_INET ? 4 : 6);
	return 0;
}

static int route_via(struct parser *p, bool *have_via)
{
	struct xgw_cmd *c = p->cmd;

	if (*have_via || c->route.type == XGW_ROUTE_BLACKHOLE)
		return perr(p, *have_via ? "duplicate \"%s\"" :
			    "\"%s\" conflicts with \"blackhole\"", prev(p));
	if (route_addr(p, &c->route.via))
		return -EINVAL;
	c->route.type = XGW_ROUTE_VIA;
	*have_via = true;
	return 0;
}

/* One NEXTHOP := nexthop via ADDR [ dev DEV ] [ weight W ], "nexthop" read. */
static int route_nexthop(struct parser *p)
{
	static const char *const kws[] = { "via", "dev", "weight", "nexthop", NULL };
	struct xgw_cmd *c = p->cmd;
	struct xgw_route_nh *nh = &c->route.nh[c->route.n_nh];
	char a[XGW_ADDR_STRLEN];
	unsigned long w;
	int r;

	if (c->route.n_nh == XGW_ROUTE_NH_MAX)
		return perr(p, "too many \"nexthop\" (at most %d)", XGW_ROUTE_NH_MAX);
	nh->weight = 1;
	if (!more(p) || word_match(peek(p), kws) != 0)
		return perr(p, "missing via ADDR after \"%s\"", prev(p));
	while (more(p) && word_match(peek(p), kws) != 3) {
		r = kw_next(p, kws);
		if (r < 0)
			return r;
		if (r == 0 && nh->via.family)
			return perr(p, "duplicate \"via\"");
		if (r == 0 && route_addr(p, &nh->via))
			return -EINVAL;
		if (r == 1 && nh->dev[0])
			return perr(p, "duplicate \"dev\"");
		if (r == 1 && dev_parse(p, kw_arg(p), nh->dev))
			return -EINVAL;
		if (r == 2 && uint_arg(p, "weight", kw_arg(p), 1, XGW_ROUTE_WEIGHT_MAX, &w))
			return -EINVAL;
		if (r == 2)
			nh->weight = w;
	}
	for (unsigned int i = 0; i < c->route.n_nh; i++)
		if (xgw_addr_equal(&c->route.nh[i].via, &nh->via) &&
		    !strcmp(c->route.nh[i].dev, nh->dev))
			return perr(p, "duplicate nexthop via \"%s\"",
				    xgw_addr_str(&nh->via, a, sizeof(a)));
	c->route.n_nh++;
	return 0;
}

/* PREFIX NEXTHOP... ; one next hop is the plain `via ADDR [dev DEV]` route. */
static int route_multipath(struct parser *p)
{
	struct xgw_cmd *c = p->cmd;

	while (more(p)) {
		if (kw_next(p, (const char *const[]){ "nexthop", NULL }) < 0 ||
		    route_nexthop(p))
			return -EINVAL;
	}
	if (c->route.n_nh > 1) {
		c->route.type = XGW_ROUTE_MULTIPATH;
		return 0;
	}
	c->route.type = XGW_ROUTE_VIA;
	c->route.via = c->route.nh[0].via;
	memcpy(c->route.dev, c->route.nh[0].dev, sizeof(c->route.dev));
	memset(c->route.nh, 0, sizeof(c->route.nh));
	c->route.n_nh = 0;
	return 0;
}

/* add and replace: PREFIX { via ADDR [dev DEV] | dev DEV | blackhole | NEXTHOP... } */
static int do_route_change(struct parser *p)
{
	static const char *const kws[] = { "via", "dev", "blackhole", "nexthop", NULL };
	struct xgw_cmd *c = p->cmd;
	bool have_via = false, have_bh = false;
	int r;

	if (prefix_parse(p, pos_arg(p, "PREFIX"), &c->route.dst))
		return -EINVAL;
	if (more(p) && word_match(peek(p), kws) == 3) {
		p->i++;
		if (route_nexthop(p))
			return -EINVAL;
		return route_multipath(p);
	}
	while (more(p)) {
		r = kw_next(p, kws);
		if (r < 0)
			return r;
		if (r == 3)
			return perr(p, "\"nexthop\" conflicts with \"%s\"",
				    have_bh ? "blackhole" : have_via ? "via" : "dev");
		if (r == 0 && route_via(p, &have_via))
			return -EINVAL;
		if (r == 1 && c->route.dev[0])
			return perr(p, "duplicate \"dev\"");
		if (r == 1 && have_bh)
			return perr(p, "\"dev\" conflicts with \"blackhole\"");
		if (r == 1 && dev_parse(p, kw_arg(p), c->route.dev))
			return -EINVAL;
		if (r == 2 && (have_via || have_bh || c->route.dev[0]))
			return perr(p, "\"blackhole\" conflicts with \"%s\"",
				    have_bh ? "blackhole" : have_via ? "via" : "dev");
		if (r == 2) {
			have_bh = true;
			c->route.type = XGW_ROUTE_BLACKHOLE;
		}
	}
	if (!have_via && !have_bh && !c->route.dev[0])
		return perr(p, "missing via ADDR, dev DEV, blackhole or nexthop after \"%s\"",
			    prev(p));
	if (!have_via && !have_bh)
		c->route.type = XGW_ROUTE_DEV;
	return 0;
}

/* follow/unfollow table TABLE [ proto PROTO ]; follow show */
static int do_route_follow(struct parser *p)
{
	static const char *const kws[] = { "table", "proto", "show", NULL };
	struct xgw_cmd *c = p->cmd;
	unsigned long v;
	const char *s;
	int r;

	c->follow.proto = -1;
	if (!more(p))
		return perr(p, "missing table TABLE after \"%s\"", prev(p));
	while (more(p)) {
		r = kw_next(p, kws);
		if (r < 0)
			return r;
		if (r == 2 && (c->verb != XGW_V_FOLLOW || c->follow.table || p->i != 3))
			return perr(p, "unexpected \"%s\"", prev(p));
		if (r == 2) {
			c->follow.list = true;
			return no_more(p);
		}
		if (r == 0 && c->follow.table)
			return perr(p, "duplicate \"table\"");
		if (r == 1 && c->follow.proto >= 0)
			return perr(p, "duplicate \"proto\"");
		s = kw_arg(p);
		if (!s)
			return -EINVAL;
		if (xgw_rtname_parse(r ? XGW_RTNAME_PROTO : XGW_RTNAME_TABLE, s, &v))
			return perr(p, r ? "invalid proto \"%s\" (a name of rt_protos or 0..255)" :
				    "invalid table \"%s\" (a name of rt_tables or 1..4294967295)", s);
		if (r == 0)
			c->follow.table = v;
		else
			c->follow.proto = v;
	}
	if (!c->follow.table)
		return perr(p, "missing table TABLE after \"%s\"", prev(p));
	return 0;
}

static int do_route_del(struct parser *p)
{
	if (prefix_parse(p, pos_arg(p, "PREFIX"), &p->cmd->route.dst))
		return -EINVAL;
	return no_more(p);
}

/* show [ summary ] (fib) */
static int do_route_show(struct parser *p)
{
	static const char *const kws[] = { "summary", NULL };

	if (more(p)) {
		if (kw_next(p, kws) < 0)
			return -EINVAL;
		p->cmd->route.summary = true;
	}
	return no_more(p);
}

static int do_route_get(struct parser *p)
{
	if (addr_parse(p, pos_arg(p, "ADDR"), &p->cmd->get.addr))
		return -EINVAL;
	return no_more(p);
}

/* ---- set ------------------------------------------------------------------- */

static const char *const settings[] = {
	[XGW_SET_LATENCY_SAMPLE] = "latency-sample",
	[XGW_SET_CT_UDP_TIMEOUT] = "ct-udp-timeout",
	[XGW_SET_CT_FLOOD_LIMIT] = "ct-flood-limit",
	[XGW_SET_ANNOUNCE_TABLE] = "announce-table",
	[XGW_SET_ANNOUNCE] = "announce",
	[XGW_SET_CT_TCP_SYN_TIMEOUT] = "ct-tcp-syn-timeout",
	[XGW_SET_CT_TCP_EST_TIMEOUT] = "ct-tcp-established-timeout",
	[XGW_SET_CT_TCP_FIN_TIMEOUT] = "ct-tcp-fin-timeout",
	[XGW_SET_CT_TCP_TW_TIMEOUT] = "ct-tcp-time-wait-timeout",
	[XGW_SET_CT_TCP_CLOSE_TIMEOUT] = "ct-tcp-close-timeout",
	[XGW_SET_NAT_PORTS] = "nat-ports",
	[XGW_SET_ICMP_RATE] = "icmp-rate",
	[XGW_SET_ICMP_BURST] = "icmp-burst",
	NULL,
};

static const char *const on_off[] = { "off", "on", NULL };

static const struct {
	unsigned long min, max;
} setting_range[] = {
	[XGW_SET_LATENCY_SAMPLE] = { 0, 0xffffffffUL },	/* 0 = off */
	[XGW_SET_CT_UDP_TIMEOUT] = { 1, 86400 },
	[XGW_SET_CT_FLOOD_LIMIT] = { 1, 0xffffffffUL },
	/* 253-255 are the kernel's default, main and local tables */
	[XGW_SET_ANNOUNCE_TABLE] = { 0, 0xffffffffUL },
	[XGW_SET_ANNOUNCE] = { 0, 1 },
	/* a week at most: timeouts in jiffies stay below 2^31 */
	[XGW_SET_CT_TCP_SYN_TIMEOUT] = { 1, 604800 },
	[XGW_SET_CT_TCP_EST_TIMEOUT] = { 1, 604800 },
	[XGW_SET_CT_TCP_FIN_TIMEOUT] = { 1, 604800 },
	[XGW_SET_CT_TCP_TW_TIMEOUT] = { 1, 604800 },
	[XGW_SET_CT_TCP_CLOSE_TIMEOUT] = { 1, 604800 },
	[XGW_SET_NAT_PORTS] = { 1, 65535 },
	[XGW_SET_ICMP_RATE] = { 0, 1000000 },	/* 0 = the kernel answers */
	[XGW_SET_ICMP_BURST] = { 1, 1000000 },
};

/* nat-ports MIN-MAX */
static int nat_ports_parse(struct parser *p, const char *s)
{
	char a[8], b[8];
	const char *dash;
	unsigned long lo, hi;

	if (!s)
		return -EINVAL;
	dash = strchr(s, '-');
	if (!dash || dash - s >= (long)sizeof(a) || strlen(dash + 1) >= sizeof(b))
		goto bad;
	snprintf(a, sizeof(a), "%.*s", (int)(dash - s), s);
	snprintf(b, sizeof(b), "%s", dash + 1);
	if (xgw_uint_parse(a, 1, 65535, &lo) || xgw_uint_parse(b, 1, 65535, &hi) || lo > hi)
		goto bad;
	p->cmd->set.value = xgw_nat_ports(lo, hi);
	return 0;
bad:
	return perr(p, "invalid nat-ports \"%s\" (MIN-MAX, 1..65535, MIN <= MAX)", s);
}

static int do_set(struct parser *p)
{
	struct xgw_cmd *c = p->cmd;
	int r;

	if (!more(p))
		return perr(p, "missing setting after \"set\"");
	r = expect_word(p, settings, "setting", NULL);
	if (r < 0)
		return r;
	c->set.key = r;
	if (r == XGW_SET_ANNOUNCE) {
		if (!more(p))
			return perr(p, "missing on or off after \"announce\"");
		r = expect_word(p, on_off, "value", "announce");
		if (r < 0)
			return r;
		c->set.value = r;
		return no_more(p);
	}
	if (r == XGW_SET_NAT_PORTS)
		return nat_ports_parse(p, kw_arg(p)) ?: no_more(p);
	if (uint_arg(p, settings[r], kw_arg(p), setting_range[r].min,
		     setting_range[r].max, &c->set.value))
		return -EINVAL;
	if (r == XGW_SET_ANNOUNCE_TABLE && c->set.value >= 253 && c->set.value <= 255)
		return perr(p, "invalid announce-table \"%s\" (253-255 are the kernel's "
			    "default, main and local tables: give xgwd a table of its own)",
			    p->argv[p->i - 1]);
	return no_more(p);
}

/* ---- service and backend --------------------------------------------------- */

static const char *const lb_modes[] = {
	[XGW_LB_DSR] = "dsr", [XGW_LB_IPIP] = "ipip", [XGW_LB_NAT] = "nat", NULL,
};

static const char *const checks[] = {
	[XGW_CHECK_DEFAULT] = "default", [XGW_CHECK_TCP] = "tcp", [XGW_CHECK_HTTP] = "http",
	[XGW_CHECK_UDP] = "udp", [XGW_CHECK_NONE] = "none", NULL,
};

static const char *const all_down_names[] = {
	[XGW_ALLDOWN_DROP] = "drop", [XGW_ALLDOWN_USE_ALL] = "use-all", NULL,
};

/* Health-check bounds. */
#define CHECK_INTERVAL_MIN_MS	100
#define CHECK_INTERVAL_MAX_MS	3600000
#define CHECK_TIMEOUT_MIN_MS	10
#define CHECK_TIMEOUT_MAX_MS	60000
#define CHECK_COUNT_MAX		100

static int svc_arg(struct parser *p, struct xgw_svc_addr *svc)
{
	return svc_parse(p, pos_arg(p, "VIP:PORT/PROTO"), svc);
}

static int http_path_parse(struct parser *p, const char *s, char *path)
{
	if (!s)
		return -EINVAL;
	if (s[0] != '/' || strlen(s) >= XGW_HTTP_PATH_MAX)
		goto bad;
	for (const char *q = s; *q; q++)
		if (!isgraph((unsigned char)*q))
			goto bad;
	strcpy(path, s);
	return 0;
bad:
	return perr(p, "invalid http path \"%s\" (/..., at most %d characters)", s,
		    XGW_HTTP_PATH_MAX - 1);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * A udp check's payload or expected reply: one word, with \xHH, \n, \r,
 * \t, \0 and \\ for the bytes a word cannot hold.
 */
static int check_data_parse(struct parser *p, const char *what, const char *s,
			    __u8 *buf, unsigned int *len)
{
	unsigned int n = 0;
	const char *q;

	if (!s)
		return -EINVAL;
	for (q = s; *q; q++) {
		int c = (unsigned char)*q;

		if (n == XGW_CHECK_DATA_MAX)
			return perr(p, "invalid udp check %s \"%s\": more than %d bytes",
				    what, s, XGW_CHECK_DATA_MAX);
		if (c == '\\') {
			q++;
			switch (*q) {
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case '0': c = 0; break;
			case '\\': c = '\\'; break;
			case 'x':
				if (hexval(q[1]) < 0 || hexval(q[2]) < 0)
					goto bad;
				c = hexval(q[1]) << 4 | hexval(q[2]);
				q += 2;
				break;
			default:
				goto bad;
			}
		}
		buf[n++] = c;
	}
	*len = n;
	return 0;
bad:
	return perr(p, "invalid udp check %s \"%s\": escapes are \\xHH \\n \\r \\t \\0 \\\\",
		    what, s);
}

/* TIME := N (seconds) | Ns | Nms */
static int time_arg(struct parser *p, const char *name, unsigned int min_ms,
		    unsigned int max_ms, unsigned int *out)
{
	const char *s = kw_arg(p);
	char num[16];
	unsigned long v, mult = 1000;
	size_t n;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	if (n > 2 && !strcmp(s + n - 2, "ms")) {
		n -= 2;
		mult = 1;
	} else if (n > 1 && s[n - 1] == 's') {
		n--;
	}
	if (n >= sizeof(num))
		goto bad;
	memcpy(num, s, n);
	num[n] = '\0';
	if (xgw_uint_parse(num, 0, max_ms, &v) || v * mult < min_ms || v * mult > max_ms)
		goto bad;
	*out = v * mult;
	return 0;
bad:
	return perr(p, "invalid %s \"%s\" (%ums..%us; N is seconds, Nms milliseconds)",
		    name, s, min_ms, max_ms / 1000);
}

static int count_arg(struct parser *p, const char *name, unsigned int *out)
{
	unsigned long v;

	if (uint_arg(p, name, kw_arg(p), 1, CHECK_COUNT_MAX, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* check { tcp | http PATH [ expect CODE ] | udp PAYLOAD EXPECT | none } */
static int check_parse(struct parser *p, struct xgw_check *ck)
{
	static const char *const expect_kw[] = { "expect", NULL };
	unsigned long code;
	int r;

	r = kw_choice(p, checks, "check");
	if (r < 0)
		return r;
	if (r == XGW_CHECK_DEFAULT)
		return perr(p, "unknown check \"%s\"", prev(p));
	ck->type = r;
	memset(ck->path, 0, sizeof(ck->path));
	ck->expect_code = 0;
	ck->payload_len = ck->expect_len = 0;
	if (r == XGW_CHECK_UDP)
		return check_data_parse(p, "payload", pos_arg(p, "PAYLOAD"), ck->payload,
					&ck->payload_len) ?:
		       check_data_parse(p, "reply", pos_arg(p, "EXPECT"), ck->expect,
					&ck->expect_len);
	if (r != XGW_CHECK_HTTP)
		return 0;
	if (http_path_parse(p, pos_arg(p, "PATH"), ck->path))
		return -EINVAL;
	if (!more(p) || word_match(peek(p), expect_kw) != 0)
		return 0;
	p->i++;
	if (uint_arg(p, "http status", kw_arg(p), 100, 599, &code))
		return -EINVAL;
	ck->expect_code = code;
	return 0;
}

/*
 * The keywords services and backends share: check, its timing, and (for
 * `set`) nothing else. kw is the index in the caller's table, whose first
 * five entries must be check, interval, timeout, rise, fall.
 */
static int health_kw(struct parser *p, int kw, struct xgw_check *ck)
{
	switch (kw) {
	case 0:
		return check_parse(p, ck);
	case 1:
		return time_arg(p, "interval", CHECK_INTERVAL_MIN_MS, CHECK_INTERVAL_MAX_MS,
				&ck->interval_ms);
	case 2:
		return time_arg(p, "timeout", CHECK_TIMEOUT_MIN_MS, CHECK_TIMEOUT_MAX_MS,
				&ck->timeout_ms);
	case 3:
		return count_arg(p, "rise", &ck->rise);
	default:
		return count_arg(p, "fall", &ck->fall);
	}
}

/* Each keyword once; returns its index, -1 at the end, or -EINVAL. */
static int kw_once(struct parser *p, const char *const *kws, unsigned int *seen)
{
	int r;

	if (!more(p))
		return -1;
	r = kw_next(p, kws);
	if (r < 0)
		return -EINVAL;
	if (*seen & (1u << r))
		return perr(p, "duplicate \"%s\"", kws[r]);
	*seen |= 1u << r;
	return r;
}

static const unsigned int health_flag[] = {
	XGW_LB_F_CHECK, XGW_LB_F_INTERVAL, XGW_LB_F_TIMEOUT, XGW_LB_F_RISE, XGW_LB_F_FALL,
};

/* The last 32 bits of an address, as a number (the rest must match). */
static __u32 addr_low32(const struct xgw_addr *a)
{
	return ntohl(a->a[a->family == AF_INET ? 0 : 3]);
}

/* snat ADDR[-ADDR]: one family, in order, at most XGW_SNAT_POOL_MAX. */
static int snat_parse(struct parser *p, const char *s)
{
	struct xgw_cmd *c = p->cmd;
	char buf[2 * XGW_ADDR_STRLEN];
	const char *dash;

	if (!s)
		return -EINVAL;
	dash = strchr(s, '-');
	snprintf(buf, sizeof(buf), "%.*s", dash ? (int)(dash - s) : (int)strlen(s), s);
	if (xgw_addr_parse(buf, &c->service.snat_first) ||
	    xgw_addr_parse(dash ? dash + 1 : buf, &c->service.snat_last))
		return perr(p, "invalid snat \"%s\" (ADDR or ADDR-ADDR)", s);
	if (c->service.snat_first.family != c->service.snat_last.family)
		return perr(p, "invalid snat \"%s\": both ends of one family", s);
	if ((c->service.snat_first.family == AF_INET6 &&
	     memcmp(c->service.snat_first.a, c->service.snat_last.a, 12)) ||
	    addr_low32(&c->service.snat_last) < addr_low32(&c->service.snat_first) ||
	    addr_low32(&c->service.snat_last) - addr_low32(&c->service.snat_first) >=
		    XGW_SNAT_POOL_MAX)
		return perr(p, "invalid snat \"%s\": first to last, at most %d addresses", s,
			    XGW_SNAT_POOL_MAX);
	return 0;
}

/*
 * add, replace: SERVICE [ mode M ] [ table-size M ] OPTS; set: SERVICE OPTS
 * OPTS := [ snat ADDR[-ADDR] ] [ persist SECONDS ] [ HEALTH ]
 *         [ all-down { drop | use-all } ]
 * HEALTH := [ check CHECK ] [ interval T ] [ timeout T ] [ rise N ] [ fall N ]
 */
static int service_opts(struct parser *p, bool is_set)
{
	static const char *const kws[] = {
		"check", "interval", "timeout", "rise", "fall", "all-down", "snat", "persist",
		"mode", "table-size", NULL,
	};
	static const char *const set_kws[] = {
		"check", "interval", "timeout", "rise", "fall", "all-down", "snat", "persist",
		NULL,
	};
	unsigned long v;
	struct xgw_cmd *c = p->cmd;
	unsigned int seen = 0;
	unsigned long m;
	int r;

	while ((r = kw_once(p, is_set ? set_kws : kws, &seen)) >= 0) {
		if (r < 5) {
			if (health_kw(p, r, &c->service.check))
				return -EINVAL;
			c->service.said |= health_flag[r];
		} else if (r == 5) {
			r = kw_choice(p, all_down_names, "all-down policy");
			if (r < 0)
				return r;
			c->service.all_down = r;
			c->service.said |= XGW_LB_F_ALLDOWN;
		} else if (r == 6) {
			if (snat_parse(p, kw_arg(p)))
				return -EINVAL;
			c->service.said |= XGW_LB_F_SNAT;
		} else if (r == 7) {
			if (uint_arg(p, "persist", kw_arg(p), 0, XGW_PERSIST_MAX, &v))
				return -EINVAL;
			c->service.persist_s = v;
			c->service.said |= XGW_LB_F_PERSIST;
		} else if (r == 8) {
			r = kw_choice(p, lb_modes, "service mode");
			if (r < 0)
				return r;
			c->service.mode = r;
			c->service.said |= XGW_LB_F_MODE;
		} else {
			if (uint_arg(p, "table-size", kw_arg(p), 2, XGW_MAGLEV_MAX, &m))
				return -EINVAL;
			if (!is_prime(m))
				return perr(p, "invalid table-size \"%s\": not a prime", prev(p));
			c->service.table_size = m;
			c->service.said |= XGW_LB_F_TABLE;
		}
	}
	if (r != -1)
		return -EINVAL;
	if (is_set && !c->service.said)
		return perr(p, "missing what to set after \"%s\"", prev(p));
	if (!is_set && (c->service.said & XGW_LB_F_SNAT) && c->service.mode != XGW_LB_NAT)
		return perr(p, "\"snat\" needs \"mode nat\" (%s rewrites no source)",
			    lb_modes[c->service.mode]);
	return 0;
}

static int do_service_change(struct parser *p)
{
	if (svc_arg(p, &p->cmd->service.svc))
		return -EINVAL;
	p->cmd->service.mode = XGW_LB_DSR;
	p->cmd->service.said = XGW_LB_F_MODE;	/* add and replace always say it */
	return service_opts(p, false);
}

static int do_service_set(struct parser *p)
{
	if (svc_arg(p, &p->cmd->service.svc))
		return -EINVAL;
	return service_opts(p, true);
}

static int do_service_del(struct parser *p)
{
	if (svc_arg(p, &p->cmd->service.svc))
		return -EINVAL;
	return no_more(p);
}

/* show [ SERVICE [ table ] ] */
static int do_service_show(struct parser *p)
{
	static const char *const kws[] = { "table", NULL };

	if (!more(p))
		return 0;
	if (svc_arg(p, &p->cmd->service.svc))
		return -EINVAL;
	if (more(p)) {
		if (kw_next(p, kws) < 0)
			return -EINVAL;
		p->cmd->service.show_table = true;
	}
	return no_more(p);
}

/* ADDR, ADDR:PORT (IPv4) or [ADDR]:PORT (IPv6). */
static int backend_addr_parse(struct parser *p, const char *s)
{
	struct xgw_cmd *c = p->cmd;
	char buf[XGW_ADDR_STRLEN];
	const char *a = s, *port = NULL, *end;
	unsigned long v;

	if (!s)
		return -EINVAL;
	end = s + strlen(s);
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':' || !memchr(s, ':', end - s))
			goto bad;
		a = s + 1;
		port = end + 2;
	} else if (strchr(s, ':') && strchr(s, ':') == strrchr(s, ':')) {
		end = strchr(s, ':');
		port = end + 1;
	}
	if ((size_t)(end - a) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%.*s", (int)(end - a), a);
	if (xgw_addr_parse(buf, &c->backend.addr))
		goto bad;
	if (port && (strlen(port) > 5 || xgw_uint_parse(port, 1, 65535, &v)))
		return perr(p, "invalid backend \"%s\": port must be 1..65535", s);
	c->backend.port = port ? v : 0;
	return 0;
bad:
	return perr(p, "invalid backend \"%s\" (ADDR, ADDR:PORT or [ADDR6]:PORT)", s);
}

static int backend_target(struct parser *p)
{
	struct xgw_cmd *c = p->cmd;

	if (svc_arg(p, &c->backend.svc))
		return -EINVAL;
	if (backend_addr_parse(p, pos_arg(p, "ADDR")))
		return -EINVAL;
	/* the service's own port is no port of its own: one backend, one name */
	if (c->backend.port == c->backend.svc.port)
		c->backend.port = 0;
	return 0;
}

static int weight_arg(struct parser *p, unsigned int *w)
{
	unsigned long v;

	if (uint_arg(p, "weight", kw_arg(p), 1, XGW_WEIGHT_MAX, &v))
		return -EINVAL;
	*w = v;
	return 0;
}

/*
 * add: SERVICE ADDR [ weight W ] OPTS
 * set: SERVICE ADDR { weight W | drain | undrain | OPTS }...
 * OPTS := [ check CHECK ] [ interval T ] [ timeout T ] [ rise N ] [ fall N ]
 */
static int backend_opts(struct parser *p, bool is_set)
{
	static const char *const kws[] = {
		"check", "interval", "timeout", "rise", "fall", "weight", "drain", "undrain",
		NULL,
	};
	static const char *const add_kws[] = {
		"check", "interval", "timeout", "rise", "fall", "weight", NULL,
	};
	struct xgw_cmd *c = p->cmd;
	unsigned int seen = 0;
	int r;

	while ((r = kw_once(p, is_set ? kws : add_kws, &seen)) >= 0) {
		if (r < 5) {
			if (health_kw(p, r, &c->backend.check))
				return -EINVAL;
			c->backend.said |= health_flag[r];
		} else if (r == 5) {
			if (weight_arg(p, &c->backend.weight))
				return -EINVAL;
			c->backend.said |= XGW_LB_F_WEIGHT;
		} else {
			if (c->backend.said & XGW_LB_F_DRAIN)
				return perr(p, "\"%s\" conflicts with \"%s\"", prev(p),
					    c->backend.drain ? "drain" : "undrain");
			c->backend.drain = r == 6;
			c->backend.said |= XGW_LB_F_DRAIN;
		}
	}
	if (r != -1)
		return -EINVAL;
	if (is_set && !c->backend.said)
		return perr(p, "missing weight W, drain, undrain or a check setting after \"%s\"",
			    prev(p));
	return 0;
}

static int do_backend_add(struct parser *p)
{
	if (backend_target(p))
		return -EINVAL;
	p->cmd->backend.weight = 1;
	p->cmd->backend.said = XGW_LB_F_WEIGHT;	/* add always says it */
	return backend_opts(p, false);
}

static int do_backend_set(struct parser *p)
{
	if (backend_target(p))
		return -EINVAL;
	return backend_opts(p, true);
}

static int do_backend_del(struct parser *p)
{
	if (backend_target(p))
		return -EINVAL;
	return no_more(p);
}

/* ---- dispatch -------------------------------------------------------------- */

struct verb {
	const char *name;
	enum xgw_verb verb;
	int (*parse)(struct parser *p);	/* NULL: takes no arguments */
};

struct object {
	const char *name;
	enum xgw_obj obj;
	const struct verb *verbs;	/* terminated by name NULL */
	const char *default_verb;	/* used when no verb is given */
};

static const struct verb link_verbs[] = {
	{ "attach", XGW_V_ATTACH, do_link_attach },
	{ "detach", XGW_V_DETACH, do_link_detach },
	{ "show", XGW_V_SHOW, NULL },
	{ "help", XGW_V_HELP, NULL },
	{},
};

static const struct verb route_verbs[] = {
	{ "add", XGW_V_ADD, do_route_change },
	{ "replace", XGW_V_REPLACE, do_route_change },
	{ "del", XGW_V_DEL, do_route_del },
	{ "show", XGW_V_SHOW, do_route_show },
	{ "get", XGW_V_GET, do_route_get },
	{ "follow", XGW_V_FOLLOW, do_route_follow },
	{ "unfollow", XGW_V_UNFOLLOW, do_route_follow },
	{ "help", XGW_V_HELP, NULL },
	{},
};

static const struct verb show_verbs[] = {
	{ "show", XGW_V_SHOW, NULL },
	{ "help", XGW_V_HELP, NULL },
	{},
};

static const struct verb stats_verbs[] = {
	{ "show", XGW_V_SHOW, NULL },
	{ "latency", XGW_V_LATENCY, NULL },
	{ "reset", XGW_V_RESET, NULL },
	{ "help", XGW_V_HELP, NULL },
	{},
};

static const struct verb vlan_verbs[] = {
	{ "add", XGW_V_ADD, do_vlan_change },
	{ "del", XGW_V_DEL, do_vlan_change },
	{ "show", XGW_V_SHOW, NULL },
	{ "help", XGW_V_HELP, NULL },
	{},
};

static const struct verb top_verbs[] = {
	{ "help", XGW_V_HELP, NULL },
	{},
};

static const struct verb daemon_verbs[] = {
	{ "show", XGW_V_SHOW, NULL },
	{ "reload", XGW_V_RELOAD, NULL },
	{ "help", XGW_V_HELP, NULL },
	{},
};

static const struct verb service_verbs[] = {
	{ "add", XGW_V_ADD, do_service_change },
	{ "replace", XGW_V_REPLACE, do_service_change },
	{ "set", XGW_V_SET, do_service_set },
	{ "del", XGW_V_DEL, do_service_del },
	{ "show", XGW_V_SHOW, do_service_show },
	{ "help", XGW_V_HELP, NULL },
	{},
};

static const struct verb backend_verbs[] = {
	{ "add", XGW_V_ADD, do_backend_add },
	{ "set", XGW_V_SET, do_backend_set },
	{ "del", XGW_V_DEL, do_backend_del },
	{ "help", XGW_V_HELP, NULL },
	{},
};

/* Indexed by enum xgw_obj. */
static const struct object objects[] = {
	[XGW_OBJ_LINK] = { "link", XGW_OBJ_LINK, link_verbs, "show" },
	[XGW_OBJ_ROUTE] = { "route", XGW_OBJ_ROUTE, route_verbs, "show" },
	[XGW_OBJ_NEIGH] = { "neigh", XGW_OBJ_NEIGH, show_verbs, "show" },
	[XGW_OBJ_STATS] = { "stats", XGW_OBJ_STATS, stats_verbs, "show" },
	[XGW_OBJ_SET] = { "set", XGW_OBJ_SET, NULL, NULL },
	[XGW_OBJ_SERVICE] = { "service", XGW_OBJ_SERVICE, service_verbs, "show" },
	[XGW_OBJ_BACKEND] = { "backend", XGW_OBJ_BACKEND, backend_verbs, NULL },
	[XGW_OBJ_TOP] = { "top", XGW_OBJ_TOP, top_verbs, NULL },
	[XGW_OBJ_DAEMON] = { "daemon", XGW_OBJ_DAEMON, daemon_verbs, "show" },
	[XGW_OBJ_VLAN] = { "vlan", XGW_OBJ_VLAN, vlan_verbs, "show" },
};
#define N_OBJECTS (sizeof(objects) / sizeof(objects[0]))

static const char *const object_names[] = {
	"link", "route", "neigh", "stats", "set", "service", "backend", "top", "daemon", "vlan", NULL,
};

static int parse_verb(struct parser *p, const struct object *o)
{
	const char *names[16];
	int n = 0, r;

	for (; o->verbs[n].name; n++)
		names[n] = o->verbs[n].name;
	names[n] = NULL;
	if (!more(p)) {
		if (!o->default_verb)
			return perr(p, "missing command for %s (try \"%s help\")",
				    o->name, o->name);
		r = word_match(o->default_verb, names);
	} else {
		r = expect_word(p, names, "command", o->name);
		if (r < 0)
			return r;
	}
	p->cmd->verb = o->verbs[r].verb;
	if (o->verbs[r].parse)
		return o->verbs[r].parse(p);
	return no_more(p);
}

int xgw_cmd_parse(int argc, char **argv, struct xgw_cmd *cmd, char *err,
		  size_t errlen)
{
	struct parser p = { argc, argv, 0, cmd, err, errlen };
	const struct object *o;
	int r;

	memset(cmd, 0, sizeof(*cmd));
	if (errlen)
		err[0] = '\0';
	if (argc < 1)
		return perr(&p, "missing object (%s)",
			    "link, vlan, route, neigh, stats, top, set, service, backend, daemon");
	r = expect_word(&p, object_names, "object", NULL);
	if (r < 0)
		return r;
	o = &objects[r];
	cmd->obj = o->obj;
	if (o->obj == XGW_OBJ_TOP && !more(&p))
		return 0;	/* verb SHOW */
	if (o->obj == XGW_OBJ_SET) {
		if (more(&p) && !strcmp(peek(&p), "help")) {
			cmd->verb = XGW_V_HELP;
			p.i++;
			return no_more(&p);
		}
		cmd->verb = XGW_V_SET;
		return do_set(&p);
	}
	return parse_verb(&p, o);
}

int xgw_cmd_split(char *line, char **argv, int max)
{
	int n = 0;
	char *s = line;

	for (;;) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			break;
		if (n >= max)
			return -E2BIG;
		argv[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		*s++ = '\0';
	}
	*s = '\0';
	return n;
}

bool xgw_cmd_is_write(const struct xgw_cmd *cmd)
{
	switch (cmd->verb) {
	case XGW_V_ADD:
	case XGW_V_REPLACE:
	case XGW_V_DEL:
	case XGW_V_ATTACH:
	case XGW_V_DETACH:
	case XGW_V_RESET:
	case XGW_V_SET:
	case XGW_V_UNFOLLOW:
	case XGW_V_RELOAD:
		return true;
	case XGW_V_FOLLOW:
		return !cmd->follow.list;	/* route follow show */
	default:
		return false;
	}
}

/* ---- format ---------------------------------------------------------------- */

struct out {
	char *buf;
	size_t len, off;
	bool full;
};

__attribute__((format(printf, 2, 3)))
static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->off)
		o->full = true;
	else
		o->off += n;
}

static void format_nat_ports(struct out *o, unsigned long v)
{
	__u16 lo, hi;

	xgw_nat_ports_split(v, &lo, &hi);
	emit(o, " %s %u-%u", settings[XGW_SET_NAT_PORTS], lo, hi);
}

static const char *verb_name(const struct xgw_cmd *c)
{
	const struct verb *v = objects[c->obj].verbs;

	for (; v && v->name; v++)
		if (v->verb == c->verb)
			return v->name;
	return NULL;
}

static int format_follow(const struct xgw_cmd *c, struct out *o)
{
	char n[32];

	emit(o, " table %s", xgw_rtname_str(XGW_RTNAME_TABLE, c->follow.table, false,
					    n, sizeof(n)));
	if (c->follow.proto >= 0)
		emit(o, " proto %s", xgw_rtname_str(XGW_RTNAME_PROTO, c->follow.proto,
						    false, n, sizeof(n)));
	return 0;
}

static int format_route(const struct xgw_cmd *c, struct out *o)
{
	char a[XGW_PREFIX_STRLEN];

	if (c->verb == XGW_V_FOLLOW && c->follow.list) {
		emit(o, " show");
		return 0;
	}
	if (c->verb == XGW_V_FOLLOW || c->verb == XGW_V_UNFOLLOW)
		return format_follow(c, o);
	emit(o, " %s", xgw_prefix_str(&c->route.dst, a, sizeof(a)));
	if (c->verb == XGW_V_DEL)
		return 0;
	switch (c->route.type) {
	case XGW_ROUTE_VIA:
		emit(o, " via %s", xgw_addr_str(&c->route.via, a, sizeof(a)));
		break;
	case XGW_ROUTE_BLACKHOLE:
		emit(o, " blackhole");
		return 0;
	case XGW_ROUTE_DEV:
		break;
	case XGW_ROUTE_MULTIPATH:
		if (c->route.n_nh < 2 || c->route.n_nh > XGW_ROUTE_NH_MAX)
			return -EINVAL;
		for (unsigned int i = 0; i < c->route.n_nh; i++) {
			const struct xgw_route_nh *nh = &c->route.nh[i];

			emit(o, " nexthop via %s", xgw_addr_str(&nh->via, a, sizeof(a)));
			if (nh->dev[0])
				emit(o, " dev %s", nh->dev);
			emit(o, " weight %u", nh->weight);
		}
		return 0;
	default:
		return -EINVAL;	/* local and kernel routes are xgwd's, never typed */
	}
	if (c->route.dev[0])
		emit(o, " dev %s", c->route.dev);
	return 0;
}

/* Bytes of a udp check as one word that check_data_parse() reads back. */
static void format_data(struct out *o, const __u8 *d, unsigned int n)
{
	emit(o, " ");
	for (unsigned int i = 0; i < n; i++) {
		if (isgraph(d[i]) && d[i] != '\\' && d[i] != '#')
			emit(o, "%c", d[i]);
		else
			emit(o, "\\x%02x", d[i]);
	}
}

/* TIME as the parser reads it: whole seconds as N, else Nms. */
static void format_time(struct out *o, const char *kw, unsigned int ms)
{
	if (ms % 1000)
		emit(o, " %s %ums", kw, ms);
	else
		emit(o, " %s %u", kw, ms / 1000);
}

/* The health keywords said (said: XGW_LB_F_*), in the grammar's order. */
static void format_check(struct out *o, const struct xgw_check *ck, unsigned int said)
{
	if (said & XGW_LB_F_CHECK) {
		emit(o, " check %s", checks[ck->type]);
		if (ck->type == XGW_CHECK_HTTP) {
			emit(o, " %s", ck->path);
			if (ck->expect_code)
				emit(o, " expect %u", ck->expect_code);
		} else if (ck->type == XGW_CHECK_UDP) {
			format_data(o, ck->payload, ck->payload_len);
			format_data(o, ck->expect, ck->expect_len);
		}
	}
	if (said & XGW_LB_F_INTERVAL)
		format_time(o, "interval", ck->interval_ms);
	if (said & XGW_LB_F_TIMEOUT)
		format_time(o, "timeout", ck->timeout_ms);
	if (said & XGW_LB_F_RISE)
		emit(o, " rise %u", ck->rise);
	if (said & XGW_LB_F_FALL)
		emit(o, " fall %u", ck->fall);
}

unsigned int xgw_check_said(const struct xgw_check *ck)
{
	return (ck->type != XGW_CHECK_DEFAULT ? XGW_LB_F_CHECK : 0) |
	       (ck->interval_ms ? XGW_LB_F_INTERVAL : 0) |
	       (ck->timeout_ms ? XGW_LB_F_TIMEOUT : 0) |
	       (ck->rise ? XGW_LB_F_RISE : 0) | (ck->fall ? XGW_LB_F_FALL : 0);
}

void xgw_check_merge(struct xgw_check *dst, const struct xgw_check *src, unsigned int said)
{
	struct xgw_check t = *src;

	if (!(said & XGW_LB_F_CHECK)) {
		/* keep dst's check and arguments, take src's times and counts */
		t = *dst;
		t.interval_ms = src->interval_ms;
		t.timeout_ms = src->timeout_ms;
		t.rise = src->rise;
		t.fall = src->fall;
	}
	if (!(said & XGW_LB_F_INTERVAL))
		t.interval_ms = dst->interval_ms;
	if (!(said & XGW_LB_F_TIMEOUT))
		t.timeout_ms = dst->timeout_ms;
	if (!(said & XGW_LB_F_RISE))
		t.rise = dst->rise;
	if (!(said & XGW_LB_F_FALL))
		t.fall = dst->fall;
	*dst = t;
}

int xgw_check_format(const struct xgw_check *ck, unsigned int said, char *buf, size_t len)
{
	struct out o = { buf, len, 0, false };

	if (!len || ck->type > XGW_CHECK_NONE)
		return -EINVAL;
	buf[0] = '\0';
	format_check(&o, ck, said & xgw_check_said(ck));
	return o.full ? -ENOSPC : (int)o.off;
}

const char *xgw_check_name(enum xgw_check_type t)
{
	return t <= XGW_CHECK_NONE ? checks[t] : "?";
}

const char *xgw_all_down_name(enum xgw_all_down a)
{
	return a <= XGW_ALLDOWN_USE_ALL ? all_down_names[a] : "?";
}

const char *xgw_lb_mode_name(int mode)
{
	return mode >= 0 && mode <= XGW_LB_NAT ? lb_modes[mode] : "?";
}

static void format_service(const struct xgw_cmd *c, struct out *o)
{
	char s[XGW_SVC_STRLEN];
	unsigned int said = c->service.said;

	emit(o, " %s", xgw_svc_str(&c->service.svc, s, sizeof(s)));
	if (c->verb == XGW_V_DEL)
		return;
	if (c->verb != XGW_V_SET) {
		emit(o, " mode %s", lb_modes[c->service.mode]);
		said |= XGW_LB_F_MODE;
	}
	if (said & XGW_LB_F_TABLE)
		emit(o, " table-size %u", c->service.table_size);
	if (said & XGW_LB_F_SNAT) {
		char a[XGW_ADDR_STRLEN], b[XGW_ADDR_STRLEN];

		xgw_addr_str(&c->service.snat_first, a, sizeof(a));
		xgw_addr_str(&c->service.snat_last, b, sizeof(b));
		if (xgw_addr_equal(&c->service.snat_first, &c->service.snat_last))
			emit(o, " snat %s", a);
		else
			emit(o, " snat %s-%s", a, b);
	}
	if (said & XGW_LB_F_PERSIST)
		emit(o, " persist %u", c->service.persist_s);
	format_check(o, &c->service.check, said);
	if (said & XGW_LB_F_ALLDOWN)
		emit(o, " all-down %s", all_down_names[c->service.all_down]);
}

static void format_backend(const struct xgw_cmd *c, struct out *o)
{
	char s[XGW_SVC_STRLEN], a[XGW_ADDR_STRLEN];
	bool v6 = c->backend.addr.family == AF_INET6;

	xgw_addr_str(&c->backend.addr, a, sizeof(a));
	emit(o, " %s", xgw_svc_str(&c->backend.svc, s, sizeof(s)));
	if (c->backend.port)
		emit(o, v6 ? " [%s]:%u" : " %s:%u", a, c->backend.port);
	else
		emit(o, " %s", a);
	if (c->verb == XGW_V_DEL)
		return;
	if (c->verb == XGW_V_ADD || (c->backend.said & XGW_LB_F_WEIGHT))
		emit(o, " weight %u", c->backend.weight);
	if (c->verb == XGW_V_SET && (c->backend.said & XGW_LB_F_DRAIN))
		emit(o, c->backend.drain ? " drain" : " undrain");
	format_check(o, &c->backend.check, c->backend.said);
}

/* The arguments after OBJECT VERB. */
static int format_args(const struct xgw_cmd *c, struct out *o)
{
	char s[XGW_SVC_STRLEN];

	if (c->obj == XGW_OBJ_SERVICE && c->verb == XGW_V_SHOW && c->service.svc.addr.family) {
		emit(o, " %s%s", xgw_svc_str(&c->service.svc, s, sizeof(s)),
		     c->service.show_table ? " table" : "");
		return 0;
	}
	if (c->obj == XGW_OBJ_ROUTE && c->verb == XGW_V_SHOW && c->route.summary) {
		emit(o, " summary");
		return 0;
	}
	if (c->verb == XGW_V_HELP || c->verb == XGW_V_SHOW ||
	    c->verb == XGW_V_LATENCY || c->verb == XGW_V_RESET)
		return 0;
	switch (c->obj) {
	case XGW_OBJ_LINK:
		emit(o, " %s", c->link.dev);
		if (c->verb == XGW_V_ATTACH)
			emit(o, " mode %s", link_modes[c->link.mode]);
		return 0;
	case XGW_OBJ_ROUTE:
		if (c->verb == XGW_V_GET) {
			emit(o, " %s", xgw_addr_str(&c->get.addr, s, sizeof(s)));
			return 0;
		}
		return format_route(c, o);
	case XGW_OBJ_SERVICE:
		format_service(c, o);
		return 0;
	case XGW_OBJ_BACKEND:
		format_backend(c, o);
		return 0;
	case XGW_OBJ_DAEMON:
		return 0;
	case XGW_OBJ_VLAN:
		emit(o, " dev %s vid %u", c->vlan.dev, c->vlan.vid_lo);
		if (c->vlan.vid_hi != c->vlan.vid_lo)
			emit(o, "-%u", c->vlan.vid_hi);
		return 0;
	default:
		return -EINVAL;
	}
}

static bool cmd_is_sane(const struct xgw_cmd *c)
{
	if ((unsigned int)c->obj >= N_OBJECTS)
		return false;
	switch (c->obj) {
	case XGW_OBJ_LINK:
		return c->link.mode <= XGW_LINK_DECAP;
	case XGW_OBJ_SET:
		return c->set.key <= XGW_SET_LAST &&
		       (c->set.key != XGW_SET_ANNOUNCE || c->set.value <= 1);
	case XGW_OBJ_SERVICE:
		return c->service.mode >= XGW_LB_DSR && c->service.mode <= XGW_LB_NAT &&
		       c->service.check.type <= XGW_CHECK_NONE &&
		       c->service.all_down <= XGW_ALLDOWN_USE_ALL;
	case XGW_OBJ_BACKEND:
		return c->backend.check.type <= XGW_CHECK_NONE;
	case XGW_OBJ_VLAN:
		return c->verb == XGW_V_SHOW || c->verb == XGW_V_HELP ||
		       (c->vlan.vid_lo >= 1 && c->vlan.vid_lo <= c->vlan.vid_hi &&
			c->vlan.vid_hi <= XGW_VID_MAX);
	default:
		return true;
	}
}

int xgw_cmd_format(const struct xgw_cmd *cmd, char *buf, size_t len)
{
	struct out o = { buf, len, 0, false };
	const char *verb;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (!cmd_is_sane(cmd))
		return -EINVAL;
	emit(&o, "%s", objects[cmd->obj].name);
	if (cmd->obj == XGW_OBJ_SET) {
		if (cmd->verb == XGW_V_HELP)
			emit(&o, " help");
		else if (cmd->set.key == XGW_SET_ANNOUNCE)
			emit(&o, " %s %s", settings[cmd->set.key], on_off[cmd->set.value]);
		else if (cmd->set.key == XGW_SET_NAT_PORTS)
			format_nat_ports(&o, cmd->set.value);
		else
			emit(&o, " %s %lu", settings[cmd->set.key], cmd->set.value);
	} else if (!(cmd->obj == XGW_OBJ_TOP && cmd->verb == XGW_V_SHOW)) {
		verb = verb_name(cmd);
		if (!verb)
			return -EINVAL;
		emit(&o, " %s", verb);
		if (format_args(cmd, &o))
			return -EINVAL;
	}
	if (o.full)
		return -ENOSPC;
	return o.off;
}

/* ---- help ------------------------------------------------------------------ */

/* Keep in step with docs/xgwctl.8 and docs/xgwctl.bash-completion. */
#define HEALTH_HELP \
	"HEALTH := [ check CHECK ] [ interval TIME ] [ timeout TIME ] [ rise N ] [ fall N ]\n" \
	"CHECK := { tcp | http PATH [ expect CODE ] | udp PAYLOAD EXPECT | none }\n" \
	"TIME := { SECONDS | MILLISECONDSms }   N := 1..100\n" \
	"A backend inherits what it does not say from its service; a service from\n" \
	"the defaults: check tcp (none for udp), interval 1, timeout 500ms, rise 2, fall 3.\n"
static const char *const help_text[] = {
	[XGW_OBJ_LINK] =
	"Usage: xgwctl link attach DEV [ mode MODE ]\n"
	"       xgwctl link detach DEV\n"
	"       xgwctl link show\n"
	"MODE := { native | generic | decap }\n",
	[XGW_OBJ_ROUTE] =
	"Usage: xgwctl route { add | replace } ROUTE\n"
	"       xgwctl route { add | replace } PREFIX NEXTHOP [ NEXTHOP ]...\n"
	"       xgwctl route del PREFIX\n"
	"       xgwctl route show [ summary ]\n"
	"       xgwctl route get ADDR\n"
	"       xgwctl route { follow | unfollow } table TABLE [ proto PROTO ]\n"
	"       xgwctl route follow show\n"
	"summary: per family, the FIB's routes and the memory its lookups use\n"
	"ROUTE := PREFIX { via ADDR [ dev DEV ] | dev DEV | blackhole }\n"
	"NEXTHOP := nexthop via ADDR [ dev DEV ] [ weight W ]   (at most 8; W := 1..256)\n"
	"PREFIX := { ADDR/LEN | ADDR }   (a bare ADDR is a /32 or /128 host route)\n"
	"ADDR := an IPv4 or IPv6 address (via: same family as PREFIX)\n"
	"TABLE := { main | local | default | NAME | NUMBER }   (names: rt_tables)\n"
	"PROTO := { kernel | static | bird | bgp | ospf | ... | NAME | NUMBER }   (rt_protos)\n",
	[XGW_OBJ_NEIGH] =
	"Usage: xgwctl neigh show\n",
	[XGW_OBJ_STATS] =
	"Usage: xgwctl stats [ show ]\n"
	"       xgwctl stats latency\n"
	"       xgwctl stats reset\n",
	[XGW_OBJ_SET] =
	"Usage: xgwctl set SETTING\n"
	"SETTING := { latency-sample N | ct-udp-timeout SECONDS |\n"
	"             ct-flood-limit FLOWS_PER_SEC | announce-table TABLE |\n"
	"             announce { on | off } | CT_TIMEOUT SECONDS | nat-ports MIN-MAX |\n"
	"             icmp-rate ERRORS_PER_SEC | icmp-burst ERRORS }\n"
	"CT_TIMEOUT := { ct-tcp-syn-timeout | ct-tcp-established-timeout |\n"
	"                ct-tcp-fin-timeout | ct-tcp-time-wait-timeout | ct-tcp-close-timeout }\n"
	"N := time one packet in N (0 = off); SECONDS := 1..86400 (udp), 1..604800 (tcp)\n"
	"MIN-MAX := NAT source ports, 1..65535\n"
	"TABLE := kernel routing table for the VIPs' host routes (0 = off)\n"
	"ERRORS_PER_SEC := ICMP errors sent per second per CPU, 0..1000000\n"
	"                  (0: none, the kernel gets those packets; default 1000)\n"
	"ERRORS := 1..1000000 (default 50)\n",
	[XGW_OBJ_SERVICE] =
	"Usage: xgwctl service { add | replace } SERVICE [ mode MODE ] [ table-size M ] [ OPTS ]\n"
	"       xgwctl service set SERVICE OPTS\n"
	"       xgwctl service del SERVICE\n"
	"       xgwctl service show [ SERVICE [ table ] ]\n"
	"SERVICE := { VIP:PORT/PROTO | [VIP6]:PORT/PROTO }\n"
	"PROTO := { tcp | udp }\n"
	"MODE := { dsr | ipip | nat }\n"
	"M := a prime <= 1048573 (default 65537)\n"
	"OPTS := [ snat ADDR[-ADDR] ] [ persist SECONDS ] [ HEALTH ] [ all-down { drop | use-all } ]\n"
	HEALTH_HELP,
	[XGW_OBJ_BACKEND] =
	"Usage: xgwctl backend add SERVICE BACKEND [ weight W ] [ HEALTH ]\n"
	"       xgwctl backend set SERVICE BACKEND { weight W | drain | undrain | HEALTH }...\n"
	"       xgwctl backend del SERVICE BACKEND\n"
	"SERVICE := { VIP:PORT/PROTO | [VIP6]:PORT/PROTO }\n"
	"BACKEND := { ADDR | ADDR:PORT | [ADDR6]:PORT }\n"
	"W := 1..65535 (default 1)\n"
	HEALTH_HELP,
	[XGW_OBJ_TOP] =
	"Usage: xgwctl [ -n COUNT ] top\n",
	[XGW_OBJ_DAEMON] =
	"Usage: xgwctl daemon [ show ]\n"
	"       xgwctl daemon reload\n"
	"show: the state file's status (ok, degraded: lines not applied,\n"
	"      not-loaded: the file was not applied) and reloads\n"
	"reload: apply what differs between the state file and the running\n"
	"        state, all or nothing (as SIGHUP does)\n",
	[XGW_OBJ_VLAN] =
	"Usage: xgwctl vlan { add | del } dev DEV vid VIDS\n"
	"       xgwctl vlan show\n"
	"VIDS := { VID | VID-VID }   (802.1Q VLAN IDs 1..4094)\n"
	"A tagged frame is routed only on a VLAN attached to its link;\n"
	"others go to the kernel.\n",
};

static const char help_all[] =
	"Usage: xgwctl [ OPTIONS ] OBJECT { COMMAND | help }\n"
	"       xgwctl [ OPTIONS ] -batch FILE\n"
	"OBJECT := { link | vlan | route | neigh | stats | top | set | service | backend |\n"
	"           daemon }\n"
	"OPTIONS := { -j[son] | -p[retty] | -s[ocket] PATH | -n COUNT | -V[ersion] |\n"
	"             -h[elp] }\n";

const char *xgw_cmd_help(int obj)
{
	if (obj < 0 || (size_t)obj >= N_OBJECTS)
		return help_all;
	return help_text[obj];
}
