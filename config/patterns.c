/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * patterns.yaml:
 *   patterns:
 *     - name: psexec-service
 *       literal: PSEXESVC
 *       tool: psexec
 *       kind: artifact            # artifact | attribute | wmi
 *       encodings: [ascii, utf16le]
 *       nocase: true
 *   rules:
 *     - name: impacket-smbexec
 *       event: service_install    # or a list of event kinds
 *       tool: smbexec             # a built-in tool name or the operator's own
 *       technique: T1569.002      # optional
 *       match:                    # every field must match (Hyperscan, caseless)
 *         binary_path: '%COMSPEC%\s+/Q\s+/c\s+echo\s'
 */
#include "jg_patterns.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "jg_wire.h"

#define perr jg_cfg_err

static unsigned long
line_of(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

static const char *
sval(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int
tool_of(const char *s)
{
	for (int t = 0; t < JG_TOOL_MAX; t++)
		if (!strcmp(jg_tool_names[t], s))
			return t;
	return -1;
}

static int
kind_of(const char *s)
{
	static const char *const kinds[] = { "artifact", "attribute", "wmi" };

	for (int k = 0; k < 3; k++)
		if (!strcmp(kinds[k], s))
			return k;
	return -1;
}

/* The name of a pattern or rule: what fits, or an error. */
static void
set_name(char *dst, size_t cap, const char *s, const char *file, unsigned long line, const char *key,
	 struct jg_cfg_errors *errs)
{
	if (strlen(s) >= cap)
		perr(errs, file, line, key, "%s: longer than %zu", s, cap - 1);
	else
		strcpy(dst, s);
}

static void
load_encodings(yaml_document_t *doc, const yaml_node_t *v, struct jg_pattern *p, const char *file, const char *key,
	       struct jg_cfg_errors *errs)
{
	p->encodings = 0;
	if (v->type != YAML_SEQUENCE_NODE) {
		perr(errs, file, line_of(v), key, "expected a list of ascii, utf16le");
		return;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		const char *s = sval(yaml_document_get_node(doc, *it));

		if (s && !strcmp(s, "ascii"))
			p->encodings |= JG_PAT_ASCII;
		else if (s && !strcmp(s, "utf16le"))
			p->encodings |= JG_PAT_UTF16;
		else
			perr(errs, file, line_of(v), key, "%s: not an encoding (ascii, utf16le)", s ? s : "(not a scalar)");
	}
	if (p->encodings == 0)
		perr(errs, file, line_of(v), key, "(empty): at least one encoding");
}

static void
load_one(yaml_document_t *doc, const yaml_node_t *m, uint32_t idx, struct jg_patterns *pats, const char *file,
	 struct jg_cfg_errors *errs)
{
	struct jg_pattern *p = &pats->p[idx];
	char key[96];
	int have_tool = 0;

	memset(p, 0, sizeof(*p));
	p->encodings = JG_PAT_ASCII | JG_PAT_UTF16;
	p->nocase = 1;
	snprintf(key, sizeof(key), "patterns[%u]", idx);
	if (m->type != YAML_MAPPING_NODE) {
		perr(errs, file, line_of(m), key, "expected a mapping");
		return;
	}
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		const yaml_node_t *kn = yaml_document_get_node(doc, pr->key);
		const yaml_node_t *v = yaml_document_get_node(doc, pr->value);
		const char *k = sval(kn), *s = sval(v);
		char fk[160];

		snprintf(fk, sizeof(fk), "%s.%s", key, k ? k : "?");
		if (k == NULL) {
			perr(errs, file, line_of(kn), key, "keys must be plain words");
		} else if (!strcmp(k, "encodings")) {
			load_encodings(doc, v, p, file, fk, errs);
		} else if (s == NULL) {
			perr(errs, file, line_of(v), fk, "(not a scalar): expected a value");
		} else if (!strcmp(k, "name")) {
			set_name(p->name, sizeof(p->name), s, file, line_of(v), fk, errs);
		} else if (!strcmp(k, "literal")) {
			if (strlen(s) >= sizeof(p->literal) || strlen(s) < 3)
				perr(errs, file, line_of(v), fk, "%s: length must be 3..%zu", s, sizeof(p->literal) - 1);
			else
				strcpy(p->literal, s);
		} else if (!strcmp(k, "tool")) {
			int t = tool_of(s);

			if (t < 0)
				perr(errs, file, line_of(v), fk, "%s: unknown tool", s);
			else
				p->tool = (uint8_t)t;
			have_tool = 1;
		} else if (!strcmp(k, "kind")) {
			int kd = kind_of(s);

			if (kd < 0)
				perr(errs, file, line_of(v), fk, "%s: not artifact, attribute or wmi", s);
			else
				p->kind = (uint8_t)kd;
		} else if (!strcmp(k, "nocase")) {
			if (!strcmp(s, "true") || !strcmp(s, "false"))
				p->nocase = !strcmp(s, "true");
			else
				perr(errs, file, line_of(v), fk, "%s: expected true or false", s);
		} else {
			perr(errs, file, line_of(kn), fk, "unknown key");
		}
	}
	if (p->name[0] == '\0')
		perr(errs, file, line_of(m), key, "name: missing");
	if (p->literal[0] == '\0')
		perr(errs, file, line_of(m), key, "literal: missing");
	if (!have_tool)
		perr(errs, file, line_of(m), key, "tool: missing");
	for (uint32_t j = 0; j < idx; j++)
		if (p->name[0] && !strcmp(pats->p[j].name, p->name))
			perr(errs, file, line_of(m), key, "name: %s: given twice", p->name);
}

int
jg_rule_field(unsigned int attr)
{
	switch (attr) {
	case JG_ATTR_SHARE: case JG_ATTR_FILE: case JG_ATTR_PIPE: case JG_ATTR_SERVICE_NAME: case JG_ATTR_BINARY_PATH:
	case JG_ATTR_RPC_INTERFACE: case JG_ATTR_RPC_FUNCTION: case JG_ATTR_USER: case JG_ATTR_DOMAIN:
	case JG_ATTR_WORKSTATION: case JG_ATTR_DETAIL: case JG_ATTR_ORIGIN_HOST: case JG_ATTR_TASK_NAME:
	case JG_ATTR_COMMAND_LINE:
		return 1;
	default:
		return 0;
	}
}

static int
event_of(const char *s)
{
	for (int e = 1; e < JG_EV_MAX; e++)
		if (!strcmp(jg_event_names[e], s))
			return e;
	return -1;
}

static void
rule_events(yaml_document_t *doc, const yaml_node_t *v, struct jg_rule *r, const char *file, const char *key,
	    struct jg_cfg_errors *errs)
{
	const yaml_node_t *one[1] = { v };
	size_t n = 1;

	if (v->type == YAML_SEQUENCE_NODE)
		n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *it = v->type == YAML_SEQUENCE_NODE ?
						yaml_document_get_node(doc, v->data.sequence.items.start[i]) : one[0];
		const char *s = sval(it);
		int e = s ? event_of(s) : -1;

		if (e < 0 || e == JG_EV_ZONE_VIOLATION)
			perr(errs, file, line_of(it), key, "%s: not an event kind that names a tool", s ? s : "(not a scalar)");
		else
			r->events |= 1u << e;
	}
}

static void
rule_match(yaml_document_t *doc, const yaml_node_t *v, struct jg_rule *r, const char *file, const char *key,
	   struct jg_cfg_errors *errs)
{
	if (v->type != YAML_MAPPING_NODE) {
		perr(errs, file, line_of(v), key, "expected a mapping of field: regular expression");
		return;
	}
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top; pr++) {
		const yaml_node_t *kn = yaml_document_get_node(doc, pr->key), *vn = yaml_document_get_node(doc, pr->value);
		const char *k = sval(kn), *re = sval(vn);
		char fk[160];
		int attr = -1;

		snprintf(fk, sizeof(fk), "%s.%s", key, k ? k : "?");
		for (int a = 1; k && a < JG_ATTR_MAX; a++)
			if (!strcmp(jg_attr_names[a], k) && jg_rule_field((unsigned int)a))
				attr = a;
		if (attr < 0) {
			char fields[400] = "";

			/* the list jg_rule_field() keeps, so the message cannot drift from it */
			for (unsigned int a = 1; a < JG_ATTR_MAX; a++)
				if (jg_rule_field(a))
					snprintf(fields + strlen(fields), sizeof(fields) - strlen(fields), "%s%s",
						 fields[0] ? ", " : "", jg_attr_names[a]);
			perr(errs, file, line_of(kn), fk, "not a field a rule may test (%s)", fields);
			continue;
		}
		if (re == NULL || re[0] == '\0' || strlen(re) >= JG_RULE_RE) {
			perr(errs, file, line_of(vn), fk, "expected a regular expression of 1..%d bytes", JG_RULE_RE - 1);
			continue;
		}
		for (uint8_t c = 0; c < r->n_cond; c++)
			if (r->cond[c].attr == attr)
				perr(errs, file, line_of(kn), fk, "given twice");
		if (r->n_cond >= JG_RULE_CONDS) {
			perr(errs, file, line_of(kn), fk, "more than %d fields", JG_RULE_CONDS);
			continue;
		}
		r->cond[r->n_cond].attr = (uint8_t)attr;
		r->cond[r->n_cond].line = (uint32_t)line_of(vn);
		snprintf(r->cond[r->n_cond].re, sizeof(r->cond[0].re), "%s", re);
		r->n_cond++;
	}
}

static int
technique_ok(const char *s)
{
	/* T, four digits, optionally a dot and three more: T1003, T1003.006 */
	size_t n = strlen(s);

	if ((n != 5 && n != 9) || s[0] != 'T' || (n == 9 && s[5] != '.'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (i != 5 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

static void
load_rule(yaml_document_t *doc, const yaml_node_t *m, uint32_t idx, struct jg_patterns *pats, const char *file,
	  struct jg_cfg_errors *errs)
{
	struct jg_rule *r = &pats->rules[idx];
	char key[64];

	memset(r, 0, sizeof(*r));
	r->line = (uint32_t)line_of(m);
	snprintf(key, sizeof(key), "rules[%u]", idx);
	if (m->type != YAML_MAPPING_NODE) {
		perr(errs, file, line_of(m), key, "expected a mapping");
		return;
	}
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		const yaml_node_t *kn = yaml_document_get_node(doc, pr->key), *v = yaml_document_get_node(doc, pr->value);
		const char *k = sval(kn), *s = sval(v);
		char fk[160];

		snprintf(fk, sizeof(fk), "%s.%s", key, k ? k : "?");
		if (k == NULL) {
			perr(errs, file, line_of(kn), key, "keys must be plain words");
		} else if (!strcmp(k, "event")) {
			rule_events(doc, v, r, file, fk, errs);
		} else if (!strcmp(k, "match")) {
			rule_match(doc, v, r, file, fk, errs);
		} else if (s == NULL) {
			perr(errs, file, line_of(v), fk, "(not a scalar): expected a value");
		} else if (!strcmp(k, "name")) {
			set_name(r->name, sizeof(r->name), s, file, line_of(v), fk, errs);
		} else if (!strcmp(k, "tool")) {
			int t = tool_of(s);
			int ok = strlen(s) > 0 && strlen(s) < sizeof(r->tool);

			for (const char *c = s; ok && *c; c++)
				ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.';
			if (!ok || t == JG_TOOL_CUSTOM)
				perr(errs, file, line_of(v), fk, "%s: a tool name is 1..%zu of a-z 0-9 - _ .", s, sizeof(r->tool) - 1);
			else {
				strcpy(r->tool, s);
				r->tool_id = (uint8_t)(t < 0 ? JG_TOOL_CUSTOM : t);
			}
		} else if (!strcmp(k, "technique")) {
			if (!technique_ok(s))
				perr(errs, file, line_of(v), fk, "%s: an ATT&CK technique id (T1569 or T1569.002)", s);
			else
				snprintf(r->technique, sizeof(r->technique), "%s", s);
		} else {
			perr(errs, file, line_of(kn), fk, "unknown key");
		}
	}
	if (r->name[0] == '\0')
		perr(errs, file, line_of(m), key, "name: missing");
	if (r->events == 0)
		perr(errs, file, line_of(m), key, "event: missing");
	if (r->n_cond == 0)
		perr(errs, file, line_of(m), key, "match: missing (a rule tests at least one field)");
	if (r->tool[0] == '\0' && r->technique[0] == '\0')
		perr(errs, file, line_of(m), key, "tool or technique: a rule names at least one");
	for (uint32_t j = 0; j < idx; j++)
		if (r->name[0] && !strcmp(pats->rules[j].name, r->name))
			perr(errs, file, line_of(m), key, "name: %s: given twice", r->name);
}

int
jg_patterns_load_mem(const char *name, const char *text, size_t len, struct jg_patterns *pats,
		     struct jg_cfg_errors *errs)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	uint32_t before = errs->n + errs->dropped;

	memset(pats, 0, sizeof(*pats));
	snprintf(pats->file, sizeof(pats->file), "%s", name);
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
	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		perr(errs, name, 1, "(top)", "expected a mapping with a 'patterns' list");
	} else {
		for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
			const yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
			const yaml_node_t *v = yaml_document_get_node(&doc, pr->value);

			int rules = sval(k) != NULL && strcmp(sval(k), "rules") == 0;

			if (sval(k) == NULL || (strcmp(sval(k), "patterns") != 0 && !rules)) {
				perr(errs, name, line_of(k), sval(k) ? sval(k) : "?", "unknown section");
				continue;
			}
			if (v->type != YAML_SEQUENCE_NODE) {
				perr(errs, name, line_of(v), sval(k), "expected a list");
				continue;
			}
			for (yaml_node_item_t *it = v->data.sequence.items.start; rules && it < v->data.sequence.items.top; it++) {
				if (pats->n_rules >= JG_RULES_MAX) {
					perr(errs, name, line_of(v), "rules", "more than %d rules", JG_RULES_MAX);
					break;
				}
				load_rule(&doc, yaml_document_get_node(&doc, *it), pats->n_rules, pats, name, errs);
				pats->n_rules++;
			}
			if (rules)
				continue;
			for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
				if (pats->n >= JG_PAT_MAX) {
					perr(errs, name, line_of(v), "patterns", "more than %d patterns", JG_PAT_MAX);
					break;
				}
				load_one(&doc, yaml_document_get_node(&doc, *it), pats->n, pats, name, errs);
				pats->n++;
			}
		}
		if (pats->n == 0)
			perr(errs, name, 1, "patterns", "(empty): no pattern defined");
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return errs->n + errs->dropped == before ? 0 : -EINVAL;
}

int
jg_patterns_load(const char *path, struct jg_patterns *pats, struct jg_cfg_errors *errs)
{
	size_t len;
	int rc;
	char *text = jg_cfg_read_file(path, 1u << 22, &len, errs, &rc);

	if (text == NULL)
		return rc;
	rc = jg_patterns_load_mem(path, text, len, pats, errs);
	free(text);
	return rc;
}

int
jg_pattern_expr(const struct jg_pattern *p, unsigned int encoding, char *out, size_t cap)
{
	size_t n = 0;

	for (const char *c = p->literal; *c; c++) {
		if (n + 9 > cap)
			return -ENOSPC;
		n += (size_t)snprintf(out + n, cap - n, "\\x%02x", (unsigned char)*c);
		if (encoding == JG_PAT_UTF16)
			n += (size_t)snprintf(out + n, cap - n, "\\x00");
	}
	if (n >= cap)
		return -ENOSPC;
	out[n] = '\0';
	return 0;
}
