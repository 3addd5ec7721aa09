/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rule generations and their swap into the workers (see rules.h). Everything
 * here but jg_rules_worker_sync() runs on the main lcore.
 */
#include "jg_policy_load.h"
#include "rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "jg_patterns.h"
#include "worker.h"

struct jg_rules *
jg_rules_build(const char *policy_path, const char *patterns_path, uint32_t gen, struct jg_worker *const *workers,
	       uint32_t n_workers, struct jg_cfg_errors *errs)
{
	struct jg_rules *r = calloc(1, sizeof(*r));
	struct jg_patterns *pats = calloc(1, sizeof(*pats));
	uint32_t w;

	if (r == NULL || pats == NULL || (r->pol = calloc(1, sizeof(*r->pol))) == NULL) {
		jg_cfg_err(errs, "reload", 0, "(memory)", "out of memory");
		goto err;
	}
	r->gen = gen;
	if (policy_path[0] == '\0')
		jg_policy_defaults(r->pol);
	else if (jg_policy_load(policy_path, r->pol, errs) != 0)
		goto err;
	if (jg_patterns_load(patterns_path, pats, errs) != 0)
		goto err;
	if ((r->hs = jg_hs_compile(pats, errs)) == NULL)
		goto err;
	if (jg_zones_build(&r->zones, r->pol) != 0) {
		jg_cfg_err(errs, policy_path, 0, "zones", "cannot build the zone tables (out of memory)");
		goto err;
	}
	for (w = 0; w < n_workers; w++) {
		const struct jg_detect *d = workers[w]->det;

		if (d == NULL)
			continue;
		r->n_streams[w] = jg_detect_stream_count(d);
		r->streams[w] = calloc(r->n_streams[w], sizeof(hs_stream_t *));
		if (r->streams[w] == NULL || jg_detect_hs_alloc(d, r->hs, &r->scratch[w], r->streams[w]) != 0) {
			free(r->streams[w]);
			r->streams[w] = NULL;
			jg_cfg_err(errs, patterns_path, 0, "patterns", "no memory for worker %u's Hyperscan streams", w);
			goto err;
		}
	}
	free(pats);
	return r;
err:
	free(pats);
	jg_rules_free(r, workers, n_workers);
	return NULL;
}

void
jg_rules_free(struct jg_rules *r, struct jg_worker *const *workers, uint32_t n_workers)
{
	if (r == NULL)
		return;
	for (uint32_t w = 0; w < n_workers; w++)
		if (r->streams[w] != NULL) {
			jg_detect_hs_free(workers[w]->det, r->scratch[w], r->streams[w], r->n_streams[w]);
			free(r->streams[w]);
		}
	jg_zones_free(&r->zones);
	jg_hs_free(r->hs);
	free(r->pol);
	free(r);
}

void
jg_rules_worker_sync(struct jg_worker *w)
{
	const struct jg_rules *r;

	rte_rcu_qsbr_quiescent(w->qs, w->id);
	r = __atomic_load_n(w->rules, __ATOMIC_ACQUIRE);
	if (likely(r->gen == w->rules_gen))
		return;
	w->verdict.pol = r->pol;
	w->verdict.zones = &r->zones;
	w->verdict.gen = r->gen;
	if (w->det != NULL && r->streams[w->id] != NULL)
		jg_detect_swap(w->det, r->hs, r->scratch[w->id], r->streams[w->id]);
	w->rules_gen = r->gen;
}
