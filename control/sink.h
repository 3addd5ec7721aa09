/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Outputs to the operator's collectors (syslog, Redis Streams, IPFIX). Each is
 * optional, fed by the control plane's drain loop, and never blocks it: records
 * go into a bounded queue, sockets are non-blocking, a full queue is a counted
 * drop, a lost collector is reconnected with back-off.
 */
#ifndef JG_SINK_H
#define JG_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "jg_fmt.h"
#include "jg_wire.h"

struct jg_config;
struct jg_policy;

/**
 * An alert as the outputs see it: an event after deduplication. The first
 * occurrence of a (type, source, destination, service, tool, artifact) key is
 * sent at once with count 1; when its window closes after repeats, one update
 * with the same id carries the final count (`update` set).
 */
struct jg_alert {
	const struct jg_event_rec *ev; /**< the first occurrence */
	uint64_t id;       /**< alert id (the store's row id), stable across updates */
	uint64_t count;    /**< occurrences so far */
	uint64_t first_ns; /**< capture time of the first and last occurrences */
	uint64_t last_ns;
	int update;        /**< 1: repeat count of an alert already sent */
	const char *json;  /**< the EVE JSON line (no newline), with id and count */
	size_t json_len;
};

/** What every output counts; shown by `jgctl stats`. */
struct jg_sink_stats {
	uint64_t sent;       /**< records handed to the collector */
	uint64_t dropped;    /**< records dropped: queue full or collector gone too long */
	uint64_t errors;     /**< send/connect errors */
	uint64_t reconnects; /**< connections (re)established */
	uint32_t queued;     /**< records waiting now */
	uint32_t connected;  /**< 1 when the socket is up (always 1 for UDP) */
};

struct jg_sink {
	const char *name; /**< "syslog", "redis", "ipfix" */
	/** An alert (NULL: this output takes none). */
	void (*alert)(struct jg_sink *s, const struct jg_alert *a);
	/** A flow record and its JSON line (NULL: this output takes none). */
	void (*flow)(struct jg_sink *s, const struct jg_flow_rec *fr, const char *json, size_t json_len);
	/** Non-blocking I/O: connect, send what is queued, time out. Called every loop. */
	void (*poll)(struct jg_sink *s, uint64_t now_ns);
	/** Send what can be sent within a short deadline, close, free. */
	void (*close)(struct jg_sink *s);
	struct jg_sink_stats st;
	/** Names of zones and services (flow records carry indexes): set by the drain loop to the
	 *  policy generation of each record before flow(). */
	const struct jg_policy *pol;
};

/**
 * Open the outputs the configuration enables.
 * @return how many were opened into sinks[] (at most max), or -errno (errors printed)
 */
int jg_sinks_open(const struct jg_config *cfg, const struct jg_policy *pol, struct jg_sink **sinks, int max);

/** Every output's counters, as a table or as a JSON object keyed by output name. */
void jg_sinks_stats(struct jg_sink *const *sinks, int n, int json, struct jg_buf *out);

#endif
