/* SPDX-License-Identifier: BSD-3-Clause */
#include "zones.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_memory.h>

int
jg_zones_build(struct jg_zones *z, const struct jg_policy *p, const char *tag)
{
	struct rte_lpm_config c4 = { .max_rules = JG_ZONE_PREFIXES, .number_tbl8s = 256 };
	struct rte_lpm6_config c6 = { .max_rules = JG_ZONE_PREFIXES, .number_tbl8s = 1u << 12 };
	char name[64];

	memset(z, 0, sizeof(*z));
	snprintf(name, sizeof(name), "jg_z4_%s", tag);
	z->v4 = rte_lpm_create(name, SOCKET_ID_ANY, &c4);
	snprintf(name, sizeof(name), "jg_z6_%s", tag);
	z->v6 = rte_lpm6_create(name, SOCKET_ID_ANY, &c6);
	if (z->v4 == NULL || z->v6 == NULL) {
		jg_zones_free(z);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < p->n_prefixes; i++) {
		const struct jg_prefix *px = &p->prefixes[i];
		int rc;

		if (px->version == 4)
			rc = rte_lpm_add(z->v4, (uint32_t)px->addr[0] << 24 | (uint32_t)px->addr[1] << 16 |
						   (uint32_t)px->addr[2] << 8 | px->addr[3],
					 px->depth, px->zone);
		else
			rc = rte_lpm6_add(z->v6, px->addr, px->depth, px->zone);
		if (rc != 0) {
			jg_zones_free(z);
			return rc;
		}
	}
	return 0;
}

void
jg_zones_free(struct jg_zones *z)
{
	rte_lpm_free(z->v4);
	rte_lpm6_free(z->v6);
	z->v4 = NULL;
	z->v6 = NULL;
}
