/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Message framing: the protocol side of the line the reassembler draws. It is
 * handed ordered bytes (jg_frame_bytes) and gap notices (jg_frame_gap) and
 * cuts them into messages (NetBIOS-framed SMB, DCE-RPC PDUs; RDP and WinRM
 * need only their first bytes), resynchronising on the next message header
 * after a gap or a mid-stream start, and hands each complete (or capped)
 * message to its protocol's rules.
 *
 * Bytes go to Hyperscan (streaming, so matches span segments) in step with
 * the framer: each message's bytes are scanned just before the message is
 * handed to its protocol, so the matches pending at any time are those of one
 * message, kept as a bitmap of patterns: no count of decoys can push one out.
 */
#include <string.h>

#include "detect_priv.h"

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
	struct jg_detect *d = ctx;

	(void)from;
	(void)to;
	(void)flags;
	d->cnt[JG_CNT_HS_MATCH]++;
	if (id < JG_PAT_MAX)
		d->scan_dir->hits[id / 64] |= 1ull << (id % 64);
	return 0;
}

static void
scan(struct jg_detect *d, struct jg_session *s, int di, const uint8_t *p, uint32_t len)
{
	struct jg_dir *dir = &s->dir[di];

	/* The artifacts are in what the client sends (names it creates, writes, installs):
	 * once the client is known, the server's direction (file reads, listings) is not scanned. */
	if (len == 0 || (s->client_known && di != s->client_dir))
		return;
	d->scan_dir = dir;
	if (hs_scan_stream(dir->hs, (const char *)p, len, 0, d->scratch, on_match, d) != HS_SUCCESS)
		d->cnt[JG_CNT_HS_ERR]++;
	d->cnt[JG_CNT_HS_BYTES] += len;
}

/* Matches outside any message (framing lost, or a protocol without framing): reported with no message context. */
static void
flush_loose(struct jg_detect *d, struct jg_session *s, struct jg_dir *dir)
{
	for (int i = 0; i < JG_HIT_WORDS; i++)
		if (dir->hits[i]) {
			memset(&s->cur, 0, sizeof(s->cur));
			jg_hits_flush(d, s, dir);
			return;
		}
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
	jg_hits_flush(d, s, dir);
	dir->msg_len = dir->msg_got = dir->buf_len = dir->hdr_len = 0;
}

/* Frame in-order bytes into messages, scanning each piece as the framer takes it. */
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
			scan(d, s, di, p, i);
			flush_loose(d, s, dir);
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
			scan(d, s, di, p, take);
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
				flush_loose(d, s, dir);
				continue;
			}
			dir->msg_len = (uint32_t)ml;
		}
		take = dir->msg_len - dir->msg_got < len ? dir->msg_len - dir->msg_got : len;
		scan(d, s, di, p, take);
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

	scan(d, s, di, p, len);
	if (!dir->seen)
		jg_raw_message(d, s, di, p, len < JG_PDU_CAP ? len : JG_PDU_CAP);
	dir->off += len;
	flush_loose(d, s, dir);
}

/*
 * A stream on a port of no protocol of ours whose first segment was too short
 * to tell: its first 16 in-order bytes decide; they are then framed as the
 * protocol's from the start, or the session is given back (app NONE).
 */
static void
undecided(struct jg_detect *d, struct jg_session *s, int di, const uint8_t *p, uint32_t len)
{
	struct jg_dir *dir = &s->dir[di];
	uint8_t first[JG_CLASSIFY_BYTES];
	uint32_t take = JG_CLASSIFY_BYTES - dir->buf_len < len ? JG_CLASSIFY_BYTES - dir->buf_len : len;
	enum jg_app app;

	memcpy(dir->buf + dir->buf_len, p, take);
	dir->buf_len += take;
	if (dir->buf_len < JG_CLASSIFY_BYTES)
		return;
	app = jg_detect_classify_bytes(dir->buf, JG_CLASSIFY_BYTES);
	s->app = (uint8_t)app;
	if (app == JG_APP_NONE)
		return;
	memcpy(first, dir->buf, sizeof(first));
	dir->buf_len = 0;
	dir->synced = 1;
	jg_frame_bytes(d, s, di, first, JG_CLASSIFY_BYTES);
	jg_frame_bytes(d, s, di, p + take, len - take);
}

void
jg_frame_bytes(struct jg_detect *d, struct jg_session *s, int di, const uint8_t *p, uint32_t len)
{
	if (s->app == JG_APP_UNDECIDED) {
		undecided(d, s, di, p, len);
		return;
	}
	if (s->app == JG_APP_SMB || s->app == JG_APP_RPC)
		frame(d, s, di, p, len);
	else
		raw(d, s, di, p, len);
	s->dir[di].seen = 1;
}

void
jg_frame_gap(struct jg_detect *d, struct jg_session *s, int di, uint32_t n)
{
	struct jg_dir *dir = &s->dir[di];

	flush_loose(d, s, dir);
	dir->synced = 0;
	dir->off += n;
	hs_reset_stream(dir->hs, 0, NULL, NULL, NULL);
}
