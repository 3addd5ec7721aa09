/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sessions, classification and events. A flow gets a session only when its
 * ports or its first payload say it can carry remote administration; every
 * other flow costs one test of flow->app per packet.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "detect_priv.h"
#include "jg_hash.h"

size_t
jg_detect_session_size(void)
{
	return sizeof(struct jg_session);
}

uint32_t
jg_detect_sessions_used(const struct jg_detect *d)
{
	return d->used;
}

struct jg_detect *
jg_detect_create(const struct jg_hs_db *db, const struct jg_detect_limits *lim, uint16_t worker, jg_event_fn emit,
		 void *emit_ctx, void *(*mem_alloc)(size_t), uint64_t *cnt)
{
	struct jg_detect *d = mem_alloc(sizeof(*d));
	uint32_t sessions = lim->sessions;

	if (d == NULL || sessions == 0 || lim->ooo_window < 4096 || (lim->ooo_window & (lim->ooo_window - 1)) != 0 ||
	    lim->policy > JG_OVERLAP_LAST) {
		errno = EINVAL;
		return NULL;
	}
	memset(d, 0, sizeof(*d));
	d->db = db;
	d->worker = worker;
	d->emit = emit;
	d->emit_ctx = emit_ctx;
	d->cnt = cnt;
	d->n_sess = sessions;
	d->self = d;
	d->peers = &d->self;
	d->n_peers = 1;
	d->policy = lim->policy;
	d->no_discovery = lim->no_discovery;
	d->ooo_win = lim->ooo_window;
	d->ooo_n = lim->ooo_buffers;
	d->sess = mem_alloc((size_t)sessions * sizeof(struct jg_session));
	if (d->sess == NULL)
		return NULL;
	if (d->ooo_n != 0) {
		d->ooo_mem = mem_alloc((size_t)d->ooo_n * jg_detect_ooo_size(d->ooo_win));
		d->ooo_next = mem_alloc((size_t)d->ooo_n * sizeof(uint32_t));
		if (d->ooo_mem == NULL || d->ooo_next == NULL)
			return NULL;
		for (uint32_t i = 0; i < d->ooo_n; i++)
			d->ooo_next[i] = i + 2 <= d->ooo_n ? i + 2 : 0;
		d->ooo_free = 1;
	}
	memset(d->sess, 0, (size_t)sessions * sizeof(struct jg_session));
	if (jg_hs_scratch(db, &d->scratch) != 0) {
		errno = ENOMEM;
		return NULL;
	}
	/* Streams are opened once here and reset on reuse: no allocation per flow. */
	for (uint32_t i = 0; i < sessions; i++) {
		for (int k = 0; k < 2; k++)
			if (hs_open_stream(db->db, 0, &d->sess[i].dir[k].hs) != HS_SUCCESS) {
				errno = ENOMEM;
				return NULL;
			}
		d->sess[i].next_free = i + 2 <= sessions ? i + 2 : 0;
	}
	d->free_head = 1;
	return d;
}

int
jg_detect_hs_alloc(const struct jg_detect *d, const struct jg_hs_db *db, hs_scratch_t **scratch, hs_stream_t **streams)
{
	*scratch = NULL;
	if (jg_hs_scratch(db, scratch) != 0) {
		hs_free_scratch(*scratch);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < 2 * d->n_sess; i++)
		if (hs_open_stream(db->db, 0, &streams[i]) != HS_SUCCESS) {
			jg_detect_hs_free(d, *scratch, streams, i);
			return -ENOMEM;
		}
	return 0;
}

void
jg_detect_hs_free(const struct jg_detect *d, hs_scratch_t *scratch, hs_stream_t **streams, uint32_t n)
{
	(void)d;
	for (uint32_t i = 0; i < n; i++)
		hs_close_stream(streams[i], NULL, NULL, NULL);
	hs_free_scratch(scratch);
}

void
jg_detect_hs_current(const struct jg_detect *d, hs_scratch_t **scratch, hs_stream_t **streams)
{
	*scratch = d->scratch;
	for (uint32_t i = 0; i < d->n_sess; i++)
		for (int k = 0; k < 2; k++)
			streams[2 * i + k] = d->sess[i].dir[k].hs;
}

void
jg_detect_swap(struct jg_detect *d, const struct jg_hs_db *db, hs_scratch_t *scratch, hs_stream_t *const *streams)
{
	d->db = db;
	d->scratch = scratch;
	/* Sessions in flight go on with fresh streams from where they are; their
	 * pending matches named patterns of the old database, so they go. */
	for (uint32_t i = 0; i < d->n_sess; i++)
		for (int k = 0; k < 2; k++) {
			struct jg_dir *dr = &d->sess[i].dir[k];

			dr->hs = streams[2 * i + k];
			memset(dr->hits, 0, sizeof(dr->hits));
		}
}

uint32_t
jg_detect_stream_count(const struct jg_detect *d)
{
	return 2 * d->n_sess;
}

void
jg_detect_set_peers(struct jg_detect *d, const struct jg_detect *const *all, uint32_t n)
{
	d->peers = all;
	d->n_peers = n;
}

void
jg_detect_set_flows(struct jg_detect *d, struct jg_flow_table *ft)
{
	d->ft = ft;
	ft->defer_first = 1;
}

/* A flow's first payload came with FIN or RST, left to detection, which does not keep the flow: the table takes them. */
static void
end_flags(struct jg_detect *d, struct jg_flow *f, const struct jg_pkt *p, int dir)
{
	if (p->tcp_flags & (JG_TCP_RST | JG_TCP_FIN))
		jg_flow_tcp_end(d->ft, f, p->tcp_flags & JG_TCP_RST ? JG_TCP_RST : JG_TCP_FIN, dir);
}

void
jg_detect_destroy(struct jg_detect *d, void (*mem_free)(void *))
{
	if (d == NULL)
		return;
	for (uint32_t i = 0; d->sess != NULL && i < d->n_sess; i++)
		for (int k = 0; k < 2; k++)
			if (d->sess[i].dir[k].hs != NULL)
				hs_close_stream(d->sess[i].dir[k].hs, NULL, NULL, NULL);
	hs_free_scratch(d->scratch);
	mem_free(d->sess);
	mem_free(d->ooo_mem);
	mem_free(d->ooo_next);
	mem_free(d);
}

static enum jg_app
classify(const struct jg_pkt *p, const uint8_t *data, uint32_t len)
{
	static const struct {
		uint16_t port;
		uint8_t app;
	} by_port[] = { { 445, JG_APP_SMB },  { 139, JG_APP_SMB },   { 135, JG_APP_RPC },   { 593, JG_APP_RPC },
			{ 3389, JG_APP_RDP }, { 5985, JG_APP_WINRM }, { 5986, JG_APP_WINRM } };
	uint16_t ports[2] = { p->sport, p->dport };

	for (int i = 0; i < 2; i++)
		if (jg_session_port(ports[i]))
			for (size_t k = 0; k < sizeof(by_port) / sizeof(by_port[0]); k++)
				if (by_port[k].port == ports[i])
					return (enum jg_app)by_port[k].app;
	return jg_detect_classify_bytes(data, len);
}

enum jg_app
jg_detect_classify_bytes(const uint8_t *data, uint32_t len)
{
	if (len == 0)
		return JG_APP_NONE;
	/* Unusual ports: recognise the protocol from its first bytes. */
	if (len >= 8 && jg_nbss_len(data, len) >= 0 && jg_smb_kind(data + 4, len - 4) != JG_SMB_NONE)
		return JG_APP_SMB;
	if (jg_rpc_looks_like(data, len))
		return JG_APP_RPC;
	if (len >= 11 && data[0] == 3 && data[1] == 0 && data[5] == 0xe0) /* TPKT + X.224 connection request */
		return JG_APP_RDP;
	if (len >= 11 && (memcmp(data, "POST /wsman", 11) == 0 || memcmp(data, "POST /WSMAN", 11) == 0))
		return JG_APP_WINRM;
	return JG_APP_NONE;
}

/* An event of a flow that has no session: its ends from the packet (the client talks to the lower port). */
static void
flow_event(struct jg_detect *d, struct jg_flow *f, const struct jg_pkt *p, enum jg_event_type type, const char *detail)
{
	struct jg_event_rec ev;
	int src_is_client = p->dport < p->sport; /* the client talks to the lower, well-known port */

	memset(&ev, 0, sizeof(ev));
	memcpy(ev.src_ip, src_is_client ? p->src : p->dst, 16);
	memcpy(ev.dst_ip, src_is_client ? p->dst : p->src, 16);
	ev.src_port = src_is_client ? p->sport : p->dport;
	ev.dst_port = src_is_client ? p->dport : p->sport;
	ev.proto = p->proto;
	ev.ip_version = p->ip_version;
	ev.type = (uint8_t)type;
	ev.tool = JG_TOOL_UNKNOWN;
	ev.flow_id = jg_flow_cold(d->ft, f)->flow_id;
	ev.ts_ns = d->ts;
	jg_ev_str(&ev, JG_ATTR_DETAIL, detail);
	d->emit(d->emit_ctx, f, &ev);
}

void
jg_detect_anomaly(struct jg_detect *d, struct jg_flow *f, const struct jg_pkt *p, const char *kind,
		  const char *detail, uint64_t ts)
{
	char text[160];

	d->ts = ts;
	d->flow = f;
	if (f->app == JG_FLOW_APP_SESS && jg_flow_cold(d->ft, f)->sess < d->n_sess) {
		jg_ev_evasion(d, &d->sess[jg_flow_cold(d->ft, f)->sess], kind, detail);
		return;
	}
	snprintf(text, sizeof(text), "%s: %s", kind, detail);
	flow_event(d, f, p, JG_EV_EVASION, text);
}

/*
 * A session as new, but for its directions (reset by the caller) and the
 * bytes no field points at until it is written: file names past an unused
 * slot, a channel's buffers (a channel is cleared when taken), a request's
 * stub past its length. 4.3 KB written instead of 21 KB, once per inspected
 * flow (and per RDP or WinRM connection judged on its first bytes).
 */
#define SESS_NEXT(a, b) (offsetof(struct jg_session, a) + sizeof(((struct jg_session *)0)->a) == offsetof(struct jg_session, b))
static_assert(SESS_NEXT(files, pending) && SESS_NEXT(pending, rpc) && SESS_NEXT(rpc, req) && SESS_NEXT(req, dedup),
	      "session_reset() clears what lies between files and dedup field by field: a new field there needs a line");

static void
session_reset(struct jg_session *s)
{
	memset(s, 0, offsetof(struct jg_session, files));
	for (int i = 0; i < JG_FILES; i++)
		s->files[i].used = 0;
	memset(s->pending, 0, sizeof(s->pending));
	for (int i = 0; i < JG_RPC_CHANS; i++)
		s->rpc[i].used = 0;
	memset(&s->req, 0, offsetof(__typeof__(s->req), buf));
	memset(s->dedup, 0, offsetof(struct jg_session, dir) - offsetof(struct jg_session, dedup));
}

static struct jg_session *
sess_alloc(struct jg_detect *d, struct jg_flow *f, enum jg_app app)
{
	struct jg_flow_cold *c = jg_flow_cold(d->ft, f);
	struct jg_session *s;
	hs_stream_t *hs[2];
	uint32_t idx;

	if (d->free_head == 0) {
		d->cnt[JG_CNT_SESS_FULL]++;
		f->app = JG_FLOW_APP_SKIP;
		return NULL;
	}
	idx = d->free_head - 1;
	s = &d->sess[idx];
	d->free_head = s->next_free;
	hs[0] = s->dir[0].hs;
	hs[1] = s->dir[1].hs;
	session_reset(s);
	for (int k = 0; k < 2; k++) {
		struct jg_dir *dr = &s->dir[k];

		memset(dr, 0, offsetof(struct jg_dir, hist));
		dr->hs = hs[k];
		hs_reset_stream(dr->hs, 0, NULL, NULL, NULL);
	}
	s->app = (uint8_t)app;
	f->app = JG_FLOW_APP_SESS;
	c->sess = idx;
	d->used++;
	d->cnt[JG_CNT_SESS_NEW]++;
	/* The flow is taken at its first payload: the handshake the flow table kept starts the streams. */
	for (int k = 0; k < 2; k++) {
		struct jg_dir *dr = &s->dir[k];

		dr->good_csum = (f->det & JG_FLOW_GOOD_CSUM(k)) != 0;
		if (!(f->flags[k] & JG_TCP_SYN))
			continue;
		dr->syn = 1;
		dr->isn = k == 0 ? c->syn_seq : c->syn_seq_resp;
		dr->wscale = c->syn_wscale[k];
		dr->next_seq = dr->held_hi = dr->hist_from = dr->isn + 1;
		dr->seq_ok = 1;
		dr->synced = 1;
		if (c->syn_ttl[k] != 0) {
			dr->ttl = c->syn_ttl[k];
			dr->pkt_seen = 1;
		}
	}
	return s;
}

void
jg_detect_release(struct jg_detect *d, struct jg_flow *f)
{
	uint32_t idx;

	if (f->app != JG_FLOW_APP_SESS)
		return;
	idx = jg_flow_cold(d->ft, f)->sess;
	if (idx < d->n_sess) {
		d->flow = f;
		jg_stream_end(d, &d->sess[idx]);
		jg_rpc_end(d, &d->sess[idx]);
		d->sess[idx].next_free = d->free_head;
		d->free_head = idx + 1;
		d->used--;
	}
	f->app = JG_FLOW_APP_NONE;
}

/*
 * RDP and WinRM say all they say in the client's first bytes: when those come
 * whole, in order (the segment right after the handshake) and as the endpoint
 * takes them, the event is made on a scratch session and the flow keeps none
 * (an RDP brute force takes no pool). @return 1 when it was judged so
 */
static int
first_bytes(struct jg_detect *d, struct jg_flow *f, const struct jg_pkt *p, int dir, const uint8_t *b, uint32_t len,
	    enum jg_app app)
{
	struct jg_session *s = &d->first_bytes;

	if ((app != JG_APP_RDP && app != JG_APP_WINRM) || dir != 0 || !(f->flags[0] & JG_TCP_SYN) ||
	    p->tcp_seq != jg_flow_cold(d->ft, f)->syn_seq + 1 || len < 11 || p->payload_len != len || p->csum_bad ||
	    p->ttl != jg_flow_cold(d->ft, f)->syn_ttl[0])
		return 0;
	session_reset(s);
	s->app = (uint8_t)app;
	s->client_known = 1;
	d->flow = f;
	jg_raw_message(d, s, 0, b, len);
	f->app = JG_FLOW_APP_SKIP;
	d->cnt[JG_CNT_SESS_LIGHT]++;
	return 1;
}

void
jg_detect_packet(struct jg_detect *d, struct jg_flow *f, const struct jg_pkt *p, int dir,
		 const uint8_t *const *seg, const uint32_t *seg_len, unsigned int n_seg, uint64_t ts)
{
	struct jg_session *s;
	unsigned int rc;

	if (p->proto != 6 || f->app == JG_FLOW_APP_SKIP)
		return;
	if (f->app == JG_FLOW_APP_NONE) {
		/* Sessions are taken at the first payload, not at the SYN: a SYN sweep costs none. */
		enum jg_app app = p->payload_len > 0 ? classify(p, seg[0], seg_len[0]) : JG_APP_NONE;

		if (p->payload_len == 0) {
			if (!p->csum_bad) /* this side's checksums are real: its bad ones later are not offload */
				f->det |= JG_FLOW_GOOD_CSUM(dir) & 7u;
			return;
		}
		if (app == JG_APP_NONE) {
			/* Fewer bytes than a header in the first segment (one byte, to blind the guess):
			 * the decision waits for 16 bytes of the stream, put together in order. */
			if (p->payload_len >= 16 || n_seg == 0 || seg_len[0] >= 16) {
				f->app = JG_FLOW_APP_SKIP;
				end_flags(d, f, p, dir);
				return;
			}
			app = JG_APP_UNDECIDED;
		}
		d->ts = ts;
		if (first_bytes(d, f, p, dir, seg[0], seg_len[0], app)) {
			end_flags(d, f, p, dir);
			return;
		}
		if ((s = sess_alloc(d, f, app)) == NULL) {
			if (app != JG_APP_UNDECIDED)
				flow_event(d, f, p, JG_EV_INSPECTION_CUT,
					   "session pool full (detect.sessions): flow not inspected");
			end_flags(d, f, p, dir);
			return;
		}
	} else {
		s = &d->sess[jg_flow_cold(d->ft, f)->sess];
	}
	d->flow = f;
	d->ts = ts;
	rc = jg_stream_segment(d, s, dir, p, seg, seg_len, n_seg);
	if (s->app == JG_APP_NONE) { /* 16 bytes said it is none of ours */
		jg_detect_release(d, f);
		f->app = JG_FLOW_APP_SKIP;
		f->det &= ~JG_FLOW_GUARD & 7u;
		end_flags(d, f, p, dir);
		return;
	}
	/* the flow table leaves FIN and RST to detection from the next packet on (this one it has counted) */
	f->det = ((f->det & ~JG_FLOW_GUARD) | (s->app != JG_APP_UNDECIDED ? JG_FLOW_GUARD : 0)) & 7u;
	if (rc & (JG_SEG_RST | JG_SEG_FIN))
		jg_flow_tcp_end(d->ft, f, rc & JG_SEG_RST ? JG_TCP_RST : JG_TCP_FIN, dir);
}

/* ---- events ---- */

static void
endpoint(const struct jg_flow *f, int initiator, uint8_t *ip, uint16_t *port)
{
	int a = initiator ? f->init_is_a : !f->init_is_a;

	memcpy(ip, a ? f->key.a : f->key.b, 16);
	*port = a ? f->key.pa : f->key.pb;
}

void
jg_ev_begin(struct jg_detect *d, struct jg_session *s, struct jg_event_rec *ev, enum jg_event_type type, uint8_t tool)
{
	const struct jg_flow *f = d->flow;
	int client_is_initiator = s->client_dir == 0;

	memset(ev, 0, sizeof(*ev));
	endpoint(f, client_is_initiator, ev->src_ip, &ev->src_port);
	endpoint(f, !client_is_initiator, ev->dst_ip, &ev->dst_port);
	ev->proto = f->key.proto;
	ev->ip_version = f->key.ip_version;
	ev->type = (uint8_t)type;
	ev->tool = tool;
	ev->flow_id = jg_flow_cold(d->ft, f)->flow_id;
	ev->ts_ns = d->ts;
}

void
jg_ev_session(struct jg_session *s, struct jg_event_rec *ev)
{
	char dialect[8];

	int u = jg_smb_user_slot(s);

	if (u >= 0) {
		jg_ev_str(ev, JG_ATTR_USER, s->users[u].user);
		jg_ev_str(ev, JG_ATTR_DOMAIN, s->users[u].domain);
		/* the client's own name for itself: in an encrypted session, the only origin there is
		 * (jg-control makes it the event's src_host: the record's room is not spent twice) */
		jg_ev_str(ev, JG_ATTR_WORKSTATION, s->users[u].workstation);
	}
	jg_ev_str(ev, JG_ATTR_DST_HOST, s->server_name);
	if (s->dialect) {
		switch (s->dialect) {
		case 0x0100: snprintf(dialect, sizeof(dialect), "1"); break;
		case 0x0202: snprintf(dialect, sizeof(dialect), "2.0.2"); break;
		case 0x0210: snprintf(dialect, sizeof(dialect), "2.1"); break;
		case 0x02ff: snprintf(dialect, sizeof(dialect), "2.x"); break;
		case 0x0300: snprintf(dialect, sizeof(dialect), "3.0"); break;
		case 0x0302: snprintf(dialect, sizeof(dialect), "3.0.2"); break;
		case 0x0311: snprintf(dialect, sizeof(dialect), "3.1.1"); break;
		default: snprintf(dialect, sizeof(dialect), "0x%04x", s->dialect); break;
		}
		jg_ev_str(ev, JG_ATTR_SMB_DIALECT, dialect);
	}
	if (s->app == JG_APP_SMB)
		jg_ev_bool(ev, JG_ATTR_ENCRYPTED, s->encrypted);
}

/* The ATT&CK technique an event is evidence of when its parser named none (a catalogue function names its own). */
static const char *
default_technique(const struct jg_event_rec *ev)
{
	char v[8];

	switch (ev->type) {
	case JG_EV_ADMIN_SESSION:
		return "T1021.002"; /* SMB/Windows admin shares */
	case JG_EV_TOOL_ARTIFACT:
		/* a tool's executable copied to the target, or its service's pipes */
		return jg_ev_get(ev, JG_ATTR_FILE, v, sizeof(v))[0] ? "T1570" : "T1569.002";
	case JG_EV_SERVICE_INSTALL:
		return "T1569.002";
	case JG_EV_SERVICE_CHANGE:
		return "T1543.003";
	case JG_EV_TASK_CREATE:
		return "T1053.005";
	case JG_EV_WMI_EXEC:
		return ev->tool == JG_TOOL_DCOMEXEC ? "T1021.003" : "T1047";
	case JG_EV_WINRM_SESSION:
		return "T1021.006";
	case JG_EV_RDP_SESSION:
		return "T1021.001";
	case JG_EV_LOGON_FAILURE:
		return "T1110";
	default:
		return ""; /* evasion and cut inspections are about Jumpgate, not a technique */
	}
}

void
jg_ev_emit(struct jg_detect *d, struct jg_session *s, struct jg_event_rec *ev, const char *key)
{
	/* type and key: a tool learnt later is no new event */
	uint64_t h64 = jg_fnv1a(jg_fnv1a(JG_FNV_BASIS, &ev->type, 1), key ? key : "", key ? strlen(key) : 0);
	uint32_t h = (uint32_t)h64 | 1;

	for (uint16_t i = 0; i < s->n_dedup; i++)
		if (s->dedup[i] == h) {
			d->cnt[JG_CNT_EV_DEDUP]++;
			return;
		}
	/* full: the oldest key gives way (a session calling 33 functions in turn repeats its events, bounded) */
	if (s->n_dedup < JG_DEDUP)
		s->dedup[s->n_dedup++] = h;
	else
		s->dedup[s->dedup_next++ % JG_DEDUP] = h;
	jg_rules_attribute(d, s, ev);
	{
		char t[48];

		/* the tool the session was named by earlier: the rule or pattern that named it */
		if (ev->tool != JG_TOOL_UNKNOWN && ev->tool == s->tool && s->tool_rule[0] &&
		    jg_ev_get(ev, JG_ATTR_RULE, t, sizeof(t))[0] == '\0')
			jg_ev_str(ev, JG_ATTR_RULE, s->tool_rule);
		if (jg_ev_get(ev, JG_ATTR_TECHNIQUE, t, sizeof(t))[0] == '\0')
			jg_ev_str(ev, JG_ATTR_TECHNIQUE, default_technique(ev));
	}
	d->emit(d->emit_ctx, d->flow, ev);
}

/* ---- Hyperscan matches ---- */

uint8_t
jg_hits_tool(struct jg_detect *d, struct jg_dir *dir, unsigned int kind)
{
	for (uint32_t w = 0; w < JG_HIT_WORDS; w++)
		for (uint64_t m = dir->hits[w]; m != 0; m &= m - 1) {
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(m);

			if (i < d->db->pats.n && d->db->pats.p[i].kind == kind)
				return d->db->pats.p[i].tool;
		}
	return JG_TOOL_UNKNOWN;
}

/*
 * Hyperscan finds a tool's string; the parsers say whether it is one of the
 * tool's artifacts: a pipe or service named with it, or a file of that name at
 * the top of an admin share (not a file deep in a copied folder).
 */
static const char *
confirm(struct jg_session *s, const struct jg_pattern *p)
{
	const char *base;
	int depth = 0;

	if (s->cur.pipe[0] && strcasestr(s->cur.pipe, p->literal) != NULL)
		return s->cur.pipe;
	if (s->cur.service[0] && strcasestr(s->cur.service, p->literal) != NULL)
		return s->cur.service;
	/* a file: in an admin share, or in a share whose tree connect was not captured */
	if (s->cur.file[0] == '\0' || (s->cur.share[0] != '\0' && s->cur.share[strlen(s->cur.share) - 1] != '$'))
		return NULL;
	for (const char *c = s->cur.file; *c; c++)
		depth += *c == '\\';
	base = strrchr(s->cur.file, '\\');
	base = base ? base + 1 : s->cur.file;
	return depth <= 1 && strncasecmp(base, p->literal, strlen(p->literal)) == 0 ? s->cur.file : NULL;
}

static void
hit_event(struct jg_detect *d, struct jg_session *s, const struct jg_pattern *p)
{
	struct jg_event_rec ev;
	char host[64], key[160];
	uint32_t pid = 0;
	uint8_t tool = p->tool;
	const char *name;

	if (p->kind == JG_PAT_WMI) {
		if (!s->cur.rpc_request)
			return;
		jg_ev_begin(d, s, &ev, JG_EV_WMI_EXEC, p->tool);
		jg_ev_str(&ev, JG_ATTR_DETAIL, p->literal);
		if (p->tool != JG_TOOL_UNKNOWN)
			jg_ev_str(&ev, JG_ATTR_RULE, p->name);
		jg_ev_session(s, &ev);
		jg_ev_emit(d, s, &ev, p->name);
		return;
	}
	if (p->kind != JG_PAT_ARTIFACT || (name = confirm(s, p)) == NULL)
		return;
	/* Impacket's psexec borrows RemCom's pipe names but not its service. */
	if (tool == JG_TOOL_REMCOM && strcasestr(name, "RemComSvc") != NULL)
		s->remcom_svc = 1;
	else if (tool == JG_TOOL_REMCOM && !s->remcom_svc)
		tool = JG_TOOL_IMPACKET_PSEXEC;
	if (s->tool == JG_TOOL_UNKNOWN) {
		s->tool = tool;
		snprintf(s->tool_rule, sizeof(s->tool_rule), "%s", p->name);
	}
	jg_ev_begin(d, s, &ev, JG_EV_TOOL_ARTIFACT, tool);
	jg_ev_str(&ev, JG_ATTR_RULE, p->name);
	jg_ev_str(&ev, JG_ATTR_SHARE, s->cur.share);
	jg_ev_str(&ev, JG_ATTR_FILE, s->cur.file);
	jg_ev_str(&ev, JG_ATTR_PIPE, s->cur.pipe);
	jg_ev_str(&ev, JG_ATTR_SERVICE_NAME, s->cur.service);
	if (jg_origin_parse(name, host, sizeof(host), &pid)) {
		jg_ev_str(&ev, JG_ATTR_ORIGIN_HOST, host);
		if (pid)
			jg_ev_uint(&ev, JG_ATTR_ORIGIN_PID, pid);
	}
	jg_ev_session(s, &ev);
	snprintf(key, sizeof(key), "%s|%s", p->name, name);
	jg_ev_emit(d, s, &ev, key);
}

void
jg_hits_flush(struct jg_detect *d, struct jg_session *s, struct jg_dir *dir)
{
	for (uint32_t w = 0; w < JG_HIT_WORDS; w++) {
		uint64_t m = dir->hits[w];

		dir->hits[w] = 0;
		for (; m != 0; m &= m - 1) {
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(m);

			if (i < d->db->pats.n)
				hit_event(d, s, &d->db->pats.p[i]);
		}
	}
}

void
jg_hits_from_name(struct jg_detect *d, struct jg_dir *dir, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return;
	for (uint32_t i = 0; i < d->db->pats.n && i < JG_PAT_MAX; i++)
		if (d->db->pats.p[i].kind == JG_PAT_ARTIFACT && strcasestr(name, d->db->pats.p[i].literal) != NULL)
			dir->hits[i / 64] |= 1ull << (i % 64);
}

void
jg_ev_evasion(struct jg_detect *d, struct jg_session *s, const char *kind, const char *detail)
{
	struct jg_event_rec ev;
	char text[160];

	jg_ev_begin(d, s, &ev, JG_EV_EVASION, s->tool);
	snprintf(text, sizeof(text), "%s: %s", kind, detail);
	jg_ev_str(&ev, JG_ATTR_DETAIL, text);
	jg_ev_session(s, &ev);
	jg_ev_emit(d, s, &ev, kind);
}

void
jg_ev_cut(struct jg_detect *d, struct jg_session *s, const char *why)
{
	struct jg_event_rec ev;

	if (s->cut)
		return;
	s->cut = 1;
	jg_ev_begin(d, s, &ev, JG_EV_INSPECTION_CUT, JG_TOOL_UNKNOWN);
	jg_ev_str(&ev, JG_ATTR_DETAIL, why);
	d->emit(d->emit_ctx, d->flow, &ev);
}
