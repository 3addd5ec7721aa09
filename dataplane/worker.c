/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's set-up and what leaves it: its tables and contexts, flow records
 * and events staged for the control plane, packets sent on or given back.
 * The packets' way is in worker_lean.c (the common packet, bursts) and
 * worker_parsed.c (the general way); the loop around them in worker_loop.c.
 */
#include "worker.h"
#include "worker_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "jg_fmt.h"

void
jg_worker_flush_flows(struct jg_worker *w)
{
	unsigned int n;

	if (w->n_fr_stage == 0)
		return;
	n = rte_ring_sp_enqueue_burst_elem(w->fr_ring, w->fr_stage, sizeof(struct jg_flow_rec),
					   w->n_fr_stage, &w->fr_room);
	w->cnt[JG_CNT_FLOW_REC_SENT] += n;
	w->cnt[JG_CNT_FLOW_REC_DROP] += w->n_fr_stage - n;
	w->n_fr_stage = 0;
}

void
jg_worker_flush_events(struct jg_worker *w)
{
	unsigned int n;

	if (w->n_ev_stage == 0)
		return;
	n = rte_ring_sp_enqueue_burst_elem(w->ev_ring, w->ev_stage, sizeof(struct jg_event_rec),
					   w->n_ev_stage, &w->ev_room);
	w->cnt[JG_CNT_EVENT_SENT] += n;
	w->cnt[JG_CNT_EVENT_DROP] += w->n_ev_stage - n;
	w->n_ev_stage = 0;
}

static int
emit_flow(void *ctx, const struct jg_flow *f, enum jg_flow_end reason)
{
	struct jg_worker *w = ctx;
	struct jg_flow_rec *r;

	if (w->n_fr_stage == JG_STAGE)
		jg_worker_flush_flows(w);
	r = &w->fr_stage[w->n_fr_stage++];
	jg_flow_to_rec(&w->flows, f, reason, w->id, r);
	/* Zones once per flow, not per packet: the exporters (IPFIX) label every flow with them. */
	if (w->verdict.pol != NULL) {
		r->src_zone = jg_zone_of(w->verdict.zones, r->src_ip, r->ip_version);
		r->dst_zone = jg_zone_of(w->verdict.zones, r->dst_ip, r->ip_version);
		r->policy_gen = (uint8_t)w->verdict.gen;
	}
	return 0;
}

void
jg_worker_event(struct jg_worker *w, const struct jg_event_rec *ev)
{
	if (w->n_ev_stage == JG_STAGE)
		jg_worker_flush_events(w);
	w->ev_stage[w->n_ev_stage] = *ev;
	w->ev_stage[w->n_ev_stage++].worker = w->id;
}

static void
stage_event(void *ctx, const struct jg_event_rec *ev)
{
	jg_worker_event(ctx, ev);
}

/*
 * jg_worker_parsed()'s questions, asked of a flow's state byte ahead: a flow not
 * blocked, not in mid-handshake, not starting a slice takes a UDP packet
 * alike; a TCP segment without SYN, FIN or RST too, unless detection would
 * look at it (jg_worker_inspects: a class carries payload or a session port
 * unless it is TCP_EMPTY).
 */
static void
lean_table(struct jg_worker *w)
{
	for (unsigned int st = 0; st < 256; st++) {
		uint8_t allow = 0;

		for (uint8_t c = JG_LEAN_UDP; c <= JG_LEAN_TCP_CTRL; c++)
			if (jg_flow_lean_ok((uint8_t)st, c) && JG_LEAN_ST_VERDICT(st) != JG_ACT_BLOCK &&
			    !jg_worker_inspects(w, JG_LEAN_ST_APP(st), c != JG_LEAN_UDP, c != JG_LEAN_TCP_EMPTY))
				allow |= (uint8_t)(1u << c);
		w->lean_allow[st] = allow;
	}
}

int
jg_worker_init(struct jg_worker *w, uint32_t capacity, const struct jg_flow_timeouts *to)
{
	size_t sz = jg_flow_table_mem_size(capacity);
	void *mem = rte_zmalloc("jg_flows", sz, RTE_CACHE_LINE_SIZE);
	int rc;

	if (mem == NULL)
		return -ENOMEM;
	rc = jg_flow_table_init(&w->flows, mem, capacity, (uint64_t)w->id << 48 | 1, to, emit_flow, w,
				w->cnt);
	if (rc != 0) {
		rte_free(mem);
		return rc;
	}
	w->st->flow_capacity = capacity;
	w->tsc_hz = rte_get_tsc_hz();
	jg_worker_clock_anchor(w, rte_rdtsc(), jg_unix_ns());
	w->now_ns = w->anchor.ns;
	w->ts_off = -1;
	w->verdict.cnt = w->cnt;
	w->verdict.ft = &w->flows;
	w->verdict.out = stage_event;
	w->verdict.out_ctx = w;
	w->lean = getenv("JG_LEAN") == NULL || strcmp(getenv("JG_LEAN"), "0") != 0;
	/* the lanes gather a flow's words with 32-bit indices: 2^26 flows at most (the configuration's bound) */
	w->x8 = w->lean && jg_flow_x8_supported() && capacity <= 1u << 26;
	lean_table(w);
	return 0;
}

static void
event_cb(void *ctx, struct jg_flow *f, struct jg_event_rec *ev)
{
	struct jg_worker *w = ctx;

	jg_verdict_event(&w->verdict, f, ev);
}

void
jg_worker_policy_init(struct jg_worker *w, const struct jg_policy *pol, const struct jg_zones *zones)
{
	w->verdict.pol = pol;
	w->verdict.zones = zones;
	w->verdict.gen = 1;
}

static void
release_cb(void *ctx, struct jg_flow *f)
{
	struct jg_worker *w = ctx;

	if (w->det != NULL)
		jg_detect_release(w->det, f);
}

static void *
heap_alloc(size_t n)
{
	return rte_zmalloc("jg_detect", n, RTE_CACHE_LINE_SIZE);
}

int
jg_worker_detect_init(struct jg_worker *w, const struct jg_hs_db *db, const struct jg_detect_limits *lim)
{
	w->det = jg_detect_create(db, lim, w->id, event_cb, w, heap_alloc, w->cnt);
	if (w->det == NULL)
		return -ENOMEM;
	jg_detect_set_flows(w->det, &w->flows);
	w->flows.release = release_cb;
	lean_table(w);
	return 0;
}


int
jg_worker_frag_init(struct jg_worker *w, const struct jg_frag_limits *lim, struct rte_mempool *pool)
{
	static const struct rte_mbuf_dynfield field = {
		.name = "jumpgate_reasm", .size = sizeof(struct jg_reasm), .align = __alignof__(struct jg_reasm)
	};
	static const struct rte_mbuf_dynflag flag = { .name = "jumpgate_reassembled" };
	void *mem = rte_zmalloc("jg_frag", jg_frag_mem_size(lim), RTE_CACHE_LINE_SIZE);
	int bit;

	w->frag_buf = rte_malloc("jg_frag_buf", JG_FRAG_FRAME_MAX, RTE_CACHE_LINE_SIZE);
	if (mem == NULL || w->frag_buf == NULL) {
		rte_free(mem);
		return -ENOMEM;
	}
	w->frag = jg_frag_init(mem, lim, w->cnt);
	if (w->frag == NULL) {
		rte_free(mem);
		return -EINVAL;
	}
	w->reasm_off = rte_mbuf_dynfield_register(&field);
	bit = rte_mbuf_dynflag_register(&flag);
	if (w->reasm_off < 0 || bit < 0)
		return -ENOMEM;
	w->reasm_flag = 1ull << bit;
	w->pool = pool;
	return 0;
}

void
jg_worker_fini(struct jg_worker *w)
{
	rte_free(w->flows.flows);
	w->flows.flows = NULL;
	rte_free(w->frag);
	rte_free(w->frag_buf);
	w->frag = NULL;
	w->frag_buf = NULL;
}

void
jg_worker_clock_anchor(struct jg_worker *w, uint64_t tsc, uint64_t ns)
{
	volatile uint64_t *seq = &w->anchor.seq;

	*seq = *seq + 1;
	rte_smp_wmb();
	w->anchor.tsc = tsc;
	w->anchor.ns = ns;
	rte_smp_wmb();
	*seq = *seq + 1;
}

/*
 * Handled packets back to their pools. A direct mbuf of one segment goes
 * straight into its pool's cache once its last reference is gone, as a NIC
 * driver's fast free puts them: DPDK keeps the next-segment pointer of a
 * single segment NULL, so the mbuf's second line is never read (a cache miss
 * per packet in rte_pktmbuf_free_bulk(), which walks every chain). Chains
 * take rte_pktmbuf_free(). (Four at a time, their words gathered, was 3
 * instructions a packet fewer and 10 cycles slower at 1 K flows.)
 *
 * An mbuf attached to another buffer (a replay's frames point into its
 * chunks) is detached before it goes back, and detaching reads the mempool's
 * header of the mbuf, the line before it, which nothing else reads: a miss
 * for every such packet, a fifth of a replay's worker. They are put aside,
 * their header lines prefetched all at once, then detached.
 */
#define FREE_BATCH 64 /* mbufs put back to their pool at once; attached ones set aside at once */

static inline void
put_one(struct rte_mbuf *x, struct rte_mbuf **put, unsigned int *k, struct rte_mempool **pool)
{
	if (unlikely(x->pool != *pool || *k == FREE_BATCH)) {
		if (*k != 0)
			rte_mempool_put_bulk(*pool, (void *const *)put, *k);
		*pool = x->pool;
		*k = 0;
	}
	put[(*k)++] = x;
}

void
jg_worker_free_mbufs(struct rte_mbuf *const *m, unsigned int n)
{
	struct rte_mbuf *put[FREE_BATCH], *attached[FREE_BATCH];
	struct rte_mempool *pool = NULL;
	unsigned int k = 0, n_att = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *x = m[i];

		if (unlikely(x->nb_segs != 1 || !RTE_MBUF_DIRECT(x))) {
			if (x->nb_segs == 1 && n_att < RTE_DIM(attached)) {
				attached[n_att++] = x;
				rte_prefetch0(RTE_PTR_SUB(x, sizeof(struct rte_mempool_objhdr)));
			} else {
				rte_pktmbuf_free(x);
			}
			continue;
		}
		if (rte_mbuf_refcnt_read(x) != 1) {
			if (rte_mbuf_refcnt_update(x, -1) != 0)
				continue;
			rte_mbuf_refcnt_set(x, 1); /* a free mbuf holds one reference */
		}
		put_one(x, put, &k, &pool);
	}
	/* their header lines on their way meanwhile: detached (the last reference), then put */
	for (unsigned int i = 0; i < n_att; i++) {
		struct rte_mbuf *x = rte_pktmbuf_prefree_seg(attached[i]);

		if (x != NULL)
			put_one(x, put, &k, &pool);
	}
	if (k != 0)
		rte_mempool_put_bulk(pool, (void *const *)put, k);
}

void
jg_worker_tx_flush(struct jg_worker *w)
{
	for (uint16_t p = 0; p < w->n_tx_ports; p++) {
		uint16_t port = w->tx_ports[p], n = w->tx[port].n, sent;

		if (n == 0)
			continue;
		sent = rte_eth_tx_burst(port, w->id, w->tx[port].m, n);
		w->cnt[JG_CNT_TX] += sent;
		if (sent < n) {
			w->cnt[JG_CNT_TX_DROP] += n - sent;
			rte_pktmbuf_free_bulk(&w->tx[port].m[sent], n - sent);
		}
		w->tx[port].n = 0;
	}
	if (w->n_free) {
		jg_worker_free_mbufs(w->free_buf, w->n_free);
		w->n_free = 0;
	}
}
