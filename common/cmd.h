/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The command grammar shared by xgwctl, xgwd's control socket, -batch files
 * and the saved state file: one command per line, words as ip(8) takes them.
 * xgw_cmd_parse() turns words into a struct xgw_cmd or a one-line error
 * naming the bad token; xgw_cmd_format() prints the canonical line back
 * (what the state file stores), so parse(format(c)) == c.
 */
#ifndef XGW_CMD_H
#define XGW_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include "addr.h"

enum xgw_obj {
	XGW_OBJ_LINK,
	XGW_OBJ_ROUTE,
	XGW_OBJ_NEIGH,
	XGW_OBJ_STATS,
	XGW_OBJ_SET,
	XGW_OBJ_SERVICE,
	XGW_OBJ_BACKEND,
	XGW_OBJ_TOP,		/* client side only: polls stats */
	XGW_OBJ_DAEMON,		/* daemon show | reload */
	XGW_OBJ_VLAN,		/* VLANs attached on a link (router-dp) */
};

enum xgw_verb {
	XGW_V_SHOW,
	XGW_V_ADD,
	XGW_V_REPLACE,
	XGW_V_DEL,
	XGW_V_GET,		/* route get ADDR */
	XGW_V_ATTACH,		/* link attach */
	XGW_V_DETACH,		/* link detach */
	XGW_V_RESET,		/* stats reset */
	XGW_V_LATENCY,		/* stats latency */
	XGW_V_SET,		/* set KEY VALUE, backend set ... */
	XGW_V_HELP,
	XGW_V_FOLLOW,		/* route follow table T [proto P] */
	XGW_V_UNFOLLOW,		/* route unfollow table T [proto P] */
	XGW_V_RELOAD,		/* daemon reload */
};

enum xgw_link_mode {
	XGW_LINK_NATIVE,
	XGW_LINK_GENERIC,
	XGW_LINK_DECAP,		/* backend host: decapsulate ipip for the stack */
};

enum xgw_route_type {
	XGW_ROUTE_VIA,		/* via ADDR [dev DEV] */
	XGW_ROUTE_DEV,		/* dev DEV: destination is on-link */
	XGW_ROUTE_BLACKHOLE,
	XGW_ROUTE_LOCAL,	/* only made by xgwd from the gateway's addresses */
	XGW_ROUTE_MULTIPATH,	/* nexthop via ADDR [dev DEV] [weight W] ... */
	XGW_ROUTE_KERNEL,	/* only made by xgwd: a followed route that the
				 * datapath hands to the kernel (unreachable,
				 * prohibit, throw; an egress not attached) */
};

enum xgw_check_type {
	XGW_CHECK_DEFAULT,	/* not said: the service's check (backend), or the
				 * protocol's default (service): tcp for TCP, none for UDP */
	XGW_CHECK_TCP,		/* TCP connect */
	XGW_CHECK_HTTP,		/* GET path, expect a 2xx (or the given) status */
	XGW_CHECK_UDP,		/* send payload, expect a reply starting with expect */
	XGW_CHECK_NONE,
};

/* What to do with new flows when every backend of a service is down. */
enum xgw_all_down {
	XGW_ALLDOWN_DROP,	/* default: drop them (reason no_backend) */
	XGW_ALLDOWN_USE_ALL,	/* spread them over all backends, down or not */
};

#define XGW_HTTP_PATH_MAX	128
#define XGW_CHECK_DATA_MAX	64	/* udp check payload / expected reply */

/*
 * A health check as said on a service or a backend. Whatever is not said
 * (type XGW_CHECK_DEFAULT, a time or count of 0) is inherited: a backend's
 * from its service, a service's from the defaults (ctl/xgwd/lb.h).
 */
struct xgw_check {
	enum xgw_check_type type;
	unsigned int expect_code;	/* http: the wanted status, 0 = any 2xx */
	unsigned int interval_ms;	/* between probe starts */
	unsigned int timeout_ms;	/* of one probe */
	unsigned int rise;		/* successes in a row to come up */
	unsigned int fall;		/* failures in a row to go down */
	unsigned int payload_len, expect_len;
	char path[XGW_HTTP_PATH_MAX];	/* http */
	__u8 payload[XGW_CHECK_DATA_MAX];	/* udp */
	__u8 expect[XGW_CHECK_DATA_MAX];	/* udp: a prefix of the reply */
};

/*
 * Which fields of a service or backend command were said: `set` changes
 * those and leaves the rest; add and replace take the rest as defaults.
 */
#define XGW_LB_F_WEIGHT		0x001
#define XGW_LB_F_DRAIN		0x002	/* drain or undrain: backend.drain */
#define XGW_LB_F_CHECK		0x004	/* check type and its arguments */
#define XGW_LB_F_INTERVAL	0x008
#define XGW_LB_F_TIMEOUT	0x010
#define XGW_LB_F_RISE		0x020
#define XGW_LB_F_FALL		0x040
#define XGW_LB_F_ALLDOWN	0x080
#define XGW_LB_F_MODE		0x100
#define XGW_LB_F_TABLE		0x200
#define XGW_LB_F_SNAT		0x400
#define XGW_LB_F_PERSIST	0x800
#define XGW_LB_F_HEALTH		(XGW_LB_F_CHECK | XGW_LB_F_INTERVAL | XGW_LB_F_TIMEOUT | \
				 XGW_LB_F_RISE | XGW_LB_F_FALL)

/* `set` keys */
enum xgw_setting {
	XGW_SET_LATENCY_SAMPLE,	/* set latency-sample N */
	XGW_SET_CT_UDP_TIMEOUT,	/* set ct-udp-timeout SECONDS */
	XGW_SET_CT_FLOOD_LIMIT,	/* set ct-flood-limit FLOWS_PER_SEC */
	/* scale: VIP announcement (ctl/xgwd/announce.c), not datapath config */
	XGW_SET_ANNOUNCE_TABLE,	/* set announce-table TABLE (0: off) */
	XGW_SET_ANNOUNCE,	/* set announce { on | off }: value 1 / 0 */
	/* lb-cp: connection-table timeouts, NAT source ports (lb-dp's config fields) */
	XGW_SET_CT_TCP_SYN_TIMEOUT,	/* set ct-tcp-syn-timeout SECONDS */
	XGW_SET_CT_TCP_EST_TIMEOUT,	/* set ct-tcp-established-timeout SECONDS */
	XGW_SET_CT_TCP_FIN_TIMEOUT,	/* set ct-tcp-fin-timeout SECONDS */
	XGW_SET_CT_TCP_TW_TIMEOUT,	/* set ct-tcp-time-wait-timeout SECONDS */
	XGW_SET_CT_TCP_CLOSE_TIMEOUT,	/* set ct-tcp-close-timeout SECONDS */
	XGW_SET_NAT_PORTS,	/* set nat-ports MIN-MAX: value xgw_nat_ports() */
	XGW_SET_ICMP_RATE,	/* set icmp-rate ERRORS_PER_SEC (per CPU; 0: off) */
	XGW_SET_ICMP_BURST,	/* set icmp-burst ERRORS */
};
#define XGW_SET_LAST	XGW_SET_ICMP_BURST

#define XGW_ROUTE_NH_MAX	8	/* next hops of one typed multipath route */
#define XGW_ROUTE_WEIGHT_MAX	256	/* as ip(8): weight 1..256 */

/* One next hop of a multipath route. */
struct xgw_route_nh {
	struct xgw_addr via;
	char dev[IF_NAMESIZE];		/* "" when not given */
	unsigned int weight;		/* 1..XGW_ROUTE_WEIGHT_MAX */
};

/*
 * set nat-ports MIN-MAX as one value: the two 16-bit fields as they lie in
 * memory (xgw_config.nat_port_min, nat_port_max), read as one 32-bit word.
 */
static inline unsigned long xgw_nat_ports(__u16 min, __u16 max)
{
	union { __u16 p[2]; __u32 v; } u = { .p = { min, max } };

	return u.v;
}

static inline void xgw_nat_ports_split(unsigned long v, __u16 *min, __u16 *max)
{
	union { __u16 p[2]; __u32 v; } u = { .v = (__u32)v };

	*min = u.p[0];
	*max = u.p[1];
}

#define XGW_VID_MAX		4094	/* 802.1Q VIDs 1..4094 */
#define XGW_WEIGHT_MAX		65535
#define XGW_SNAT_POOL_MAX	256	/* addresses in one service's nat source pool */
#define XGW_PERSIST_MAX		604800	/* seconds: a week */

struct xgw_cmd {
	enum xgw_obj obj;
	enum xgw_verb verb;
	union {
		struct {
			char dev[IF_NAMESIZE];	/* "" for show */
			enum xgw_link_mode mode;
		} link;
		struct {
			struct xgw_prefix dst;	/* host address: len 32/128 */
			enum xgw_route_type type;
			struct xgw_addr via;	/* XGW_ROUTE_VIA */
			char dev[IF_NAMESIZE];	/* "" when not given */
			bool summary;		/* show summary: the FIBs' counts */
			unsigned int n_nh;	/* XGW_ROUTE_MULTIPATH: 2.. */
			struct xgw_route_nh nh[XGW_ROUTE_NH_MAX];
		} route;
		struct {
			unsigned long table;	/* 1..2^32-1 */
			int proto;		/* 0..255, -1: any */
			bool list;		/* route follow show */
		} follow;
		struct {
			struct xgw_addr addr;	/* route get ADDR */
		} get;
		struct {
			enum xgw_setting key;
			unsigned long value;
		} set;
		struct {
			char dev[IF_NAMESIZE];	/* add, del */
			unsigned int vid_lo, vid_hi;	/* VIDs vid_lo..vid_hi */
		} vlan;
		struct {
			struct xgw_svc_addr svc;
			int mode;		/* enum xgw_lb_mode */
			unsigned int table_size;	/* 0: default */
			enum xgw_all_down all_down;
			struct xgw_check check;	/* its backends' default */
			struct xgw_addr snat_first, snat_last;	/* nat source pool */
			unsigned int persist_s;	/* session persistence; 0 = off */
			unsigned int said;	/* XGW_LB_F_* */
			bool show_table;	/* show SERVICE table */
		} service;
		struct {
			struct xgw_svc_addr svc;
			struct xgw_addr addr;
			__u16 port;		/* 0: the service's port */
			unsigned int weight;	/* add: default 1 */
			bool drain;
			struct xgw_check check;
			unsigned int said;	/* XGW_LB_F_* */
		} backend;
	};
};

/*
 * Parse argv (without the program name and options) into *cmd. Words may be
 * abbreviated to any unique prefix, as ip(8) accepts. On error returns
 * -EINVAL and writes one line naming the bad token to err, e.g.
 * "invalid prefix \"10.0.0.0/33\"" or "unknown command \"ad\" for route".
 * Semantic checks needing state (does DEV exist, is it a duplicate) are
 * xgwd's.
 */
int xgw_cmd_parse(int argc, char **argv, struct xgw_cmd *cmd,
		  char *err, size_t errlen);

/* Split one line into words in place (whitespace separated; '#' starts a
 * comment). Returns the word count, or -E2BIG past max words. */
int xgw_cmd_split(char *line, char **argv, int max);

/* Canonical line for a state-changing command (no trailing newline).
 * Returns the length, or -ENOSPC. */
int xgw_cmd_format(const struct xgw_cmd *cmd, char *buf, size_t len);

/* The XGW_LB_F_HEALTH bits ck says: a check type, times and counts not 0. */
unsigned int xgw_check_said(const struct xgw_check *ck);

/* Copy into dst the fields of src that said (XGW_LB_F_*) names. */
void xgw_check_merge(struct xgw_check *dst, const struct xgw_check *src, unsigned int said);

/* " check ... interval ... " for the fields in said (XGW_LB_F_*), as the
 * grammar writes them. Returns the length, or -ENOSPC. */
int xgw_check_format(const struct xgw_check *ck, unsigned int said, char *buf, size_t len);

/* Name of a check type, all-down policy or service mode (enum xgw_lb_mode). */
const char *xgw_check_name(enum xgw_check_type t);
const char *xgw_all_down_name(enum xgw_all_down a);
const char *xgw_lb_mode_name(int mode);

/* True for commands that change state (only root / the group may send). */
bool xgw_cmd_is_write(const struct xgw_cmd *cmd);

/* Help text (BNF) for one object, or for all when obj < 0. */
const char *xgw_cmd_help(int obj);

#endif /* XGW_CMD_H */
