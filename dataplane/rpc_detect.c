/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DCE-RPC rules, over named pipes and over TCP: services created or
 * reconfigured (SVCCTL), tasks registered (ATSVC, ITaskSchedulerService), WMI
 * and DCOM remote execution (IWbemLevel1Login/IWbemServices binds, activation
 * of WMI, MMC20 or Shell objects). With a sealed stub (auth level privacy) the
 * interface and opnum still tell what was asked.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "detect_priv.h"

/* CLSIDs whose remote activation is remote execution, as they appear in a stub. */
static const struct {
	uint8_t b[16];
	uint8_t tool;
	const char *what;
} exec_clsids[] = {
	{ { 0x5e, 0xf0, 0xc3, 0x8b, 0x6b, 0xd8, 0xd0, 0x11, 0xa0, 0x75, 0x00, 0xc0, 0x4f, 0xb6, 0x88, 0x20 },
	  JG_TOOL_UNKNOWN, "activation of WbemLevel1Login" },
	{ { 0x1a, 0x79, 0xb2, 0x49, 0xae, 0xb1, 0x90, 0x4c, 0x9b, 0x8e, 0xe8, 0x60, 0xba, 0x07, 0xf8, 0x89 },
	  JG_TOOL_DCOMEXEC, "activation of MMC20.Application" },
	{ { 0x72, 0x59, 0xa0, 0x9b, 0xa8, 0xf6, 0xcf, 0x11, 0xa4, 0x42, 0x00, 0xa0, 0xc9, 0x0a, 0x8f, 0x39 },
	  JG_TOOL_DCOMEXEC, "activation of ShellWindows" },
	{ { 0x90, 0xfd, 0x8a, 0xc0, 0xa1, 0xf2, 0xd1, 0x11, 0x84, 0x55, 0x00, 0xa0, 0xc9, 0x1f, 0x38, 0x80 },
	  JG_TOOL_DCOMEXEC, "activation of ShellBrowserWindow" },
};

/*
 * Endpoints the endpoint mapper announced (ept_map responses): server IPv4 and
 * TCP port -> interface, so a DCE-RPC flow on a dynamic port whose bind was
 * not captured is still known. Each worker writes only its own table (the
 * mapper's flow and the dynamic port's flow may be on different workers);
 * a lookup, rare (a request with no bind seen), reads every worker's. Each
 * entry is one 64-bit word, written and read whole, a newer one replacing an
 * older one in its slot.
 */
static uint32_t
epm_slot(uint32_t ip, uint16_t port)
{
	return ((ip * 2654435761u) ^ port) & (JG_EPM_SLOTS - 1);
}

static void
epm_learn(struct jg_detect *d, const uint8_t *ip4, uint16_t port, enum jg_rpc_iface iface)
{
	uint32_t ip = (uint32_t)ip4[0] << 24 | (uint32_t)ip4[1] << 16 | (uint32_t)ip4[2] << 8 | ip4[3];

	__atomic_store_n(&d->epm[epm_slot(ip, port)], (uint64_t)ip << 32 | (uint64_t)port << 16 | (uint64_t)iface << 8 | 1,
			 __ATOMIC_RELAXED);
}

static enum jg_rpc_iface
epm_lookup(const struct jg_detect *d, const uint8_t *ip4, uint16_t port)
{
	uint32_t ip = (uint32_t)ip4[0] << 24 | (uint32_t)ip4[1] << 16 | (uint32_t)ip4[2] << 8 | ip4[3];

	for (uint32_t k = 0; k < d->n_peers; k++) {
		uint64_t w = __atomic_load_n(&d->peers[k]->epm[epm_slot(ip, port)], __ATOMIC_RELAXED);

		if ((w & 1) && (uint32_t)(w >> 32) == ip && (uint16_t)(w >> 16) == port)
			return (enum jg_rpc_iface)((w >> 8) & 0xff);
	}
	return JG_IF_UNKNOWN;
}

/* The server end of the flow (the side the client sends requests to). */
static void
server_of(const struct jg_detect *d, const struct jg_session *s, uint8_t *ip, uint16_t *port, uint8_t *version)
{
	const struct jg_flow *f = d->flow;
	int server_is_a = (s->client_dir == 0) ? !f->init_is_a : f->init_is_a;

	memcpy(ip, server_is_a ? f->key.a : f->key.b, 16);
	*port = server_is_a ? f->key.pa : f->key.pb;
	*version = f->key.ip_version;
}

static void
epm_response(struct jg_detect *d, struct jg_session *s, const struct jg_rpc_pdu *pdu)
{
	struct jg_epm_entry e[8];
	uint8_t ip[16], version;
	uint16_t port;
	unsigned int n = jg_epm_map_response(pdu->stub, pdu->stub_len, e, 8);

	server_of(d, s, ip, &port, &version);
	for (unsigned int i = 0; i < n; i++) {
		enum jg_rpc_iface iface = jg_rpc_iface_of(&e[i].uuid);
		static const uint8_t zero[4];

		if (iface == JG_IF_UNKNOWN)
			continue;
		if (memcmp(e[i].ip, zero, 4) != 0)
			epm_learn(d, e[i].ip, e[i].port, iface);
		else if (version == 4)
			epm_learn(d, ip, e[i].port, iface);
		else
			continue;
		d->cnt[JG_CNT_EPM_LEARNED]++;
	}
}

/*
 * How much a context tells of remote administration: an attacker binds junk
 * and ordinary interfaces around the one that matters so that a fixed table
 * forgets it; what matters is kept first.
 */
static int
iface_rank(unsigned int iface)
{
	switch (iface) {
	case JG_IF_UNKNOWN:
		return 0;
	case JG_IF_SVCCTL: case JG_IF_ATSVC: case JG_IF_TSCH: case JG_IF_SASEC: case JG_IF_REMOTE_ACTIVATION:
	case JG_IF_ISYSTEM_ACTIVATOR: case JG_IF_WBEM_LOGIN: case JG_IF_WBEM_SERVICES: case JG_IF_IDISPATCH:
	case JG_IF_WINREG: case JG_IF_DRSUAPI: case JG_IF_EVENTLOG: case JG_IF_SPOOLSS: case JG_IF_EPM:
	case JG_IF_EVEN6: case JG_IF_SECLOGON: case JG_IF_INITSHUTDOWN: case JG_IF_WINSHUTDOWN: case JG_IF_PAR:
		return 2;
	default:
		return 1;
	}
}

static int
chan_rank(const struct jg_rpc_chan *ch)
{
	int r = 0;

	for (int i = 0; i < ch->n_ctx; i++)
		if (iface_rank(ch->ctx[i].iface) > r)
			r = iface_rank(ch->ctx[i].iface);
	return r;
}

struct jg_rpc_chan *
jg_rpc_chan_of(struct jg_session *s, const uint8_t *key)
{
	static const uint8_t zero[16];
	int free_slot = -1;

	if (key == NULL)
		key = zero;
	for (int i = 0; i < JG_RPC_CHANS; i++) {
		if (s->rpc[i].used && memcmp(s->rpc[i].key, key, 16) == 0)
			return &s->rpc[i];
		if (!s->rpc[i].used && free_slot < 0)
			free_slot = i;
	}
	/* all taken: the channel that tells least gives way (other pipes cannot push svcctl out) */
	for (int i = 0, best = 3; free_slot < 0 && i < JG_RPC_CHANS; i++)
		if (chan_rank(&s->rpc[i]) < best) {
			best = chan_rank(&s->rpc[i]);
			free_slot = i;
		}
	if (s->req.active && s->req.chan == free_slot)
		s->req.active = 0;
	memset(&s->rpc[free_slot], 0, sizeof(s->rpc[free_slot]));
	s->rpc[free_slot].used = 1;
	memcpy(s->rpc[free_slot].key, key, 16);
	return &s->rpc[free_slot];
}

/* A context: a new id takes a free slot, or the place of the oldest that tells less (or as little). */
int
jg_rpc_ctx_add(struct jg_rpc_chan *ch, uint16_t id, const struct jg_uuid *u)
{
	uint8_t iface = (uint8_t)jg_rpc_iface_of(u);
	int slot = -1;

	for (int i = 0; i < ch->n_ctx; i++)
		if (ch->ctx[i].id == id)
			slot = i;
	if (slot < 0 && ch->n_ctx < JG_RPC_CTX)
		slot = ch->n_ctx++;
	if (slot < 0) {
		for (int i = 0; i < ch->n_ctx; i++) {
			int r = iface_rank(ch->ctx[i].iface);

			if (r <= iface_rank(iface) && (slot < 0 || r < iface_rank(ch->ctx[slot].iface) ||
						       (r == iface_rank(ch->ctx[slot].iface) &&
							(uint8_t)(ch->ctx[i].age - ch->ctx[slot].age) > 127)))
				slot = i;
		}
		if (slot < 0)
			return -1;
	}
	ch->ctx[slot].id = id;
	ch->ctx[slot].uuid = *u;
	ch->ctx[slot].iface = iface;
	ch->ctx[slot].age = ch->next_age++;
	return slot;
}

static void
ctx_remove(struct jg_rpc_chan *ch, uint16_t id)
{
	for (int i = 0; i < ch->n_ctx; i++)
		if (ch->ctx[i].id == id) {
			ch->ctx[i] = ch->ctx[--ch->n_ctx];
			return;
		}
}

static int
ctx_find(const struct jg_rpc_chan *ch, uint16_t id)
{
	for (int i = 0; i < ch->n_ctx; i++)
		if (ch->ctx[i].id == id)
			return i;
	/* The bind was not seen but one interface is: requests use it. */
	return ch->n_ctx == 1 ? 0 : -1;
}

/* Which tool a service points to: a match inside this message, what the session showed, its names. */
static uint8_t
service_tool(struct jg_detect *d, struct jg_session *s, int dir, const struct jg_svc_req *r, const char **by)
{
	struct jg_dir *dr = &s->dir[dir];
	uint8_t t = JG_TOOL_UNKNOWN;

	*by = NULL;

	/*
	 * The decoded names first: they are what the service really is (decoys
	 * elsewhere in the message say nothing of it), and a stub written to the
	 * pipe in pieces has SMB headers between its bytes, where no stream match
	 * can span. Then the matches inside this message.
	 */
	for (uint32_t i = 0; t == JG_TOOL_UNKNOWN && r != NULL && i < d->db->pats.n; i++) {
		const struct jg_pattern *p = &d->db->pats.p[i];

		if ((p->kind == JG_PAT_ATTRIBUTE || p->kind == JG_PAT_ARTIFACT) &&
		    (strcasestr(r->binary_path, p->literal) != NULL || strcasestr(r->service, p->literal) != NULL)) {
			t = p->tool;
			*by = p->name;
		}
	}
	if (t == JG_TOOL_UNKNOWN)
		t = jg_hits_tool(d, dr, JG_PAT_ATTRIBUTE);
	if (t == JG_TOOL_UNKNOWN)
		t = jg_hits_tool(d, dr, JG_PAT_ARTIFACT);
	if (t == JG_TOOL_UNKNOWN)
		t = s->tool;
	if (r != NULL && strcasecmp(r->service, "RemComSvc") == 0) {
		s->remcom_svc = 1;
		if (t == JG_TOOL_UNKNOWN)
			t = JG_TOOL_REMCOM;
	}
	return t;
}

static int
wmi_capable(unsigned int iface)
{
	switch (iface) {
	case JG_IF_UNKNOWN:
	case JG_IF_REMOTE_ACTIVATION:
	case JG_IF_ISYSTEM_ACTIVATOR:
	case JG_IF_WBEM_LOGIN:
	case JG_IF_WBEM_SERVICES:
	case JG_IF_IDISPATCH:
	case JG_IF_OXID:
		return 1;
	default:
		return 0;
	}
}

static int
svcctl_request(struct jg_detect *d, struct jg_session *s, int dir, const struct jg_rpc_chan *ch, int c,
	       const struct jg_rpc_pdu *pdu)
{
	struct jg_event_rec ev;
	struct jg_svc_req r;
	enum jg_event_type type;
	char key[JG_NAME_MAX + 16];
	const char *by;
	int clear = pdu->auth_level < 6 && pdu->stub != NULL;

	switch (pdu->opnum) {
	case JG_SCM_CREATE_SERVICE_W:
	case JG_SCM_CREATE_SERVICE_A:
	case JG_SCM_CREATE_SERVICE_WOW64_A:
	case JG_SCM_CREATE_SERVICE_WOW64_W:
		type = JG_EV_SERVICE_INSTALL;
		break;
	case JG_SCM_CHANGE_CONFIG_W:
	case JG_SCM_CHANGE_CONFIG_A:
		type = JG_EV_SERVICE_CHANGE;
		break;
	case JG_SCM_OPEN_SERVICE_W:
	case JG_SCM_OPEN_SERVICE_A:
		if (clear && jg_svcctl_decode_drep(pdu->opnum, pdu->stub, pdu->stub_len, pdu->big_endian, &r) == 0)
			snprintf(s->cur.service, sizeof(s->cur.service), "%s", r.service);
		return 1;
	default:
		return 0;
	}
	if (!clear || jg_svcctl_decode_drep(pdu->opnum, pdu->stub, pdu->stub_len, pdu->big_endian, &r) != 0)
		memset(&r, 0, sizeof(r));
	snprintf(s->cur.service, sizeof(s->cur.service), "%s", r.service);
	/* the decoded name is the artifact however it was sent (big-endian units, fragments, pieces) */
	jg_hits_from_name(d, &s->dir[dir], r.service);
	jg_ev_begin(d, s, &ev, type, service_tool(d, s, dir, &r, &by));
	jg_ev_str(&ev, JG_ATTR_RULE, by);
	jg_ev_str(&ev, JG_ATTR_SERVICE_NAME, r.service);
	jg_ev_str(&ev, JG_ATTR_BINARY_PATH, r.binary_path);
	if (!clear)
		jg_ev_str(&ev, JG_ATTR_DETAIL, "stub sealed (auth level privacy): interface and opnum only");
	jg_rpc_event_attrs(s, &ev, ch, c, pdu, NULL, NULL);
	snprintf(key, sizeof(key), "%u|%s|%s", pdu->opnum, r.service, r.binary_path);
	jg_ev_emit(d, s, &ev, key);
	return 1;
}

static void
simple_event(struct jg_detect *d, struct jg_session *s, enum jg_event_type type, uint8_t tool, const char *detail,
	     const struct jg_rpc_chan *ch, int c, const struct jg_rpc_pdu *pdu)
{
	struct jg_event_rec ev;

	jg_ev_begin(d, s, &ev, type, tool);
	jg_ev_str(&ev, JG_ATTR_DETAIL, detail);
	jg_rpc_event_attrs(s, &ev, ch, c, pdu, NULL, NULL);
	jg_ev_emit(d, s, &ev, detail);
}

/* A task registered: in a clear stub, its name and what it runs (what attribution rules test). */
static void
task_event(struct jg_detect *d, struct jg_session *s, const char *fn, const struct jg_rpc_chan *ch, int c,
	   const struct jg_rpc_pdu *pdu)
{
	struct jg_event_rec ev;
	struct jg_task_req t;
	char key[JG_NAME_MAX + 300];

	if (pdu->auth_level >= 6 ||
	    jg_task_decode(ch->ctx[c].iface == JG_IF_ATSVC, pdu->stub, pdu->stub_len, pdu->big_endian, &t) != 0)
		memset(&t, 0, sizeof(t));
	jg_ev_begin(d, s, &ev, JG_EV_TASK_CREATE, s->tool);
	jg_ev_str(&ev, JG_ATTR_DETAIL, fn);
	jg_ev_str(&ev, JG_ATTR_TASK_NAME, t.name);
	jg_ev_str(&ev, JG_ATTR_COMMAND_LINE, t.command);
	jg_rpc_event_attrs(s, &ev, ch, c, pdu, NULL, NULL);
	snprintf(key, sizeof(key), "%s|%s|%s", fn, t.name, t.command);
	jg_ev_emit(d, s, &ev, key);
}

static void
activation(struct jg_detect *d, struct jg_session *s, const struct jg_rpc_chan *ch, int c, const struct jg_rpc_pdu *pdu)
{
	if (pdu->stub == NULL || pdu->auth_level >= 6)
		return;
	for (size_t i = 0; i < sizeof(exec_clsids) / sizeof(exec_clsids[0]); i++)
		if (memmem(pdu->stub, pdu->stub_len, exec_clsids[i].b, 16) != NULL)
			simple_event(d, s, JG_EV_WMI_EXEC, exec_clsids[i].tool, exec_clsids[i].what, ch, c, pdu);
}

static void
request(struct jg_detect *d, struct jg_session *s, int dir, struct jg_rpc_chan *ch, const struct jg_rpc_pdu *pdu)
{
	int c = ctx_find(ch, pdu->ctx_id), handled = 0;

	/* No bind seen on this stream: what the endpoint mapper said lives at this port. */
	if (c < 0 && s->app == JG_APP_RPC) {
		uint8_t ip[16], version;
		uint16_t port;
		struct jg_uuid u;
		enum jg_rpc_iface iface;

		server_of(d, s, ip, &port, &version);
		if (version == 4 && (iface = epm_lookup(d, ip, port)) != JG_IF_UNKNOWN && jg_rpc_iface_uuid(iface, &u) == 0) {
			c = jg_rpc_ctx_add(ch, pdu->ctx_id, &u);
			ch->inferred = JG_INF_EPM;
			d->cnt[JG_CNT_EPM_USED]++;
		}
	}
	/* nor from the mapper: the pipe's name, or the calls so far */
	if (c < 0)
		c = jg_rpc_infer(d, s, ch, pdu);

	/*
	 * WMI/DCOM command-line patterns count in clear request stubs of WMI/DCOM
	 * interfaces (or of objects whose interface is not known: DCOM calls on
	 * dynamic ports) only: a command line in an SVCCTL or task-scheduler request
	 * is that interface's own event (service_install, task_create), not WMI.
	 */
	s->cur.rpc_request = pdu->auth_level < 6 && wmi_capable(c >= 0 ? ch->ctx[c].iface : JG_IF_UNKNOWN);
	switch (c >= 0 ? ch->ctx[c].iface : JG_IF_UNKNOWN) {
	case JG_IF_SVCCTL:
		handled = svcctl_request(d, s, dir, ch, c, pdu);
		break;
	case JG_IF_ATSVC:
		if ((handled = pdu->opnum == 0))
			task_event(d, s, "NetrJobAdd", ch, c, pdu);
		break;
	case JG_IF_TSCH:
		if ((handled = pdu->opnum == 1))
			task_event(d, s, "SchRpcRegisterTask", ch, c, pdu);
		break;
	case JG_IF_SASEC:
		if ((handled = pdu->opnum == 0))
			simple_event(d, s, JG_EV_TASK_CREATE, s->tool, "SASetAccountInformation", ch, c, pdu);
		break;
	case JG_IF_REMOTE_ACTIVATION:
	case JG_IF_ISYSTEM_ACTIVATOR:
		activation(d, s, ch, c, pdu);
		handled = 1;
		break;
	case JG_IF_WBEM_SERVICES:
		if ((handled = pdu->opnum == 24 || pdu->opnum == 25))
			simple_event(d, s, JG_EV_WMI_EXEC, JG_TOOL_UNKNOWN,
				     pdu->opnum == 24 ? "IWbemServices::ExecMethod" : "IWbemServices::ExecMethodAsync", ch, c, pdu);
		break;
	default:
		break;
	}
	/* the rest of the catalogue: credential access, log clearing, registry, spooler, shutdown, discovery */
	if (!handled)
		jg_rpc_call(d, s, ch, c, pdu);
}

static void
bind(struct jg_detect *d, struct jg_session *s, struct jg_rpc_chan *ch, const struct jg_rpc_pdu *pdu)
{
	/* kept until the ack says which the server took (a bind whose ack is not seen keeps them all) */
	ch->n_prop = (uint8_t)(pdu->n_ctx < sizeof(ch->prop_id) / sizeof(ch->prop_id[0]) ? pdu->n_ctx : 64);
	for (uint8_t i = 0; i < ch->n_prop; i++)
		ch->prop_id[i] = pdu->ctx[i].id;
	for (uint8_t i = 0; i < pdu->n_ctx; i++) {
		jg_rpc_ctx_add(ch, pdu->ctx[i].id, &pdu->ctx[i].uuid);
		switch (jg_rpc_iface_of(&pdu->ctx[i].uuid)) {
		case JG_IF_WBEM_LOGIN:
		case JG_IF_WBEM_SERVICES:
			/* Binding WMI's remote interfaces is the first step of remote WMI execution. */
			simple_event(d, s, JG_EV_WMI_EXEC, JG_TOOL_UNKNOWN, "bind to remote WMI", ch,
				     ctx_find(ch, pdu->ctx[i].id), pdu);
			break;
		default:
			break;
		}
	}
}

/* bind_ack, alter_context_resp: contexts the server refused are no contexts. */
static void
bind_ack(struct jg_rpc_chan *ch, const struct jg_rpc_pdu *pdu)
{
	for (uint8_t i = 0; i < pdu->n_ctx && i < ch->n_prop; i++)
		if (pdu->ctx[i].result != 0)
			ctx_remove(ch, ch->prop_id[i]);
	ch->n_prop = 0;
}

/* The request put together so far goes to the rules (its last fragment came, or it never will). */
static void
req_deliver(struct jg_detect *d, struct jg_session *s, int dir)
{
	struct jg_rpc_pdu whole;

	if (!s->req.active)
		return;
	memset(&whole, 0, sizeof(whole));
	whole.ptype = JG_RPC_REQUEST;
	whole.flags = 3;
	whole.auth_level = s->req.auth_level;
	whole.big_endian = s->req.big_endian;
	whole.call_id = s->req.call_id;
	whole.ctx_id = s->req.ctx_id;
	whole.opnum = s->req.opnum;
	whole.stub = s->req.buf;
	whole.stub_len = s->req.len;
	s->req.active = 0;
	request(d, s, dir, &s->rpc[s->req.chan], &whole);
}

/* A fragment of a request: the stubs are joined (up to JG_RPC_REQ bytes) so what follows the first fragment counts too. */
static void
req_fragment(struct jg_detect *d, struct jg_session *s, int dir, struct jg_rpc_chan *ch, const struct jg_rpc_pdu *pdu)
{
	uint8_t chan = (uint8_t)(ch - s->rpc);
	uint32_t take;

	if (pdu->flags & 0x01) {
		req_deliver(d, s, dir); /* another call began: what the last one had */
		s->req.active = 1;
		s->req.chan = chan;
		s->req.auth_level = pdu->auth_level;
		s->req.big_endian = pdu->big_endian;
		s->req.call_id = pdu->call_id;
		s->req.ctx_id = pdu->ctx_id;
		s->req.opnum = pdu->opnum;
		s->req.len = 0;
	} else if (!s->req.active || s->req.chan != chan || s->req.call_id != pdu->call_id) {
		return; /* its first fragment was not seen */
	}
	take = JG_RPC_REQ - s->req.len < pdu->stub_len ? JG_RPC_REQ - s->req.len : pdu->stub_len;
	if (take < pdu->stub_len)
		d->cnt[JG_CNT_RPC_REQ_CUT]++;
	if (take > 0)
		memcpy(s->req.buf + s->req.len, pdu->stub, take);
	s->req.len += take;
	if (pdu->flags & 0x02)
		req_deliver(d, s, dir);
}

void
jg_rpc_end(struct jg_detect *d, struct jg_session *s)
{
	if (!s->req.active)
		return;
	memset(&s->cur, 0, sizeof(s->cur));
	req_deliver(d, s, s->client_dir);
	jg_hits_flush(d, s, &s->dir[s->client_dir]);
}

/* NTLM in a bind's (or alter context's, or auth3's) auth trailer names the client; in the ack, the server. */
static void
auth_names(struct jg_session *s, const struct jg_rpc_pdu *pdu, const uint8_t *p, size_t len)
{
	uint16_t alen = pdu->big_endian ? (uint16_t)(p[10] << 8 | p[11]) : (uint16_t)(p[10] | p[11] << 8);
	struct jg_ntlm_auth a;
	struct jg_ntlm_chal c;

	if (alen == 0 || pdu->frag_len > len || alen > pdu->frag_len - 16u)
		return;
	p += pdu->frag_len - alen;
	if (pdu->ptype == JG_RPC_BIND_ACK || pdu->ptype == JG_RPC_ALTER_RESP) {
		if (jg_ntlm_find_challenge(p, alen, &c) == 0)
			jg_session_server(s, &c);
	} else if (jg_ntlm_find_auth(p, alen, &a) == 0 && a.user[0]) {
		jg_session_user(s, s->cur_sid, &a);
	}
}

void
jg_rpc_message(struct jg_detect *d, struct jg_session *s, int dir, struct jg_rpc_chan *ch, const uint8_t *p,
	       size_t len)
{
	struct jg_rpc_pdu pdu;

	/* A write may hold several PDUs back to back. */
	for (int n = 0; n < 8 && len >= 16; n++) {
		if (jg_rpc_parse(p, len, &pdu) != 0)
			return;
		if (!s->client_known && (pdu.ptype == JG_RPC_REQUEST || pdu.ptype == JG_RPC_BIND)) {
			s->client_dir = (uint8_t)dir;
			s->client_known = 1;
		}
		switch (pdu.ptype) {
		case JG_RPC_BIND:
		case JG_RPC_ALTER:
			auth_names(s, &pdu, p, len);
			bind(d, s, ch, &pdu);
			break;
		case JG_RPC_BIND_ACK:
		case JG_RPC_ALTER_RESP:
			auth_names(s, &pdu, p, len);
			bind_ack(ch, &pdu);
			break;
		case JG_RPC_AUTH3:
			auth_names(s, &pdu, p, len);
			break;
		case JG_RPC_REQUEST:
			if ((pdu.flags & 0x03) == 0x03)
				request(d, s, dir, ch, &pdu);
			else
				req_fragment(d, s, dir, ch, &pdu);
			break;
		case JG_RPC_RESPONSE: {
			int c = ctx_find(ch, pdu.ctx_id);

			if (c >= 0 && ch->ctx[c].iface == JG_IF_EPM && (pdu.flags & 0x01) && pdu.auth_level < 6)
				epm_response(d, s, &pdu);
			break;
		}
		default:
			break;
		}
		if (pdu.frag_len >= len)
			return;
		p += pdu.frag_len;
		len -= pdu.frag_len;
	}
}

void
jg_rpc_pipe_data(struct jg_detect *d, struct jg_session *s, int dir, struct jg_rpc_chan *ch, const uint8_t *p,
		 size_t len)
{
	while (len > 0) {
		uint32_t take, keep;

		/* The common case: whole PDUs in one write, nothing buffered. */
		if (ch->got == 0 && jg_rpc_looks_like(p, len) && jg_rpc_frag_len(p, len) <= (int32_t)len) {
			take = (uint32_t)jg_rpc_frag_len(p, len);
			jg_rpc_message(d, s, dir, ch, p, take);
			p += take;
			len -= take;
			continue;
		}
		if (ch->total == 0) {
			take = 16u - ch->have < len ? 16u - ch->have : (uint32_t)len;
			memcpy(ch->buf + ch->have, p, take);
			ch->have = (uint16_t)(ch->have + take);
			ch->got = ch->have;
			p += take;
			len -= take;
			if (ch->have < 16)
				return;
			if (!jg_rpc_looks_like(ch->buf, 16)) {
				ch->have = ch->got = 0; /* not a PDU boundary: wait for the next write */
				return;
			}
			ch->total = (uint16_t)jg_rpc_frag_len(ch->buf, 16);
			continue;
		}
		take = (uint32_t)(ch->total - ch->got) < len ? (uint32_t)(ch->total - ch->got) : (uint32_t)len;
		keep = JG_RPC_BUF - (uint32_t)ch->have < take ? JG_RPC_BUF - (uint32_t)ch->have : take;
		memcpy(ch->buf + ch->have, p, keep);
		ch->have = (uint16_t)(ch->have + keep);
		ch->got = (uint16_t)(ch->got + take);
		p += take;
		len -= take;
		if (ch->got >= ch->total) {
			jg_rpc_message(d, s, dir, ch, ch->buf, ch->have);
			ch->have = ch->got = ch->total = 0;
		}
	}
}

static void
rdp(struct jg_detect *d, struct jg_session *s, const uint8_t *p, size_t len)
{
	static const char cookie[] = "Cookie: mstshash=";
	struct jg_event_rec ev;
	char user[64] = "";
	const uint8_t *c;

	/* TPKT + X.224 connection request, with the routing cookie naming the user */
	if (len >= 11 && p[0] == 3 && p[1] == 0 && p[5] == 0xe0 &&
	    (c = memmem(p, len, cookie, sizeof(cookie) - 1)) != NULL) {
		size_t i = 0;

		c += sizeof(cookie) - 1;
		while (c + i < p + len && c[i] != '\r' && c[i] != '\n' && i + 1 < sizeof(user)) {
			user[i] = (c[i] >= 0x20 && c[i] < 0x7f) ? (char)c[i] : '?';
			i++;
		}
		user[i] = '\0';
	}
	jg_ev_begin(d, s, &ev, JG_EV_RDP_SESSION, JG_TOOL_UNKNOWN);
	jg_ev_str(&ev, JG_ATTR_USER, user);
	if (!(len >= 11 && p[0] == 3 && p[1] == 0))
		jg_ev_str(&ev, JG_ATTR_DETAIL, "no X.224 connection request seen");
	jg_ev_emit(d, s, &ev, "rdp");
}

static void
winrm(struct jg_detect *d, struct jg_session *s, const uint8_t *p, size_t len)
{
	struct jg_event_rec ev;
	int http = len >= 5 && memcmp(p, "POST ", 5) == 0;

	jg_ev_begin(d, s, &ev, JG_EV_WINRM_SESSION, JG_TOOL_UNKNOWN);
	jg_ev_bool(&ev, JG_ATTR_ENCRYPTED, !http);
	jg_ev_str(&ev, JG_ATTR_DETAIL, http ? "HTTP POST /wsman" : "WinRM over TLS (port 5986)");
	jg_ev_emit(d, s, &ev, "winrm");
}

void
jg_raw_message(struct jg_detect *d, struct jg_session *s, int dir, const uint8_t *p, size_t len)
{
	/* The client speaks first: its direction is the one that sends the first bytes. */
	if (!s->client_known) {
		s->client_dir = (uint8_t)dir;
		s->client_known = 1;
	}
	if (dir != s->client_dir)
		return;
	if (s->app == JG_APP_RDP)
		rdp(d, s, p, len);
	else if (s->app == JG_APP_WINRM && (len < 5 || memcmp(p, "POST ", 5) == 0 || p[0] == 0x16))
		winrm(d, s, p, len);
}
