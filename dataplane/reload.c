/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `jgctl reload` on the dataplane's side, polled by the main lcore: build the
 * next rule generation from the files the control plane validated, publish
 * it, and answer once every worker has left the previous one (then freed).
 * Nothing here blocks the main lcore longer than building the generation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane.h"
#include "detect.h"
#include "jg_fmt.h"

static void
answer(struct jg_dataplane *dp, int rc, const struct jg_cfg_errors *errs)
{
	struct jg_shm *s = dp->shm;
	size_t len = 0;

	s->reload_msg[0] = '\0';
	for (uint32_t i = 0; errs != NULL && i < errs->n; i++)
		len += (size_t)snprintf(s->reload_msg + len, len < sizeof(s->reload_msg) ? sizeof(s->reload_msg) - len : 0,
					"%s\n", errs->e[i].msg);
	s->reload_rc = rc;
	__atomic_store_n(&s->reload_done, dp->reload_seq, __ATOMIC_RELEASE);
}

/* The scratch and streams the workers use now belong to the generation being retired. */
static int
collect_current(struct jg_dataplane *dp, struct jg_rules *cur)
{
	for (uint32_t w = 0; w < dp->cfg.n_workers; w++) {
		const struct jg_detect *d = dp->workers[w]->det;

		if (d == NULL || cur->streams[w] != NULL)
			continue;
		cur->n_streams[w] = jg_detect_stream_count(d);
		cur->streams[w] = calloc(cur->n_streams[w], sizeof(hs_stream_t *));
		if (cur->streams[w] == NULL)
			return -ENOMEM;
		jg_detect_hs_current(d, &cur->scratch[w], cur->streams[w]);
	}
	return 0;
}

static void
start(struct jg_dataplane *dp, uint32_t seq)
{
	struct jg_policy_mz *pm = dp->policy_mz;
	struct jg_cfg_errors *errs = calloc(1, sizeof(*errs));
	struct jg_rules *cur = dp->rules, *next;

	dp->reload_seq = seq;
	if (errs == NULL) {
		answer(dp, -ENOMEM, NULL);
		return;
	}
	if (cur == NULL || dp->shm->dp_state != JG_DP_RUNNING) {
		jg_cfg_err(errs, "reload", 0, "detect", cur == NULL ? "detection is off: nothing to reload"
								  : "the dataplane is stopping");
		answer(dp, -EINVAL, errs);
		free(errs);
		return;
	}
	next = jg_rules_build(pm->req_policy_path, pm->req_patterns_path, cur->gen + 1, dp->workers,
			      dp->cfg.n_workers, errs);
	if (next == NULL || collect_current(dp, cur) != 0) {
		jg_rules_free(next, dp->workers, dp->cfg.n_workers);
		answer(dp, -EINVAL, errs);
		free(errs);
		return;
	}
	free(errs);
	/* Names first (flow records of the new generation will point at them), then the swap. */
	pm->pol[next->gen & 1] = *next->pol;
	snprintf(pm->policy_path, sizeof(pm->policy_path), "%s", pm->req_policy_path);
	snprintf(pm->patterns_path, sizeof(pm->patterns_path), "%s", pm->req_patterns_path);
	pm->loaded_unix_ns = jg_unix_ns();
	__atomic_store_n(&dp->rules, next, __ATOMIC_RELEASE);
	__atomic_store_n(&pm->gen, next->gen, __ATOMIC_RELEASE);
	dp->retiring = cur;
	dp->retire_token = rte_rcu_qsbr_start(dp->qs);
}

void
jg_dp_reload_poll(struct jg_dataplane *dp)
{
	uint32_t req = __atomic_load_n(&dp->shm->reload_req, __ATOMIC_ACQUIRE);

	if (dp->retiring != NULL) {
		/* Every worker has reported since the swap, so none holds the old generation. */
		if (rte_rcu_qsbr_check(dp->qs, dp->retire_token, false) != 1)
			return;
		jg_rules_free(dp->retiring, dp->workers, dp->cfg.n_workers);
		dp->retiring = NULL;
		answer(dp, 0, NULL);
		return;
	}
	if (req != dp->shm->reload_done)
		start(dp, req);
}
