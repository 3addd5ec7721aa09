/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's loop (jg_worker_main): its queues read in bursts, its clock kept,
 * expiry swept, records staged and sent; the lossless pause of a replay; and
 * the end of input, when every flow leaves as a record. The packets
 * themselves are handled in worker.c.
 */
#include "worker.h"
#include "worker_priv.h"
#include "rules.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>

volatile int jg_worker_quit;

/* Sweep this many buckets per loop: busy loops keep expiry cheap, idle ones catch up. */
#define EXPIRE_BUSY 8
#define EXPIRE_IDLE 256
/* Bound on a worker's end-of-input flush waiting for ring space, ns of TSC time. */
#define FLUSH_WAIT_S 20

/* Unix time now: the last anchor and the cycles since (a seqlock read: the main lcore may be writing it). */
static inline uint64_t
clock_now(const struct jg_worker *w)
{
	const volatile uint64_t *seq = &w->anchor.seq;
	uint64_t s, tsc, ns, d;

	do {
		s = *seq;
		rte_smp_rmb();
		tsc = w->anchor.tsc;
		ns = w->anchor.ns;
		rte_smp_rmb();
	} while ((s & 1) != 0 || s != *seq);
	d = rte_rdtsc() - tsc;
	if ((int64_t)d < 0) /* an anchor taken on another core a hair after this TSC */
		d = 0;
	return ns + d / w->tsc_hz * 1000000000u + (d % w->tsc_hz) * 1000000000u / w->tsc_hz;
}

/*
 * Stopping: no more reading from the ports; packets already handed between
 * workers are still processed, until every worker has stopped reading and this
 * worker's dispatch ring is empty.
 */
static void
drain_dispatch(struct jg_worker *w)
{
	uint64_t deadline = rte_rdtsc() + FLUSH_WAIT_S * w->tsc_hz;
	struct rte_mbuf *pkts[64];

	w->st->rx_stopped = 1;
	jg_worker_drain(w);
	if (w->dispatch_ring == NULL)
		return;
	for (;;) {
		unsigned int n = rte_ring_sc_dequeue_burst(w->dispatch_ring, (void **)pkts, 64, NULL);
		int all_stopped = 1;

		if (n) {
			w->cnt[JG_CNT_DISPATCH_IN] += n;
			jg_worker_process_dispatched(w, pkts, (uint16_t)n);
			continue;
		}
		jg_worker_drain(w);
		for (uint32_t i = 0; i < w->shm->n_workers; i++)
			all_stopped &= w->shm->workers[i].rx_stopped != 0;
		if ((all_stopped && rte_ring_count(w->dispatch_ring) == 0) || rte_rdtsc() > deadline)
			break;
		rte_pause();
	}
	jg_worker_tx_flush(w);
}

/* End of input: every flow leaves as a record; wait for ring room, within a bound. */
static void
flush_all(struct jg_worker *w)
{
	uint64_t deadline = rte_rdtsc() + FLUSH_WAIT_S * w->tsc_hz;
	uint64_t now = w->now_ns;

	drain_dispatch(w);
	/* The end of input is the latest time any worker saw: flows' fates do not depend on the split. */
	for (uint32_t i = 0; i < w->shm->n_workers; i++)
		now = RTE_MAX(now, w->shm->workers[i].now_ns);
	/* datagrams still waiting for fragments will get none: dropped as timed out */
	if (w->frag != NULL)
		jg_frag_expire(w->frag, UINT64_MAX);
	jg_worker_flush_events(w);
	jg_worker_flush_flows(w);
	while (w->flows.count > 0) {
		unsigned int room = rte_ring_free_count(w->fr_ring);

		if (room >= JG_STAGE || rte_rdtsc() > deadline) {
			jg_flow_flush(&w->flows, JG_STAGE, now);
			jg_worker_flush_flows(w);
			jg_worker_flush_events(w); /* what ending sessions still had held */
		} else {
			rte_delay_us_sleep(100);
		}
	}
	w->st->flows_active = 0;
	w->st->flushed = 1;
}

/* Has a ring (with `room` known left in it) less than `want` free? Its consumer's end is read only when it looks so. */
static inline int
ring_short(struct rte_ring *r, unsigned int *room, unsigned int want)
{
	if (likely(*room >= want))
		return 0;
	*room = rte_ring_free_count(r);
	return *room < want;
}

/*
 * Replay only: a file can wait, so rather than drop on a full ring the worker
 * stops reading its port until the control plane and its peers catch up.
 * Asked every turn of the loop: the rings' far ends (a line the control plane
 * writes) are read only when the room last seen runs short.
 */
static int
must_wait(struct jg_worker *w)
{
	/* One loop adds at most a burst of new flows, as many evictions, and a sweep's worth. */
	const unsigned int want = 2u * w->burst + EXPIRE_BUSY * JG_FLOW_BUCKET + JG_STAGE;

	if (ring_short(w->fr_ring, &w->fr_room, RTE_MIN(want, rte_ring_get_capacity(w->fr_ring) / 2)) ||
	    ring_short(w->ev_ring, &w->ev_room, RTE_MIN(want, rte_ring_get_capacity(w->ev_ring) / 2)))
		return 1;
	for (uint16_t o = 0; w->dispatch_ring != NULL && o < w->n_workers; o++)
		if (rte_ring_free_count(w->peers[o]) < 2u * w->burst)
			return 1;
	return 0;
}

int
jg_worker_main(void *arg)
{
	struct jg_worker *w = arg;
	struct rte_mbuf *pkts[64];
	uint16_t burst = RTE_MIN(w->burst, (uint16_t)64);

	int bit;

	w->st->lcore_id = rte_lcore_id();
	/* PMDs that stamp packets (net_pcap: capture time) register these when their ports start. */
	w->ts_off = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
	w->ts_flag = bit >= 0 ? 1ull << bit : 0;
	if (w->qs != NULL)
		rte_rcu_qsbr_thread_online(w->qs, w->id);
	while (!jg_worker_quit) {
		uint32_t got = 0;
		uint16_t n;

		if (w->qs != NULL)
			jg_rules_worker_sync(w);
		if (w->shm->dp_state >= JG_DP_FLUSHING) {
			if (!w->st->flushed)
				flush_all(w);
			rte_delay_us_sleep(1000);
			continue;
		}
		for (uint16_t q = 0; q < w->n_rxq && !(w->lossless && must_wait(w)); q++) {
			n = rte_eth_rx_burst(w->rxq[q].port, w->rxq[q].queue, pkts, burst);
			if (n == 0)
				continue;
			got += n;
			w->cnt[JG_CNT_RX] += n;
			for (uint16_t i = 0; i < n; i++)
				w->cnt[JG_CNT_RX_BYTES] += pkts[i]->pkt_len;
			if (w->dispatch)
				jg_worker_dispatch(w, pkts, n);
			else
				jg_worker_process(w, pkts, n);
		}
		if (w->dispatch_ring != NULL) {
			n = (uint16_t)rte_ring_sc_dequeue_burst(w->dispatch_ring, (void **)pkts, burst, NULL);
			if (n) {
				got += n;
				w->cnt[JG_CNT_DISPATCH_IN] += n;
				jg_worker_process_dispatched(w, pkts, n);
			}
		}
		if (got == 0)
			jg_worker_drain(w);
		if (!w->capture_time) {
			uint64_t t = clock_now(w);

			if (t > w->now_ns)
				w->now_ns = t;
		}
		if (w->frag != NULL)
			jg_frag_expire(w->frag, w->now_ns);
		if (!w->lossless)
			jg_flow_expire(&w->flows, w->now_ns, got ? EXPIRE_BUSY : EXPIRE_IDLE);
		else if (!must_wait(w))
			jg_flow_expire(&w->flows, w->now_ns, EXPIRE_BUSY);
		jg_worker_tx_flush(w);
		jg_worker_flush_flows(w);
		jg_worker_flush_events(w);
		w->st->flows_active = w->flows.count;
		w->st->now_ns = w->now_ns;
	}
	jg_worker_drain(w); /* a stop without a flush (jg_worker_quit alone) leaves no mbuf behind */
	if (w->qs != NULL)
		rte_rcu_qsbr_thread_offline(w->qs, w->id);
	return 0;
}
