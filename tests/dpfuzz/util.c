// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* dpfuzz helpers: bytes, checksums (RFC 1071, from scratch), prefixes, random numbers. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "fz.h"

uint16_t fz_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void fz_wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

uint32_t fz_rd32(const uint8_t *p)
{
	return (uint32_t)fz_rd16(p) << 16 | fz_rd16(p + 2);
}

void fz_wr32(uint8_t *p, uint32_t v)
{
	fz_wr16(p, v >> 16);
	fz_wr16(p + 2, v & 0xffff);
}

uint32_t fz_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t fz_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/*
 * The L4 checksum of the IP packet at @l3, over the L4 length its IP header
 * states (IPv6: payload length, no extension headers in what we checksum
 * this way; callers with extension headers do not use it).
 */
void fz_l4_csum_set(uint8_t *f, size_t len, size_t l3)
{
	bool v6 = (f[l3] >> 4) == 6;
	size_t hl = v6 ? 40 : (size_t)(f[l3] & 0xf) * 4, l4 = l3 + hl, l4len, off;
	uint8_t proto = v6 ? f[l3 + 6] : f[l3 + 9];
	uint32_t s = 0;
	uint16_t c;

	l4len = v6 ? fz_rd16(f + l3 + 4) : (size_t)fz_rd16(f + l3 + 2) - hl;
	if (l4 + l4len > len)
		return;
	switch (proto) {
	case 6: off = 16; break;
	case 17: off = 6; break;
	case 1:
	case 58: off = 2; break;
	default: return;
	}
	if (off + 2 > l4len)
		return;
	f[l4 + off] = f[l4 + off + 1] = 0;
	if (proto != 1) {	/* pseudo-header */
		s = fz_sum(f + l3 + (v6 ? 8 : 12), v6 ? 32 : 8, s);
		s += proto + (uint32_t)l4len;
	}
	s = fz_sum(f + l4, l4len, s);
	c = fz_fold(s);
	if (!c && proto == 17)
		c = 0xffff;
	fz_wr16(f + l4 + off, c);
}

int fz_addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

bool fz_prefix_has(int family, const uint8_t *prefix, int len, const uint8_t *addr)
{
	int i;

	(void)family;
	for (i = 0; i < len / 8; i++)
		if (prefix[i] != addr[i])
			return false;
	if (len % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - len % 8));

		if ((prefix[i] & m) != (addr[i] & m))
			return false;
	}
	return true;
}

const char *fz_addr_str(int family, const uint8_t *a, char *buf)
{
	if (!inet_ntop(family == AF_INET ? AF_INET : AF_INET6, a, buf, INET6_ADDRSTRLEN))
		strcpy(buf, "?");
	return buf;
}

/* splitmix64: one 64-bit state, good enough spread, trivially replayable. */
uint64_t fz_rand(struct fz_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint32_t fz_below(struct fz_rng *r, uint32_t n)
{
	return n ? (uint32_t)(fz_rand(r) % n) : 0;
}

bool fz_chance(struct fz_rng *r, uint32_t percent)
{
	return fz_below(r, 100) < percent;
}
