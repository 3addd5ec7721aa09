/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The control plane (DPDK secondary): drains the dataplane's rings into the
 * outputs and answers the operator socket.
 */
#ifndef JG_CONTROL_H
#define JG_CONTROL_H

#include <stdint.h>
#include <stdio.h>

#include <rte_ring.h>

#include "jg_config.h"
#include "jg_fmt.h"
#include "jg_proto.h"
#include "jg_records.h"
#include "hosts.h"
#include "out.h"
#include "lateral.h"
#include "learn.h"
#include "sink.h"
#include "agg.h"
#include "store.h"
#include "jg_wire.h"

/**
 * A JSON-lines output file. Lines are buffered whole and written with write(2),
 * so a control plane killed at any moment never leaves half a line behind.
 */

struct jg_control {
	struct jg_config cfg;
	const char *out_dir;
	const char *socket_path;
	int replay; /**< exit once the dataplane says DRAINED and the rings are empty */
	struct jg_shm *shm;
	struct rte_ring *ev_ring[JG_MAX_WORKERS];
	struct rte_ring *fr_ring[JG_MAX_WORKERS];
	struct jg_out *events;
	struct jg_out *flows; /**< NULL when output.flows is off */
	uint64_t n_events;
	uint64_t n_flows;
	uint64_t start_ns;
	int listen_fd;
	struct jg_lateral *lat; /**< the lateral-movement graph, fed by every event */
	struct jg_hosts *hosts; /**< host names by address: every event names both ends it can */
	struct jg_learn *learn; /**< learn mode: the remote administration observed (learn.h) */
	uint64_t learn_aged_ns; /**< when the graph was last aged */
	const char *suggest_path; /**< --suggest FILE: a replay's end writes the proposal there (jumpgate learn) */
	uint32_t min_sessions;    /**< --min-sessions of jumpgate learn */
	struct jg_policy_mz *pm; /**< the rules the dataplane runs (names of zones and services) */
	struct jg_store *store; /**< NULL when store.enabled is false */
	struct jg_agg *agg;     /**< events -> alerts with counts */
	/* rx-to-store latency of live events (packet time within 10 s of the wall clock), log2 µs buckets */
	uint64_t lat_hist[32];
	uint64_t lat_sum_ns;
	uint64_t lat_n;
	uint64_t lat_max_ns;
	int n_sinks;
	struct jg_sink *sinks[8]; /**< syslog, Redis, IPFIX: whichever the config enables */
	int metrics_fd;            /**< control.metrics listening socket, -1 when off */
	uint64_t metrics_scrapes;
	/** events drained and alerts raised, by event type, tool and action (none, allow, alert, block) */
	uint64_t event_counts[JG_EV_MAX][JG_TOOL_MAX][4];
	uint64_t alert_counts[JG_EV_MAX][JG_TOOL_MAX][4];
};

/** The drop reasons `jgctl stats` and the metrics sum (packets and records lost). */
extern const enum jg_counter jg_stats_drops[];
extern const size_t jg_stats_n_drops;

/** A worker counter summed over the workers. */
uint64_t jg_stats_total(const struct jg_shm *s, int k);

/** The policy a flow record's zone and service indexes refer to. */
static inline const struct jg_policy *
jg_control_policy(const struct jg_control *c, const struct jg_flow_rec *fr)
{
	return c->pm == NULL ? NULL : &c->pm->pol[fr->policy_gen & 1];
}

/**
 * Drain every ring once (bounded bursts).
 * @return records taken
 */
unsigned int jg_drain(struct jg_control *c);

/**
 * Take back records a killed predecessor had peeked but not committed; call on
 * attach, before draining.
 */
void jg_drain_reclaim(struct rte_ring *r);


/** An alert from the aggregator: events.jsonl and the collectors (jg_alert_fn). */
void jg_control_alert(void *ctx, const struct jg_alert *a);

/** Every loop: close ended alert windows, commit the store when due, let the collectors send. */
void jg_control_tick(struct jg_control *c);

/** Write learn mode's changed edges into the store's batch (before each commit). */
void jg_control_learn_flush(struct jg_control *c);

/** Close the collectors and open them again with the (reloaded) config. */
void jg_control_sinks_reopen(struct jg_control *c);

/** `reload`: config, zones, policy and patterns, validated here, swapped in by the dataplane. */
int jg_cmd_reload(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out);

/** Open the store and the aggregator the config asks for. @return 0 or -errno (printed) */
int jg_control_alerts_open(struct jg_control *c);

/** Open the operator socket (mode and group from the config). @return 0 or -errno */
int jg_server_open(struct jg_control *c);

/** Accept and answer pending requests without blocking longer than timeout_us. */
void jg_server_poll(struct jg_control *c, int timeout_us);

/** Close and unlink the socket. */
void jg_server_close(struct jg_control *c);

/**
 * A command: its arguments (the flag --json already taken out), its output.
 * @return enum jg_proto_code; on JG_USAGE `out` holds the reason
 */
typedef int (*jg_cmd_fn)(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out);

/** `status`: the dataplane's state, ports, workers, rings. */
int jg_cmd_status(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out);

/** `lateral [--host IP] [--since TIME] [--dot]`: the lateral-movement chain. */
int jg_cmd_lateral(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out);

/** RFC 3339 UTC, seconds or fractions: 2017-12-20T15:04:05[.123456]Z. @return 0, or -1 */
int jg_parse_time(const char *s, uint64_t *ns);

/** `events [filters]`: alerts from the store. */
int jg_cmd_events(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out);

/** `flows top [--by bytes|packets] [--limit N] [--since TIME]`: the largest flows, admin flows first. */
int jg_cmd_flows(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out);

/** `stats`: every counter, per port, per worker, per drop reason, per output. */
int jg_cmd_stats(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out);

/** `zones` and `zones test SRC DST [SERVICE]`: the running policy, and what it would do. */
int jg_cmd_zones(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out);

/** Drop every capability for good (after attaching and binding). @return 0 or -errno */
int jg_drop_privileges(void);

/** `hosts [--json]`: the names the wire gave each address. */
int jg_cmd_hosts(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out);

/** `policy suggest` and `policy diff DRAFT.yaml`: learn mode's proposal and what-if. */
int jg_cmd_policy(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out);

/**
 * End of a replay: with --suggest, the proposal into out_dir and its what-if
 * against the policy that ran; with --policy (a draft ran), the what-if of the
 * config's policy against the draft. whatif.txt and whatif.json beside the events.
 */
void jg_control_learn_finish(struct jg_control *c);

/** Listen on control.metrics (nothing when it is empty). @return 0 or -errno (printed) */
int jg_metrics_open(struct jg_control *c);

/** Answer the pending `GET /metrics` requests (Prometheus text format). Call every loop. */
void jg_metrics_poll(struct jg_control *c);

/** The metrics, as the endpoint serves them. */
void jg_metrics_render(struct jg_control *c, struct jg_buf *out);

/** Close the metrics socket. */
void jg_metrics_close(struct jg_control *c);

/** An event's action as the metrics label it: 0 none, 1 allow, 2 alert, 3 block. */
unsigned int jg_metrics_action(const struct jg_event_rec *ev);

/** Write out_dir/lateral.dot (end of a replay). */
void jg_lateral_write_dot(struct jg_control *c);

#endif
