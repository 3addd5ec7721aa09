/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The flow table's per-packet path, inline where the worker calls it (a call
 * and its register saves cost more than some of these functions do): key,
 * hash, signatures, the two lookup steps and a packet's accounting. What a
 * packet rarely needs (a new flow, a TCP state change, a counter's carry, an
 * ended flow) stays out of line in flow.c.
 */
#ifndef JG_FLOW_FASTPATH_H
#define JG_FLOW_FASTPATH_H

#include <nmmintrin.h>
#include <string.h>

#include "flow.h"
#include "session_ports.h"

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* ---- out of line (flow.c) ---- */

/** End the flow at slot idx: its record (unless an empty slice), its session released, the slot freed. */
void jg_flow_end_at(struct jg_flow_table *t, uint32_t idx, enum jg_flow_end reason);

/** A new flow for a prepared packet that found none: a slot taken (moves, eviction), state set. */
struct jg_flow *jg_flow_new(struct jg_flow_table *t, const struct jg_flow_hint *h, const struct jg_pkt *p,
			    uint64_t now);

/** A segment that may change the TCP state (SYN, FIN, RST, or the handshake's last ACK). */
void jg_flow_tcp_change(struct jg_flow_table *t, struct jg_flow *f, uint8_t flags, int dir, int first_payload);

/** A low counter wrapped: carry into the cold part; a full carry cuts the slice. */
void jg_flow_carry(struct jg_flow_table *t, struct jg_flow *f, uint16_t *hi);

/** jg_flow_count_dir()'s counters when one of them wraps (last_ns already set). */
void jg_flow_count_carry(struct jg_flow_table *t, struct jg_flow *f, int dir, uint8_t tcp_flags, uint32_t frame_len);

/**
 * jg_flow_hint_lean() for eight frames at once, in AVX2 lanes (flow_lean_x8.c;
 * only where jg_flow_x8_supported() says so): the IPv4 frames of 54 bytes or
 * more after at most one 802.1Q tag that jg_flow_hint_lean() takes, each with
 * the hint it would make, as a lane of g (the first bucket's signature line
 * prefetched; cand JG_FLOW_NIL). The others (IPv6, two tags, shorter, or not for the lean
 * way) are for jg_flow_hint_lean() or the general way, which make their hints
 * afresh.
 * @param p      the frames' first bytes
 * @param avail  what may be read at each (the first segment, never more than the frame)
 * @param g      the eight lanes, all written (those of frames not taken are of no use)
 * @return a bit per frame taken (bit i: p[i])
 */
unsigned int jg_flow_hint_lean_x8(struct jg_flow_table *t, const uint8_t *const p[8], const uint32_t avail[8],
				  struct jg_flow_lanes *g);

/** What stands for a frame too short for the lanes: 64 bytes that fail their checks. */
extern const uint8_t jg_flow_no_frame[64];

/**
 * jg_flow_hint_lean_x8() for frames each readable for 48 bytes, whatever avail
 * says: jg_flow_no_frame in place of any frame shorter than 54 bytes.
 */
unsigned int jg_flow_hint_frames_x8(struct jg_flow_table *t, const uint8_t *const p[8], const uint32_t avail[8],
				    struct jg_flow_lanes *g);

/** The hints of the lanes in `lanes` (a bit each), as jg_flow_hint_lean() writes them; h[i] for lane i. */
void jg_flow_lanes_unpack(const struct jg_flow_lanes *g, unsigned int lanes, struct jg_flow_hint h[8]);

/**
 * A packet that found no flow makes one when it is handled, a burst later:
 * what that writes is prefetched now (the slot jg_flow_free_slot() gives, its
 * cold part, its bucket's wheel link), the buckets' signature lines being in
 * cache. Nothing when both buckets are full: room is made then. Out of line:
 * only packets that found no flow pay for it.
 */
void jg_flow_prefetch_new(const struct jg_flow_table *t, uint32_t b1, uint32_t b2);

/**
 * jg_flow_lookup_bulk() for the lanes in `lanes`, their first buckets'
 * signature lines prefetched a while ago (a second bucket's read when the
 * first has no match): g->cand of each (JG_FLOW_NIL for the others), the
 * entries found prefetched, and for a lane with none, jg_flow_prefetch_new().
 */
void jg_flow_lookup_x8(const struct jg_flow_table *t, struct jg_flow_lanes *g, unsigned int lanes);

/** jg_flow_prefetch_new() for each lane in `lanes` (the lookup's, its buckets in g). */
void jg_flow_prefetch_lanes(const struct jg_flow_table *t, const struct jg_flow_lanes *g, unsigned int lanes);

/**
 * The lanes (of `lanes`, looked up) whose flow is at g->cand and takes a lean
 * packet of the lane's class: bit c of allow[jg_flow_lean_state(f)], allow
 * read as words (three bytes after its 256 readable). g->dir of those lanes set.
 * Reads only: what jg_flow_find_hint() and the table lookup would say for
 * these lanes, as long as the table does not change.
 * @return a bit per such lane
 */
unsigned int jg_flow_match_x8(const struct jg_flow_table *t, struct jg_flow_lanes *g, unsigned int lanes,
			      const uint8_t *allow);

/**
 * jg_flow_count_dir() for eight lanes jg_flow_match_x8() matched, lane i at
 * time now[i], each frame's length in g->len: when no two lanes share a flow,
 * none has a timeout to decide and no counter carries, all eight counted as
 * jg_flow_count_dir() counts them one after the other; else nothing changed.
 * @return 1 when counted, 0 when nothing was changed
 */
int jg_flow_count_x8(struct jg_flow_table *t, const struct jg_flow_lanes *g, const uint64_t now[8]);

/** 1 when this CPU runs AVX2 and JG_SCALAR is not 1 (to measure or test the scalar way alone). */
int jg_flow_x8_supported(void);

/* ---- inline ---- */

/** A packet of frame_len bytes in direction dir: its counters, a counter that wraps carried out of line. */
static inline void
jg_flow_add_packet(struct jg_flow_table *t, struct jg_flow *f, int dir, uint32_t frame_len)
{
	if (unlikely(++f->pkts[dir] == 0))
		jg_flow_carry(t, f, &jg_flow_cold(t, f)->pkts_hi[dir]);
	if (unlikely(f->bytes[dir] + frame_len < f->bytes[dir]))
		jg_flow_carry(t, f, &jg_flow_cold(t, f)->bytes_hi[dir]);
	f->bytes[dir] += frame_len;
}

static inline uint16_t *
jg_flow_sig_at(struct jg_flow_table *t, uint32_t idx)
{
	return &t->sigs[idx / JG_FLOW_BUCKET][idx % JG_FLOW_BUCKET];
}

/* The slots of bucket b whose signature is sig, as a bit mask: one SSE compare. */
static inline uint32_t
jg_flow_sig_match(const struct jg_flow_table *t, uint32_t b, uint16_t sig)
{
	__m128i v = _mm_loadu_si128((const __m128i *)t->sigs[b]);
	__m128i eq = _mm_cmpeq_epi16(v, _mm_set1_epi16((short)sig));

	return (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(eq, _mm_setzero_si128()));
}

/*
 * The other bucket of an entry in bucket b with signature sig (partial-key
 * cuckoo: an involution, so either bucket leads to the other, and the key is
 * never read to find it).
 */
static inline uint32_t
jg_flow_alt_bucket(const struct jg_flow_table *t, uint32_t b, uint16_t sig)
{
	uint32_t x = (uint32_t)sig * 0xc2b2ae35u;
	uint32_t m = (x ^ x >> 15) & (t->n_buckets - 1);

	return b ^ (m != 0 ? m : 1u);
}

static inline uint64_t
jg_flow_idle_timeout(const struct jg_flow_table *t, const struct jg_flow *f)
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

static inline uint32_t
jg_flow_key_hash(const struct jg_flow_table *t, const struct jg_flow_key *k)
{
	return jg_khash40(&t->hk, k);
}

/*
 * Side a is the lower (address, port) in byte order, the same as memcmp over
 * the address then the port; compared as two big-endian words, without a call.
 */
static inline int
jg_flow_addr_cmp(const uint8_t *x, const uint8_t *y)
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

/** Canonical key of a parsed packet. @return 1 when the packet's source is side a. */
static inline int
jg_flow_key_of(const struct jg_pkt *p, struct jg_flow_key *k)
{
	int c = jg_flow_addr_cmp(p->src, p->dst);
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

/*
 * The signature comes from the whole hash through a multiplicative mixer, 0
 * marks an empty slot; the first bucket through another (jg_khash_bucket).
 */
static inline uint16_t
jg_flow_sig_of(uint32_t h)
{
	uint32_t x = h * 0x85ebca6bu;
	uint16_t s = (uint16_t)(x >> 16);

	return s != 0 ? s : 1;
}

/* The two addresses as two 16-byte compares, the rest as one word. */
static inline int
jg_flow_key_eq(const struct jg_flow_key *x, const struct jg_flow_key *y)
{
	__m128i d = _mm_or_si128(_mm_xor_si128(_mm_loadu_si128((const __m128i *)x->a), _mm_loadu_si128((const __m128i *)y->a)),
				 _mm_xor_si128(_mm_loadu_si128((const __m128i *)x->b), _mm_loadu_si128((const __m128i *)y->b)));
	uint64_t r0, r1;

	memcpy(&r0, &x->pa, 8);
	memcpy(&r1, &y->pa, 8);
	return _mm_testz_si128(d, d) && r0 == r1;
}

static inline struct jg_flow *
jg_flow_find_in(struct jg_flow_table *t, uint32_t b, uint16_t sig, const struct jg_flow_key *k)
{
	for (uint32_t m = jg_flow_sig_match(t, b, sig); m != 0; m &= m - 1) {
		struct jg_flow *f = &t->flows[b * JG_FLOW_BUCKET + (uint32_t)__builtin_ctz(m)];

		if (jg_flow_key_eq(&f->key, k))
			return f;
	}
	return NULL;
}

/* Without SYN, FIN or RST a segment changes nothing, but the ACK that completes a handshake. */
static inline void
jg_flow_tcp_update(struct jg_flow_table *t, struct jg_flow *f, uint8_t flags, int dir, int first_payload)
{
	if (!(flags & (JG_TCP_SYN | JG_TCP_FIN | JG_TCP_RST)) && f->tcp_state != JG_TCP_SYN_ACKED)
		return;
	jg_flow_tcp_change(t, f, flags, dir, first_payload);
}

/* The hint's buckets and signature from its hash; both signature lines prefetched. */
static inline void
jg_flow_hint_place(struct jg_flow_table *t, struct jg_flow_hint *h, uint32_t hash)
{
	h->sig = jg_flow_sig_of(hash);
	h->b1 = jg_khash_bucket(hash, t->bucket_shift);
	h->b2 = jg_flow_alt_bucket(t, h->b1, h->sig);
	h->cand = JG_FLOW_NIL;
	h->created = 0;
	__builtin_prefetch(t->sigs[h->b1], 0, 3);
	__builtin_prefetch(t->sigs[h->b2], 0, 3);
}

/**
 * First step of a lookup, per packet as soon as it is parsed (h->pkt set by
 * the caller): its key, buckets and signature, and prefetches of both
 * buckets' signature lines.
 */
static inline void
jg_flow_hint_prepare(struct jg_flow_table *t, struct jg_flow_hint *h)
{
	h->src_is_a = (uint8_t)jg_flow_key_of(h->pkt, &h->k);
	jg_flow_hint_place(t, h, jg_flow_key_hash(t, &h->k));
}

/*
 * The slots of a bucket whose signature is sig, two bits a slot (one compare
 * and its mask: the lookup's second step wants only the first match). A
 * bucket's signatures are 16 bytes, 16-byte aligned (the table's memory is
 * 64-byte aligned).
 */
static inline uint32_t
jg_flow_sig_bits(const uint16_t bucket[JG_FLOW_BUCKET], __m128i sig)
{
	return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi16(_mm_load_si128((const __m128i *)(const void *)bucket), sig));
}

/**
 * The free slot a new flow of buckets b1 and b2 takes: in the bucket with more
 * free slots (b1 on a tie), its first. @return JG_FLOW_NIL when both are full
 */
static inline uint32_t
jg_flow_free_slot(const struct jg_flow_table *t, uint32_t b1, uint32_t b2)
{
	uint32_t free1 = jg_flow_sig_match(t, b1, 0), free2 = jg_flow_sig_match(t, b2, 0);

	if (__builtin_popcount(free2) > __builtin_popcount(free1))
		return b2 * JG_FLOW_BUCKET + (uint32_t)__builtin_ctz(free2);
	if (free1 != 0)
		return b1 * JG_FLOW_BUCKET + (uint32_t)__builtin_ctz(free1);
	return JG_FLOW_NIL;
}

/**
 * Second step, for a burst whose signature lines were prefetched a while ago
 * (a burst earlier): match the signatures and prefetch each candidate's hot
 * line, so that by jg_flow_packet_hint() the entry is in cache. Reads no entry.
 * Hints whose sig is 0 (packets without a flow) are skipped.
 */
static inline __attribute__((always_inline)) void
jg_flow_lookup_bulk(struct jg_flow_table *t, struct jg_flow_hint *h, uint16_t n)
{
	/* read once: the stores into the hints could alias them otherwise */
	const uint16_t(*sigs)[JG_FLOW_BUCKET] = t->sigs;
	const struct jg_flow *flows = t->flows;

	for (const struct jg_flow_hint *e = h + n; h < e; h++) {
		__m128i sig;
		uint32_t m1, m2;

		if (h->sig == 0)
			continue;
		sig = _mm_set1_epi16((short)h->sig);
		m1 = jg_flow_sig_bits(sigs[h->b1], sig);
		m2 = jg_flow_sig_bits(sigs[h->b2], sig);
		if (m1 | m2) {
			h->cand = m1 ? h->b1 * JG_FLOW_BUCKET + (uint32_t)__builtin_ctz(m1) / 2
				     : h->b2 * JG_FLOW_BUCKET + (uint32_t)__builtin_ctz(m2) / 2;
			__builtin_prefetch(&flows[h->cand], 1, 3);
		} else {
			jg_flow_prefetch_new(t, h->b1, h->b2);
		}
	}
}

/**
 * The flow of a prepared packet, found where the hint says or in its buckets;
 * NULL when it has none. Changes nothing.
 */
static inline __attribute__((always_inline)) struct jg_flow *
jg_flow_find_hint(struct jg_flow_table *t, const struct jg_flow_hint *h)
{
	struct jg_flow *f;

	/* a free slot's key has version 0 (jg_flow_end_at, moves): the key alone says it is this flow */
	if (h->cand != JG_FLOW_NIL && jg_flow_key_eq(&t->flows[h->cand].key, &h->k))
		return &t->flows[h->cand];
	if ((f = jg_flow_find_in(t, h->b1, h->sig, &h->k)) == NULL)
		f = jg_flow_find_in(t, h->b2, h->sig, &h->k);
	return f;
}

/* enum jg_lean_cls of a segment the lean way took (ports in host order). */
static inline uint8_t
jg_flow_lean_cls(uint8_t proto, uint8_t tcp_flags, uint16_t payload_len, uint16_t sp, uint16_t dp)
{
	if (proto != 6)
		return JG_LEAN_UDP;
	if (tcp_flags & (JG_TCP_SYN | JG_TCP_FIN | JG_TCP_RST))
		return JG_LEAN_TCP_CTRL;
	return payload_len != 0 || jg_session_port(sp) || jg_session_port(dp) ? JG_LEAN_TCP_DATA : JG_LEAN_TCP_EMPTY;
}

/* jg_flow_hint_lean() for an IPv4 frame (its VLAN tag, if any, stepped over). */
static inline int
jg_flow_hint_v4(struct jg_flow_table *t, const uint8_t *p, uint32_t avail, uint16_t vlan, struct jg_flow_hint *h)
{
	uint32_t ip_len, end, hl, sa, da, lo, hi;
	uint16_t sp, dp, pa, pb;
	uint64_t ka, kb;
	uint8_t proto;

	if (!jg_pkt_v4_plain(p, avail, &ip_len, &hl, &proto))
		return 0;
	end = 14 + ip_len;
	h->tcp_flags = proto == 6 ? p[47] : 0;
	h->payload_len = (uint16_t)(end - (34 + hl));
	memcpy(&sa, p + 26, 4);
	memcpy(&da, p + 30, 4);
	sp = jg_rd16(p + 34);
	dp = jg_rd16(p + 36);
	/* side a is the lower (address, port), the address compared as big-endian bytes */
	ka = (uint64_t)__builtin_bswap32(sa) << 16 | sp;
	kb = (uint64_t)__builtin_bswap32(da) << 16 | dp;
	h->src_is_a = ka <= kb;
	lo = h->src_is_a ? sa : da;
	hi = h->src_is_a ? da : sa;
	pa = h->src_is_a ? sp : dp;
	pb = h->src_is_a ? dp : sp;
	memset(&h->k, 0, sizeof(h->k));
	memcpy(h->k.a, &lo, 4);
	memcpy(h->k.b, &hi, 4);
	h->k.pa = pa;
	h->k.pb = pb;
	h->k.proto = proto;
	h->k.ip_version = 4;
	h->k.vlan = vlan;
	h->lean_cls = jg_flow_lean_cls(proto, h->tcp_flags, h->payload_len, sp, dp);
	/* hashed from registers, not from the key just stored in pieces (a store-forwarding stall);
	 * the key's last two words: (pa, pb), (proto, version 4, VLAN), little-endian as stored */
	jg_flow_hint_place(t, h, jg_khash_v4(&t->hk, lo, hi, (uint32_t)pa | (uint32_t)pb << 16,
					     (uint32_t)proto | 4u << 8 | (uint32_t)vlan << 16));
	return 1;
}

/*
 * jg_flow_hint_lean() for an IPv6 frame: the fixed header straight to TCP or
 * UDP (extension headers go the general way), the datagram whole in the
 * first segment, as jg_pkt_ipv6() and jg_pkt_l4() would take it.
 */
static inline int
jg_flow_hint_v6(struct jg_flow_table *t, const uint8_t *p, uint32_t avail, uint32_t total, uint16_t vlan,
		struct jg_flow_hint *h)
{
	uint64_t s[2], d[2], w4;
	uint32_t end, hl;
	uint16_t sp, dp;
	uint8_t nh;
	int c;

	if (avail < 14 + 40 + 8 || p[12] != 0x86 || p[13] != 0xdd || (p[14] >> 4) != 6)
		return 0;
	end = 54 + jg_rd16(p + 18);
	nh = p[20];
	if (end > total || end > avail)
		return 0;
	if (nh == 6) {
		if (54 + 20 > end || (hl = (uint32_t)(p[66] >> 4) * 4) < 20 || 54 + hl > end)
			return 0;
		h->tcp_flags = p[67];
	} else if (nh == 17) {
		if (54 + 8 > end)
			return 0;
		hl = 8;
		h->tcp_flags = 0;
	} else {
		return 0;
	}
	h->payload_len = (uint16_t)(end - (54 + hl));
	memcpy(s, p + 22, 16);
	memcpy(d, p + 38, 16);
	sp = jg_rd16(p + 54);
	dp = jg_rd16(p + 56);
	c = jg_flow_addr_cmp(p + 22, p + 38);
	h->src_is_a = c < 0 || (c == 0 && sp <= dp);
	memcpy(h->k.a, h->src_is_a ? s : d, 16);
	memcpy(h->k.b, h->src_is_a ? d : s, 16);
	/* (pa, pb, proto, version, VLAN) as one store: the hash's loads then each match one store */
	w4 = (uint64_t)(h->src_is_a ? sp : dp) | (uint64_t)(h->src_is_a ? dp : sp) << 16 | (uint64_t)nh << 32 |
	     6ull << 40 | (uint64_t)vlan << 48;
	memcpy(&h->k.pa, &w4, 8);
	h->lean_cls = jg_flow_lean_cls(nh, h->tcp_flags, h->payload_len, sp, dp);
	jg_flow_hint_place(t, h, jg_flow_key_hash(t, &h->k));
	return 1;
}

/**
 * The lean way in, for the common frame (IPv4 without options or IPv6 without
 * extension headers, untagged or with one 802.1Q tag, not a fragment, whole,
 * TCP or UDP): its hint (key, buckets, signature, and the TCP flags and
 * payload length in h->tcp_flags, h->payload_len) straight from the frame,
 * without a struct jg_pkt; both signature lines prefetched. Untagged IPv4, it
 * takes what jg_pkt_parse_v4() takes; whatever it takes, the general parser
 * takes whole, and the key is the one jg_flow_key_of() makes of its result
 * (pkt_test and fuzz_pkt compare them).
 * @return 1 when it took the frame, 0 for the general parser
 */
static inline int
jg_flow_hint_lean(struct jg_flow_table *t, const uint8_t *p, uint32_t avail, uint32_t total, struct jg_flow_hint *h)
{
	uint16_t vlan = 0;

	if (avail < 14 + 20 + 8)
		return 0;
	/* one 802.1Q tag (a trunk's mirror): the same frame, four bytes on */
	if (p[12] == 0x81 && p[13] == 0x00) {
		vlan = jg_rd16(p + 14) & 0x0fff;
		p += 4;
		avail -= 4;
		total -= 4;
	}
	if (p[12] == 0x08)
		return jg_flow_hint_v4(t, p, avail, vlan, h);
	return jg_flow_hint_v6(t, p, avail, total, vlan, h);
}

/**
 * Does a lean packet of class cls (enum jg_lean_cls) change nothing of a flow
 * in state st (jg_flow_lean_state) but its counters, as far as the table is
 * concerned: no SYN, FIN or RST, no handshake to complete, no slice to start?
 * (The worker adds its own questions: verdict, detection.)
 */
static inline int
jg_flow_lean_ok(uint8_t st, uint8_t cls)
{
	return cls != JG_LEAN_TCP_CTRL && JG_LEAN_ST_TCP(st) != JG_TCP_SYN_ACKED && !JG_LEAN_ST_RESTART(st);
}

/**
 * A lean packet's counters, in direction dir of flow f: unless a timeout is to
 * be decided, exactly what jg_flow_packet_hint() does then.
 * @return 0; 1 when a counter carried (a full carry cuts the slice: the flow's
 *         state may have changed); -1 when the packet needs
 *         jg_flow_packet_hint() (nothing was changed)
 */
static inline int
jg_flow_count_dir(struct jg_flow_table *t, struct jg_flow *f, unsigned int dir, uint8_t tcp_flags, uint32_t frame_len,
		  uint64_t now)
{
	uint32_t bytes;
	uint16_t pkts;

	if (now > f->last_ns) {
		if (now - f->last_ns >= t->min_idle_ns)
			return -1;
		f->last_ns = now;
	}
	/* a counter that wraps: jg_flow_add_packet() out of line, from the counters as they were */
	if (unlikely(__builtin_add_overflow(f->pkts[dir], (uint16_t)1, &pkts) ||
		     __builtin_add_overflow(f->bytes[dir], frame_len, &bytes))) {
		jg_flow_count_carry(t, f, (int)dir, tcp_flags, frame_len);
		return 1;
	}
	f->pkts[dir] = pkts;
	f->bytes[dir] = bytes;
	f->flags[dir] |= tcp_flags;
	return 0;
}

/**
 * A lean packet's accounting once jg_flow_lean_ok() said yes for its flow f
 * (from jg_flow_find_hint): jg_flow_count_dir() in the packet's direction.
 * @return the packet's direction (0: from the initiator), or -1 when the packet
 *         needs jg_flow_packet_hint() (nothing was changed)
 */
static inline int
jg_flow_count_lean(struct jg_flow_table *t, struct jg_flow *f, const struct jg_flow_hint *h, uint32_t frame_len,
		   uint64_t now)
{
	int dir = h->src_is_a == f->init_is_a ? 0 : 1;

	return jg_flow_count_dir(t, f, (unsigned int)dir, h->tcp_flags, frame_len, now) < 0 ? -1 : dir;
}

/**
 * jg_flow_packet() for a prepared packet. The hint is checked, not trusted:
 * packets processed since may have moved or ended flows.
 */
static inline struct jg_flow *
jg_flow_packet_hint(struct jg_flow_table *t, const struct jg_pkt *p, struct jg_flow_hint *h, uint32_t frame_len,
		    uint64_t now, int *dir_out)
{
	struct jg_flow *f = jg_flow_find_hint(t, h);
	int dir;

	if (unlikely(f != NULL && p->proto == 6 && (p->tcp_flags & JG_TCP_SYN))) {
		/*
		 * A SYN on a closed connection: with the same sequence number it is a
		 * retransmission (refused, retried); with another, the port is reused for
		 * a new connection. tshark draws the line at the same place.
		 */
		if (f->tcp_state == JG_TCP_CLOSED && !(p->tcp_flags & JG_TCP_ACK)) {
			if (p->tcp_seq == jg_flow_cold(t, f)->syn_seq && (f->flags[0] & JG_TCP_SYN)) {
				f->tcp_state = JG_TCP_SYN_SENT;
				f->fin_seen = 0;
			} else {
				jg_flow_end_at(t, (uint32_t)(f - t->flows), JG_FLOW_END_CLOSED);
				f = NULL;
			}
		}
	}
	/*
	 * Timeouts are decided here too, on the packet's own time, so where a flow
	 * is cut never depends on when the wheel happened to pass.
	 */
	if (f != NULL && unlikely(now > f->last_ns && now - f->last_ns >= t->min_idle_ns) &&
	    now - f->last_ns >= jg_flow_idle_timeout(t, f)) {
		jg_flow_end_at(t, (uint32_t)(f - t->flows), f->tcp_state == JG_TCP_CLOSED ? JG_FLOW_END_CLOSED
										 : JG_FLOW_END_IDLE);
		f = NULL;
	}
	if (f == NULL) {
		f = jg_flow_new(t, h, p, now);
		h->created = 1;
	}
	dir = (h->src_is_a == f->init_is_a) ? 0 : 1;
	if (unlikely(f->restart)) {
		jg_flow_cold(t, f)->first_ns = now;
		f->restart = 0;
	}
	if (now > f->last_ns)
		f->last_ns = now;
	jg_flow_add_packet(t, f, dir, frame_len);
	if (p->proto == 6) {
		/* the handshake, for detection that takes the flow at its first payload */
		if (unlikely(p->tcp_flags & JG_TCP_SYN)) {
			struct jg_flow_cold *c = jg_flow_cold(t, f);

			if (dir == 1)
				c->syn_seq_resp = p->tcp_seq;
			c->syn_wscale[dir] = p->tcp_wscale;
			c->syn_ttl[dir] = p->ttl;
		}
		f->flags[dir] |= p->tcp_flags;
		jg_flow_tcp_update(t, f, p->tcp_flags, dir, t->defer_first && f->app == JG_FLOW_APP_NONE && p->payload_len != 0);
	}
	if (dir_out != NULL)
		*dir_out = dir;
	return f;
}

#endif
