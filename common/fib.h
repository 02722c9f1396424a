/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The FIB's userspace half, both families: the route set, and the arrays
 * the datapath reads (layout in common/xgw_shared.h, design in
 * docs/fib.md), kept equal.
 *
 * A change recomputes the chunks and entries it covers and writes only
 * those that differ, so that a datapath reading concurrently sees, for
 * every address, the answer of the table before the change or after it:
 * a new chunk is complete before a value points at it, a hash slot gets
 * its key before its value, and memory nothing points at any more is
 * reused only after XGW_FIB_GRACE_MS (an XDP program holds no pointer that
 * long). Between xgw_fib_begin() and xgw_fib_end() changes are only
 * recorded and written together at the end (each chunk once), the way to
 * load a large table.
 *
 * Before anything is written a change checks that it fits (heap, hash
 * buckets, leaves); if not it returns -ENOSPC with nothing changed, and
 * xgw_fib_full() names the limit. One writer; no locking inside.
 */
#ifndef XGW_FIB_H
#define XGW_FIB_H

#include <stdbool.h>
#include <stddef.h>
#include "xgw_shared.h"

#define XGW_FIB_GRACE_MS	50

struct xgw_fib;

/*
 * One family's arrays: its maps' memory (xgw_fib_map(): the tables of
 * struct xgw_fib4_tables / xgw_fib6_tables and the records), or any memory
 * (tests size them as they like).
 */
struct xgw_fib_mem {
	int family;			/* AF_INET or AF_INET6 */
	__u32 *dir;			/* XGW_FIB_DIR entries */
	__u16 *heap;
	__u32 heap_units;		/* a power of two */
	__u32 *leaves;			/* XGW_FIB_LEAVES entries */
	void *recs;			/* struct xgw_fib4_rec or xgw_fib6_rec */
	__u32 nrecs;
	struct xgw_fib_b32 *h32;	/* IPv6 only */
	struct xgw_fib_b48 *h48;
	struct xgw_fib_bd *hd;
	__u32 nh32, nh48, nhd;		/* buckets, powers of two */
	void *map[2];			/* what xgw_fib_map() mapped, and how long */
	size_t maplen[2];
};

/* A family's maps: the tables (xgw_fib4, xgw_fib6) and the route records. */
struct xgw_fib_fds {
	int tables, recs;
};

/*
 * Take charge of @mem. Without @adopt the arrays are cleared. With @adopt
 * they keep what the datapath uses now, and set/del only change the route
 * set until xgw_fib_commit() writes the result in one pass (a restarted
 * daemon replays its routes without the datapath ever seeing a partial
 * table); the route records say what the datapath had
 * (xgw_fib_adopted()). Returns 0 or -errno.
 */
int xgw_fib_open(struct xgw_fib **fp, const struct xgw_fib_mem *mem, bool adopt);
void xgw_fib_close(struct xgw_fib *f);

/*
 * Add or replace the route for @addr/@len (network byte order, 1 or 4
 * words; host bits ignored) with @rt. Flags (XGW_RT_F_*) belong to host
 * routes (/32, /128) only. A route with action XGW_RT_NONE is a mark,
 * host-length too: its flags are added to the route beneath it (a VIP with
 * no route of its own). Returns 0; -EINVAL for a bad length, action or
 * next hop, or flags or a mark on a shorter route; -ENOSPC when it does
 * not fit (nothing changed).
 */
int xgw_fib_set(struct xgw_fib *f, const __be32 *addr, int len, const struct xgw_route *rt);

/* Remove the route for @addr/@len. Returns 0, -ENOENT, or -ENOSPC (a
 * chunk that must be rewritten has no room; nothing changed). */
int xgw_fib_del(struct xgw_fib *f, const __be32 *addr, int len);

/* The route set's own route for exactly @addr/@len. 0 or -ENOENT. */
int xgw_fib_get(const struct xgw_fib *f, const __be32 *addr, int len, struct xgw_route *rt);

/* What the datapath finds for @addr now (reads the arrays). False: none. */
bool xgw_fib_lookup(const struct xgw_fib *f, const __be32 *addr, struct xgw_route *rt);

/*
 * The route the datapath had for exactly @addr/@len before an adopting
 * open (its route records): xgwd keeps next-hop ids across a restart with
 * it. 0 or -ENOENT.
 */
int xgw_fib_adopted(const struct xgw_fib *f, const __be32 *addr, int len, struct xgw_route *rt);

/*
 * After an adopting open: write the route set replayed since, in one pass
 * (everything is recomputed, what differs written). Returns 0, or -errno
 * with nothing written (-ENOSPC: see xgw_fib_full()); the FIB then stays
 * adopting: change the route set and commit again. -EBUSY inside a batch.
 */
int xgw_fib_commit(struct xgw_fib *f);

/*
 * A batch: changes from xgw_fib_begin() on are recorded and written at
 * xgw_fib_end(), each chunk once (batches nest; while adopting, nothing is
 * written before the commit). xgw_fib_end() returns 0, or -errno with
 * nothing written and the batch still open: undo its changes, then
 * xgw_fib_end() again (which then has nothing new to write).
 */
void xgw_fib_begin(struct xgw_fib *f);
int xgw_fib_end(struct xgw_fib *f);

/* After -ENOSPC: which limit, in words an operator can act on. */
const char *xgw_fib_full(const struct xgw_fib *f);

struct xgw_fib_stats {
	__u32 routes;		/* in the route set, marks included */
	__u32 leaves;		/* distinct answers in use */
	__u32 chunks;
	__u64 heap_bytes, heap_max;	/* chunk heap in use (allocated blocks) and size */
	__u32 hash_keys, hash_max;	/* IPv6: /32, /48, host and deep keys; slots */
	__u64 bytes;		/* memory the lookups can touch, in use */
	__u64 bytes_max;	/* all the lookup arrays */
};
void xgw_fib_stats(const struct xgw_fib *f, struct xgw_fib_stats *st);

/*
 * Map one family's maps whole (from a skeleton or bpf_obj_get()) with
 * @prot (PROT_READ, or PROT_READ | PROT_WRITE; the fds must be writable
 * either way). Checks their shapes against common/xgw_shared.h. Returns 0,
 * or -errno with nothing mapped.
 */
int xgw_fib_map(int family, const struct xgw_fib_fds *fds, int prot, struct xgw_fib_mem *m);
void xgw_fib_unmap(struct xgw_fib_mem *m);

/*
 * The same by the maps' names (xgw_fib4, xgw_fib4_routes, ...): those of a
 * loaded object (@obj, a struct bpf_object *), or those pinned in @pin_dir.
 */
int xgw_fib_map_object(void *obj, int family, int prot, struct xgw_fib_mem *m);
int xgw_fib_map_pinned(const char *pin_dir, int family, int prot, struct xgw_fib_mem *m);

/* The packed answer the datapath gives for @addr (0: none), from @m alone. */
__u32 xgw_fib_read(const struct xgw_fib_mem *m, const __be32 *addr);

/*
 * A 64-bit digest of what the arrays mean (every chunk's ranges with their
 * leaves' values, every hash key with its value), independent of where
 * chunks and leaves happen to sit: equal route sets give equal digests.
 */
__u64 xgw_fib_digest(const struct xgw_fib_mem *m);

#endif /* XGW_FIB_H */
