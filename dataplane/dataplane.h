/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The dataplane process as a whole: configuration, ports, workers, the status
 * memzone, and the main lcore's supervision (stats, end of replay, shutdown).
 */
#ifndef JG_DATAPLANE_H
#define JG_DATAPLANE_H

#include <stdint.h>

#include "jg_config.h"
#include "jg_wire.h"
#include "detect.h"
#include "jg_policy.h"
#include "zones.h"
#include "replay.h"
#include "worker.h"
#include "rules.h"

struct jg_dataplane {
	struct jg_config cfg;
	const char *pcap;          /**< --pcap: replay this file (replay.h) */
	struct jg_replay rp;       /**< its reader, fed from the main lcore */
	uint64_t replay_packets;   /**< --replay-packets: end of input after this many */
	const char *out_dir;       /**< --out: where summary.json goes */
	int ready_fd;              /**< --ready-fd: written once rings exist, -1 if none */
	struct jg_hs_db *hs;       /**< compiled patterns; NULL when detection is off */
	const char *policy_arg;    /**< --policy: zones and policy file (what-if) */
	struct jg_policy *policy;  /**< NULL when detection is off */
	struct jg_zones zones;
	char policy_path[JG_CFG_PATH]; /**< "" when the built-in default runs */
	char patterns_path[JG_CFG_PATH];
	struct jg_policy_mz *policy_mz; /**< the rules, published for the control plane */
	struct jg_rules *rules;         /**< the generation the workers run (NULL: detection off) */
	struct jg_rules *retiring;      /**< the previous one, until every worker has left it */
	uint64_t retire_token;
	uint32_t reload_seq;            /**< the request being completed */
	struct rte_rcu_qsbr *qs;
	struct jg_shm *shm;
	uint16_t port_ids[JG_MAX_PORTS];
	struct jg_worker *workers[JG_MAX_WORKERS];
	const struct jg_detect *dets[JG_MAX_WORKERS]; /**< every worker's detection context (peers of each other) */
	struct rte_ring *dispatch[JG_MAX_WORKERS];
	struct jg_rss_map rss[JG_MAX_PORTS]; /**< per configured port: how its RSS spreads flows */
	/* where a run's time goes (summary): start, EAL up, set up, control attached, reading,
	 * input done, flows flushed, rings drained */
	uint64_t t_start_ns, t_eal_ns, t_setup_ns, t_attached_ns, t_running_ns;
	uint64_t t_input_done_ns, t_flushed_ns, t_drained_ns;
	uint64_t unread; /**< replay packets the port never delivered (input stalled) */
};

/** Supervise until end of input or a stop signal, flush, drain, stop. @return exit status */
int jg_dp_supervise(struct jg_dataplane *dp);

/** Main lcore, every tick: carry out a reload the control plane asked for (reload.c). */
void jg_dp_reload_poll(struct jg_dataplane *dp);

/** Register Jumpgate's counters with DPDK telemetry (telemetry.c). */
void jg_dp_telemetry_register(const struct jg_dataplane *dp);

/** Print the human summary and write out_dir/summary.json when out_dir is set. */
void jg_dp_summary(const struct jg_dataplane *dp);

/** Around rte_eal_init, on the calling thread: EAL's 100 ms TSC measurement sleeps 10 ms (tsc.c). */
void jg_tsc_short_begin(void);
void jg_tsc_short_end(void);

/** After rte_eal_init: EAL's TSC rate against one measured over its start. @return 0, or -1 (said why) if > 1% off */
int jg_tsc_check(void);

/** Set from the signal handler: SIGINT/SIGTERM ask for a clean stop. */
extern volatile int jg_dp_stop_requested;

#endif
