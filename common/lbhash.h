/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The load balancer's hashes, one definition for the BPF program and for
 * userspace (Maglev builder, tests), so both sides agree bit for bit.
 *
 * xgw_hash32() is MurmurHash3's 32-bit block mix and finaliser (Austin
 * Appleby's public-domain design) over a fixed number of 32-bit words,
 * written out here; the seed is fixed per use, never random: a Maglev table
 * and a flow's backend must come out the same on every gateway.
 */
#ifndef XGW_LBHASH_H
#define XGW_LBHASH_H

#include "xgw_shared.h"

#define XGW_HASH_SEED_FLOW	0x78677731u	/* "xgw1": 5-tuple -> table slot */
#define XGW_HASH_SEED_OFFSET	0x9e3779b9u	/* Maglev offset of a backend */
#define XGW_HASH_SEED_SKIP	0x85ebca6bu	/* Maglev skip of a backend */
#define XGW_HASH_SEED_CLIENT	0x78677732u	/* "xgw2": client address -> table slot */

static inline __u32 xgw_rotl32(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static inline __u32 xgw_hash_mix(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51u;
	k = xgw_rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = xgw_rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

static inline __u32 xgw_hash_final(__u32 h, __u32 len)
{
	h ^= len;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/*
 * Hash of a client flow. Words are taken as stored (network order), read as
 * host integers: the gateway and its tests run on the same byte order, and
 * a multi-gateway deployment shares one architecture.
 */
static inline __u32 xgw_flow_hash(const struct xgw_flow_key *k)
{
	__u32 h = XGW_HASH_SEED_FLOW;

	h = xgw_hash_mix(h, k->src[0]);
	h = xgw_hash_mix(h, k->src[1]);
	h = xgw_hash_mix(h, k->src[2]);
	h = xgw_hash_mix(h, k->src[3]);
	h = xgw_hash_mix(h, k->dst[0]);
	h = xgw_hash_mix(h, k->dst[1]);
	h = xgw_hash_mix(h, k->dst[2]);
	h = xgw_hash_mix(h, k->dst[3]);
	h = xgw_hash_mix(h, ((__u32)k->sport << 16) | k->dport);
	h = xgw_hash_mix(h, ((__u32)k->proto << 8) | k->family);
	return xgw_hash_final(h, 40);
}

/*
 * Hash of a client address alone: the Maglev slot of a service with session
 * persistence, so every connection of a client, on any gateway, lands on
 * the same backend. Words as in xgw_flow_hash().
 */
static inline __u32 xgw_client_hash(const __be32 addr[4], __u8 family)
{
	__u32 h = XGW_HASH_SEED_CLIENT;

	h = xgw_hash_mix(h, addr[0]);
	h = xgw_hash_mix(h, addr[1]);
	h = xgw_hash_mix(h, addr[2]);
	h = xgw_hash_mix(h, addr[3]);
	h = xgw_hash_mix(h, family);
	return xgw_hash_final(h, 17);
}

/*
 * Hash of a backend address for the Maglev permutation. Bytes are folded
 * big-endian so the value is the same on any host byte order: tables built
 * on different machines must match.
 */
static inline __u32 xgw_addr_hash(const __be32 addr[4], __u8 family,
				  __u32 seed)
{
	const __u8 *p = (const __u8 *)addr;
	__u32 h = seed;
	int i;

	for (i = 0; i < 16; i += 4)
		h = xgw_hash_mix(h, ((__u32)p[i] << 24) | ((__u32)p[i + 1] << 16) |
				    ((__u32)p[i + 2] << 8) | p[i + 3]);
	h = xgw_hash_mix(h, family);
	return xgw_hash_final(h, 17);
}

#endif /* XGW_LBHASH_H */
