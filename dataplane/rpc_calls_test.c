/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The catalogue's DCE-RPC functions on crafted streams, without EAL: every row
 * reaches an event with its function and technique; winreg's key decides the
 * technique of a hive save or a value write; a DCSync stream caught after its
 * bind is known by its calls; discovery can be turned off.
 */
#include <errno.h>
#include <time.h>

#include "detect_test_kit.h"
#include "jg_test.h"
#include "rpc_catalog.h"

static uint8_t pdu[8192];
static uint32_t seq[2];
static uint8_t host = 1;

/* A new TCP stream to a dynamic port (recognised as DCE-RPC by its first bytes). */
static void
stream_begin(struct jg_detect *d)
{
	host++;
	seq[0] = 1000;
	seq[1] = 9000;
	tcp_packet(d, host, 49666, 0, JG_TCP_SYN, seq[0] - 1, NULL, 0);
	tcp_packet(d, host, 49666, 1, JG_TCP_SYN | JG_TCP_ACK, seq[1] - 1, NULL, 0);
}

static void
send_client(struct jg_detect *d, const uint8_t *p, size_t len)
{
	tcp_packet(d, host, 49666, 0, JG_TCP_ACK | JG_TCP_PSH, seq[0], p, (uint32_t)len);
	seq[0] += (uint32_t)len;
}

/* bind of one interface as context 1 */
static void
bind_iface(struct jg_detect *d, enum jg_rpc_iface iface)
{
	struct jg_uuid u;
	size_t off = rpc_hdr(pdu, JG_RPC_BIND, 3, 0, 1) + 8;

	CHECK(jg_rpc_iface_uuid(iface, &u) == 0);
	pdu[off] = 1;
	off += 4;
	memset(pdu + off, 0, 44);
	w16(pdu + off, 1);
	pdu[off + 2] = 1;
	memcpy(pdu + off + 4, u.b, 16);
	off += 44;
	finish_pdu(pdu, off, 0);
	send_client(d, pdu, off);
}

/* a request on context 1; sealed: with an NTLM trailer at auth level privacy */
static void
request(struct jg_detect *d, uint16_t opnum, const uint8_t *stub, size_t stub_len, int sealed)
{
	size_t off = rpc_hdr(pdu, JG_RPC_REQUEST, 3, 0, 2);

	w32(pdu + 16, (uint32_t)stub_len);
	w16(pdu + 20, 1);
	w16(pdu + 22, opnum);
	memcpy(pdu + 24, stub, stub_len);
	off = 24 + stub_len;
	if (sealed) {
		memset(pdu + off, 0, 8 + 16);
		pdu[off] = 10; /* NTLM */
		pdu[off + 1] = 6;
		w16(pdu + 10, 16);
		off += 8 + 16;
	}
	finish_pdu(pdu, off, 0);
	send_client(d, pdu, off);
}

/* a winreg call: the key handle, then one RRP_UNICODE_STRING */
static void
reg_call(struct jg_detect *d, uint16_t opnum, const char *name)
{
	uint8_t stub[512];
	size_t off = 20;

	memset(stub, 0, sizeof(stub));
	w16(stub + off, (uint16_t)(2 * strlen(name) + 2));
	w16(stub + off + 2, (uint16_t)(2 * strlen(name) + 2));
	w32(stub + off + 4, 0x20000);
	off = ndr_wstr(stub, off + 8, name, 0);
	request(d, opnum, stub, off + 16, 0);
}

static const struct jg_event_rec *
event_with(enum jg_attr key, const char *value)
{
	char v[256];

	for (unsigned int i = 0; i < n_events; i++)
		if (strcmp(attr(&events[i], key, v, sizeof(v)), value) == 0)
			return &events[i];
	return NULL;
}

static int
has(const struct jg_event_rec *ev, enum jg_attr key, const char *value)
{
	char v[256];

	return ev != NULL && strcmp(attr(ev, key, v, sizeof(v)), value) == 0;
}

/* Every row of the catalogue gives an event naming its function and technique. */
static void
test_every_row(struct jg_hs_db *db)
{
	static const uint8_t stub[256];
	unsigned int missed = 0;

	for (unsigned int i = 0; i < jg_rpc_funcs_n; i++) {
		const struct jg_rpc_func *fn = &jg_rpc_funcs[i];
		struct jg_detect *d = kit_fresh(db, NULL);
		const struct jg_event_rec *ev;

		stream_begin(d);
		bind_iface(d, (enum jg_rpc_iface)fn->iface);
		if (fn->iface == JG_IF_WINREG && fn->opnum == JG_REG_ENUM_KEY)
			request(d, JG_REG_OPEN_USERS, stub, 16, 0);
		request(d, fn->opnum, stub, sizeof(stub), 1);
		ev = event_with(JG_ATTR_RPC_FUNCTION, fn->name);
		if (!has(ev, JG_ATTR_TECHNIQUE, fn->technique) || !has(ev, JG_ATTR_TACTIC, jg_tactic_names[fn->tactic]) ||
		    !has(ev, JG_ATTR_RPC_INTERFACE, jg_rpc_iface_names[fn->iface])) {
			fprintf(stderr, "catalogue row %s (%s opnum %u): no event with its function and technique\n", fn->name,
				jg_rpc_iface_names[fn->iface], fn->opnum);
			missed++;
		}
		/* only the rpc_call events are the catalogue's own; discovery is low */
		if (ev != NULL && ev->type == JG_EV_RPC_CALL)
			CHECK(has(ev, JG_ATTR_SEVERITY, fn->tactic == JG_TAC_DISCOVERY ? "low" : "high"));
	}
	CHECK(missed == 0);
}

/* secretsdump's hive dump and a Run-key write: the key opened before decides the technique */
static void
test_winreg(struct jg_hs_db *db)
{
	static const uint8_t none[16];
	struct jg_detect *d = kit_fresh(db, NULL);
	const struct jg_event_rec *ev;

	stream_begin(d);
	bind_iface(d, JG_IF_WINREG);
	request(d, JG_REG_OPEN_LOCAL_MACHINE, none, sizeof(none), 0);
	reg_call(d, JG_REG_OPEN_KEY, "SAM");
	reg_call(d, JG_REG_SAVE_KEY, "xKzQpWvb.tmp");
	ev = event_with(JG_ATTR_DETAIL, "key HKLM\\SAM saved to xKzQpWvb.tmp");
	CHECK(ev != NULL && ev->type == JG_EV_RPC_CALL && has(ev, JG_ATTR_TECHNIQUE, "T1003.002") &&
	      has(ev, JG_ATTR_RPC_FUNCTION, "BaseRegSaveKey"));
	reg_call(d, JG_REG_OPEN_KEY, "SECURITY");
	reg_call(d, JG_REG_SAVE_KEY, "hGtRbvXa.tmp");
	CHECK(has(event_with(JG_ATTR_DETAIL, "key HKLM\\SECURITY saved to hGtRbvXa.tmp"), JG_ATTR_TECHNIQUE, "T1003.004"));
	reg_call(d, JG_REG_OPEN_KEY, "Software\\Microsoft\\Windows\\CurrentVersion\\Run");
	reg_call(d, JG_REG_SET_VALUE, "updater");
	ev = event_with(JG_ATTR_DETAIL, "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater");
	CHECK(has(ev, JG_ATTR_TECHNIQUE, "T1547.001") && has(ev, JG_ATTR_TACTIC, "defense-evasion"));
	reg_call(d, JG_REG_OPEN_KEY, "Software\\Vendor");
	reg_call(d, JG_REG_SET_VALUE, "colour");
	CHECK(has(event_with(JG_ATTR_DETAIL, "HKLM\\Software\\Vendor\\colour"), JG_ATTR_TECHNIQUE, "T1112"));
	/* BaseRegEnumKey is discovery only under HKEY_USERS */
	n_events = 0;
	request(d, JG_REG_ENUM_KEY, none, sizeof(none), 0);
	CHECK(n_events == 0);
}

/* mimikatz's and secretsdump's DCSync caught after the bind: the calls name the interface */
static void
test_dcsync_without_bind(struct jg_hs_db *db)
{
	static const uint8_t stub[64];
	static const uint16_t calls[] = { 0, 16, 12, 0, 3, 1 };
	struct jg_detect *d = kit_fresh(db, NULL);
	const struct jg_event_rec *ev;

	stream_begin(d);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		request(d, calls[i], stub, sizeof(stub), 1);
	ev = event_with(JG_ATTR_RPC_FUNCTION, "DRSGetNCChanges");
	CHECK(ev != NULL && ev->type == JG_EV_RPC_CALL && has(ev, JG_ATTR_TECHNIQUE, "T1003.006") &&
	      has(ev, JG_ATTR_INTERFACE_FROM, "call-sequence") && has(ev, JG_ATTR_RPC_INTERFACE, "drsuapi"));
	/* opnum 3 alone on an unknown interface is nothing */
	d = kit_fresh(db, NULL);
	stream_begin(d);
	request(d, 0, stub, sizeof(stub), 1);
	request(d, 3, stub, sizeof(stub), 1);
	CHECK(n_events == 0);
}

/* A session that names more distinct events than its dedup table holds: the oldest key gives
 * way, so a loop over many calls repeats a bounded set, never every call once the table is full. */
static void
test_dedup_bound(struct jg_hs_db *db)
{
	static struct jg_session s;
	struct jg_detect *d = kit_fresh(db, NULL);
	struct jg_event_rec ev;
	char key[16];

	memset(&ev, 0, sizeof(ev));
	ev.type = JG_EV_RPC_CALL;
	for (int round = 0; round < 2; round++)
		for (int k = 0; k < JG_DEDUP; k++) {
			snprintf(key, sizeof(key), "f%d", k);
			jg_ev_emit(d, &s, &ev, key);
		}
	CHECK(n_events == JG_DEDUP && cnt[JG_CNT_EV_DEDUP] == JG_DEDUP);
	jg_ev_emit(d, &s, &ev, "new"); /* takes f0's slot */
	jg_ev_emit(d, &s, &ev, "f1");  /* still known */
	jg_ev_emit(d, &s, &ev, "f0");  /* forgotten: said again, taking f1's */
	jg_ev_emit(d, &s, &ev, "new");
	CHECK(n_events == JG_DEDUP + 2 && cnt[JG_CNT_EV_DEDUP] == JG_DEDUP + 2);
}

static void
test_discovery_off(struct jg_hs_db *db)
{
	static const uint8_t stub[64];
	const struct jg_detect_limits quiet = { 4, 4, 65536, JG_OVERLAP_FIRST, 1 };
	struct jg_detect *d = kit_fresh(db, NULL);

	stream_begin(d);
	bind_iface(d, JG_IF_SRVSVC);
	request(d, 15, stub, sizeof(stub), 0);
	CHECK(has(event_with(JG_ATTR_RPC_FUNCTION, "NetrShareEnum"), JG_ATTR_SEVERITY, "low"));
	d = kit_fresh(db, &quiet);
	stream_begin(d);
	bind_iface(d, JG_IF_SRVSVC);
	request(d, 15, stub, sizeof(stub), 0);
	bind_iface(d, JG_IF_EVENTLOG);
	request(d, 0, stub, sizeof(stub), 0);
	CHECK(event_with(JG_ATTR_RPC_FUNCTION, "NetrShareEnum") == NULL &&
	      event_with(JG_ATTR_RPC_FUNCTION, "ElfrClearELFW") != NULL);
}

static char *
rand_name(char *out, int n, const char *set)
{
	for (int i = 0; i < n; i++)
		out[i] = set[rand() % (int)strlen(set)];
	out[n] = '\0';
	return out;
}

/* CreateServiceW (wide) or ChangeServiceConfigA (ANSI) on svcctl, clear */
static void
svc_call(struct jg_detect *d, uint16_t opnum, const char *name, const char *path)
{
	uint8_t stub[1024];
	size_t off = 20;

	memset(stub, 0, sizeof(stub));
	if (opnum == JG_SCM_CREATE_SERVICE_W) {
		off = ndr_wstr(stub, off, name, 0);
		off += 4;                  /* no display name */
		w32(stub + off, 0xf01ff);  /* access, type, start, error control */
		w32(stub + off + 4, 0x10);
		w32(stub + off + 8, 3);
		w32(stub + off + 12, 1);
		off = ndr_wstr(stub, off + 16, path, 0);
	} else { /* ChangeServiceConfigA: type, start, error control, then the path as a unique ANSI string */
		size_t n = strlen(path) + 1;

		w32(stub + off, 0x10);
		w32(stub + off + 4, 3);
		w32(stub + off + 8, 1);
		w32(stub + off + 12, 0x20000);
		w32(stub + off + 16, (uint32_t)n);
		w32(stub + off + 20, 0);
		w32(stub + off + 24, (uint32_t)n);
		memcpy(stub + off + 28, path, n);
		off = (off + 28 + n + 3) & ~(size_t)3;
	}
	request(d, opnum, stub, off + 32, 0);
}

/* Each family by its rule, its random parts drawn anew; a stock PsExec stays PsExec's. */
static void
test_rules(struct jg_hs_db *db)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", alnum[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned int seed = getenv("JG_RULES_SEED") ? (unsigned int)strtoul(getenv("JG_RULES_SEED"), NULL, 10)
						    : (unsigned int)time(NULL);
	char a[16], b[16], c[16], svc[32];
	struct {
		const char *rule, *tool;
		uint16_t opnum;
	} want[8];
	char paths[8][512], names[8][32];
	int n = 0;

	srand(seed);
	printf("rules: seed %u (JG_RULES_SEED=%u replays it)\n", seed, seed);
#define CASE(r, t, op, nm, ...)                                                        \
	do {                                                                           \
		snprintf(paths[n], sizeof(paths[n]), __VA_ARGS__);                     \
		snprintf(names[n], sizeof(names[n]), "%s", nm);                        \
		want[n].rule = r, want[n].tool = t, want[n].opnum = op;                \
		n++;                                                                   \
	} while (0)
	CASE("impacket-smbexec", "smbexec", JG_SCM_CREATE_SERVICE_W, rand_name(svc, 6, alpha),
	     "%%COMSPEC%% /Q /c echo %s ^> \\\\127.0.0.1\\C$\\__output 2^>^&1 > %%TEMP%%\\%s.bat & "
	     "%%COMSPEC%% /Q /c %%TEMP%%\\%s.bat & del %%TEMP%%\\%s.bat", rand_name(a, 5, alpha), rand_name(b, 8, alpha), b, b);
	CASE("cme-smbexec", "crackmapexec", JG_SCM_CREATE_SERVICE_W, rand_name(svc, 8, alpha),
	     "%%COMSPEC%% /Q /c echo %s 2^>^&1 > %%TEMP%%\\%s.bat & %%COMSPEC%% /Q /c %%TEMP%%\\%s.bat & del %%TEMP%%\\%s.bat",
	     rand_name(a, 4, alpha), rand_name(b, 8, alpha), b, b);
	CASE("metasploit-psexec-psh", "metasploit-psexec", JG_SCM_CREATE_SERVICE_W, rand_name(svc, 8, alpha),
	     "%%COMSPEC%% /b /c start /b /min powershell.exe -nop -w hidden -noni -c \"if([IntPtr]::Size -eq 4){%s}\"",
	     rand_name(a, 12, alpha));
	CASE("cobalt-strike-psexec-psh", "cobalt-strike", JG_SCM_CREATE_SERVICE_W, rand_name(svc, 7, alnum),
	     "%%COMSPEC%% /b /c start /b /min powershell -nop -w hidden -encodedcommand %s", rand_name(a, 15, b64));
	CASE("cobalt-strike-psexec", "cobalt-strike", JG_SCM_CREATE_SERVICE_W, rand_name(svc, 7, alnum),
	     "\\\\10.1.%d.%d\\ADMIN$\\%s.exe", rand() % 250, rand() % 250, rand_name(a, 7, alnum));
	CASE("impacket-psexec", "impacket-psexec", JG_SCM_CREATE_SERVICE_W, rand_name(svc, 4, alpha),
	     "%%systemroot%%\\%s.exe", rand_name(a, 8, alpha));
	CASE("metasploit-psexec", "metasploit-psexec", JG_SCM_CREATE_SERVICE_W,
	     (rand_name(svc, 8, alpha), svc[0] = 'Q', svc[1] = 'z', svc), "%%SYSTEMROOT%%\\%s.exe", rand_name(a, 8, alpha));
	CASE("scshell", "scshell", JG_SCM_CHANGE_CONFIG_A, "",
	     "C:\\windows\\system32\\cmd.exe /c %s", rand_name(c, 10, alpha));
#undef CASE
	for (int i = 0; i < n; i++) {
		struct jg_detect *d = kit_fresh(db, NULL);
		const struct jg_event_rec *ev;
		char tool[64];

		stream_begin(d);
		bind_iface(d, JG_IF_SVCCTL);
		svc_call(d, want[i].opnum, names[i], paths[i]);
		ev = event_with(JG_ATTR_RULE, want[i].rule);
		if (ev == NULL || strcmp(jg_ev_tool(ev, tool, sizeof(tool)), want[i].tool) != 0 ||
		    !has(ev, JG_ATTR_BINARY_PATH, paths[i]))
			fprintf(stderr, "rules: %s (service %s, path %s) not attributed by its rule\n", want[i].rule, names[i],
				paths[i]);
		CHECK(ev != NULL && strcmp(tool, want[i].tool) == 0);
	}
	/* PsExec's own names stay PsExec's, however much PSEXESVC looks like a random name */
	{
		struct jg_detect *d = kit_fresh(db, NULL);

		stream_begin(d);
		bind_iface(d, JG_IF_SVCCTL);
		svc_call(d, JG_SCM_CREATE_SERVICE_W, "PSEXESVC", "%SystemRoot%\\PSEXESVC.exe");
		CHECK(n_events >= 1 && events[0].tool == JG_TOOL_PSEXEC && has(&events[0], JG_ATTR_RULE, "psexec-service"));
	}
}

/* SchRpcRegisterTask in clear: the task's path, then its XML (an Exec action), flags, no SDDL, logon type, no credentials */
static void
register_task(struct jg_detect *d, const char *path, const char *args_xml)
{
	static uint8_t stub[4096];
	char xml[1024];
	size_t off = 4;

	snprintf(xml, sizeof(xml),
		 "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Task version=\"1.2\"><Settings><Hidden>true</Hidden>"
		 "</Settings><Actions Context=\"LocalSystem\"><Exec><Command>cmd.exe</Command><Arguments>%s</Arguments>"
		 "</Exec></Actions></Task>\n", args_xml);
	memset(stub, 0, sizeof(stub));
	w32(stub, 0x20000);
	off = ndr_wstr(stub, off, path, 0);
	off = ndr_wstr(stub, off, xml, 0);
	w32(stub + off, 6); /* TASK_CREATE_OR_UPDATE; then sddl NULL, logon type, no credentials */
	request(d, 1, stub, off + 20, 0);
}

/* atexec's families told apart by the task they register (names drawn anew, the same seed as test_rules) */
static void
test_task_rules(struct jg_hs_db *db)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char task[16], out[16], path[24], xml[256], want[256], tool[64];
	static const struct {
		const char *rule, *tool, *xml, *cmd; /* Arguments as the XML has them, and as the command line reads */
		int out_len;
	} fam[] = {
		{ "impacket-atexec", "atexec", "/C whoami &gt; %%windir%%\\Temp\\%s.tmp 2&gt;&amp;1",
		  "cmd.exe /C whoami > %%windir%%\\Temp\\%s.tmp 2>&1", 8 },
		{ "cme-atexec", "crackmapexec", "/C ipconfig &gt; \\Windows\\Temp\\%s 2&gt;&amp;1",
		  "cmd.exe /C ipconfig > \\Windows\\Temp\\%s 2>&1", 6 },
		{ "cme-atexec", "crackmapexec", "/C hostname &gt; \\\\10.0.0.9\\share\\\\Windows\\Temp\\%s 2&gt;&amp;1",
		  "cmd.exe /C hostname > \\\\10.0.0.9\\share\\\\Windows\\Temp\\%s 2>&1", 6 },
	};

	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		struct jg_detect *d = kit_fresh(db, NULL);
		const struct jg_event_rec *ev;

		snprintf(path, sizeof(path), "\\%s", rand_name(task, 8, alpha));
		rand_name(out, fam[i].out_len, alpha);
		snprintf(xml, sizeof(xml), fam[i].xml, out);
		snprintf(want, sizeof(want), fam[i].cmd, out);
		stream_begin(d);
		bind_iface(d, JG_IF_TSCH);
		register_task(d, path, xml);
		ev = event_with(JG_ATTR_TASK_NAME, path);
		if (ev == NULL || !has(ev, JG_ATTR_RULE, fam[i].rule) || !has(ev, JG_ATTR_COMMAND_LINE, want))
			fprintf(stderr, "tasks: %s (task %s, %s) not attributed by its rule\n", fam[i].rule, path, want);
		CHECK(ev != NULL && ev->type == JG_EV_TASK_CREATE && has(ev, JG_ATTR_RULE, fam[i].rule) &&
		      !strcmp(jg_ev_tool(ev, tool, sizeof(tool)), fam[i].tool) && has(ev, JG_ATTR_COMMAND_LINE, want));
	}
	/* schtasks' own task (a name of words, a program of its own): a task_create, no rule */
	{
		struct jg_detect *d = kit_fresh(db, NULL);

		stream_begin(d);
		bind_iface(d, JG_IF_TSCH);
		register_task(d, "\\Backup Nightly", "/C C:\\ops\\backup.cmd");
		CHECK(n_events == 1 && events[0].type == JG_EV_TASK_CREATE && has(&events[0], JG_ATTR_RULE, "") &&
		      has(&events[0], JG_ATTR_COMMAND_LINE, "cmd.exe /C C:\\ops\\backup.cmd"));
	}
	/* NetrJobAdd: AT_INFO's command; sealed, the interface and opnum only */
	{
		static uint8_t stub[512];
		struct jg_detect *d = kit_fresh(db, NULL);
		size_t off;

		memset(stub, 0, sizeof(stub));
		w32(stub + 4, 3600000);  /* JobTime; no server name, no days, flags 0 */
		w32(stub + 16, 0x20004); /* Command */
		off = ndr_wstr(stub, 20, "cmd /c net user x /add", 0);
		stream_begin(d);
		bind_iface(d, JG_IF_ATSVC);
		request(d, 0, stub, off, 0);
		CHECK(n_events == 1 && has(&events[0], JG_ATTR_COMMAND_LINE, "cmd /c net user x /add") &&
		      has(&events[0], JG_ATTR_DETAIL, "NetrJobAdd"));
		d = kit_fresh(db, NULL);
		stream_begin(d);
		bind_iface(d, JG_IF_ATSVC);
		request(d, 0, stub, off, 1);
		CHECK(n_events == 1 && events[0].type == JG_EV_TASK_CREATE && has(&events[0], JG_ATTR_COMMAND_LINE, ""));
	}
}

/* An operator's rule: a tool of their own naming; one that does not compile names its line. */
static void
test_rule_errors(void)
{
	static struct jg_patterns pats;
	static struct jg_cfg_errors errs;
	static const char ok[] = "patterns:\n  - { name: a, literal: abcd, tool: psexec }\n"
				 "rules:\n  - name: our-deploy\n    event: [service_install, service_change]\n"
				 "    tool: acme-deploy\n    match:\n      service_name: '^acmesvc\\d+$'\n";
	static const char bad_re[] = "patterns:\n  - { name: a, literal: abcd, tool: psexec }\n"
				     "rules:\n  - name: r\n    event: service_install\n    tool: psexec\n    match:\n"
				     "      binary_path: 'foo(bar'\n  - name: s\n    event: service_change\n    tool: psexec\n"
				     "    match:\n      service_name: '[z-a]'\n";
	static const char bad[] = "patterns:\n  - { name: a, literal: abcd, tool: psexec }\n"
				  "rules:\n  - name: r\n    event: nosuch\n    tool: 'Bad Tool'\n    technique: X1\n"
				  "    match: { colour: red }\n";
	struct jg_hs_db *db;
	int found = 0;

	CHECK(jg_patterns_load_mem("ok.yaml", ok, strlen(ok), &pats, &errs) == 0 && pats.n_rules == 1 &&
	      pats.rules[0].tool_id == JG_TOOL_CUSTOM && pats.rules[0].events == (1u << JG_EV_SERVICE_INSTALL |
										      1u << JG_EV_SERVICE_CHANGE));
	db = jg_hs_compile(&pats, &errs);
	CHECK(db != NULL && errs.n == 0);
	jg_hs_free(db);
	CHECK(jg_patterns_load_mem("re.yaml", bad_re, strlen(bad_re), &pats, &errs) == 0);
	/* every expression that does not compile, each at its line */
	CHECK(jg_hs_compile(&pats, &errs) == NULL && errs.n == 2 &&
	      strstr(errs.e[0].msg, "re.yaml:8: rules[0].match.binary_path: foo(bar") != NULL &&
	      strstr(errs.e[1].msg, "re.yaml:13: rules[1].match.service_name: [z-a]") != NULL);
	memset(&errs, 0, sizeof(errs));
	CHECK(jg_patterns_load_mem("bad.yaml", bad, strlen(bad), &pats, &errs) == -EINVAL);
	for (uint32_t i = 0; i < errs.n; i++) {
		found += strstr(errs.e[i].msg, "bad.yaml:5: rules[0].event: nosuch") != NULL;
		found += strstr(errs.e[i].msg, "bad.yaml:6: rules[0].tool: Bad Tool") != NULL;
		found += strstr(errs.e[i].msg, "bad.yaml:7: rules[0].technique: X1") != NULL;
		found += strstr(errs.e[i].msg, "bad.yaml:8: rules[0].match.colour: not a field") != NULL;
	}
	CHECK(found == 4);
}

int
main(void)
{
	struct jg_hs_db *db;

	if ((db = kit_db()) == NULL) {
		CHECK(!"patterns compile");
		return jg_test_done();
	}
	test_every_row(db);
	test_winreg(db);
	test_dcsync_without_bind(db);
	test_discovery_off(db);
	test_dedup_bound(db);
	test_rules(db);
	test_task_rules(db);
	test_rule_errors();
	kit_done();
	jg_hs_free(db);
	return jg_test_done();
}
