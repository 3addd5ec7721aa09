/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zones and policy: the loader (every error with its line), the compiled
 * matrix (first rule wins, any, default), port services, and zone lookup:
 * crafted cases, then random prefix sets (nested, equal, /0, host routes, both
 * families) against a linear longest-match oracle; JG_ZONES_SEED replays one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	CHECK(jg_zones_build(&z, &pol) == 0);
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

/* The zone of the longest prefix holding a, later prefixes winning ties: what the ranges must say. */
static uint8_t
oracle(const struct jg_policy *p, const uint8_t *a, unsigned int version)
{
	int best = -1;
	uint8_t z = 0;

	for (uint32_t i = 0; i < p->n_prefixes; i++) {
		const struct jg_prefix *px = &p->prefixes[i];
		unsigned int d = px->depth, k;

		if (px->version != version)
			continue;
		for (k = 0; k < d / 8 && px->addr[k] == a[k]; k++)
			;
		if (k < d / 8 || (d % 8 && ((px->addr[k] ^ a[k]) & (0xff00 >> (d % 8)) & 0xff)))
			continue;
		if ((int)d >= best) {
			best = (int)d;
			z = px->zone;
		}
	}
	return z;
}

/* An address near a prefix's edges (or anywhere): where off-by-one mistakes show. */
static void
probe_addr(const struct jg_policy *p, unsigned int version, uint8_t *a)
{
	unsigned int len = version == 4 ? 4 : 16;

	memset(a, 0, 16);
	if (p->n_prefixes == 0 || rand() % 4 == 0) {
		for (unsigned int i = 0; i < len; i++)
			a[i] = (uint8_t)rand();
		return;
	}
	const struct jg_prefix *px = &p->prefixes[(uint32_t)rand() % p->n_prefixes];
	int carry = rand() % 3 - 1; /* first address - 1, inside, last address + 1 */

	memcpy(a, px->addr, len);
	for (unsigned int b = px->depth; b < len * 8; b++)
		if (carry > 0 || (carry == 0 && rand() % 2))
			a[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		else
			a[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	for (int i = (int)len - 1; carry != 0 && i >= 0; i--) {
		a[i] = (uint8_t)(a[i] + carry);
		if ((carry > 0 && a[i] != 0) || (carry < 0 && a[i] != 0xff))
			break;
	}
}

static void
test_lookup_random(unsigned int seed)
{
	static struct jg_policy rp;
	struct jg_zones z;
	uint8_t a[16];

	srand(seed);
	for (int round = 0; round < 300; round++) {
		memset(&rp, 0, sizeof(rp));
		rp.n_prefixes = (uint32_t)(round == 0 ? 0 : round < 5 ? JG_ZONE_PREFIXES : rand() % 40);
		for (uint32_t i = 0; i < rp.n_prefixes; i++) {
			struct jg_prefix *px = &rp.prefixes[i];
			unsigned int len;

			px->version = rand() % 3 ? 4 : 6;
			len = px->version == 4 ? 4 : 16;
			px->depth = (uint8_t)(rand() % 8 == 0 ? len * 8 : rand() % 10 == 0 ? 0 : (unsigned int)rand() % (len * 8 + 1));
			px->zone = (uint8_t)(1 + rand() % 8);
			if (i > 0 && rand() % 3 == 0) /* nested in, or equal to, an earlier one */
				memcpy(px->addr, rp.prefixes[(uint32_t)rand() % i].addr, 16);
			else
				for (unsigned int k = 0; k < len; k++)
					px->addr[k] = (uint8_t)(rand() % 4 ? rand() % 3 : rand());
			if (rand() % 2) /* host bits set, as a careless operator writes them */
				px->addr[len - 1] |= 1;
		}
		if (jg_zones_build(&z, &rp) != 0) {
			CHECK(!"zones build");
			return;
		}
		CHECK(z.n4 >= 1 && z.n6 >= 1 && z.lo4[0] == 0 && z.lo6[0].hi == 0 && z.lo6[0].lo == 0);
		for (int q = 0; q < 2000; q++) {
			unsigned int v = rand() % 2 ? 4 : 6;
			uint8_t want, got;

			probe_addr(&rp, v, a);
			want = oracle(&rp, a, v);
			got = jg_zone_of(&z, a, v);
			if (want != got) {
				fprintf(stderr, "JG_ZONES_SEED=%u round %d: IPv%u lookup gave zone %u, the longest prefix says %u\n",
					seed, round, v, got, want);
				CHECK(want == got);
				jg_zones_free(&z);
				return;
			}
		}
		jg_zones_free(&z);
	}
}

int
main(void)
{
	const char *env = getenv("JG_ZONES_SEED");
	unsigned int seed = env != NULL ? (unsigned int)strtoul(env, NULL, 0) : (unsigned int)time(NULL);

	printf("JG_ZONES_SEED=%u\n", seed);
	test_load();
	test_example();
	test_defaults();
	test_errors();
	test_prefix_parse();
	test_lookup();
	test_lookup_random(seed);
	return jg_test_done();
}
