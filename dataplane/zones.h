/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Zone lookup: the policy's prefixes flattened into sorted, disjoint address ranges, each
 * with the zone of the most specific prefix that holds it; a lookup is a binary search.
 * At most 1024 prefixes make at most 2049 ranges per family (36 KiB in all), where DPDK's
 * DIR-24-8 tables took 135 MiB of hugepage memory to clear at every start and reload.
 * Lookups come once per flow record and per event, never per packet. Read-only once built,
 * so every worker shares one; no DPDK, so it is tested without EAL.
 */
#ifndef JG_ZONES_H
#define JG_ZONES_H

#include <stdint.h>

#include "jg_policy.h"

/** An IPv6 address as two big-endian halves, compared as a 128-bit number. */
struct jg_zone_a6 {
	uint64_t hi, lo;
};

struct jg_zones {
	uint32_t n4, n6;        /**< ranges; 0 when nothing was built */
	uint32_t *lo4;          /**< first address of each IPv4 range, ascending, lo4[0] = 0 */
	uint8_t *zone4;         /**< zone of each IPv4 range */
	struct jg_zone_a6 *lo6; /**< the same for IPv6 */
	uint8_t *zone6;
};

/**
 * Build the ranges of a policy's prefixes. Of two equal prefixes the later wins.
 * @return 0, or -ENOMEM
 */
int jg_zones_build(struct jg_zones *z, const struct jg_policy *p);

/** Free the ranges (z may be zeroed or freed already). */
void jg_zones_free(struct jg_zones *z);

static inline uint64_t
jg_zone_be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/** Zone of an address (16 bytes, IPv4 in the first four); 0 (`unknown`) when no prefix holds it. */
static inline uint8_t
jg_zone_of(const struct jg_zones *z, const uint8_t *addr, unsigned int version)
{
	uint32_t lo = 0, n;

	if (version == 4) {
		uint32_t ip = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 | addr[3];

		/* the last range starting at or below ip */
		for (n = z->n4; n > 1;) {
			uint32_t half = n / 2;

			if (z->lo4[lo + half] <= ip)
				lo += half;
			n -= half;
		}
		return z->n4 != 0 ? z->zone4[lo] : 0;
	}
	struct jg_zone_a6 a = { jg_zone_be64(addr), jg_zone_be64(addr + 8) };

	for (n = z->n6; n > 1;) {
		uint32_t half = n / 2;
		const struct jg_zone_a6 *b = &z->lo6[lo + half];

		if (b->hi < a.hi || (b->hi == a.hi && b->lo <= a.lo))
			lo += half;
		n -= half;
	}
	return z->n6 != 0 ? z->zone6[lo] : 0;
}

#endif
