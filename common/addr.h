/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Address, prefix, MAC and service-address parsing and printing, shared by
 * xgwctl, xgwd, the tools and the tests. All parsers take the whole token
 * (no trailing junk), return 0 or -EINVAL, and leave *out untouched on error.
 */
#ifndef XGW_ADDR_H
#define XGW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>

/* An IPv4 or IPv6 address, network byte order; IPv4 uses a[0], rest zero. */
struct xgw_addr {
	__u8   family;		/* AF_INET / AF_INET6 */
	__u8   pad[3];
	__be32 a[4];
};

struct xgw_prefix {
	struct xgw_addr addr;	/* host bits beyond len are zero */
	__u8 len;
	bool host;		/* written without "/len": a host route */
};

/* VIP:PORT/PROTO, IPv6 as [ADDR]:PORT/PROTO */
struct xgw_svc_addr {
	struct xgw_addr addr;
	__u16 port;		/* host byte order */
	__u8  proto;		/* IPPROTO_TCP / IPPROTO_UDP */
};

#define XGW_ADDR_STRLEN		46	/* INET6_ADDRSTRLEN */
#define XGW_PREFIX_STRLEN	(XGW_ADDR_STRLEN + 4)
#define XGW_SVC_STRLEN		(XGW_ADDR_STRLEN + 16)
#define XGW_MAC_STRLEN		18

int xgw_addr_parse(const char *s, struct xgw_addr *out);
/* "10.0.0.0/8", "2001:db8::/32"; a bare address is /32 or /128 with
 * host = true. Host bits set beyond the length are an error, as in ip(8)'s
 * strict mode: "10.0.0.1/8" is refused rather than silently truncated. */
int xgw_prefix_parse(const char *s, struct xgw_prefix *out);
int xgw_mac_parse(const char *s, __u8 mac[6]);
int xgw_svc_parse(const char *s, struct xgw_svc_addr *out);
/* Unsigned decimal in [min, max]. */
int xgw_uint_parse(const char *s, unsigned long min, unsigned long max,
		   unsigned long *out);

const char *xgw_addr_str(const struct xgw_addr *a, char *buf, size_t len);
/* Host routes print as a bare address, as they were written. */
const char *xgw_prefix_str(const struct xgw_prefix *p, char *buf, size_t len);
const char *xgw_mac_str(const __u8 mac[6], char *buf, size_t len);
const char *xgw_svc_str(const struct xgw_svc_addr *s, char *buf, size_t len);

bool xgw_addr_equal(const struct xgw_addr *a, const struct xgw_addr *b);
bool xgw_prefix_contains(const struct xgw_prefix *p, const struct xgw_addr *a);

#endif /* XGW_ADDR_H */
