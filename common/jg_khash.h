/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A keyed hash for tables an attacker fills: the flow table, software
 * dispatch, IP reassembly.
 *
 * CRC32 and the other unkeyed hashes are linear or invertible: whoever knows
 * the function can craft keys that all land in one bucket, and a seed does not
 * help CRC (two messages of one length collide under every seed or under
 * none). This is NH (the hash inside UMAC: Black et al., 1999) over ten
 * 32-bit words, whose 64-bit result collides for two given inputs with
 * probability 2^-32 over its random keys, reduced to 32 bits by a random odd
 * multiplier (multiply-shift, Dietzfelbinger et al., 1997: 2^-31): whatever
 * keys an attacker chooses, two of them share a 32-bit hash with probability
 * below 2^-30, and nothing he sends tells him which do. Three SSE2 multiplies
 * for a 40-byte key.
 */
#ifndef JG_KHASH_H
#define JG_KHASH_H

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/** The random keys of one hash function. */
struct jg_khash {
	uint32_t k[12] __attribute__((aligned(16))); /**< NH's, one per 32-bit word (the last two 0) */
	uint64_t mul;                                /**< odd: the reduction to 32 bits */
	uint64_t zero_v4;                            /**< NH's terms of the words an IPv4 key leaves 0 */
};

/**
 * The process's seed, from which every table derives its keys (0 until set:
 * only tests rely on that). The dataplane sets it once at start, before any
 * table is made, from jg_khash_seed_from_env(), and logs it.
 */
void jg_khash_set_seed(uint64_t seed);
uint64_t jg_khash_seed(void);

/** Expand a 64-bit seed into a function (splitmix64: any seed gives a usable key). */
void jg_khash_init(struct jg_khash *h, uint64_t seed);

/**
 * A seed for a process: JG_HASH_SEED from the environment when set (to
 * reproduce a table's layout), otherwise drawn from the kernel's random source.
 */
uint64_t jg_khash_seed_from_env(void);

/** Hash 40 bytes (ten 32-bit words). @return 32 bits, universal over the keys */
static inline uint32_t
jg_khash40(const struct jg_khash *h, const void *p40)
{
	const uint8_t *p = p40;
	uint64_t v;
#ifdef __SSE2__
	/* words (0,1) (2,3) ... are multiplied pairwise: the odd word shifted under the even one */
	const __m128i *k = (const __m128i *)h->k;
	__m128i x0 = _mm_add_epi32(_mm_loadu_si128((const __m128i *)p), _mm_load_si128(k));
	__m128i x1 = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(p + 16)), _mm_load_si128(k + 1));
	__m128i x2 = _mm_add_epi32(_mm_loadl_epi64((const __m128i *)(p + 32)), _mm_load_si128(k + 2));
	__m128i s = _mm_add_epi64(_mm_add_epi64(_mm_mul_epu32(x0, _mm_srli_epi64(x0, 32)),
						_mm_mul_epu32(x1, _mm_srli_epi64(x1, 32))),
				  _mm_mul_epu32(x2, _mm_srli_epi64(x2, 32)));

	v = (uint64_t)_mm_cvtsi128_si64(s) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(s, s));
#else
	uint32_t w[10];

	memcpy(w, p, sizeof(w));
	v = 0;
	for (int i = 0; i < 10; i += 2)
		v += (uint64_t)(uint32_t)(w[i] + h->k[i]) * (uint32_t)(w[i + 1] + h->k[i + 1]);
#endif
	return (uint32_t)((v * h->mul) >> 32);
}

/**
 * jg_khash40() of a 40-byte key whose words 1-3 and 5-7 are 0: two IPv4
 * addresses stored as 16-byte ones (a, then b), then words w8 and w9. The
 * same value, from registers: no load of a key just stored in pieces (a
 * store-forwarding stall), three multiplies.
 */
static inline uint32_t
jg_khash_v4(const struct jg_khash *h, uint32_t a, uint32_t b, uint32_t w8, uint32_t w9)
{
	uint64_t v = h->zero_v4 + (uint64_t)(uint32_t)(a + h->k[0]) * h->k[1] + (uint64_t)(uint32_t)(b + h->k[4]) * h->k[5] +
		     (uint64_t)(uint32_t)(w8 + h->k[8]) * (uint32_t)(w9 + h->k[9]);

	return (uint32_t)((v * h->mul) >> 32);
}

/** The multiplier of jg_khash_bucket() (flow_lean_x8.c applies it in vector lanes too). */
#define JG_KHASH_BUCKET_MUL 0x9e3779b1u

/** jg_khash_bucket()'s shift for a table of n_buckets, a power of two (2 or more). */
static inline uint32_t
jg_khash_shift(uint32_t n_buckets)
{
	return 32u - (uint32_t)__builtin_ctz(n_buckets);
}

/**
 * The bucket of a hash in a table of 2^(32 - shift): through a fixed mixer (an
 * xor-shift, a multiply, the top bits). NH is linear in the key's words, and
 * its bits taken as they are put regular keys (a run of ports from a few
 * addresses) on a lattice that crowds a few buckets under some hash keys: a
 * 16 K-slot flow table so filled evicted from 87-94% load for one key in a
 * hundred and fifty (flow_test's test_regular_keys). The hash stays keyed: a
 * key's bucket is as unknown to whoever sends it as its hash.
 */
static inline uint32_t
jg_khash_bucket(uint32_t hash, uint32_t shift)
{
	return ((hash ^ hash >> 16) * JG_KHASH_BUCKET_MUL) >> shift;
}

#endif
