/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-worker flow table: no locks, no sharing, no allocation after creation.
 *
 * Bucketised two-choice hash: each key may live in one of two 8-slot buckets,
 * whose 32-bit signatures share half a cache line, so a lookup reads one or two
 * signature lines and then one 128-byte entry. When both buckets are full the
 * least recently seen of the 16 candidates is evicted (counted, and exported as
 * a flow record with reason "evicted"), so the table never refuses a flow and
 * never grows. Expiry is an incremental sweep driven by the worker's clock.
 */
#ifndef JG_FLOW_H
#define JG_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "jg_wire.h"
#include "pkt_fastpath.h"

#define JG_FLOW_BUCKET 8

/** Canonical (direction-free) flow key: side a is the lower (address, port). */
struct jg_flow_key {
	uint8_t a[16];
	uint8_t b[16];
	uint16_t pa;
	uint16_t pb;
	uint8_t proto;
	uint8_t ip_version;
	uint16_t vlan;
};
static_assert(sizeof(struct jg_flow_key) == 40, "flow key is five words");

/** TCP state as seen from the wire, both directions together. */
enum jg_tcp_state {
	JG_TCP_NONE = 0,  /**< not TCP, or no flags seen yet */
	JG_TCP_SYN_SENT,  /**< SYN seen */
	JG_TCP_SYN_ACKED, /**< SYN+ACK seen */
	JG_TCP_ESTABLISHED,
	JG_TCP_MIDSTREAM, /**< first packet was not a SYN */
	JG_TCP_CLOSING,   /**< FIN from one side */
	JG_TCP_CLOSED,    /**< FIN from both sides, or RST */
};

/** Inspected: FIN and RST count only once detection found them in the window (jg_flow_tcp_end),
 * and the session idle timeout applies. */
#define JG_FLOW_GUARD 0x1u
/** A packet with a good checksum came from direction dir before the flow had a session. */
#define JG_FLOW_GOOD_CSUM(dir) (0x2u << (dir))

/** One flow: two cache lines. Index 0 of the counters is initiator -> responder. */
struct jg_flow {
	struct jg_flow_key key;
	uint8_t init_is_a; /**< 1 when the initiator is side a of the key */
	uint8_t tcp_state; /**< enum jg_tcp_state */
	uint8_t flags[2];  /**< OR of TCP flags per direction */
	uint8_t fin_seen;  /**< bit 0: FIN from initiator, bit 1: from responder */
	uint8_t det;       /**< detection's bits: JG_FLOW_GUARD, JG_FLOW_GOOD_CSUM(dir) */
	uint8_t syn_ttl[2]; /**< TTL of each direction's SYN, 0 when none was seen */
	uint64_t first_ns;
	uint64_t last_ns;
	uint64_t pkts[2];
	uint64_t bytes[2];
	uint64_t flow_id;
	uint64_t app;      /**< reserved for per-flow protocol state (detection) */
	uint32_t syn_seq;  /**< initiator's SYN sequence number (tells retransmission from reuse) */
	uint32_t pol_seen; /**< services the policy has judged in this flow (bit per service) */
	uint8_t verdict;   /**< the strongest action so far (enum jg_action) */
	uint8_t pol_gen;   /**< low byte of the policy generation pol_seen refers to */
	uint8_t syn_wscale[2]; /**< window scale option of each direction's SYN (0xff: none) */
	uint32_t syn_seq_resp; /**< the responder's SYN+ACK sequence number */
} __attribute__((aligned(64)));
static_assert(sizeof(struct jg_flow) == 128, "flow entry is two cache lines");

/**
 * Called for each finished flow. Returns 0 when the record was taken, a negative
 * errno when it was dropped (the callee counts its own drops).
 */
typedef int (*jg_flow_emit_fn)(void *ctx, const struct jg_flow *f, enum jg_flow_end reason);

/** Called for every flow that ends (with or without a record), before its slot is reused. */
typedef void (*jg_flow_release_fn)(void *ctx, struct jg_flow *f);

struct jg_flow_timeouts {
	uint64_t tcp_idle_ns, udp_idle_ns, other_idle_ns, closed_ns, active_ns;
	uint64_t session_idle_ns; /**< inspected flows (SMB, DCE-RPC...: long-lived, often idle); 0: tcp_idle_ns */
};

struct jg_flow_table {
	uint32_t n_buckets; /**< power of two */
	uint32_t capacity;
	uint32_t count;
	uint32_t cursor; /**< next bucket of the expiry sweep */
	uint64_t next_id;
	struct jg_flow_timeouts to;
	jg_flow_emit_fn emit;
	void *emit_ctx;
	uint64_t *cnt; /**< the owner's counters, indexed by enum jg_counter */
	jg_flow_release_fn release; /**< optional: flows with per-flow state (app != 0) */
	uint32_t (*sigs)[JG_FLOW_BUCKET];
	struct jg_flow *flows;
};

/** Bytes of memory a table of `capacity` flows needs (capacity: power of two >= 8). */
size_t jg_flow_table_mem_size(uint32_t capacity);

/**
 * Lay a table out over caller memory (64-byte aligned, zeroed, jg_flow_table_mem_size bytes).
 * @param id_base   high bits of every flow id (the worker number, shifted)
 * @return 0, or -EINVAL when capacity is not a power of two >= 8
 */
int jg_flow_table_init(struct jg_flow_table *t, void *mem, uint32_t capacity, uint64_t id_base,
		       const struct jg_flow_timeouts *to, jg_flow_emit_fn emit, void *emit_ctx,
		       uint64_t *cnt);

/** Symmetric hash of a parsed packet's flow: the same for both directions. */
uint32_t jg_flow_hash(const struct jg_flow_key *k);

/**
 * Symmetric hash of a packet's two hosts (and VLAN), ports left out: what
 * software dispatch spreads by, so a flow's packets and the fragments of its
 * datagrams (which carry no ports) meet on one worker, in their order.
 */
uint32_t jg_host_pair_hash(const struct jg_pkt *p);

/** Canonical key of a parsed packet. @return 1 when the packet's source is side a. */
int jg_flow_key_of(const struct jg_pkt *p, struct jg_flow_key *k);

/**
 * Account one packet: find or create its flow and update counters and TCP state.
 * @param frame_len  bytes on the wire (counted in the flow's byte counters)
 * @param now_ns     packet time, Unix ns
 * @param dir        set to 0 when the packet comes from the initiator, 1 otherwise (may be NULL)
 * @return the flow (never NULL: a full table evicts)
 */
struct jg_flow *jg_flow_packet(struct jg_flow_table *t, const struct jg_pkt *p, uint32_t frame_len,
			       uint64_t now_ns, int *dir);

/** A burst's lookup, done ahead of the packets' processing (jg_flow_lookup_bulk). */
struct jg_flow_hint {
	const struct jg_pkt *pkt; /**< in: the parsed packet, NULL when it has no flow */
	struct jg_flow_key k;
	uint32_t hash;
	uint32_t b1;
	uint8_t src_is_a;
	struct jg_flow *f; /**< where the flow was found, NULL when new */
};

/**
 * First step of a burst's lookup, per packet as soon as it is parsed: its key
 * and hash, and a prefetch of its first bucket's signatures (h->pkt set by the
 * caller), so the line is on its way while the rest of the burst is parsed.
 */
void jg_flow_hint_prepare(struct jg_flow_table *t, struct jg_flow_hint *h);

/**
 * Look up a burst's prepared flows together, with prefetches, so that the
 * table's cache misses overlap (the flow table of a busy worker is far bigger
 * than its caches). Hints whose pkt is NULL are skipped.
 */
void jg_flow_lookup_bulk(struct jg_flow_table *t, struct jg_flow_hint *h, uint16_t n);

/** jg_flow_packet() for a packet looked up by jg_flow_lookup_bulk(). */
struct jg_flow *jg_flow_packet_hint(struct jg_flow_table *t, const struct jg_pkt *p, struct jg_flow_hint *h,
				    uint32_t frame_len, uint64_t now_ns, int *dir);

/**
 * A FIN or RST of a guarded flow that detection found acceptable: the TCP
 * state takes it now (flags: JG_TCP_FIN or JG_TCP_RST; dir as jg_flow_packet's).
 */
void jg_flow_tcp_end(struct jg_flow *f, uint8_t flags, int dir);

/** Sweep up to `buckets` buckets, ending flows past their timeouts. @return flows ended. */
uint32_t jg_flow_expire(struct jg_flow_table *t, uint64_t now_ns, uint32_t buckets);

/**
 * End up to `max` flows (shutdown or end of replay): reason `end-of-input`, or
 * the timeout reason for flows already past it at `now_ns`.
 * @return flows ended; 0 once the table is empty.
 */
uint32_t jg_flow_flush(struct jg_flow_table *t, uint32_t max, uint64_t now_ns);

/** Fill a wire record from a flow. */
void jg_flow_to_rec(const struct jg_flow *f, enum jg_flow_end reason, uint16_t worker,
		    struct jg_flow_rec *r);

#endif
