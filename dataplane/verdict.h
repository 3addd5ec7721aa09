/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The zone policy on the fast path: each event about remote administration is
 * given its source and destination zones, its service and the policy's action;
 * the first time a flow shows a service, a `zone_violation` is raised when the
 * action is alert or block. The verdict is kept in the flow. Flows to
 * port-only services (SSH, VNC, the operator's own) are judged at their first
 * packet.
 */
#ifndef JG_VERDICT_H
#define JG_VERDICT_H

#include "flow.h"
#include "jg_policy.h"
#include "zones.h"

struct jg_verdict {
	const struct jg_policy *pol;
	const struct jg_zones *zones;
	struct jg_flow_table *ft; /**< the flows judged (their cold parts keep what was judged) */
	uint32_t gen; /**< generation of pol and zones (struct jg_policy_mz) */
	uint64_t *cnt; /**< the worker's counters */
	/** where annotated events go (the worker's event staging) */
	void (*out)(void *ctx, const struct jg_event_rec *ev);
	void *out_ctx;
};

/** Judge and pass on one event of flow f (events that are not remote administration pass as they are). */
void jg_verdict_event(const struct jg_verdict *v, struct jg_flow *f, struct jg_event_rec *ev);

/** A new TCP flow: judge it when its server port names a port-only service. */
void jg_verdict_new_flow(const struct jg_verdict *v, struct jg_flow *f, uint64_t ts_ns);

#endif
