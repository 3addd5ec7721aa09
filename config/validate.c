/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Phase two of loading: keys checked against each other, each error on the
 * line where the key (or its section) was given.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jg_config.h"

#define cfg_err jg_cfg_err
#define key_line jg_config_key_line

/* Line of a key, else of its section, else 1 (the value is a default). */
unsigned long
jg_config_key_line(const struct jg_config *cfg, const char *key)
{
	size_t sect = strcspn(key, ".[");

	for (uint32_t i = 0; i < cfg->n_lines; i++)
		if (!strcmp(cfg->lines[i].key, key))
			return cfg->lines[i].line;
	for (uint32_t i = 0; i < cfg->n_lines; i++)
		if (strlen(cfg->lines[i].key) == sect && !strncmp(cfg->lines[i].key, key, sect))
			return cfg->lines[i].line;
	return 1;
}

static void
validate_lcores(struct jg_config *cfg, struct jg_cfg_errors *errs, const char *f)
{
	if (cfg->n_workers == 0)
		cfg_err(errs, f, key_line(cfg, "lcores.workers"), "lcores.workers", "(empty): at least one worker lcore is needed");
	for (uint32_t i = 0; i < cfg->n_workers; i++) {
		if (cfg->workers[i] == cfg->main_lcore)
			cfg_err(errs, f, key_line(cfg, "lcores.workers"), "lcores.workers", "%u: is also lcores.main", cfg->workers[i]);
		for (uint32_t j = 0; j < i; j++)
			if (cfg->workers[i] == cfg->workers[j])
				cfg_err(errs, f, key_line(cfg, "lcores.workers"), "lcores.workers", "%u: listed twice", cfg->workers[i]);
	}
	if (cfg->n_cpus != 0 && cfg->n_cpus != cfg->n_workers + 1)
		cfg_err(errs, f, key_line(cfg, "lcores.cpus"), "lcores.cpus", "%u entries: needs one for main then one per worker (%u)",
			cfg->n_cpus, cfg->n_workers + 1);
}

static void
validate_ports(struct jg_config *cfg, struct jg_cfg_errors *errs, const char *f)
{
	uint64_t need = 0;

	if (cfg->n_ports == 0)
		cfg_err(errs, f, key_line(cfg, "ports"), "ports", "(empty): at least one port is needed");
	for (uint32_t i = 0; i < cfg->n_ports; i++) {
		struct jg_cfg_port *p = &cfg->ports[i];

		if (p->rx_queues > cfg->n_workers)
			cfg_err(errs, f, p->line, p->name, "rx_queues: %u: more queues than workers (%u)",
				p->rx_queues, cfg->n_workers);
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(p->name, cfg->ports[j].name))
				cfg_err(errs, f, p->line, "ports", "name: %s: two ports have this name", p->name);
		need += (uint64_t)p->rx_queues * p->rx_descriptors + (uint64_t)cfg->n_workers * p->tx_descriptors;
		if (p->peer[0]) {
			int found = -1;

			for (uint32_t j = 0; j < cfg->n_ports; j++)
				if (!strcmp(cfg->ports[j].name, p->peer))
					found = (int)j;
			if (found < 0 || (uint32_t)found == i)
				cfg_err(errs, f, p->line, p->name, "peer: %s: no other port of that name", p->peer);
			else if (cfg->ports[found].peer[0] && strcmp(cfg->ports[found].peer, p->name))
				cfg_err(errs, f, p->line, p->name, "peer: %s: that port is paired with %s", p->peer,
					cfg->ports[found].peer);
		}
	}
	/* Every descriptor, every per-lcore cache and every in-flight burst may hold an mbuf. */
	need += (uint64_t)(cfg->n_workers + 1) * (cfg->mbuf_cache + 2u * cfg->burst);
	if (cfg->mbufs < need)
		cfg_err(errs, f, key_line(cfg, "mempool.mbufs"), "mempool.mbufs", "%u: fewer than the %llu the ports and caches can hold",
			cfg->mbufs, (unsigned long long)need);
	if ((uint64_t)cfg->mbuf_cache * 3 > (uint64_t)cfg->mbufs * 2)
		cfg_err(errs, f, key_line(cfg, "mempool.cache"), "mempool.cache", "%u: more than mbufs / 1.5", cfg->mbuf_cache);
}

int
jg_config_validate(struct jg_config *cfg, struct jg_cfg_errors *errs)
{
	const char *f = cfg->path[0] ? cfg->path : "(config)";
	uint32_t before = errs->n + errs->dropped;

	validate_lcores(cfg, errs, f);
	validate_ports(cfg, errs, f);
	if (cfg->file_prefix[0] == '\0' ||
	    strspn(cfg->file_prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
		    strlen(cfg->file_prefix))
		cfg_err(errs, f, key_line(cfg, "eal.file_prefix"), "eal.file_prefix", "%s: only letters, digits, '_' and '-'", cfg->file_prefix);
	for (uint32_t i = 0; i < cfg->n_eal_args; i++)
		if (strncmp(cfg->eal_args[i], "-d", 2) == 0 || strncmp(cfg->eal_args[i], "--driver-path", 13) == 0)
			cfg_err(errs, f, key_line(cfg, "eal.args"), "eal.args",
				"%s: jg-dataplane has every DPDK network driver built in; a plugin (-d) is built against "
				"a shared DPDK and would start a second EAL", cfg->eal_args[i]);
	if (cfg->closed_s > cfg->tcp_idle_s)
		cfg_err(errs, f, key_line(cfg, "flows.tcp_closed_timeout"), "flows.tcp_closed_timeout", "%u: longer than flows.tcp_idle_timeout (%u)",
			cfg->closed_s, cfg->tcp_idle_s);
	if (cfg->socket_path[0] != '/')
		cfg_err(errs, f, key_line(cfg, "control.socket"), "control.socket", "%s: must be an absolute path", cfg->socket_path);
	if (cfg->out_dir[0] == '\0')
		cfg_err(errs, f, key_line(cfg, "output.dir"), "output.dir", "(empty): an output directory is needed");
	if (strcmp(cfg->overlap_policy, "first") != 0 && strcmp(cfg->overlap_policy, "last") != 0)
		cfg_err(errs, f, key_line(cfg, "detect.reassembly.overlap"), "detect.reassembly.overlap",
			"%s: 'first' (the first copy of a byte wins, as Windows does) or 'last'", cfg->overlap_policy);
	if (cfg->sensor_name[0] == '\0' ||
	    strspn(cfg->sensor_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
		    strlen(cfg->sensor_name))
		cfg_err(errs, f, key_line(cfg, "sensor.name"), "sensor.name", "%s: only letters, digits, '.', '_' and '-'",
			cfg->sensor_name);
	jg_config_validate_outputs(cfg, errs);
	return errs->n + errs->dropped == before ? 0 : -EINVAL;
}

