/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `jgctl reload`: re-read the config file, validate it and the policy and
 * patterns it names here in the control plane, then have the dataplane build
 * and swap the new rules (reload.c there) while this process keeps draining
 * the rings. All or nothing: any error leaves everything as it runs.
 *
 * What a reload changes: detect.policy and detect.patterns (the files and their
 * contents) and the collectors (output.syslog, output.redis, output.ipfix).
 * Every other key needs a restart; a file that changes one is refused.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jg_policy_load.h"
#include "control.h"
#include "jg_patterns.h"

#define RELOAD_WAIT_MS 60000

#define SPAN(name, first, next) { name, offsetof(struct jg_config, first), offsetof(struct jg_config, next) }

static const struct {
	const char *name;
	size_t from, to;
} restart_only[] = {
	SPAN("eal", file_prefix, main_lcore),
	SPAN("lcores", main_lcore, n_ports),
	SPAN("ports", n_ports, mbufs),
	SPAN("mempool", mbufs, flow_table_size),
	SPAN("flows", flow_table_size, ring_events),
	SPAN("rings", ring_events, socket_path),
	SPAN("control", socket_path, sensor_name),
	SPAN("sensor", sensor_name, out_dir),
	SPAN("output.dir, output.flows", out_dir, out_syslog),
	SPAN("alerts", alert_window_s, store_on),
	SPAN("store", store_on, fail_open),
	SPAN("inline", fail_open, detect_on),
	SPAN("detect.enabled, detect.sessions, detect.reassembly", detect_on, patterns_path),
};

static int
outputs_changed(const struct jg_config *a, const struct jg_config *b)
{
	return memcmp(&a->out_syslog, &b->out_syslog, sizeof(a->out_syslog)) != 0 ||
	       memcmp(&a->out_redis, &b->out_redis, sizeof(a->out_redis)) != 0 ||
	       memcmp(&a->out_ipfix, &b->out_ipfix, sizeof(a->out_ipfix)) != 0;
}

static void
put_errors(struct jg_buf *out, const char *what, const struct jg_cfg_errors *errs)
{
	jg_buf_printf(out, "%s: %u error%s, nothing changed\n", what, errs->n, errs->n == 1 ? "" : "s");
	for (uint32_t i = 0; i < errs->n; i++)
		jg_buf_printf(out, "%s\n", errs->e[i].msg);
}

/* The control plane keeps its loop going while the dataplane builds: rings drain, collectors flow. */
static int
wait_dataplane(struct jg_control *c, uint32_t seq)
{
	for (int ms = 0; ms < RELOAD_WAIT_MS; ms++) {
		if (__atomic_load_n(&c->shm->reload_done, __ATOMIC_ACQUIRE) == seq)
			return 0;
		if (jg_drain(c) == 0)
			usleep(1000);
		jg_control_tick(c);
	}
	return -ETIMEDOUT;
}

int
jg_cmd_reload(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out)
{
	struct jg_config *ncfg = calloc(1, sizeof(*ncfg));
	struct jg_cfg_errors *errs = calloc(1, sizeof(*errs));
	struct jg_policy *pol = calloc(1, sizeof(*pol));
	struct jg_patterns *pats = calloc(1, sizeof(*pats));
	struct jg_policy_mz *pm = c->pm;
	char policy[JG_CFG_PATH], patterns[JG_CFG_PATH];
	int rc = JG_ERR, reopened = 0;
	uint32_t seq;

	(void)argv;
	if (argc > 0) {
		jg_buf_printf(out, "reload takes no argument but --json (it re-reads %s)", c->cfg.path);
		rc = JG_USAGE;
		goto out;
	}
	if (ncfg == NULL || errs == NULL || pol == NULL || pats == NULL) {
		jg_buf_printf(out, "reload: out of memory");
		goto out;
	}
	if (pm == NULL || !pm->detect_on) {
		jg_buf_printf(out, "reload: detection is off (detect.enabled: false): no rules to reload");
		goto out;
	}
	if (jg_config_load(c->cfg.path, ncfg, errs) != 0) {
		put_errors(out, c->cfg.path, errs);
		goto out;
	}
	for (size_t i = 0; i < sizeof(restart_only) / sizeof(restart_only[0]); i++)
		if (memcmp((const char *)ncfg + restart_only[i].from, (const char *)&c->cfg + restart_only[i].from,
			   restart_only[i].to - restart_only[i].from) != 0)
			jg_cfg_err(errs, c->cfg.path, 0, restart_only[i].name, "changed: needs a restart, not a reload");
	if (errs->n > 0) {
		put_errors(out, c->cfg.path, errs);
		goto out;
	}
	/* A policy given on the command line (jumpgate replay --policy) stays the one reloaded. */
	if (pm->policy_override)
		snprintf(policy, sizeof(policy), "%s", pm->policy_path);
	else
		jg_config_policy_path(ncfg, policy, sizeof(policy));
	jg_config_patterns_path(ncfg, patterns, sizeof(patterns));
	if (policy[0] != '\0')
		jg_policy_load(policy, pol, errs);
	jg_patterns_load(patterns, pats, errs);
	if (errs->n > 0) {
		put_errors(out, "reload", errs);
		goto out;
	}
	snprintf(pm->req_policy_path, sizeof(pm->req_policy_path), "%s", policy);
	snprintf(pm->req_patterns_path, sizeof(pm->req_patterns_path), "%s", patterns);
	seq = c->shm->reload_req + 1;
	__atomic_store_n(&c->shm->reload_req, seq, __ATOMIC_RELEASE);
	if (wait_dataplane(c, seq) != 0) {
		jg_buf_printf(out, "reload: the dataplane did not answer within %d s", RELOAD_WAIT_MS / 1000);
		goto out;
	}
	if (c->shm->reload_rc != 0) {
		jg_buf_printf(out, "reload: the dataplane refused it, nothing changed\n%s", c->shm->reload_msg);
		goto out;
	}
	if (outputs_changed(&c->cfg, ncfg)) {
		c->cfg.out_syslog = ncfg->out_syslog;
		c->cfg.out_redis = ncfg->out_redis;
		c->cfg.out_ipfix = ncfg->out_ipfix;
		jg_control_sinks_reopen(c);
		reopened = 1;
	}
	snprintf(c->cfg.policy_path, sizeof(c->cfg.policy_path), "%s", ncfg->policy_path);
	snprintf(c->cfg.patterns_path, sizeof(c->cfg.patterns_path), "%s", ncfg->patterns_path);
	if (json) {
		jg_buf_printf(out, "{\"generation\":%u,\"policy\":", pm->gen);
		jg_buf_json_str(out, policy, strlen(policy));
		jg_buf_printf(out, ",\"patterns\":");
		jg_buf_json_str(out, patterns, strlen(patterns));
		jg_buf_printf(out, ",\"outputs_reopened\":%s}\n", reopened ? "true" : "false");
	} else {
		jg_buf_printf(out, "reloaded: rules generation %u\n  policy   %s\n  patterns %s\n%s", pm->gen,
			      policy[0] ? policy : "(built-in default)", patterns,
			      reopened ? "  outputs  reopened with their new settings\n" : "");
	}
	rc = JG_OK;
out:
	free(ncfg);
	free(errs);
	free(pol);
	free(pats);
	return rc;
}
