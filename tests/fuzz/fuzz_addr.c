// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Every address-type parser on the same token. Properties: a refused
 * token leaves *out untouched (addr.h's promise); an accepted one is
 * well-formed (IPv4 uses a[0] only, no host bits past the length, port
 * 1..65535, tcp/udp) and prints to a string that parses back to it.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include "addr.h"
#include "fuzz.h"

#define POISON 0xa5

static void check_addr(const char *s)
{
	struct xgw_addr a, b;
	char buf[XGW_ADDR_STRLEN];

	memset(&a, POISON, sizeof(a));
	memcpy(&b, &a, sizeof(b));
	if (xgw_addr_parse(s, &a)) {
		fuzz_assert(!memcmp(&a, &b, sizeof(a)), "refused address changed *out");
		return;
	}
	fuzz_assert(a.family == AF_INET || a.family == AF_INET6, "family %d", a.family);
	fuzz_assert(a.family == AF_INET6 || !(a.a[1] | a.a[2] | a.a[3]), "IPv4 tail");
	xgw_addr_str(&a, buf, sizeof(buf));
	fuzz_assert(!xgw_addr_parse(buf, &b) && xgw_addr_equal(&a, &b) &&
		    !memcmp(&a, &b, sizeof(a)), "\"%s\" does not read back", buf);
}

static void check_prefix(const char *s)
{
	struct xgw_prefix p, q;
	char buf[XGW_PREFIX_STRLEN];

	memset(&p, POISON, sizeof(p));
	memcpy(&q, &p, sizeof(q));
	if (xgw_prefix_parse(s, &p)) {
		fuzz_assert(!memcmp(&p, &q, sizeof(p)), "refused prefix changed *out");
		return;
	}
	fuzz_assert(p.len <= (p.addr.family == AF_INET ? 32 : 128), "len %u", p.len);
	fuzz_assert(!p.host || p.len == (p.addr.family == AF_INET ? 32 : 128),
		    "host route of len %u", p.len);
	fuzz_assert(xgw_prefix_contains(&p, &p.addr), "prefix misses its own address");
	xgw_prefix_str(&p, buf, sizeof(buf));
	memset(&q, 0, sizeof(q));
	fuzz_assert(!xgw_prefix_parse(buf, &q) && q.len == p.len && q.host == p.host &&
		    !memcmp(&q.addr, &p.addr, sizeof(p.addr)),
		    "\"%s\" does not read back", buf);
}

static void check_mac(const char *s)
{
	__u8 m[6], n[6];
	char buf[XGW_MAC_STRLEN];

	memset(m, POISON, sizeof(m));
	memcpy(n, m, sizeof(n));
	if (xgw_mac_parse(s, m)) {
		fuzz_assert(!memcmp(m, n, sizeof(m)), "refused MAC changed *out");
		return;
	}
	xgw_mac_str(m, buf, sizeof(buf));
	fuzz_assert(!xgw_mac_parse(buf, n) && !memcmp(m, n, sizeof(m)),
		    "\"%s\" does not read back", buf);
}

static void check_svc(const char *s)
{
	struct xgw_svc_addr v, w;
	char buf[XGW_SVC_STRLEN];

	memset(&v, POISON, sizeof(v));
	memcpy(&w, &v, sizeof(w));
	if (xgw_svc_parse(s, &v)) {
		fuzz_assert(!memcmp(&v, &w, sizeof(v)), "refused service changed *out");
		return;
	}
	fuzz_assert(v.port >= 1, "port 0");
	fuzz_assert(v.proto == IPPROTO_TCP || v.proto == IPPROTO_UDP, "proto %u", v.proto);
	xgw_svc_str(&v, buf, sizeof(buf));
	memset(&w, 0, sizeof(w));
	fuzz_assert(!xgw_svc_parse(buf, &w) && w.port == v.port && w.proto == v.proto &&
		    !memcmp(&w.addr, &v.addr, sizeof(v.addr)),
		    "\"%s\" does not read back", buf);
}

static void check_uint(const char *s)
{
	unsigned long v = 7, w = 7;

	if (xgw_uint_parse(s, 0, ULONG_MAX, &v))
		fuzz_assert(v == 7, "refused number changed *out");
	if (!xgw_uint_parse(s, 1, 65535, &w))
		fuzz_assert(w >= 1 && w <= 65535 && w == v, "%lu out of 1..65535", w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);

	check_addr(s);
	check_prefix(s);
	check_mac(s);
	check_svc(s);
	check_uint(s);
	free(s);
	return 0;
}
