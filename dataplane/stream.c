/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP reassembly per direction.
 *
 * Segments are first checked the way the receiving endpoint would check them,
 * so that what an attacker inserts for the monitor alone is not taken: a TTL
 * lower than the direction's (the packet expires before the endpoint), a SYN
 * inside the connection, a RST, FIN or data outside the window. What is
 * ignored is counted and said once per flow as an `evasion` event. Bytes with
 * a bad checksum are held as "weak": a good copy replaces them (different
 * bytes are said as evasion), the receiver's ACK past them says the endpoint
 * took them after all (a capture made before the sender's checksum offload;
 * the direction's checksums are not looked at again).
 *
 * In-order bytes are delivered straight from the packet. A segment that comes
 * early goes into an out-of-order buffer taken from the worker's pool (a ring of
 * `ooo_window` bytes and a bitmap of the bytes held), in any order, until the
 * bytes before it come; overlaps are resolved by the overlap policy (first copy
 * by default) and bytes that differ from the copy held are a conflict, reported.
 * Retransmissions of bytes already delivered are compared with the last
 * JG_HIST bytes delivered. A hole is given up as a gap only when the endpoint
 * acknowledged bytes past it a while ago (JG_HOLE_GRACE_NS: the capture missed
 * them), when the buffer would overflow, or when the flow ends.
 *
 * What comes out is the narrow interface to the protocols (frame.c): ordered
 * bytes (jg_frame_bytes) and gap notices (jg_frame_gap). Nothing here knows a
 * protocol.
 */
#include <string.h>

#include "detect_priv.h"

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LE(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define SEQ_GE(a, b) ((int32_t)((a) - (b)) >= 0)
/* how far from the expected byte a segment may lie when the window is unknown (mid-stream) */
#define FAR_UNKNOWN (1u << 29)

/* Bytes in order, starting at next_seq: remembered, then handed to the framer. */
static void
push(struct jg_detect *d, struct jg_session *s, int di, const uint8_t *p, uint32_t len)
{
	struct jg_dir *dir = &s->dir[di];
	uint32_t seq = dir->next_seq;

	if (len >= JG_HIST) {
		for (uint32_t i = len - JG_HIST; i < len; i++)
			dir->hist[(seq + i) & (JG_HIST - 1)] = p[i];
	} else {
		uint32_t at = seq & (JG_HIST - 1), first = JG_HIST - at < len ? JG_HIST - at : len;

		memcpy(dir->hist + at, p, first);
		memcpy(dir->hist, p + first, len - first);
	}
	dir->next_seq = seq + len;
	if (SEQ_GT(dir->next_seq - JG_HIST, dir->hist_from))
		dir->hist_from = dir->next_seq - JG_HIST;
	if (SEQ_GT(dir->next_seq, dir->held_hi))
		dir->held_hi = dir->next_seq;
	jg_frame_bytes(d, s, di, p, len);
}

/* n bytes are lost: the framer is told, and goes on from the next message header. */
static void
gap(struct jg_detect *d, struct jg_session *s, int di, uint32_t n)
{
	struct jg_dir *dir = &s->dir[di];

	d->cnt[JG_CNT_SEG_GAP]++;
	dir->next_seq += n;
	dir->hist_from = dir->next_seq;
	if (SEQ_GT(dir->next_seq, dir->held_hi))
		dir->held_hi = dir->next_seq;
	jg_frame_gap(d, s, di, n);
}

/* Do bytes [seq, seq+len) differ from what was delivered? Only what hist still holds is compared. */
static int
differs_delivered(const struct jg_dir *dir, uint32_t seq, const uint8_t *const *seg, const uint32_t *seg_len,
		  unsigned int n_seg, uint32_t len)
{
	uint32_t i = 0;

	for (unsigned int k = 0; k < n_seg && i < len; k++)
		for (uint32_t j = 0; j < seg_len[k] && i < len; j++, i++) {
			uint32_t q = seq + i;

			if (SEQ_LT(q, dir->hist_from))
				continue;
			if (!SEQ_LT(q, dir->next_seq))
				return 0;
			if (dir->hist[q & (JG_HIST - 1)] != seg[k][j])
				return 1;
		}
	return 0;
}

/* ---- out-of-order buffers ---- */

static uint8_t *
ooo_data(const struct jg_detect *d, uint32_t idx)
{
	return d->ooo_mem + (size_t)(idx - 1) * jg_detect_ooo_size(d->ooo_win);
}

static uint64_t *
ooo_bits(const struct jg_detect *d, uint32_t idx)
{
	return (uint64_t *)(ooo_data(d, idx) + d->ooo_win);
}

/* the weak bytes: a bad checksum, not yet confirmed by a good copy or the receiver's ACK */
static uint64_t *
ooo_weak(const struct jg_detect *d, uint32_t idx)
{
	return ooo_bits(d, idx) + d->ooo_win / 64;
}

static int
ooo_take(struct jg_detect *d, struct jg_dir *dir)
{
	uint32_t idx = d->ooo_free;

	if (idx == 0)
		return -1;
	d->ooo_free = d->ooo_next[idx - 1];
	memset(ooo_bits(d, idx), 0, d->ooo_win / 4);
	dir->ooo = idx;
	dir->held = 0;
	return 0;
}

static void
ooo_give_back(struct jg_detect *d, struct jg_dir *dir)
{
	if (dir->ooo == 0)
		return;
	d->ooo_next[dir->ooo - 1] = d->ooo_free;
	d->ooo_free = dir->ooo;
	dir->ooo = 0;
	dir->held = 0;
}

static int
held_at(const struct jg_detect *d, const struct jg_dir *dir, uint32_t seq)
{
	uint32_t i = seq & (d->ooo_win - 1);

	return (ooo_bits(d, dir->ooo)[i / 64] >> (i % 64)) & 1;
}

/* Held and not weak: may be delivered. */
static int
strong_at(const struct jg_detect *d, const struct jg_dir *dir, uint32_t seq)
{
	uint32_t i = seq & (d->ooo_win - 1);

	return ((ooo_bits(d, dir->ooo)[i / 64] & ~ooo_weak(d, dir->ooo)[i / 64]) >> (i % 64)) & 1;
}

/* Bytes from next_seq up to limit, within the window (0 when limit is not past next_seq). */
static uint32_t
window_span(const struct jg_detect *d, const struct jg_dir *dir, uint32_t limit)
{
	if (!SEQ_LT(dir->next_seq, limit))
		return 0;
	return limit - dir->next_seq < d->ooo_win ? limit - dir->next_seq : d->ooo_win;
}

/*
 * The bits of a bitmap word from bit i % 64 on, at most n of them, as a mask;
 * take: how many. A span never crosses a word, so never the window's end (a
 * multiple of 64).
 */
static inline uint64_t
span_mask(uint32_t i, uint32_t n, uint32_t *take)
{
	uint32_t sh = i % 64, t = 64 - sh < n ? 64 - sh : n;

	*take = t;
	return (t == 64 ? UINT64_MAX : (1ull << t) - 1) << sh;
}

/* How many of the n bytes from next_seq on are held without a break. */
static uint32_t
held_run(const struct jg_detect *d, const struct jg_dir *dir, uint32_t n)
{
	const uint64_t *bits = ooo_bits(d, dir->ooo);

	for (uint32_t k = 0, take; k < n; k += take) {
		uint32_t i = (dir->next_seq + k) & (d->ooo_win - 1);
		uint64_t m = span_mask(i, n - k, &take), missing = ~bits[i / 64] & m;

		if (missing != 0)
			return k + (uint32_t)__builtin_ctzll(missing) - i % 64;
	}
	return n;
}

/*
 * The receiver acknowledged bytes before `limit`: weak ones among them were
 * good after all. run_only: only the run held from next_seq on (bytes past a
 * hole wait for the hole). @return whether any was weak
 */
static int
confirm_weak(struct jg_detect *d, struct jg_dir *dir, uint32_t limit, int run_only)
{
	uint64_t *weak = ooo_weak(d, dir->ooo), hit = 0;
	uint32_t n = window_span(d, dir, limit);

	if (run_only)
		n = held_run(d, dir, n);
	/* a word of the bitmap at a time: an ACK of a whole window costs its words, not its bytes */
	for (uint32_t k = 0, take; k < n; k += take) {
		uint32_t i = (dir->next_seq + k) & (d->ooo_win - 1);
		uint64_t m = span_mask(i, n - k, &take);

		hit |= weak[i / 64] & m;
		weak[i / 64] &= ~m;
	}
	if (hit)
		dir->csum_off = 1;
	return hit != 0;
}

/* Bytes from seq up to the next held one (the hole's size), or 0 when nothing is held within the window. */
static uint32_t
hole_after(const struct jg_detect *d, const struct jg_dir *dir, uint32_t seq)
{
	const uint64_t *bits = ooo_bits(d, dir->ooo);
	uint32_t start = seq & (d->ooo_win - 1);

	/* a word of the bitmap at a time: a window of scattered bytes costs its words, not its bits */
	for (uint32_t k = 0; k < d->ooo_win;) {
		uint32_t pos = (start + k) & (d->ooo_win - 1);
		uint64_t w = bits[pos / 64] >> (pos % 64);

		if (w != 0)
			return k + (uint32_t)__builtin_ctzll(w);
		k += 64 - pos % 64;
	}
	return 0;
}

/* Deliver what is held from next_seq on, while it is contiguous. */
static void
ooo_drain(struct jg_detect *d, struct jg_session *s, int di)
{
	struct jg_dir *dir = &s->dir[di];

	while (dir->ooo != 0 && dir->held != 0 && strong_at(d, dir, dir->next_seq)) {
		uint32_t at = dir->next_seq & (d->ooo_win - 1), run = 0;
		uint64_t *bits = ooo_bits(d, dir->ooo), *weak = ooo_weak(d, dir->ooo);

		/* the run of strong bytes, a word of the bitmap at a time (up to the ring's end) */
		while (at + run < d->ooo_win && run < dir->held) {
			uint32_t pos = at + run, sh = pos % 64, room = 64 - sh;
			uint64_t w = (bits[pos / 64] & ~weak[pos / 64]) >> sh;
			uint32_t ones = ~w == 0 ? 64 : (uint32_t)__builtin_ctzll(~w);

			if (ones > room)
				ones = room;
			bits[pos / 64] &= ~((ones == 64 ? UINT64_MAX : (1ull << ones) - 1) << sh);
			run += ones;
			if (ones < room)
				break;
		}
		dir->held -= run;
		push(d, s, di, ooo_data(d, dir->ooo) + at, run);
	}
	if (dir->ooo != 0 && dir->held == 0)
		ooo_give_back(d, dir);
}

/* Weak bytes before `limit` that no good copy and no ACK vouched for: as the endpoint dropped them, dropped. */
static void
drop_weak(struct jg_detect *d, struct jg_dir *dir, uint32_t limit)
{
	uint64_t *bits = ooo_bits(d, dir->ooo), *weak = ooo_weak(d, dir->ooo);
	uint32_t n = window_span(d, dir, limit);

	for (uint32_t k = 0, take; k < n; k += take) {
		uint32_t i = (dir->next_seq + k) & (d->ooo_win - 1);
		uint64_t m = weak[i / 64] & span_mask(i, n - k, &take);

		weak[i / 64] &= ~m;
		bits[i / 64] &= ~m;
		dir->held -= (uint32_t)__builtin_popcountll(m);
	}
}

/*
 * Give up the holes before `limit`, delivering what follows each. took: the
 * endpoint took the bytes up to limit (its ACK), or the flow ended: weak bytes
 * there are kept; otherwise (the window overflows) they are dropped.
 */
static void
release_upto(struct jg_detect *d, struct jg_session *s, int di, uint32_t limit, int took)
{
	struct jg_dir *dir = &s->dir[di];

	if (dir->ooo != 0 && took)
		confirm_weak(d, dir, limit, 0);
	else if (dir->ooo != 0)
		drop_weak(d, dir, limit);
	ooo_drain(d, s, di);
	while (dir->ooo != 0 && SEQ_LT(dir->next_seq, limit)) {
		uint32_t k = hole_after(d, dir, dir->next_seq);

		if (k == 0 || SEQ_GT(dir->next_seq + k, limit))
			break;
		gap(d, s, di, k);
		if (took)
			confirm_weak(d, dir, limit, 0);
		else
			drop_weak(d, dir, limit);
		ooo_drain(d, s, di);
	}
}

/*
 * Hold bytes [seq, seq+len) of a segment (all within the window); those already
 * held are compared. Weak (bad checksum) bytes never replace others; good ones
 * replace weak ones.
 */
static void
ooo_store(struct jg_detect *d, struct jg_session *s, int di, uint32_t seq, uint32_t skip, const uint8_t *const *seg,
	  const uint32_t *seg_len, unsigned int n_seg, uint32_t len, int weak)
{
	struct jg_dir *dir = &s->dir[di];
	uint8_t *data = ooo_data(d, dir->ooo);
	uint64_t *bits = ooo_bits(d, dir->ooo), *wk = ooo_weak(d, dir->ooo);
	int conflict = 0, chaff = 0;
	uint32_t i = 0;

	for (unsigned int k = 0; k < n_seg && i < len; k++) {
		uint32_t j = 0;

		if (skip >= seg_len[k]) {
			skip -= seg_len[k];
			continue;
		}
		for (j = skip, skip = 0; j < seg_len[k] && i < len; j++, i++) {
			uint32_t at = (seq + i) & (d->ooo_win - 1);
			uint64_t bit = 1ull << (at % 64);

			/* a whole 64-byte block none of whose bytes is held: one copy, one word of bits */
			if (at % 64 == 0 && bits[at / 64] == 0 && seg_len[k] - j >= 64 && len - i >= 64) {
				memcpy(data + at, seg[k] + j, 64);
				bits[at / 64] = UINT64_MAX;
				wk[at / 64] = weak ? UINT64_MAX : 0;
				dir->held += 64;
				j += 63;
				i += 63;
				continue;
			}
			if (!(bits[at / 64] & bit)) {
				data[at] = seg[k][j];
				bits[at / 64] |= bit;
				if (weak)
					wk[at / 64] |= bit;
				dir->held++;
			} else if (wk[at / 64] & bit) {
				if (!weak) { /* the good copy wins over a bad checksum's */
					chaff |= data[at] != seg[k][j];
					data[at] = seg[k][j];
					wk[at / 64] &= ~bit;
				}
			} else if (data[at] != seg[k][j]) {
				if (weak) {
					chaff = 1;
				} else {
					conflict = 1;
					if (d->policy == JG_OVERLAP_LAST)
						data[at] = seg[k][j];
				}
			}
		}
	}
	if (SEQ_GT(seq + len, dir->held_hi))
		dir->held_hi = seq + len;
	if (conflict) {
		d->cnt[JG_CNT_SEG_CONFLICT]++;
		jg_ev_evasion(d, s, "tcp-overlap-conflict", "TCP segments overlap with different bytes");
	}
	if (chaff) {
		d->cnt[JG_CNT_SEG_CONFLICT]++;
		jg_ev_evasion(d, s, "bad-checksum", "segments with a bad checksum carry other bytes than the good copy");
	}
}

/* ---- checks before a segment is taken ---- */

/* The highest sequence number the receiver would take now, as far as the monitor knows. */
static uint32_t
window_end(const struct jg_dir *dir, const struct jg_dir *peer)
{
	uint32_t base = dir->ack_ok && SEQ_GT(dir->acked, dir->next_seq) ? dir->acked : dir->next_seq;
	uint32_t win;

	if (!dir->ack_ok)
		win = FAR_UNKNOWN;
	else if (dir->syn && peer->syn)
		win = dir->win; /* both SYNs seen: the scale is known */
	else
		win = dir->win << 14 < FAR_UNKNOWN ? FAR_UNKNOWN : dir->win << 14;
	if (win < 65535)
		win = 65535;
	return base + win;
}

/* Would the receiving endpoint take a segment starting at seq? (RFC 793's acceptability, leniently) */
static int
in_window(const struct jg_dir *dir, const struct jg_dir *peer, uint32_t seq)
{
	if (!dir->seq_ok)
		return 1;
	if (SEQ_LT(seq, dir->next_seq) && dir->next_seq - seq > FAR_UNKNOWN)
		return 0;
	return SEQ_LE(seq, window_end(dir, peer));
}

/* The checksum and the TTL, as the endpoint would see them. @return 0 when the packet would never reach it */
static int
reaches_endpoint(struct jg_detect *d, struct jg_session *s, struct jg_dir *dir, const struct jg_pkt *p)
{
	if (!dir->pkt_seen) {
		dir->pkt_seen = 1;
		dir->ttl = p->ttl;
	}
	if (!p->csum_bad)
		dir->good_csum = 1;
	/* Control and empty segments with a bad checksum are dropped by the endpoint; data is held weak. */
	if (p->csum_bad && !dir->csum_off && dir->good_csum &&
	    (p->payload_len == 0 || (p->tcp_flags & (JG_TCP_SYN | JG_TCP_RST)))) {
		d->cnt[JG_CNT_SEG_BAD_CSUM]++;
		return 0;
	}
	if (p->ttl < dir->ttl) {
		/* A route change lowers every packet's TTL; chaff meant to expire lowers a few. */
		if (++dir->ttl_odd < 8) {
			d->cnt[JG_CNT_SEG_TTL]++;
			jg_ev_evasion(d, s, "ttl-change", "segments with a lower TTL than the flow's (would expire first)");
			return 0;
		}
		dir->ttl = p->ttl;
	} else if (p->ttl > dir->ttl) {
		dir->ttl = p->ttl;
	}
	dir->ttl_odd = 0;
	return 1;
}

/* A SYN: the first of its direction, its retransmission, or one the endpoint would not take. */
static int
syn(struct jg_detect *d, struct jg_session *s, struct jg_dir *dir, const struct jg_pkt *p)
{
	if (!dir->syn && !dir->seen && !dir->seq_ok) {
		dir->syn = 1;
		dir->isn = p->tcp_seq;
		dir->wscale = p->tcp_wscale;
		dir->next_seq = dir->held_hi = dir->hist_from = p->tcp_seq + 1;
		dir->seq_ok = 1;
		dir->synced = 1; /* the stream's first byte starts a message */
		dir->hdr_len = dir->msg_len = dir->msg_got = dir->buf_len = 0;
		return 1;
	}
	if (dir->syn && p->tcp_seq == dir->isn)
		return 1;
	d->cnt[JG_CNT_SEG_SYN_IGNORED]++;
	jg_ev_evasion(d, s, "syn-in-session", "a SYN inside an established connection");
	return 0;
}

/* What the sender acknowledges of the other direction, and the window it offers. */
static void
take_ack(struct jg_detect *d, struct jg_session *s, int di, const struct jg_pkt *p)
{
	struct jg_dir *dir = &s->dir[di], *peer = &s->dir[!di];
	uint32_t ack = p->tcp_ack;

	if (!peer->seq_ok || SEQ_GT(ack, peer->held_hi)) /* acknowledging what was never sent: not believed */
		return;
	if (!peer->ack_ok || SEQ_GT(ack, peer->acked))
		peer->acked = ack;
	peer->ack_ok = 1;
	peer->win = (p->tcp_flags & JG_TCP_SYN) || dir->wscale == 0xff || peer->wscale == 0xff
			    ? p->tcp_win
			    : (uint32_t)p->tcp_win << dir->wscale;
	/* Weak bytes right at the next expected one, acknowledged: the endpoint took them (a capture
	 * made before the sender's checksum offload). Bytes past a hole wait for the hole. */
	if (peer->ooo != 0 && SEQ_GT(ack, peer->next_seq) && confirm_weak(d, peer, ack, 1))
		ooo_drain(d, s, !di);
	/* the endpoint has bytes this worker has not seen yet: lost by the capture, or still on their way */
	if (SEQ_GT(ack, peer->next_seq) && peer->hole_acked_ns == 0)
		peer->hole_acked_ns = d->ts ? d->ts : 1;
}

/* The receiver acknowledged bytes past the hole long enough ago: the capture lost them, nothing else is coming. */
static int
hole_lost(const struct jg_detect *d, const struct jg_dir *dir)
{
	return dir->hole_acked_ns != 0 && d->ts >= dir->hole_acked_ns + JG_HOLE_GRACE_NS;
}

/* Holes the receiver acknowledged long enough ago are lost to the capture: given up, what follows delivered. */
static void
stale_holes(struct jg_detect *d, struct jg_session *s, int di)
{
	struct jg_dir *dir = &s->dir[di];

	if (dir->hole_acked_ns == 0)
		return;
	if (!SEQ_GT(dir->acked, dir->next_seq)) {
		dir->hole_acked_ns = 0;
		return;
	}
	if (!hole_lost(d, dir))
		return;
	if (dir->ooo != 0)
		release_upto(d, s, di, dir->acked, 1);
	dir->hole_acked_ns = SEQ_GT(dir->acked, dir->next_seq) ? d->ts : 0;
}

/* The direction's out-of-order buffer, taken from the pool if it has none. @return 0 when the pool is empty (counted) */
static int
have_buffer(struct jg_detect *d, struct jg_dir *dir)
{
	if (dir->ooo != 0 || ooo_take(d, dir) == 0)
		return 1;
	d->cnt[JG_CNT_SEG_OOO_POOL]++;
	return 0;
}

/* Data: in order, retransmitted, overlapping, or early. */
static void
data(struct jg_detect *d, struct jg_session *s, int di, const struct jg_pkt *p, const uint8_t *const *seg,
     const uint32_t *seg_len, unsigned int n_seg)
{
	struct jg_dir *dir = &s->dir[di];
	uint32_t seq = p->tcp_seq, len = 0, end, skip = 0;
	/* a direction that never sent a good checksum is a capture made before its offload */
	int weak = p->csum_bad && !dir->csum_off && dir->good_csum;

	for (unsigned int i = 0; i < n_seg; i++)
		len += seg_len[i];
	if (len == 0)
		return;
	if (!dir->seq_ok) { /* picked up mid-stream */
		dir->next_seq = dir->held_hi = dir->hist_from = seq;
		dir->seq_ok = 1;
	}
	end = seq + len;
	if (len == 1 && seq == dir->next_seq - 1) { /* a keep-alive: its byte is anything */
		d->cnt[JG_CNT_SEG_RETRANS]++;
		return;
	}
	d->cnt[JG_CNT_SEG_BAD_CSUM] += (uint64_t)weak;
	if (SEQ_LT(seq, dir->next_seq)) {
		skip = SEQ_LE(end, dir->next_seq) ? len : dir->next_seq - seq;
		d->cnt[JG_CNT_SEG_RETRANS]++;
		if (differs_delivered(dir, seq, seg, seg_len, n_seg, skip)) {
			d->cnt[JG_CNT_SEG_CONFLICT]++;
			if (weak)
				jg_ev_evasion(d, s, "bad-checksum", "segments with a bad checksum carry other bytes than the good copy");
			else
				jg_ev_evasion(d, s, "tcp-overlap-conflict", "a retransmission differs from the bytes first sent");
		}
		if (skip == len)
			return;
	} else if (SEQ_GT(seq, dir->next_seq)) {
		/* Early. A hole the endpoint already acknowledged is lost to the capture, not reordered. */
		if (dir->ack_ok && SEQ_LE(seq, dir->acked) && hole_lost(d, dir)) {
			release_upto(d, s, di, seq, 1);
			if (SEQ_LT(dir->next_seq, seq) && (dir->ooo == 0 || !held_at(d, dir, dir->next_seq)))
				gap(d, s, di, seq - dir->next_seq);
			if (SEQ_LE(end, dir->next_seq))
				return;
			skip = SEQ_LT(seq, dir->next_seq) ? dir->next_seq - seq : 0;
		} else {
			if (!have_buffer(d, dir)) {
				jg_ev_cut(d, s, "out-of-order buffers exhausted (detect.reassembly.tcp_buffers): bytes skipped");
				gap(d, s, di, seq - dir->next_seq);
			}
		}
	}
	if (weak && !have_buffer(d, dir))
		return; /* a bad checksum and nowhere to hold it: as the endpoint would, dropped */
	if (dir->ooo == 0) { /* in order, nothing held: straight from the packet */
		for (unsigned int i = 0; i < n_seg; i++) {
			if (skip >= seg_len[i]) {
				skip -= seg_len[i];
				continue;
			}
			push(d, s, di, seg[i] + skip, seg_len[i] - skip);
			skip = 0;
		}
		return;
	}
	/* Make room: a segment that ends past the window gives up the oldest holes. */
	while (end - dir->next_seq > d->ooo_win) {
		uint32_t k = dir->held ? hole_after(d, dir, dir->next_seq) : 0;

		d->cnt[JG_CNT_SEG_OOO_FULL]++;
		if (k == 0) {
			uint32_t to = end - d->ooo_win;

			if (dir->held != 0)
				release_upto(d, s, di, to, dir->ack_ok && SEQ_GE(dir->acked, to));
			if (SEQ_LT(dir->next_seq, to))
				gap(d, s, di, to - dir->next_seq);
			break;
		}
		gap(d, s, di, k);
		ooo_drain(d, s, di);
		if (!have_buffer(d, dir))
			return;
	}
	if (SEQ_LE(end, dir->next_seq))
		return;
	if (SEQ_LT(seq + skip, dir->next_seq))
		skip = dir->next_seq - seq;
	if (!have_buffer(d, dir))
		return;
	if (SEQ_GT(seq + skip, dir->next_seq))
		d->cnt[JG_CNT_SEG_HELD]++;
	ooo_store(d, s, di, seq + skip, skip, seg, seg_len, n_seg, len - skip, weak);
	ooo_drain(d, s, di);
}

unsigned int
jg_stream_segment(struct jg_detect *d, struct jg_session *s, int di, const struct jg_pkt *p,
		  const uint8_t *const *seg, const uint32_t *seg_len, unsigned int n_seg)
{
	struct jg_dir *dir = &s->dir[di], *peer = &s->dir[!di];
	uint8_t fl = p->tcp_flags;
	unsigned int ret = 0;

	if (!reaches_endpoint(d, s, dir, p))
		return 0;
	if ((fl & JG_TCP_SYN) && !syn(d, s, dir, p))
		return 0;
	if (fl & JG_TCP_RST) {
		/* at or past the next byte expected (one before: after a FIN), and within the window */
		if (!dir->seq_ok || (SEQ_GE(p->tcp_seq, dir->next_seq - 1) && in_window(dir, peer, p->tcp_seq)))
			return JG_SEG_RST;
		d->cnt[JG_CNT_SEG_OUT_OF_WINDOW]++;
		jg_ev_evasion(d, s, "rst-out-of-window", "a RST outside the receiver's window (ignored by the endpoint)");
		return 0;
	}
	if (((fl & JG_TCP_FIN) || p->payload_len > 0) && !(fl & JG_TCP_SYN) && !in_window(dir, peer, p->tcp_seq)) {
		d->cnt[JG_CNT_SEG_OUT_OF_WINDOW]++;
		jg_ev_evasion(d, s, "out-of-window", "segments outside the receiver's window (ignored by the endpoint)");
		return 0;
	}
	if (fl & JG_TCP_ACK)
		take_ack(d, s, di, p);
	stale_holes(d, s, 0);
	stale_holes(d, s, 1);
	if (fl & JG_TCP_FIN)
		ret |= JG_SEG_FIN;
	if (p->payload_len > 0 && !(fl & JG_TCP_SYN))
		data(d, s, di, p, seg, seg_len, n_seg);
	return ret;
}

void
jg_stream_end(struct jg_detect *d, struct jg_session *s)
{
	for (int di = 0; di < 2; di++) {
		struct jg_dir *dir = &s->dir[di];

		if (dir->ooo == 0)
			continue;
		/* what is still weak was never contradicted: the only copy there is */
		release_upto(d, s, di, dir->held_hi, 1);
		ooo_give_back(d, dir);
	}
}
