/* SPDX-License-Identifier: BSD-3-Clause */
#include "flow.h"

#include <errno.h>
#include <nmmintrin.h>
#include <string.h>

#define SEED1 0x9e3779b9u
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

size_t
jg_flow_table_mem_size(uint32_t capacity)
{
	return (size_t)capacity * sizeof(struct jg_flow) +
	       (size_t)(capacity / JG_FLOW_BUCKET) * sizeof(uint32_t[JG_FLOW_BUCKET]);
}

int
jg_flow_table_init(struct jg_flow_table *t, void *mem, uint32_t capacity, uint64_t id_base,
		   const struct jg_flow_timeouts *to, jg_flow_emit_fn emit, void *emit_ctx, uint64_t *cnt)
{
	if (capacity < 2 * JG_FLOW_BUCKET || (capacity & (capacity - 1)) != 0)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->n_buckets = capacity / JG_FLOW_BUCKET;
	t->capacity = capacity;
	t->next_id = id_base;
	t->to = *to;
	t->emit = emit;
	t->emit_ctx = emit_ctx;
	t->cnt = cnt;
	t->flows = mem;
	t->sigs = (void *)((char *)mem + (size_t)capacity * sizeof(struct jg_flow));
	return 0;
}

static inline uint32_t
crc_key(const struct jg_flow_key *k, uint32_t seed)
{
	uint64_t w[5];
	uint64_t c = seed;

	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 5; i++)
		c = _mm_crc32_u64(c, w[i]);
	return (uint32_t)c;
}

uint32_t
jg_flow_hash(const struct jg_flow_key *k)
{
	return crc_key(k, SEED1);
}

uint32_t
jg_host_pair_hash(const struct jg_pkt *p)
{
	const uint8_t *lo = p->src, *hi = p->dst;
	uint64_t w[4];
	uint64_t c = SEED1 ^ p->vlan;

	if (memcmp(lo, hi, 16) > 0) {
		lo = p->dst;
		hi = p->src;
	}
	memcpy(w, lo, 16);
	memcpy(w + 2, hi, 16);
	for (int i = 0; i < 4; i++)
		c = _mm_crc32_u64(c, w[i]);
	return (uint32_t)c;
}

/*
 * Side a is the lower (address, port) in byte order, the same as memcmp over
 * the address then the port; compared as two big-endian words, without a call.
 */
static inline int
addr_cmp(const uint8_t *x, const uint8_t *y)
{
	uint64_t x0, x1, y0, y1;

	memcpy(&x0, x, 8);
	memcpy(&x1, x + 8, 8);
	memcpy(&y0, y, 8);
	memcpy(&y1, y + 8, 8);
	x0 = __builtin_bswap64(x0);
	y0 = __builtin_bswap64(y0);
	if (x0 != y0)
		return x0 < y0 ? -1 : 1;
	x1 = __builtin_bswap64(x1);
	y1 = __builtin_bswap64(y1);
	return x1 < y1 ? -1 : x1 > y1;
}

int
jg_flow_key_of(const struct jg_pkt *p, struct jg_flow_key *k)
{
	int c = addr_cmp(p->src, p->dst);
	int src_is_a = c < 0 || (c == 0 && p->sport <= p->dport);

	if (src_is_a) {
		memcpy(k->a, p->src, 16);
		memcpy(k->b, p->dst, 16);
		k->pa = p->sport;
		k->pb = p->dport;
	} else {
		memcpy(k->a, p->dst, 16);
		memcpy(k->b, p->src, 16);
		k->pa = p->dport;
		k->pb = p->sport;
	}
	k->proto = p->proto;
	k->ip_version = p->ip_version;
	k->vlan = p->vlan;
	return src_is_a;
}

static inline uint32_t
sig_of(uint32_t h)
{
	return h | 1u; /* 0 marks an empty slot */
}

/*
 * The second choice comes from the whole 32-bit hash through a multiplicative
 * mixer, not from a second CRC: CRC is linear, so two CRCs with different
 * seeds differ by a constant and would pair every bucket with one fixed other.
 */
static inline uint32_t
alt_bucket(const struct jg_flow_table *t, uint32_t h, uint32_t b1)
{
	uint32_t x = h;
	uint32_t b2;

	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	b2 = x & (t->n_buckets - 1);
	return b2 == b1 ? b1 ^ 1u : b2;
}

static inline int
key_eq(const struct jg_flow_key *x, const struct jg_flow_key *y)
{
	uint64_t a[5], b[5];

	memcpy(a, x, sizeof(a));
	memcpy(b, y, sizeof(b));
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4])) == 0;
}

/* The slots of bucket b whose signature is sig, as a bit mask: two SSE compares. */
static inline uint32_t
sig_match(const struct jg_flow_table *t, uint32_t b, uint32_t sig)
{
	const __m128i *v = (const __m128i *)t->sigs[b];
	__m128i want = _mm_set1_epi32((int)sig);
	uint32_t lo = (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(_mm_loadu_si128(v), want)));
	uint32_t hi = (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(_mm_loadu_si128(v + 1), want)));

	return lo | hi << 4;
}

static inline struct jg_flow *
find_in(struct jg_flow_table *t, uint32_t b, uint32_t sig, const struct jg_flow_key *k)
{
	for (uint32_t m = sig_match(t, b, sig); m != 0; m &= m - 1) {
		struct jg_flow *f = &t->flows[b * JG_FLOW_BUCKET + (uint32_t)__builtin_ctz(m)];

		if (key_eq(&f->key, k))
			return f;
	}
	return NULL;
}

static void
end_flow(struct jg_flow_table *t, uint32_t idx, enum jg_flow_end reason)
{
	static const enum jg_counter cnt_of[] = {
		[JG_FLOW_END_IDLE] = JG_CNT_FLOW_END_IDLE,
		[JG_FLOW_END_ACTIVE] = JG_CNT_FLOW_END_ACTIVE,
		[JG_FLOW_END_CLOSED] = JG_CNT_FLOW_END_CLOSED,
		[JG_FLOW_END_EVICTED] = JG_CNT_FLOW_END_EVICTED,
		[JG_FLOW_END_FLUSH] = JG_CNT_FLOW_END_FLUSH,
	};
	struct jg_flow *f = &t->flows[idx];

	if (f->pkts[0] + f->pkts[1] != 0)
		t->emit(t->emit_ctx, f, reason);
	if (f->app != 0 && t->release != NULL)
		t->release(t->emit_ctx, f);
	t->cnt[cnt_of[reason]]++;
	t->sigs[idx / JG_FLOW_BUCKET][idx % JG_FLOW_BUCKET] = 0;
	t->count--;
}

/*
 * A free slot in the emptier of b1 and b2 (two choices by load keep buckets
 * even: filling b1 first overflows at a much lower load), else evict the
 * stalest of the 16.
 */
static uint32_t
take_slot(struct jg_flow_table *t, uint32_t b1, uint32_t b2)
{
	uint32_t victim = b1 * JG_FLOW_BUCKET;
	uint64_t oldest = UINT64_MAX;
	uint32_t free1 = sig_match(t, b1, 0), free2 = sig_match(t, b2, 0);
	uint32_t bs[2] = { b1, b2 };

	if (free1 | free2) {
		if (__builtin_popcount(free2) > __builtin_popcount(free1))
			return b2 * JG_FLOW_BUCKET + (uint32_t)__builtin_ctz(free2);
		return b1 * JG_FLOW_BUCKET + (uint32_t)__builtin_ctz(free1);
	}
	for (int i = 0; i < 2; i++)
		for (uint32_t s = 0; s < JG_FLOW_BUCKET; s++) {
			uint32_t idx = bs[i] * JG_FLOW_BUCKET + s;

			if (t->flows[idx].last_ns < oldest) {
				oldest = t->flows[idx].last_ns;
				victim = idx;
			}
		}
	end_flow(t, victim, JG_FLOW_END_EVICTED);
	return victim;
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

static struct jg_flow *
new_flow(struct jg_flow_table *t, uint32_t b1, uint32_t hash, const struct jg_flow_key *k,
	 const struct jg_pkt *p, int src_is_a, uint64_t now)
{
	uint32_t idx = take_slot(t, b1, alt_bucket(t, hash, b1));
	uint32_t sig = sig_of(hash);
	struct jg_flow *f = &t->flows[idx];

	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->init_is_a = (uint8_t)(src_is_initiator(p) ? src_is_a : !src_is_a);
	f->first_ns = now;
	f->flow_id = t->next_id++;
	if (p->proto == 6) {
		f->tcp_state = (p->tcp_flags & JG_TCP_SYN) ? JG_TCP_SYN_SENT : JG_TCP_MIDSTREAM;
		if ((p->tcp_flags & (JG_TCP_SYN | JG_TCP_ACK)) == JG_TCP_SYN)
			f->syn_seq = p->tcp_seq;
	}
	t->sigs[idx / JG_FLOW_BUCKET][idx % JG_FLOW_BUCKET] = sig;
	t->count++;
	t->cnt[JG_CNT_FLOW_NEW]++;
	return f;
}

static void
tcp_update(struct jg_flow *f, uint8_t flags, int dir)
{
	/* An inspected flow ends on what the endpoints would take, which detection decides. */
	if (f->det & JG_FLOW_GUARD)
		flags &= (uint8_t)~(JG_TCP_RST | JG_TCP_FIN);
	if (flags & JG_TCP_RST) {
		f->tcp_state = JG_TCP_CLOSED;
		return;
	}
	if ((flags & (JG_TCP_SYN | JG_TCP_ACK)) == JG_TCP_SYN && dir == 0 && f->tcp_state == JG_TCP_NONE)
		f->tcp_state = JG_TCP_SYN_SENT;
	if (flags & JG_TCP_FIN) {
		f->fin_seen |= (uint8_t)(1u << dir);
		f->tcp_state = f->fin_seen == 3 ? JG_TCP_CLOSED : JG_TCP_CLOSING;
		return;
	}
	if ((flags & (JG_TCP_SYN | JG_TCP_ACK)) == (JG_TCP_SYN | JG_TCP_ACK)) {
		if (f->tcp_state == JG_TCP_SYN_SENT || f->tcp_state == JG_TCP_NONE)
			f->tcp_state = JG_TCP_SYN_ACKED;
	} else if ((flags & JG_TCP_ACK) && f->tcp_state == JG_TCP_SYN_ACKED) {
		f->tcp_state = JG_TCP_ESTABLISHED;
	}
}

void
jg_flow_tcp_end(struct jg_flow *f, uint8_t flags, int dir)
{
	uint8_t det = f->det;

	f->det &= (uint8_t)~JG_FLOW_GUARD;
	tcp_update(f, flags, dir);
	f->det = det;
}

/* Long flows are reported in slices; the flow itself lives on. */
static void
active_slice(struct jg_flow_table *t, struct jg_flow *f)
{
	t->emit(t->emit_ctx, f, JG_FLOW_END_ACTIVE);
	t->cnt[JG_CNT_FLOW_END_ACTIVE]++;
	f->pkts[0] = f->pkts[1] = f->bytes[0] = f->bytes[1] = 0;
	f->first_ns = 0;
}

static uint64_t
idle_timeout(const struct jg_flow_table *t, const struct jg_flow *f)
{
	if (f->key.proto == 6) {
		if (f->tcp_state == JG_TCP_CLOSED)
			return t->to.closed_ns;
		return (f->det & JG_FLOW_GUARD) && t->to.session_idle_ns ? t->to.session_idle_ns : t->to.tcp_idle_ns;
	}
	if (f->key.proto == 17)
		return t->to.udp_idle_ns;
	return t->to.other_idle_ns;
}

static inline void
hint_key(const struct jg_flow_table *t, const struct jg_pkt *p, struct jg_flow_hint *h)
{
	h->src_is_a = (uint8_t)jg_flow_key_of(p, &h->k);
	h->hash = jg_flow_hash(&h->k);
	h->b1 = h->hash & (t->n_buckets - 1);
	h->f = NULL;
}

void
jg_flow_lookup_bulk(struct jg_flow_table *t, struct jg_flow_hint *h, uint16_t n)
{
	uint16_t i;

	/* Two passes over the burst (after jg_flow_hint_prepare() hashed each packet
	 * and prefetched its first bucket's signatures as it was parsed) so the memory
	 * reads overlap instead of stalling one packet at a time: match the signatures
	 * and prefetch the entry (or the second bucket); match the second bucket and
	 * prefetch its entry. */
	for (i = 0; i < n; i++) {
		if (h[i].pkt == NULL)
			continue;
		h[i].f = find_in(t, h[i].b1, sig_of(h[i].hash), &h[i].k);
		if (h[i].f != NULL) {
			__builtin_prefetch(h[i].f, 0, 3);
			__builtin_prefetch((const char *)h[i].f + 64, 0, 3);
		} else {
			__builtin_prefetch(t->sigs[alt_bucket(t, h[i].hash, h[i].b1)], 0, 3);
		}
	}
	for (i = 0; i < n; i++)
		if (h[i].pkt != NULL && h[i].f == NULL) {
			h[i].f = find_in(t, alt_bucket(t, h[i].hash, h[i].b1), sig_of(h[i].hash), &h[i].k);
			if (h[i].f != NULL)
				__builtin_prefetch(h[i].f, 0, 3);
		}
}

void
jg_flow_hint_prepare(struct jg_flow_table *t, struct jg_flow_hint *h)
{
	hint_key(t, h->pkt, h);
	__builtin_prefetch(t->sigs[h->b1], 0, 3);
}

struct jg_flow *
jg_flow_packet(struct jg_flow_table *t, const struct jg_pkt *p, uint32_t frame_len, uint64_t now, int *dir_out)
{
	struct jg_flow_hint h;

	hint_key(t, p, &h);
	return jg_flow_packet_hint(t, p, &h, frame_len, now, dir_out);
}

struct jg_flow *
jg_flow_packet_hint(struct jg_flow_table *t, const struct jg_pkt *p, struct jg_flow_hint *h, uint32_t frame_len,
		    uint64_t now, int *dir_out)
{
	const struct jg_flow_key *kp = &h->k;
	int src_is_a = h->src_is_a;
	uint32_t sig = sig_of(h->hash);
	uint32_t b1 = h->b1;
	struct jg_flow *f = h->f;
	int dir;

	/* An earlier packet of the burst may have moved things: trust the hint only if its slot still holds the key. */
	if (f != NULL) {
		uint32_t idx = (uint32_t)(f - t->flows);

		if (t->sigs[idx / JG_FLOW_BUCKET][idx % JG_FLOW_BUCKET] != sig || !key_eq(&f->key, kp))
			f = NULL;
	}
	if (f == NULL)
		f = find_in(t, b1, sig, kp);
	if (f == NULL)
		f = find_in(t, alt_bucket(t, h->hash, b1), sig, kp);
	/*
	 * A SYN on a closed connection: with the same sequence number it is a
	 * retransmission (refused, retried); with another, the port is reused for
	 * a new connection. tshark draws the line at the same place.
	 */
	if (f != NULL && p->proto == 6 && f->tcp_state == JG_TCP_CLOSED &&
	    (p->tcp_flags & (JG_TCP_SYN | JG_TCP_ACK)) == JG_TCP_SYN) {
		if (p->tcp_seq == f->syn_seq && (f->flags[0] & JG_TCP_SYN)) {
			f->tcp_state = JG_TCP_SYN_SENT;
			f->fin_seen = 0;
		} else {
			end_flow(t, (uint32_t)(f - t->flows), JG_FLOW_END_CLOSED);
			f = NULL;
		}
	}
	/*
	 * Timeouts are decided here too, on the packet's own time, so where a flow
	 * is cut never depends on when the sweep happened to pass.
	 */
	if (f != NULL && now > f->last_ns && now - f->last_ns >= idle_timeout(t, f)) {
		end_flow(t, (uint32_t)(f - t->flows), f->tcp_state == JG_TCP_CLOSED ? JG_FLOW_END_CLOSED
										 : JG_FLOW_END_IDLE);
		f = NULL;
	} else if (f != NULL && f->first_ns != 0 && now > f->first_ns && now - f->first_ns >= t->to.active_ns) {
		active_slice(t, f);
	}
	if (f == NULL)
		f = new_flow(t, b1, h->hash, kp, p, src_is_a, now);
	dir = (src_is_a == f->init_is_a) ? 0 : 1;
	if (f->first_ns == 0)
		f->first_ns = now;
	if (now > f->last_ns)
		f->last_ns = now;
	f->pkts[dir]++;
	f->bytes[dir] += frame_len;
	if (p->proto == 6) {
		/* the handshake, for detection that takes the flow at its first payload */
		if (unlikely(p->tcp_flags & JG_TCP_SYN)) {
			if (dir == 1)
				f->syn_seq_resp = p->tcp_seq;
			f->syn_wscale[dir] = p->tcp_wscale;
			f->syn_ttl[dir] = p->ttl;
		}
		f->flags[dir] |= p->tcp_flags;
		tcp_update(f, p->tcp_flags, dir);
	}
	if (dir_out != NULL)
		*dir_out = dir;
	return f;
}

uint32_t
jg_flow_expire(struct jg_flow_table *t, uint64_t now, uint32_t buckets)
{
	uint32_t ended = 0;

	if (buckets > t->n_buckets)
		buckets = t->n_buckets;
	for (uint32_t i = 0; i < buckets; i++) {
		uint32_t b = t->cursor;

		t->cursor = (t->cursor + 1) & (t->n_buckets - 1);
		for (uint32_t s = 0; s < JG_FLOW_BUCKET; s++) {
			uint32_t idx = b * JG_FLOW_BUCKET + s;
			struct jg_flow *f = &t->flows[idx];

			if (t->sigs[b][s] == 0)
				continue;
			if (now > f->last_ns && now - f->last_ns >= idle_timeout(t, f)) {
				end_flow(t, idx, f->tcp_state == JG_TCP_CLOSED ? JG_FLOW_END_CLOSED
									     : JG_FLOW_END_IDLE);
				ended++;
			} else if (f->first_ns != 0 && now > f->first_ns &&
				   now - f->first_ns >= t->to.active_ns) {
				active_slice(t, f);
			}
		}
	}
	return ended;
}

uint32_t
jg_flow_flush(struct jg_flow_table *t, uint32_t max, uint64_t now)
{
	uint32_t ended = 0;

	for (uint32_t b = 0; b < t->n_buckets && ended < max && t->count; b++)
		for (uint32_t s = 0; s < JG_FLOW_BUCKET && ended < max; s++) {
			struct jg_flow *f = &t->flows[b * JG_FLOW_BUCKET + s];

			if (t->sigs[b][s] == 0)
				continue;
			/* A flow already past its timeout ends for that reason, as the sweep would have said. */
			if (now > f->last_ns && now - f->last_ns >= idle_timeout(t, f))
				end_flow(t, b * JG_FLOW_BUCKET + s,
					 f->tcp_state == JG_TCP_CLOSED ? JG_FLOW_END_CLOSED : JG_FLOW_END_IDLE);
			else
				end_flow(t, b * JG_FLOW_BUCKET + s, JG_FLOW_END_FLUSH);
			ended++;
		}
	return ended;
}

void
jg_flow_to_rec(const struct jg_flow *f, enum jg_flow_end reason, uint16_t worker, struct jg_flow_rec *r)
{
	const struct jg_flow_key *k = &f->key;

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
	r->flow_id = f->flow_id;
	r->pkts_fwd = f->pkts[0];
	r->pkts_rev = f->pkts[1];
	r->bytes_fwd = f->bytes[0];
	r->bytes_rev = f->bytes[1];
	r->first_ns = f->first_ns;
	r->last_ns = f->last_ns;
	r->services = f->pol_seen;
	r->action = f->verdict;
}
