/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's bursts: the pipeline two bursts deep, and the lean way of the
 * common packet (a flow that exists and changes nothing but its counters),
 * eight frames at a time in AVX2 lanes where the CPU has them. What the lean
 * way does not take goes the general way (worker_parsed.c).
 */
#include "worker.h"
#include "worker_priv.h"

#include <assert.h>
#include <string.h>

#include <rte_prefetch.h>

#include "pkt_fastpath.h"

#define PREFETCH_AHEAD 4
/* held class of a frame jg_flow_hint_lean() took: no struct jg_pkt yet */
#define CLS_LEAN 0xff

/*
 * The common packet, the lean way: a flow that exists, whose packet changes
 * nothing but counters (lean_allow) and is not dropped. What the loop over a
 * burst reads of the worker is read once for the burst.
 */
struct lean_run {
	const uint8_t *allow; /**< the worker's lean_allow; none while it fails closed (the general way decides) */
	uint64_t reasm_flag;
	int ts_off;
	int monitor; /**< no port has a peer: every packet goes back to the pool */
};

static const uint8_t none[256];

/** @return 1 when handled, 0 when the packet needs jg_worker_parsed() (nothing was changed) */
static inline int
process_lean(struct jg_worker *w, const struct lean_run *r, struct rte_mbuf *m, const struct jg_flow_hint *h)
{
	struct jg_flow *f = jg_flow_find_hint(&w->flows, h);
	uint64_t now;

	if (f == NULL || !(r->allow[jg_flow_lean_state(f)] >> h->lean_cls & 1) || (m->ol_flags & r->reasm_flag))
		return 0;
	now = r->ts_off >= 0 ? packet_time(w, m) : w->now_ns;
	if (jg_flow_count_lean(&w->flows, f, h, m->pkt_len, now) < 0)
		return 0;
	if (r->monitor)
		free_later(w, m);
	else
		finish(w, m, 0);
	return 1;
}

/* Account and inspect a held burst, in order; its entries were prefetched a burst ago. */
static void
finish_held(struct jg_worker *w)
{
	struct jg_held *b = &w->held[w->held_cur];
	const struct lean_run r = {
		.allow = w->fail_closed && w->shm->control_pid == 0 ? none : w->lean_allow,
		.reasm_flag = w->reasm_flag,
		.ts_off = w->ts_off,
		.monitor = w->n_tx_ports == 0,
	};
	struct jg_flow_hint *h = b->h;
	uint64_t lean = 0;

	/* walked by pointer: the held arrays' strides cost an address computation each otherwise */
	for (uint16_t i = 0; i < b->n; i++, h++) {
		struct rte_mbuf *m = b->m[i];
		uint8_t cls = b->cls[i];

		if (cls == CLS_LEAN) {
			if (process_lean(w, &r, m, h)) {
				lean++;
				continue;
			}
			/* the rest of the packet's way needs all of it: the general parser takes it alike */
			cls = (uint8_t)jg_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, m->pkt_len,
						    &b->p[i]);
		}
		jg_worker_parsed(w, m, &b->p[i], (enum jg_pkt_class)cls, h);
	}
	w->cnt[JG_CNT_PKT_FLOW] += lean;
	b->n = 0;
}

/* Hold packet i of a burst: its hint the lean way, or parsed the general way. */
static inline __attribute__((always_inline)) void
hold_one(struct jg_worker *w, struct jg_held *b, uint16_t i)
{
	const struct rte_mbuf *m = b->m[i];

	if (likely(w->lean) && jg_flow_hint_lean(&w->flows, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
						 m->pkt_len, &b->h[i])) {
		b->cls[i] = CLS_LEAN; /* b->p[i] filled only if the packet needs it */
		return;
	}
	b->cls[i] = (uint8_t)jg_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, m->pkt_len, &b->p[i]);
	b->h[i].sig = 0; /* no flow to look up */
	if (b->cls[i] == JG_PKT_FLOW) {
		b->h[i].pkt = &b->p[i];
		jg_flow_hint_prepare(&w->flows, &b->h[i]);
	}
}

/* A byte per bit of an 8-bit mask: 0xff where the bit is set. */
static inline uint64_t
bytes_of_bits(unsigned int bits)
{
	uint64_t x = bits;

	x = (x | x << 28) & 0x0000000f0000000full;
	x = (x | x << 14) & 0x0003000300030003ull;
	x = (x | x << 7) & 0x0101010101010101ull;
	return x * 0xff;
}

/*
 * Eight packets at once (AVX2): the lean way's hints of the plain IPv4 frames
 * (after one 802.1Q tag at most) in vector lanes, the rest one by one. The frames eight further on are
 * prefetched meanwhile (the caller prefetched the first sixteen).
 */
static inline void
hold_eight(struct jg_worker *w, struct jg_held *b, struct rte_mbuf **pkts, uint16_t i, uint16_t n)
{
	const uint8_t *f[8];
	uint32_t avail[8];
	uint64_t cls;
	unsigned int taken;

	static_assert(CLS_LEAN == 0xff, "a frame taken is a byte of ones");
	memcpy(&b->m[i], &pkts[i], 8 * sizeof(pkts[0]));
	for (uint16_t k = 0; k < 8; k++) {
		f[k] = rte_pktmbuf_mtod(pkts[i + k], const uint8_t *);
		avail[k] = pkts[i + k]->data_len;
	}
	for (uint16_t k = i + 16; k < i + 24 && k < n; k++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));
	taken = jg_flow_hint_lean_x8(&w->flows, f, avail, &b->h[i]);
	cls = bytes_of_bits(taken);
	memcpy(&b->cls[i], &cls, 8);
	for (unsigned int rest = ~taken & 0xffu; rest != 0; rest &= rest - 1)
		hold_one(w, b, (uint16_t)(i + __builtin_ctz(rest)));
}

/*
 * Handle packets this worker owns as a pipeline two bursts deep, so that no
 * load of the flow table waits on memory: parse this burst and prefetch its
 * buckets' signatures (packet data prefetched ahead; eight frames at a time
 * where AVX2 runs, hold_eight); account and inspect the burst held from last
 * time, whose entries have arrived meanwhile; then match this burst's
 * signatures (now in cache), prefetch its entries and hold it.
 * jg_worker_drain() finishes a held burst when no other comes. (A pipeline
 * three bursts deep, entries given a whole burst's work to arrive, was no
 * faster at 1 M flows.)
 */
static void
process_burst(struct jg_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct jg_held *b = &w->held[w->held_cur ^ 1];
	uint16_t i = 0;

	if (unlikely(n > 64))
		return;
	if (w->x8 && n >= 8) {
		for (uint16_t k = 0; k < n && k < 16; k++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));
		for (; i + 8 <= n; i += 8)
			hold_eight(w, b, pkts, i, n);
	} else {
		for (uint16_t k = 0; k < n && k < PREFETCH_AHEAD; k++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));
	}
	for (; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		b->m[i] = pkts[i];
		hold_one(w, b, i);
	}
	finish_held(w);
	jg_flow_lookup_bulk(&w->flows, b->h, n);
	b->n = n;
	w->held_cur ^= 1;
}

void
jg_worker_process(struct jg_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	process_burst(w, pkts, n);
}

void
jg_worker_drain(struct jg_worker *w)
{
	finish_held(w);
}
