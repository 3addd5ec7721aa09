/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Detection: per-flow protocol sessions for the flows that can carry remote
 * administration (SMB, DCE-RPC, RDP, WinRM), TCP stream handling, Hyperscan
 * streaming over their payload, and the events they yield.
 *
 * One struct jg_detect per worker: a fixed pool of sessions, one Hyperscan
 * scratch, counters. Nothing here allocates after creation or takes a lock;
 * it does not depend on DPDK, so it runs in unit tests on crafted segments.
 */
#ifndef JG_DETECT_H
#define JG_DETECT_H

#include <stdint.h>

#include "flow.h"
#include "ipfrag.h"
#include "jg_patterns.h"
#include "jg_wire.h"
#include "pkt_fastpath.h"
#include "session_ports.h"

struct jg_detect;
struct jg_hs_db;

/** Called for every event of a flow; the record is complete but for `worker`. */
typedef void (*jg_event_fn)(void *ctx, struct jg_flow *f, struct jg_event_rec *ev);

/**
 * Compile the patterns into a streaming Hyperscan database, and the attribution
 * rules into a block-mode one per field they test (at start and at reload).
 * @return the databases, or NULL with every problem in errs (a rule's
 *         expression named at its file:line, like the loader's errors)
 */
struct jg_hs_db *jg_hs_compile(const struct jg_patterns *pats, struct jg_cfg_errors *errs);

/** Free a database. */
void jg_hs_free(struct jg_hs_db *db);

/** Bounds of a worker's detection context. */
struct jg_detect_limits {
	uint32_t sessions;    /**< flows inspected at once */
	uint32_t ooo_buffers; /**< out-of-order buffers (directions holding segments at once) */
	uint32_t ooo_window;  /**< bytes a direction may hold ahead of the next expected one (power of two) */
	uint8_t policy;       /**< whose bytes win a TCP overlap: enum jg_overlap_policy (ipfrag.h) */
	uint8_t no_discovery; /**< 1: the catalogue's discovery functions (share lists, SID lookups) raise no event */
};

/**
 * Create a worker's detection context.
 * @param lim       its bounds
 * @param mem_alloc allocator for the pool (DPDK heap in the dataplane, malloc in tests)
 * @param cnt       the worker's counters (JG_CNT_MAX of them): the detection ones are counted there
 * @return the context, or NULL (errno set)
 */
struct jg_detect *jg_detect_create(const struct jg_hs_db *db, const struct jg_detect_limits *lim, uint16_t worker,
				   jg_event_fn emit, void *emit_ctx, void *(*mem_alloc)(size_t), uint64_t *cnt);

/** The flow table whose flows the context is given (their cold parts hold the sessions' indices). */
void jg_detect_set_flows(struct jg_detect *d, struct jg_flow_table *ft);

/** Bytes one out-of-order buffer of a window takes: the bytes, a bitmap of those held, one of the weak ones. */
static inline size_t
jg_detect_ooo_size(uint32_t window)
{
	return (size_t)window + window / 4;
}

/**
 * The contexts of every worker (this one among them), before the workers run:
 * what one learns from the endpoint mapper the others read. Without a call a
 * context reads only its own.
 */
void jg_detect_set_peers(struct jg_detect *d, const struct jg_detect *const *all, uint32_t n);

/** Close the streams and free a context made by jg_detect_create(). */
void jg_detect_destroy(struct jg_detect *d, void (*mem_free)(void *));

#include <hs/hs.h>

/** Hyperscan streams a context holds: two per session. */
uint32_t jg_detect_stream_count(const struct jg_detect *d);

/**
 * Reload, off the fast path: a scratch and jg_detect_stream_count() streams of
 * a new database for context d. @return 0, or -ENOMEM (nothing kept)
 */
int jg_detect_hs_alloc(const struct jg_detect *d, const struct jg_hs_db *db, hs_scratch_t **scratch,
		       hs_stream_t **streams);

/** Close n streams and free a scratch (made by jg_detect_hs_alloc, or handed back by a swap). */
void jg_detect_hs_free(const struct jg_detect *d, hs_scratch_t *scratch, hs_stream_t **streams, uint32_t n);

/** The scratch and streams d uses now (what a swap retires). */
void jg_detect_hs_current(const struct jg_detect *d, hs_scratch_t **scratch, hs_stream_t **streams);

/**
 * On the worker: switch to a new database, scratch and streams. Sessions in
 * flight keep their TCP and protocol state and scan on from where they are.
 */
void jg_detect_swap(struct jg_detect *d, const struct jg_hs_db *db, hs_scratch_t *scratch,
		    hs_stream_t *const *streams);

/** Sessions in use. */
uint32_t jg_detect_sessions_used(const struct jg_detect *d);

/** Bytes of memory a session takes (pool sizing). */
size_t jg_detect_session_size(void);

/**
 * Inspect one packet of a flow. `payload` holds the L4 payload as up to `n_seg`
 * contiguous pieces (an mbuf chain).
 * @param dir  0 when the packet comes from the flow's initiator, 1 otherwise
 */
void jg_detect_packet(struct jg_detect *d, struct jg_flow *f, const struct jg_pkt *p, int dir,
		      const uint8_t *const *seg, const uint32_t *seg_len, unsigned int n_seg, uint64_t ts_ns);

/**
 * An evasion seen below TCP (IP fragments overlapping with different bytes, a
 * tiny first fragment) in a datagram of flow f: an `evasion` event, once per
 * flow and kind when the flow has a session.
 */
void jg_detect_anomaly(struct jg_detect *d, struct jg_flow *f, const struct jg_pkt *p, const char *kind,
		       const char *detail, uint64_t ts_ns);

/** The flow ends: give its session back. */
void jg_detect_release(struct jg_detect *d, struct jg_flow *f);

#endif
