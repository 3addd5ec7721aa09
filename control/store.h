/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The event and flow store: an embedded SQLite database (WAL) the control plane
 * writes in batched transactions and `jgctl events` / `jgctl flows top` query.
 * Bounded by row counts and age: the oldest rows are pruned as new ones come.
 */
#ifndef JG_STORE_H
#define JG_STORE_H

#include <stdint.h>

#include "jg_fmt.h"
#include "jg_wire.h"

struct jg_store;
struct jg_policy;

struct jg_store_limits {
	uint64_t max_alerts;
	uint64_t max_flows;
	uint64_t max_age_ns; /**< 0: none; by capture time of the newest record */
	uint64_t batch_ns;   /**< commit at least this often */
	int bulk;            /**< a replay's store (empty at start): the flows' indices wait for jg_store_index() */
};

/** Open (create) the database. @return the store, or NULL with the reason in err */
struct jg_store *jg_store_open(const char *path, const struct jg_store_limits *lim, char *err, size_t cap);

/**
 * Build the flows' indices a bulk store left for later (jg_store_close does it
 * too): the queries and pruning by age have gone through the rows until then.
 */
void jg_store_index(struct jg_store *s);

/** Commit, close, free. */
void jg_store_close(struct jg_store *s);

/**
 * A new alert (first occurrence of its key). @return its id (row id), or 0 on error
 * @param json  the event's JSON line without alert fields
 */
uint64_t jg_store_alert_add(struct jg_store *s, const struct jg_event_rec *ev, const char *json, size_t n);

/** More occurrences of an alert: its count and last time. */
void jg_store_alert_count(struct jg_store *s, uint64_t id, uint64_t count, uint64_t last_ns);

/** A finished flow. */
void jg_store_flow(struct jg_store *s, const struct jg_flow_rec *fr, const char *json, size_t n);

/** Commit when the batch is due, prune what the limits exceed. Call every loop. */
void jg_store_tick(struct jg_store *s, uint64_t now_ns);

/** Commit what is pending now. */
void jg_store_commit(struct jg_store *s);

/** Filters of `jgctl events`. Empty strings and zeros mean "any". */
struct jg_alert_query {
	uint64_t since_ns;
	uint64_t after_id;   /**< only alerts with a larger id (follow mode) */
	char host[64];       /**< source or destination address */
	char zone[32];       /**< source or destination zone */
	char tool[32];
	char type[32];
	uint32_t limit;
	uint64_t last_id;    /**< out: the largest id returned (or after_id when none) */
};

/**
 * Alerts matching q, oldest first (the newest `limit` of them, or the first
 * `limit` after after_id), as a table (json 0), a JSON array (1) or JSON lines (2). @return rows, or -1 on a database error (reason in out)
 */
int jg_store_alerts(struct jg_store *s, struct jg_alert_query *q, int json, struct jg_buf *out);

/** Order of `jgctl flows top`. */
enum jg_flow_order { JG_BY_BYTES = 0, JG_BY_PACKETS };

/**
 * The largest stored flows, those with remote administration first.
 * @return rows, or -1 on a database error (reason in out)
 */
int jg_store_flows_top(struct jg_store *s, enum jg_flow_order by, uint64_t since_ns, uint32_t limit, int json,
		       struct jg_buf *out);

/**
 * An alert as one JSON object: the event's line with alert_id, count,
 * first_seen and last_seen added (what the store, events.jsonl and the
 * collectors carry).
 */
void jg_store_alert_line(struct jg_buf *out, const char *json, uint64_t id, uint64_t count, uint64_t first_ns,
			 uint64_t last_ns);

/** Rows, pruned rows, commits and errors, for `jgctl stats`. */
struct jg_store_stats {
	uint64_t alerts, flows;          /**< rows written */
	uint64_t pruned_alerts, pruned_flows;
	uint64_t commits, errors;
	uint64_t max_commit_ns;          /**< slowest commit so far */
};

/** The store's counters. */
const struct jg_store_stats *jg_store_stats(const struct jg_store *s);

#endif
