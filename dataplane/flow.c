/* SPDX-License-Identifier: BSD-3-Clause */
#include "flow.h"
#include "flow_priv.h"

#include <errno.h>
#include <nmmintrin.h>
#include <string.h>

#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

size_t
jg_flow_table_mem_size(uint32_t capacity)
{
	uint32_t nb = capacity / JG_FLOW_BUCKET;

	size_t sz = (size_t)capacity * (sizeof(struct jg_flow) + sizeof(struct jg_flow_cold)) +
		    (size_t)nb * (sizeof(uint16_t[JG_FLOW_BUCKET]) + sizeof(struct jg_flow_wlink)) +
		    (size_t)JG_FLOW_WHEEL * sizeof(uint32_t);

	return (sz + 63) & ~(size_t)63;
}

int
jg_flow_table_init(struct jg_flow_table *t, void *mem, uint32_t capacity, uint64_t id_base,
		   const struct jg_flow_timeouts *to, jg_flow_emit_fn emit, void *emit_ctx, uint64_t *cnt)
{
	char *m = mem;

	/* the signatures are read with aligned loads */
	if (capacity < 2 * JG_FLOW_BUCKET || (capacity & (capacity - 1)) != 0 || (uintptr_t)mem % 64 != 0)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	/* a table's keys differ from its neighbours': one leaked layout tells nothing of another */
	jg_khash_init(&t->hk, jg_khash_seed() ^ (id_base * 0x9e3779b97f4a7c15ull));
	jg_khash_init(&t->dk, jg_khash_seed());
	t->n_buckets = capacity / JG_FLOW_BUCKET;
	t->bucket_shift = jg_khash_shift(t->n_buckets);
	t->capacity = capacity;
	t->next_id = id_base;
	t->to = *to;
	t->emit = emit;
	t->emit_ctx = emit_ctx;
	t->cnt = cnt;
	t->min_idle_ns = to->tcp_idle_ns;
	if (to->udp_idle_ns < t->min_idle_ns)
		t->min_idle_ns = to->udp_idle_ns;
	if (to->other_idle_ns < t->min_idle_ns)
		t->min_idle_ns = to->other_idle_ns;
	if (to->closed_ns < t->min_idle_ns)
		t->min_idle_ns = to->closed_ns;
	if (to->session_idle_ns != 0 && to->session_idle_ns < t->min_idle_ns)
		t->min_idle_ns = to->session_idle_ns;
	t->flows = (void *)m;
	m += (size_t)capacity * sizeof(struct jg_flow);
	t->cold = (void *)m;
	m += (size_t)capacity * sizeof(struct jg_flow_cold);
	t->sigs = (void *)m;
	m += (size_t)t->n_buckets * sizeof(uint16_t[JG_FLOW_BUCKET]);
	t->wl = (void *)m;
	m += (size_t)t->n_buckets * sizeof(struct jg_flow_wlink);
	t->wheel = (void *)m;
	memset(t->wheel, 0xff, JG_FLOW_WHEEL * sizeof(uint32_t));
	return 0;
}

uint32_t
jg_flow_hash(const struct jg_flow_table *t, const struct jg_flow_key *k)
{
	return jg_flow_key_hash(t, k);
}

uint32_t
jg_host_pair_hash(const struct jg_flow_table *t, const struct jg_pkt *p)
{
	const uint8_t *lo = p->src, *hi = p->dst;
	uint64_t w[5];

	if (memcmp(lo, hi, 16) > 0) {
		lo = p->dst;
		hi = p->src;
	}
	memcpy(w, lo, 16);
	memcpy(w + 2, hi, 16);
	w[4] = p->vlan;
	return jg_khash40(&t->dk, w);
}

/* ---- entries ---- */

void
jg_flow_end_at(struct jg_flow_table *t, uint32_t idx, enum jg_flow_end reason)
{
	static const enum jg_counter cnt_of[] = {
		[JG_FLOW_END_IDLE] = JG_CNT_FLOW_END_IDLE,
		[JG_FLOW_END_ACTIVE] = JG_CNT_FLOW_END_ACTIVE,
		[JG_FLOW_END_CLOSED] = JG_CNT_FLOW_END_CLOSED,
		[JG_FLOW_END_EVICTED] = JG_CNT_FLOW_END_EVICTED,
		[JG_FLOW_END_FLUSH] = JG_CNT_FLOW_END_FLUSH,
	};
	struct jg_flow *f = &t->flows[idx];

	if (!f->restart)
		t->emit(t->emit_ctx, f, reason);
	if (f->app == JG_FLOW_APP_SESS && t->release != NULL)
		t->release(t->emit_ctx, f);
	t->cnt[cnt_of[reason]]++;
	*jg_flow_sig_at(t, idx) = 0;
	f->key.ip_version = 0; /* a free slot's key matches no packet's: a hint need not check its signature */
	t->count--;
}

/*
 * Who opened the flow: the sender of a SYN, the receiver of a SYN+ACK; for
 * mid-stream TCP and for UDP, the side on the ephemeral port (a packet from a
 * well-known port to a high one is a reply).
 */
static int
src_is_initiator(const struct jg_pkt *p)
{
	if (p->proto == 6 && (p->tcp_flags & (JG_TCP_SYN | JG_TCP_ACK)) == JG_TCP_SYN)
		return 1;
	if (p->proto == 6 && (p->tcp_flags & (JG_TCP_SYN | JG_TCP_ACK)) == (JG_TCP_SYN | JG_TCP_ACK))
		return 0;
	if ((p->proto == 6 || p->proto == 17) && p->sport < 1024 && p->dport >= 1024)
		return 0;
	return 1;
}

/* A prefetch the compiler keeps: a function that only calls __builtin_prefetch() is taken for pure, and its calls deleted. */
static inline void
prefetch_kept(const void *p)
{
	__asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
}

void
jg_flow_prefetch_new(const struct jg_flow_table *t, uint32_t b1, uint32_t b2)
{
	uint32_t idx = jg_flow_free_slot(t, b1, b2);
	const char *cold;

	if (idx == JG_FLOW_NIL)
		return;
	cold = (const char *)&t->cold[idx];
	prefetch_kept(&t->flows[idx]);
	prefetch_kept(cold);
	prefetch_kept(cold + sizeof(struct jg_flow_cold) - 1);
	prefetch_kept(&t->wl[idx / JG_FLOW_BUCKET]);
}

void
jg_flow_prefetch_lanes(const struct jg_flow_table *t, const struct jg_flow_lanes *g, unsigned int lanes)
{
	for (; lanes != 0; lanes &= lanes - 1)
		jg_flow_prefetch_new(t, g->b1[__builtin_ctz(lanes)], g->b2[__builtin_ctz(lanes)]);
}

struct jg_flow *
jg_flow_new(struct jg_flow_table *t, const struct jg_flow_hint *h, const struct jg_pkt *p, uint64_t now)
{
	uint32_t idx = jg_flow_take_slot(t, h->b1, h->b2);
	struct jg_flow *f = &t->flows[idx];
	struct jg_flow_cold *c = &t->cold[idx];

	memset(f, 0, sizeof(*f));
	memset(c, 0, sizeof(*c));
	f->key = h->k;
	f->init_is_a = (src_is_initiator(p) ? h->src_is_a : !h->src_is_a) & 1u;
	f->last_ns = now;
	c->first_ns = now;
	c->flow_id = t->next_id++;
	if (p->proto == 6) {
		f->tcp_state = (p->tcp_flags & JG_TCP_SYN) ? JG_TCP_SYN_SENT : JG_TCP_MIDSTREAM;
		if ((p->tcp_flags & (JG_TCP_SYN | JG_TCP_ACK)) == JG_TCP_SYN)
			c->syn_seq = p->tcp_seq;
	}
	*jg_flow_sig_at(t, idx) = h->sig;
	jg_flow_wheel_file(t, idx / JG_FLOW_BUCKET, jg_flow_due_tick(t, f), t->tick + 1);
	t->count++;
	t->cnt[JG_CNT_FLOW_NEW]++;
	return f;
}

void
jg_flow_tcp_change(struct jg_flow_table *t, struct jg_flow *f, uint8_t flags, int dir, int first_payload)
{
	uint8_t was = f->tcp_state;

	/* An inspected flow ends on what the endpoints would take, which detection decides; so does
	 * one whose first payload comes now (a forged RST ahead of the data must not close it). */
	if ((f->det & JG_FLOW_GUARD) || first_payload)
		flags &= (uint8_t)~(JG_TCP_RST | JG_TCP_FIN);
	if (flags & JG_TCP_RST) {
		f->tcp_state = JG_TCP_CLOSED;
	} else if (flags & JG_TCP_FIN) {
		f->fin_seen |= (1u << dir) & 3u;
		f->tcp_state = f->fin_seen == 3 ? JG_TCP_CLOSED : JG_TCP_CLOSING;
	} else if ((flags & (JG_TCP_SYN | JG_TCP_ACK)) == (JG_TCP_SYN | JG_TCP_ACK)) {
		if (f->tcp_state == JG_TCP_SYN_SENT || f->tcp_state == JG_TCP_NONE)
			f->tcp_state = JG_TCP_SYN_ACKED;
	} else if ((flags & JG_TCP_ACK) && f->tcp_state == JG_TCP_SYN_ACKED) {
		f->tcp_state = JG_TCP_ESTABLISHED;
	} else if ((flags & (JG_TCP_SYN | JG_TCP_ACK)) == JG_TCP_SYN && dir == 0 && f->tcp_state == JG_TCP_NONE) {
		f->tcp_state = JG_TCP_SYN_SENT;
	}
	/* closing shortens the flow's timeout: its bucket may be due sooner */
	if (unlikely(f->tcp_state == JG_TCP_CLOSED && was != JG_TCP_CLOSED))
		jg_flow_wheel_file(t, (uint32_t)(f - t->flows) / JG_FLOW_BUCKET, jg_flow_due_tick(t, f), t->tick + 1);
}

void
jg_flow_tcp_end(struct jg_flow_table *t, struct jg_flow *f, uint8_t flags, int dir)
{
	uint8_t det = f->det;

	f->det = det & ~JG_FLOW_GUARD;
	jg_flow_tcp_update(t, f, flags, dir, 0);
	f->det = det;
}

/* Long flows are reported in slices; the flow itself lives on. */
void
jg_flow_slice(struct jg_flow_table *t, struct jg_flow *f)
{
	struct jg_flow_cold *c = jg_flow_cold(t, f);

	t->emit(t->emit_ctx, f, JG_FLOW_END_ACTIVE);
	t->cnt[JG_CNT_FLOW_END_ACTIVE]++;
	f->pkts[0] = f->pkts[1] = 0;
	f->bytes[0] = f->bytes[1] = 0;
	c->pkts_hi[0] = c->pkts_hi[1] = c->bytes_hi[0] = c->bytes_hi[1] = 0;
	c->first_ns = 0;
	f->restart = 1;
}

/* A low counter wrapped: carry into the cold part; a full carry cuts the slice. */
void
jg_flow_carry(struct jg_flow_table *t, struct jg_flow *f, uint16_t *hi)
{
	if (*hi == UINT16_MAX) {
		jg_flow_slice(t, f); /* 2^32 packets or 2^48 bytes in one slice */
		return;
	}
	(*hi)++;
}

void
jg_flow_count_carry(struct jg_flow_table *t, struct jg_flow *f, int dir, uint8_t tcp_flags, uint32_t frame_len)
{
	jg_flow_add_packet(t, f, dir, frame_len);
	f->flags[dir] |= tcp_flags;
}

struct jg_flow *
jg_flow_packet(struct jg_flow_table *t, const struct jg_pkt *p, uint32_t frame_len, uint64_t now, int *dir_out)
{
	struct jg_flow_hint h = { .pkt = p };

	jg_flow_hint_prepare(t, &h);
	return jg_flow_packet_hint(t, p, &h, frame_len, now, dir_out);
}

void
jg_flow_to_rec(const struct jg_flow_table *t, const struct jg_flow *f, enum jg_flow_end reason, uint16_t worker,
	       struct jg_flow_rec *r)
{
	const struct jg_flow_key *k = &f->key;
	const struct jg_flow_cold *c = jg_flow_cold(t, f);

	memset(r, 0, sizeof(*r));
	if (f->init_is_a) {
		memcpy(r->src_ip, k->a, 16);
		memcpy(r->dst_ip, k->b, 16);
		r->src_port = k->pa;
		r->dst_port = k->pb;
	} else {
		memcpy(r->src_ip, k->b, 16);
		memcpy(r->dst_ip, k->a, 16);
		r->src_port = k->pb;
		r->dst_port = k->pa;
	}
	r->proto = k->proto;
	r->ip_version = k->ip_version;
	r->vlan = k->vlan;
	r->end_reason = (uint8_t)reason;
	r->tcp_state = f->tcp_state;
	r->tcp_flags_fwd = f->flags[0];
	r->tcp_flags_rev = f->flags[1];
	r->worker = worker;
	r->flow_id = c->flow_id;
	r->pkts_fwd = jg_flow_pkts(t, f, 0);
	r->pkts_rev = jg_flow_pkts(t, f, 1);
	r->bytes_fwd = jg_flow_bytes(t, f, 0);
	r->bytes_rev = jg_flow_bytes(t, f, 1);
	r->first_ns = c->first_ns;
	r->last_ns = f->last_ns;
	r->services = c->pol_seen;
	r->action = f->verdict;
}
