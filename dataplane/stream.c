/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP stream handling per direction: in-order delivery by sequence number,
 * retransmitted bytes skipped, a gap (or a mid-stream start) answered by
 * resynchronising on the next message header (NetBIOS + SMB, or DCE-RPC).
 * In-order bytes go to Hyperscan (streaming, so matches span segments) and to
 * the message framer, which keeps the first JG_PDU_CAP bytes of each message
 * and hands complete messages to the protocol code. Memory per direction is
 * fixed: nothing is buffered beyond one capped message.
 */
#include <string.h>

#include "detect_priv.h"
#include "le.h"

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
	struct jg_detect *d = ctx;
	struct jg_dir *dir = d->scan_dir;

	(void)from;
	(void)flags;
	d->cnt[JG_CNT_HS_MATCH]++;
	to += dir->hs_base;
	/* Keep the first matches of each pattern; repeats of one pattern in one message add nothing. */
	for (uint8_t i = 0; i < dir->n_hits; i++)
		if (dir->hits[i].pat == id && to - dir->hits[i].end < JG_PDU_CAP)
			return 0;
	if (dir->n_hits < JG_HITS)
		dir->hits[dir->n_hits++] = (struct jg_hit){ (uint16_t)id, to };
	return 0;
}

/* Header bytes of a message, and its total length once they are all there. */
static uint32_t
hdr_need(uint8_t app)
{
	return app == JG_APP_SMB ? 4 : 16;
}

static int64_t
msg_length(uint8_t app, const uint8_t *h)
{
	if (app == JG_APP_SMB) {
		int32_t n = jg_nbss_len(h, 4);

		if (h[0] == 0x85 || h[0] == 0x81 || h[0] == 0x82 || h[0] == 0x83 || h[0] == 0x84)
			n = (int32_t)((uint32_t)(h[1] & 1) << 16 | (uint32_t)h[2] << 8 | h[3]); /* NetBIOS control */
		return n < 0 ? -1 : (int64_t)n + 4;
	}
	if (!jg_rpc_looks_like(h, 16))
		return -1;
	return jg_rpc_frag_len(h, 16);
}

/* Is there a message header at p? (resynchronisation) */
static int
header_at(uint8_t app, const uint8_t *p, size_t len)
{
	if (app == JG_APP_SMB)
		return len >= 8 && p[0] == 0 && jg_smb_kind(p + 4, len - 4) != JG_SMB_NONE;
	return jg_rpc_looks_like(p, len);
}

static void
deliver(struct jg_detect *d, struct jg_session *s, int di)
{
	struct jg_dir *dir = &s->dir[di];

	d->cnt[JG_CNT_PDU]++;
	if (dir->msg_len > dir->buf_len)
		d->cnt[JG_CNT_PDU_CUT]++;
	memset(&s->cur, 0, sizeof(s->cur));
	if (s->app == JG_APP_SMB) {
		if (dir->buf_len > 4 && dir->buf[0] == 0)
			jg_smb_message(d, s, di, dir->buf + 4, dir->buf_len - 4);
	} else {
		jg_rpc_message(d, s, di, jg_rpc_chan_of(s, NULL), dir->buf, dir->buf_len);
	}
	jg_hits_flush(d, s, dir, dir->msg_start + dir->msg_len);
	dir->msg_len = dir->msg_got = dir->buf_len = dir->hdr_len = 0;
}

/* Frame in-order bytes into messages. */
static void
frame(struct jg_detect *d, struct jg_session *s, int di, const uint8_t *p, uint32_t len)
{
	struct jg_dir *dir = &s->dir[di];

	while (len > 0) {
		uint32_t take;

		if (!dir->synced) {
			uint32_t i = 0;

			while (i < len && !header_at(s->app, p + i, len - i))
				i++;
			dir->off += i;
			p += i;
			len -= i;
			if (len == 0)
				return;
			dir->synced = 1;
			d->cnt[JG_CNT_RESYNC]++;
			dir->hdr_len = dir->msg_len = dir->msg_got = dir->buf_len = 0;
		}
		if (dir->msg_len == 0) {
			uint32_t need = hdr_need(s->app);
			int64_t ml;

			if (dir->msg_got == 0)
				dir->msg_start = dir->off;
			take = need - dir->buf_len < len ? need - dir->buf_len : len;
			memcpy(dir->buf + dir->buf_len, p, take);
			dir->buf_len += take;
			dir->msg_got += take;
			dir->off += take;
			p += take;
			len -= take;
			if (dir->buf_len < need)
				return;
			ml = msg_length(s->app, dir->buf);
			if (ml < (int64_t)need) {
				/* Not a header after all: the framing is lost; look for the next one. */
				dir->synced = 0;
				dir->msg_got = dir->buf_len = 0;
				continue;
			}
			dir->msg_len = (uint32_t)ml;
		}
		take = dir->msg_len - dir->msg_got < len ? dir->msg_len - dir->msg_got : len;
		if (dir->buf_len < JG_PDU_CAP) {
			uint32_t keep = JG_PDU_CAP - dir->buf_len < take ? JG_PDU_CAP - dir->buf_len : take;

			memcpy(dir->buf + dir->buf_len, p, keep);
			dir->buf_len += keep;
		}
		dir->msg_got += take;
		dir->off += take;
		p += take;
		len -= take;
		if (dir->msg_got == dir->msg_len)
			deliver(d, s, di);
	}
}

/* RDP and WinRM need only the first bytes of each direction. */
static void
raw(struct jg_detect *d, struct jg_session *s, int di, const uint8_t *p, uint32_t len)
{
	struct jg_dir *dir = &s->dir[di];

	if (!dir->seen)
		jg_raw_message(d, s, di, p, len < JG_PDU_CAP ? len : JG_PDU_CAP);
	dir->off += len;
}

static void
in_order(struct jg_detect *d, struct jg_session *s, int di, const uint8_t *p, uint32_t len)
{
	struct jg_dir *dir = &s->dir[di];

	d->scan_dir = dir;
	/* The artifacts are in what the client sends (names it creates, writes, installs):
	 * once the client is known, the server's direction (file reads, listings) is not scanned. */
	if (!s->client_known || di == s->client_dir) {
		if (hs_scan_stream(dir->hs, (const char *)p, len, 0, d->scratch, on_match, d) != HS_SUCCESS)
			d->cnt[JG_CNT_HS_ERR]++;
		d->cnt[JG_CNT_HS_BYTES] += len;
	}
	if (s->app == JG_APP_SMB || s->app == JG_APP_RPC)
		frame(d, s, di, p, len);
	else
		raw(d, s, di, p, len);
	dir->seen = 1;
	/* Matches outside any message (framing lost) are reported now, with what is known. */
	if (!dir->synced || s->app == JG_APP_RDP || s->app == JG_APP_WINRM)
		jg_hits_flush(d, s, dir, dir->off);
}

/* Hand a segment's bytes on from sequence number seq, relative to what is expected. */
static void
deliver_bytes(struct jg_detect *d, struct jg_session *s, int di, uint32_t seq, uint32_t len, const uint8_t *const *seg,
	const uint32_t *seg_len, unsigned int n_seg)
{
	struct jg_dir *dir = &s->dir[di];
	int32_t rel = (int32_t)(seq - dir->next_seq);
	uint32_t skip = 0;

	if (rel > 0) {
		/* Bytes are missing: whatever message was open is lost. */
		d->cnt[JG_CNT_SEG_GAP]++;
		dir->synced = 0;
		dir->off += (uint32_t)rel;
		hs_reset_stream(dir->hs, 0, NULL, NULL, NULL);
		dir->hs_base = dir->off;
		dir->n_hits = 0;
		dir->next_seq = seq;
	} else if (rel < 0) {
		d->cnt[JG_CNT_SEG_RETRANS]++;
		if ((uint32_t)-rel >= len)
			return;
		skip = (uint32_t)-rel;
	}
	/* A snaplen-cut segment delivers what the capture has; the rest is a gap for the next one. */
	dir->next_seq = seq + len;
	for (unsigned int i = 0; i < n_seg; i++) {
		uint32_t n = seg_len[i];
		const uint8_t *b = seg[i];

		if (skip >= n) {
			skip -= n;
			continue;
		}
		b += skip;
		n -= skip;
		skip = 0;
		in_order(d, s, di, b, n);
	}
}

static void
release_held(struct jg_detect *d, struct jg_session *s, int di)
{
	struct jg_dir *dir = &s->dir[di];
	const uint8_t *b = dir->ooo;
	uint32_t n = dir->ooo_len;

	dir->ooo_len = 0;
	deliver_bytes(d, s, di, dir->ooo_seq, n, &b, &n, 1);
}

void
jg_stream_segment(struct jg_detect *d, struct jg_session *s, int di, const struct jg_pkt *p,
		  const uint8_t *const *seg, const uint32_t *seg_len, unsigned int n_seg)
{
	struct jg_dir *dir = &s->dir[di];
	uint32_t seq = p->tcp_seq;
	int32_t rel;

	if (p->tcp_flags & JG_TCP_SYN) {
		/* The stream's first byte starts a message: framing is in sync from the start. */
		dir->next_seq = seq + 1;
		dir->seq_ok = 1;
		dir->synced = 1;
		dir->hdr_len = dir->msg_len = dir->msg_got = dir->buf_len = 0;
		return;
	}
	if (p->payload_len == 0)
		return;
	if (!dir->seq_ok) { /* picked up mid-stream */
		dir->next_seq = seq;
		dir->seq_ok = 1;
	}
	rel = (int32_t)(seq - dir->next_seq);
	/* Early: hold one segment, the one before it may still come (reordering). */
	if (rel > 0 && rel <= JG_OOO_WINDOW && dir->ooo_len == 0 && p->payload_len <= JG_OOO_BYTES) {
		uint32_t got = 0;

		for (unsigned int i = 0; i < n_seg && got < p->payload_len; i++) {
			memcpy(dir->ooo + got, seg[i], seg_len[i]);
			got += seg_len[i];
		}
		dir->ooo_seq = seq;
		dir->ooo_len = (uint16_t)got;
		return;
	}
	/* Another one beyond the hole: the hole is real; what was held goes first. */
	if (rel > 0 && dir->ooo_len != 0 && (int32_t)(seq - dir->ooo_seq) > 0)
		release_held(d, s, di);
	deliver_bytes(d, s, di, seq, p->payload_len, seg, seg_len, n_seg);
	/* the hole is filled: the held segment follows */
	if (dir->ooo_len != 0 && (int32_t)(dir->ooo_seq - dir->next_seq) <= 0) {
		d->cnt[JG_CNT_SEG_REORDERED]++;
		release_held(d, s, di);
	}
}
