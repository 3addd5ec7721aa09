/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zones and policy: the loader (every error with its line), the compiled
 * matrix (first rule wins, any, default), port services, and zone lookup in
 * DPDK's LPM/LPM6 (EAL without hugepages: a single-process test).
 */
#include <string.h>

#include <rte_eal.h>

#include "jg_policy_load.h"
#include "jg_test.h"
#include "jg_wire.h"
#include "zones.h"

static struct jg_policy pol;
static struct jg_cfg_errors errs;

static const char *const good =
	"zones:\n"
	"  - { name: jump, prefixes: [10.0.5.10/32, \"fd00:5::/64\"] }\n"
	"  - { name: lan, prefixes: [10.0.0.0/8] }\n"
	"  - { name: servers, prefixes: [10.20.0.0/16] }\n"
	"services:\n"
	"  - { name: ssh-alt, ports: [2222, 8000-8010] }\n"
	"policy:\n"
	"  default: alert\n"
	"  rules:\n"
	"    - { from: jump, to: any, service: any, action: allow }\n"
	"    - { from: any, to: servers, service: rdp, action: block }\n"
	"    - { from: lan, to: servers, service: any, action: allow }\n";

static int
zone(const char *name)
{
	for (uint32_t i = 0; i < pol.n_zones; i++)
		if (!strcmp(pol.zones[i], name))
			return (int)i;
	return -1;
}

static void
test_load(void)
{
	int jump, lan, srv;

	CHECK(jg_policy_load_mem("p.yaml", good, strlen(good), &pol, &errs) == 0 && errs.n == 0);
	jump = zone("jump");
	lan = zone("lan");
	srv = zone("servers");
	CHECK(pol.n_zones == 4 && zone("unknown") == 0 && jump == 1 && lan == 2 && srv == 3);
	CHECK(pol.n_prefixes == 4);
	/* first matching rule wins: the jump host may RDP to servers, the LAN may not */
	CHECK(pol.action[jump][srv][JG_SVC_RDP] == JG_ACT_ALLOW);
	CHECK(pol.action[lan][srv][JG_SVC_RDP] == JG_ACT_BLOCK);
	CHECK(pol.action[lan][srv][JG_SVC_SMB_ADMIN] == JG_ACT_ALLOW);
	CHECK(pol.action[0][srv][JG_SVC_SMB_ADMIN] == JG_ACT_ALERT); /* unknown source: default */
	CHECK(pol.action[srv][lan][JG_SVC_WMI] == JG_ACT_ALERT);
	CHECK(jg_policy_port_service(&pol, 3389) == JG_SVC_RDP && jg_policy_port_service(&pol, 5986) == JG_SVC_WINRM);
	CHECK(jg_policy_port_service(&pol, 5903) == JG_SVC_VNC && jg_policy_port_service(&pol, 22) == JG_SVC_SSH);
	CHECK(jg_policy_port_service(&pol, 8005) == JG_SVC_BUILTIN_MAX && jg_policy_port_service(&pol, 445) == -1);
	/* the rules are kept as written (what learning builds on), any as JG_RULE_ANY */
	CHECK(pol.n_rules == 3);
	CHECK(pol.rules[0].from == jump && pol.rules[0].to == JG_RULE_ANY && pol.rules[0].service == JG_RULE_ANY &&
	      pol.rules[0].action == JG_ACT_ALLOW);
	CHECK(pol.rules[1].from == JG_RULE_ANY && pol.rules[1].to == srv && pol.rules[1].service == JG_SVC_RDP &&
	      pol.rules[1].action == JG_ACT_BLOCK);
	/* an attack tool's session is never allowed: raised to attack_tools (alert by default) */
	CHECK(pol.attack_action == JG_ACT_ALERT);
	CHECK(jg_policy_action(&pol, (uint8_t)jump, (uint8_t)srv, JG_SVC_SMB_ADMIN, 0) == JG_ACT_ALLOW);
	CHECK(jg_policy_action(&pol, (uint8_t)jump, (uint8_t)srv, JG_SVC_SMB_ADMIN, 1) == JG_ACT_ALERT);
	CHECK(jg_policy_action(&pol, (uint8_t)lan, (uint8_t)srv, JG_SVC_RDP, 1) == JG_ACT_BLOCK);
	CHECK(jg_tool_attack[JG_TOOL_SMBEXEC] && jg_tool_attack[JG_TOOL_WMIEXEC] && !jg_tool_attack[JG_TOOL_PAEXEC] &&
	      !jg_tool_attack[JG_TOOL_PSEXEC] && !jg_tool_attack[JG_TOOL_UNKNOWN]);
	{
		const char *blk = "policy:\n  attack_tools: block\n";

		CHECK(jg_policy_load_mem("k.yaml", blk, strlen(blk), &pol, &errs) == 0 && pol.attack_action == JG_ACT_BLOCK);
		CHECK(jg_policy_action(&pol, 0, 0, JG_SVC_WMI, 1) == JG_ACT_BLOCK);
	}
}

static void
test_example(void)
{
	memset(&errs, 0, sizeof(errs));
	CHECK(jg_policy_load("config/policy.example.yaml", &pol, &errs) == 0 && pol.n_zones == 5);
	for (uint32_t i = 0; i < errs.n; i++)
		fprintf(stderr, "  %s\n", errs.e[i].msg);
}

static void
test_defaults(void)
{
	jg_policy_defaults(&pol);
	CHECK(pol.n_zones == 1 && !strcmp(pol.zones[0], "unknown") && pol.n_prefixes == 0);
	CHECK(pol.action[0][0][JG_SVC_SMB_ADMIN] == JG_ACT_ALERT && pol.default_action == JG_ACT_ALERT);
	memset(&errs, 0, sizeof(errs));
	CHECK(jg_policy_load_mem("e.yaml", "", 0, &pol, &errs) == 0 && pol.action[0][0][JG_SVC_RDP] == JG_ACT_ALERT);
}

static int
has(const char *needle)
{
	for (uint32_t i = 0; i < errs.n; i++)
		if (strstr(errs.e[i].msg, needle))
			return 1;
	return 0;
}

static void
test_errors(void)
{
	const char *bad = "zones:\n"
			  "  - { name: a, prefixes: [10.0.0.1/8, 300.1.1.1, 10.0.0.0/33] }\n"
			  "  - { name: a, prefixes: [] }\n"
			  "  - { name: unknown, prefixes: [1.2.3.4] }\n"
			  "services:\n"
			  "  - { name: rdp, ports: [1] }\n"
			  "  - { name: x, ports: [0, 70000, 9-5] }\n"
			  "policy:\n"
			  "  default: maybe\n"
			  "  attack_tools: allow\n"
			  "  rules:\n"
			  "    - { from: a, to: nowhere, service: telnet, action: deny }\n"
			  "colour: red\n";

	memset(&errs, 0, sizeof(errs));
	CHECK(jg_policy_load_mem("b.yaml", bad, strlen(bad), &pol, &errs) == -EINVAL);
	CHECK(has("b.yaml:2: zones[0]: 10.0.0.1/8: not an address or prefix (or host bits set)"));
	CHECK(has("b.yaml:2: zones[0]: 300.1.1.1"));
	CHECK(has("b.yaml:2: zones[0]: 10.0.0.0/33"));
	CHECK(has("b.yaml:3: zones[1]: name: a: defined twice"));
	CHECK(has("b.yaml:4: zones[2]: name: unknown: missing, too long or reserved"));
	CHECK(has("b.yaml:6: services[0]: name: rdp: missing, reserved or defined twice"));
	CHECK(has("b.yaml:7: services[1]: 0: not a port"));
	CHECK(has("b.yaml:7: services[1]: 70000: not a port"));
	CHECK(has("b.yaml:7: services[1]: 9-5: not a port"));
	CHECK(has("b.yaml:9: policy.default: maybe"));
	CHECK(has("b.yaml:10: policy.attack_tools: allow: not alert or block"));
	CHECK(has("b.yaml:12: policy.rules[0]: to: nowhere: no such zone"));
	CHECK(has("b.yaml:12: policy.rules[0]: service: telnet: no such service"));
	CHECK(has("b.yaml:12: policy.rules[0]: action: deny"));
	CHECK(has("b.yaml:13: colour: unknown section"));
}

static void
test_prefix_parse(void)
{
	struct jg_prefix p;

	CHECK(jg_prefix_parse("192.168.1.0/24", &p) == 0 && p.version == 4 && p.depth == 24 && p.addr[2] == 1);
	CHECK(jg_prefix_parse("10.1.2.3", &p) == 0 && p.depth == 32);
	CHECK(jg_prefix_parse("fd00::/8", &p) == 0 && p.version == 6 && p.depth == 8 && p.addr[0] == 0xfd);
	CHECK(jg_prefix_parse("fd00::1", &p) == 0 && p.depth == 128);
	CHECK(jg_prefix_parse("fd00::1/64", &p) == -EINVAL);
	CHECK(jg_prefix_parse("1.2.3.4/", &p) == -EINVAL && jg_prefix_parse("/8", &p) == -EINVAL);
	CHECK(jg_prefix_parse("1.2.3.4/x", &p) == -EINVAL && jg_prefix_parse("", &p) == -EINVAL);
}

static void
test_lookup(void)
{
	struct jg_zones z;
	uint8_t a[16] = { 0 };

	memset(&errs, 0, sizeof(errs));
	CHECK(jg_policy_load_mem("p.yaml", good, strlen(good), &pol, &errs) == 0);
	CHECK(jg_zones_build(&z, &pol, "t") == 0);
	memcpy(a, (uint8_t[]){ 10, 0, 5, 10 }, 4);
	CHECK(jg_zone_of(&z, a, 4) == zone("jump")); /* /32 inside the /8 */
	memcpy(a, (uint8_t[]){ 10, 0, 5, 11 }, 4);
	CHECK(jg_zone_of(&z, a, 4) == zone("lan"));
	memcpy(a, (uint8_t[]){ 10, 20, 9, 9 }, 4);
	CHECK(jg_zone_of(&z, a, 4) == zone("servers")); /* /16 over /8 */
	memcpy(a, (uint8_t[]){ 192, 168, 1, 1 }, 4);
	CHECK(jg_zone_of(&z, a, 4) == 0);
	memset(a, 0, sizeof(a));
	a[0] = 0xfd;
	a[3] = 5;
	a[15] = 7;
	CHECK(jg_zone_of(&z, a, 6) == zone("jump")); /* fd00:5::7 */
	a[7] = 1;
	CHECK(jg_zone_of(&z, a, 6) == 0); /* fd00:5:0:1::7 is outside fd00:5::/64 */
	jg_zones_free(&z);
}

int
main(void)
{
	char *eal[] = { "policy_test", "--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--log-level=*:error",
			"-l", "0", NULL };

	test_load();
	test_example();
	test_defaults();
	test_errors();
	test_prefix_parse();
	if (rte_eal_init(9, eal) < 0) {
		CHECK(!"EAL init without hugepages");
		return jg_test_done();
	}
	test_lookup();
	rte_eal_cleanup();
	return jg_test_done();
}
