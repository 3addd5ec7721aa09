/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The general way of a packet through a worker, once parsed whole: its flow
 * found or made, its policy, its payload to detection (checksums checked),
 * IP fragments into reassembly and their datagrams to the worker owning the
 * flow, and software dispatch for ports without symmetric RSS.
 */
#include "worker.h"
#include "worker_priv.h"

#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf_dyn.h>

#include "cksum.h"
#include "pkt_fastpath.h"

#define JG_MAX_SEGS 40 /* a 64 KiB frame in 2 KiB mbufs */

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

void
jg_worker_parsed(struct jg_worker *w, struct rte_mbuf *m, const struct jg_pkt *p, enum jg_pkt_class c,
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
		if (jg_worker_inspects(w, f->app, p->proto == 6,
				       p->payload_len != 0 || jg_session_port(p->sport) || jg_session_port(p->dport)))
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
	if (has_capture_time(w, m)) {
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
		jg_worker_parsed(w, r, &q, c, NULL);
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

	jg_worker_drain(w); /* what this worker keeps is handled now: after the burst before it */
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		enum jg_pkt_class c = jg_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, m->pkt_len, &p);
		uint32_t owner = w->id;

		/* by host pair: a flow's packets and its datagrams' fragments meet on one worker, in order */
		if (c == JG_PKT_FLOW || (c == JG_PKT_FRAGMENT && w->frag != NULL))
			owner = (uint32_t)(((uint64_t)jg_host_pair_hash(&w->flows, &p) * w->n_workers) >> 32);
		if (owner == w->id) {
			jg_worker_parsed(w, m, &p, c, NULL);
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
