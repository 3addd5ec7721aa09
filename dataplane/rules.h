/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The rules the workers run — zone policy, zone tables, Hyperscan database —
 * as generations. A reload builds the next generation on the main lcore (files
 * parsed, LPM tables and database built, every worker's scratch and streams
 * allocated), publishes it by pointer, and frees the previous one once every
 * worker has passed a quiescent state (rte_rcu_qsbr): no lock and no
 * allocation on the fast path, no packet handled with half of each.
 */
#ifndef JG_RULES_H
#define JG_RULES_H

#include <stdint.h>

#include <hs/hs.h>
#include <rte_rcu_qsbr.h>

#include "jg_config.h"
#include "jg_policy.h"
#include "jg_wire.h"
#include "zones.h"

struct jg_hs_db;
struct jg_worker;

struct jg_rules {
	uint32_t gen;
	struct jg_policy *pol;   /**< NULL when detection is off */
	struct jg_zones zones;
	struct jg_hs_db *hs;     /**< NULL when detection is off */
	/* per worker: what its detection context switches to (NULL at generation 1: its own) */
	hs_scratch_t *scratch[JG_MAX_WORKERS];
	hs_stream_t **streams[JG_MAX_WORKERS];
	uint32_t n_streams[JG_MAX_WORKERS];
};

/**
 * Load a policy file ("" for the built-in default) and a patterns file, compile
 * and build generation `gen` for the workers given (their detection contexts
 * size the streams). Every problem goes into errs.
 * @return the generation, or NULL
 */
struct jg_rules *jg_rules_build(const char *policy_path, const char *patterns_path, uint32_t gen,
				struct jg_worker *const *workers, uint32_t n_workers, struct jg_cfg_errors *errs);

/** Free a generation no worker uses any more (after the grace period). */
void jg_rules_free(struct jg_rules *r, struct jg_worker *const *workers, uint32_t n_workers);

/**
 * On a worker, once per loop: report a quiescent state, then switch to the
 * published generation if it is new. Everything the worker holds from the
 * previous generation is dropped before its next quiescent report.
 */
void jg_rules_worker_sync(struct jg_worker *w);

#endif
