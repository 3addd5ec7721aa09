/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Jumpgate's configuration: YAML (libyaml) to a typed struct, then validation
 * across keys. Every error is collected as `file:line: key: value: reason`; the
 * loader never exits, so it is unit-tested like any pure function.
 */
#ifndef JG_CONFIG_H
#define JG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define JG_CFG_MAX_PORTS 8
#define JG_CFG_MAX_WORKERS 32
#define JG_CFG_MAX_EAL_ARGS 16
#define JG_CFG_STR 256
#define JG_CFG_PATH 4096
#define JG_CFG_MAX_ERRORS 64

struct jg_cfg_port {
	char name[64];
	char device[JG_CFG_STR]; /**< PCI address (-a) or vdev string "net_xxx,..." */
	uint32_t rx_queues;
	uint32_t rx_descriptors;
	uint32_t tx_descriptors;
	char peer[64];  /**< inline: the port this one's traffic leaves through (empty: monitor only) */
	uint32_t line; /**< YAML line of the entry, for cross-key errors */
};

/** output.syslog: alerts as RFC 5424 messages (docs/outputs.md). */
struct jg_cfg_syslog {
	uint32_t enabled;
	char server[JG_CFG_STR];   /**< host:port, [v6]:port */
	char transport[8];         /**< udp or tcp (RFC 6587 octet counting) */
	char facility[16];         /**< a name (local0) or a number 0-23 */
	uint32_t queue;            /**< messages waiting at most; more are dropped (counted) */
	uint32_t tcp;              /**< derived: transport is tcp */
	uint32_t facility_code;    /**< derived: facility as a number */
};

/** output.redis: alerts (and optionally flows) as Redis Stream entries. */
struct jg_cfg_redis {
	uint32_t enabled;
	char server[JG_CFG_STR];
	char stream[JG_CFG_STR];       /**< key of the alerts stream */
	char flows_stream[JG_CFG_STR]; /**< key of the flows stream; empty: flows not sent */
	uint32_t maxlen;               /**< XADD MAXLEN ~ */
	char password[JG_CFG_STR];     /**< AUTH; empty: none */
	uint32_t queue;
};

/** output.ipfix: flow records as IPFIX (RFC 7011) over UDP. */
struct jg_cfg_ipfix {
	uint32_t enabled;
	char collector[JG_CFG_STR];
	uint32_t domain_id;        /**< observation domain id */
	uint32_t template_refresh; /**< seconds between template resends */
	uint32_t biflow;           /**< 1: one RFC 5103 biflow record per flow; 0: one record per direction */
	uint32_t queue;            /**< flow records waiting at most */
};

struct jg_config {
	char path[JG_CFG_PATH];
	/* eal */
	char file_prefix[64];
	uint32_t memory_mb;
	uint32_t n_eal_args;
	char eal_args[JG_CFG_MAX_EAL_ARGS][JG_CFG_STR];
	/* lcores */
	uint32_t main_lcore;
	uint32_t n_workers;
	uint32_t workers[JG_CFG_MAX_WORKERS];
	uint32_t n_cpus; /**< 0 or n_workers + 1: CPU of main, then of each worker */
	uint32_t cpus[JG_CFG_MAX_WORKERS + 1];
	/* ports */
	uint32_t n_ports;
	struct jg_cfg_port ports[JG_CFG_MAX_PORTS];
	/* mempool */
	uint32_t mbufs;
	uint32_t mbuf_cache;
	uint32_t mbuf_data_room;
	uint32_t burst;
	/* flows */
	uint32_t flow_table_size; /**< per worker, power of two */
	uint32_t tcp_idle_s;
	uint32_t udp_idle_s;
	uint32_t other_idle_s;
	uint32_t closed_s;
	uint32_t active_s;
	uint32_t session_idle_s; /**< idle timeout of inspected flows (SMB, DCE-RPC, ...) */
	/* rings */
	uint32_t ring_events;
	uint32_t ring_flows;
	uint32_t ring_dispatch;
	/* control */
	char socket_path[108];
	uint32_t socket_mode;
	char socket_group[64];
	char metrics_listen[JG_CFG_STR]; /**< control.metrics: host:port of the Prometheus endpoint; "" off */
	/* sensor: this appliance's name on every event and flow record (many appliances, one fleet) */
	char sensor_name[64];
	/* output */
	char out_dir[JG_CFG_PATH];
	uint32_t flows_output; /**< 1: write flows.jsonl */
	struct jg_cfg_syslog out_syslog;
	struct jg_cfg_redis out_redis;
	struct jg_cfg_ipfix out_ipfix;
	/* alerts: repeats of one (type, tool, source, destination, service, action, artifact) within the window are one alert */
	uint32_t alert_window_s; /**< 0: every event is its own alert */
	uint32_t alert_table;    /**< keys tracked at once */
	/* store: the SQLite event and flow store */
	uint32_t store_on;
	char store_path[JG_CFG_PATH]; /**< "" = <output.dir>/jumpgate.db; relative = to output.dir */
	uint32_t store_max_alerts;
	uint32_t store_max_flows;
	uint32_t store_max_age_s; /**< 0: no age limit */
	uint32_t store_batch_ms;  /**< writes are committed at least this often */
	/* inline */
	uint32_t fail_open; /**< 1: forwarding goes on while no control plane is attached */
	uint32_t send_rst;  /**< 1: reset both ends of a blocked TCP flow */
	/* detect */
	uint32_t detect_on;
	uint32_t detect_sessions; /**< per worker */
	uint32_t rpc_discovery;   /**< 1: discovery calls (share lists, SID lookups) are low-severity rpc_call events */
	/* reassembly: IP fragments and out-of-order TCP segments, per worker */
	uint32_t ooo_buffers;      /**< out-of-order buffers (TCP directions holding segments at once) */
	uint32_t ooo_window;       /**< bytes each may hold ahead of the next expected one */
	char overlap_policy[8];    /**< "first" or "last": whose bytes win an overlap (IP and TCP) */
	uint32_t frag_datagrams;   /**< datagrams in reassembly at once */
	uint32_t frag_fragments;   /**< fragments one datagram may have */
	uint32_t frag_memory_kb;   /**< memory for fragment bytes */
	uint32_t frag_timeout_s;   /**< a datagram still incomplete after this long is dropped */
	char patterns_path[JG_CFG_PATH]; /**< relative paths are relative to the config file */
	char policy_path[JG_CFG_PATH];   /**< zones and policy; empty: the built-in default */
	/* where each key was given, so cross-key errors can name a line */
	uint32_t n_lines;
	struct {
		char key[48];
		uint32_t line;
	} lines[160];
};

/** One loader error. */
struct jg_cfg_error {
	char msg[512];
};

/** The loader's error list: filled, never printed by the loader itself. */
struct jg_cfg_errors {
	uint32_t n;
	uint32_t dropped; /**< errors beyond JG_CFG_MAX_ERRORS */
	struct jg_cfg_error e[JG_CFG_MAX_ERRORS];
};

/** Record one error as `file:line: key: <printf text>` (counted when the list is full). */
void jg_cfg_err(struct jg_cfg_errors *errs, const char *file, unsigned long line, const char *key, const char *fmt,
		...) __attribute__((format(printf, 5, 6)));

/**
 * Read a whole (small) file for a loader; a failure is recorded as `path:0: (file): ...`.
 * @param max  largest size accepted
 * @return the text (free() it) and its length, or NULL with -errno in *rc
 */
char *jg_cfg_read_file(const char *path, size_t max, size_t *len, struct jg_cfg_errors *errs, int *rc);

/** Fill cfg with the built-in defaults (what an empty file gives). */
void jg_config_defaults(struct jg_config *cfg);

/**
 * Load and validate a YAML file over the defaults.
 * @return 0 when valid; -EINVAL with every problem in errs; -errno when the file
 *   cannot be read (also described in errs).
 */
int jg_config_load(const char *path, struct jg_config *cfg, struct jg_cfg_errors *errs);

/** Same as jg_config_load() from memory; `name` is used in messages. */
int jg_config_load_mem(const char *name, const char *text, size_t len, struct jg_config *cfg,
		       struct jg_cfg_errors *errs);

/** Validation across keys, run by the loaders; exposed for values set by flags. */
int jg_config_validate(struct jg_config *cfg, struct jg_cfg_errors *errs);

/** The YAML line where a key (else its section) was given; 1 when neither was. */
unsigned long jg_config_key_line(const struct jg_config *cfg, const char *key);

/** Checks of the output.syslog, output.redis and output.ipfix keys (called by jg_config_validate). */
void jg_config_validate_outputs(struct jg_config *cfg, struct jg_cfg_errors *errs);

/**
 * Split a collector address "host:port" or "[v6 address]:port".
 * @return 0, or -EINVAL (no port, port not in 1-65535, empty host, host too long)
 */
int jg_hostport_split(const char *s, char *host, size_t cap, uint16_t *port);

/** @return the syslog facility code of a name (kern, user, ..., local7) or number 0-23, or -1. */
int jg_syslog_facility_code(const char *name);

/** A path from the config file: relative paths are relative to the file's directory. */
void jg_config_path(const struct jg_config *cfg, const char *p, char *out, size_t cap);

/** The patterns file: detect.patterns, or the bundled patterns.yaml. */
void jg_config_patterns_path(const struct jg_config *cfg, char *out, size_t cap);

/** The policy file: detect.policy, or "" for the built-in default. */
void jg_config_policy_path(const struct jg_config *cfg, char *out, size_t cap);

/**
 * The store's database: store.path when absolute, else inside out_dir (jumpgate.db by default).
 * @return 1 when it lies inside out_dir, 0 when store.path is absolute
 */
int jg_config_store_path(const struct jg_config *cfg, const char *out_dir, char *out, size_t cap);

/** @return 1 when the device string names a virtual device (net_xxx). */
int jg_config_port_is_vdev(const struct jg_cfg_port *p);

#endif
