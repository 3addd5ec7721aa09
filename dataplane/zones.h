/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Zone lookup on the fast path: DPDK's LPM (DIR-24-8) for IPv4 and LPM6 for
 * IPv6, built once from the policy; the most specific prefix wins. Read-only
 * once built, so every worker shares one.
 */
#ifndef JG_ZONES_H
#define JG_ZONES_H

#include <stdint.h>

#include <rte_lpm.h>
#include <rte_lpm6.h>

#include "jg_policy.h"

struct jg_zones {
	struct rte_lpm *v4;
	struct rte_lpm6 *v6;
};

/**
 * Build the tables of a policy's prefixes (names made unique with `tag`).
 * @return 0, or -errno
 */
int jg_zones_build(struct jg_zones *z, const struct jg_policy *p, const char *tag);

/** Free the tables. */
void jg_zones_free(struct jg_zones *z);

/** Zone of an address (16 bytes, IPv4 in the first four); 0 (`unknown`) when no prefix holds it. */
static inline uint8_t
jg_zone_of(const struct jg_zones *z, const uint8_t *addr, unsigned int version)
{
	uint32_t hop;

	if (version == 4) {
		uint32_t ip = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 | addr[3];

		return z->v4 != NULL && rte_lpm_lookup(z->v4, ip, &hop) == 0 ? (uint8_t)hop : 0;
	}
	return z->v6 != NULL && rte_lpm6_lookup(z->v6, addr, &hop) == 0 ? (uint8_t)hop : 0;
}

#endif
