/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A worker lcore: its rx queues, flow-table shard, output staging and counters.
 * Everything here is owned by one lcore; the only shared writes are to the
 * worker's own status lines in the status memzone and to its own rings.
 */
#ifndef JG_WORKER_H
#define JG_WORKER_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "detect.h"
#include "flow.h"
#include "ipfrag.h"
#include "port.h"
#include "jg_wire.h"
#include "verdict.h"

struct jg_rules;
struct rte_rcu_qsbr;

#define JG_STAGE 32 /* records staged before one bulk ring enqueue */
#define JG_NO_PEER 0xffff

struct jg_rxq {
	uint16_t port;
	uint16_t queue;
};

/** A burst parsed and looked up, held until the next one is parsed (the worker's pipeline). */
struct jg_held {
	uint16_t n;
	uint16_t n_lanes;     /**< its first n_lanes packets went through the AVX2 lanes, eight at a time */
	uint8_t taken[8];     /**< the lanes taken of each eight (jg_flow_hint_frames_x8) */
	uint8_t cls[64];      /**< each packet's class (a lane taken: only once its eight go one by one) */
	struct rte_mbuf *m[64];
	struct jg_flow_lanes g[8]; /**< the hints of packets taken by the lanes; h[] has the others' */
	struct jg_pkt p[64];
	struct jg_flow_hint h[64];
};

struct jg_worker {
	uint16_t id;
	uint16_t n_workers;
	uint16_t burst;
	uint16_t n_rxq;
	struct jg_rxq rxq[JG_MAX_PORTS];
	int dispatch; /**< 1: spread packets to their owners in software */
	int lossless; /**< replay: pause rx instead of dropping when a ring fills up */
	int x8;       /**< the lean way's first step eight frames at a time (AVX2: jg_flow_x8_supported) */
	int lean;     /**< the lean way at all (JG_LEAN=0: every packet the general way, to compare the two) */
	struct rte_ring *dispatch_ring; /**< inbound from other workers (MP/SC) */
	struct rte_ring **peers;        /**< every worker's dispatch ring (also with RSS: reassembled datagrams) */
	const struct jg_rss_map *rss[RTE_MAX_ETHPORTS]; /**< by port id: the NIC's RSS, NULL without */
	struct rte_ring *ev_ring;
	struct rte_ring *fr_ring;
	/* room known left in them (the consumer only adds to it): their far ends read only when it looks short */
	unsigned int ev_room;
	unsigned int fr_room;
	struct jg_shm *shm;
	struct jg_worker_status *st;
	uint64_t *cnt;
	/* clock: capture time when packets carry it, else Unix time from the TSC and an anchor */
	int ts_off;
	uint64_t ts_flag;
	int capture_time;
	uint64_t now_ns;
	uint64_t tsc_hz;
	uint32_t n_fr_stage;
	uint32_t n_ev_stage;
	/* inline: packets of a port leave through its peer, on this worker's tx queue */
	uint16_t peer[RTE_MAX_ETHPORTS]; /**< peer port by port id, JG_NO_PEER when monitoring */
	uint16_t n_tx_ports;
	uint16_t tx_ports[JG_MAX_PORTS];
	int fail_closed; /**< drop everything while no control plane is attached */
	int send_rst;    /**< reset both ends of a flow when it is blocked */
	uint16_t n_free;
	struct rte_mbuf *free_buf[64];
	struct {
		uint16_t n;
		struct rte_mbuf *m[64];
	} tx[RTE_MAX_ETHPORTS];
	struct jg_detect *det; /**< NULL when detection is off */
	struct jg_frag_table *frag; /**< IP reassembly (NULL: fragments are counted and passed on) */
	uint8_t *frag_buf;          /**< a reassembled frame, before it goes into mbufs */
	struct rte_mempool *pool;   /**< where reassembled datagrams and resets get their mbufs */
	int reasm_off;              /**< mbuf dynfield: struct jg_reasm of a reassembled datagram */
	uint64_t reasm_flag;        /**< mbuf dynflag: this mbuf is a reassembled datagram */
	struct jg_verdict verdict; /**< the zone policy (pol NULL: none) */
	struct jg_rules *const *rules; /**< the published rule generation (rules.h) */
	uint32_t rules_gen;            /**< the generation this worker runs */
	struct rte_rcu_qsbr *qs;       /**< where it reports quiescent states */
	struct jg_flow_table flows;
	/*
	 * The lean way's one question per packet: bit c of lean_allow[jg_flow_lean_state(f)] is
	 * set when a packet of enum jg_lean_cls c changes nothing of flow f but its counters
	 * (made by jg_worker_init, again when detection comes).
	 */
	uint8_t lean_allow[256 + 3]; /* the lanes read it as words (jg_flow_match_x8) */
	struct jg_held held[2];
	uint8_t held_cur; /**< held[held_cur] is the burst waiting */
	struct jg_flow_rec fr_stage[JG_STAGE];
	struct jg_event_rec ev_stage[JG_STAGE];
	/*
	 * (TSC, Unix time) pair the main lcore refreshes every few ms (jg_worker_clock_anchor):
	 * DPDK's TSC rate is rounded to 10 MHz or measured over 0.1 s, so a clock that only
	 * counted cycles from its start would drift (0.2% on a 2.096 GHz core: 7 s an hour).
	 */
	struct {
		uint64_t seq; /**< odd while the pair is written */
		uint64_t tsc;
		uint64_t ns;
	} anchor __rte_cache_aligned;
} __rte_cache_aligned;

/**
 * Set up a worker's flow table (memory from the DPDK heap, on its socket) and clock.
 * @return 0, or -ENOMEM / -EINVAL
 */
int jg_worker_init(struct jg_worker *w, uint32_t flow_capacity, const struct jg_flow_timeouts *to);

/**
 * Give a worker its detection context (after jg_worker_init).
 * @return 0, or -ENOMEM
 */
int jg_worker_detect_init(struct jg_worker *w, const struct jg_hs_db *db, const struct jg_detect_limits *lim);

/**
 * Give a worker IP reassembly (after jg_worker_init): its table, and the pool
 * its reassembled datagrams take mbufs from.
 * @return 0, or -ENOMEM / -EINVAL
 */
int jg_worker_frag_init(struct jg_worker *w, const struct jg_frag_limits *lim, struct rte_mempool *pool);

/** Give a worker the zone policy it judges remote administration by. */
void jg_worker_policy_init(struct jg_worker *w, const struct jg_policy *pol, const struct jg_zones *zones);

/**
 * Give packets back to their pools, as the worker does with those it handled:
 * a direct, single-segment mbuf without touching its second cache line (its
 * next-segment pointer is NULL by DPDK's rule for one segment); anything else
 * through rte_pktmbuf_free().
 */
void jg_worker_free_mbufs(struct rte_mbuf *const *m, unsigned int n);

/** Release what jg_worker_init() took. */
void jg_worker_fini(struct jg_worker *w);

/**
 * Re-anchor worker w's clock: the TSC read at Unix time ns (main lcore, every
 * tick). The worker's clock never runs backwards across anchors.
 */
void jg_worker_clock_anchor(struct jg_worker *w, uint64_t tsc, uint64_t ns);

/** The polling loop (rte_eal_remote_launch entry); returns when *quit becomes non-zero. */
int jg_worker_main(void *arg);

/** A flow was just blocked at packet m: a TCP RST to each end (IPv4, inline ports). */
void jg_worker_send_rsts(struct jg_worker *w, const struct rte_mbuf *m, const struct jg_pkt *p);

/** Handle a burst of packets this worker owns, as its loop does after rx (bench/: the in-process path). */
void jg_worker_process(struct jg_worker *w, struct rte_mbuf **pkts, uint16_t n);

/**
 * jg_worker_process() for a burst from the worker's dispatch ring, which
 * brings other workers' reassembled datagrams too (never the lean way's).
 */
void jg_worker_process_dispatched(struct jg_worker *w, struct rte_mbuf **pkts, uint16_t n);

/** Finish the burst jg_worker_process() holds back (the worker does so whenever its queues are empty). */
void jg_worker_drain(struct jg_worker *w);

/** Send what is batched for the peer ports, free what is batched for the pool. */
void jg_worker_tx_flush(struct jg_worker *w);

/** Set by the main lcore to stop every worker loop. */
extern volatile int jg_worker_quit;

/**
 * Stage an event for the event ring. The caller fills everything but `worker`.
 * A full ring is a counted drop (event-ring-full), never a wait.
 */
void jg_worker_event(struct jg_worker *w, const struct jg_event_rec *ev);

#endif
