/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What-if (learn.h): the observed sessions judged by two policies side by
 * side, the way the dataplane judges them (zones by longest prefix, the
 * matrix, attack tools raised to policy.attack_tools).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "learn.h"

/* One edge under one policy: where it falls and what its benign and attack sessions get. */
struct judged {
	int sz, dz, svc; /**< svc -1: the policy has no such service */
	uint8_t benign, attack;
};

static struct judged
judge(const struct jg_policy *p, const struct jg_learn_edge *e)
{
	struct judged j = { .svc = jg_policy_service_index(p, e->service) };

	j.sz = jg_policy_zone_of(p, e->src, e->ip_version, NULL);
	j.dz = jg_policy_zone_of(p, e->dst, e->ip_version, NULL);
	if (j.svc >= 0) {
		j.benign = jg_policy_action(p, (uint8_t)j.sz, (uint8_t)j.dz, (unsigned int)j.svc, 0);
		j.attack = jg_policy_action(p, (uint8_t)j.sz, (uint8_t)j.dz, (unsigned int)j.svc, 1);
	}
	return j;
}

struct cell {
	int sz, dz, svc;
	uint64_t n[3];
};

static void
count(struct jg_whatif_totals *t, uint8_t act, uint64_t n)
{
	if (act == JG_ACT_ALLOW)
		t->allow += n;
	else if (act == JG_ACT_ALERT)
		t->alert += n;
	else
		t->block += n;
}

/* Totals and sessions per (zone, zone, service) of one policy. */
static uint32_t
tally(const struct jg_policy *p, const struct jg_learn_edge *const *e, uint32_t n, struct cell *cells,
      struct jg_whatif_totals *t)
{
	uint32_t nc = 0;

	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < n; i++) {
		struct judged j = judge(p, e[i]);
		uint64_t atk = e[i]->attack_sessions < e[i]->sessions ? e[i]->attack_sessions : e[i]->sessions;
		uint32_t k;

		if (j.svc < 0) {
			t->unjudged += e[i]->sessions;
			continue;
		}
		count(t, j.benign, e[i]->sessions - atk);
		count(t, j.attack, atk);
		if (j.attack == JG_ACT_ALLOW)
			t->attack_allowed += atk;
		for (k = 0; k < nc; k++)
			if (cells[k].sz == j.sz && cells[k].dz == j.dz && cells[k].svc == j.svc)
				break;
		if (k == nc)
			cells[nc++] = (struct cell){ .sz = j.sz, .dz = j.dz, .svc = j.svc };
		cells[k].n[j.benign] += e[i]->sessions - atk;
		cells[k].n[j.attack] += atk;
	}
	return nc;
}

static void
json_name(struct jg_buf *o, const char *s)
{
	jg_buf_json_str(o, s, strlen(s));
}

static void
put_side(const struct jg_policy *p, const char *name, const struct cell *cells, uint32_t nc,
	 const struct jg_whatif_totals *t, int json, struct jg_buf *o)
{
	if (json) {
		jg_buf_printf(o, "{\"policy\":");
		jg_buf_json_str(o, name, strlen(name));
		jg_buf_printf(o,
			      ",\"allow\":%" PRIu64 ",\"alert\":%" PRIu64 ",\"block\":%" PRIu64
			      ",\"attack_allowed\":%" PRIu64 ",\"unjudged\":%" PRIu64 ",\"by_zone\":[",
			      t->allow, t->alert, t->block, t->attack_allowed, t->unjudged);
		for (uint32_t k = 0; k < nc; k++) {
			jg_buf_printf(o, "%s{\"from\":", k ? "," : "");
			json_name(o, p->zones[cells[k].sz]);
			jg_buf_printf(o, ",\"to\":");
			json_name(o, p->zones[cells[k].dz]);
			jg_buf_printf(o, ",\"service\":");
			json_name(o, p->services[cells[k].svc].name);
			jg_buf_printf(o, ",\"allow\":%" PRIu64 ",\"alert\":%" PRIu64 ",\"block\":%" PRIu64 "}", cells[k].n[0],
				      cells[k].n[1], cells[k].n[2]);
		}
		jg_buf_printf(o, "]}");
		return;
	}
	jg_buf_printf(o, "\n%s, sessions per zones:\n  %-20s %-20s %-14s %7s %7s %7s\n", name, "FROM", "TO", "SERVICE",
		      "ALLOW", "ALERT", "BLOCK");
	for (uint32_t k = 0; k < nc; k++)
		jg_buf_printf(o, "  %-20s %-20s %-14s %7" PRIu64 " %7" PRIu64 " %7" PRIu64 "\n", p->zones[cells[k].sz],
			      p->zones[cells[k].dz], p->services[cells[k].svc].name, cells[k].n[0], cells[k].n[1],
			      cells[k].n[2]);
	if (t->unjudged)
		jg_buf_printf(o, "  (%" PRIu64 " session(s) of services this policy does not define: not judged)\n",
			      t->unjudged);
}

struct trusted {
	uint8_t ip[16];
	uint8_t version;
	uint64_t sessions;
	uint32_t targets;
	char zone[32];
};

static void
put_changes(const struct jg_policy *cur, const struct jg_policy *draft, const struct jg_learn_edge *const *e,
	    uint32_t n, int json, struct jg_buf *o)
{
	struct trusted *tr = calloc(n + 1, sizeof(*tr));
	uint32_t ntr = 0, rows = 0;
	char a[48], b[48];

	jg_buf_printf(o, json ? ",\"changes\":[" : "\nverdicts that change:\n");
	for (uint32_t i = 0; i < n; i++) {
		struct judged jc = judge(cur, e[i]), jd = judge(draft, e[i]);
		uint64_t atk = e[i]->attack_sessions < e[i]->sessions ? e[i]->attack_sessions : e[i]->sessions;
		struct {
			uint64_t n;
			uint8_t from, to;
			int attack;
		} part[2] = { { e[i]->sessions - atk, jc.benign, jd.benign, 0 }, { atk, jc.attack, jd.attack, 1 } };

		if (jc.svc < 0 || jd.svc < 0)
			continue;
		jg_fmt_ip(a, sizeof(a), e[i]->src, e[i]->ip_version);
		jg_fmt_ip(b, sizeof(b), e[i]->dst, e[i]->ip_version);
		for (int k = 0; k < 2; k++) {
			if (part[k].n == 0 || part[k].from == part[k].to)
				continue;
			if (json) {
				jg_buf_printf(o, "%s{\"src\":\"%s\",\"dst\":\"%s\",\"service\":", rows ? "," : "", a, b);
				json_name(o, e[i]->service);
				jg_buf_printf(o, ",\"sessions\":%" PRIu64 ",\"attack_tool\":%s,\"current\":\"%s\",\"draft\":\"%s\"}",
					      part[k].n, part[k].attack ? "true" : "false", jg_action_names[part[k].from],
					      jg_action_names[part[k].to]);
			} else
				jg_buf_printf(o, "  %-39s -> %-39s %-14s %5" PRIu64 " session(s)%s  %s -> %s\n", a, b,
					      e[i]->service, part[k].n, part[k].attack ? " (attack tool)" : "",
					      jg_action_names[part[k].from], jg_action_names[part[k].to]);
			rows++;
			if (tr != NULL && part[k].to == JG_ACT_ALLOW) {
				uint32_t t;

				for (t = 0; t < ntr; t++)
					if (tr[t].version == e[i]->ip_version && !memcmp(tr[t].ip, e[i]->src, 16))
						break;
				if (t == ntr) {
					memcpy(tr[ntr].ip, e[i]->src, 16);
					tr[ntr].version = e[i]->ip_version;
					snprintf(tr[ntr++].zone, sizeof(tr[0].zone), "%s", draft->zones[jd.sz]);
				}
				tr[t].sessions += part[k].n;
				tr[t].targets++;
			}
		}
	}
	if (!json && rows == 0)
		jg_buf_printf(o, "  none\n");
	jg_buf_printf(o, json ? "],\"newly_trusted\":[" : "\nhosts the draft newly trusts:\n");
	for (uint32_t t = 0; t < ntr; t++) {
		jg_fmt_ip(a, sizeof(a), tr[t].ip, tr[t].version);
		if (json) {
			jg_buf_printf(o, "%s{\"host\":\"%s\",\"zone\":", t ? "," : "", a);
			json_name(o, tr[t].zone);
			jg_buf_printf(o, ",\"sessions\":%" PRIu64 ",\"paths\":%u}", tr[t].sessions, tr[t].targets);
		} else
			jg_buf_printf(o, "  %-39s zone %-20s %" PRIu64 " session(s) on %u path(s) now allowed\n", a,
				      tr[t].zone, tr[t].sessions, tr[t].targets);
	}
	if (!json && ntr == 0)
		jg_buf_printf(o, "  none\n");
	jg_buf_printf(o, json ? "]" : "");
	free(tr);
}

void
jg_whatif(const struct jg_learn *l, const struct jg_policy *cur, const char *cur_name, const struct jg_policy *draft,
	  const char *draft_name, uint64_t since_ns, int json, struct jg_buf *out, struct jg_whatif_totals *t_cur,
	  struct jg_whatif_totals *t_draft)
{
	const struct jg_learn_edge **e = calloc(JG_LEARN_EDGES, sizeof(*e));
	struct cell *cc = calloc(JG_LEARN_EDGES, sizeof(*cc)), *cd = calloc(JG_LEARN_EDGES, sizeof(*cd));
	uint32_t n = 0, ncc, ncd;
	uint64_t sessions = 0;

	memset(t_cur, 0, sizeof(*t_cur));
	memset(t_draft, 0, sizeof(*t_draft));
	if (e == NULL || cc == NULL || cd == NULL) {
		jg_buf_printf(out, "what-if: out of memory\n");
		goto out;
	}
	for (uint32_t i = 0; i < JG_LEARN_EDGES; i++)
		if (l->e[i].used && l->e[i].sessions > 0 && l->e[i].last_ns >= since_ns) {
			e[n++] = &l->e[i];
			sessions += l->e[i].sessions;
		}
	ncc = tally(cur, e, n, cc, t_cur);
	ncd = tally(draft, e, n, cd, t_draft);
	if (json) {
		jg_buf_printf(out, "{\"sessions\":%" PRIu64 ",\"paths\":%u,\"current\":", sessions, n);
		put_side(cur, cur_name, cc, ncc, t_cur, 1, out);
		jg_buf_printf(out, ",\"draft\":");
		put_side(draft, draft_name, cd, ncd, t_draft, 1, out);
		put_changes(cur, draft, e, n, 1, out);
		jg_buf_printf(out, "}\n");
		goto out;
	}
	jg_buf_printf(out, "what-if over %" PRIu64 " observed remote-administration session(s) on %u path(s)\n\n", sessions,
		      n);
	jg_buf_printf(out, "  %-9s %7s %7s %7s %16s  %s\n", "", "ALLOW", "ALERT", "BLOCK", "ATTACK-ALLOWED", "POLICY");
	jg_buf_printf(out, "  %-9s %7" PRIu64 " %7" PRIu64 " %7" PRIu64 " %16" PRIu64 "  %s\n", "current", t_cur->allow,
		      t_cur->alert, t_cur->block, t_cur->attack_allowed, cur_name);
	jg_buf_printf(out, "  %-9s %7" PRIu64 " %7" PRIu64 " %7" PRIu64 " %16" PRIu64 "  %s\n", "draft", t_draft->allow,
		      t_draft->alert, t_draft->block, t_draft->attack_allowed, draft_name);
	put_side(cur, "current", cc, ncc, t_cur, 0, out);
	put_side(draft, "draft", cd, ncd, t_draft, 0, out);
	put_changes(cur, draft, e, n, 0, out);
out:
	free(e);
	free(cc);
	free(cd);
}
