/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Fixtures of the load balancer's packet suites (lb_pkt, lb_nat): one xgw
 * object loaded, routes and next hops, backend hosts and services written
 * into its maps the way xgwd writes them, and the expectations computed
 * independently of the datapath: the Maglev table built here from
 * common/maglev.c, indexed by the hashes of common/lbhash.h; checksums
 * recomputed from scratch over whole frames.
 */
#ifndef XGW_LB_LIB_H
#define XGW_LB_LIB_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt_lib.h"
#include "xgw.skel.h"

#define LB_TBL		251	/* Maglev table size: a small prime */
#define LB_HOSTS	8	/* backend hosts 1..7 */
#define LB_SVCS		16	/* service ids 1..15 */
#define LB_RT_NH	9	/* the router: clients and 10.0.0.0/24 */
#define LB_HZ		250	/* xgw_config.hz the suites set */

/* A backend host: its address, the gateway's address towards it, next hop. */
struct lb_host {
	int family;
	const char *addr, *src;
	uint8_t mac[6];		/* its next hop's (nh id = host number) */
};

extern struct xgw_bpf *skel;
extern const uint8_t GW_MAC[6], RT_MAC[6];
extern const struct lb_host HOST[LB_HOSTS];

struct lb_svc {
	int family;
	const char *vip;
	uint16_t port;
	uint8_t proto, mode;
	int hosts[LB_HOSTS];	/* 0-terminated */
	uint32_t persist_s;
	uint16_t be_port;	/* nat: the backends' port (0: the VIP's) */
	uint16_t snat_first, snat_n;	/* nat: pool in xgw_snat */
};

/* Load the object and write everything but services (config: LB_HZ). */
void lb_setup(void);
void lb_teardown(void);
/* Service @sid as @s: its backends (ids lb_be_id()), table, VIP mark. */
void lb_service(int sid, const struct lb_svc *s);
/* Rebuild service @sid's table from @hosts (0-terminated). */
void lb_publish(int sid, const int *hosts);
/* Backend record of host @host in service @sid, with @flags (XGW_BE_F_*). */
void lb_backend_set(int sid, int host, uint16_t flags);
void lb_backend_del(int sid, int host);
uint32_t lb_be_id(int sid, int host);
int lb_be_host(uint32_t be_id);

/* IPv4 route @addr/@len; the host entry of @addr (a /32 or /128). */
void lb_route4(const char *addr, int len, const struct xgw_route *rt);
void lb_host_entry(int family, const char *addr, const struct xgw_route *rt);

/* Write @cfg over xgw_config (layout version and hz filled in). */
void lb_config(struct xgw_config cfg);

/* The host Maglev picks for flow @k of service @sid (persistent: by client). */
int lb_expect_host(int sid, const struct xgw_flow_key *k);
struct xgw_flow_key lb_flow(const struct pkt_spec *s);
/* The host a frame went to (by destination MAC), 0: none. */
int lb_out_host(const struct pkt_run *r);

/* The datapath's clock, in jiffies (low 32 bits), and seconds at LB_HZ. */
uint32_t lb_now(void);
#define LB_SEC(s)	((uint32_t)(s) * LB_HZ)

/* Connection table */
void lb_ct_clear(void);
unsigned int lb_ct_count(void);
bool lb_ct_get(const struct xgw_flow_key *k, struct xgw_ct_entry *e);
void lb_ct_put(const struct xgw_flow_key *k, const struct xgw_ct_entry *e);

/* Sum of a per-CPU xgw_lb_counter field (0 packets, 1 bytes, 2 new flows). */
uint64_t lb_counter(struct bpf_map *m, uint32_t id, int field);

/* Recompute the L4 checksum (TCP/UDP/ICMP/ICMPv6) of the IP packet at @l3. */
void lb_l4_csum(uint8_t *frame, size_t len, size_t l3);
/* pkt_build() with a correct L4 checksum. */
size_t lb_build(const struct pkt_spec *s, uint8_t *buf);
/*
 * An ICMP error frame @ic whose payload is the first @qlen bytes of IP
 * packet @quote (checksums from scratch; the quoted bytes are kept as they
 * are).
 */
size_t lb_build_icmp(const struct pkt_spec *ic, const uint8_t *quote, size_t qlen,
		     uint8_t code, uint8_t *buf);

bool lb_frame_eq(const struct pkt_run *r, const uint8_t *exp, size_t len);
void lb_read_counters(struct pkt_counters *c);
int lb_prog(void);
void lb_die(const char *what, int err) __attribute__((noreturn));
void lb_addr(int family, const char *s, __be32 out[4]);

#endif /* XGW_LB_LIB_H */
