/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Patterns and detection without EAL: literal encodings, the patterns loader's
 * errors, Hyperscan streaming across segments, and an SMB2 session fed as TCP
 * segments (tiny, retransmitted, with a gap) through the whole detection path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_test_kit.h"
#include "jg_test.h"


static void
test_expr(void)
{
	struct jg_pattern p = { .literal = "PAE" };
	char out[64];

	CHECK(jg_pattern_expr(&p, JG_PAT_ASCII, out, sizeof(out)) == 0 && !strcmp(out, "\\x50\\x41\\x45"));
	CHECK(jg_pattern_expr(&p, JG_PAT_UTF16, out, sizeof(out)) == 0 &&
	      !strcmp(out, "\\x50\\x00\\x41\\x00\\x45\\x00"));
	CHECK(jg_pattern_expr(&p, JG_PAT_UTF16, out, 10) == -ENOSPC);
}

static void
test_loader(void)
{
	static struct jg_patterns pats;
	static struct jg_cfg_errors errs;
	const char *bad = "patterns:\n"
			  "  - { name: a, literal: abcd, tool: nosuchtool }\n"
			  "  - { name: b, tool: psexec }\n"
			  "  - { name: a, literal: xyz1, tool: psexec, kind: weird, encodings: [ebcdic] }\n"
			  "  - { name: c, literal: xy, tool: psexec, colour: red }\n"
			  "other: 1\n";
	int found = 0;

	CHECK(jg_patterns_load_mem("p.yaml", bad, strlen(bad), &pats, &errs) == -EINVAL);
	for (uint32_t i = 0; i < errs.n; i++) {
		const char *m = errs.e[i].msg;

		found += strstr(m, "p.yaml:2: patterns[0].tool: nosuchtool: unknown tool") != NULL;
		found += strstr(m, "p.yaml:3: patterns[1]: literal: missing") != NULL;
		found += strstr(m, "p.yaml:4: patterns[2].kind: weird") != NULL;
		found += strstr(m, "p.yaml:4: patterns[2].encodings: ebcdic: not an encoding") != NULL;
		found += strstr(m, "p.yaml:4: patterns[2]: name: a: given twice") != NULL;
		found += strstr(m, "p.yaml:5: patterns[3].literal: xy: length") != NULL;
		found += strstr(m, "p.yaml:5: patterns[3].colour: unknown key") != NULL;
		found += strstr(m, "p.yaml:6: other: unknown section") != NULL;
	}
	CHECK(found == 8);
	memset(&errs, 0, sizeof(errs));
	CHECK(jg_patterns_load("config/patterns.yaml", &pats, &errs) == 0 && pats.n > 10);
}

/* ---- an SMB2 session as TCP segments ---- */

static uint8_t stream[2][4096];
static size_t slen[2];

static void
put(int dir, const void *p, size_t n)
{
	memcpy(stream[dir] + slen[dir], p, n);
	slen[dir] += n;
}



static uint64_t smb_sid; /* the SessionId the next messages carry */

/* One NetBIOS-framed SMB2 message; body_len bytes of body after the header. */
static void
smb2(int dir, uint16_t cmd, uint64_t mid, uint32_t tid, const uint8_t *body, size_t body_len)
{
	uint8_t h[68];

	kit_smb2_hdr(h, dir, cmd, mid, tid, smb_sid, body_len);
	put(dir, h, 68);
	put(dir, body, body_len);
}

static void
build_session(void)
{
	uint8_t b[512] = { 0 };
	size_t n;

	slen[0] = slen[1] = 0;
	/* TREE_CONNECT \\srv\ADMIN$ and its response (tree 5) */
	smb2(0, 3, 1, 0, b, kit_tree_connect(b, "\\\\srv\\ADMIN$"));
	memset(b, 0, sizeof(b));
	w16(b, 16);
	smb2(1, 3, 1, 5, b, 16);
	/* CREATE PAExec-77-HOSTX.exe in tree 5, and its response with the file id */
	memset(b, 0, sizeof(b));
	w16(b, 57);
	w16(b + 44, 120);
	n = u16s(b + 56, "PAExec-77-HOSTX.exe");
	w16(b + 46, (uint16_t)n);
	smb2(0, 5, 2, 5, b, 56 + n);
	memset(b, 0, sizeof(b));
	w16(b, 89);
	memset(b + 64, 0x5a, 16);
	smb2(1, 5, 2, 5, b, 89);
}



/* What each segment carries besides its bytes: the ACK of the other side's bytes, TTL, checksum, extra flags. */
static size_t acked[2];
static uint8_t seg_ttl = 64, seg_csum_bad, seg_flags;
static uint32_t seg_seq_shift;
static uint64_t seg_ts = 1000000000ull; /* packet time */

/* Feed stream[dir] from `from` to `to` as one segment of the flow (from == to == -1: the SYN). */
static void
segment(struct jg_detect *d, int dir, size_t from, size_t to)
{
	int syn = from == (size_t)-1;

	struct jg_pkt p;
	struct jg_flow *f;
	const uint8_t *seg = stream[dir] + from;
	uint32_t len = (uint32_t)(to - from);
	uint32_t a = 0x0100000a, b = 0x0200000a;
	int fdir;

	memset(&p, 0, sizeof(p));
	memcpy(p.src, dir ? &b : &a, 4);
	memcpy(p.dst, dir ? &a : &b, 4);
	p.sport = dir ? 445 : 50000;
	p.dport = dir ? 50000 : 445;
	p.proto = 6;
	p.ip_version = 4;
	p.tcp_flags = syn ? (dir ? JG_TCP_SYN | JG_TCP_ACK : JG_TCP_SYN) : JG_TCP_ACK | JG_TCP_PSH;
	p.tcp_seq = (dir ? 7000u : 1000u) + (uint32_t)from + seg_seq_shift;
	p.tcp_ack = (dir ? 1000u : 7000u) + (uint32_t)acked[dir];
	p.tcp_win = 65535;
	p.tcp_wscale = 0xff;
	p.ttl = seg_ttl;
	p.csum_bad = seg_csum_bad;
	p.tcp_flags |= seg_flags;
	if (syn) {
		len = 0;
		seg = NULL;
	}
	p.payload_len = len;
	f = jg_flow_packet(&ft, &p, 60 + len, seg_ts, &fdir);
	jg_detect_packet(d, f, &p, fdir, &seg, &len, len ? 1 : 0, seg_ts);
}



/* A fresh context for a test, and the segment writer's state back to its defaults. */
static struct jg_detect *
fresh(struct jg_hs_db *db)
{
	acked[0] = acked[1] = 0;
	seg_ttl = 64;
	seg_csum_bad = seg_flags = 0;
	seg_seq_shift = 0;
	seg_ts = 1000000000ull;
	return kit_fresh(db, NULL);
}

static void
test_session(struct jg_hs_db *db)
{
	struct jg_detect *d = fresh(db);
	const struct jg_event_rec *ev;
	char v[128];

	build_session();
	segment(d, 0, (size_t)-1, (size_t)-1);
	segment(d, 1, (size_t)-1, (size_t)-1);
	/* the client side in 7-byte segments, one of them sent twice; replies interleaved whole */
	for (size_t off = 0; off < slen[0]; off += 7) {
		size_t end = off + 7 < slen[0] ? off + 7 : slen[0];

		segment(d, 0, off, end);
		if (off == 70)
			segment(d, 0, off, end); /* retransmission */
		if (off == 105)
			segment(d, 1, 0, 68 + 16); /* tree connect response, once its request is complete */
	}
	segment(d, 1, 68 + 16, slen[1]);
	CHECK(cnt[JG_CNT_SEG_RETRANS] == 1 && cnt[JG_CNT_SEG_GAP] == 0);
	CHECK(cnt[JG_CNT_PDU] == 4);
	ev = find_event(JG_EV_ADMIN_SESSION, JG_TOOL_UNKNOWN);
	CHECK(ev != NULL && !strcmp(attr(ev, JG_ATTR_SHARE, v, sizeof(v)), "ADMIN$"));
	ev = find_event(JG_EV_TOOL_ARTIFACT, JG_TOOL_PAEXEC);
	CHECK(ev != NULL);
	if (ev != NULL) {
		CHECK(!strcmp(attr(ev, JG_ATTR_FILE, v, sizeof(v)), "PAExec-77-HOSTX.exe"));
		CHECK(!strcmp(attr(ev, JG_ATTR_ORIGIN_HOST, v, sizeof(v)), "HOSTX"));
		CHECK(!strcmp(attr(ev, JG_ATTR_ORIGIN_PID, v, sizeof(v)), "77"));
		CHECK(ev->src_port == 50000 && ev->dst_port == 445 && ev->src_ip[3] == 1 && ev->dst_ip[3] == 2);
	}
	CHECK(jg_detect_sessions_used(d) == 1);
	jg_flow_flush(&ft, 100, 0);
	CHECK(jg_detect_sessions_used(d) == 0);
}

static void
test_gap(struct jg_hs_db *db)
{
	struct jg_detect *d = fresh(db);

	build_session();
	segment(d, 0, (size_t)-1, (size_t)-1);
	segment(d, 1, (size_t)-1, (size_t)-1);
	/* lose the middle of the tree connect: the create after it is still found */
	segment(d, 0, 0, 30);
	segment(d, 0, 40, 68 + 32);
	CHECK(cnt[JG_CNT_SEG_HELD] == 1 && cnt[JG_CNT_SEG_GAP] == 0); /* it may still come */
	acked[1] = 68 + 32; /* the server has it all: the capture lost it */
	segment(d, 1, 0, 68 + 16);
	CHECK(cnt[JG_CNT_SEG_GAP] == 0); /* not at once: the bytes may still be on their way */
	seg_ts += 200000000; /* ... but not 200 ms later */
	segment(d, 0, 68 + 32, slen[0]);
	segment(d, 1, 68 + 16, slen[1]);
	CHECK(cnt[JG_CNT_SEG_GAP] == 1 && cnt[JG_CNT_RESYNC] == 1); /* SYNs start in sync; the gap needs one */
	CHECK(find_event(JG_EV_ADMIN_SESSION, JG_TOOL_UNKNOWN) == NULL); /* that message was lost */
	CHECK(find_event(JG_EV_TOOL_ARTIFACT, JG_TOOL_PAEXEC) != NULL);
}

static void
test_reordered(struct jg_hs_db *db)
{
	struct jg_detect *d = fresh(db);

	build_session();
	segment(d, 0, (size_t)-1, (size_t)-1);
	segment(d, 1, (size_t)-1, (size_t)-1);
	/* two segments of the tree connect swap places: held, then delivered in order */
	segment(d, 0, 0, 40);
	segment(d, 0, 70, 100);
	segment(d, 0, 40, 70);
	segment(d, 1, 0, 68 + 16);
	segment(d, 0, 100, slen[0]);
	segment(d, 1, 68 + 16, slen[1]);
	CHECK(cnt[JG_CNT_SEG_HELD] == 1 && cnt[JG_CNT_SEG_GAP] == 0);
	CHECK(find_event(JG_EV_ADMIN_SESSION, JG_TOOL_UNKNOWN) != NULL);
	CHECK(find_event(JG_EV_TOOL_ARTIFACT, JG_TOOL_PAEXEC) != NULL);
	/* two early segments: both held; the holes are given up when the receiver acknowledges past them */
	d = fresh(db);
	segment(d, 0, (size_t)-1, (size_t)-1);
	segment(d, 1, (size_t)-1, (size_t)-1);
	segment(d, 0, 0, 20);
	segment(d, 0, 40, 60);
	segment(d, 0, 80, 100);
	CHECK(cnt[JG_CNT_SEG_GAP] == 0 && cnt[JG_CNT_SEG_HELD] == 2);
	acked[1] = 100;
	seg_flags = 0;
	segment(d, 1, 0, 0 + 1);
	CHECK(cnt[JG_CNT_SEG_GAP] == 0);
	seg_ts += 200000000;
	segment(d, 1, 1, 2);
	CHECK(cnt[JG_CNT_SEG_GAP] == 2);
}

/* The client's bytes in segments of 1-13 bytes, shuffled within windows of up to 64: any order is put back. */
static void
test_tiny_reorder(struct jg_hs_db *db)
{
	for (unsigned int seed = 1; seed <= 20; seed++) {
		struct jg_detect *d = fresh(db);
		size_t cut[4096], n = 0, order[64];
		unsigned int r = seed;

		build_session();
		segment(d, 0, (size_t)-1, (size_t)-1);
		segment(d, 1, (size_t)-1, (size_t)-1);
		for (size_t off = 0; off < slen[0]; n++) {
			r = r * 1103515245u + 12345u;
			cut[n] = off;
			off += 1 + (r >> 16) % 13;
		}
		cut[n] = slen[0];
		for (size_t w = 0; w < n; w += 64) {
			size_t k = n - w < 64 ? n - w : 64;

			for (size_t i = 0; i < k; i++)
				order[i] = w + i;
			for (size_t i = k; i > 1; i--) {
				size_t j, t;

				r = r * 1103515245u + 12345u;
				j = (r >> 16) % i;
				t = order[i - 1];
				order[i - 1] = order[j];
				order[j] = t;
			}
			for (size_t i = 0; i < k; i++)
				segment(d, 0, cut[order[i]], cut[order[i] + 1]);
		}
		segment(d, 1, 0, slen[1]);
		CHECK(cnt[JG_CNT_SEG_GAP] == 0 && cnt[JG_CNT_SEG_CONFLICT] == 0);
		CHECK(find_event(JG_EV_ADMIN_SESSION, JG_TOOL_UNKNOWN) != NULL);
		CHECK(find_event(JG_EV_TOOL_ARTIFACT, JG_TOOL_PAEXEC) != NULL);
		CHECK(find_event(JG_EV_EVASION, JG_TOOL_UNKNOWN) == NULL);
	}
}

static int
evasion_said(const char *kind)
{
	char v[160];

	for (uint32_t i = 0; i < n_events; i++)
		if (events[i].type == JG_EV_EVASION && !strncmp(attr(&events[i], JG_ATTR_DETAIL, v, sizeof(v)), kind, strlen(kind)))
			return 1;
	return 0;
}

/* What only the monitor would take (insertion) is ignored and said; the real bytes are still read. */
static void
test_insertion(struct jg_hs_db *db)
{
	static const struct {
		const char *kind;
		uint8_t ttl, csum_bad, flags;
		uint32_t shift;
	} chaff[] = {
		{ "bad-checksum", 64, 1, 0, 0 },
		{ "ttl-change", 3, 0, 0, 0 },
		{ "out-of-window", 64, 0, 0, 1u << 30 },
		{ "rst-out-of-window", 64, 0, JG_TCP_RST, 1u << 30 },
		{ "syn-in-session", 64, 0, JG_TCP_SYN, 77777 },
	};
	uint8_t junk[sizeof(stream[0])];

	for (size_t c = 0; c < sizeof(chaff) / sizeof(chaff[0]); c++) {
		struct jg_detect *d = fresh(db);
		struct jg_flow *f;

		build_session();
		memcpy(junk, stream[0], slen[0]);
		segment(d, 0, (size_t)-1, (size_t)-1);
		segment(d, 1, (size_t)-1, (size_t)-1);
		for (size_t off = 0; off < slen[0]; off += 20) {
			size_t end = off + 20 < slen[0] ? off + 20 : slen[0];

			/* chaff first, at the same place, with other bytes */
			memset(stream[0] + off, 'X', end - off);
			seg_ttl = chaff[c].ttl;
			seg_csum_bad = chaff[c].csum_bad;
			seg_flags = chaff[c].flags;
			seg_seq_shift = chaff[c].shift;
			segment(d, 0, off, end);
			seg_ttl = 64;
			seg_csum_bad = seg_flags = 0;
			seg_seq_shift = 0;
			memcpy(stream[0] + off, junk + off, end - off);
			segment(d, 0, off, end);
		}
		segment(d, 1, 0, slen[1]);
		CHECK(evasion_said(chaff[c].kind));
		CHECK(find_event(JG_EV_ADMIN_SESSION, JG_TOOL_UNKNOWN) != NULL);
		CHECK(find_event(JG_EV_TOOL_ARTIFACT, JG_TOOL_PAEXEC) != NULL);
		f = NULL;
		for (uint32_t i = 0; f == NULL && i < ft.capacity; i++)
			if (ft.sigs[i / JG_FLOW_BUCKET][i % JG_FLOW_BUCKET] != 0)
				f = &ft.flows[i];
		CHECK(f != NULL && f->tcp_state != JG_TCP_CLOSED); /* a forged RST ends nothing */
	}
}

/* A capture made before the sender's checksum offload: every data checksum is bad, the receiver takes them all. */
static void
test_offload(struct jg_hs_db *db)
{
	struct jg_detect *d = fresh(db);

	build_session();
	segment(d, 0, (size_t)-1, (size_t)-1);
	segment(d, 1, (size_t)-1, (size_t)-1);
	seg_csum_bad = 1;
	segment(d, 0, 0, 100);
	CHECK(find_event(JG_EV_ADMIN_SESSION, JG_TOOL_UNKNOWN) == NULL); /* held until the receiver says */
	seg_csum_bad = 0;
	acked[1] = 100;
	segment(d, 1, 0, 68 + 16);
	seg_ts += 200000000;
	seg_csum_bad = 1;
	segment(d, 0, 100, slen[0]); /* the direction's checksums are no longer looked at */
	seg_csum_bad = 0;
	segment(d, 1, 68 + 16, slen[1]);
	CHECK(find_event(JG_EV_ADMIN_SESSION, JG_TOOL_UNKNOWN) != NULL);
	CHECK(find_event(JG_EV_TOOL_ARTIFACT, JG_TOOL_PAEXEC) != NULL);
	CHECK(find_event(JG_EV_EVASION, JG_TOOL_UNKNOWN) == NULL && cnt[JG_CNT_SEG_GAP] == 0);
}

/*
 * Insertion past a hole: junk with bad checksums after a missing segment, then
 * the receiver's ACK past all of it (it has the true bytes, which this worker
 * has not seen yet). The ACK vouches only for weak bytes right at the next
 * expected one; past the hole the junk stays weak, and the true copy that
 * comes next replaces it.
 */
static void
test_weak_past_hole(struct jg_hs_db *db)
{
	struct jg_detect *d = fresh(db);
	uint8_t keep[4096];

	build_session();
	segment(d, 0, (size_t)-1, (size_t)-1);
	segment(d, 1, (size_t)-1, (size_t)-1);
	memcpy(keep, stream[0], slen[0]);
	memset(stream[0] + 100, 'x', slen[0] - 100);
	seg_csum_bad = 1;
	segment(d, 0, 100, slen[0]);
	seg_csum_bad = 0;
	memcpy(stream[0], keep, slen[0]);
	acked[1] = slen[0];
	segment(d, 1, 0, 0); /* a bare ACK of everything */
	segment(d, 0, 0, 100);
	segment(d, 0, 100, slen[0]);
	segment(d, 1, 0, slen[1]);
	CHECK(find_event(JG_EV_TOOL_ARTIFACT, JG_TOOL_PAEXEC) != NULL);
	CHECK(find_event(JG_EV_ADMIN_SESSION, JG_TOOL_UNKNOWN) != NULL);
}

/* Overlaps with other bytes: the first copy wins (held or already delivered), and it is said. */
static void
test_conflict(struct jg_hs_db *db)
{
	for (int held = 0; held < 2; held++) {
		struct jg_detect *d = fresh(db);
		uint8_t keep[16];

		build_session();
		segment(d, 0, (size_t)-1, (size_t)-1);
		segment(d, 1, (size_t)-1, (size_t)-1);
		if (held)
			segment(d, 0, 100, slen[0]); /* early: held */
		else
			segment(d, 0, 0, 100);
		memcpy(keep, stream[0] + (held ? 120 : 50), 16);
		memset(stream[0] + (held ? 120 : 50), 'Z', 16); /* the same place again, other bytes */
		segment(d, 0, held ? 120 : 50, held ? 136 : 66);
		memcpy(stream[0] + (held ? 120 : 50), keep, 16);
		if (held)
			segment(d, 0, 0, 100);
		else
			segment(d, 0, 100, slen[0]);
		segment(d, 1, 0, slen[1]);
		CHECK(cnt[JG_CNT_SEG_CONFLICT] == 1 && evasion_said("tcp-overlap-conflict"));
		CHECK(find_event(JG_EV_TOOL_ARTIFACT, JG_TOOL_PAEXEC) != NULL);
	}
}

static void
test_pool_full(struct jg_hs_db *db)
{
	struct jg_detect *d = fresh(db);
	struct jg_pkt p;
	uint32_t len = 4;
	const uint8_t *seg = (const uint8_t *)"\0\0\0\0";

	for (int i = 0; i < 6; i++) {
		struct jg_flow *f;
		int dir;

		memset(&p, 0, sizeof(p));
		p.src[0] = (uint8_t)(i + 1);
		p.dst[0] = 99;
		p.sport = 40000;
		p.dport = 445;
		p.proto = 6;
		p.ip_version = 4;
		p.payload_len = 4;
		f = jg_flow_packet(&ft, &p, 64, 1, &dir);
		jg_detect_packet(d, f, &p, dir, &seg, &len, 1, 1);
	}
	CHECK(cnt[JG_CNT_SESS_NEW] == 4 && cnt[JG_CNT_SESS_FULL] == 2);
	CHECK(n_events == 2 && events[0].type == JG_EV_INSPECTION_CUT && events[1].type == JG_EV_INSPECTION_CUT);
	CHECK(events[0].dst_port == 445 && events[0].src_ip[0] == 5);
}

/* One segment of flow `host` (client 10.0.0.host:50000 <-> server 10.0.0.2:port), direction dir. */

static void
raw_segment(struct jg_detect *d, uint8_t host, int dir, uint8_t flags, uint32_t seq, const uint8_t *data, uint32_t len)
{
	tcp_packet(d, host, 445, dir, flags, seq, data, len);
}

/* The out-of-order store's bounds: a direction's window, the worker's buffers. */
static void
test_ooo_bounds(struct jg_hs_db *db)
{
	static const uint8_t junk[64];
	struct jg_detect *d = fresh(db);

	/* past the window (64 KiB here): the oldest hole is given up to make room */
	raw_segment(d, 1, 0, JG_TCP_SYN, 999, NULL, 0);
	raw_segment(d, 1, 0, JG_TCP_ACK, 1000 + 100, junk, 64);
	CHECK(cnt[JG_CNT_SEG_HELD] == 1 && cnt[JG_CNT_SEG_GAP] == 0);
	raw_segment(d, 1, 0, JG_TCP_ACK, 1000 + 70000, junk, 64);
	CHECK(cnt[JG_CNT_SEG_OOO_FULL] >= 1 && cnt[JG_CNT_SEG_GAP] >= 1);
	/* four buffers: two flows hold early bytes both ways; a third flow finds none */
	d = fresh(db);
	for (uint8_t h = 1; h <= 3; h++) {
		raw_segment(d, h, 0, JG_TCP_SYN, 999, NULL, 0);
		raw_segment(d, h, 1, JG_TCP_SYN | JG_TCP_ACK, 4999, NULL, 0);
		raw_segment(d, h, 0, JG_TCP_ACK, 1000 + 100, junk, 64);
		if (h < 3)
			raw_segment(d, h, 1, JG_TCP_ACK, 5000 + 100, junk, 64);
	}
	CHECK(cnt[JG_CNT_SEG_HELD] == 4 && cnt[JG_CNT_SEG_OOO_POOL] == 1);
	CHECK(n_events == 1 && events[0].type == JG_EV_INSPECTION_CUT && events[0].src_ip[3] == 3);
	/* the flows end: what was held goes out (holes as gaps) and the buffers come back */
	jg_flow_flush(&ft, 100, 0);
	CHECK(jg_detect_sessions_used(d) == 0 && d->ooo_free != 0);
	d = fresh(db);
	for (uint8_t h = 1; h <= 4; h++) {
		raw_segment(d, h, 0, JG_TCP_SYN, 999, NULL, 0);
		raw_segment(d, h, 0, JG_TCP_ACK, 1000 + 100, junk, 64);
	}
	CHECK(cnt[JG_CNT_SEG_HELD] == 4 && cnt[JG_CNT_SEG_OOO_POOL] == 0);
}

/* ---- DCE-RPC over TCP on a dynamic port: no count or form of PDU hides a service install ---- */

static uint8_t rpdu[8192];


/* bind: `junk` contexts of made-up interfaces, then svcctl as context 77, then svcctl again as 78
 * (Windows offers the bind-time feature negotiation as a second context of the same interface) */
static size_t
rpc_bind(uint8_t *p, int junk, int be)
{
	static const uint8_t svcctl_le[16] = { 0x81, 0xbb, 0x7a, 0x36, 0x44, 0x98, 0xf1, 0x35,
					       0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03 };
	size_t off = rpc_hdr(p, JG_RPC_BIND, 3, be, 1) + 8;

	p[off] = (uint8_t)(junk + 2);
	off += 4;
	for (int i = 0; i <= junk + 1; i++, off += 44) {
		uint8_t *c = p + off;

		memset(c, 0, 44);
		put16x(c, (uint16_t)(i >= junk ? 77 + i - junk : i), be);
		c[2] = 1;
		if (i >= junk) {
			memcpy(c + 4, svcctl_le, 16);
			if (be) { /* the first three fields in the sender's order */
				for (int k = 0; k < 4; k++)
					c[4 + k] = svcctl_le[3 - k];
				c[8] = svcctl_le[5], c[9] = svcctl_le[4], c[10] = svcctl_le[7], c[11] = svcctl_le[6];
			}
		} else {
			memset(c + 4, 0x40 + i, 16);
		}
		put16x(c + 20, 2, be);
	}
	finish_pdu(p, off, be);
	return off;
}

/* bind_ack: every junk context refused, svcctl accepted, the feature negotiation acknowledged */
static size_t
rpc_bind_ack(uint8_t *p, int junk, int be)
{
	size_t off = rpc_hdr(p, JG_RPC_BIND_ACK, 3, be, 1) + 8;

	put16x(p + off, 4, be);
	memcpy(p + off + 2, "135", 4);
	off = (off + 2 + 4 + 3) & ~(size_t)3;
	p[off] = (uint8_t)(junk + 2);
	off += 4;
	for (int i = 0; i <= junk + 1; i++, off += 24) {
		memset(p + off, 0, 24);
		put16x(p + off, i == junk ? 0 : i == junk + 1 ? 3 : 2, be); /* 3: negotiate_ack */
	}
	finish_pdu(p, off, be);
	return off;
}


/* CreateServiceW's stub: handle, name, no display name, access/type/start/error, binary path */
static size_t
svc_stub(uint8_t *p, const char *name, const char *path, int be)
{
	size_t off = 20;

	memset(p, 0, 20);
	off = ndr_wstr(p, off, name, be);
	put32x(p + off, 0, be);
	off += 4;
	put32x(p + off, 0xf01ff, be);
	put32x(p + off + 4, 0x10, be);
	put32x(p + off + 8, 3, be);
	put32x(p + off + 12, 1, be);
	off += 16;
	return ndr_wstr(p, off, path, be);
}

/* the request in `frags` fragments */
static size_t
rpc_request(uint8_t *p, const uint8_t *stub, size_t stub_len, int frags, int be)
{
	size_t off = 0, per = (stub_len + (size_t)frags - 1) / (size_t)frags;

	for (int f = 0; f < frags; f++) {
		size_t from = (size_t)f * per, n = from + per > stub_len ? stub_len - from : per;
		uint8_t *h = p + off;

		rpc_hdr(h, JG_RPC_REQUEST, (uint8_t)((f == 0 ? 1 : 0) | (f == frags - 1 ? 2 : 0)), be, 2);
		put32x(h + 16, (uint32_t)stub_len, be);
		put16x(h + 20, 77, be);
		put16x(h + 22, 12, be);
		memcpy(h + 24, stub + from, n);
		finish_pdu(h, 24 + n, be);
		off += 24 + n;
	}
	return off;
}

static void
rpc_flow(struct jg_detect *d, int dir, uint32_t *seq, const uint8_t *p, size_t len)
{
	tcp_packet(d, 7, 49155, dir, JG_TCP_ACK | JG_TCP_PSH, seq[dir], p, (uint32_t)len);
	seq[dir] += (uint32_t)len;
}

static void
test_rpc_evasions(struct jg_hs_db *db)
{
	static uint8_t stub[1024];
	static const struct {
		int junk, frags, be, first1;
	} cases[] = { { 0, 1, 0, 0 }, { 20, 1, 0, 0 }, { 0, 3, 0, 0 }, { 0, 1, 1, 0 }, { 20, 3, 1, 1 }, { 0, 1, 0, 1 } };
	char v[256];

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct jg_detect *d = fresh(db);
		uint32_t seq[2] = { 1000, 5000 };
		const struct jg_event_rec *ev;
		size_t n, sl = svc_stub(stub, "PAExec-4242-WKSTN07", "%SystemRoot%\\PAExec-4242-WKSTN07.exe -service",
					cases[c].be);

		n = rpc_bind(rpdu, cases[c].junk, cases[c].be);
		if (cases[c].first1) { /* one byte first: too few to tell the protocol by */
			rpc_flow(d, 0, seq, rpdu, 1);
			CHECK(jg_detect_sessions_used(d) == 1);
			rpc_flow(d, 0, seq, rpdu + 1, n - 1);
		} else {
			rpc_flow(d, 0, seq, rpdu, n);
		}
		n = rpc_bind_ack(rpdu, cases[c].junk, cases[c].be);
		rpc_flow(d, 1, seq, rpdu, n);
		n = rpc_request(rpdu, stub, sl, cases[c].frags, cases[c].be);
		rpc_flow(d, 0, seq, rpdu, n);
		jg_flow_flush(&ft, 100, 0);
		ev = find_event(JG_EV_SERVICE_INSTALL, JG_TOOL_PAEXEC);
		CHECK(ev != NULL);
		if (ev == NULL) {
			fprintf(stderr, "case %zu: junk %d frags %d big-endian %d first byte alone %d\n", c, cases[c].junk,
				cases[c].frags, cases[c].be, cases[c].first1);
			continue;
		}
		CHECK(!strcmp(attr(ev, JG_ATTR_SERVICE_NAME, v, sizeof(v)), "PAExec-4242-WKSTN07"));
		CHECK(!strcmp(attr(ev, JG_ATTR_BINARY_PATH, v, sizeof(v)), "%SystemRoot%\\PAExec-4242-WKSTN07.exe -service"));
		CHECK(!strcmp(attr(ev, JG_ATTR_RPC_INTERFACE, v, sizeof(v)), "svcctl"));
		ev = find_event(JG_EV_TOOL_ARTIFACT, JG_TOOL_PAEXEC);
		CHECK(ev != NULL && !strcmp(attr(ev, JG_ATTR_ORIGIN_HOST, v, sizeof(v)), "WKSTN07"));
	}
}

/* A request in fragments longer than the 4 KiB kept: counted, and what was kept still parsed. */
static void
test_rpc_request_cut(struct jg_hs_db *db)
{
	static uint8_t stub[8192];
	struct jg_detect *d = fresh(db);
	uint32_t seq[2] = { 1000, 5000 };
	size_t n, sl = svc_stub(stub, "PAExec-1-LONG", "%SystemRoot%\\PAExec-1-LONG.exe -service", 0);

	memset(stub + sl, 'A', 6000); /* a long tail past what is kept */
	n = rpc_bind(rpdu, 0, 0);
	rpc_flow(d, 0, seq, rpdu, n);
	n = rpc_bind_ack(rpdu, 0, 0);
	rpc_flow(d, 1, seq, rpdu, n);
	n = rpc_request(rpdu, stub, sl + 6000, 3, 0);
	rpc_flow(d, 0, seq, rpdu, n);
	CHECK(cnt[JG_CNT_RPC_REQ_CUT] >= 1);
	CHECK(find_event(JG_EV_SERVICE_INSTALL, JG_TOOL_PAEXEC) != NULL);
}

/* A SYN sweep takes no session; a flow of another protocol that starts with one byte gives its session back. */
static void
test_sessions_at_payload(struct jg_hs_db *db)
{
	struct jg_detect *d = fresh(db);
	uint32_t seq[2] = { 1000, 5000 };

	for (uint8_t h = 1; h <= 200; h++)
		raw_segment(d, h, 0, JG_TCP_SYN, 999, NULL, 0);
	CHECK(cnt[JG_CNT_SESS_NEW] == 0 && cnt[JG_CNT_SESS_FULL] == 0 && n_events == 0);
	rpc_flow(d, 0, seq, (const uint8_t *)"G", 1);
	CHECK(jg_detect_sessions_used(d) == 1);
	rpc_flow(d, 0, seq, (const uint8_t *)"ET / HTTP/1.1\r\nHost: x\r\n", 24);
	CHECK(jg_detect_sessions_used(d) == 0 && n_events == 0);
}

/* A session setup request carrying an NTLMSSP AUTHENTICATE for user@CORP from host. */
static void
session_setup(const char *user, const char *host)
{
	uint8_t b[256];

	smb2(0, 1, 1, 0, b, kit_session_setup(b, user, host));
}

static void
tree_connect(uint64_t mid, const char *path)
{
	uint8_t b[128];

	smb2(0, 3, mid, 0, b, kit_tree_connect(b, path));
}

/* Two users on one SMB connection (an RDS jump host): each event names the user of its SessionId. */
static void
test_smb_users(struct jg_hs_db *db)
{
	struct jg_detect *d = fresh(db);
	char v[64];
	int alice = 0, bob = 0;

	slen[0] = slen[1] = 0;
	smb_sid = 0x1000000001ull;
	session_setup("alice", "JUMP1");
	smb_sid = 0x1000000002ull;
	session_setup("bob", "JUMP1");
	smb_sid = 0x1000000001ull;
	tree_connect(2, "\\\\srv\\ADMIN$");
	smb_sid = 0x1000000002ull;
	tree_connect(3, "\\\\srv\\C$");
	smb_sid = 0;
	segment(d, 0, (size_t)-1, (size_t)-1);
	segment(d, 1, (size_t)-1, (size_t)-1);
	segment(d, 0, 0, slen[0]);
	for (uint32_t i = 0; i < n_events; i++) {
		if (events[i].type != JG_EV_ADMIN_SESSION)
			continue;
		attr(&events[i], JG_ATTR_SHARE, v, sizeof(v));
		if (!strcmp(v, "ADMIN$"))
			alice = !strcmp(attr(&events[i], JG_ATTR_USER, v, sizeof(v)), "alice");
		else if (!strcmp(v, "C$"))
			bob = !strcmp(attr(&events[i], JG_ATTR_USER, v, sizeof(v)), "bob");
	}
	CHECK(alice && bob);
}

/* One packet of an RDP flow from 10.0.0.host:50000 to 10.0.0.2:3389. */
static void
rdp_packet(struct jg_detect *d, uint8_t host, int dir, uint8_t flags, uint32_t seq, const char *data, uint32_t len)
{
	tcp_packet(d, host, 3389, dir, flags, seq, (const uint8_t *)data, len);
}

/* RDP judged on its first client bytes keeps no session; a first segment too short for that takes one. */
static void
test_rdp_first_bytes(struct jg_hs_db *db)
{
	static const char cr[] = "\x03\x00\x00\x2a\x25\xe0\x00\x00\x00\x00\x00" "Cookie: mstshash=alice\r\n";
	struct jg_detect *d = fresh(db);
	char v[64];

	rdp_packet(d, 1, 0, JG_TCP_SYN, 999, NULL, 0);
	rdp_packet(d, 1, 1, JG_TCP_SYN | JG_TCP_ACK, 4999, NULL, 0);
	rdp_packet(d, 1, 0, JG_TCP_ACK | JG_TCP_PSH, 1000, cr, sizeof(cr) - 1);
	CHECK(cnt[JG_CNT_SESS_LIGHT] == 1 && jg_detect_sessions_used(d) == 0 && cnt[JG_CNT_SESS_NEW] == 0);
	CHECK(n_events == 1 && events[0].type == JG_EV_RDP_SESSION &&
	      !strcmp(attr(&events[0], JG_ATTR_USER, v, sizeof(v)), "alice") && events[0].dst_port == 3389);
	/* five bytes first: the rest may hold the cookie, a session puts them together */
	rdp_packet(d, 2, 0, JG_TCP_SYN, 999, NULL, 0);
	rdp_packet(d, 2, 1, JG_TCP_SYN | JG_TCP_ACK, 4999, NULL, 0);
	rdp_packet(d, 2, 0, JG_TCP_ACK | JG_TCP_PSH, 1000, cr, 5);
	CHECK(cnt[JG_CNT_SESS_LIGHT] == 1 && jg_detect_sessions_used(d) == 1);
}

/* SMB's bounds: eight trees (ordinary shares never push ADMIN$ out), eight users (the oldest gives way). */
static void
test_smb_bounds(struct jg_hs_db *db)
{
	static const uint8_t resp[16] = { 16 };
	struct jg_detect *d = fresh(db);
	struct jg_session *s = NULL;
	size_t c0 = 0, c1 = 0;
	char path[40];
	int admin = 0, first_user = 0, users = 0;

	slen[0] = slen[1] = 0;
	segment(d, 0, (size_t)-1, (size_t)-1);
	segment(d, 1, (size_t)-1, (size_t)-1);
	for (int u = 1; u <= JG_SMB_USERS + 1; u++) { /* one more user than kept */
		char name[16];

		smb_sid = (uint64_t)u;
		snprintf(name, sizeof(name), "user%d", u);
		session_setup(name, "JUMP1");
		segment(d, 0, c0, slen[0]);
		c0 = slen[0];
	}
	for (int t = 0; t <= JG_TREES + 4; t++) { /* ADMIN$ first, then twelve ordinary shares, each answered */
		if (t == 0)
			snprintf(path, sizeof(path), "\\\\srv\\ADMIN$");
		else
			snprintf(path, sizeof(path), "\\\\srv\\share%d", t);
		tree_connect((uint64_t)(10 + t), path);
		smb2(1, 3, (uint64_t)(10 + t), (uint32_t)(t == 0 ? 5 : 100 + t), resp, 16);
		segment(d, 0, c0, slen[0]);
		segment(d, 1, c1, slen[1]);
		c0 = slen[0];
		c1 = slen[1];
	}
	for (uint32_t i = 0; i < ft.capacity; i++)
		if (ft.flows[i].app >= 2)
			s = &d->sess[ft.flows[i].app - 2];
	CHECK(s != NULL);
	if (s == NULL)
		return;
	for (int i = 0; i < JG_TREES; i++)
		admin |= s->trees[i].id == 5 && !strcmp(s->trees[i].share, "ADMIN$");
	for (int i = 0; i < JG_SMB_USERS; i++) {
		users += s->users[i].used;
		first_user |= s->users[i].used && s->users[i].sid == 1;
	}
	CHECK(admin && users == JG_SMB_USERS && !first_user);
}

int
main(void)
{
	struct jg_hs_db *db;

	test_expr();
	test_loader();
	if ((db = kit_db()) == NULL) {
		CHECK(!"patterns compile");
		return jg_test_done();
	}
	test_session(db);
	test_gap(db);
	test_reordered(db);
	test_tiny_reorder(db);
	test_insertion(db);
	test_conflict(db);
	test_offload(db);
	test_weak_past_hole(db);
	test_ooo_bounds(db);
	test_rpc_evasions(db);
	test_rpc_request_cut(db);
	test_sessions_at_payload(db);
	test_smb_users(db);
	test_rdp_first_bytes(db);
	test_smb_bounds(db);
	test_pool_full(db);
	kit_done();
	jg_hs_free(db);
	return jg_test_done();
}
