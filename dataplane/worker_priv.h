/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What a worker's files share and nothing else uses: worker.c (set-up, what
 * leaves), worker_lean.c (bursts, the common packet), worker_parsed.c (the
 * general way) and worker_loop.c (the loop around them).
 */
#ifndef JG_WORKER_PRIV_H
#define JG_WORKER_PRIV_H

#include <rte_mbuf_dyn.h>

#include "worker.h"

/** Send the staged flow records to the control plane's ring (what does not fit is counted lost). */
void jg_worker_flush_flows(struct jg_worker *w);

/** Send the staged events to the control plane's ring (what does not fit is counted lost). */
void jg_worker_flush_events(struct jg_worker *w);

/**
 * A burst from a single-queue port (or one without symmetric RSS): parsed
 * here, what this worker owns handled, the rest handed to its owner by
 * symmetric hash.
 */
void jg_worker_dispatch(struct jg_worker *w, struct rte_mbuf **pkts, uint16_t n);

/**
 * A packet parsed whole (class c), the general way: its flow (found through
 * hint when one was prepared, NULL otherwise), policy, inspection,
 * fragments; then sent on or given back.
 */
void jg_worker_parsed(struct jg_worker *w, struct rte_mbuf *m, const struct jg_pkt *p, enum jg_pkt_class c,
		      struct jg_flow_hint *hint);

/*
 * Would detection look at a segment of a flow whose detection state is app
 * (JG_FLOW_APP_*)? Every TCP segment of a flow it inspects; of an undecided
 * flow, one with payload or on a session port (data: undecided flows are
 * decided on their ports or first payload, so their handshakes and pure ACKs
 * are not looked at); never UDP, nor a flow it skips. The general way asks it
 * per segment, the lean way's table (worker.c) per class of segment.
 */
static inline int
jg_worker_inspects(const struct jg_worker *w, unsigned int app, int tcp, int data)
{
	return w->det != NULL && tcp && app != JG_FLOW_APP_SKIP && (app != JG_FLOW_APP_NONE || data);
}

/* What a reassembled datagram carries: the fragment that completed it (inline: it goes where the verdict says). */
struct jg_reasm {
	struct rte_mbuf *orig;
	uint32_t anomalies;
};

/* Does the packet carry a capture time (µs from net_pcap)? */
static inline int
has_capture_time(const struct jg_worker *w, const struct rte_mbuf *m)
{
	return w->ts_off >= 0 && (m->ol_flags & w->ts_flag);
}

/* The capture time a packet carries (has_capture_time), in ns. */
static inline uint64_t
capture_ns(const struct jg_worker *w, const struct rte_mbuf *m)
{
	return *RTE_MBUF_DYNFIELD(m, w->ts_off, const uint64_t *) * 1000u;
}

/*
 * The worker's clock after a packet captured at t: the latest time seen, so
 * capture times out of order never make it run backwards.
 */
static inline void
clock_saw(struct jg_worker *w, uint64_t t)
{
	if (!w->capture_time || t > w->now_ns)
		w->now_ns = t;
	w->capture_time = 1;
}

/* A packet's time: its capture time when it carries one (the clock moved to it), else the worker's clock. */
static inline uint64_t
packet_time(struct jg_worker *w, const struct rte_mbuf *m)
{
	if (has_capture_time(w, m)) {
		uint64_t t = capture_ns(w, m);

		clock_saw(w, t);
		return t;
	}
	return w->now_ns;
}

/* Back to the pool with the next batch (jg_worker_free_mbufs). */
static inline void
free_later(struct jg_worker *w, struct rte_mbuf *m)
{
	w->free_buf[w->n_free++] = m;
	if (w->n_free == RTE_DIM(w->free_buf)) {
		jg_worker_free_mbufs(w->free_buf, w->n_free);
		w->n_free = 0;
	}
}

/*
 * Where a handled packet goes: out of its port's peer (inline), or back to the
 * pool. Transmission is batched per port and flushed once per loop.
 */
static inline void
finish(struct jg_worker *w, struct rte_mbuf *m, int drop)
{
	uint16_t peer = m->port < RTE_MAX_ETHPORTS ? w->peer[m->port] : JG_NO_PEER;

	if (peer == JG_NO_PEER || drop) {
		free_later(w, m);
		return;
	}
	w->tx[peer].m[w->tx[peer].n++] = m;
	if (w->tx[peer].n == RTE_DIM(w->tx[peer].m))
		jg_worker_tx_flush(w);
}

#endif
