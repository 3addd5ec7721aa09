/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lean way for eight frames at once, with AVX2, one lane per frame. The
 * hint: the checks, the canonical key, NH and the multiply-shift reduction,
 * the signature and both buckets, what jg_flow_hint_lean() computes for an
 * IPv4 frame after at most one 802.1Q tag, the same way (pkt_test and
 * fuzz_pkt hold the two to the same hints). Then, for the lanes taken, what
 * the one-frame way does next: the lookup (jg_flow_lookup_bulk), the entry
 * found and asked (jg_flow_find_hint, the worker's lean table) and the
 * counting (jg_flow_count_dir), each held to it by pkt_test.
 *
 * Compiled for AVX2 function by function (the build's baseline is SSE4.2):
 * the worker calls it only where jg_flow_x8_supported() said so.
 */
#include <assert.h>
#include <immintrin.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "flow_fastpath.h"

#define X8 __attribute__((target("avx2,tune=haswell")))

/* The hint as the lanes write it: after the packet pointer, sixteen dwords in two rows. */
static_assert(offsetof(struct jg_flow_hint, k) == 8 && offsetof(struct jg_flow_hint, k.pa) == 40 &&
		      offsetof(struct jg_flow_hint, b1) == 48 && offsetof(struct jg_flow_hint, b2) == 52 &&
		      offsetof(struct jg_flow_hint, sig) == 56 && offsetof(struct jg_flow_hint, src_is_a) == 58 &&
		      offsetof(struct jg_flow_hint, created) == 59 && offsetof(struct jg_flow_hint, cand) == 60 &&
		      offsetof(struct jg_flow_hint, tcp_flags) == 64 && offsetof(struct jg_flow_hint, lean_cls) == 65 &&
		      offsetof(struct jg_flow_hint, payload_len) == 66 &&
		      sizeof(struct jg_flow_hint) == 72,
	      "jg_flow_hint_lean_x8() writes a hint as 16 dwords from its key on");

int
jg_flow_x8_supported(void)
{
	const char *off = getenv("JG_SCALAR");

	if (off != NULL && off[0] == '1')
		return 0;
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}

/* What a frame too short to be taken is read as instead (it fails the checks). */
const uint8_t jg_flow_no_frame[64];

/* Eight rows of eight dwords (a frame's header words) into eight columns (a header word of each frame). */
static inline X8 void
transpose8(__m256i r[8])
{
	__m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
	__m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
	__m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
	__m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
	__m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
	__m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
	__m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
	__m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);

	r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
	r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
	r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
	r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
	r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
	r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
	r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
	r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

static inline X8 uint32_t
word_at(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w;
}

/*
 * jg_khash_v4() in lanes: NH's three products are 32 x 32 -> 64 bits, so the
 * even lanes and the odd ones (shifted down) go through _mm256_mul_epu32
 * apart, and bits 32-63 of the 64-bit v * mul are vl*ml's high half plus the
 * low halves of vl*mh and vh*ml.
 */
static inline X8 __m256i
khash_v4_x8(const struct jg_khash *hk, __m256i a, __m256i b, __m256i w8, __m256i w9)
{
	const __m256i ml = _mm256_set1_epi32((int)(uint32_t)hk->mul), mh = _mm256_set1_epi32((int)(uint32_t)(hk->mul >> 32));
	const __m256i k1 = _mm256_set1_epi32((int)hk->k[1]), k5 = _mm256_set1_epi32((int)hk->k[5]);
	const __m256i z = _mm256_set1_epi64x((long long)hk->zero_v4);
	__m256i x1 = _mm256_add_epi32(a, _mm256_set1_epi32((int)hk->k[0]));
	__m256i x2 = _mm256_add_epi32(b, _mm256_set1_epi32((int)hk->k[4]));
	__m256i x3 = _mm256_add_epi32(w8, _mm256_set1_epi32((int)hk->k[8]));
	__m256i y3 = _mm256_add_epi32(w9, _mm256_set1_epi32((int)hk->k[9]));
	__m256i ve = _mm256_add_epi64(_mm256_add_epi64(z, _mm256_mul_epu32(x1, k1)),
				      _mm256_add_epi64(_mm256_mul_epu32(x2, k5), _mm256_mul_epu32(x3, y3)));
	__m256i vo = _mm256_add_epi64(
		_mm256_add_epi64(z, _mm256_mul_epu32(_mm256_srli_epi64(x1, 32), k1)),
		_mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(x2, 32), k5),
				 _mm256_mul_epu32(_mm256_srli_epi64(x3, 32), _mm256_srli_epi64(y3, 32))));
	__m256i he = _mm256_add_epi32(_mm256_add_epi32(_mm256_srli_epi64(_mm256_mul_epu32(ve, ml), 32),
						       _mm256_mul_epu32(ve, mh)),
				      _mm256_mul_epu32(_mm256_srli_epi64(ve, 32), ml));
	__m256i ho = _mm256_add_epi32(_mm256_add_epi32(_mm256_srli_epi64(_mm256_mul_epu32(vo, ml), 32),
						       _mm256_mul_epu32(vo, mh)),
				      _mm256_mul_epu32(_mm256_srli_epi64(vo, 32), ml));

	return _mm256_blend_epi32(he, _mm256_slli_epi64(ho, 32), 0xaa);
}

/*
 * The constants, each a vector in memory: an operand where it is used. (GCC
 * makes set1 of an immediate three instructions, and folds a constant it can
 * see into the same; the function reads them through a pointer it cannot see
 * through.)
 */
#define C8(v) { (v), (v), (v), (v), (v), (v), (v), (v) }
#define C16(v) { (v), (v), (v), (v), (v), (v), (v), (v), (v), (v), (v), (v), (v), (v), (v), (v) },
#define COUNT(v) +1
enum { N_SESSION_PORTS = 0 JG_SESSION_PORTS(COUNT) };
#define B16(a, b, c, d) a, b, c, d, a + 4, b + 4, c + 4, d + 4, a + 8, b + 8, c + 8, d + 8, a + 12, b + 12, c + 12, d + 12
static const struct {
	uint32_t min_len[8], eth_mask[8], eth[8], frag[8], tcp[8], udp[8], l2[8], hl_mask[8], hl_min[8], l4_off[8],
		udp_min[8], udp_hl[8], low16[8], sign[8], v4[8], sig_mul[8], alt_mul[8], bucket_mul[8], one[8], src_bit[8],
		ctrl[8], three[8], tag[8], low8[8], bias[8], fifteen[8], bit[8], rot1[8], rot2[8], rot3[8], rot4[8];
	uint16_t session[N_SESSION_PORTS][16];
	int8_t be16[32], swap16[32], bswap32[32];
} K __attribute__((aligned(32))) = {
	.min_len = C8(14 + 20 + 20 - 1), /* 54 bytes at least: the TCP header's byte 46-47 read untested */
	.eth_mask = C8(0xffffff),
	.eth = C8(0x450008),
	.frag = C8(0xff3f),
	.tcp = C8(6),
	.udp = C8(17),
	.l2 = C8(14),
	.hl_mask = C8(0x3c),
	.hl_min = C8(19),
	.l4_off = C8(34),
	.udp_min = C8(27),
	.udp_hl = C8(8),
	.low16 = C8(0xffff),
	.sign = C8(0x80000000u),
	.v4 = C8(4 << 8),
	.sig_mul = C8(0x85ebca6bu),
	.alt_mul = C8(0xc2b2ae35u),
	.bucket_mul = C8(JG_KHASH_BUCKET_MUL),
	.one = C8(1),
	.src_bit = C8(1 << 16),
	.ctrl = C8(JG_TCP_SYN | JG_TCP_FIN | JG_TCP_RST),
	.three = C8(JG_LEAN_TCP_CTRL),
	.tag = C8(0x0081), /* bytes 12-13, 81 00, as a little-endian half word */
	.low8 = C8(0xff),
	.bias = C8(127), /* a float's exponent bias */
	.fifteen = C8(15),
	.bit = { 1, 2, 4, 8, 16, 32, 64, 128 },
	.rot1 = { 1, 2, 3, 4, 5, 6, 7, 0 },
	.rot2 = { 2, 3, 4, 5, 6, 7, 0, 1 },
	.rot3 = { 3, 4, 5, 6, 7, 0, 1, 2 },
	.rot4 = { 4, 5, 6, 7, 0, 1, 2, 3 },
	.session = { JG_SESSION_PORTS(C16) },
	/* per dword: a big-endian 16-bit field at its start; each half's bytes swapped; all four */
	.be16 = { B16(1, 0, -128, -128), B16(1, 0, -128, -128) },
	.swap16 = { B16(1, 0, 3, 2), B16(1, 0, 3, 2) },
	.bswap32 = { B16(3, 2, 1, 0), B16(3, 2, 1, 0) },
};
static inline const void *
opaque(const void *p)
{
	__asm__("" : "+r"(p));
	return p;
}
#define KV(f) _mm256_load_si256((const __m256i *)(const void *)k->f)

#define ROW(i) _mm256_loadu_si256((const __m256i *)(const void *)(q##i + 16)) /* bytes 16-47 */

static X8 __attribute__((noinline)) unsigned int untag(struct jg_flow_table *t, const uint8_t *const p[8],
							const uint32_t avail[8], unsigned int tagged,
							struct jg_flow_lanes *g);

/*
 * The lanes, each p[i] readable for 48 bytes whatever avail[i] says (a lane
 * with less than 54 is taken for no frame). vlan NULL: frames as they come,
 * and a group with an 802.1Q tag in a lane readable past it goes through
 * untag() instead; otherwise the frames after their tags, each lane's VLAN id
 * in vlan.
 */
static inline X8 __attribute__((always_inline)) unsigned int
lanes(struct jg_flow_table *t, const uint8_t *const p[8], const uint32_t avail[8], const uint32_t *vlan,
      struct jg_flow_lanes *g)
{
	const __m256i ones = _mm256_set1_epi32(-1), av = _mm256_loadu_si256((const __m256i *)(const void *)avail);
	const __m256i mask = _mm256_set1_epi32((int)(t->n_buckets - 1));
	const typeof(K) *k = opaque(&K);
	__m256i big = _mm256_cmpgt_epi32(av, KV(min_len));
	unsigned int readable = (unsigned int)_mm256_movemask_ps(_mm256_castsi256_ps(big)), taken;
	const uint8_t *q0 = p[0], *q1 = p[1], *q2 = p[2], *q3 = p[3], *q4 = p[4], *q5 = p[5], *q6 = p[6], *q7 = p[7];
	__m256i r[8] = { ROW(0), ROW(1), ROW(2), ROW(3), ROW(4), ROW(5), ROW(6), ROW(7) };
	__m256i e, ok, proto, tcp, ip_len, end, hl, sa, da, ph, src, lo, hi, w8, w9, hash, sig, b1, x, b2, fl, plen, cls;

	e = _mm256_setr_epi32((int)word_at(q0 + 12), (int)word_at(q1 + 12), (int)word_at(q2 + 12), (int)word_at(q3 + 12),
			      (int)word_at(q4 + 12), (int)word_at(q5 + 12), (int)word_at(q6 + 12), (int)word_at(q7 + 12));
	/* a tag (81 00) where the type should be: the same frame four bytes on, its id in the key (the
	 * one-frame way's rule); the rare group with one goes again, untagged */
	if (vlan == NULL) {
		unsigned int tagged = readable & (unsigned int)_mm256_movemask_ps(_mm256_castsi256_ps(
						 _mm256_cmpeq_epi32(_mm256_and_si256(e, KV(low16)), KV(tag))));

		if (unlikely(tagged != 0))
			return untag(t, p, avail, tagged, g);
	}
	/* r[k]: bytes 16+4k to 19+4k of each frame, as little-endian words */
	transpose8(r);

	/* jg_pkt_v4_plain(): type 08 00, version 4 with five words of header, not a fragment */
	ok = _mm256_and_si256(big, _mm256_cmpeq_epi32(_mm256_and_si256(e, KV(eth_mask)),
						      KV(eth)));
	ok = _mm256_and_si256(ok, _mm256_cmpeq_epi32(_mm256_and_si256(r[1], KV(frag)),
						     _mm256_setzero_si256()));
	proto = _mm256_srli_epi32(r[1], 24);
	tcp = _mm256_cmpeq_epi32(proto, KV(tcp));
	ip_len = _mm256_shuffle_epi8(r[0], KV(be16));
	end = _mm256_add_epi32(ip_len, KV(l2));
	ok = _mm256_andnot_si256(_mm256_cmpgt_epi32(end, av), ok); /* the datagram whole in the first segment */
	hl = _mm256_and_si256(_mm256_srli_epi32(r[7], 18), KV(hl_mask)); /* byte 46's high nibble, in bytes */
	ok = _mm256_and_si256(
		ok,
		_mm256_or_si256(
			/* TCP: a header of 20 bytes or more, whole in the datagram */
			_mm256_and_si256(_mm256_and_si256(tcp, _mm256_cmpgt_epi32(hl, KV(hl_min))),
					 _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_add_epi32(hl, KV(l4_off)), end),
							     ones)),
			/* UDP: its 8-byte header in the datagram */
			_mm256_and_si256(_mm256_cmpeq_epi32(proto, KV(udp)),
					 _mm256_cmpgt_epi32(ip_len, KV(udp_min)))));
	taken = (unsigned int)_mm256_movemask_ps(_mm256_castsi256_ps(ok));
	if (taken == 0)
		return 0;
	hl = _mm256_blendv_epi8(KV(udp_hl), hl, tcp);
	fl = _mm256_and_si256(_mm256_srli_epi32(r[7], 24), tcp);
	plen = _mm256_sub_epi32(end, _mm256_add_epi32(hl, KV(l4_off)));

	/* addresses (bytes 26-29, 30-33) and ports (34-37) as stored, straddling the words */
	sa = _mm256_or_si256(_mm256_srli_epi32(r[2], 16), _mm256_slli_epi32(r[3], 16));
	da = _mm256_or_si256(_mm256_srli_epi32(r[3], 16), _mm256_slli_epi32(r[4], 16));
	ph = _mm256_shuffle_epi8(_mm256_or_si256(_mm256_srli_epi32(r[4], 16), _mm256_slli_epi32(r[5], 16)), KV(swap16));
	/* jg_flow_lean_cls(): UDP 0; TCP 1, or 2 with payload or on a session port, 3 with SYN, FIN or RST */
	{
		__m256i sess = _mm256_setzero_si256(), data, ctrl;

#pragma GCC unroll 8
		for (int i = 0; i < N_SESSION_PORTS; i++)
			sess = _mm256_or_si256(sess, _mm256_cmpeq_epi16(ph, KV(session[i])));
		data = _mm256_andnot_si256(_mm256_cmpeq_epi32(_mm256_or_si256(sess, plen), _mm256_setzero_si256()), tcp);
		ctrl = _mm256_andnot_si256(_mm256_cmpeq_epi32(_mm256_and_si256(fl, KV(ctrl)), _mm256_setzero_si256()),
					   KV(three));
		cls = _mm256_or_si256(_mm256_sub_epi32(_mm256_sub_epi32(_mm256_setzero_si256(), tcp), data), ctrl);
	}
	/* side a is the lower (address, port), the address compared as big-endian bytes */
	{
		__m256i bsa = _mm256_xor_si256(_mm256_shuffle_epi8(sa, KV(bswap32)), KV(sign));
		__m256i bda = _mm256_xor_si256(_mm256_shuffle_epi8(da, KV(bswap32)), KV(sign));
		__m256i sp = _mm256_and_si256(ph, KV(low16)), dp = _mm256_srli_epi32(ph, 16);

		src = _mm256_or_si256(_mm256_cmpgt_epi32(bda, bsa),
				      _mm256_andnot_si256(_mm256_cmpgt_epi32(sp, dp), _mm256_cmpeq_epi32(bsa, bda)));
	}
	lo = _mm256_blendv_epi8(da, sa, src);
	hi = _mm256_blendv_epi8(sa, da, src);
	/* the key's last two words: (pa, pb), (proto, version 4, VLAN) */
	w8 = _mm256_blendv_epi8(_mm256_or_si256(_mm256_srli_epi32(ph, 16), _mm256_slli_epi32(ph, 16)), ph, src);
	w9 = _mm256_or_si256(proto, KV(v4));
	if (vlan != NULL)
		w9 = _mm256_or_si256(w9, _mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)(const void *)vlan), 16));
	hash = khash_v4_x8(&t->hk, lo, hi, w8, w9);

	/* jg_flow_sig_of(), the first bucket (jg_khash_bucket), jg_flow_alt_bucket() */
	sig = _mm256_max_epu32(_mm256_srli_epi32(_mm256_mullo_epi32(hash, KV(sig_mul)), 16),
			       KV(one));
	b1 = _mm256_srl_epi32(_mm256_mullo_epi32(_mm256_xor_si256(hash, _mm256_srli_epi32(hash, 16)), KV(bucket_mul)),
			      _mm_cvtsi32_si128((int)t->bucket_shift));
	x = _mm256_mullo_epi32(sig, KV(alt_mul));
	b2 = _mm256_xor_si256(b1, _mm256_max_epu32(_mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi32(x, 15)), mask),
						   KV(one)));

	/* a row per field: a lane not taken is made again by jg_flow_hint_lean() or the general way */
	_mm256_store_si256((__m256i *)(void *)g->a, lo);
	_mm256_store_si256((__m256i *)(void *)g->b, hi);
	_mm256_store_si256((__m256i *)(void *)g->ports, w8);
	_mm256_store_si256((__m256i *)(void *)g->kind, w9);
	_mm256_store_si256((__m256i *)(void *)g->b1, b1);
	_mm256_store_si256((__m256i *)(void *)g->b2, b2);
	_mm256_store_si256((__m256i *)(void *)g->sig, _mm256_or_si256(sig, _mm256_and_si256(src, KV(src_bit))));
	_mm256_store_si256((__m256i *)(void *)g->seg,
			   _mm256_or_si256(_mm256_or_si256(fl, _mm256_slli_epi32(cls, 8)), _mm256_slli_epi32(plen, 16)));
	_mm256_store_si256((__m256i *)(void *)g->cand, ones); /* JG_FLOW_NIL */
	/*
	 * The first bucket's signature line of the lanes taken (the others' offsets are 0: the first
	 * line, over and over). An entry sits in its first bucket unless cuckoo moved it: the second
	 * line is read only when the first has no match (jg_flow_lookup_x8). Prefetching both was
	 * slower at 1 M flows, even at 95% load: one line more per packet in flight.
	 */
	{
		uint32_t off[8] __attribute__((aligned(32)));
		const char *sigs = (const char *)t->sigs;

		static_assert(sizeof(t->sigs[0]) == 16, "a bucket's signatures are 16 bytes");
		_mm256_store_si256((__m256i *)(void *)off, _mm256_and_si256(_mm256_slli_epi32(b1, 4), ok));
#pragma GCC unroll 8
		for (int i = 0; i < 8; i++)
			__builtin_prefetch(sigs + off[i], 0, 3);
	}
	return taken;
}

/* A group with tagged frames: each taken after its tag, its id kept. */
static X8 __attribute__((noinline)) unsigned int
untag(struct jg_flow_table *t, const uint8_t *const p[8], const uint32_t avail[8], unsigned int tagged,
      struct jg_flow_lanes *g)
{
	const uint8_t *q[8];
	uint32_t a[8], vlan[8];

	for (int i = 0; i < 8; i++) {
		/* a lane marked tagged was readable for 54 bytes: the id in bytes 14-15 is there, and 48
		 * bytes four bytes on */
		int tag = tagged >> i & 1;

		q[i] = p[i] + (tag ? 4 : 0);
		a[i] = avail[i] - (tag ? 4u : 0u);
		vlan[i] = tag ? jg_rd16(p[i] + 14) & 0x0fffu : 0; /* as jg_flow_hint_lean() reads it */
	}
	return lanes(t, q, a, vlan, g);
}

X8 unsigned int
jg_flow_hint_lean_x8(struct jg_flow_table *t, const uint8_t *const p[8], const uint32_t avail[8],
		     struct jg_flow_lanes *g)
{
	const uint8_t *q[8];

	for (int i = 0; i < 8; i++)
		q[i] = avail[i] >= 14 + 20 + 20 ? p[i] : jg_flow_no_frame;
	return lanes(t, q, avail, NULL, g);
}

X8 unsigned int
jg_flow_hint_frames_x8(struct jg_flow_table *t, const uint8_t *const p[8], const uint32_t avail[8],
		       struct jg_flow_lanes *g)
{
	return lanes(t, p, avail, NULL, g);
}

/* A row of g, as a vector. */
#define ROWG(f) _mm256_load_si256((const __m256i *)(const void *)g->f)

/* The lanes not in `lanes`, as a vector mask. */
static inline X8 __m256i
lanes_out(const typeof(K) *k, unsigned int lanes)
{
	return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)lanes), KV(bit)), _mm256_setzero_si256());
}

X8 void
jg_flow_lanes_unpack(const struct jg_flow_lanes *g, unsigned int lanes, struct jg_flow_hint h[8])
{
	const __m256i zero = _mm256_setzero_si256();
	__m256i a[8] = { ROWG(a), zero, zero, zero, ROWG(b), zero, zero, zero };
	__m256i c[8] = { ROWG(ports), ROWG(kind), ROWG(b1), ROWG(b2), ROWG(sig), ROWG(cand), ROWG(seg), zero };

	/* a hint from its key on: two 32-byte rows (the key's addresses; the rest), the fields transposed back */
	transpose8(a);
	transpose8(c);
	for (int i = 0; i < 8; i++) {
		if (!(lanes >> i & 1))
			continue;
		_mm256_storeu_si256((__m256i *)(void *)h[i].k.a, a[i]);
		_mm256_storeu_si256((__m256i *)(void *)&h[i].k.pa, c[i]);
	}
}

/* Each lane's entry as a byte offset into the table (64-bit: a table of 2^26 entries is 2^32 bytes). */
static inline X8 void
entry_offsets(__m256i cand, uint64_t off[8])
{
	_mm256_store_si256((__m256i *)(void *)off, _mm256_slli_epi64(_mm256_cvtepu32_epi64(_mm256_castsi256_si128(cand)), 6));
	_mm256_store_si256((__m256i *)(void *)(off + 4),
			   _mm256_slli_epi64(_mm256_cvtepu32_epi64(_mm256_extracti128_si256(cand, 1)), 6));
}

/*
 * A lane's mask: its first bucket's matches in the low half, else its second
 * bucket's in the high half; the first match as jg_flow_lookup_bulk() takes
 * it: the lowest bit of the mask, found as the exponent of its float.
 */
X8 void
jg_flow_lookup_x8(const struct jg_flow_table *t, struct jg_flow_lanes *g, unsigned int lanes)
{
	const typeof(K) *k = opaque(&K);
	const char *sigs = (const char *)t->sigs, *flows = (const char *)t->flows;
	const __m256i zero = _mm256_setzero_si256(), b1 = ROWG(b1), b2 = ROWG(b2);
	uint32_t o1[8] __attribute__((aligned(32))), o2[8] __attribute__((aligned(32))), mk[8] __attribute__((aligned(32)));
	uint64_t off[8] __attribute__((aligned(32)));
	__m256i m, low, e, cand, nil;
	unsigned int miss;

	static_assert(sizeof(t->sigs[0]) == 16 && sizeof(struct jg_flow) == 64, "a bucket's signatures are 16 bytes");
	_mm256_store_si256((__m256i *)(void *)o1, _mm256_slli_epi32(b1, 4));
	_mm256_store_si256((__m256i *)(void *)o2, _mm256_slli_epi32(b2, 4));
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		__m128i s = _mm_set1_epi16((short)g->sig[i]);
		uint32_t m1 = (uint32_t)_mm_movemask_epi8(
			_mm_cmpeq_epi16(_mm_load_si128((const __m128i *)(const void *)(sigs + o1[i])), s));

		if (m1 == 0) /* the second bucket's line, not prefetched: read only now */
			m1 = (uint32_t)_mm_movemask_epi8(
				     _mm_cmpeq_epi16(_mm_load_si128((const __m128i *)(const void *)(sigs + o2[i])), s))
			     << 16;
		mk[i] = m1;
	}
	m = _mm256_load_si256((const __m256i *)(const void *)mk);
	low = _mm256_and_si256(m, _mm256_sub_epi32(zero, m));
	e = _mm256_sub_epi32(_mm256_and_si256(_mm256_srli_epi32(_mm256_castps_si256(_mm256_cvtepi32_ps(low)), 23), KV(low8)),
			     KV(bias));
	cand = _mm256_add_epi32(_mm256_slli_epi32(_mm256_blendv_epi8(b1, b2, _mm256_cmpgt_epi32(e, KV(fifteen))), 3),
				_mm256_srli_epi32(_mm256_and_si256(e, KV(fifteen)), 1));
	nil = _mm256_cmpeq_epi32(m, zero);
	miss = lanes & (unsigned int)_mm256_movemask_ps(_mm256_castsi256_ps(nil));
	nil = _mm256_or_si256(nil, lanes_out(k, lanes));
	cand = _mm256_or_si256(cand, nil);
	_mm256_store_si256((__m256i *)(void *)g->cand, cand);
	/* each entry's line (a lane without one: the first entry's, over and over) */
	cand = _mm256_andnot_si256(nil, cand);
	entry_offsets(cand, off);
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++)
		__builtin_prefetch(flows + off[i], 1, 3);
	/* a lane with no flow makes one a burst later: where it will write, prefetched (out of line, last:
	 * the lookup stays a leaf) */
	if (unlikely(miss != 0))
		jg_flow_prefetch_lanes(t, g, miss);
}

/*
 * A flow's words the lanes compare: its IPv4 key's four (the rest of an IPv4
 * key is zero, and word 9 holds the version), and the word of its flags,
 * state byte and init_is_a (bit 24).
 */
static_assert(offsetof(struct jg_flow, key.a) == 0 && offsetof(struct jg_flow, key.b) == 16 &&
		      offsetof(struct jg_flow, key.pa) == 32 && offsetof(struct jg_flow, key.proto) == 36 &&
		      offsetof(struct jg_flow, flags) == 60,
	      "jg_flow_match_x8() reads a flow as words 0, 4, 8, 9 and 15");

X8 unsigned int
jg_flow_match_x8(const struct jg_flow_table *t, struct jg_flow_lanes *g, unsigned int lanes, const uint8_t *allow)
{
	const typeof(K) *k = opaque(&K);
	const int *f = (const int *)(const void *)t->flows;
	const __m256i cand = ROWG(cand), nil = _mm256_cmpeq_epi32(cand, _mm256_set1_epi32(-1));
	/* word index of each lane's entry (a lane without one reads the first entry: it is not taken) */
	const __m256i idx = _mm256_slli_epi32(_mm256_andnot_si256(nil, cand), 4);
	__m256i eq, st, al, ok;

	/* gathers of 32-bit words with 32-bit indices: a table of 2^26 entries is 2^30 words */
	eq = _mm256_and_si256(_mm256_cmpeq_epi32(_mm256_i32gather_epi32(f, idx, 4), ROWG(a)),
			      _mm256_cmpeq_epi32(_mm256_i32gather_epi32(f + 4, idx, 4), ROWG(b)));
	eq = _mm256_and_si256(eq, _mm256_cmpeq_epi32(_mm256_i32gather_epi32(f + 8, idx, 4), ROWG(ports)));
	eq = _mm256_and_si256(eq, _mm256_cmpeq_epi32(_mm256_i32gather_epi32(f + 9, idx, 4), ROWG(kind)));
	st = _mm256_i32gather_epi32(f + 15, idx, 4);
	/* bit (class) of allow[state]: the word at allow + state, its low byte */
	al = _mm256_i32gather_epi32((const int *)(const void *)allow, _mm256_and_si256(_mm256_srli_epi32(st, 16), KV(low8)), 1);
	ok = _mm256_and_si256(_mm256_srlv_epi32(al, _mm256_and_si256(_mm256_srli_epi32(ROWG(seg), 8), KV(low8))), KV(one));
	eq = _mm256_and_si256(eq, _mm256_cmpeq_epi32(ok, KV(one)));
	_mm256_store_si256((__m256i *)(void *)g->dir,
			   _mm256_and_si256(_mm256_xor_si256(_mm256_srli_epi32(st, 24), _mm256_srli_epi32(ROWG(sig), 16)),
					    KV(one)));
	return (unsigned int)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_andnot_si256(nil, eq))) & lanes;
}

/*
 * A flow's words 10 to 15, which counting changes: last_ns (10, 11), bytes
 * (12, 13), pkts (14), flags and the state bits (15).
 */
static_assert(offsetof(struct jg_flow, last_ns) == 40 && offsetof(struct jg_flow, bytes) == 48 &&
		      offsetof(struct jg_flow, pkts) == 56 && offsetof(struct jg_flow, flags) == 60,
	      "jg_flow_count_x8() writes a flow's bytes 40 to 63");

/*
 * The eight flows' words read at once, the new ones made in the lanes, and
 * each flow's 24 bytes written back as one 16-byte and one 8-byte store (the
 * rows transposed back into flows): the lanes must not share a flow.
 */
X8 int
jg_flow_count_x8(struct jg_flow_table *t, const struct jg_flow_lanes *g, const uint64_t now[8])
{
	const typeof(K) *k = opaque(&K);
	const int *fw = (const int *)(const void *)t->flows;
	const long long *fq = (const long long *)(const void *)t->flows;
	const __m256i cand = ROWG(cand), dir = ROWG(dir), len = ROWG(len);
	const __m256i idx = _mm256_slli_epi32(cand, 4); /* word index of each entry (JG_FLOW_NIL is never matched) */
	const __m256i sign64 = _mm256_set1_epi64x(INT64_MIN);
	const __m256i min64 = _mm256_xor_si256(_mm256_set1_epi64x((long long)t->min_idle_ns), sign64);
	__m256i bad, last[2], r[6], b0, b1, d1, add0, add1, pw;
	uint64_t off[8] __attribute__((aligned(32)));
	char *flows = (char *)t->flows;

	/* two lanes of one flow: the second must see the first's counts (one after the other) */
	bad = _mm256_cmpeq_epi32(cand, _mm256_permutevar8x32_epi32(cand, KV(rot1)));
	bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(cand, _mm256_permutevar8x32_epi32(cand, KV(rot2))));
	bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(cand, _mm256_permutevar8x32_epi32(cand, KV(rot3))));
	bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(cand, _mm256_permutevar8x32_epi32(cand, KV(rot4))));
	/* last_ns, unsigned, in two rows of four: a timeout to decide where now - last_ns >= min_idle_ns */
	for (int h = 0; h < 2; h++) {
		__m128i ix = h == 0 ? _mm256_castsi256_si128(idx) : _mm256_extracti128_si256(idx, 1);
		__m256i l = _mm256_i32gather_epi64(fq + 5, ix, 4);
		__m256i now64 = _mm256_loadu_si256((const __m256i *)(const void *)(now + 4 * h));
		__m256i later = _mm256_cmpgt_epi64(_mm256_xor_si256(now64, sign64), _mm256_xor_si256(l, sign64));
		__m256i gap = _mm256_xor_si256(_mm256_sub_epi64(now64, l), sign64);

		bad = _mm256_or_si256(bad, _mm256_andnot_si256(_mm256_cmpgt_epi64(min64, gap), later));
		last[h] = _mm256_blendv_epi8(l, now64, later);
	}
	/* bytes in the packet's direction, their carry; pkts' low or high half, its carry; the flags */
	d1 = _mm256_cmpeq_epi32(dir, KV(one));
	add0 = _mm256_andnot_si256(d1, len);
	add1 = _mm256_and_si256(d1, len);
	r[2] = _mm256_i32gather_epi32(fw + 12, idx, 4);
	r[3] = _mm256_i32gather_epi32(fw + 13, idx, 4);
	b0 = _mm256_add_epi32(r[2], add0);
	b1 = _mm256_add_epi32(r[3], add1);
	bad = _mm256_or_si256(bad, _mm256_cmpgt_epi32(_mm256_xor_si256(r[2], KV(sign)), _mm256_xor_si256(b0, KV(sign))));
	bad = _mm256_or_si256(bad, _mm256_cmpgt_epi32(_mm256_xor_si256(r[3], KV(sign)), _mm256_xor_si256(b1, KV(sign))));
	pw = _mm256_i32gather_epi32(fw + 14, idx, 4);
	bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_srlv_epi32(pw, _mm256_slli_epi32(dir, 4)), KV(low16)),
						       KV(low16)));
	if (!_mm256_testz_si256(bad, bad))
		return 0;
	r[2] = b0;
	r[3] = b1;
	r[4] = _mm256_add_epi32(pw, _mm256_sllv_epi32(KV(one), _mm256_slli_epi32(dir, 4)));
	r[5] = _mm256_or_si256(_mm256_i32gather_epi32(fw + 15, idx, 4),
			       _mm256_sllv_epi32(_mm256_and_si256(ROWG(seg), KV(low8)), _mm256_slli_epi32(dir, 3)));
	/* last_ns's rows of four qwords as two rows of eight words (low, high) */
	{
		const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
		__m256i a = _mm256_permutevar8x32_epi32(last[0], even), c = _mm256_permutevar8x32_epi32(last[1], even);

		r[0] = _mm256_permute2x128_si256(a, c, 0x20);
		r[1] = _mm256_permute2x128_si256(a, c, 0x31);
	}
	entry_offsets(cand, off);
	/*
	 * Words 10-13 of each flow as 16 bytes, words 14-15 as 8: rows interleaved into
	 * lanes (a 128-bit half holds lane i's 16 bytes, lane i + 4 in the other half; a
	 * qword, lane i's two words)
	 */
	{
		__m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
		__m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
		__m256i q[4] = { _mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2), _mm256_unpacklo_epi64(t1, t3),
				 _mm256_unpackhi_epi64(t1, t3) };
		__m256i u0 = _mm256_unpacklo_epi32(r[4], r[5]), u1 = _mm256_unpackhi_epi32(r[4], r[5]);
		__m128i v[4] = { _mm256_castsi256_si128(u0), _mm256_castsi256_si128(u1), _mm256_extracti128_si256(u0, 1),
				 _mm256_extracti128_si256(u1, 1) };

		/* q[j]: lanes j (low half) and j + 4; v[0]: lanes 0, 1; v[1]: 2, 3; v[2]: 4, 5; v[3]: 6, 7 */
#pragma GCC unroll 4
		for (int j = 0; j < 4; j++) {
			_mm_storeu_si128((__m128i *)(void *)(flows + off[j] + 40), _mm256_castsi256_si128(q[j]));
			_mm_storeu_si128((__m128i *)(void *)(flows + off[j + 4] + 40), _mm256_extracti128_si256(q[j], 1));
			_mm_storel_epi64((__m128i *)(void *)(flows + off[2 * j] + 56), v[j]);
			_mm_storeh_pd((double *)(void *)(flows + off[2 * j + 1] + 56), _mm_castsi128_pd(v[j]));
		}
	}
	return 1;
}
