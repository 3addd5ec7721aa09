/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Jumpgate's counters in DPDK telemetry, beside the ethdev ones:
 *   /jumpgate/info            version, state, workers, ports, rules generation
 *   /jumpgate/stats           every counter summed over the workers
 *   /jumpgate/worker,<id>     one worker's counters, flows and lcore
 * (dpdk-telemetry.py -f <file_prefix>); counter names as jgctl prints them with
 * '-' written '_' (telemetry names allow no dash). Handlers run on the telemetry thread
 * and only read the status memzone, which workers update in place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "dataplane.h"
#include "jg_fmt.h"

static const struct jg_dataplane *tdp;
static char tel_names[JG_CNT_MAX][48];

/* Telemetry names take letters, digits and underscores: rx-bytes is rx_bytes there. */
static void
make_names(void)
{
	for (int k = 0; k < JG_CNT_MAX; k++) {
		snprintf(tel_names[k], sizeof(tel_names[k]), "%s", jg_counter_names[k]);
		for (char *c = tel_names[k]; *c != '\0'; c++)
			if (*c == '-')
				*c = '_';
	}
}

static int
tel_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct jg_shm *s = tdp->shm;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", JG_VERSION);
	rte_tel_data_add_dict_string(d, "state", jg_dp_state_name(s->dp_state));
	rte_tel_data_add_dict_u64(d, "workers", s->n_workers);
	rte_tel_data_add_dict_u64(d, "ports", s->n_ports);
	rte_tel_data_add_dict_u64(d, "rules_generation", tdp->policy_mz != NULL ? tdp->policy_mz->gen : 0);
	rte_tel_data_add_dict_u64(d, "uptime_s", (jg_unix_ns() - s->start_unix_ns) / 1000000000ull);
	return 0;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct jg_shm *s = tdp->shm;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (int k = 0; k < JG_CNT_MAX; k++) {
		uint64_t t = 0;

		for (uint32_t w = 0; w < s->n_workers; w++)
			t += s->workers[w].cnt[k];
		rte_tel_data_add_dict_u64(d, tel_names[k], t);
	}
	return 0;
}

static int
tel_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct jg_shm *s = tdp->shm;
	const struct jg_worker_status *ws;
	char *end;
	unsigned long id;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	id = strtoul(params, &end, 10);
	if (*end != '\0' || id >= s->n_workers)
		return -EINVAL;
	ws = &s->workers[id];
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "lcore", ws->lcore_id);
	rte_tel_data_add_dict_u64(d, "flows_active", ws->flows_active);
	rte_tel_data_add_dict_u64(d, "flow_capacity", ws->flow_capacity);
	for (int k = 0; k < JG_CNT_MAX; k++)
		rte_tel_data_add_dict_u64(d, tel_names[k], ws->cnt[k]);
	return 0;
}

void
jg_dp_telemetry_register(const struct jg_dataplane *dp)
{
	tdp = dp;
	make_names();
	rte_telemetry_register_cmd("/jumpgate/info", tel_info, "Jumpgate: version, state, workers, rules generation");
	rte_telemetry_register_cmd("/jumpgate/stats", tel_stats, "Jumpgate: every counter, summed over the workers");
	rte_telemetry_register_cmd("/jumpgate/worker", tel_worker, "Jumpgate: one worker's counters. Parameter: worker id");
}
