/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Alert aggregation: events with the same key (type, tool, source, destination,
 * service, action, artifact) within a window are one alert with a count. The first
 * occurrence is an alert at once; repeats only count; when the window closes
 * (by capture time, or after as long without a repeat on the wall clock) an
 * alert that repeated is reported once more with its final count.
 *
 * The table is bounded: buckets of 8 keys, the oldest key of a full bucket is
 * closed early to make room (counted).
 */
#ifndef JG_AGG_H
#define JG_AGG_H

#include <stdint.h>

#include "jg_wire.h"
#include "sink.h"

struct jg_store;
struct jg_agg;

/** Where alerts go (events.jsonl and the collectors). */
typedef void (*jg_alert_fn)(void *ctx, const struct jg_alert *a);

/**
 * @param window_ns  0: every event is its own alert
 * @param keys       keys tracked at once (power of two, >= 8)
 * @param store      where alerts are kept (NULL: ids are counted here)
 * @return the aggregator, or NULL (out of memory)
 */
struct jg_agg *jg_agg_create(uint64_t window_ns, uint32_t keys, struct jg_store *store, jg_alert_fn emit,
			     void *ctx);

/** Close every window (reporting final counts) and free. */
void jg_agg_destroy(struct jg_agg *a);

/** Name every alert line with this sensor (kept by pointer; NULL or "": none). */
void jg_agg_set_sensor(struct jg_agg *a, const char *name);

/** One event from the dataplane. */
void jg_agg_event(struct jg_agg *a, const struct jg_event_rec *ev, uint64_t now_ns);

/** Close the windows that have ended (a slice of the table per call). */
void jg_agg_tick(struct jg_agg *a, uint64_t now_ns);

/** Close every open window now (end of a replay, shutdown). */
void jg_agg_flush(struct jg_agg *a);

/** The aggregator's counters, for `jgctl stats`. */
struct jg_agg_stats {
	uint64_t events;    /**< events taken */
	uint64_t alerts;    /**< new alerts */
	uint64_t repeats;   /**< events counted into an open alert */
	uint64_t updates;   /**< final counts reported */
	uint64_t evicted;   /**< windows closed early: bucket full */
	uint64_t open;      /**< alerts with an open window now */
};
const struct jg_agg_stats *jg_agg_stats(const struct jg_agg *a);

#endif
