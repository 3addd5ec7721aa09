/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * FNV-1a over bytes, for keys off the packet path (event deduplication in a
 * flow, alert aggregation): short, seedable by chaining, good enough spread.
 */
#ifndef JG_HASH_H
#define JG_HASH_H

#include <stddef.h>
#include <stdint.h>

#define JG_FNV_BASIS 0xcbf29ce484222325ull

/** Continue a 64-bit FNV-1a hash h over n bytes. @return the new hash */
static inline uint64_t
jg_fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

#endif
