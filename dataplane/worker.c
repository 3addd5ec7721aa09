/* SPDX-License-Identifier: BSD-3-Clause */
#include "worker.h"
#include "worker_priv.h"

#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>

#include "cksum.h"
#include "jg_fmt.h"
#include "pkt_fastpath.h"

#define JG_MAX_SEGS 40 /* a 64 KiB frame in 2 KiB mbufs */

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
 * process_parsed()'s questions, asked of a flow's state byte ahead: a flow not
 * blocked, not in mid-handshake, not starting a slice takes a UDP packet
 * alike; a TCP segment without SYN, FIN or RST too, unless detection may
 * want it (an undecided flow's payload or session port, an inspected flow's
 * every segment).
 */
static void
lean_table(struct jg_worker *w)
{
	for (unsigned int st = 0; st < 256; st++) {
		unsigned int app = st >> 5 & 3, verdict = st >> 3 & 3;
		uint8_t allow = 0;

		for (uint8_t c = JG_LEAN_UDP; c <= JG_LEAN_TCP_CTRL; c++) {
			int det_wants = c != JG_LEAN_UDP && app != JG_FLOW_APP_SKIP &&
					(app != JG_FLOW_APP_NONE || c != JG_LEAN_TCP_EMPTY);

			if (jg_flow_lean_ok((uint8_t)st, c) && verdict != JG_ACT_BLOCK && !(w->det != NULL && det_wants))
				allow |= (uint8_t)(1u << c);
		}
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
	w->x8 = jg_flow_x8_supported();
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

/* What a reassembled datagram carries: the fragment that completed it (inline: it goes where the verdict says). */
struct jg_reasm {
	struct rte_mbuf *orig;
	uint32_t anomalies;
};

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
 * A packet's time: its capture time (µs from net_pcap) when it carries one,
 * else the worker's clock. The worker's clock is the latest time seen, so
 * capture times out of order never make it run backwards.
 */
static inline uint64_t
packet_time(struct jg_worker *w, const struct rte_mbuf *m)
{
	if (w->ts_off >= 0 && (m->ol_flags & w->ts_flag)) {
		uint64_t t = *RTE_MBUF_DYNFIELD(m, w->ts_off, const uint64_t *) * 1000u;

		if (!w->capture_time || t > w->now_ns)
			w->now_ns = t;
		w->capture_time = 1;
		return t;
	}
	return w->now_ns;
}

static const enum jg_counter class_cnt[] = {
	[JG_PKT_FLOW] = JG_CNT_PKT_FLOW,
	[JG_PKT_NON_IP] = JG_CNT_PKT_NON_IP,
	[JG_PKT_FRAGMENT] = JG_CNT_PKT_FRAGMENT,
	[JG_PKT_TRUNCATED] = JG_CNT_PKT_TRUNCATED,
	[JG_PKT_MALFORMED] = JG_CNT_PKT_MALFORMED,
};

/*
 * Is the IP or TCP checksum wrong? What the port verified is taken as it is;
 * the rest is computed (inspected flows only: a segment the endpoint would
 * drop must not reach detection). A frame the capture cut cannot be checked.
 */
static int
checksum_bad(const struct rte_mbuf *m, const struct jg_pkt *p)
{
	uint64_t ipf = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK, l4f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	uint32_t alen = p->ip_version == 4 ? 4 : 16, len;
	uint64_t acc;

	if (p->cut)
		return 0;
	if (p->ip_version == 4 && ipf != RTE_MBUF_F_RX_IP_CKSUM_GOOD) {
		if (ipf == RTE_MBUF_F_RX_IP_CKSUM_BAD)
			return 1;
		if (m->data_len >= p->l4_off &&
		    jg_cksum_fold(jg_cksum_add(0, rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l3_off),
					       p->l4_off - p->l3_off)) != 0xffff)
			return 1;
	}
	if (l4f == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return 0;
	if (l4f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return 1;
	len = p->payload_off + p->payload_len - p->l4_off;
	/* the pseudo-header: addresses, protocol, length (network-order words, summed natively) */
	acc = jg_cksum_add(jg_cksum_add(0, p->src, alen), p->dst, alen) + rte_cpu_to_be_16(p->proto) +
	      rte_cpu_to_be_16((uint16_t)len) + rte_cpu_to_be_16((uint16_t)(len >> 16));
	if (p->l4_off + len <= m->data_len) {
		acc = jg_cksum_add(acc, rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l4_off), len);
	} else { /* a chain: DPDK's walk handles the odd byte between segments */
		uint16_t l4;

		if (rte_raw_cksum_mbuf(m, p->l4_off, len, &l4) != 0)
			return 0;
		acc += l4;
	}
	return jg_cksum_fold(acc) != 0xffff;
}

/* Hand the TCP payload, as the pieces of its mbuf chain, to detection. */
static void
inspect(struct jg_worker *w, struct rte_mbuf *m, const struct jg_pkt *pkt, struct jg_flow *f, int dir, uint64_t t)
{
	const uint8_t *seg[JG_MAX_SEGS];
	uint32_t seg_len[JG_MAX_SEGS];
	uint32_t off = pkt->payload_off, left = pkt->payload_len;
	unsigned int n = 0;
	struct jg_pkt checked = *pkt;
	const struct jg_pkt *p = &checked;

	checked.csum_bad = (uint8_t)checksum_bad(m, pkt);
	for (struct rte_mbuf *s = m; s != NULL && left > 0 && n < JG_MAX_SEGS; s = s->next) {
		uint32_t take;

		if (off >= s->data_len) {
			off -= s->data_len;
			continue;
		}
		take = RTE_MIN(left, (uint32_t)s->data_len - off);
		seg[n] = rte_pktmbuf_mtod_offset(s, const uint8_t *, off);
		seg_len[n++] = take;
		left -= take;
		off = 0;
	}
	jg_detect_packet(w->det, f, p, dir, seg, seg_len, n, t);
}

/*
 * Handled packets back to their pools. A direct mbuf of one segment goes
 * straight into its pool's cache once its last reference is gone, as a NIC
 * driver's fast free puts them: DPDK keeps the next-segment pointer of a
 * single segment NULL, so the mbuf's second line is never read (a cache miss
 * per packet in rte_pktmbuf_free_bulk(), which walks every chain). Chains,
 * mbufs attached to other buffers (a replay's frames) and the rest take
 * rte_pktmbuf_free().
 */
void
jg_worker_free_mbufs(struct rte_mbuf *const *m, unsigned int n)
{
	struct rte_mbuf *put[64];
	struct rte_mempool *pool = NULL;
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *x = m[i];

		if (unlikely(x->nb_segs != 1 || !RTE_MBUF_DIRECT(x))) {
			rte_pktmbuf_free(x);
			continue;
		}
		if (rte_mbuf_refcnt_read(x) != 1) {
			if (rte_mbuf_refcnt_update(x, -1) != 0)
				continue;
			rte_mbuf_refcnt_set(x, 1); /* a free mbuf holds one reference */
		}
		if (unlikely(x->pool != pool || k == RTE_DIM(put))) {
			if (k != 0)
				rte_mempool_put_bulk(pool, (void *const *)put, k);
			pool = x->pool;
			k = 0;
		}
		put[k++] = x;
	}
	if (k != 0)
		rte_mempool_put_bulk(pool, (void *const *)put, k);
}

/*
 * Where a handled packet goes: out of its port's peer (inline), or back to the
 * pool. Transmission is batched per port and flushed once per loop.
 */
static inline void
free_later(struct jg_worker *w, struct rte_mbuf *m)
{
	w->free_buf[w->n_free++] = m;
	if (w->n_free == RTE_DIM(w->free_buf)) {
		jg_worker_free_mbufs(w->free_buf, w->n_free);
		w->n_free = 0;
	}
}

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

static void handle_fragment(struct jg_worker *w, struct rte_mbuf *m, const struct jg_pkt *p, uint64_t t);

static inline struct jg_reasm *
reasm_of(const struct jg_worker *w, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, w->reasm_off, struct jg_reasm *);
}

/* Below TCP: what the datagram's fragments did, said as evasion on its flow. */
static void
frag_anomalies(struct jg_worker *w, struct jg_flow *f, const struct jg_pkt *p, uint32_t a, uint64_t t)
{
	if (w->det == NULL)
		return;
	if (a & JG_FRAG_A_CONFLICT)
		jg_detect_anomaly(w->det, f, p, "ip-overlap-conflict", "IP fragments overlap with different bytes", t);
	if (a & JG_FRAG_A_TINY)
		jg_detect_anomaly(w->det, f, p, "ip-tiny-fragment", "a first fragment too short for the transport header", t);
}

static inline void
process_parsed(struct jg_worker *w, struct rte_mbuf *m, const struct jg_pkt *p, enum jg_pkt_class c,
	       struct jg_flow_hint *hint)
{
	uint64_t t = packet_time(w, m);
	int reasm = (m->ol_flags & w->reasm_flag) != 0 && w->reasm_flag != 0;
	int drop = 0;

	/* A reassembled datagram is no packet of its own: its fragments were counted. */
	if (likely(!reasm))
		w->cnt[class_cnt[c]]++;
	if (c == JG_PKT_FRAGMENT && w->frag != NULL) {
		if (likely(!reasm)) {
			handle_fragment(w, m, p, t);
			return;
		}
		w->cnt[JG_CNT_FRAG_BAD]++; /* fragments inside fragments */
		drop = 1;
	}
	if (c == JG_PKT_FLOW) {
		struct jg_flow_hint own;
		struct jg_flow *f;
		uint8_t before;
		int dir;

		if (hint == NULL) {
			own.pkt = p;
			jg_flow_hint_prepare(&w->flows, &own);
			hint = &own;
		}
		w->cnt[JG_CNT_PKT_CUT] += p->cut;
		f = jg_flow_packet_hint(&w->flows, p, hint, m->pkt_len, t, &dir);
		before = f->verdict;
		if (unlikely(hint->created) && w->verdict.pol != NULL)
			jg_verdict_new_flow(&w->verdict, f, t);
		/* Undecided flows are decided on their ports or first payload: empty segments of
		 * other flows (handshakes, pure ACKs) skip inspection. */
		if (w->det != NULL && p->proto == 6 && f->app != JG_FLOW_APP_SKIP &&
		    (f->app != JG_FLOW_APP_NONE || p->payload_len != 0 || jg_session_port(p->sport) ||
		     jg_session_port(p->dport)))
			inspect(w, m, p, f, dir, t);
		if (unlikely(reasm) && reasm_of(w, m)->anomalies)
			frag_anomalies(w, f, p, reasm_of(w, m)->anomalies, t);
		/* A blocked flow is dropped from the packet that decided it on, both ways. */
		if (unlikely(f->verdict == JG_ACT_BLOCK)) {
			drop = 1;
			w->cnt[JG_CNT_PKT_BLOCKED]++;
			if (before != JG_ACT_BLOCK && w->send_rst)
				jg_worker_send_rsts(w, m, p);
		}
	}
	if (unlikely(w->fail_closed && w->shm->control_pid == 0)) {
		drop = 1;
		w->cnt[JG_CNT_PKT_FAIL_CLOSED]++;
	}
	if (unlikely(reasm)) {
		/* Inline, the fragment that completed the datagram goes where the verdict says:
		 * a blocked datagram never reaches its target whole. */
		struct rte_mbuf *orig = reasm_of(w, m)->orig;

		rte_pktmbuf_free(m);
		if (orig != NULL)
			finish(w, orig, drop);
		return;
	}
	finish(w, m, drop);
}

/* A reassembled frame in mbufs of the worker's pool (a chain when it is longer than one). */
static struct rte_mbuf *
frame_to_mbuf(struct jg_worker *w, const uint8_t *b, uint32_t len)
{
	struct rte_mbuf *head = NULL, *last = NULL;

	while (len > 0) {
		struct rte_mbuf *s = rte_pktmbuf_alloc(w->pool);
		uint32_t take;

		if (s == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		take = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(s));
		memcpy(rte_pktmbuf_mtod(s, void *), b, take);
		s->data_len = (uint16_t)take;
		if (head == NULL) {
			head = s;
		} else {
			last->next = s;
			head->nb_segs++;
		}
		head->pkt_len += take;
		last = s;
		b += take;
		len -= take;
	}
	return head;
}

/*
 * A fragment: into reassembly; the fragment itself goes on (inline) or back to
 * the pool at once, except the one that completes its datagram, which waits for
 * the datagram's verdict. The datagram is handled by the worker owning its flow.
 */
static void
handle_fragment(struct jg_worker *w, struct rte_mbuf *m, const struct jg_pkt *p, uint64_t t)
{
	int closed = w->fail_closed && w->shm->control_pid == 0;
	uint16_t peer = m->port < RTE_MAX_ETHPORTS ? w->peer[m->port] : JG_NO_PEER;
	uint32_t len = 0, anomalies = 0, owner = w->id;
	struct jg_reasm *ra;
	struct rte_mbuf *r;
	enum jg_pkt_class c;
	struct jg_pkt q;

	if (jg_frag_add(w->frag, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, p, t, w->frag_buf, &len,
			&anomalies) != JG_FRAG_DONE) {
		w->cnt[JG_CNT_PKT_FAIL_CLOSED] += (uint64_t)closed;
		finish(w, m, closed);
		return;
	}
	r = frame_to_mbuf(w, w->frag_buf, len);
	if (r == NULL) {
		w->cnt[JG_CNT_FRAG_LOST]++;
		finish(w, m, closed);
		return;
	}
	if (w->ts_off >= 0 && (m->ol_flags & w->ts_flag)) {
		*RTE_MBUF_DYNFIELD(r, w->ts_off, uint64_t *) = *RTE_MBUF_DYNFIELD(m, w->ts_off, const uint64_t *);
		r->ol_flags |= w->ts_flag;
	}
	r->ol_flags |= w->reasm_flag;
	r->port = m->port;
	ra = reasm_of(w, r);
	ra->anomalies = anomalies;
	ra->orig = peer != JG_NO_PEER ? m : NULL;
	if (ra->orig == NULL)
		finish(w, m, 0);
	c = jg_pkt_parse(rte_pktmbuf_mtod(r, const uint8_t *), r->data_len, r->pkt_len, &q);
	/* Software dispatch spreads fragments and whole packets alike by host pair: this worker owns the
	 * flow. The NIC spreads fragments by addresses only: the flow is on the queue its whole packets hash to. */
	if (c == JG_PKT_FLOW && m->port < RTE_MAX_ETHPORTS && w->rss[m->port] != NULL) {
		owner = jg_rss_queue(w->rss[m->port], &q);
		if (owner >= w->n_workers)
			owner = w->id;
	}
	if (owner == w->id) {
		process_parsed(w, r, &q, c, NULL);
		return;
	}
	if (rte_ring_mp_enqueue(w->peers[owner], r) != 0) {
		w->cnt[JG_CNT_FRAG_LOST]++;
		if (ra->orig != NULL)
			finish(w, ra->orig, closed);
		rte_pktmbuf_free(r);
		return;
	}
	w->cnt[JG_CNT_DISPATCH_OUT]++;
}

#define PREFETCH_AHEAD 4
/* held class of a frame jg_flow_hint_lean() took: no struct jg_pkt yet */
#define CLS_LEAN 0xff

/*
 * The common packet, the lean way: a flow that exists, whose packet changes
 * nothing but counters (lean_allow) and is not dropped. What the loop over a
 * burst reads of the worker is read once for the burst.
 */
struct lean_run {
	const uint8_t *allow;
	uint64_t reasm_flag;
	int ts_off;
	int on;      /**< 0 while the worker fails closed: every packet the general way */
	int monitor; /**< no port has a peer: every packet goes back to the pool */
};

/** @return 1 when handled, 0 when the packet needs process_parsed() (nothing was changed) */
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
		.allow = w->lean_allow,
		.reasm_flag = w->reasm_flag,
		.ts_off = w->ts_off,
		.on = !(w->fail_closed && w->shm->control_pid == 0),
		.monitor = w->n_tx_ports == 0,
	};
	struct jg_flow_hint *h = b->h;
	uint64_t lean = 0;

	/* walked by pointer: the held arrays' strides cost an address computation each otherwise */
	for (uint16_t i = 0; i < b->n; i++, h++) {
		struct rte_mbuf *m = b->m[i];
		uint8_t cls = b->cls[i];

		if (cls == CLS_LEAN) {
			if (likely(r.on) && process_lean(w, &r, m, h)) {
				lean++;
				continue;
			}
			/* the rest of the packet's way needs all of it: the general parser takes it alike */
			cls = (uint8_t)jg_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, m->pkt_len,
						    &b->p[i]);
		}
		process_parsed(w, m, &b->p[i], (enum jg_pkt_class)cls, h);
	}
	w->cnt[JG_CNT_PKT_FLOW] += lean;
	b->n = 0;
}

/* Hold packet i of a burst: its hint the lean way, or parsed the general way. */
static inline void
hold_one(struct jg_worker *w, struct jg_held *b, uint16_t i)
{
	const struct rte_mbuf *m = b->m[i];

	if (likely(jg_flow_hint_lean(&w->flows, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, m->pkt_len,
				     &b->h[i]))) {
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
 * in vector lanes, the rest one by one. The frames eight further on are
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

/*
 * Single-queue ports (and ports without symmetric RSS): parse here, keep what
 * this worker owns, hand the rest to the owner by symmetric hash. Packets that
 * have no flow stay here.
 */
void
jg_worker_dispatch(struct jg_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *out[JG_MAX_WORKERS][64];
	uint16_t n_out[JG_MAX_WORKERS] = { 0 };
	struct jg_pkt p;

	finish_held(w); /* what this worker keeps is handled now: after the burst before it */
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		enum jg_pkt_class c = jg_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, m->pkt_len, &p);
		uint32_t owner = w->id;

		/* by host pair: a flow's packets and its datagrams' fragments meet on one worker, in order */
		if (c == JG_PKT_FLOW || (c == JG_PKT_FRAGMENT && w->frag != NULL))
			owner = (uint32_t)(((uint64_t)jg_host_pair_hash(&w->flows, &p) * w->n_workers) >> 32);
		if (owner == w->id) {
			process_parsed(w, m, &p, c, NULL);
		} else {
			out[owner][n_out[owner]++] = m;
		}
	}
	for (uint16_t o = 0; o < w->n_workers; o++) {
		unsigned int sent;

		if (n_out[o] == 0)
			continue;
		sent = rte_ring_mp_enqueue_burst(w->peers[o], (void **)out[o], n_out[o], NULL);
		w->cnt[JG_CNT_DISPATCH_OUT] += sent;
		if (sent < n_out[o]) {
			w->cnt[JG_CNT_DISPATCH_DROP] += n_out[o] - sent;
			rte_pktmbuf_free_bulk(&out[o][sent], n_out[o] - sent);
		}
	}
}
