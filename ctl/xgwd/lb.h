/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Load balancer state inside xgwd (lb.c) and its health checker (health.c).
 *
 * Desired state (what the operator configured and the state file keeps):
 * services (mode, health check, all-down policy, NAT pool, persistence),
 * and per service its backends (address and port, weight, check, drain).
 * Observed state: each backend's health (up/down). The Maglev table of a
 * service holds exactly its backends that have weight > 0, are not drained
 * and are up; with none, under all-down drop every slot is 0 and new flows
 * are dropped (reason no_backend), under all-down use-all it holds every
 * backend not drained. Established flows to drained backends continue,
 * flows to down or deleted backends are re-picked.
 *
 * A backend's place in its table depends only on its address, port and
 * weight (common/maglev.h), never on ids: every gateway with the same
 * service builds the same table (its canonical form and digest show it).
 *
 * Ids: service ids 1..XGW_MAX_SERVICES-1 and backend ids (global, one per
 * (service, address, port)) 1..XGW_MAX_BACKENDS-1 are handed out round-robin, so
 * an id freed now is reused only after every other one was (or by the same
 * service or backend coming back): a stale connection-table entry cannot
 * point at a newcomer. Deleting a service or backend also purges its
 * connection-table entries.
 */
#ifndef XGWD_LB_H
#define XGWD_LB_H

#include <stdbool.h>
#include "xgwd.h"

/* ---- the hooks the rest of xgwd calls (all with d->lock held) ------------- */
/* After the maps are loaded or adopted, before the state file is replayed. */
int lb__init(struct xgwd *d);
/* At exit: stop the health checker; never clears any map (hitless restart). */
void lb__fini(struct xgwd *d);
/*
 * Check c (a service or backend command) without applying it: everything
 * decidable from the command and the current state. Batches call this for
 * each line first. 0 or -errno with a one-line message in err.
 */
int lb__check(struct xgwd *d, const struct xgw_cmd *c, char *err, size_t errlen);
/*
 * Apply c: obj XGW_OBJ_SERVICE or XGW_OBJ_BACKEND, any verb (add, replace,
 * del, set, show). Reads print with common/json_print.h's calls (jp_open()
 * was already called on the reply; text and JSON from the same calls).
 * For a write, before changing anything, push onto undo (when not NULL) the command(s) that would restore the previous state, e.g.
 * `service del` pushes `service add` plus one `backend add`/`set` per
 * backend. 0, or -errno with a one-line message in err and nothing changed.
 * xgwd saves the state file after a successful write.
 */
int lb__apply(struct xgwd *d, const struct xgw_cmd *c,
	      struct xgwd_undo *undo, char *err, size_t errlen);
/* Write the desired state as command lines (xgw_cmd_format), services then
 * their backends; kept: with the backends kept from an adopted datapath
 * (the state file has their lines; the running state a reload or a batch
 * compares with has not, so those apply them again). 0 or -errno. */
int lb__save(struct xgwd *d, FILE *f, bool kept);
/* Append Prometheus text (HELP/TYPE + samples) for services and backends. */
void lb__metrics(struct xgwd *d, FILE *f);

/*
 * Health-check defaults: a gateway wants to notice a dead backend fast. A
 * service overrides them for its backends, a backend for itself (struct
 * xgw_check: what is not said is inherited). TCP services check with a TCP
 * connect by default, UDP services not at all (a TCP check would mark a
 * UDP-only backend down).
 */
#define LB_CHECK_INTERVAL_MS	1000
#define LB_CHECK_TIMEOUT_MS	500
#define LB_CHECK_RISE		2
#define LB_CHECK_FALL		3

struct lb_backend {
	struct xgw_addr addr;
	__u16 port;			/* 0: the service's port */
	__u32 id;			/* xgw_backends / xgw_be_stats index */
	unsigned int weight;
	bool drain;
	struct xgw_check check;		/* as said: the rest is the service's */
	bool down;			/* health: failed `fall` checks in a row */
	bool proven;			/* a check passed, it has none, or the adopted
					 * datapath had it up: may carry the VIP's
					 * announcement (a fresh gateway that cannot
					 * reach its backends must not attract traffic) */
	unsigned int ok_run, fail_run;	/* consecutive results */
	bool probing;			/* health.c has a probe in flight */
	__u64 next_probe_ms;		/* CLOCK_MONOTONIC; 0: due now */
	__u32 nh_id;			/* reference held on the next hop */
	struct xgw_addr src;		/* ipip outer source, nat source without a pool */
	bool src_marked;		/* nat: src marked VIP (replies come back to it) */
	bool kept;			/* its line failed at restore: next hop and source
					 * as the adopted datapath had them (#12.1) */
};

struct lb_service {
	struct xgw_svc_addr svc;
	__u32 id;
	int mode;			/* enum xgw_lb_mode */
	unsigned int table_size;
	enum xgw_all_down all_down;
	struct xgw_check check;		/* its backends' default, as said */
	struct xgw_addr snat_first, snat_last;	/* nat source pool; family 0: none */
	__u32 snat_idx;			/* its first entry in xgw_snat */
	unsigned int persist_s;		/* session persistence, 0 = off */
	bool use_all;			/* all-down use-all in force: every backend down */
	__u64 digest;			/* maglev__digest() of the table published */
	struct lb_backend *be;
	size_t n_be, cap_be;
	bool deferred;			/* adopted: table published after restore */
};

/* A recently deleted service (addr.family 0) or backend, and its id. */
struct lb_grave {
	struct xgw_svc_addr svc;
	struct xgw_addr addr;
	__u16 port;
	__u32 id;
};
#define LB_GRAVES	256

/* A service kept as the adopted datapath has it: its line failed at restore. */
struct lb_kept {
	struct xgw_svc_addr svc;
	struct xgw_service v;		/* its entry */
	__u32 *be;			/* its backends' ids, reserved */
	__u32 *nh;			/* per backend: the next hop held, 0: none */
	size_t n_be;
	struct xgw_addr *marks;		/* VIP marks it holds (VIP, pool, nat sources) */
	size_t n_marks;
	bool pool;			/* its xgw_snat entries are reserved */
};

struct lb_state {
	struct lb_service *svc[XGW_MAX_SERVICES];	/* index = id */
	__u8 be_used[XGW_MAX_BACKENDS];
	__u32 next_svc_id, next_be_id;			/* round-robin cursors */
	/* the same service or backend coming back (a rolled-back delete, a
	 * re-add) gets its old id, and so its counters, when still free */
	struct lb_grave grave[LB_GRAVES];
	unsigned int grave_next;
	int fd_services, fd_maglev, fd_backends, fd_ct, fd_snat;
	__u8 snat_used[XGW_MAX_SNAT];			/* xgw_snat entries taken */
	int fd_svc_stats, fd_be_stats;

	bool adopt_pending;		/* sweep leftovers once the restore is done */
	/* until then: ids the adopted datapath uses (a new service or backend
	 * of the restore takes none of them) and its backend entries */
	__u8 svc_adopted[XGW_MAX_SERVICES];
	__u16 snat_adopted[XGW_MAX_SNAT];		/* its service's id, 0: free */
	struct xgw_backend *adopted_be;			/* XGW_MAX_BACKENDS */
	struct lb_kept *kept[XGW_MAX_SERVICES];		/* index = its id */

	pthread_t health;
	bool health_running;
	int health_stop_fd[2];		/* pipe: wakes the checker to stop */
};

_Static_assert(XGW_MAX_SERVICES <= 65536, "snat_adopted holds service ids in 16 bits");

static inline struct lb_state *lb_state(struct xgwd *d)
{
	return d->lb;
}

/*
 * lb.c, called by health.c with d->lock held before its first round (the
 * state file has been replayed by then): after adopting pinned maps, drop
 * services and backends the state file no longer has, publish the tables.
 */
void lb__adopt_finish(struct xgwd *d);
/*
 * Lines of the state file that failed at a restore over an adopted datapath
 * keep what forwards (#12.1; state.c calls these before the FIB commit):
 * - a failed `backend add` of a backend the datapath has: the backend stays
 *   in its service with its next hop and source as adopted (so the table
 *   is the same, health checks go on); an add of it later sets it up anew;
 * - a failed `service add`: lb__keep_service() keeps the service as the
 *   datapath has it (entry, table, backends, next hops, VIP marks), outside
 *   the desired state, until lb__unkeep() lets it go (a reload dropped the
 *   line, or a command replaced or deleted the service).
 */
enum lb_kept_how {
	LB_NOT_KEPT,
	LB_KEPT_IN_SERVICE,	/* a backend, in its service: lb__save() writes it */
	LB_KEPT_AS_IS,		/* a service (or a backend of it) outside the state */
};
int lb__keep_service(struct xgwd *d, const struct xgw_svc_addr *sa);
enum lb_kept_how lb__kept(struct xgwd *d, const struct xgw_cmd *c);
void lb__unkeep(struct xgwd *d, const struct xgw_cmd *c);
/* lb.c: called by health.c with d->lock held with each probe's result. */
int lb__backend_health(struct xgwd *d, __u32 svc_id, __u32 be_id, bool ok);
/*
 * The check backend b of s runs: the defaults, overridden by what s says,
 * overridden by what b says (b NULL: the service's own view).
 */
void lb__check_effective(const struct lb_service *s, const struct lb_backend *b,
			 struct xgw_check *out);
/* The port b listens on: its own, else the service's. */
static inline __u16 lb_backend_port(const struct lb_service *s, const struct lb_backend *b)
{
	return b->port ? b->port : s->svc.port;
}

/* health.c */
int health__start(struct xgwd *d);
void health__stop(struct xgwd *d);
/*
 * One probe of check ck, blocking up to ck->timeout_ms: TCP connect to
 * addr:port, plus for http a GET of ck->path expecting ck->expect_code (any
 * 2xx when 0), or for udp a datagram of ck->payload whose answer must start
 * with ck->expect. 0 = healthy, else -errno (-ETIMEDOUT, -ECONNREFUSED,
 * -EPROTO for a wrong answer). Exposed for tests.
 */
int health__probe(const struct xgw_addr *addr, __u16 port, const struct xgw_check *ck);

#endif /* XGWD_LB_H */
