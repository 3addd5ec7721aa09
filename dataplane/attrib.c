/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attribution rules (patterns.yaml `rules:`): when an event is made, each
 * field some rule tests is scanned whole against that field's block-mode
 * database; the first rule, in file order, whose event kind fits and whose
 * every field matched names the tool, the rule and the technique (a rule that
 * names a tool, only for an event no literal artifact has named yet). Tools vary
 * by fork (NetExec, CrackMapExec, Metasploit, Cobalt Strike...) in the values
 * of these fields, not in fixed literals: a regular expression on a decoded
 * binary path says "smbexec's shape" where no literal can. Events are rare
 * (one per artifact per flow), so a few short block scans per event cost
 * nothing on the packet path.
 */
#include <stdio.h>
#include <string.h>

#include "detect_priv.h"

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
	uint8_t *got = ctx;

	(void)from;
	(void)to;
	(void)flags;
	if (id < JG_RULES_MAX)
		got[id]++;
	return 0;
}

void
jg_rules_attribute(struct jg_detect *d, struct jg_session *s, struct jg_event_rec *ev)
{
	const struct jg_patterns *pats = &d->db->pats;
	uint8_t got[JG_RULES_MAX];
	const struct jg_rule *r = NULL;
	char v[256];

	if (!(d->db->rule_events & (1u << ev->type)))
		return;
	memset(got, 0, pats->n_rules);
	for (unsigned int a = 1; a < JG_ATTR_MAX; a++) {
		size_t n;

		if (d->db->rule_db[a] == NULL)
			continue;
		n = strlen(jg_ev_get(ev, (enum jg_attr)a, v, sizeof(v)));
		if (n > 0 && hs_scan(d->db->rule_db[a], v, (unsigned int)n, 0, d->scratch, on_match, got) != HS_SUCCESS)
			d->cnt[JG_CNT_HS_ERR]++;
	}
	/*
	 * A tool the event's own names already gave (PSEXESVC, RemComSvc, a
	 * PAExec file) is firmer than a shape: rules that name a tool name the
	 * events that have none yet; a rule of technique only applies to any.
	 */
	for (uint32_t i = 0; i < pats->n_rules && r == NULL; i++)
		if ((pats->rules[i].events & (1u << ev->type)) && got[i] == pats->rules[i].n_cond &&
		    (pats->rules[i].tool[0] == '\0' || ev->tool == JG_TOOL_UNKNOWN))
			r = &pats->rules[i];
	if (r == NULL)
		return;
	if (r->tool[0]) {
		ev->tool = r->tool_id;
		jg_ev_del(ev, JG_ATTR_TOOL);
		if (r->tool_id == JG_TOOL_CUSTOM)
			jg_ev_str(ev, JG_ATTR_TOOL, r->tool);
		/* what comes later in the session (its pipes, its StartService) is that tool's too */
		if (s->tool == JG_TOOL_UNKNOWN && r->tool_id != JG_TOOL_CUSTOM) {
			s->tool = r->tool_id;
			snprintf(s->tool_rule, sizeof(s->tool_rule), "%s", r->name);
		}
	}
	jg_ev_del(ev, JG_ATTR_RULE);
	jg_ev_str(ev, JG_ATTR_RULE, r->name);
	if (r->technique[0]) {
		jg_ev_del(ev, JG_ATTR_TECHNIQUE);
		jg_ev_str(ev, JG_ATTR_TECHNIQUE, r->technique);
	}
}
