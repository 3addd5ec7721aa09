/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The Internet checksum (RFC 1071) of contiguous bytes: with AVX2 (checked at
 * run time; the build targets SSE4.2) 64 bytes a step, 16-bit words widened
 * into 32-bit lanes; else eight bytes a step, 32-bit halves summed in a 64-bit
 * register; folded at the end (RFC 1071's larger-word method). Sums are of
 * native-order words, as DPDK's are; a verified checksum folds to 0xffff
 * whatever the byte order.
 */
#ifndef JG_CKSUM_H
#define JG_CKSUM_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/** Add len bytes at p to a running sum, eight bytes a step. */
static inline uint64_t
jg_cksum_add_scalar(uint64_t acc, const uint8_t *p, uint32_t len)
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

/** The same with AVX2 for the bulk (the caller checked the CPU has it). */
__attribute__((target("avx2"))) static inline uint64_t
jg_cksum_add_avx2(uint64_t acc, const uint8_t *p, uint32_t len)
{
	const __m256i zero = _mm256_setzero_si256();
	__m256i s0 = zero, s1 = zero;
	uint32_t lanes[8];

	/* each 32-bit lane takes two 16-bit words a step: no overflow before 2 MiB */
	while (len >= 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));

		s0 = _mm256_add_epi32(s0, _mm256_add_epi32(_mm256_unpacklo_epi16(a, zero), _mm256_unpacklo_epi16(b, zero)));
		s1 = _mm256_add_epi32(s1, _mm256_add_epi32(_mm256_unpackhi_epi16(a, zero), _mm256_unpackhi_epi16(b, zero)));
		p += 64;
		len -= 64;
	}
	_mm256_storeu_si256((__m256i *)(void *)lanes, _mm256_add_epi32(s0, s1));
	for (int i = 0; i < 8; i++)
		acc += lanes[i];
	return jg_cksum_add_scalar(acc, p, len);
}

/** Add len bytes at p to a running sum. */
static inline uint64_t
jg_cksum_add(uint64_t acc, const uint8_t *p, uint32_t len)
{
	static int avx2 = -1;

	if (len < 128)
		return jg_cksum_add_scalar(acc, p, len);
	if (avx2 < 0)
		avx2 = __builtin_cpu_supports("avx2") != 0;
	return avx2 ? jg_cksum_add_avx2(acc, p, len) : jg_cksum_add_scalar(acc, p, len);
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
