/* SPDX-License-Identifier: BSD-3-Clause */
#include "zones.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

struct span {
	u128 first, last;
	uint8_t depth, zone;
};

static u128
addr_of(const struct jg_prefix *px, unsigned int bits)
{
	u128 v = 0;

	for (unsigned int i = 0; i < bits / 8; i++)
		v = v << 8 | px->addr[i];
	return v;
}

static int
cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

/* One family's ranges: every prefix's first address and the one after its last cut the
 * space; each piece takes the zone of the longest prefix holding it; neighbours of one
 * zone merge. Returns the number of ranges written to lo/zone, or -ENOMEM. */
static int
flatten(const struct jg_policy *p, unsigned int version, u128 **lo, uint8_t **zone)
{
	unsigned int bits = version == 4 ? 32 : 128;
	u128 top = version == 4 ? (u128)UINT32_MAX : ~(u128)0;
	uint32_t n = 0, m = 0, out = 0;
	struct span *s = malloc(sizeof(*s) * (p->n_prefixes + 1));
	u128 *cut = malloc(sizeof(*cut) * (2 * p->n_prefixes + 1));

	*lo = malloc(sizeof(**lo) * (2 * p->n_prefixes + 1));
	*zone = malloc(2 * p->n_prefixes + 1);
	if (s == NULL || cut == NULL || *lo == NULL || *zone == NULL) {
		free(s);
		free(cut);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < p->n_prefixes; i++) {
		const struct jg_prefix *px = &p->prefixes[i];
		u128 host;

		if (px->version != version || px->depth > bits)
			continue;
		host = px->depth == 0 ? top : ((u128)1 << (bits - px->depth)) - 1;
		s[n] = (struct span){ .first = addr_of(px, bits) & ~host & top, .depth = px->depth, .zone = px->zone };
		s[n].last = s[n].first | host;
		n++;
	}
	cut[m++] = 0;
	for (uint32_t i = 0; i < n; i++) {
		cut[m++] = s[i].first;
		if (s[i].last < top)
			cut[m++] = s[i].last + 1;
	}
	qsort(cut, m, sizeof(*cut), cmp_u128);
	for (uint32_t i = 0; i < m; i++) {
		int depth = -1;
		uint8_t z = 0;

		if (i > 0 && cut[i] == cut[i - 1])
			continue;
		for (uint32_t k = 0; k < n; k++)
			if (s[k].first <= cut[i] && cut[i] <= s[k].last && (int)s[k].depth >= depth) {
				depth = s[k].depth;
				z = s[k].zone;
			}
		if (out > 0 && (*zone)[out - 1] == z)
			continue;
		(*lo)[out] = cut[i];
		(*zone)[out++] = z;
	}
	free(s);
	free(cut);
	return (int)out;
}

int
jg_zones_build(struct jg_zones *z, const struct jg_policy *p)
{
	u128 *lo = NULL;
	int n;

	memset(z, 0, sizeof(*z));
	n = flatten(p, 4, &lo, &z->zone4);
	if (n < 0)
		goto err;
	z->lo4 = malloc(sizeof(*z->lo4) * (size_t)n);
	if (z->lo4 == NULL)
		goto err;
	for (int i = 0; i < n; i++)
		z->lo4[i] = (uint32_t)lo[i];
	z->n4 = (uint32_t)n;
	free(lo);
	lo = NULL;
	n = flatten(p, 6, &lo, &z->zone6);
	if (n < 0)
		goto err;
	z->lo6 = malloc(sizeof(*z->lo6) * (size_t)n);
	if (z->lo6 == NULL)
		goto err;
	for (int i = 0; i < n; i++)
		z->lo6[i] = (struct jg_zone_a6){ (uint64_t)(lo[i] >> 64), (uint64_t)lo[i] };
	z->n6 = (uint32_t)n;
	free(lo);
	return 0;
err:
	free(lo);
	jg_zones_free(z);
	return -ENOMEM;
}

void
jg_zones_free(struct jg_zones *z)
{
	free(z->lo4);
	free(z->zone4);
	free(z->lo6);
	free(z->zone6);
	memset(z, 0, sizeof(*z));
}
