/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Learn mode: the remote administration a network really does, kept by the
 * control plane as a graph of edges (source, target, service) with the
 * sessions, users, tools and times behind each, from which a policy is
 * proposed (`jgctl policy suggest`, `jumpgate learn`) and a draft is compared
 * with the running policy (`jgctl policy diff`, `jumpgate replay --policy`).
 *
 * Bounded: JG_LEARN_EDGES edges; an edge unseen for JG_LEARN_WINDOW_NS (by the
 * control plane's clock: a replay of old captures learns from all of them) is
 * forgotten, and a full graph gives way to the edges with the least evidence
 * (attack-tool edges last: they are what to look at). Kept in the store's
 * SQLite database (table admin_edges), so a restart forgets nothing.
 */
#ifndef JG_LEARN_H
#define JG_LEARN_H

#include <stdint.h>

#include "jg_fmt.h"
#include "jg_khash.h"
#include "jg_policy_load.h"
#include "jg_wire.h"

#define JG_LEARN_EDGES 4096
#define JG_LEARN_USERS 4    /* user names kept per edge (more are counted) */
#define JG_LEARN_RECENT 4   /* flows remembered per edge, so sessions and not events are counted */
#define JG_LEARN_USER_LEN 48
#define JG_LEARN_WINDOW_NS (30ull * 86400 * 1000000000ull)

static_assert(JG_TOOL_MAX <= 32, "jg_learn_edge.tools is a bit per tool");

/** Remote administration from src to dst with one service. */
struct jg_learn_edge {
	uint8_t used;
	uint8_t ip_version;
	uint8_t dirty;      /**< changed since the last jg_learn_flush() */
	uint8_t n_users;
	uint8_t src[16];
	uint8_t dst[16];
	char service[32];   /**< by name: custom services survive a policy change */
	uint32_t sessions;  /**< flows */
	uint32_t attack_sessions; /**< flows in which an attack tool was named */
	uint32_t events;
	uint32_t tools;     /**< bit per enum jg_tool named */
	uint32_t more_users; /**< names seen beyond the JG_LEARN_USERS kept */
	uint64_t first_ns, last_ns; /**< packet times of its first and last event */
	uint64_t seen_ns;           /**< when its last event reached the control plane (the window) */
	uint64_t attack_first_ns, attack_last_ns; /**< packet times of its events that named an attack tool */
	uint64_t recent[JG_LEARN_RECENT]; /**< flow tags, newest first (bit 1 set); bit 0: an attack tool counted */
	char users[JG_LEARN_USERS][JG_LEARN_USER_LEN]; /**< DOMAIN\\user */
};

struct jg_learn {
	struct jg_khash hk;     /**< the buckets' keyed hash (random keys: JG_HASH_SEED reproduces a layout) */
	uint32_t n;
	uint32_t cap;           /**< edges it may hold (JG_LEARN_EDGES, less in tests) */
	uint64_t evicted;       /**< edges given up to make room */
	uint64_t aged;          /**< edges forgotten after the window */
	uint64_t newest_ns;     /**< time of the newest event (capture time in a replay) */
	/** told of every edge given up or forgotten (the store deletes its row); may be NULL */
	void (*gone)(void *ctx, const struct jg_learn_edge *e);
	void *gone_ctx;
	uint32_t n_dirty;       /**< edges changed since the last flush, listed in dirty[] */
	uint8_t dirty_all;      /**< the list overflowed: the flush looks at every edge */
	uint16_t dirty[JG_LEARN_EDGES];
	uint16_t head[2 * JG_LEARN_EDGES]; /**< hash chains: slot + 1, 0 ends */
	uint16_t next[JG_LEARN_EDGES];
	struct jg_learn_edge e[JG_LEARN_EDGES];
};

/** An empty graph holding at most cap edges (0: JG_LEARN_EDGES). */
void jg_learn_init(struct jg_learn *l, uint32_t cap);

/**
 * Count one event that the dataplane judged (it names a service): a new
 * session of its edge when its flow was not seen yet. Zone violations repeat
 * the event that raised them and are not counted. @return the edge changed, or NULL
 */
struct jg_learn_edge *jg_learn_event(struct jg_learn *l, const struct jg_event_rec *ev, uint64_t now_ns);

/**
 * Put an edge back (from the store at start) as it is; a full graph makes room
 * as for an event. @return the edge, or NULL when no slot could be had
 */
struct jg_learn_edge *jg_learn_put(struct jg_learn *l, const struct jg_learn_edge *in);

/** Pass every edge changed since the last call to put (once each), e.g. to the store before its commit. */
void jg_learn_flush(struct jg_learn *l, void (*put)(void *ctx, const struct jg_learn_edge *e), void *ctx);

/** Forget edges that no event reached for the window before `now_ns` (the control plane's clock). */
void jg_learn_age(struct jg_learn *l, uint64_t now_ns);

struct jg_store;

/** Put the edges the store kept back into the graph (at start). @return edges, or -1 on a database error */
int jg_learn_store_load(struct jg_store *s, struct jg_learn *l);

/** Forget every stored edge. */
void jg_learn_store_clear(struct jg_store *s);

/** Write an edge that changed (in the store's batch transaction). */
void jg_learn_store_edge(struct jg_store *s, const struct jg_learn_edge *e);

/** The same as a jg_learn_flush() callback (ctx is the store). */
void jg_learn_store_put(void *ctx, const struct jg_learn_edge *e);

/** Delete an edge's row (a jg_learn gone callback; ctx is the store). */
void jg_learn_store_gone(void *ctx, const struct jg_learn_edge *e);

/** Tools of an edge as a comma list ("" when none): all (which -1), the attack tools (1) or the others (0). @return out */
const char *jg_learn_tools(const struct jg_learn_edge *e, int which, char *out, size_t cap);

/** Users of an edge as a comma list, "+N more" after them. @return out */
const char *jg_learn_users(const struct jg_learn_edge *e, char *out, size_t cap);

struct jg_hosts;

/** What `jgctl policy suggest` asks. */
struct jg_suggest_opts {
	const struct jg_hosts *hosts; /**< names for the comments (may be NULL) */
	uint64_t since_ns;     /**< only edges seen since (0: all) */
	uint32_t min_sessions; /**< sessions a host must have run to be an admin source (default 1) */
	uint32_t max_users;    /**< an admin source uses at most this many accounts (default 3) */
	uint64_t now_ns;       /**< the time written in the header */
};

/** How a proposal came out, for its caller and its tests. */
struct jg_suggest_result {
	uint32_t admin_hosts, managed_hosts, other_hosts;
	uint32_t zones_new, rules_new;
	uint32_t attack_edges;
};

/**
 * A policy YAML in the format of detect.policy, commented with the evidence
 * behind every zone and rule, from the edges and the running policy (whose
 * zones, services and rules are kept). @return 0, or -ENOMEM
 */
int jg_suggest(const struct jg_learn *l, const struct jg_policy *current, const struct jg_suggest_opts *o,
	       struct jg_buf *yaml, struct jg_suggest_result *res);

/** Sessions by verdict under one policy. */
struct jg_whatif_totals {
	uint64_t allow, alert, block;
	uint64_t attack_allowed; /**< attack-tool sessions the policy would allow (must stay 0) */
	uint64_t unjudged;       /**< sessions of a service the policy does not define */
};

/**
 * What the current policy and a draft would each have done to the observed
 * sessions since since_ns: totals, sessions per (zone, zone, service), the
 * edges whose verdict changes and the hosts the draft newly trusts; a table
 * or (json) one object. Totals are returned for the tests.
 */
void jg_whatif(const struct jg_learn *l, const struct jg_policy *cur, const char *cur_name,
	       const struct jg_policy *draft, const char *draft_name, uint64_t since_ns, int json, struct jg_buf *out,
	       struct jg_whatif_totals *t_cur, struct jg_whatif_totals *t_draft);

#endif
