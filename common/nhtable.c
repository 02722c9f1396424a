// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Next hops and groups written under a reading datapath: see nhtable.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <bpf/bpf.h>

#include "nhtable.h"

/*
 * The whole memory of array map @fd, whose values must be @vsize bytes
 * and which must be mmappable; *n is its number of entries.
 */
static void *nh_map_array(int fd, __u32 vsize, size_t *len, __u32 *n)
{
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		return NULL;
	if (info.type != BPF_MAP_TYPE_ARRAY || info.value_size != vsize ||
	    !(info.map_flags & BPF_F_MMAPABLE) || vsize % 8) {
		errno = EINVAL;
		return NULL;
	}
	*n = info.max_entries;
	*len = ((size_t)vsize * info.max_entries + page - 1) / page * page;
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

int xgw_nh_table_init(struct xgw_nh_table *t, struct xgw_nh_slot *slot, __u32 n_slot,
		      struct xgw_nh_group *group, __u32 n_group)
{
	memset(t, 0, sizeof(*t));
	t->sync_fd = t->sync_inner_fd = -1;
	t->slot = slot;
	t->n_slot = n_slot;
	t->group = group;
	t->n_group = group ? n_group : 0;
	/* A slot switched just before we came (a restart) counts as recent. */
	t->flip_epoch = calloc(n_slot ? n_slot : 1, sizeof(*t->flip_epoch));
	return t->flip_epoch ? 0 : -ENOMEM;
}

int xgw_nh_table_open(struct xgw_nh_table *t, int nh_fd, int group_fd)
{
	size_t len_slot = 0, len_group = 0;
	__u32 n_slot = 0, n_group = 0;
	void *slot, *group = NULL;
	int err;

	slot = nh_map_array(nh_fd, sizeof(struct xgw_nh_slot), &len_slot, &n_slot);
	if (!slot)
		return -errno;
	if (group_fd >= 0) {
		group = nh_map_array(group_fd, sizeof(struct xgw_nh_group), &len_group, &n_group);
		if (!group) {
			err = -errno;
			munmap(slot, len_slot);
			return err;
		}
	}
	err = xgw_nh_table_init(t, slot, n_slot, group, n_group);
	if (err) {
		munmap(slot, len_slot);
		if (group)
			munmap(group, len_group);
		return err;
	}
	t->len_slot = len_slot;
	t->len_group = len_group;
	return 0;
}

void xgw_nh_table_close(struct xgw_nh_table *t)
{
	if (!t->flip_epoch)
		return;	/* never opened (zeroed), or closed */
	if (t->len_slot)
		munmap(t->slot, t->len_slot);
	if (t->len_group)
		munmap(t->group, t->len_group);
	if (t->sync_fd >= 0)
		close(t->sync_fd);
	if (t->sync_inner_fd >= 0)
		close(t->sync_inner_fd);
	free(t->flip_epoch);
	memset(t, 0, sizeof(*t));
}

/*
 * Wait until every XDP program running now has returned. The kernel waits
 * for a grace period (synchronize_rcu()) before an update of an
 * ARRAY_OF_MAPS returns, so that userspace knows no program still uses
 * the old value: a one-slot map-in-map of our own, updated, does it. Plain
 * memory (unit tests) has no datapath to wait for: only counted.
 */
static int nh_grace(struct xgw_nh_table *t)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	__u32 key = 0;

	if (!t->len_slot) {
		t->epoch++;
		return 0;
	}
	if (t->sync_fd < 0) {
		t->sync_inner_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xgw_grace_in", 4, 4, 1, NULL);
		if (t->sync_inner_fd < 0)
			return -errno;
		opts.inner_map_fd = t->sync_inner_fd;
		t->sync_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "xgw_grace", 4, 4, 1,
					    &opts);
		if (t->sync_fd < 0)
			return -errno;
	}
	if (bpf_map_update_elem(t->sync_fd, &key, &t->sync_inner_fd, BPF_ANY))
		return -errno;
	t->epoch++;
	return 0;
}

int xgw_nh_write(struct xgw_nh_table *t, __u32 nh_id, const struct xgw_nexthop *nh)
{
	struct xgw_nh_slot *s;
	__u32 gen;
	int err;

	if (!nh_id || nh_id >= t->n_slot)
		return -EINVAL;
	s = &t->slot[nh_id];
	gen = __atomic_load_n(&s->gen, __ATOMIC_RELAXED);
	if (!memcmp(&s->v[gen & 1], nh, sizeof(*nh)))
		return 0;
	/* The version we are about to fill was live until the last switch. */
	if (t->flip_epoch[nh_id] >= t->epoch) {
		err = nh_grace(t);
		if (err)
			return err;
	}
	memcpy(&s->v[~gen & 1], nh, sizeof(*nh));
	__atomic_store_n(&s->gen, gen + 1, __ATOMIC_RELEASE);
	t->flip_epoch[nh_id] = t->epoch;
	return 0;
}

int xgw_nh_read(const struct xgw_nh_table *t, __u32 nh_id, struct xgw_nexthop *nh)
{
	const struct xgw_nh_slot *s;

	if (nh_id >= t->n_slot)
		return -EINVAL;
	s = &t->slot[nh_id];
	*nh = s->v[__atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) & 1];
	return 0;
}

int xgw_nhg_write(struct xgw_nh_table *t, __u32 id, __u32 seed, const __u16 *bucket)
{
	struct xgw_nh_group *g;
	int i, n = 0;

	if (!id || id >= t->n_group)
		return -EINVAL;
	g = &t->group[id];
	if (g->seed != seed)
		__atomic_store_n(&g->seed, seed, __ATOMIC_RELAXED);
	for (i = 0; i < XGW_NHG_BUCKETS; i++) {
		if (g->bucket[i] == bucket[i])
			continue;
		__atomic_store_n(&g->bucket[i], bucket[i], __ATOMIC_RELAXED);
		n++;
	}
	return n;
}

int xgw_nhg_read(const struct xgw_nh_table *t, __u32 id, struct xgw_nh_group *g)
{
	if (id >= t->n_group)
		return -EINVAL;
	memcpy(g, &t->group[id], sizeof(*g));
	return 0;
}
