/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-worker flow table: no locks, no sharing, no allocation after creation.
 *
 * Bucketised cuckoo hash. A key may live in one of two 8-slot buckets; the
 * second is the first XOR a mix of the key's 16-bit signature (partial-key
 * cuckoo), so a resident entry's other bucket is known from its signature
 * alone and inserts can move entries aside without reading them. Four
 * buckets' signatures share a cache line. Each flow is one 64-byte hot line
 * (key, last seen, low counters, state: all a packet touches) plus a 48-byte
 * cold record in a parallel array (first seen, flow id, session, SYN details,
 * counter carries: touched at creation, SYN, session start and export). When
 * no path of moves frees a slot, the stalest of the 16 candidates is evicted
 * (counted, exported with reason "evicted"): the table never refuses a flow
 * and never grows. Expiry is a timer wheel of buckets: a bucket is visited
 * when its earliest flow may be due, never swept.
 */
#ifndef JG_FLOW_H
#define JG_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "jg_khash.h"
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

/** jg_flow.app: what detection made of the flow. */
#define JG_FLOW_APP_NONE 0u /**< undecided */
#define JG_FLOW_APP_SKIP 1u /**< not inspected */
#define JG_FLOW_APP_SESS 2u /**< inspected: jg_flow_cold.sess is its session */

/**
 * The hot part of a flow: one cache line, all a packet reads or writes.
 * Index 0 of the per-direction fields is initiator -> responder. The counters
 * are the low bits; jg_flow_pkts() and jg_flow_bytes() add the carries.
 */
struct jg_flow {
	struct jg_flow_key key;
	uint64_t last_ns;
	uint32_t bytes[2];
	uint16_t pkts[2];
	uint8_t flags[2];           /**< OR of TCP flags per direction */
	/* the first byte of these bits is what the lean way asks (jg_flow_lean_state) */
	uint16_t tcp_state : 3;     /**< enum jg_tcp_state */
	uint16_t verdict : 2;       /**< the strongest action so far (enum jg_action) */
	uint16_t app : 2;           /**< JG_FLOW_APP_* */
	uint16_t restart : 1;       /**< an active slice was cut: the next packet starts the next */
	uint16_t init_is_a : 1;     /**< 1 when the initiator is side a of the key (a byte's low bit: a packet's direction in two steps) */
	uint16_t fin_seen : 2;      /**< bit 0: FIN from initiator, bit 1: from responder */
	uint16_t det : 3;           /**< detection's bits: JG_FLOW_GUARD, JG_FLOW_GOOD_CSUM(dir) */
} __attribute__((aligned(64)));
static_assert(sizeof(struct jg_flow) == 64, "the hot part of a flow is one cache line");

/**
 * A flow's state as the lean way asks it, in one load: its first byte of bits,
 * tcp_state | verdict << 3 | app << 5 | restart << 7 (the x86-64 ABI lays bit
 * fields from the low bit; flow_test holds it to the fields).
 */
static inline uint8_t
jg_flow_lean_state(const struct jg_flow *f)
{
	return ((const uint8_t *)f)[offsetof(struct jg_flow, flags) + 2];
}

/* The fields of a state byte from jg_flow_lean_state(). */
#define JG_LEAN_ST_TCP(st) ((unsigned int)(st) & 7u)
#define JG_LEAN_ST_VERDICT(st) ((unsigned int)(st) >> 3 & 3u)
#define JG_LEAN_ST_APP(st) ((unsigned int)(st) >> 5 & 3u)
#define JG_LEAN_ST_RESTART(st) ((unsigned int)(st) >> 7 & 1u)

/** The cold part of a flow, at the same index in the table's cold array. */
struct jg_flow_cold {
	uint64_t first_ns;
	uint64_t flow_id;
	uint32_t sess;         /**< session index (app == JG_FLOW_APP_SESS) */
	uint32_t pol_seen;     /**< services the policy has judged in this flow (bit per service) */
	uint32_t syn_seq;      /**< initiator's SYN sequence number (tells retransmission from reuse) */
	uint32_t syn_seq_resp; /**< the responder's SYN+ACK sequence number */
	uint16_t pkts_hi[2];   /**< carries of pkts[] (units of 2^16) */
	uint16_t bytes_hi[2];  /**< carries of bytes[] (units of 2^32) */
	uint8_t syn_ttl[2];    /**< TTL of each direction's SYN, 0 when none was seen */
	uint8_t syn_wscale[2]; /**< window scale option of each direction's SYN (0xff: none) */
	uint8_t pol_gen;       /**< low byte of the policy generation pol_seen refers to */
	uint8_t pol_attack;    /**< 1 once an attack tool raised the verdict of a service already judged */
	uint8_t pad[2];
};
static_assert(sizeof(struct jg_flow_cold) == 48, "the cold part of a flow is 48 bytes");

/** Wheel link of one bucket (jg_flow_expire). */
struct jg_flow_wlink {
	uint32_t next, prev; /**< bucket numbers, JG_FLOW_NIL at the ends */
	uint32_t due;        /**< the wheel tick the bucket is filed at; meaningful when filed */
};

#define JG_FLOW_NIL UINT32_MAX
/** Wheel geometry: 4096 ticks of 2^27 ns (134 ms): one turn is 550 s. */
#define JG_FLOW_WHEEL_BITS 12
#define JG_FLOW_TICK_SHIFT 27

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
	struct jg_khash hk; /**< this table's hash: its own keys, from jg_khash_seed() and id_base */
	struct jg_khash dk; /**< the dispatch hash (jg_host_pair_hash): one for all the process's tables */
	uint32_t n_buckets; /**< power of two */
	uint32_t bucket_shift; /**< jg_khash_shift(n_buckets): the first bucket is jg_khash_bucket(hash, bucket_shift) */
	uint32_t capacity;
	uint32_t count;
	uint32_t defer_first; /**< detection decides on a FIN or RST that carries a flow's first payload */
	uint64_t min_idle_ns; /**< the shortest of the idle timeouts: a packet sooner than it needs no check */
	uint32_t flush_at;    /**< the bucket jg_flow_flush() goes on from */
	uint64_t next_id;
	uint64_t tick;      /**< the wheel's time: every bucket due at or before it was visited */
	struct jg_flow_timeouts to;
	jg_flow_emit_fn emit;
	void *emit_ctx;
	uint64_t *cnt; /**< the owner's counters, indexed by enum jg_counter */
	jg_flow_release_fn release; /**< optional: flows with per-flow state (app == JG_FLOW_APP_SESS) */
	uint16_t (*sigs)[JG_FLOW_BUCKET];
	struct jg_flow *flows;
	struct jg_flow_cold *cold;
	struct jg_flow_wlink *wl;
	uint32_t *wheel; /**< first bucket filed at each tick (mod the wheel) */
};

/** The cold part of flow f of table t. */
static inline struct jg_flow_cold *
jg_flow_cold(const struct jg_flow_table *t, const struct jg_flow *f)
{
	return &t->cold[f - t->flows];
}

/** Packets of direction dir so far (this slice). */
static inline uint64_t
jg_flow_pkts(const struct jg_flow_table *t, const struct jg_flow *f, int dir)
{
	return (uint64_t)jg_flow_cold(t, f)->pkts_hi[dir] << 16 | f->pkts[dir];
}

/** Bytes of direction dir so far (this slice). */
static inline uint64_t
jg_flow_bytes(const struct jg_flow_table *t, const struct jg_flow *f, int dir)
{
	return (uint64_t)jg_flow_cold(t, f)->bytes_hi[dir] << 32 | f->bytes[dir];
}

/** Bytes of memory a table of `capacity` flows needs (capacity: power of two >= 8). */
size_t jg_flow_table_mem_size(uint32_t capacity);

/**
 * Lay a table out over caller memory (64-byte aligned, zeroed, jg_flow_table_mem_size bytes).
 * @param id_base   high bits of every flow id (the worker number, shifted)
 * @return 0, or -EINVAL when capacity is not a power of two >= 16 or mem is not 64-byte aligned
 */
int jg_flow_table_init(struct jg_flow_table *t, void *mem, uint32_t capacity, uint64_t id_base,
		       const struct jg_flow_timeouts *to, jg_flow_emit_fn emit, void *emit_ctx,
		       uint64_t *cnt);

/** Table t's hash of a canonical key (keyed: see jg_khash.h). */
uint32_t jg_flow_hash(const struct jg_flow_table *t, const struct jg_flow_key *k);

/**
 * Symmetric hash of a packet's two hosts (and VLAN), ports left out: what
 * software dispatch spreads by, so a flow's packets and the fragments of its
 * datagrams (which carry no ports) meet on one worker, in their order. Keyed by
 * the process seed alone, so every worker's table gives the same answer.
 */
uint32_t jg_host_pair_hash(const struct jg_flow_table *t, const struct jg_pkt *p);

/** One packet's lookup, prepared ahead of its processing (see jg_flow_lookup_bulk). */
struct jg_flow_hint {
	const struct jg_pkt *pkt; /**< in: the parsed packet, NULL when it has no flow */
	struct jg_flow_key k;
	uint32_t b1, b2;          /**< its two buckets */
	uint16_t sig;
	uint8_t src_is_a;
	uint8_t created;          /**< out: the packet created its flow */
	uint32_t cand;            /**< the slot whose signature matched, JG_FLOW_NIL when none */
	uint8_t tcp_flags;        /**< jg_flow_hint_lean() only: the segment's flags (0 for UDP) */
	uint8_t lean_cls;         /**< jg_flow_hint_lean() only: enum jg_lean_cls */
	uint16_t payload_len;     /**< jg_flow_hint_lean() only: L4 payload bytes */
};

/**
 * The lean way's hints of eight frames as the AVX2 lanes make them
 * (flow_lean_x8.c): a row per field, a lane per frame, each lane what
 * jg_flow_hint_lean() puts in a struct jg_flow_hint for its frame when the
 * lane is taken (jg_flow_lanes_unpack() writes those hints). An IPv4 key is
 * four words (the rest of it zero): a, b, ports and kind.
 */
struct jg_flow_lanes {
	uint32_t a[8];     /**< key word 0: side a's address */
	uint32_t b[8];     /**< key word 4: side b's address */
	uint32_t ports[8]; /**< key word 8: pa | pb << 16 */
	uint32_t kind[8];  /**< key word 9: proto | 4 << 8 | vlan << 16 */
	uint32_t b1[8];
	uint32_t b2[8];
	uint32_t sig[8];   /**< sig | src_is_a << 16 */
	uint32_t seg[8];   /**< tcp_flags | lean_cls << 8 | payload_len << 16 */
	uint32_t cand[8];  /**< JG_FLOW_NIL until jg_flow_lookup_x8() */
	uint32_t dir[8];   /**< jg_flow_match_x8(): a matched lane's direction */
	uint32_t len[8];   /**< the caller's: each frame's length, for jg_flow_count_x8() */
} __attribute__((aligned(32)));

/**
 * What a packet the lean way took may need of its flow beyond counters, so
 * that the worker asks one question per packet (a table by the flow's
 * jg_flow_lean_state and this class).
 */
enum jg_lean_cls {
	JG_LEAN_UDP = 0,       /**< UDP: nothing */
	JG_LEAN_TCP_EMPTY = 1, /**< TCP, no payload, no SYN, FIN or RST, neither port a session port */
	JG_LEAN_TCP_DATA = 2,  /**< TCP with payload or on a session port (jg_session_port) */
	JG_LEAN_TCP_CTRL = 3,  /**< TCP with SYN, FIN or RST: its state changes */
};

/**
 * Account one packet: find or create its flow and update counters and TCP state.
 * @param frame_len  bytes on the wire (counted in the flow's byte counters)
 * @param now_ns     packet time, Unix ns
 * @param dir        set to 0 when the packet comes from the initiator, 1 otherwise (may be NULL)
 * @return the flow (never NULL: a full table evicts)
 */
struct jg_flow *jg_flow_packet(struct jg_flow_table *t, const struct jg_pkt *p, uint32_t frame_len,
			       uint64_t now_ns, int *dir);

/**
 * A FIN or RST of a guarded flow that detection found acceptable: the TCP
 * state takes it now (flags: JG_TCP_FIN or JG_TCP_RST; dir as jg_flow_packet's).
 */
void jg_flow_tcp_end(struct jg_flow_table *t, struct jg_flow *f, uint8_t flags, int dir);

/**
 * Advance the timer wheel to now_ns, visiting at most `buckets` buckets: flows
 * past their timeouts end, long ones are cut into active slices, the rest are
 * filed again at their next deadline.
 * @return flows ended
 */
uint32_t jg_flow_expire(struct jg_flow_table *t, uint64_t now_ns, uint32_t buckets);

/**
 * End up to `max` flows (shutdown or end of replay): reason `end-of-input`, or
 * the timeout reason for flows already past it at `now_ns`.
 * @return flows ended; 0 once the table is empty.
 */
uint32_t jg_flow_flush(struct jg_flow_table *t, uint32_t max, uint64_t now_ns);

/** Fill a wire record from a flow. */
void jg_flow_to_rec(const struct jg_flow_table *t, const struct jg_flow *f, enum jg_flow_end reason,
		    uint16_t worker, struct jg_flow_rec *r);

/* the per-packet path, inline */
#include "flow_fastpath.h"

#endif
