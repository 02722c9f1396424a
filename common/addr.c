// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Address parsing and printing (addr.h). inet_pton() does the address
 * syntax; everything around it (lengths, ports, protocols) is checked here
 * just as strictly: the whole token must be consumed.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"

int xgw_addr_parse(const char *s, struct xgw_addr *out)
{
	struct xgw_addr a = {};

	if (!s || !*s)
		return -EINVAL;
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.a) != 1)
			return -EINVAL;
		a.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, s, a.a) != 1)
			return -EINVAL;
		a.family = AF_INET;
	}
	*out = a;
	return 0;
}

static unsigned int addr_bits(const struct xgw_addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

/* Network-order mask word i of a /len prefix. */
static __be32 mask_word(unsigned int len, unsigned int i)
{
	unsigned int bits = len > i * 32 ? len - i * 32 : 0;

	if (bits >= 32)
		return 0xffffffff;
	return bits ? htonl(~0u << (32 - bits)) : 0;
}

static bool prefix_match(const struct xgw_addr *net, unsigned int len,
			 const struct xgw_addr *a)
{
	for (unsigned int i = 0; i < 4; i++)
		if ((net->a[i] ^ a->a[i]) & mask_word(len, i))
			return false;
	return true;
}

int xgw_uint_parse(const char *s, unsigned long min, unsigned long max,
		   unsigned long *out)
{
	unsigned long v;
	char *end;

	/* strtoul would take "+1", " 1" and "-1": digits only */
	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int xgw_prefix_parse(const char *s, struct xgw_prefix *out)
{
	char buf[XGW_PREFIX_STRLEN];
	struct xgw_prefix p = {};
	const char *slash;
	unsigned long len;
	size_t n;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (xgw_addr_parse(buf, &p.addr))
		return -EINVAL;
	if (!slash) {
		p.len = addr_bits(&p.addr);
		p.host = true;
		*out = p;
		return 0;
	}
	if (strlen(slash + 1) > 3 ||
	    xgw_uint_parse(slash + 1, 0, addr_bits(&p.addr), &len))
		return -EINVAL;
	p.len = len;
	for (unsigned int i = 0; i < 4; i++)
		if (p.addr.a[i] & ~mask_word(len, i))
			return -EINVAL;	/* host bits set */
	*out = p;
	return 0;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int xgw_mac_parse(const char *s, __u8 mac[6])
{
	__u8 m[6];

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hex_val(s[i * 3]), lo = hex_val(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		m[i] = hi << 4 | lo;
	}
	memcpy(mac, m, sizeof(m));
	return 0;
}

/* Split "ADDR:PORT/PROTO" or "[ADDR6]:PORT/PROTO" into its three parts. */
static int svc_split(const char *s, char *addr, size_t alen,
		     const char **port, const char **proto)
{
	const char *a = s, *colon, *slash;
	size_t n;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		a = s + 1;
		n = rb - a;
		colon = rb + 1;
		if (!memchr(a, ':', n))
			return -EINVAL;	/* brackets are for IPv6 only */
	} else {
		colon = strchr(s, ':');
		if (!colon || strchr(colon + 1, ':'))
			return -EINVAL;	/* bare IPv6 is ambiguous */
		n = colon - s;
	}
	slash = strchr(colon, '/');
	if (!slash || n >= alen)
		return -EINVAL;
	memcpy(addr, a, n);
	addr[n] = '\0';
	*port = colon + 1;
	*proto = slash + 1;
	return 0;
}

int xgw_svc_parse(const char *s, struct xgw_svc_addr *out)
{
	char addr[XGW_ADDR_STRLEN], port[8];
	struct xgw_svc_addr v = {};
	const char *ps, *proto;
	unsigned long p;
	size_t n;

	if (!s || svc_split(s, addr, sizeof(addr), &ps, &proto))
		return -EINVAL;
	n = proto - 1 - ps;
	if (n == 0 || n >= sizeof(port))
		return -EINVAL;
	memcpy(port, ps, n);
	port[n] = '\0';
	if (xgw_addr_parse(addr, &v.addr) || xgw_uint_parse(port, 1, 65535, &p))
		return -EINVAL;
	v.port = p;
	if (!strcmp(proto, "tcp"))
		v.proto = IPPROTO_TCP;
	else if (!strcmp(proto, "udp"))
		v.proto = IPPROTO_UDP;
	else
		return -EINVAL;
	*out = v;
	return 0;
}

const char *xgw_addr_str(const struct xgw_addr *a, char *buf, size_t len)
{
	int af = a->family == AF_INET6 ? AF_INET6 : AF_INET;

	if (!len)
		return "";
	if (!inet_ntop(af, a->a, buf, len))
		buf[0] = '\0';
	return buf;
}

const char *xgw_prefix_str(const struct xgw_prefix *p, char *buf, size_t len)
{
	char a[XGW_ADDR_STRLEN];

	xgw_addr_str(&p->addr, a, sizeof(a));
	if (p->host)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

const char *xgw_mac_str(const __u8 mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

const char *xgw_svc_str(const struct xgw_svc_addr *s, char *buf, size_t len)
{
	const char *proto = s->proto == IPPROTO_TCP ? "tcp" :
			    s->proto == IPPROTO_UDP ? "udp" : "?";
	char a[XGW_ADDR_STRLEN];

	xgw_addr_str(&s->addr, a, sizeof(a));
	if (s->addr.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u/%s", a, s->port, proto);
	else
		snprintf(buf, len, "%s:%u/%s", a, s->port, proto);
	return buf;
}

bool xgw_addr_equal(const struct xgw_addr *a, const struct xgw_addr *b)
{
	if (a->family != b->family)
		return false;
	return !memcmp(a->a, b->a, addr_bits(a) / 8);
}

bool xgw_prefix_contains(const struct xgw_prefix *p, const struct xgw_addr *a)
{
	if (p->addr.family != a->family)
		return false;
	return prefix_match(&p->addr, p->len, a);
}
