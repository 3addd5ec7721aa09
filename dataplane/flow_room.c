/* SPDX-License-Identifier: BSD-3-Clause */
/* Room for a new flow when both its buckets are full: entries moved along their other buckets, or an eviction. */
#include "flow_priv.h"

/* Buckets a search for room may reach (two levels and part of a third). */
#define ROOM_NODES 48

/* Move the entry at slot `from` to the free slot `to` (in its other bucket). */
static void
move_entry(struct jg_flow_table *t, uint32_t from, uint32_t to)
{
	/* the flow is due no later than its old bucket was */
	int32_t ahead = (int32_t)(t->wl[from / JG_FLOW_BUCKET].due - (uint32_t)t->tick);

	t->flows[to] = t->flows[from];
	t->cold[to] = t->cold[from];
	*jg_flow_sig_at(t, to) = *jg_flow_sig_at(t, from);
	*jg_flow_sig_at(t, from) = 0;
	t->flows[from].key.ip_version = 0;
	jg_flow_wheel_file(t, to / JG_FLOW_BUCKET, t->tick + (uint64_t)(ahead > 1 ? ahead : 1), t->tick + 1);
	t->cnt[JG_CNT_FLOW_MOVED]++;
}

static inline uint32_t
free_slots(const struct jg_flow_table *t, uint32_t b)
{
	return jg_flow_sig_match(t, b, 0);
}

/*
 * Both buckets are full: search breadth first, from b1 and b2, for an entry
 * that can move to its other bucket, possibly after one there moves on; then
 * make the moves from the far end back. Buckets are not revisited, so the
 * moves of one path never overlap. @return the freed slot, JG_FLOW_NIL when
 * no path was found.
 */
static uint32_t
make_room(struct jg_flow_table *t, uint32_t b1, uint32_t b2)
{
	struct {
		uint32_t b;
		uint8_t parent; /* node whose bucket's entry at `slot` moves here */
		uint8_t slot;
	} q[ROOM_NODES];
	uint32_t n = 2;

	q[0].b = b1;
	q[0].parent = UINT8_MAX;
	q[1].b = b2;
	q[1].parent = UINT8_MAX;
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t s = 0; s < JG_FLOW_BUCKET; s++) {
			uint32_t alt = jg_flow_alt_bucket(t, q[i].b, t->sigs[q[i].b][s]);
			uint32_t fr = free_slots(t, alt);
			uint32_t node, hole;
			int seen = 0;

			if (fr != 0) {
				move_entry(t, q[i].b * JG_FLOW_BUCKET + s, alt * JG_FLOW_BUCKET + (uint32_t)__builtin_ctz(fr));
				hole = s;
				for (node = i; q[node].parent != UINT8_MAX; node = q[node].parent) {
					const uint32_t p = q[node].parent;

					move_entry(t, q[p].b * JG_FLOW_BUCKET + q[node].slot, q[node].b * JG_FLOW_BUCKET + hole);
					hole = q[node].slot;
				}
				return q[node].b * JG_FLOW_BUCKET + hole;
			}
			if (n == ROOM_NODES)
				continue;
			for (uint32_t j = 0; j < n && !seen; j++)
				seen = q[j].b == alt;
			if (!seen) {
				q[n].b = alt;
				q[n].parent = (uint8_t)i;
				q[n].slot = (uint8_t)s;
				n++;
			}
		}
	}
	return JG_FLOW_NIL;
}

/*
 * A free slot in the emptier of b1 and b2 (two choices by load keep buckets
 * even), else one made by moving entries aside (below 98.4% load), else the
 * stalest of the 16 candidates evicted.
 */
uint32_t
jg_flow_take_slot(struct jg_flow_table *t, uint32_t b1, uint32_t b2)
{
	uint32_t victim = b1 * JG_FLOW_BUCKET, idx = jg_flow_free_slot(t, b1, b2);
	uint64_t oldest = UINT64_MAX;
	uint32_t bs[2] = { b1, b2 };

	if (idx != JG_FLOW_NIL)
		return idx;
	/* Moves pay off below full: in a full table (a SYN flood's steady state) the search
	 * would cost hundreds of reads per packet and find nothing, so it is not made. */
	if (t->count < t->capacity - t->capacity / 64 && (idx = make_room(t, b1, b2)) != JG_FLOW_NIL)
		return idx;
	for (int i = 0; i < 2; i++)
		for (uint32_t s = 0; s < JG_FLOW_BUCKET; s++) {
			idx = bs[i] * JG_FLOW_BUCKET + s;
			if (t->flows[idx].last_ns < oldest) {
				oldest = t->flows[idx].last_ns;
				victim = idx;
			}
		}
	jg_flow_end_at(t, victim, JG_FLOW_END_EVICTED);
	return victim;
}
