/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The flow table's internals shared by its three files: flow.c (lookups and
 * packets), flow_room.c (making room in full buckets), flow_wheel.c (expiry).
 */
#ifndef JG_FLOW_PRIV_H
#define JG_FLOW_PRIV_H

#include <nmmintrin.h>

#include "flow.h"

#define JG_FLOW_WHEEL (1u << JG_FLOW_WHEEL_BITS)

static inline uint16_t *
sig_at(struct jg_flow_table *t, uint32_t idx)
{
	return &t->sigs[idx / JG_FLOW_BUCKET][idx % JG_FLOW_BUCKET];
}

/* The slots of bucket b whose signature is sig, as a bit mask: one SSE compare. */
static inline uint32_t
sig_match(const struct jg_flow_table *t, uint32_t b, uint16_t sig)
{
	__m128i v = _mm_loadu_si128((const __m128i *)t->sigs[b]);
	__m128i eq = _mm_cmpeq_epi16(v, _mm_set1_epi16((short)sig));

	return (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(eq, _mm_setzero_si128()));
}

/*
 * The other bucket of an entry in bucket b with signature sig (partial-key
 * cuckoo: an involution, so either bucket leads to the other, and the key is
 * never read to find it).
 */
static inline uint32_t
alt_bucket(const struct jg_flow_table *t, uint32_t b, uint16_t sig)
{
	uint32_t x = (uint32_t)sig * 0xc2b2ae35u;
	uint32_t m = (x ^ x >> 15) & (t->n_buckets - 1);

	return b ^ (m != 0 ? m : 1u);
}

static inline uint64_t
idle_timeout(const struct jg_flow_table *t, const struct jg_flow *f)
{
	if (f->key.proto == 6) {
		if (f->tcp_state == JG_TCP_CLOSED)
			return t->to.closed_ns;
		return (f->det & JG_FLOW_GUARD) && t->to.session_idle_ns ? t->to.session_idle_ns : t->to.tcp_idle_ns;
	}
	if (f->key.proto == 17)
		return t->to.udp_idle_ns;
	return t->to.other_idle_ns;
}

/** End the flow at slot idx: its record (unless an empty slice), its session released, the slot freed. */
void jg_flow_end_at(struct jg_flow_table *t, uint32_t idx, enum jg_flow_end reason);

/** Report a long flow's slice and start the next one (the flow lives on). */
void jg_flow_slice(struct jg_flow_table *t, struct jg_flow *f);

/** A slot for a new flow in bucket b1 or b2: free, made free by moves, or evicted. */
uint32_t jg_flow_take_slot(struct jg_flow_table *t, uint32_t b1, uint32_t b2);

/**
 * Bucket b holds a flow that may be due at tick `at`: file it there unless it is
 * filed no later already (lo: the first tick it may be filed at).
 */
void jg_flow_wheel_file(struct jg_flow_table *t, uint32_t b, uint64_t at, uint64_t lo);

/** The tick by which flow f may be due (ceiling: the wheel is never early). */
uint64_t jg_flow_due_tick(const struct jg_flow_table *t, const struct jg_flow *f);

#endif
