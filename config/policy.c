/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policy file:
 *   zones:
 *     - { name: admin-jump, prefixes: [10.0.5.0/24, "fd00:5::/64"] }
 *   services:                       # added to the built-in ones
 *     - { name: ssh-alt, ports: [2222, 8000-8010] }
 *   policy:
 *     default: alert                # allow | alert | block
 *     attack_tools: alert           # alert | block: the least an attack tool's session gets
 *     rules:                        # the first matching rule decides
 *       - { from: admin-jump, to: any, service: any, action: allow }
 */
#include "jg_policy_load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>


static const struct {
	const char *name;
	uint16_t lo, hi;
} builtin_ports[] = {
	{ "winrm", 5985, 5986 }, { "rdp", 3389, 3389 }, { "ssh", 22, 22 }, { "vnc", 5900, 5906 },
};

#define perr jg_cfg_err

struct ld {
	const char *file;
	yaml_document_t *doc;
	struct jg_policy *p;
	struct jg_cfg_errors *errs;
};

static unsigned long
line_of(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

static const char *
sval(const yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *
node(struct ld *l, int id)
{
	return yaml_document_get_node(l->doc, id);
}

void
jg_policy_defaults(struct jg_policy *p)
{
	static const char *const names[] = {
#define JG_X_NAME(e, n, h) n,
		JG_BUILTIN_SERVICES(JG_X_NAME)
#undef JG_X_NAME
	};

	memset(p, 0, sizeof(*p));
	p->n_zones = 1;
	strcpy(p->zones[0], "unknown");
	p->n_services = JG_SVC_BUILTIN_MAX;
	p->attack_action = JG_ACT_ALERT;
	for (int i = 0; i < JG_SVC_BUILTIN_MAX; i++) {
		snprintf(p->services[i].name, sizeof(p->services[i].name), "%s", names[i]);
		for (size_t k = 0; k < sizeof(builtin_ports) / sizeof(builtin_ports[0]); k++)
			if (!strcmp(builtin_ports[k].name, names[i])) {
				p->services[i].ports[0][0] = builtin_ports[k].lo;
				p->services[i].ports[0][1] = builtin_ports[k].hi;
				p->services[i].n_ports = 1;
			}
	}
	/* Nothing is trusted until an operator says so. */
	p->default_action = JG_ACT_ALERT;
	memset(p->action, JG_ACT_ALERT, sizeof(p->action));
}

int
jg_prefix_parse(const char *s, struct jg_prefix *out)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	long depth;
	char *end;

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1)
		out->version = 4;
	else if (inet_pton(AF_INET6, buf, out->addr) == 1)
		out->version = 6;
	else
		return -EINVAL;
	depth = out->version == 4 ? 32 : 128;
	if (slash != NULL) {
		depth = strtol(slash + 1, &end, 10);
		if (*end != '\0' || slash[1] == '\0' || depth < 0 || depth > (out->version == 4 ? 32 : 128))
			return -EINVAL;
	}
	out->depth = (uint8_t)depth;
	/* host bits must be zero: 10.0.0.1/8 is a typo more often than a wish */
	for (int bit = (int)depth; bit < (out->version == 4 ? 32 : 128); bit++)
		if (out->addr[bit / 8] & (0x80 >> (bit % 8)))
			return -EINVAL;
	return 0;
}

static int
zone_index(const struct jg_policy *p, const char *name)
{
	for (uint32_t i = 0; i < p->n_zones; i++)
		if (!strcmp(p->zones[i], name))
			return (int)i;
	return -1;
}


static void
load_zones(struct ld *l, yaml_node_t *seq)
{
	struct jg_policy *p = l->p;

	if (seq->type != YAML_SEQUENCE_NODE) {
		perr(l->errs, l->file, line_of(seq), "zones", "expected a list");
		return;
	}
	unsigned int idx = 0;

	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *z = node(l, *it);
		const char *name = NULL;
		yaml_node_t *prefixes = NULL;
		char key[64];

		snprintf(key, sizeof(key), "zones[%u]", idx++);
		if (z->type != YAML_MAPPING_NODE) {
			perr(l->errs, l->file, line_of(z), key, "expected { name, prefixes }");
			continue;
		}
		for (yaml_node_pair_t *pr = z->data.mapping.pairs.start; pr < z->data.mapping.pairs.top; pr++) {
			const char *k = sval(node(l, pr->key));

			if (k && !strcmp(k, "name"))
				name = sval(node(l, pr->value));
			else if (k && !strcmp(k, "prefixes"))
				prefixes = node(l, pr->value);
			else
				perr(l->errs, l->file, line_of(node(l, pr->key)), key, "%s: unknown key", k ? k : "?");
		}
		if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof(p->zones[0]) ||
		    !strcmp(name, "any") || !strcmp(name, "unknown")) {
			perr(l->errs, l->file, line_of(z), key, "name: %s: missing, too long or reserved (any, unknown)",
			     name ? name : "");
			continue;
		}
		if (zone_index(p, name) >= 0) {
			perr(l->errs, l->file, line_of(z), key, "name: %s: defined twice", name);
			continue;
		}
		if (p->n_zones >= JG_ZONES_MAX) {
			perr(l->errs, l->file, line_of(z), key, "more than %d zones", JG_ZONES_MAX - 1);
			return;
		}
		strcpy(p->zones[p->n_zones], name);
		if (prefixes == NULL || prefixes->type != YAML_SEQUENCE_NODE) {
			perr(l->errs, l->file, line_of(z), key, "prefixes: expected a list of addresses/prefixes");
		} else {
			for (yaml_node_item_t *pi = prefixes->data.sequence.items.start; pi < prefixes->data.sequence.items.top;
			     pi++) {
				yaml_node_t *pn = node(l, *pi);
				const char *s = sval(pn);
				struct jg_prefix px;

				if (p->n_prefixes >= JG_ZONE_PREFIXES) {
					perr(l->errs, l->file, line_of(pn), key, "more than %d prefixes", JG_ZONE_PREFIXES);
					break;
				}
				if (s == NULL || jg_prefix_parse(s, &px) != 0) {
					perr(l->errs, l->file, line_of(pn), key, "%s: not an address or prefix (or host bits set)",
					     s ? s : "(not a scalar)");
					continue;
				}
				for (uint32_t j = 0; j < p->n_prefixes; j++)
					if (p->prefixes[j].version == px.version && p->prefixes[j].depth == px.depth &&
					    !memcmp(p->prefixes[j].addr, px.addr, 16))
						perr(l->errs, l->file, line_of(pn), key, "%s: already in zone %s", s,
						     p->zones[p->prefixes[j].zone]);
				px.zone = (uint8_t)p->n_zones;
				p->prefixes[p->n_prefixes++] = px;
			}
		}
		p->n_zones++;
	}
}

static void
load_services(struct ld *l, yaml_node_t *seq)
{
	struct jg_policy *p = l->p;
	unsigned int idx = 0;

	if (seq->type != YAML_SEQUENCE_NODE) {
		perr(l->errs, l->file, line_of(seq), "services", "expected a list");
		return;
	}
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *s = node(l, *it);
		struct jg_service_def def;
		char key[64];

		memset(&def, 0, sizeof(def));
		snprintf(key, sizeof(key), "services[%u]", idx++);
		if (s->type != YAML_MAPPING_NODE) {
			perr(l->errs, l->file, line_of(s), key, "expected { name, ports }");
			continue;
		}
		for (yaml_node_pair_t *pr = s->data.mapping.pairs.start; pr < s->data.mapping.pairs.top; pr++) {
			const char *k = sval(node(l, pr->key));
			yaml_node_t *v = node(l, pr->value);

			if (k && !strcmp(k, "name") && sval(v) && strlen(sval(v)) < sizeof(def.name)) {
				strcpy(def.name, sval(v));
			} else if (k && !strcmp(k, "ports") && v->type == YAML_SEQUENCE_NODE) {
				for (yaml_node_item_t *pi = v->data.sequence.items.start; pi < v->data.sequence.items.top; pi++) {
					const char *ps = sval(node(l, *pi));
					unsigned int lo, hi;
					char c;

					if (ps == NULL || def.n_ports >= JG_SERVICE_PORTS ||
					    (sscanf(ps, "%u-%u%c", &lo, &hi, &c) != 2 && (sscanf(ps, "%u%c", &lo, &c) != 1 || !(hi = lo))) ||
					    lo == 0 || hi > 65535 || lo > hi) {
						perr(l->errs, l->file, line_of(node(l, *pi)), key, "%s: not a port or port range",
						     ps ? ps : "(not a scalar)");
						continue;
					}
					def.ports[def.n_ports][0] = (uint16_t)lo;
					def.ports[def.n_ports++][1] = (uint16_t)hi;
				}
			} else {
				perr(l->errs, l->file, line_of(node(l, pr->key)), key, "%s: unknown key or bad value", k ? k : "?");
			}
		}
		if (def.name[0] == '\0' || !strcmp(def.name, "any") || jg_policy_service_index(p, def.name) >= 0) {
			perr(l->errs, l->file, line_of(s), key, "name: %s: missing, reserved or defined twice", def.name);
			continue;
		}
		if (def.n_ports == 0) {
			perr(l->errs, l->file, line_of(s), key, "ports: at least one port");
			continue;
		}
		if (p->n_services >= JG_SERVICES_MAX) {
			perr(l->errs, l->file, line_of(s), key, "more than %d services", JG_SERVICES_MAX);
			return;
		}
		p->services[p->n_services++] = def;
	}
}

static int
action_of(const char *s)
{
	for (int a = 0; a < 3; a++)
		if (s != NULL && !strcmp(s, jg_action_names[a]))
			return a;
	return -1;
}

/* Rules are applied last to first over the default, so the first matching rule wins. */
static void
load_policy(struct ld *l, yaml_node_t *m)
{
	struct jg_policy *p = l->p;
	yaml_node_t *rules = NULL;
	struct {
		int from, to, svc, act;
	} r[JG_POLICY_RULES];
	int n = 0;

	if (m->type != YAML_MAPPING_NODE) {
		perr(l->errs, l->file, line_of(m), "policy", "expected { default, rules }");
		return;
	}
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		const char *k = sval(node(l, pr->key));
		yaml_node_t *v = node(l, pr->value);

		if (k && !strcmp(k, "default")) {
			int a = action_of(sval(v));

			if (a < 0)
				perr(l->errs, l->file, line_of(v), "policy.default", "%s: not allow, alert or block",
				     sval(v) ? sval(v) : "?");
			else
				p->default_action = (uint8_t)a;
		} else if (k && !strcmp(k, "attack_tools")) {
			int a = action_of(sval(v));

			if (a != JG_ACT_ALERT && a != JG_ACT_BLOCK)
				perr(l->errs, l->file, line_of(v), "policy.attack_tools",
				     "%s: not alert or block (an attack tool's session is never allowed)", sval(v) ? sval(v) : "?");
			else
				p->attack_action = (uint8_t)a;
		} else if (k && !strcmp(k, "rules")) {
			rules = v;
		} else {
			perr(l->errs, l->file, line_of(node(l, pr->key)), "policy", "%s: unknown key", k ? k : "?");
		}
	}
	memset(p->action, p->default_action, sizeof(p->action));
	if (rules == NULL)
		return;
	if (rules->type != YAML_SEQUENCE_NODE) {
		perr(l->errs, l->file, line_of(rules), "policy.rules", "expected a list");
		return;
	}
	for (yaml_node_item_t *it = rules->data.sequence.items.start; it < rules->data.sequence.items.top; it++) {
		yaml_node_t *rn = node(l, *it);
		const char *from = "any", *to = "any", *svc = "any", *act = NULL;
		char key[64];

		snprintf(key, sizeof(key), "policy.rules[%d]", n);
		if (n == JG_POLICY_RULES) {
			perr(l->errs, l->file, line_of(rn), key, "more than %d rules", JG_POLICY_RULES);
			break;
		}
		if (rn->type != YAML_MAPPING_NODE) {
			perr(l->errs, l->file, line_of(rn), key, "expected { from, to, service, action }");
			continue;
		}
		for (yaml_node_pair_t *pr = rn->data.mapping.pairs.start; pr < rn->data.mapping.pairs.top; pr++) {
			const char *k = sval(node(l, pr->key)), *v = sval(node(l, pr->value));

			if (k && v && !strcmp(k, "from"))
				from = v;
			else if (k && v && !strcmp(k, "to"))
				to = v;
			else if (k && v && !strcmp(k, "service"))
				svc = v;
			else if (k && v && !strcmp(k, "action"))
				act = v;
			else
				perr(l->errs, l->file, line_of(node(l, pr->key)), key, "%s: unknown key", k ? k : "?");
		}
		r[n].from = strcmp(from, "any") ? zone_index(p, from) : -2;
		r[n].to = strcmp(to, "any") ? zone_index(p, to) : -2;
		r[n].svc = strcmp(svc, "any") ? jg_policy_service_index(p, svc) : -2;
		r[n].act = action_of(act);
		if (r[n].from == -1)
			perr(l->errs, l->file, line_of(rn), key, "from: %s: no such zone", from);
		if (r[n].to == -1)
			perr(l->errs, l->file, line_of(rn), key, "to: %s: no such zone", to);
		if (r[n].svc == -1)
			perr(l->errs, l->file, line_of(rn), key, "service: %s: no such service", svc);
		if (r[n].act < 0)
			perr(l->errs, l->file, line_of(rn), key, "action: %s: not allow, alert or block", act ? act : "(missing)");
		n++;
	}
	for (int i = 0; i < n; i++)
		if (r[i].from != -1 && r[i].to != -1 && r[i].svc != -1 && r[i].act >= 0)
			p->rules[p->n_rules++] = (struct jg_policy_rule){
				.from = r[i].from < 0 ? JG_RULE_ANY : (uint8_t)r[i].from,
				.to = r[i].to < 0 ? JG_RULE_ANY : (uint8_t)r[i].to,
				.service = r[i].svc < 0 ? JG_RULE_ANY : (uint8_t)r[i].svc,
				.action = (uint8_t)r[i].act,
			};
	for (int i = n - 1; i >= 0; i--) {
		if (r[i].from == -1 || r[i].to == -1 || r[i].svc == -1 || r[i].act < 0)
			continue;
		for (uint32_t a = 0; a < JG_ZONES_MAX; a++)
			for (uint32_t b = 0; b < JG_ZONES_MAX; b++)
				for (uint32_t s = 0; s < JG_SERVICES_MAX; s++)
					if ((r[i].from < 0 || (uint32_t)r[i].from == a) && (r[i].to < 0 || (uint32_t)r[i].to == b) &&
					    (r[i].svc < 0 || (uint32_t)r[i].svc == s))
						p->action[a][b][s] = (uint8_t)r[i].act;
	}
}

int
jg_policy_load_mem(const char *name, const char *text, size_t len, struct jg_policy *p, struct jg_cfg_errors *errs)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ld l = { name, &doc, p, errs };
	yaml_node_t *root, *pol = NULL;
	uint32_t before = errs->n + errs->dropped;

	jg_policy_defaults(p);
	snprintf(p->path, sizeof(p->path), "%s", name);
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		perr(errs, name, (unsigned long)parser.problem_mark.line + 1, "(syntax)", "%s",
		     parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root != NULL && root->type == YAML_MAPPING_NODE) {
		/* zones and services first: the rules refer to them */
		for (int pass = 0; pass < 2; pass++)
			for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
				const char *k = sval(node(&l, pr->key));
				yaml_node_t *v = node(&l, pr->value);

				if (pass == 0 && k && !strcmp(k, "zones"))
					load_zones(&l, v);
				else if (pass == 0 && k && !strcmp(k, "services"))
					load_services(&l, v);
				else if (pass == 1 && k && !strcmp(k, "policy"))
					pol = v;
				else if (pass == 1 && !(k && (!strcmp(k, "zones") || !strcmp(k, "services"))))
					perr(errs, name, line_of(node(&l, pr->key)), k ? k : "?", "unknown section");
			}
		if (pol != NULL)
			load_policy(&l, pol);
	} else if (root != NULL && !(root->type == YAML_SCALAR_NODE && sval(root)[0] == '\0')) {
		perr(errs, name, line_of(root), "(top)", "expected a mapping (zones, services, policy)");
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return errs->n + errs->dropped == before ? 0 : -EINVAL;
}

int
jg_policy_load(const char *path, struct jg_policy *p, struct jg_cfg_errors *errs)
{
	size_t len;
	int rc;
	char *text = jg_cfg_read_file(path, 1u << 22, &len, errs, &rc);

	if (text == NULL) {
		jg_policy_defaults(p);
		return rc;
	}
	rc = jg_policy_load_mem(path, text, len, p, errs);
	free(text);
	return rc;
}

int
jg_policy_port_service(const struct jg_policy *p, uint16_t port)
{
	for (uint32_t s = 0; s < p->n_services; s++)
		for (uint8_t i = 0; i < p->services[s].n_ports; i++)
			if (port >= p->services[s].ports[i][0] && port <= p->services[s].ports[i][1])
				return (int)s;
	return -1;
}

static int
prefix_holds(const struct jg_prefix *p, const uint8_t *ip, uint8_t version)
{
	unsigned int full = p->depth / 8, rest = p->depth % 8;

	if (p->version != version || memcmp(p->addr, ip, full) != 0)
		return 0;
	return rest == 0 || ((p->addr[full] ^ ip[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int
jg_policy_zone_of(const struct jg_policy *pol, const uint8_t *ip, uint8_t version, const struct jg_prefix **via)
{
	const struct jg_prefix *best = NULL;

	for (uint32_t i = 0; i < pol->n_prefixes; i++)
		if (prefix_holds(&pol->prefixes[i], ip, version) && (best == NULL || pol->prefixes[i].depth > best->depth))
			best = &pol->prefixes[i];
	if (via != NULL)
		*via = best;
	return best != NULL ? best->zone : 0;
}

int
jg_policy_service_index(const struct jg_policy *pol, const char *name)
{
	for (uint32_t s = 0; s < pol->n_services; s++)
		if (!strcmp(pol->services[s].name, name))
			return (int)s;
	return -1;
}
