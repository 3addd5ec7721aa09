/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The catalogue's functions (rpc_catalog.h) as rpc_call events: DCSync,
 * event-log clearing, registry hive dumps and autostart writes, spooler
 * drivers and monitors, forced authentication, shutdown, and (low severity)
 * discovery. Also what a request tells when its bind was not captured: the
 * pipe it is written to, or, on TCP, the calls made so far.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "detect_priv.h"
#include "rpc_catalog.h"

/* unk_ops: the calls DCSync tools make before DRSGetNCChanges (secretsdump and mimikatz alike) */
#define JG_UNK_DRS_BIND 0x1u     /* opnum 0: DRSBind */
#define JG_UNK_DRS_DCINFO 0x2u   /* opnum 16: DRSDomainControllerInfo */
#define JG_UNK_DRS_CRACK 0x4u    /* opnum 12: DRSCrackNames */
#define JG_UNK_DRS_ALL 0x7u

static const char *const inferred_names[] = {
	[JG_INF_BIND] = "", [JG_INF_EPM] = "endpoint-mapper", [JG_INF_PIPE] = "pipe-name", [JG_INF_CALLS] = "call-sequence",
};

/* Well-known pipes that serve one interface each (\pipe\lsass serves several and tells nothing). */
static const struct {
	const char *pipe;
	uint8_t iface;
} pipe_ifaces[] = {
	{ "svcctl", JG_IF_SVCCTL },   { "atsvc", JG_IF_ATSVC },     { "winreg", JG_IF_WINREG },
	{ "lsarpc", JG_IF_LSARPC },   { "samr", JG_IF_SAMR },       { "srvsvc", JG_IF_SRVSVC },
	{ "wkssvc", JG_IF_WKSSVC },   { "eventlog", JG_IF_EVENTLOG }, { "spoolss", JG_IF_SPOOLSS },
	{ "netlogon", JG_IF_NETLOGON },
};

void
jg_rpc_event_attrs(struct jg_session *s, struct jg_event_rec *ev, const struct jg_rpc_chan *ch, int c,
		   const struct jg_rpc_pdu *pdu, const struct jg_rpc_func *fn, const char *technique)
{
	unsigned int iface = c >= 0 ? ch->ctx[c].iface : JG_IF_UNKNOWN;
	char u[40];

	if (c >= 0)
		jg_ev_str(ev, JG_ATTR_RPC_INTERFACE, iface ? jg_rpc_iface_names[iface] : jg_uuid_str(&ch->ctx[c].uuid, u, sizeof(u)));
	if (c >= 0 && ch->inferred < sizeof(inferred_names) / sizeof(inferred_names[0]))
		jg_ev_str(ev, JG_ATTR_INTERFACE_FROM, inferred_names[ch->inferred]);
	if (pdu->ptype == JG_RPC_REQUEST) {
		jg_ev_uint(ev, JG_ATTR_RPC_OPNUM, pdu->opnum);
		if (fn == NULL)
			fn = jg_rpc_func_of(iface, pdu->opnum);
	}
	if (fn != NULL) {
		jg_ev_str(ev, JG_ATTR_RPC_FUNCTION, fn->name);
		jg_ev_str(ev, JG_ATTR_TACTIC, jg_tactic_names[fn->tactic]);
	}
	jg_ev_str(ev, JG_ATTR_TECHNIQUE, technique ? technique : fn ? fn->technique : "");
	jg_ev_str(ev, JG_ATTR_PIPE, s->cur.pipe);
	jg_ev_session(s, ev);
}

int
jg_rpc_infer(struct jg_detect *d, struct jg_session *s, struct jg_rpc_chan *ch, const struct jg_rpc_pdu *pdu)
{
	enum jg_rpc_iface iface = JG_IF_UNKNOWN;
	uint8_t how = JG_INF_BIND;
	struct jg_uuid u;

	(void)d;
	if (s->app == JG_APP_SMB && s->cur.pipe[0]) {
		const char *base = strrchr(s->cur.pipe, '\\');

		base = base ? base + 1 : s->cur.pipe;
		for (size_t i = 0; i < sizeof(pipe_ifaces) / sizeof(pipe_ifaces[0]); i++)
			if (strcasecmp(base, pipe_ifaces[i].pipe) == 0) {
				iface = (enum jg_rpc_iface)pipe_ifaces[i].iface;
				how = JG_INF_PIPE;
			}
	} else if (s->app == JG_APP_RPC) {
		/*
		 * A replication stream caught after its bind (on a dynamic port the
		 * mapper was not asked for in the capture): DRSBind, then the domain
		 * controller's info and a name lookup, then the replication call.
		 */
		ch->unk_ops |= pdu->opnum == 0 ? JG_UNK_DRS_BIND : pdu->opnum == 16 ? JG_UNK_DRS_DCINFO
			       : pdu->opnum == 12 ? JG_UNK_DRS_CRACK : 0;
		if ((pdu->opnum == 3 || pdu->opnum == 2) && ch->unk_ops == JG_UNK_DRS_ALL) {
			iface = JG_IF_DRSUAPI;
			how = JG_INF_CALLS;
		}
	}
	if (iface == JG_IF_UNKNOWN || jg_rpc_iface_uuid(iface, &u) != 0)
		return -1;
	ch->inferred = how;
	return jg_rpc_ctx_add(ch, pdu->ctx_id, &u);
}

static void
call_event(struct jg_detect *d, struct jg_session *s, const struct jg_rpc_chan *ch, int c, const struct jg_rpc_pdu *pdu,
	   const struct jg_rpc_func *fn, const char *technique, const char *detail)
{
	struct jg_event_rec ev;
	char key[256];

	if (fn->tactic == JG_TAC_DISCOVERY && d->no_discovery)
		return;
	jg_ev_begin(d, s, &ev, JG_EV_RPC_CALL, s->tool);
	jg_ev_str(&ev, JG_ATTR_SEVERITY, fn->tactic == JG_TAC_DISCOVERY ? "low" : "high");
	if (detail == NULL && (pdu->auth_level >= 6 || pdu->stub == NULL))
		detail = "stub sealed (auth level privacy): interface and opnum only";
	if (detail != NULL)
		jg_ev_str(&ev, JG_ATTR_DETAIL, detail);
	jg_rpc_event_attrs(s, &ev, ch, c, pdu, fn, technique);
	snprintf(key, sizeof(key), "%s|%s", fn->name, detail ? detail : "");
	jg_ev_emit(d, s, &ev, key);
}

/* The technique of a value written under a key: autostart locations first. */
static const char *
set_value_technique(const char *key)
{
	static const struct {
		const char *part;
		const char *technique;
	} places[] = {
		{ "\\CurrentVersion\\Run", "T1547.001" },   /* Run, RunOnce, RunServices */
		{ "\\Winlogon", "T1547.004" },
		{ "\\Image File Execution Options", "T1546.012" },
		{ "\\Services\\", "T1543.003" },
		{ "\\Control\\Lsa", "T1547.002" },
	};

	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++)
		if (strcasestr(key, places[i].part) != NULL)
			return places[i].technique;
	return "T1112";
}

/*
 * winreg keeps the key the calls are about: the hive of the last Open* call
 * and the subkey of the last BaseRegOpenKey or BaseRegCreateKey (a handle is
 * used right after it is opened: secretsdump's SAM dump, reg.exe's Run write).
 * @return 1 when the request was winreg's own business here
 */
static int
winreg(struct jg_detect *d, struct jg_session *s, struct jg_rpc_chan *ch, int c, const struct jg_rpc_pdu *pdu)
{
	static const char *const hives[] = { [JG_REG_OPEN_CLASSES_ROOT] = "HKCR", [JG_REG_OPEN_CURRENT_USER] = "HKCU",
					     [JG_REG_OPEN_LOCAL_MACHINE] = "HKLM", [JG_REG_OPEN_USERS] = "HKU" };
	int clear = pdu->auth_level < 6 && pdu->stub != NULL;
	const struct jg_rpc_func *fn = jg_rpc_func_of(JG_IF_WINREG, pdu->opnum);
	char name[96], detail[224], hive[8];
	const char *base;

	switch (pdu->opnum) {
	case JG_REG_OPEN_CLASSES_ROOT:
	case JG_REG_OPEN_CURRENT_USER:
	case JG_REG_OPEN_LOCAL_MACHINE:
	case JG_REG_OPEN_USERS:
		snprintf(ch->reg_key, sizeof(ch->reg_key), "%s", hives[pdu->opnum]);
		return 1;
	case JG_REG_OPEN_KEY:
	case JG_REG_CREATE_KEY:
		if (clear && jg_winreg_decode(pdu->opnum, pdu->stub, pdu->stub_len, pdu->big_endian, name, sizeof(name)) == 0) {
			snprintf(hive, sizeof(hive), "%.*s", (int)strcspn(ch->reg_key, "\\"), ch->reg_key);
			snprintf(ch->reg_key, sizeof(ch->reg_key), "%s%s%s", hive, hive[0] ? "\\" : "", name);
		}
		return 1;
	case JG_REG_ENUM_KEY:
		/* the subkeys of HKEY_USERS are the SIDs of whoever is logged on (PsLoggedOn and its kind) */
		if (fn != NULL && strcmp(ch->reg_key, "HKU") == 0)
			call_event(d, s, ch, c, pdu, fn, NULL, "HKU subkeys: the users logged on");
		return 1;
	case JG_REG_SAVE_KEY:
	case JG_REG_SAVE_KEY_EX:
		if (!clear || jg_winreg_decode(pdu->opnum, pdu->stub, pdu->stub_len, pdu->big_endian, name, sizeof(name)) != 0)
			snprintf(name, sizeof(name), "?");
		base = strrchr(ch->reg_key, '\\');
		base = base ? base + 1 : ch->reg_key;
		snprintf(detail, sizeof(detail), "key %s saved to %s", ch->reg_key[0] ? ch->reg_key : "?", name);
		/* SAM and SYSTEM give the local hashes; SECURITY the LSA secrets and cached logons */
		call_event(d, s, ch, c, pdu, fn, strcasecmp(base, "SECURITY") == 0 ? "T1003.004" : NULL,
			   clear ? detail : NULL);
		return 1;
	case JG_REG_SET_VALUE:
		if (!clear || jg_winreg_decode(pdu->opnum, pdu->stub, pdu->stub_len, pdu->big_endian, name, sizeof(name)) != 0)
			snprintf(name, sizeof(name), "?");
		snprintf(detail, sizeof(detail), "%s\\%s", ch->reg_key[0] ? ch->reg_key : "?", name);
		call_event(d, s, ch, c, pdu, fn, set_value_technique(ch->reg_key), clear ? detail : NULL);
		return 1;
	default:
		return 0;
	}
}

void
jg_rpc_call(struct jg_detect *d, struct jg_session *s, struct jg_rpc_chan *ch, int c, const struct jg_rpc_pdu *pdu)
{
	unsigned int iface = c >= 0 ? ch->ctx[c].iface : JG_IF_UNKNOWN;
	const struct jg_rpc_func *fn;

	if (iface == JG_IF_WINREG && winreg(d, s, ch, c, pdu))
		return;
	if ((fn = jg_rpc_func_of(iface, pdu->opnum)) != NULL)
		call_event(d, s, ch, c, pdu, fn, NULL, NULL);
}
