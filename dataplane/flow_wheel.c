/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Expiry: a timer wheel of buckets. A bucket is filed at the tick its earliest
 * flow may be due, visited then, and filed again if its flows have seen packets
 * since; nothing reads a flow that is not due. And the end of everything.
 */
#include "flow_priv.h"

static inline uint64_t
tick_of(uint64_t ns)
{
	return ns >> JG_FLOW_TICK_SHIFT;
}

static void
wheel_unlink(struct jg_flow_table *t, uint32_t b)
{
	struct jg_flow_wlink *l = &t->wl[b];

	if (l->prev != JG_FLOW_NIL)
		t->wl[l->prev].next = l->next;
	else
		t->wheel[l->due & (JG_FLOW_WHEEL - 1)] = l->next;
	if (l->next != JG_FLOW_NIL)
		t->wl[l->next].prev = l->prev;
	l->due = 0;
}

/* `lo`..`hi` is the window of ticks the wheel can tell apart now; a later deadline is filed at its end and again when visited. */
void
jg_flow_wheel_file(struct jg_flow_table *t, uint32_t b, uint64_t at, uint64_t lo)
{
	struct jg_flow_wlink *l = &t->wl[b];
	uint64_t hi = lo + JG_FLOW_WHEEL - 2;
	uint32_t due, *head;

	at = at < lo ? lo : at > hi ? hi : at;
	due = (uint32_t)at != 0 ? (uint32_t)at : 1u; /* 0 marks a bucket not filed */
	if (l->due != 0) {
		if ((int32_t)(l->due - due) <= 0)
			return;
		wheel_unlink(t, b);
	}
	head = &t->wheel[due & (JG_FLOW_WHEEL - 1)];
	l->due = due;
	l->prev = JG_FLOW_NIL;
	l->next = *head;
	if (*head != JG_FLOW_NIL)
		t->wl[*head].prev = b;
	*head = b;
}

uint64_t
jg_flow_due_tick(const struct jg_flow_table *t, const struct jg_flow *f)
{
	uint64_t at = f->last_ns + jg_flow_idle_timeout(t, f);
	const struct jg_flow_cold *c = jg_flow_cold(t, f);

	if (!f->restart && c->first_ns != 0 && c->first_ns + t->to.active_ns < at)
		at = c->first_ns + t->to.active_ns;
	return tick_of(at + (1ull << JG_FLOW_TICK_SHIFT) - 1);
}

/*
 * A bucket is due: end its flows past their timeouts, cut long ones, and file
 * it again at its earliest remaining deadline (tick `at` is being visited).
 */
static uint32_t
visit(struct jg_flow_table *t, uint32_t b, uint64_t now, uint64_t at)
{
	uint64_t next = UINT64_MAX;
	uint32_t ended = 0;

	wheel_unlink(t, b);
	for (uint32_t s = 0; s < JG_FLOW_BUCKET; s++) {
		uint32_t idx = b * JG_FLOW_BUCKET + s;
		struct jg_flow *f = &t->flows[idx];
		const struct jg_flow_cold *c = &t->cold[idx];
		uint64_t due;

		if (t->sigs[b][s] == 0)
			continue;
		if (now > f->last_ns && now - f->last_ns >= jg_flow_idle_timeout(t, f)) {
			jg_flow_end_at(t, idx, f->tcp_state == JG_TCP_CLOSED ? JG_FLOW_END_CLOSED : JG_FLOW_END_IDLE);
			ended++;
			continue;
		}
		if (!f->restart && c->first_ns != 0 && now > c->first_ns && now - c->first_ns >= t->to.active_ns)
			jg_flow_slice(t, f);
		due = jg_flow_due_tick(t, f);
		if (due < next)
			next = due;
	}
	if (next != UINT64_MAX)
		jg_flow_wheel_file(t, b, next, at + 1);
	return ended;
}

uint32_t
jg_flow_expire(struct jg_flow_table *t, uint64_t now, uint32_t buckets)
{
	uint64_t target = tick_of(now);
	uint32_t ended = 0;

	/* After a leap (a capture's clock, a first call), one turn of the wheel holds everything due. */
	if (target > t->tick + JG_FLOW_WHEEL)
		t->tick = target - JG_FLOW_WHEEL;
	while (t->tick < target) {
		uint64_t at = t->tick + 1;
		uint32_t *head = &t->wheel[at & (JG_FLOW_WHEEL - 1)];

		while (*head != JG_FLOW_NIL) {
			if (buckets == 0)
				return ended;
			buckets--;
			ended += visit(t, *head, now, at);
		}
		t->tick = at;
	}
	return ended;
}

uint32_t
jg_flow_flush(struct jg_flow_table *t, uint32_t max, uint64_t now)
{
	uint32_t ended = 0;

	/* Each call goes on where the last one stopped: ending a full table in slices is linear. */
	for (uint32_t seen = 0; seen < t->n_buckets && ended < max && t->count; seen++) {
		uint32_t b = t->flush_at, s;

		for (s = 0; s < JG_FLOW_BUCKET && ended < max; s++) {
			struct jg_flow *f = &t->flows[b * JG_FLOW_BUCKET + s];

			if (t->sigs[b][s] == 0)
				continue;
			/* A flow already past its timeout ends for that reason, as the wheel would have said. */
			if (now > f->last_ns && now - f->last_ns >= jg_flow_idle_timeout(t, f))
				jg_flow_end_at(t, b * JG_FLOW_BUCKET + s,
					 f->tcp_state == JG_TCP_CLOSED ? JG_FLOW_END_CLOSED : JG_FLOW_END_IDLE);
			else
				jg_flow_end_at(t, b * JG_FLOW_BUCKET + s, JG_FLOW_END_FLUSH);
			ended++;
		}
		if (s == JG_FLOW_BUCKET) /* the bucket is done */
			t->flush_at = (b + 1) & (t->n_buckets - 1);
	}
	return ended;
}
