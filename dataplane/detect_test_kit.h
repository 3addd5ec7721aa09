/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What the detection unit tests share: a detection context and a flow table
 * without EAL, the events they yield, a TCP packet of a crafted flow, and
 * DCE-RPC/NDR writers in either byte order. Included by one test per binary.
 */
#ifndef JG_DETECT_TEST_KIT_H
#define JG_DETECT_TEST_KIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_priv.h"
#include "jg_test_bytes.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

static uint64_t cnt[JG_CNT_MAX];
static struct jg_event_rec events[64];
static unsigned int n_events;

static void
on_event(void *ctx, struct jg_flow *f, struct jg_event_rec *ev)
{
	(void)ctx;
	(void)f;
	if (n_events < 64)
		events[n_events++] = *ev;
}

static void *
zalloc(size_t n)
{
	return calloc(1, n);
}

/* The value of a string attribute of an event, "" when absent. */
static const char *
attr(const struct jg_event_rec *ev, enum jg_attr key, char *out, size_t cap)
{
	out[0] = '\0';
	for (uint32_t off = 0; off + 2 <= ev->data_len && ev->data[off];) {
		uint8_t k = ev->data[off], n = ev->data[off + 1];

		if (k == key) {
			if (jg_attr_kinds[k] == JG_ATTR_UINT) {
				uint64_t x;

				memcpy(&x, &ev->data[off + 2], sizeof(x));
				snprintf(out, cap, "%llu", (unsigned long long)x);
			} else {
				snprintf(out, cap, "%.*s", n, (const char *)&ev->data[off + 2]);
			}
			break;
		}
		off += 2u + n;
	}
	return out;
}

static const struct jg_event_rec *
find_event(enum jg_event_type type, uint8_t tool)
{
	for (unsigned int i = 0; i < n_events; i++)
		if (events[i].type == type && events[i].tool == tool)
			return &events[i];
	return NULL;
}

static struct jg_flow_table ft;

static int
no_emit(void *c, const struct jg_flow *f, enum jg_flow_end r)
{
	(void)c;
	(void)f;
	(void)r;
	return 0;
}

static struct jg_detect *cur_det;

static void
release(void *c, struct jg_flow *f)
{
	(void)c;
	jg_detect_release(cur_det, f);
}

static void *mem;

static void
tcp_packet(struct jg_detect *d, uint8_t host, uint16_t port, int dir, uint8_t flags, uint32_t seq, const uint8_t *data,
	   uint32_t len)
{
	struct jg_pkt p;
	struct jg_flow *f;
	int fdir;

	memset(&p, 0, sizeof(p));
	p.src[0] = p.dst[0] = 10;
	p.src[3] = dir ? 2 : host;
	p.dst[3] = dir ? host : 2;
	p.sport = dir ? port : 50000;
	p.dport = dir ? 50000 : port;
	p.proto = 6;
	p.ip_version = 4;
	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.tcp_win = 65535;
	p.tcp_wscale = 0xff;
	p.ttl = 64;
	p.payload_len = len;
	f = jg_flow_packet(&ft, &p, 60 + len, 1000000000ull, &fdir);
	jg_detect_packet(d, f, &p, fdir, &data, &len, len ? 1 : 0, 1000000000ull);
}

/* A PDU header in either byte order; @return 16 */
static size_t
rpc_hdr(uint8_t *p, uint8_t ptype, uint8_t flags, int be, uint32_t call_id)
{
	memset(p, 0, 16);
	p[0] = 5;
	p[2] = ptype;
	p[3] = flags;
	p[4] = be ? 0x00 : 0x10;
	if (be)
		p[12] = (uint8_t)(call_id >> 24), p[13] = (uint8_t)(call_id >> 16), p[14] = (uint8_t)(call_id >> 8),
		p[15] = (uint8_t)call_id;
	else
		w32(p + 12, call_id);
	return 16;
}

static void
put16x(uint8_t *p, uint16_t v, int be)
{
	if (be)
		p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
	else
		w16(p, v);
}

static void
put32x(uint8_t *p, uint32_t v, int be)
{
	if (be)
		p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
	else
		w32(p, v);
}

static void
finish_pdu(uint8_t *p, size_t len, int be)
{
	put16x(p + 8, (uint16_t)len, be);
}

/* NDR conformant varying string (wide), in either byte order */
static size_t
ndr_wstr(uint8_t *p, size_t off, const char *s, int be)
{
	size_t n = strlen(s) + 1;

	put32x(p + off, (uint32_t)n, be);
	put32x(p + off + 4, 0, be);
	put32x(p + off + 8, (uint32_t)n, be);
	off += 12;
	for (size_t i = 0; i < n; i++)
		put16x(p + off + 2 * i, (uint8_t)s[i], be);
	off += 2 * n;
	return (off + 3) & ~(size_t)3;
}

/** An NTLMSSP AUTHENTICATE (Unicode) for user@CORP from workstation ws, written at a. @return its length */
static size_t
kit_ntlm_auth(uint8_t *a, const char *user, const char *ws)
{
	size_t n = 72, un = strlen(user) * 2, hn = strlen(ws) * 2;

	memcpy(a, "NTLMSSP", 8);
	w32(a + 8, 3);
	w32(a + 60, 0x1); /* flags: unicode */
	w16(a + 28, 8), w16(a + 30, 8), w32(a + 32, (uint32_t)n);
	n += u16s(a + n, "CORP");
	w16(a + 36, (uint16_t)un), w16(a + 38, (uint16_t)un), w32(a + 40, (uint32_t)n);
	n += u16s(a + n, user);
	w16(a + 44, (uint16_t)hn), w16(a + 46, (uint16_t)hn), w32(a + 48, (uint32_t)n);
	return n + u16s(a + n, ws);
}

/** The NetBIOS header and SMB2 header of a message with body_len bytes of body, written at h (68 bytes). */
static void
kit_smb2_hdr(uint8_t *h, int dir, uint16_t cmd, uint64_t mid, uint32_t tid, uint64_t sid, size_t body_len)
{
	size_t n = 64 + body_len;

	memset(h, 0, 68);
	h[1] = (uint8_t)(n >> 16);
	h[2] = (uint8_t)(n >> 8);
	h[3] = (uint8_t)n;
	memcpy(h + 4, "\xfeSMB", 4);
	w16(h + 8, 64);
	w16(h + 16, cmd);
	h[20] = dir ? 1 : 0;
	memcpy(h + 28, &mid, 8);
	memcpy(h + 40, &tid, 4);
	memcpy(h + 44, &sid, 8);
}

/** A SESSION_SETUP request body carrying an NTLMSSP AUTHENTICATE for user@CORP from ws. @return its length */
static size_t
kit_session_setup(uint8_t *b, const char *user, const char *ws)
{
	size_t n = kit_ntlm_auth(b + 24, user, ws);

	memset(b, 0, 24);
	w16(b, 25);
	w16(b + 12, 64 + 24);
	w16(b + 14, (uint16_t)n);
	return 24 + n;
}

/** A TREE_CONNECT request body for path. @return its length */
static size_t
kit_tree_connect(uint8_t *b, const char *path)
{
	size_t n;

	memset(b, 0, 8);
	w16(b, 9);
	w16(b + 4, 72);
	n = u16s(b + 8, path);
	w16(b + 6, (uint16_t)n);
	return 8 + n;
}

/** A fresh context (lim, or 4 sessions and 4 buffers of 64 KiB) and flow table; the events and counters emptied. */
static struct jg_detect *
kit_fresh(struct jg_hs_db *db, const struct jg_detect_limits *lim)
{
	static const struct jg_detect_limits small = { 4, 4, 65536, JG_OVERLAP_FIRST, 0 };
	struct jg_flow_timeouts to = { 300e9, 60e9, 30e9, 5e9, 1800e9, 3600e9 };
	struct jg_detect *d;

	jg_detect_destroy(cur_det, free);
	d = jg_detect_create(db, lim ? lim : &small, 0, on_event, NULL, zalloc, cnt);
	if (mem == NULL)
		mem = aligned_alloc(64, jg_flow_table_mem_size(1024));
	memset(mem, 0, jg_flow_table_mem_size(1024));
	jg_flow_table_init(&ft, mem, 1024, 1, &to, no_emit, NULL, cnt);
	ft.release = release;
	jg_detect_set_flows(d, &ft);
	cur_det = d;
	n_events = 0;
	memset(cnt, 0, sizeof(cnt));
	return d;
}

/** The bundled patterns and rules (config/patterns.yaml, from the source root), compiled. @return NULL with the errors printed */
static struct jg_hs_db *
kit_db(void)
{
	static struct jg_patterns pats;
	static struct jg_cfg_errors errs;
	struct jg_hs_db *db = NULL;

	memset(&errs, 0, sizeof(errs));
	if (jg_patterns_load("config/patterns.yaml", &pats, &errs) != 0 || (db = jg_hs_compile(&pats, &errs)) == NULL)
		for (uint32_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.e[i].msg);
	return db;
}

/** Free what kit_fresh() made. */
static void
kit_done(void)
{
	jg_detect_destroy(cur_det, free);
	cur_det = NULL;
	free(mem);
	mem = NULL;
}

#pragma GCC diagnostic pop

#endif
