/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `jgctl zones`: the policy the dataplane runs (from the policy memzone, so it
 * is what the workers use, reloads included), and `zones test`: which zones two
 * addresses fall in and what the policy does between them, per service.
 */
#include <inttypes.h>
#include <string.h>

#include "jg_policy_load.h"
#include "control.h"
#include "learn.h"

static void
fmt_prefix(char *buf, size_t cap, const struct jg_prefix *p)
{
	char ip[48];

	snprintf(buf, cap, "%s/%u", jg_fmt_ip(ip, sizeof(ip), p->addr, p->version), p->depth);
}

static void
service_ports(const struct jg_service_def *s, struct jg_buf *o, int json)
{
	for (int i = 0; i < s->n_ports; i++) {
		if (s->ports[i][0] == s->ports[i][1])
			jg_buf_printf(o, "%s%u", i ? "," : "", s->ports[i][0]);
		else
			jg_buf_printf(o, json ? "%s\"%u-%u\"" : "%s%u-%u", i ? "," : "", s->ports[i][0], s->ports[i][1]);
	}
}

static void
show(const struct jg_policy_mz *pm, const struct jg_policy *pol, int json, struct jg_buf *o)
{
	char buf[64], t[32];

	jg_fmt_time(t, sizeof(t), pm->loaded_unix_ns);
	if (json) {
		jg_buf_printf(o, "{\"generation\":%u,\"loaded\":\"%s\",\"policy\":", pm->gen, t);
		jg_buf_json_str(o, pm->policy_path, strlen(pm->policy_path));
		jg_buf_printf(o, ",\"default_action\":\"%s\",\"zones\":[", jg_action_names[pol->default_action]);
		for (uint32_t z = 0; z < pol->n_zones; z++) {
			int first = 1;

			jg_buf_printf(o, "%s{\"name\":", z ? "," : "");
			jg_buf_json_str(o, pol->zones[z], strlen(pol->zones[z]));
			jg_buf_printf(o, ",\"prefixes\":[");
			for (uint32_t i = 0; i < pol->n_prefixes; i++)
				if (pol->prefixes[i].zone == z) {
					fmt_prefix(buf, sizeof(buf), &pol->prefixes[i]);
					jg_buf_printf(o, "%s\"%s\"", first ? "" : ",", buf);
					first = 0;
				}
			jg_buf_printf(o, "]}");
		}
		jg_buf_printf(o, "],\"services\":[");
		for (uint32_t s = 0; s < pol->n_services; s++) {
			jg_buf_printf(o, "%s{\"name\":\"%s\",\"ports\":[", s ? "," : "", pol->services[s].name);
			service_ports(&pol->services[s], o, 1);
			jg_buf_printf(o, "]}");
		}
		jg_buf_printf(o, "]}\n");
		return;
	}
	jg_buf_printf(o, "policy %s (generation %u, loaded %s); default action %s\n\n",
		      pm->policy_path[0] ? pm->policy_path : "built-in default", pm->gen, t,
		      jg_action_names[pol->default_action]);
	jg_buf_printf(o, "%-20s %s\n", "ZONE", "PREFIXES");
	for (uint32_t z = 0; z < pol->n_zones; z++) {
		int first = 1;

		jg_buf_printf(o, "%-20s ", pol->zones[z]);
		for (uint32_t i = 0; i < pol->n_prefixes; i++)
			if (pol->prefixes[i].zone == z) {
				fmt_prefix(buf, sizeof(buf), &pol->prefixes[i]);
				jg_buf_printf(o, "%s%s", first ? "" : " ", buf);
				first = 0;
			}
		jg_buf_printf(o, "%s\n", z == 0 ? "(every address no prefix holds)" : "");
	}
	jg_buf_printf(o, "\n%-20s %s\n", "SERVICE", "PORTS");
	for (uint32_t s = 0; s < pol->n_services; s++) {
		jg_buf_printf(o, "%-20s ", pol->services[s].name);
		if (pol->services[s].n_ports == 0)
			jg_buf_printf(o, "(recognised from the payload)");
		service_ports(&pol->services[s], o, 0);
		jg_buf_printf(o, "\n");
	}
	jg_buf_printf(o, "\nTry: jgctl zones test SRC DST [SERVICE]\n");
}

static int
test(const struct jg_policy *pol, int argc, char **argv, int json, struct jg_buf *o)
{
	struct jg_prefix a[2];
	const struct jg_prefix *via[2];
	int zone[2], svc = -1;
	char buf[64];

	if (argc < 2 || argc > 3) {
		jg_buf_printf(o, "usage: zones test SRC DST [SERVICE]");
		return JG_USAGE;
	}
	for (int i = 0; i < 2; i++)
		if (jg_prefix_parse(argv[i], &a[i]) != 0 || strchr(argv[i], '/') != NULL) {
			jg_buf_printf(o, "%.64s: not an IP address", argv[i]);
			return JG_USAGE;
		}
	if (a[0].version != a[1].version) {
		jg_buf_printf(o, "%.64s and %.64s: one IPv4 and one IPv6 address", argv[0], argv[1]);
		return JG_USAGE;
	}
	if (argc == 3) {
		for (uint32_t s = 0; s < pol->n_services; s++)
			if (!strcmp(pol->services[s].name, argv[2]))
				svc = (int)s;
		if (svc < 0) {
			jg_buf_printf(o, "%.64s: no such service (see jgctl zones)", argv[2]);
			return JG_USAGE;
		}
	}
	for (int i = 0; i < 2; i++)
		zone[i] = jg_policy_zone_of(pol, a[i].addr, a[i].version, &via[i]);
	if (json) {
		jg_buf_printf(o, "{\"src\":\"%s\",\"src_zone\":\"%s\",\"dst\":\"%s\",\"dst_zone\":\"%s\",\"actions\":{",
			      argv[0], pol->zones[zone[0]], argv[1], pol->zones[zone[1]]);
		for (uint32_t s = 0, n = 0; s < pol->n_services; s++)
			if (svc < 0 || (int)s == svc)
				jg_buf_printf(o, "%s\"%s\":\"%s\"", n++ ? "," : "", pol->services[s].name,
					      jg_action_names[pol->action[zone[0]][zone[1]][s]]);
		jg_buf_printf(o, "}}\n");
		return JG_OK;
	}
	for (int i = 0; i < 2; i++) {
		if (via[i] != NULL)
			fmt_prefix(buf, sizeof(buf), via[i]);
		jg_buf_printf(o, "%-6s %-40s zone %-20s %s%s\n", i ? "target" : "source", argv[i], pol->zones[zone[i]],
			      via[i] != NULL ? "via " : "(no prefix holds it)", via[i] != NULL ? buf : "");
	}
	jg_buf_printf(o, "\n%-20s %s\n", "SERVICE", "ACTION");
	for (uint32_t s = 0; s < pol->n_services; s++)
		if (svc < 0 || (int)s == svc)
			jg_buf_printf(o, "%-20s %s\n", pol->services[s].name,
				      jg_action_names[pol->action[zone[0]][zone[1]][s]]);
	return JG_OK;
}

int
jg_cmd_zones(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out)
{
	const struct jg_policy *pol;

	if (c->pm == NULL || !c->pm->detect_on) {
		jg_buf_printf(out, "detection is off (detect.enabled: false): no zones or policy");
		return JG_ERR;
	}
	pol = &c->pm->pol[c->pm->gen & 1];
	if (argc == 0) {
		show(c->pm, pol, json, out);
		return JG_OK;
	}
	if (!strcmp(argv[0], "test"))
		return test(pol, argc - 1, argv + 1, json, out);
	jg_buf_printf(out, "usage: zones [test SRC DST [SERVICE]]");
	return JG_USAGE;
}
