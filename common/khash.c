/* SPDX-License-Identifier: BSD-3-Clause */
#include "jg_khash.h"

#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t process_seed;

void
jg_khash_set_seed(uint64_t seed)
{
	process_seed = seed;
}

uint64_t
jg_khash_seed(void)
{
	return process_seed;
}

void
jg_khash_init(struct jg_khash *h, uint64_t seed)
{
	for (int i = 0; i < 10; i += 2) {
		uint64_t r = splitmix64(&seed);

		h->k[i] = (uint32_t)r;
		h->k[i + 1] = (uint32_t)(r >> 32);
	}
	h->k[10] = h->k[11] = 0; /* the third SSE block's upper half: no words there */
	h->mul = splitmix64(&seed) | 1;
	h->zero_v4 = (uint64_t)h->k[2] * h->k[3] + (uint64_t)h->k[6] * h->k[7];
}

uint64_t
jg_khash_seed_from_env(void)
{
	const char *s = getenv("JG_HASH_SEED");
	struct timespec ts;
	uint64_t seed;

	if (s != NULL && *s != '\0')
		return strtoull(s, NULL, 0);
	if (getrandom(&seed, sizeof(seed), 0) == (ssize_t)sizeof(seed))
		return seed;
	/* no kernel randomness (a very old kernel): the clock still differs per start */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec;
}
