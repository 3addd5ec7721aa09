/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Table-driven YAML loader: every option is one row (section, key, type, bounds,
 * offset); defaults live in jg_config_defaults() only. Phase one maps YAML onto
 * the struct collecting every error; phase two (jg_config_validate) checks keys
 * against each other. Nothing here exits or prints.
 */
#include "jg_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

enum jg_opt_type { OPT_U32, OPT_STR, OPT_BOOL, OPT_MODE, OPT_U32_LIST, OPT_STR_LIST, OPT_MAP };

#define OPT_POW2 1u /* value must be a power of two */

struct jg_opt {
	const char *key;
	enum jg_opt_type type;
	size_t off;
	size_t size;     /* string capacity, or list capacity */
	size_t cnt_off;  /* lists: offset of the uint32_t element count */
	uint64_t min, max;
	unsigned int flags;
};

struct jg_section {
	const char *name;
	const struct jg_opt *opts;
};

#define CFG_OFF(f) offsetof(struct jg_config, f)
#define U32(k, f, lo, hi, fl) { k, OPT_U32, CFG_OFF(f), 0, 0, lo, hi, fl }
#define STR(k, f) { k, OPT_STR, CFG_OFF(f), sizeof(((struct jg_config *)0)->f), 0, 1, 0, 0 }

static const struct jg_opt eal_opts[] = {
	STR("file_prefix", file_prefix),
	U32("memory_mb", memory_mb, 0, 1u << 20, 0),
	{ "args", OPT_STR_LIST, CFG_OFF(eal_args), JG_CFG_MAX_EAL_ARGS, CFG_OFF(n_eal_args), 0, 0, 0 },
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};
static const struct jg_opt lcore_opts[] = {
	U32("main", main_lcore, 0, 1023, 0),
	{ "workers", OPT_U32_LIST, CFG_OFF(workers), JG_CFG_MAX_WORKERS, CFG_OFF(n_workers), 0, 1023, 0 },
	{ "cpus", OPT_U32_LIST, CFG_OFF(cpus), JG_CFG_MAX_WORKERS + 1, CFG_OFF(n_cpus), 0, 1023, 0 },
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};
static const struct jg_opt mempool_opts[] = {
	U32("mbufs", mbufs, 1024, 1u << 24, 0),
	U32("cache", mbuf_cache, 0, 512, 0),
	U32("data_room", mbuf_data_room, 256, 65535, 0),
	U32("burst", burst, 1, 256, 0),
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};
static const struct jg_opt flow_opts[] = {
	U32("table_size", flow_table_size, 1024, 1u << 26, OPT_POW2),
	U32("tcp_idle_timeout", tcp_idle_s, 1, 86400, 0),
	U32("udp_idle_timeout", udp_idle_s, 1, 86400, 0),
	U32("other_idle_timeout", other_idle_s, 1, 86400, 0),
	U32("tcp_closed_timeout", closed_s, 0, 3600, 0),
	U32("active_timeout", active_s, 1, 7 * 86400, 0),
	U32("session_idle_timeout", session_idle_s, 1, 7 * 86400, 0),
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};
static const struct jg_opt ring_opts[] = {
	U32("events", ring_events, 64, 1u << 24, OPT_POW2),
	U32("flows", ring_flows, 64, 1u << 24, OPT_POW2),
	U32("dispatch", ring_dispatch, 64, 1u << 20, OPT_POW2),
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};
static const struct jg_opt control_opts[] = {
	STR("socket", socket_path),
	{ "socket_mode", OPT_MODE, CFG_OFF(socket_mode), 0, 0, 0, 0777, 0 },
	STR("socket_group", socket_group),
	STR("metrics", metrics_listen),
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};
#define BOOL(k, f) { k, OPT_BOOL, CFG_OFF(f), 0, 0, 0, 1, 0 }
#define MAP(k) { k, OPT_MAP, 0, 0, 0, 0, 0, 0 }
static const struct jg_opt syslog_opts[] = {
	BOOL("enabled", out_syslog.enabled),
	STR("server", out_syslog.server),
	STR("transport", out_syslog.transport),
	STR("facility", out_syslog.facility),
	U32("queue", out_syslog.queue, 16, 1u << 20, 0),
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};
static const struct jg_opt redis_opts[] = {
	BOOL("enabled", out_redis.enabled),
	STR("server", out_redis.server),
	STR("stream", out_redis.stream),
	STR("flows_stream", out_redis.flows_stream),
	U32("maxlen", out_redis.maxlen, 1, 1u << 30, 0),
	STR("password", out_redis.password),
	U32("queue", out_redis.queue, 16, 1u << 20, 0),
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};
static const struct jg_opt ipfix_opts[] = {
	BOOL("enabled", out_ipfix.enabled),
	STR("collector", out_ipfix.collector),
	U32("domain_id", out_ipfix.domain_id, 0, UINT32_MAX, 0),
	U32("template_refresh", out_ipfix.template_refresh, 1, 3600, 0),
	BOOL("biflow", out_ipfix.biflow),
	U32("queue", out_ipfix.queue, 16, 1u << 20, 0),
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};
static const struct jg_opt output_opts[] = {
	STR("dir", out_dir),
	{ "flows", OPT_BOOL, CFG_OFF(flows_output), 0, 0, 0, 1, 0 },
	MAP("syslog"),
	MAP("redis"),
	MAP("ipfix"),
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};

static const struct jg_opt reassembly_opts[] = {
	U32("tcp_buffers", ooo_buffers, 0, 1u << 20, 0),
	U32("tcp_window", ooo_window, 4096, 1u << 24, OPT_POW2),
	STR("overlap", overlap_policy),
	U32("ip_datagrams", frag_datagrams, 16, 1u << 20, 0),
	U32("ip_fragments", frag_fragments, 2, 8192, 0),
	U32("ip_memory_kb", frag_memory_kb, 64, 1u << 22, 0),
	U32("ip_timeout", frag_timeout_s, 1, 120, 0),
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};

/* The keys of OPT_MAP rows, by full key name. */
static const struct jg_section subsections[] = {
	{ "output.syslog", syslog_opts }, { "output.redis", redis_opts }, { "output.ipfix", ipfix_opts },
	{ "detect.reassembly", reassembly_opts }, { NULL, NULL },
};

#define PORT_OFF(f) offsetof(struct jg_cfg_port, f)
static const struct jg_opt port_opts[] = {
	{ "name", OPT_STR, PORT_OFF(name), sizeof(((struct jg_cfg_port *)0)->name), 0, 1, 0, 0 },
	{ "device", OPT_STR, PORT_OFF(device), JG_CFG_STR, 0, 1, 0, 0 },
	{ "rx_queues", OPT_U32, PORT_OFF(rx_queues), 0, 0, 1, 64, 0 },
	{ "rx_descriptors", OPT_U32, PORT_OFF(rx_descriptors), 0, 0, 64, 32768, OPT_POW2 },
	{ "tx_descriptors", OPT_U32, PORT_OFF(tx_descriptors), 0, 0, 64, 32768, OPT_POW2 },
	{ "peer", OPT_STR, PORT_OFF(peer), sizeof(((struct jg_cfg_port *)0)->peer), 0, 1, 0, 0 },
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};

static const struct jg_opt detect_opts[] = {
	{ "enabled", OPT_BOOL, CFG_OFF(detect_on), 0, 0, 0, 1, 0 },
	U32("sessions", detect_sessions, 16, 1u << 22, 0),
	BOOL("rpc_discovery", rpc_discovery),
	STR("patterns", patterns_path),
	MAP("reassembly"),
	STR("policy", policy_path),
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};

static const struct jg_opt sensor_opts[] = {
	STR("name", sensor_name),
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};

static const struct jg_opt inline_opts[] = {
	{ "fail_open", OPT_BOOL, CFG_OFF(fail_open), 0, 0, 0, 1, 0 },
	{ "rst", OPT_BOOL, CFG_OFF(send_rst), 0, 0, 0, 1, 0 },
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};

static const struct jg_opt alert_opts[] = {
	U32("window", alert_window_s, 0, 86400, 0),
	U32("table", alert_table, 64, 1u << 22, OPT_POW2),
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};

static const struct jg_opt store_opts[] = {
	{ "enabled", OPT_BOOL, CFG_OFF(store_on), 0, 0, 0, 1, 0 },
	STR("path", store_path),
	U32("max_alerts", store_max_alerts, 100, 1u << 30, 0),
	U32("max_flows", store_max_flows, 100, 1u << 30, 0),
	U32("max_age", store_max_age_s, 0, 10 * 366 * 86400u, 0),
	U32("batch_ms", store_batch_ms, 1, 10000, 0),
	{ NULL, 0, 0, 0, 0, 0, 0, 0 },
};

static const struct jg_section sections[] = {
	{ "alerts", alert_opts }, { "store", store_opts },
	{ "eal", eal_opts },     { "lcores", lcore_opts }, { "mempool", mempool_opts },
	{ "flows", flow_opts },  { "rings", ring_opts },   { "control", control_opts },
	{ "output", output_opts }, { "detect", detect_opts }, { "inline", inline_opts }, { "sensor", sensor_opts },
	{ NULL, NULL },
};

struct jg_loader {
	const char *file;
	yaml_document_t *doc;
	struct jg_config *cfg;
	struct jg_cfg_errors *errs;
};

void
jg_cfg_err(struct jg_cfg_errors *errs, const char *file, unsigned long line, const char *key, const char *fmt, ...)
{
	struct jg_cfg_error *e;
	va_list ap;
	int n;

	if (errs->n >= JG_CFG_MAX_ERRORS) {
		errs->dropped++;
		return;
	}
	e = &errs->e[errs->n++];
	n = snprintf(e->msg, sizeof(e->msg), "%s:%lu: %s: ", file, line, key);
	if (n < 0 || (size_t)n >= sizeof(e->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof(e->msg) - (size_t)n, fmt, ap);
	va_end(ap);
}

char *
jg_cfg_read_file(const char *path, size_t max, size_t *len, struct jg_cfg_errors *errs, int *rc)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long n;

	if (f == NULL) {
		*rc = -errno;
		jg_cfg_err(errs, path, 0, "(file)", "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || (size_t)n > max || fseek(f, 0, SEEK_SET) != 0 ||
	    (text = malloc((size_t)n + 1)) == NULL || fread(text, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(text);
		*rc = -EIO;
		jg_cfg_err(errs, path, 0, "(file)", "cannot read (or larger than %zu KiB)", max >> 10);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return text;
}

#define cfg_err jg_cfg_err

static void
note_line(struct jg_config *cfg, const char *key, unsigned long line)
{
	if (cfg->n_lines < sizeof(cfg->lines) / sizeof(cfg->lines[0])) {
		snprintf(cfg->lines[cfg->n_lines].key, sizeof(cfg->lines[0].key), "%.47s", key);
		cfg->lines[cfg->n_lines++].line = (uint32_t)line;
	}
}

static unsigned long
node_line(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int
parse_u64(const char *s, int base, uint64_t *out)
{
	char *end;

	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	return 0;
}

static int
is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Check a number against a row's bounds; report with the key's full name. */
static int
check_u32(struct jg_loader *ld, const struct jg_opt *o, const char *key, const yaml_node_t *n,
	  uint32_t *out)
{
	uint64_t v;

	if (n->type != YAML_SCALAR_NODE || parse_u64(scalar(n), 10, &v) != 0) {
		cfg_err(ld->errs, ld->file, node_line(n), key, "%s: not a non-negative integer",
			n->type == YAML_SCALAR_NODE ? scalar(n) : "(not a scalar)");
		return -EINVAL;
	}
	if (v < o->min || v > o->max) {
		cfg_err(ld->errs, ld->file, node_line(n), key, "%s: out of range [%llu, %llu]",
			scalar(n), (unsigned long long)o->min, (unsigned long long)o->max);
		return -EINVAL;
	}
	if ((o->flags & OPT_POW2) && !is_pow2(v)) {
		cfg_err(ld->errs, ld->file, node_line(n), key, "%s: not a power of two", scalar(n));
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static void
set_str(struct jg_loader *ld, const char *key, const yaml_node_t *n, char *dst, size_t cap)
{
	if (n->type != YAML_SCALAR_NODE) {
		cfg_err(ld->errs, ld->file, node_line(n), key, "(not a scalar): expected a string");
		return;
	}
	if (strlen(scalar(n)) >= cap) {
		cfg_err(ld->errs, ld->file, node_line(n), key, "%.40s...: longer than %zu bytes",
			scalar(n), cap - 1);
		return;
	}
	/* the whole field: what a longer default left behind would differ between two loads (reload compares bytes) */
	memset(dst, 0, cap);
	strcpy(dst, scalar(n));
}

static void load_mapping(struct jg_loader *ld, const char *prefix, const yaml_node_t *map,
			 const struct jg_opt *opts, char *base);

static void
set_opt(struct jg_loader *ld, const struct jg_opt *o, const char *key, const yaml_node_t *n,
	char *base)
{
	char sub[192];
	uint64_t v;

	switch (o->type) {
	case OPT_U32:
		check_u32(ld, o, key, n, (uint32_t *)(base + o->off));
		break;
	case OPT_STR:
		set_str(ld, key, n, base + o->off, o->size);
		break;
	case OPT_BOOL:
		if (n->type == YAML_SCALAR_NODE && (!strcmp(scalar(n), "true") || !strcmp(scalar(n), "yes")))
			*(uint32_t *)(base + o->off) = 1;
		else if (n->type == YAML_SCALAR_NODE &&
			 (!strcmp(scalar(n), "false") || !strcmp(scalar(n), "no")))
			*(uint32_t *)(base + o->off) = 0;
		else
			cfg_err(ld->errs, ld->file, node_line(n), key, "%s: expected true or false",
				n->type == YAML_SCALAR_NODE ? scalar(n) : "(not a scalar)");
		break;
	case OPT_MODE:
		if (n->type != YAML_SCALAR_NODE || parse_u64(scalar(n), 8, &v) != 0 || v > o->max)
			cfg_err(ld->errs, ld->file, node_line(n), key, "%s: expected an octal mode like 0660",
				n->type == YAML_SCALAR_NODE ? scalar(n) : "(not a scalar)");
		else
			*(uint32_t *)(base + o->off) = (uint32_t)v;
		break;
	case OPT_U32_LIST:
	case OPT_STR_LIST: {
		uint32_t *cnt = (uint32_t *)(base + o->cnt_off);

		if (n->type != YAML_SEQUENCE_NODE) {
			cfg_err(ld->errs, ld->file, node_line(n), key, "expected a list");
			return;
		}
		*cnt = 0;
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(ld->doc, *it);

			snprintf(sub, sizeof(sub), "%s[%u]", key, *cnt);
			if (*cnt >= o->size) {
				cfg_err(ld->errs, ld->file, node_line(e), sub, "more than %zu entries", o->size);
				return;
			}
			if (o->type == OPT_U32_LIST)
				check_u32(ld, o, sub, e, (uint32_t *)(base + o->off) + *cnt);
			else
				set_str(ld, sub, e, (char *)(base + o->off) + (size_t)*cnt * JG_CFG_STR, JG_CFG_STR);
			(*cnt)++;
		}
		break;
	}
	case OPT_MAP:
		for (const struct jg_section *sub = subsections; sub->name != NULL; sub++)
			if (!strcmp(sub->name, key))
				load_mapping(ld, key, n, sub->opts, base);
		break;
	}
}

/* Apply a mapping of key -> value using a table; unknown and repeated keys are errors. */
static void
load_mapping(struct jg_loader *ld, const char *prefix, const yaml_node_t *map,
	     const struct jg_opt *opts, char *base)
{
	uint64_t seen = 0;
	char key[160];

	if (map->type != YAML_MAPPING_NODE) {
		cfg_err(ld->errs, ld->file, node_line(map), prefix, "expected a mapping of keys");
		return;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(ld->doc, p->value);
		const struct jg_opt *o;
		unsigned int i;

		if (k->type != YAML_SCALAR_NODE) {
			cfg_err(ld->errs, ld->file, node_line(k), prefix, "keys must be plain words");
			continue;
		}
		snprintf(key, sizeof(key), "%s.%s", prefix, scalar(k));
		for (i = 0, o = opts; o->key != NULL; o++, i++)
			if (!strcmp(o->key, scalar(k)))
				break;
		if (o->key == NULL) {
			cfg_err(ld->errs, ld->file, node_line(k), key, "unknown key");
			continue;
		}
		if (seen & (1ull << i)) {
			cfg_err(ld->errs, ld->file, node_line(k), key, "given twice");
			continue;
		}
		seen |= 1ull << i;
		note_line(ld->cfg, key, node_line(k));
		set_opt(ld, o, key, v, base);
	}
}

static void
load_ports(struct jg_loader *ld, const yaml_node_t *seq)
{
	struct jg_config *cfg = ld->cfg;
	char key[64];

	if (seq->type != YAML_SEQUENCE_NODE) {
		cfg_err(ld->errs, ld->file, node_line(seq), "ports", "expected a list of ports");
		return;
	}
	cfg->n_ports = 0;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(ld->doc, *it);
		struct jg_cfg_port *p;

		snprintf(key, sizeof(key), "ports[%u]", cfg->n_ports);
		if (cfg->n_ports >= JG_CFG_MAX_PORTS) {
			cfg_err(ld->errs, ld->file, node_line(e), key, "more than %d ports", JG_CFG_MAX_PORTS);
			return;
		}
		p = &cfg->ports[cfg->n_ports++];
		memset(p, 0, sizeof(*p));
		p->rx_queues = 1;
		p->rx_descriptors = 1024;
		p->tx_descriptors = 1024;
		p->line = (uint32_t)node_line(e);
		load_mapping(ld, key, e, port_opts, (char *)p);
		if (p->device[0] == '\0')
			cfg_err(ld->errs, ld->file, node_line(e), key, "device: missing (PCI address or net_xxx vdev)");
		if (p->name[0] == '\0')
			snprintf(p->name, sizeof(p->name), "port%u", cfg->n_ports - 1);
	}
}

static void
load_root(struct jg_loader *ld, const yaml_node_t *root)
{
	uint32_t seen = 0;

	if (root->type != YAML_MAPPING_NODE) {
		cfg_err(ld->errs, ld->file, node_line(root), "(top)", "expected a mapping of sections");
		return;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(ld->doc, p->value);
		unsigned int i;

		if (k->type != YAML_SCALAR_NODE) {
			cfg_err(ld->errs, ld->file, node_line(k), "(top)", "section names must be plain words");
			continue;
		}
		if (!strcmp(scalar(k), "ports")) {
			i = 31;
		} else {
			for (i = 0; sections[i].name != NULL; i++)
				if (!strcmp(sections[i].name, scalar(k)))
					break;
			if (sections[i].name == NULL) {
				cfg_err(ld->errs, ld->file, node_line(k), scalar(k), "unknown section");
				continue;
			}
		}
		if (seen & (1u << i)) {
			cfg_err(ld->errs, ld->file, node_line(k), scalar(k), "section given twice");
			continue;
		}
		seen |= 1u << i;
		note_line(ld->cfg, scalar(k), node_line(k));
		if (i == 31)
			load_ports(ld, v);
		else
			load_mapping(ld, sections[i].name, v, sections[i].opts, (char *)ld->cfg);
	}
}

void
jg_config_defaults(struct jg_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->file_prefix, "jumpgate");
	cfg->memory_mb = 0;
	cfg->main_lcore = 0;
	cfg->n_workers = 1;
	cfg->workers[0] = 1;
	cfg->mbufs = 16383;
	cfg->mbuf_cache = 256;
	cfg->mbuf_data_room = 2048 + 128;
	cfg->burst = 32;
	cfg->flow_table_size = 1u << 20;
	cfg->tcp_idle_s = 300;
	cfg->udp_idle_s = 60;
	cfg->other_idle_s = 30;
	cfg->closed_s = 5;
	cfg->active_s = 1800;
	cfg->session_idle_s = 3600;
	cfg->ring_events = 16384;
	cfg->ring_flows = 65536;
	cfg->ring_dispatch = 4096;
	strcpy(cfg->socket_path, "/run/jumpgate/jgctl.sock");
	cfg->socket_mode = 0660;
	strcpy(cfg->socket_group, "jumpgate");
	strcpy(cfg->out_dir, "/var/log/jumpgate");
	/* the host name, as far as it is a sensor name (the validator says what is) */
	if (gethostname(cfg->sensor_name, sizeof(cfg->sensor_name) - 1) != 0 || cfg->sensor_name[0] == '\0')
		strcpy(cfg->sensor_name, "jumpgate");
	cfg->sensor_name[strcspn(cfg->sensor_name, ".")] = '\0';
	for (char *ch = cfg->sensor_name; *ch; ch++)
		if (!((*ch >= 'a' && *ch <= 'z') || (*ch >= 'A' && *ch <= 'Z') || (*ch >= '0' && *ch <= '9') || *ch == '_'))
			*ch = '-';
	cfg->flows_output = 1;
	strcpy(cfg->out_syslog.server, "127.0.0.1:514");
	strcpy(cfg->out_syslog.transport, "udp");
	strcpy(cfg->out_syslog.facility, "local0");
	cfg->out_syslog.facility_code = 16;
	cfg->out_syslog.queue = 4096;
	strcpy(cfg->out_redis.server, "127.0.0.1:6379");
	strcpy(cfg->out_redis.stream, "jumpgate:alerts");
	cfg->out_redis.maxlen = 100000;
	cfg->out_redis.queue = 4096;
	strcpy(cfg->out_ipfix.collector, "127.0.0.1:4739");
	cfg->out_ipfix.domain_id = 1;
	cfg->out_ipfix.template_refresh = 60;
	cfg->out_ipfix.biflow = 1;
	cfg->out_ipfix.queue = 4096;
	cfg->alert_window_s = 300;
	cfg->alert_table = 16384;
	cfg->store_on = 1;
	cfg->store_max_alerts = 1000000;
	cfg->store_max_flows = 5000000;
	cfg->store_max_age_s = 30 * 86400;
	cfg->store_batch_ms = 200;
	cfg->fail_open = 1;
	cfg->detect_on = 1;
	cfg->detect_sessions = 4096;
	cfg->rpc_discovery = 1;
	cfg->ooo_buffers = 256;
	cfg->ooo_window = 65536;
	strcpy(cfg->overlap_policy, "first");
	cfg->frag_datagrams = 1024;
	cfg->frag_fragments = 256;
	cfg->frag_memory_kb = 8192;
	cfg->frag_timeout_s = 30;
}

int
jg_config_port_is_vdev(const struct jg_cfg_port *p)
{
	return strncmp(p->device, "net_", 4) == 0;
}

/* Line numbers of cross-key errors are filled in from the file by key name. */
int
jg_config_load_mem(const char *name, const char *text, size_t len, struct jg_config *cfg,
		   struct jg_cfg_errors *errs)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct jg_loader ld = { name, &doc, cfg, errs };
	yaml_node_t *root;
	uint32_t before = errs->n + errs->dropped;

	jg_config_defaults(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	if (!yaml_parser_initialize(&parser)) {
		cfg_err(errs, name, 0, "(file)", "cannot initialise the YAML parser");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		cfg_err(errs, name, (unsigned long)parser.problem_mark.line + 1, "(syntax)", "%s",
			parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root != NULL && !(root->type == YAML_SCALAR_NODE && scalar(root)[0] == '\0'))
		load_root(&ld, root);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	/* Cross-key checks run even after key errors: the operator sees every problem at once. */
	if (jg_config_validate(cfg, errs) != 0 || errs->n + errs->dropped != before)
		return -EINVAL;
	return 0;
}

int
jg_config_load(const char *path, struct jg_config *cfg, struct jg_cfg_errors *errs)
{
	size_t len;
	int rc;
	char *text = jg_cfg_read_file(path, 1u << 24, &len, errs, &rc);

	if (text == NULL) {
		jg_config_defaults(cfg);
		return rc;
	}
	rc = jg_config_load_mem(path, text, len, cfg, errs);
	free(text);
	return rc;
}
