/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * dpfuzz: the differential datapath fuzzer (issue #14). A reference model of
 * what xgw_xdp must do with a frame (model.c), written from the
 * specifications and the project's documented contracts, not from bpf/;
 * random configurations (cfg.c) and frames (gen.c); the driver (dpfuzz.c)
 * runs every frame through the real program with BPF_PROG_TEST_RUN and
 * compares verdict, reason, frame out byte for byte and counters.
 *
 * Addresses are network-order bytes, IPv4 in the first 4 (the rest 0).
 */
#ifndef XGW_DPFUZZ_H
#define XGW_DPFUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xgw_shared.h"

#define FZ_FRAME_MAX	2048	/* largest frame generated */
#define FZ_OUT_MAX	(FZ_FRAME_MAX + 256)	/* room for encapsulation */
#define FZ_MAX_NH	32	/* next hops 1..FZ_MAX_NH-1 */
#define FZ_MAX_PORTS	4	/* devmap keys */
#define FZ_MAX_RT	96	/* routes, both families */
#define FZ_MAX_SVC	8	/* service ids 1..FZ_MAX_SVC-1 */
#define FZ_MAX_BE	64	/* backend ids 1..FZ_MAX_BE-1 */
#define FZ_MAX_SNAT	8	/* NAT pool entries */
#define FZ_MAX_TBL	257	/* Maglev table slots */
#define FZ_LINKS	3	/* ingress links: loopback and two veths of the fuzzer's own netns */
#define FZ_MAX_VIDS	6	/* VLANs a configuration attaches (some links only) */
#define FZ_MAX_GRP	4	/* multipath groups 1..FZ_MAX_GRP-1 */

/* ---- configuration ------------------------------------------------------------ */
struct fz_nh {
	uint8_t dmac[6], smac[6];
	uint32_t ifindex;	/* devmap key (FZ ports), or one not in the devmap */
	uint16_t mtu, vlan;
	bool resolved;
	bool used;		/* written into xgw_nexthops */
};

/*
 * A route of either family, every length into the family's FIB (a VIP mark
 * is a host route, /32 or /128, of action NONE with flag VIP).
 */
struct fz_route {
	int family;
	uint8_t addr[16];
	int len;
	uint8_t action;		/* enum xgw_route_action */
	uint8_t flags;		/* XGW_RT_F_* */
	uint32_t nh;
};

struct fz_svc {
	int family;
	uint8_t vip[16];
	uint16_t port;		/* host order */
	uint8_t proto, mode, flags;
	uint32_t table_size;
	uint32_t persist_s;
	uint32_t snat_first;
	uint16_t snat_n;
	uint32_t table[FZ_MAX_TBL];	/* backend ids, 0 = none */
};

struct fz_be {
	int family;		/* 0: no backend */
	uint8_t addr[16], src[16];
	uint8_t mode;
	uint16_t flags;		/* XGW_BE_F_* */
	uint32_t nh, svc_id;
	uint16_t port;		/* host order; 0: the service's */
};

struct fz_snat {
	int family;
	uint8_t addr[16];
};

struct fz_cfg {
	uint64_t seed;
	struct fz_nh nh[FZ_MAX_NH];
	uint32_t ports[FZ_MAX_PORTS];	/* devmap keys present */
	int nports;
	struct fz_route rt[FZ_MAX_RT];
	int nrt;
	struct fz_svc svc[FZ_MAX_SVC];	/* index = id; family 0: none */
	struct fz_be be[FZ_MAX_BE];	/* index = id */
	struct fz_snat snat[FZ_MAX_SNAT];	/* index = xgw_snat index */
	uint16_t nat_port_min, nat_port_max;	/* as written: 0 = default */
	uint16_t vids[FZ_MAX_VIDS];	/* VLANs (1..4094) tagged frames mostly carry */
	int nvids;
	uint8_t vid_on[FZ_LINKS];	/* bit i: vids[i] attached on that link (xgw_ifinfo) */
	struct {
		bool used;
		uint32_t seed;
		uint16_t bucket[XGW_NHG_BUCKETS];	/* as xgw_nhg_fill() left them */
	} grp[FZ_MAX_GRP];		/* multipath groups (xgw_nh_groups) */
	bool icmp;			/* ICMP errors in XDP on (icmp-rate unlimited) */
	uint8_t addr4[FZ_LINKS][4];	/* each link's addresses (xgw_ifinfo), 0: none */
	uint8_t addr6[FZ_LINKS][16];
};

/* ---- model state: what the datapath remembers between frames -------------------- */
struct fz_flow {
	int family;
	uint8_t proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;	/* host order */
};

struct fz_ct {
	bool used;
	struct fz_flow key;
	uint8_t kind;		/* enum xgw_ct_kind */
	uint32_t be, svc;
	uint8_t est, fin_orig, fin_reply, rst;
	uint8_t nat_src[16], nat_dst[16];
	uint16_t nat_sport, nat_dport;
};

#define FZ_CT_SLOTS	(1u << 17)	/* model's connection table (open addressing) */
#define FZ_PERSIST_SLOTS 4096
#define FZ_REPLIES	32768

struct fz_persist {
	bool used;
	uint32_t svc;
	int family;
	uint8_t client[16];
	uint32_t be;
};

struct fz_counts {
	struct xgw_counter reason[XGW_REASON_MAX];
	struct xgw_counter nh[FZ_MAX_NH];
	struct xgw_lb_counter svc[FZ_MAX_SVC];
	struct xgw_lb_counter be[FZ_MAX_BE];
};

struct fz_state {
	struct fz_ct *ct;		/* FZ_CT_SLOTS */
	unsigned int nct;
	uint32_t *seen;			/* XGW_CT_SEEN_SLOTS */
	uint32_t *seen_used;		/* the slots set, in order (to clear them) */
	unsigned int nseen_used;
	struct fz_persist *persist;	/* FZ_PERSIST_SLOTS */
	struct fz_flow *replies;	/* NAT reply keys made, in order (FZ_REPLIES) */
	unsigned int nreplies;
	struct fz_counts cnt;		/* what the counters must have moved by */
};

int fz_state_init(struct fz_state *st);
void fz_state_reset(struct fz_state *st);
void fz_state_free(struct fz_state *st);
struct fz_ct *fz_ct_find(struct fz_state *st, const struct fz_flow *k);

/* ---- one frame's expectation -------------------------------------------------- */
enum fz_op_kind { FZ_OP_SEEN, FZ_OP_CT, FZ_OP_PERSIST };

/* A change of the model's state the frame makes, applied by fz_model_commit(). */
struct fz_op {
	enum fz_op_kind kind;
	uint32_t slot, val;		/* SEEN */
	struct fz_ct ct;		/* CT (by key) */
	struct fz_persist p;		/* PERSIST */
};

#define FZ_MAX_OPS	4

/* What a frame went through in the model: coverage, told at the end of a run. */
#define FZ_PATHS(X)							\
	X(VLAN_IN, "tagged in")	X(VLAN_OUT, "tagged out")			\
	X(IP_OPTIONS, "ipv4 options") X(EXTHDR, "ipv6 ext headers")		\
	X(FRAGMENT, "fragment") X(VIP, "vip")					\
	X(DSR, "dsr") X(IPIP, "ipip") X(LEARN, "learnt") X(STALE, "stale entry")	\
	X(CT_HIT, "ct hit")	\
	X(PERSIST, "persisted") X(ICMP_LB, "icmp to backend")			\
	X(NAT_NEW, "nat new") X(NAT_ORIG, "nat orig") X(NAT_REPLY, "nat reply")	\
	X(NAT_ICMP, "nat icmp") X(NAT_NOPORT, "nat no port") X(ICMP_ERR, "icmp error sent") \
	X(MULTIPATH, "multipath")

enum fz_path {
#define FZ_X_ENUM(id, name) FZ_P_##id,
	FZ_PATHS(FZ_X_ENUM)
#undef FZ_X_ENUM
	FZ_P_MAX
};

struct fz_expect {
	uint32_t verdict;		/* XDP_* */
	enum xgw_reason reason;
	uint8_t out[FZ_OUT_MAX];
	size_t out_len;
	uint32_t nh;			/* next hop counted, 0: none */
	uint32_t svc, be;		/* service and backend counted, 0: none */
	bool new_flow;
	uint32_t known;			/* bit per known bug (known.h) whose deviation applied */
	uint32_t paths;			/* bit per enum fz_path */
	/*
	 * A new NAT flow: its source address and port are the datapath's
	 * choice within the rules. The model says where to read them in the
	 * frame out (nat_at: the IP header, nat_l4: the ports); the driver
	 * reads them from the datapath's frame and asks again with nat_forced,
	 * and the model then checks the choice (pool or the backend's source,
	 * port range, no mapping in use) and builds the frame with it.
	 * nat_noport_ok: nat_no_port is a right answer too (the candidates the
	 * datapath may try can all be taken before every pair is).
	 */
	bool nat_choice;
	bool nat_noport_ok;
	size_t nat_at, nat_l4;
	bool nat_forced;		/* in: the choice below */
	bool nat_forced_noport;		/* in: the datapath said nat_no_port */
	uint8_t nat_addr[16];
	uint16_t nat_port;
	uint16_t icmp_mtu;		/* the refusing next hop's MTU, less encapsulation */
	size_t icmp_id_at;		/* an IPv4 ICMP error's IP ID: the datapath's (random) */
	struct fz_op ops[FZ_MAX_OPS];
	int nops;
	char why[256];			/* the rules that decided, for the report */
};

/* An IPv4 ICMP error (x->icmp_id_at): its IP ID taken from the datapath's frame @out. */
void fz_model_icmp_id(struct fz_expect *x, const uint8_t *out, size_t out_len);

/* What must happen to @in (@len bytes) under @c with state @st. */
void fz_model(const struct fz_cfg *c, const struct fz_state *st, const uint8_t *in,
	      size_t len, int link, struct fz_expect *x);
/*
 * A new NAT flow (x->nat_choice): take the datapath's choice from its frame
 * (@verdict, @out) into @x and ask the model again (fz_model() with
 * x->nat_forced), which checks it and builds the frame with it.
 */
void fz_model_nat_choice(const struct fz_cfg *c, const struct fz_state *st, const uint8_t *in,
			 size_t len, int link, uint32_t verdict, const uint8_t *out, size_t out_len,
			 struct fz_expect *x);
/* Apply @x's state changes and counters to @st. */
void fz_model_commit(struct fz_state *st, const struct fz_expect *x, size_t in_len);

/* ---- helpers shared by the model, the generator and the driver ------------------- */
uint16_t fz_rd16(const uint8_t *p);
void fz_wr16(uint8_t *p, uint16_t v);
uint32_t fz_rd32(const uint8_t *p);
void fz_wr32(uint8_t *p, uint32_t v);
/* RFC 1071 over @len bytes, plus @sum (unfolded); fz_fold() complements. */
uint32_t fz_sum(const uint8_t *p, size_t len, uint32_t sum);
uint16_t fz_fold(uint32_t sum);
/* Set the L4 checksum of the IP packet at @l3 (its headers must be whole). */
void fz_l4_csum_set(uint8_t *f, size_t len, size_t l3);
int fz_addr_bits(int family);
bool fz_prefix_has(int family, const uint8_t *prefix, int len, const uint8_t *addr);
const char *fz_addr_str(int family, const uint8_t *a, char *buf);

/* ---- random numbers: one seeded stream per use --------------------------------- */
struct fz_rng {
	uint64_t s;
};

uint64_t fz_rand(struct fz_rng *r);
uint32_t fz_below(struct fz_rng *r, uint32_t n);	/* [0, n) */
bool fz_chance(struct fz_rng *r, uint32_t percent);

/* ---- configurations (cfg.c) and frames (gen.c) -------------------------------- */
void fz_cfg_random(struct fz_cfg *c, uint64_t seed);
void fz_cfg_print(const struct fz_cfg *c);

#define FZ_EV_NEXTHOPS	0x1	/* next hops to write again */
#define FZ_EV_SERVICES	0x2	/* backends, tables, services */
unsigned int fz_cfg_event(struct fz_cfg *c, uint64_t seed, char *what, size_t wlen);

struct fz_gen;
struct fz_gen *fz_gen_new(const struct fz_cfg *c, uint64_t seed);
void fz_gen_free(struct fz_gen *g);
/*
 * The next frame into @buf; returns its length (>= 14). @what names its
 * kind, @link the ingress link it arrives on (0..FZ_LINKS-1).
 */
size_t fz_gen_frame(struct fz_gen *g, const struct fz_state *st, uint8_t *buf,
		    const char **what, int *link);

#endif /* XGW_DPFUZZ_H */
