/* SPDX-License-Identifier: BSD-3-Clause */
#include "jg_policy_load.h"
#include "verdict.h"

#include <string.h>

#include "jg_records.h"

/* The service an event is evidence of, or -1 when it is none (a logon failure). */
static int
service_of(const struct jg_event_rec *ev)
{
	int smb = ev->dst_port == 445 || ev->dst_port == 139;
	char v[24];

	switch (ev->type) {
	case JG_EV_ADMIN_SESSION:
		/* a sealed session is smb-encrypted, unless its shape is a tool's */
		if (smb && !strcmp(jg_ev_get(ev, JG_ATTR_ENCRYPTED, v, sizeof(v)), "true") &&
		    !jg_ev_get(ev, JG_ATTR_SHAPE, v, sizeof(v))[0])
			return JG_SVC_SMB_ENCRYPTED;
		return smb ? JG_SVC_SMB_ADMIN : JG_SVC_RPC;
	case JG_EV_TOOL_ARTIFACT:
	case JG_EV_SERVICE_INSTALL:
	case JG_EV_SERVICE_CHANGE:
	case JG_EV_TASK_CREATE:
		return smb ? JG_SVC_SMB_ADMIN : JG_SVC_RPC;
	case JG_EV_WMI_EXEC:
		return JG_SVC_WMI;
	case JG_EV_WINRM_SESSION:
		return JG_SVC_WINRM;
	case JG_EV_RDP_SESSION:
		return JG_SVC_RDP;
	case JG_EV_RPC_CALL:
		/* discovery is reported, not judged: every file browser lists shares and looks SIDs up */
		if (jg_ev_discovery(ev))
			return -1;
		/* as the service installs and tasks: a policy that allows PsExec from a jump host allows its StartService */
		return smb ? JG_SVC_SMB_ADMIN : JG_SVC_RPC;
	default:
		return -1;
	}
}

static void
annotate(const struct jg_verdict *v, struct jg_event_rec *ev, uint8_t sz, uint8_t dz, int svc, uint8_t act)
{
	jg_ev_str(ev, JG_ATTR_SRC_ZONE, v->pol->zones[sz]);
	jg_ev_str(ev, JG_ATTR_DST_ZONE, v->pol->zones[dz]);
	jg_ev_str(ev, JG_ATTR_SERVICE, v->pol->services[svc].name);
	jg_ev_str(ev, JG_ATTR_ACTION, jg_action_names[act]);
}

/*
 * First sight of a service in a flow: count it, and raise the violation. A
 * service already judged is judged again once, when an attack tool named later
 * raises its verdict (smbexec's service install after its tree connect): the
 * flow then counts in both counters, as it was allowed and then was not.
 */
static void
judge(const struct jg_verdict *v, struct jg_flow *f, const struct jg_event_rec *ev, int svc, uint8_t base,
      uint8_t act)
{
	static const enum jg_counter c[] = { JG_CNT_POL_ALLOW, JG_CNT_POL_ALERT, JG_CNT_POL_BLOCK };
	struct jg_flow_cold *fc = jg_flow_cold(v->ft, f);

	/* A reload since this flow was judged: what it shows from now on is judged anew. */
	if (fc->pol_gen != (uint8_t)v->gen) {
		fc->pol_gen = (uint8_t)v->gen;
		fc->pol_seen = 0;
		fc->pol_attack = 0;
	}
	if ((fc->pol_seen & (1u << svc)) && (act == base || fc->pol_attack))
		return;
	if (act != base)
		fc->pol_attack = 1; /* judged with its attack tool: once is enough */
	fc->pol_seen |= 1u << svc;
	if (act > f->verdict)
		f->verdict = act & 3u;
	v->cnt[c[act]]++;
	if (act != JG_ACT_ALLOW) {
		struct jg_event_rec zv = *ev;

		zv.type = JG_EV_ZONE_VIOLATION;
		v->out(v->out_ctx, &zv);
	}
}

void
jg_verdict_event(const struct jg_verdict *v, struct jg_flow *f, struct jg_event_rec *ev)
{
	int svc = service_of(ev);
	uint8_t sz, dz, base, act;

	if (svc < 0 || v->pol == NULL) {
		/* no service judged (an evasion, a cut inspection): the zones still say between whom */
		if (v->pol != NULL &&
		    (ev->type == JG_EV_EVASION || ev->type == JG_EV_INSPECTION_CUT || ev->type == JG_EV_RPC_CALL)) {
			jg_ev_str(ev, JG_ATTR_SRC_ZONE, v->pol->zones[jg_zone_of(v->zones, ev->src_ip, ev->ip_version)]);
			jg_ev_str(ev, JG_ATTR_DST_ZONE, v->pol->zones[jg_zone_of(v->zones, ev->dst_ip, ev->ip_version)]);
		}
		v->out(v->out_ctx, ev);
		return;
	}
	sz = jg_zone_of(v->zones, ev->src_ip, ev->ip_version);
	dz = jg_zone_of(v->zones, ev->dst_ip, ev->ip_version);
	base = v->pol->action[sz][dz][svc];
	act = jg_policy_action(v->pol, sz, dz, (unsigned int)svc, ev->tool < JG_TOOL_MAX && jg_tool_attack[ev->tool]);
	annotate(v, ev, sz, dz, svc, act);
	judge(v, f, ev, svc, base, act);
	v->out(v->out_ctx, ev);
}

void
jg_verdict_new_flow(const struct jg_verdict *v, struct jg_flow *f, uint64_t ts)
{
	const struct jg_flow_key *k = &f->key;
	struct jg_event_rec ev;
	uint16_t server_port = f->init_is_a ? k->pb : k->pa;
	int svc;

	if (v->pol == NULL || k->proto != 6 || (svc = jg_policy_port_service(v->pol, server_port)) < JG_SVC_SSH)
		return; /* SMB, RPC, WMI, WinRM and RDP are judged on what their sessions show */
	memset(&ev, 0, sizeof(ev));
	memcpy(ev.src_ip, f->init_is_a ? k->a : k->b, 16);
	memcpy(ev.dst_ip, f->init_is_a ? k->b : k->a, 16);
	ev.src_port = f->init_is_a ? k->pa : k->pb;
	ev.dst_port = server_port;
	ev.proto = k->proto;
	ev.ip_version = k->ip_version;
	ev.type = JG_EV_ADMIN_SESSION;
	ev.tool = JG_TOOL_UNKNOWN;
	ev.flow_id = jg_flow_cold(v->ft, f)->flow_id;
	ev.ts_ns = ts;
	if (svc == JG_SVC_SSH || svc == JG_SVC_VNC)
		jg_ev_str(&ev, JG_ATTR_TECHNIQUE, svc == JG_SVC_SSH ? "T1021.004" : "T1021.005");
	{
		uint8_t sz = jg_zone_of(v->zones, ev.src_ip, ev.ip_version);
		uint8_t dz = jg_zone_of(v->zones, ev.dst_ip, ev.ip_version);
		uint8_t act = v->pol->action[sz][dz][svc];

		annotate(v, &ev, sz, dz, svc, act);
		judge(v, f, &ev, svc, act, act);
	}
	v->out(v->out_ctx, &ev);
}
