/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The Internet checksum (RFC 1071) of contiguous bytes, eight at a time: the
 * ones' complement sum is computed over 32-bit halves in a 64-bit register
 * and folded at the end (RFC 1071's larger-word method), about four times
 * fewer steps than 16-bit words. Sums are of native-order words, as DPDK's
 * are; a verified checksum folds to 0xffff whatever the byte order.
 */
#ifndef JG_CKSUM_H
#define JG_CKSUM_H

#include <stdint.h>
#include <string.h>

/** Add len bytes at p to a running sum. */
static inline uint64_t
jg_cksum_add(uint64_t acc, const uint8_t *p, uint32_t len)
{
	while (len >= 32) {
		uint64_t w[4];

		memcpy(w, p, 32);
		acc += (w[0] & 0xffffffffu) + (w[0] >> 32) + (w[1] & 0xffffffffu) + (w[1] >> 32) +
		       (w[2] & 0xffffffffu) + (w[2] >> 32) + (w[3] & 0xffffffffu) + (w[3] >> 32);
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len)
		acc += *p; /* an odd last byte: the first of a native (little-endian) word padded with zero */
	return acc;
}

/** Fold a running sum to 16 bits (not complemented). */
static inline uint16_t
jg_cksum_fold(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	return (uint16_t)acc;
}

#endif
