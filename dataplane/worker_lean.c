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
#include <nmmintrin.h>
#include <stddef.h>
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
	uint64_t clock[8]; /**< the worker's clock, a copy per lane (capture times off: every packet's time) */
	int ts_off;
	int monitor; /**< no port has a peer: every packet goes back to the pool */
};

static const uint8_t none[256 + 3];

/** @return 1 when handled, 0 when the packet needs jg_worker_parsed() (nothing was changed) */
static inline __attribute__((always_inline)) int
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

/*
 * A held packet alone, its class, hint and parse space given: the lean way if
 * it takes it, else the general way. @return 1 when the lean way took it
 */
static inline __attribute__((always_inline)) int
finish_one(struct jg_worker *w, const struct lean_run *r, struct rte_mbuf *m, uint8_t cls, struct jg_flow_hint *h,
	   struct jg_pkt *p)
{
	if (cls == CLS_LEAN) {
		if (process_lean(w, r, m, h))
			return 1;
		/* the rest of the packet's way needs all of it: the general parser takes it alike */
		cls = (uint8_t)jg_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, m->pkt_len, p);
	}
	jg_worker_parsed(w, m, p, (enum jg_pkt_class)cls, h);
	return 0;
}

/* Back to the pool with the next batch, n (eight at most) at once. */
static inline void
free_later_n(struct jg_worker *w, struct rte_mbuf *const *m, unsigned int n)
{
	if (w->n_free > RTE_DIM(w->free_buf) - 8) {
		jg_worker_free_mbufs(w->free_buf, w->n_free);
		w->n_free = 0;
	}
	if (likely(n == 8)) /* a copy of fixed size: no call */
		memcpy(&w->free_buf[w->n_free], m, 8 * sizeof(*m));
	else
		for (unsigned int k = 0; k < n; k++)
			w->free_buf[w->n_free + k] = m[k];
	w->n_free = (uint16_t)(w->n_free + n);
}

/*
 * Lanes i to end - 1 of eight that jg_flow_match_x8() matched, counted in
 * order: what process_lean() does for each, the flow found and asked for
 * all eight at once (a reassembled datagram is never among them: frames()).
 * Stops at a lane that has a timeout to decide, and after one whose counter
 * carried (its flow's state may have changed). ts and monitor are
 * r->ts_off >= 0 and r->monitor, constants where it is inlined.
 * @return the lane it stopped at
 */
static inline __attribute__((always_inline)) unsigned int
count_lanes(struct jg_worker *w, struct rte_mbuf *const *ms, const struct jg_flow_lanes *g, unsigned int i,
	    unsigned int end, int ts, int monitor)
{
	struct jg_flow *flows = w->flows.flows;
	const uint64_t now_ns = w->now_ns;
	unsigned int from = i;

	for (; i < end; i++) {
		struct rte_mbuf *m = ms[i];
		int c = jg_flow_count_dir(&w->flows, &flows[g->cand[i]], g->dir[i], (uint8_t)g->seg[i], m->pkt_len,
					  ts ? packet_time(w, m) : now_ns);

		if (c < 0)
			break;
		if (!monitor)
			finish(w, m, 0);
		if (unlikely(c > 0)) {
			i++;
			break;
		}
	}
	if (monitor)
		free_later_n(w, ms + from, i - from);
	return i;
}

/* count_lanes() with the run's two constants made constants. */
static inline unsigned int
count_run(struct jg_worker *w, const struct lean_run *r, struct rte_mbuf *const *ms, const struct jg_flow_lanes *g,
	  unsigned int i, unsigned int end)
{
	if (r->ts_off < 0)
		return r->monitor ? count_lanes(w, ms, g, i, end, 0, 1) : count_lanes(w, ms, g, i, end, 0, 0);
	return r->monitor ? count_lanes(w, ms, g, i, end, 1, 1) : count_lanes(w, ms, g, i, end, 1, 0);
}

/*
 * Each of eight packets' capture time, as packet_time() would give it but
 * without moving the worker's clock. @return 0 when a packet has none of its
 * own (it would take the clock's, moved by the packets before it)
 */
static inline int
lane_times(const struct jg_worker *w, struct rte_mbuf *const *m, uint64_t times[8])
{
	for (unsigned int k = 0; k < 8; k++) {
		if (!has_capture_time(w, m[k]))
			return 0;
		times[k] = capture_ns(w, m[k]);
	}
	return 1;
}

/* What packet_time() does to the worker's clock for eight packets with these capture times. */
static inline void
capture_times(struct jg_worker *w, const uint64_t times[8])
{
	uint64_t t = times[0];

	for (unsigned int k = 1; k < 8; k++)
		t = times[k] > t ? times[k] : t;
	clock_saw(w, t);
}

/*
 * Lanes i to 7 of eight held packets that went through the lanes, fast the
 * lanes jg_flow_match_x8() matched (and nothing changed since): runs of them
 * counted together, the others one by one (finish_one). A packet one by one may
 * change the table (flows made, moved, ended; a state changed): the lanes
 * after it are matched again.
 * @return the packets the lean way took
 */
static __attribute__((noinline)) uint64_t
finish_lanes(struct jg_worker *w, const struct lean_run *r, struct jg_held *b, uint16_t base, unsigned int i,
	     unsigned int fast)
{
	struct jg_flow_lanes *g = &b->g[base / 8];
	unsigned int taken = b->taken[base / 8];
	uint64_t lean = 0;
	int unpacked = 0;

	while (i < 8) {
		unsigned int run = (unsigned int)__builtin_ctz(~(fast >> i));

		if (run != 0) {
			unsigned int j = count_run(w, r, &b->m[base], g, i, i + run);

			lean += j - i;
			i = j;
			if (i == 8)
				break;
		}
		if (!unpacked) { /* the lanes taken as hints and classes, as hold_one() leaves its own */
			jg_flow_lanes_unpack(g, taken, &b->h[base]);
			for (unsigned int k = 0; k < 8; k++)
				if (taken >> k & 1)
					b->cls[base + k] = CLS_LEAN;
			unpacked = 1;
		}
		lean += (uint64_t)finish_one(w, r, b->m[base + i], b->cls[base + i], &b->h[base + i], &b->p[base + i]);
		i++;
		if (fast >> i)
			fast = jg_flow_match_x8(&w->flows, g, taken & (0xffu << i), r->allow);
	}
	return lean;
}

/*
 * Eight held packets that went through the lanes: the flows of those taken
 * found and asked at once (jg_flow_match_x8); all eight matched, counted
 * together (jg_flow_count_x8, or count_lanes()); else finish_lanes().
 * @return the packets the lean way took
 */
static inline uint64_t
finish_eight(struct jg_worker *w, const struct lean_run *r, struct jg_held *b, uint16_t base)
{
	struct jg_flow_lanes *g = &b->g[base / 8];
	unsigned int taken = b->taken[base / 8], fast, j;
	uint64_t own[8];

	if (unlikely(taken != 0xff))
		return finish_lanes(w, r, b, base, 0, taken != 0 ? jg_flow_match_x8(&w->flows, g, taken, r->allow) : 0);
	fast = jg_flow_match_x8(&w->flows, g, 0xff, r->allow);
	if (unlikely(fast != 0xff))
		return finish_lanes(w, r, b, base, 0, fast);
	/* eight flows counted at once, unless two share a flow (or a timeout, a carry), each packet at
	 * its capture time where capture times are on, else all at the worker's clock */
	if (r->ts_off < 0 ? jg_flow_count_x8(&w->flows, g, r->clock)
			  : lane_times(w, &b->m[base], own) && jg_flow_count_x8(&w->flows, g, own)) {
		if (r->ts_off >= 0)
			capture_times(w, own);
		if (r->monitor) {
			free_later_n(w, &b->m[base], 8);
		} else {
			for (unsigned int k = 0; k < 8; k++)
				finish(w, b->m[base + k], 0);
		}
		return 8;
	}
	j = count_run(w, r, &b->m[base], g, 0, 8);
	if (likely(j == 8))
		return 8;
	/* lane j has a timeout to decide, or lane j - 1 carried: lane j on is matched again */
	return j + finish_lanes(w, r, b, base, j, 0);
}

/* Account and inspect a held burst, in order; its entries were prefetched a burst ago. */
static void
finish_held(struct jg_worker *w)
{
	struct jg_held *b = &w->held[w->held_cur];
	const struct lean_run r = {
		.allow = w->fail_closed && w->shm->control_pid == 0 ? none : w->lean_allow,
		.reasm_flag = w->reasm_flag,
		.clock = { w->now_ns, w->now_ns, w->now_ns, w->now_ns, w->now_ns, w->now_ns, w->now_ns, w->now_ns },
		.ts_off = w->ts_off,
		.monitor = w->n_tx_ports == 0,
	};
	uint64_t lean = 0;
	uint16_t i = 0;

	for (; i < b->n_lanes; i += 8)
		lean += finish_eight(w, &r, b, i);
	/* walked by pointer: the held arrays' strides cost an address computation each otherwise */
	for (struct jg_flow_hint *h = &b->h[i]; i < b->n; i++, h++)
		lean += (uint64_t)finish_one(w, &r, b->m[i], b->cls[i], h, &b->p[i]);
	w->cnt[JG_CNT_PKT_FLOW] += lean;
	b->n = 0;
	b->n_lanes = 0;
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

/*
 * Where the frames of a burst's first n8 mbufs (a multiple of eight) start and
 * what may be read there (the first segment), as jg_flow_hint_frames_x8()
 * takes them: a frame shorter than 54 bytes is jg_flow_no_frame; the frames'
 * lengths in their lanes' len (jg_flow_count_x8). A
 * reassembled datagram (an mbuf flagged `refuse`: only the dispatch ring
 * brings them) is given nothing to read: the lanes leave it to the one-frame
 * way, whose process_lean() sends it the general way, so count_lanes() never
 * meets one. Each frame's first line is prefetched as soon as its start is
 * known: the lanes read it a few dozen frames later. (Loads, not gathers: an
 * mbuf's first line is cold where a NIC did not just write it, and a gather
 * waits for its four.)
 */
static inline __attribute__((always_inline)) void
frames(struct rte_mbuf *const *m, uint16_t n8, uint64_t refuse, const uint8_t **p, uint32_t *avail,
       struct jg_flow_lanes *g)
{
	const __m128i short_len = _mm_set1_epi32(14 + 20 + 20);

	for (unsigned int i = 0; i < n8; i += 8, g++) {
		unsigned int short_ones;

#pragma GCC unroll 8
		for (unsigned int k = 0; k < 8; k++) {
			const struct rte_mbuf *x = m[i + k];

			p[i + k] = rte_pktmbuf_mtod(x, const uint8_t *);
			rte_prefetch0(p[i + k]);
			avail[i + k] = refuse != 0 && (x->ol_flags & refuse) ? 0 : x->data_len;
			g->len[k] = x->pkt_len;
		}
		short_ones = (unsigned int)_mm_movemask_ps(_mm_castsi128_ps(
			_mm_or_si128(_mm_cmplt_epi32(_mm_loadu_si128((const __m128i *)(const void *)(avail + i)), short_len),
				     _mm_cmplt_epi32(_mm_loadu_si128((const __m128i *)(const void *)(avail + i + 4)), short_len))));
		if (unlikely(short_ones != 0)) {
			for (uint16_t k = i; k < i + 8; k++)
				if (avail[k] < 14 + 20 + 20)
					p[k] = jg_flow_no_frame;
		}
	}
}

/*
 * The first n8 packets of a burst (a multiple of eight), eight at a time: the
 * lean way's hints of the plain IPv4 frames (after one 802.1Q tag at most) in
 * vector lanes, the rest one by one (the frames after n8 prefetched for them).
 */
static inline __attribute__((always_inline)) void
hold_lanes(struct jg_worker *w, struct jg_held *b, struct rte_mbuf **pkts, uint16_t n, uint16_t n8, uint64_t refuse)
{
	const uint8_t *p[64];
	uint32_t avail[64];

	frames(pkts, n8, refuse, p, avail, b->g);
	memcpy(b->m, pkts, n8 * sizeof(pkts[0]));
	for (uint16_t k = n8; k < n; k++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));
	for (uint16_t i = 0; i < n8; i += 8) {
		unsigned int taken;

		taken = jg_flow_hint_frames_x8(&w->flows, p + i, avail + i, &b->g[i / 8]);
		b->taken[i / 8] = (uint8_t)taken;
		for (unsigned int rest = ~taken & 0xffu; rest != 0; rest &= rest - 1)
			hold_one(w, b, (uint16_t)(i + __builtin_ctz(rest)));
	}
}

/*
 * Handle packets this worker owns as a pipeline two bursts deep, so that no
 * load of the flow table waits on memory: parse this burst and prefetch its
 * buckets' signatures (packet data prefetched ahead; eight frames at a time
 * where AVX2 runs, hold_lanes); account and inspect the burst held from last
 * time, whose entries have arrived meanwhile (eight at a time: finish_eight);
 * then match this burst's signatures (now in cache), prefetch its entries and
 * hold it. refuse: the mbuf flag of reassembled datagrams where the burst may
 * hold some (the dispatch ring's), else 0.
 * jg_worker_drain() finishes a held burst when no other comes. (A pipeline
 * three bursts deep, entries given a whole burst's work to arrive, was no
 * faster at 1 M flows.)
 */
static inline __attribute__((always_inline)) void
process_burst(struct jg_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t refuse)
{
	struct jg_held *b = &w->held[w->held_cur ^ 1];
	uint16_t i = 0;

	if (w->x8 && n >= 8) {
		i = n & ~7u;
		hold_lanes(w, b, pkts, n, i, refuse);
	} else {
		for (uint16_t k = 0; k < n && k < PREFETCH_AHEAD; k++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));
	}
	b->n_lanes = i;
	for (; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		b->m[i] = pkts[i];
		hold_one(w, b, i);
	}
	finish_held(w);
	for (uint16_t k = 0; k < b->n_lanes; k += 8) {
		unsigned int taken = b->taken[k / 8];

		if (taken != 0)
			jg_flow_lookup_x8(&w->flows, &b->g[k / 8], taken);
		for (unsigned int rest = ~taken & 0xffu; rest != 0; rest &= rest - 1)
			jg_flow_lookup_bulk(&w->flows, &b->h[k + __builtin_ctz(rest)], 1);
	}
	jg_flow_lookup_bulk(&w->flows, b->h + b->n_lanes, (uint16_t)(n - b->n_lanes));
	b->n = n;
	w->held_cur ^= 1;
}

/* A held burst has room for 64 packets: a longer one goes as several (the loop's bursts are 64 at most). */
static inline __attribute__((always_inline)) void
process(struct jg_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t refuse)
{
	const uint16_t most = (uint16_t)RTE_DIM(w->held[0].m);

	do {
		uint16_t k = n < most ? n : most;

		process_burst(w, pkts, k, refuse);
		pkts += k;
		n = (uint16_t)(n - k);
	} while (n > 0);
}

void
jg_worker_process(struct jg_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	process(w, pkts, n, 0);
}

void
jg_worker_process_dispatched(struct jg_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	process(w, pkts, n, w->reasm_flag);
}

void
jg_worker_drain(struct jg_worker *w)
{
	finish_held(w);
}
