/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Learn mode's proposal (learn.h): hosts given roles from what they did, zones
 * drawn around each role without swallowing a host of another, and an allow
 * rule for what the admin sources were seen doing, each with its evidence.
 *
 *   admin source  ran benign remote administration (min_sessions or more)
 *                 with few accounts (max_users or fewer)
 *   managed       administered by an admin source
 *   other         every other host seen: its administration keeps alerting
 *
 * Sessions in which an attack tool was named never count as benign, whoever
 * ran them; they are listed first, as what to look at.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "hosts.h"
#include "learn.h"

#define LEARNT_ADMIN "learnt-admin"
#define LEARNT_MANAGED "learnt-managed"

enum role { R_OTHER = 0, R_ADMIN, R_MANAGED };
static const char *const role_names[] = { "other", "admin source", "managed" };

struct host {
	uint8_t ip[16];
	uint8_t version;
	uint8_t role;
	uint8_t fresh;     /**< needs a learnt zone (1: learnt-admin, 2: learnt-managed) */
	int cur_zone;      /**< in the running policy */
	int zone;          /**< in the proposal (index into struct names) */
	uint64_t out_benign, out_attack, in_benign;
	uint32_t users;    /**< distinct accounts used from it in benign sessions */
	uint32_t targets;  /**< edges leaving it with benign sessions */
};

struct ctx {
	const struct jg_learn *l;
	const struct jg_policy *cur;
	const struct jg_suggest_opts *o;
	const struct jg_learn_edge **edges; /**< in the window */
	uint32_t n_edges;
	struct host *h;
	uint32_t n_hosts;
	uint32_t *src, *dst; /**< host of each edge */
	char zones[JG_ZONES_MAX + 2][32];
	uint32_t n_zones;
	uint32_t n_prefixes; /**< running policy's plus those added */
	uint8_t moved[JG_ZONE_PREFIXES]; /**< running host prefixes whose host moves to a learnt zone */
};

/* A name as YAML: bare when it is a plain word, else double-quoted with escapes. */
static const char *
yq(char *out, size_t cap, const char *name)
{
	size_t n = 0;
	int plain = name[0] != '\0';

	for (const char *p = name; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
			*p == '_' || *p == '.';
	if (plain) {
		snprintf(out, cap, "%s", name);
		return out;
	}
	n += (size_t)snprintf(out + n, cap - n, "\"");
	for (const char *p = name; *p && n + 6 < cap; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '"' || ch == '\\')
			n += (size_t)snprintf(out + n, cap - n, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", ch);
		else
			out[n++] = (char)ch;
	}
	snprintf(out + n, cap - n, "\"");
	return out;
}

static int
host_cmp(const void *a, const void *b)
{
	const struct host *x = a, *y = b;

	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return memcmp(x->ip, y->ip, 16);
}

static uint32_t
host_find(const struct ctx *c, const uint8_t *ip, uint8_t version)
{
	struct host key = { .version = version };
	const struct host *h;

	memcpy(key.ip, ip, 16);
	h = bsearch(&key, c->h, c->n_hosts, sizeof(*c->h), host_cmp);
	return (uint32_t)(h - c->h);
}

static const char *
host_str(const struct ctx *c, const struct host *h, char *out, size_t cap)
{
	char ip[48], nm[JG_HOST_NAME];
	const char *name = c->o->hosts != NULL ? jg_hosts_name(c->o->hosts, h->ip, h->version) : NULL;

	jg_fmt_ip(ip, sizeof(ip), h->ip, h->version);
	if (name != NULL && name[0])
		snprintf(out, cap, "%s (%s)", ip, jg_fmt_printable(nm, sizeof(nm), name, NULL));
	else
		snprintf(out, cap, "%s", ip);
	return out;
}

static int
collect(struct ctx *c)
{
	const struct jg_learn *l = c->l;
	uint32_t n = 0;

	c->edges = calloc(JG_LEARN_EDGES, sizeof(*c->edges));
	c->h = calloc(2 * JG_LEARN_EDGES, sizeof(*c->h));
	c->src = calloc(JG_LEARN_EDGES, sizeof(*c->src));
	c->dst = calloc(JG_LEARN_EDGES, sizeof(*c->dst));
	if (c->edges == NULL || c->h == NULL || c->src == NULL || c->dst == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < JG_LEARN_EDGES; i++)
		if (l->e[i].used && l->e[i].last_ns >= c->o->since_ns && l->e[i].sessions > 0)
			c->edges[c->n_edges++] = &l->e[i];
	for (uint32_t i = 0; i < c->n_edges; i++) {
		const struct jg_learn_edge *e = c->edges[i];

		memcpy(c->h[n].ip, e->src, 16);
		c->h[n++].version = e->ip_version;
		memcpy(c->h[n].ip, e->dst, 16);
		c->h[n++].version = e->ip_version;
	}
	qsort(c->h, n, sizeof(*c->h), host_cmp);
	c->n_hosts = 0;
	for (uint32_t i = 0; i < n; i++)
		if (c->n_hosts == 0 || host_cmp(&c->h[c->n_hosts - 1], &c->h[i]) != 0)
			c->h[c->n_hosts++] = c->h[i];
	for (uint32_t i = 0; i < c->n_edges; i++) {
		c->src[i] = host_find(c, c->edges[i]->src, c->edges[i]->ip_version);
		c->dst[i] = host_find(c, c->edges[i]->dst, c->edges[i]->ip_version);
	}
	return 0;
}

static uint64_t
benign(const struct jg_learn_edge *e)
{
	return e->sessions - (e->attack_sessions < e->sessions ? e->attack_sessions : e->sessions);
}

/* Accounts used from each host: distinct names over its benign edges (and those past the names kept). */
static void
count_users(struct ctx *c, const uint32_t *by_src)
{
	for (uint32_t i = 0; i < c->n_edges;) {
		uint32_t h = c->src[by_src[i]], j = i;
		const char *seen[64];
		uint32_t n = 0, more = 0;

		for (; j < c->n_edges && c->src[by_src[j]] == h; j++) {
			const struct jg_learn_edge *e = c->edges[by_src[j]];

			if (benign(e) == 0)
				continue;
			more += e->more_users;
			for (uint32_t u = 0; u < e->n_users; u++) {
				uint32_t k = 0;

				while (k < n && strcmp(seen[k], e->users[u]) != 0)
					k++;
				if (k == n && n < 64)
					seen[n++] = e->users[u];
				else if (k == n)
					more++;
			}
		}
		c->h[h].users = n + more;
		i = j;
	}
}

static const struct ctx *sort_ctx;

static int
by_src_cmp(const void *a, const void *b)
{
	uint32_t x = sort_ctx->src[*(const uint32_t *)a], y = sort_ctx->src[*(const uint32_t *)b];

	return x < y ? -1 : x > y;
}

static void
roles(struct ctx *c, uint32_t *by_src)
{
	for (uint32_t i = 0; i < c->n_edges; i++) {
		const struct jg_learn_edge *e = c->edges[i];
		struct host *s = &c->h[c->src[i]];

		by_src[i] = i;
		s->out_attack += e->attack_sessions;
		if (benign(e) == 0)
			continue;
		s->out_benign += benign(e);
		s->targets++;
		c->h[c->dst[i]].in_benign += benign(e);
	}
	sort_ctx = c;
	qsort(by_src, c->n_edges, sizeof(*by_src), by_src_cmp);
	count_users(c, by_src);
	for (uint32_t i = 0; i < c->n_hosts; i++) {
		struct host *h = &c->h[i];

		h->cur_zone = jg_policy_zone_of(c->cur, h->ip, h->version, NULL);
		if (h->out_benign >= c->o->min_sessions && h->users <= c->o->max_users)
			h->role = R_ADMIN;
	}
	for (uint32_t i = 0; i < c->n_edges; i++)
		if (benign(c->edges[i]) && c->h[c->src[i]].role == R_ADMIN && c->h[c->dst[i]].role == R_OTHER)
			c->h[c->dst[i]].role = R_MANAGED;
}

static int
zone_named(struct ctx *c, const char *name)
{
	for (uint32_t z = 0; z < c->n_zones; z++)
		if (!strcmp(c->zones[z], name))
			return (int)z;
	if (c->n_zones >= JG_ZONES_MAX)
		return 0;
	snprintf(c->zones[c->n_zones], sizeof(c->zones[0]), "%s", name);
	return (int)c->n_zones++;
}

/*
 * Each host's zone in the proposal: the running policy's, kept, unless it is
 * `unknown` or (for an admin source) the zone also holds hosts of another role,
 * which trusting the zone would trust too: then a learnt zone, by role.
 */
static void
zones(struct ctx *c)
{
	c->n_zones = c->cur->n_zones;
	memcpy(c->zones, c->cur->zones, sizeof(c->cur->zones[0]) * c->cur->n_zones);
	for (uint32_t i = 0; i < c->n_hosts; i++) {
		struct host *h = &c->h[i];
		int mixed = 0;

		h->zone = h->cur_zone;
		if (h->role == R_OTHER)
			continue;
		if (h->role == R_ADMIN && h->cur_zone != 0)
			for (uint32_t k = 0; k < c->n_hosts && !mixed; k++)
				mixed = c->h[k].role != R_ADMIN && c->h[k].cur_zone == h->cur_zone;
		if (h->cur_zone != 0 && !mixed)
			continue;
		h->fresh = h->role == R_ADMIN ? 1 : 2;
		h->zone = zone_named(c, h->role == R_ADMIN ? LEARNT_ADMIN : LEARNT_MANAGED);
	}
	/* a host carved out of its zone by a prefix of its own: that prefix moves with it */
	for (uint32_t i = 0; i < c->cur->n_prefixes; i++) {
		const struct jg_prefix *q = &c->cur->prefixes[i];

		for (uint32_t k = 0; k < c->n_hosts && !c->moved[i]; k++)
			c->moved[i] = c->h[k].fresh && c->h[k].version == q->version &&
				      q->depth == (q->version == 4 ? 32 : 128) && !memcmp(c->h[k].ip, q->addr, 16);
	}
}

/* Bit b (from the top) of an address. */
static int
bit(const uint8_t *a, unsigned int b)
{
	return (a[b / 8] >> (7 - b % 8)) & 1;
}

static unsigned int
common_bits(const uint8_t *a, const uint8_t *b, unsigned int max)
{
	unsigned int n = 0;

	while (n < max && bit(a, n) == bit(b, n))
		n++;
	return n;
}

static int
inside(const uint8_t *a, const uint8_t *p, unsigned int depth)
{
	return common_bits(a, p, depth) == depth;
}

/*
 * The prefixes of one learnt zone: the smallest prefix covering a run of its
 * hosts (sorted), taken when it holds no other host seen, is no wider than a
 * /24 (/64) and at least a quarter of its addresses were seen; else the run is
 * split where its addresses part, down to single hosts.
 */
/*
 * A learnt prefix must win over the running ones for every host it stands for:
 * not one of them (bar the host prefixes that move), and none of them deeper
 * inside it holding one of its hosts (the longest prefix would keep that host).
 */
static int
clear_of_running(const struct ctx *c, const uint32_t *run, uint32_t lo, uint32_t hi, const uint8_t *p,
		 unsigned int depth)
{
	for (uint32_t i = 0; i < c->cur->n_prefixes; i++) {
		const struct jg_prefix *q = &c->cur->prefixes[i];

		if (c->moved[i] || q->version != c->h[run[lo]].version || q->depth < depth || !inside(q->addr, p, depth))
			continue;
		if (q->depth == depth)
			return 0;
		for (uint32_t k = lo; k < hi; k++)
			if (inside(c->h[run[k]].ip, q->addr, q->depth))
				return 0;
	}
	return 1;
}

/*
 * The prefixes of one learnt zone: the smallest prefix covering a run of its
 * hosts (sorted), taken when it holds no other host seen, is no wider than a
 * /24 (/64), at least a quarter of its addresses were seen and no running
 * prefix would take a host back from it; else the run is split where its
 * addresses part, down to single hosts. @return prefixes written
 */
static uint32_t
cover(struct ctx *c, const uint32_t *run, uint32_t lo, uint32_t hi, struct jg_buf *y)
{
	const struct host *a, *b;
	unsigned int max, min, depth;
	uint8_t p[16] = { 0 };
	uint32_t m;
	char ip[48], hs[128];
	int ok;

	if (hi <= lo)
		return 0;
	a = &c->h[run[lo]];
	b = &c->h[run[hi - 1]];
	max = a->version == 4 ? 32 : 128;
	min = a->version == 4 ? 24 : 64;
	depth = common_bits(a->ip, b->ip, max);
	for (unsigned int k = 0; k < depth; k++)
		p[k / 8] |= (uint8_t)(bit(a->ip, k) << (7 - k % 8));
	ok = hi - lo == 1 || depth == max;
	if (!ok && depth >= min && max - depth < 40 && (uint64_t)(hi - lo) * 4 >= 1ull << (max - depth)) {
		ok = clear_of_running(c, run, lo, hi, p, depth);
		for (uint32_t k = 0; k < c->n_hosts && ok; k++) {
			const struct host *o = &c->h[k];

			if (o->version == a->version && inside(o->ip, a->ip, depth) && o->fresh != a->fresh)
				ok = 0;
		}
	}
	if (ok) {
		if (c->n_prefixes >= JG_ZONE_PREFIXES) {
			jg_buf_printf(y, "      # %u host(s) left out: the policy holds at most %d prefixes\n", hi - lo,
				      JG_ZONE_PREFIXES);
			return 0;
		}
		c->n_prefixes++;
		jg_buf_printf(y, "      - \"%s/%u\"", jg_fmt_ip(ip, sizeof(ip), p, a->version), depth);
		if (hi - lo == 1) {
			jg_buf_printf(y, "   # %s: %s, %" PRIu64 " session(s) out, %" PRIu64 " in\n",
				      host_str(c, a, hs, sizeof(hs)), role_names[a->role], a->out_benign, a->in_benign);
		} else {
			jg_buf_printf(y, "   # %u hosts seen, no other inside:", hi - lo);
			for (uint32_t k = lo; k < hi && k < lo + 4; k++)
				jg_buf_printf(y, " %s", host_str(c, &c->h[run[k]], hs, sizeof(hs)));
			jg_buf_printf(y, "%s\n", hi - lo > 4 ? " ..." : "");
		}
		return 1;
	}
	for (m = lo; m < hi && !bit(c->h[run[m]].ip, depth); m++)
		;
	return cover(c, run, lo, m, y) + cover(c, run, m, hi, y);
}

static void
prefix_str(const struct jg_prefix *p, char *out, size_t cap)
{
	char ip[48];

	snprintf(out, cap, "%s/%u", jg_fmt_ip(ip, sizeof(ip), p->addr, p->version), p->depth);
}

static void
write_zones(struct ctx *c, struct jg_buf *y, uint32_t *run)
{
	char px[64], nm[160];

	c->n_prefixes = c->cur->n_prefixes;
	jg_buf_printf(y, "zones:                       # most specific prefix wins; everything else is `unknown`\n");
	for (uint32_t z = 1; z < c->n_zones; z++) {
		uint32_t n = 0;

		yq(nm, sizeof(nm), c->zones[z]);
		if (z < c->cur->n_zones)
			jg_buf_printf(y, "  - name: %-20s # kept from the running policy\n    prefixes:\n", nm);
		else
			jg_buf_printf(y, "  - name: %s\n    prefixes:\n", nm);
		for (uint32_t i = 0; i < c->cur->n_prefixes; i++)
			if (c->cur->prefixes[i].zone == z && !c->moved[i]) {
				prefix_str(&c->cur->prefixes[i], px, sizeof(px));
				jg_buf_printf(y, "      - \"%s\"\n", px);
				n++;
			}
		for (int v = 4; v <= 6; v += 2) {
			uint32_t k = 0;

			for (uint32_t i = 0; i < c->n_hosts; i++)
				if (c->h[i].fresh && (uint32_t)c->h[i].zone == z && c->h[i].version == v)
					run[k++] = i;
			n += cover(c, run, 0, k, y);
		}
		if (n == 0)
			jg_buf_printf(y, "      []\n");
	}
	if (c->n_zones == 1)
		jg_buf_printf(y, "  []\n");
}

static void
write_services(const struct ctx *c, struct jg_buf *y)
{
	if (c->cur->n_services <= JG_SVC_BUILTIN_MAX)
		return;
	jg_buf_printf(y, "\nservices:                    # kept from the running policy\n");
	for (uint32_t s = JG_SVC_BUILTIN_MAX; s < c->cur->n_services; s++) {
		const struct jg_service_def *d = &c->cur->services[s];
		char nm[160];

		jg_buf_printf(y, "  - { name: %s, ports: [", yq(nm, sizeof(nm), d->name));
		for (int i = 0; i < d->n_ports; i++)
			if (d->ports[i][0] == d->ports[i][1])
				jg_buf_printf(y, "%s%u", i ? ", " : "", d->ports[i][0]);
			else
				jg_buf_printf(y, "%s%u-%u", i ? ", " : "", d->ports[i][0], d->ports[i][1]);
		jg_buf_printf(y, "] }\n");
	}
}

static const char *
rule_part(const char (*names)[32], uint8_t v, char *out, size_t cap)
{
	return v == JG_RULE_ANY ? "any" : yq(out, cap, names[v]);
}

/* The first running rule that decides (from, to, service) in the running policy's indexes, or -1. */
static int
running_rule(const struct jg_policy *p, int from, int to, int svc)
{
	for (uint32_t i = 0; i < p->n_rules; i++) {
		const struct jg_policy_rule *r = &p->rules[i];

		if ((r->from == JG_RULE_ANY || r->from == from) && (r->to == JG_RULE_ANY || r->to == to) &&
		    (r->service == JG_RULE_ANY || r->service == svc))
			return (int)i;
	}
	return -1;
}

struct group {
	int from, to, svc;
	uint64_t sessions, first, last;
	uint32_t edges;
	uint32_t tools;
	const struct jg_learn_edge *eg[4]; /**< users shown from the first edges */
};

/* Group the benign administration of admin sources by (source zone, target zone, service). */
static uint32_t
group_rules(const struct ctx *c, struct group *g)
{
	uint32_t ng = 0;

	for (uint32_t i = 0; i < c->n_edges; i++) {
		const struct jg_learn_edge *e = c->edges[i];
		const struct host *s = &c->h[c->src[i]], *d = &c->h[c->dst[i]];
		int svc = jg_policy_service_index(c->cur, e->service);
		uint32_t k;

		/* zone 0 only when the policy's zones ran out: `unknown` is never trusted */
		if (s->role != R_ADMIN || benign(e) == 0 || svc < 0 || s->zone == 0 || d->zone == 0)
			continue;
		for (k = 0; k < ng; k++)
			if (g[k].from == s->zone && g[k].to == d->zone && g[k].svc == svc)
				break;
		if (k == ng)
			g[ng++] = (struct group){ .from = s->zone, .to = d->zone, .svc = svc, .first = e->first_ns };
		g[k].sessions += benign(e);
		g[k].first = e->first_ns < g[k].first ? e->first_ns : g[k].first;
		g[k].last = e->last_ns > g[k].last ? e->last_ns : g[k].last;
		g[k].tools |= e->tools; /* shown without the attack tools: those sessions are not this rule's */
		if (g[k].edges < 4)
			g[k].eg[g[k].edges] = e;
		g[k].edges++;
	}
	return ng;
}

static void
evidence(const struct group *g, struct jg_buf *y)
{
	struct jg_learn_edge u = { .tools = g->tools };
	char t0[32], t1[32], tools[256], users[256];

	for (uint32_t i = 0; i < g->edges && i < 4; i++)
		for (uint32_t n = 0; n < g->eg[i]->n_users; n++) {
			int dup = 0;

			for (uint32_t m = 0; m < u.n_users; m++)
				dup |= !strcmp(u.users[m], g->eg[i]->users[n]);
			if (!dup && u.n_users < JG_LEARN_USERS)
				memcpy(u.users[u.n_users++], g->eg[i]->users[n], JG_LEARN_USER_LEN);
			else if (!dup)
				u.more_users++;
		}
	jg_fmt_time(t0, sizeof(t0), g->first);
	jg_fmt_time(t1, sizeof(t1), g->last);
	jg_buf_printf(y, "    # seen: %" PRIu64 " session(s) on %u path(s), %s to %s; users: %s; tools: %s\n", g->sessions,
		      g->edges, t0, t1, u.n_users ? jg_learn_users(&u, users, sizeof(users)) : "none named",
		      jg_learn_tools(&u, 0, tools, sizeof(tools))[0] ? tools : "none named");
}

/*
 * The running rules as they were (they decide first), then an allow for each
 * group the running rules do not already allow, as long as the policy's 256
 * rules last. @return 0, or -ENOMEM
 */
static int
write_rules(struct ctx *c, struct jg_buf *y, struct jg_suggest_result *res)
{
	struct group *g = calloc(c->n_edges + 1, sizeof(*g));
	uint32_t ng, rules = c->cur->n_rules;
	char a[160], b[160], v[160];

	if (g == NULL)
		return -ENOMEM;
	if (c->cur->default_action == JG_ACT_BLOCK)
		jg_buf_printf(y, "\npolicy:\n  default: block             # kept from the running policy: your decision\n");
	else
		jg_buf_printf(y, "\npolicy:\n  default: alert             # never block by default: blocking is yours to decide\n");
	jg_buf_printf(y, "  attack_tools: %-11s # an attack tool's session is never allowed, whoever runs it\n"
			 "  rules:                     # the first rule that matches decides\n",
		      jg_action_names[c->cur->attack_action]);
	for (uint32_t i = 0; i < c->cur->n_rules; i++) {
		const struct jg_policy_rule *r = &c->cur->rules[i];

		jg_buf_printf(y, "    # kept from the running policy\n    - { from: %s, to: %s, service: %s, action: %s }\n",
			      rule_part(c->cur->zones, r->from, a, sizeof(a)), rule_part(c->cur->zones, r->to, b, sizeof(b)),
			      r->service == JG_RULE_ANY ? "any" : yq(v, sizeof(v), c->cur->services[r->service].name),
			      jg_action_names[r->action]);
	}
	ng = group_rules(c, g);
	for (uint32_t k = 0; k < ng; k++) {
		/* a learnt zone's index is past the running ones: only their `any` matches it */
		int rr = running_rule(c->cur, g[k].from, g[k].to, g[k].svc);

		if (rr >= 0 && c->cur->rules[rr].action == JG_ACT_ALLOW)
			continue; /* allowed already */
		evidence(&g[k], y);
		yq(a, sizeof(a), c->zones[g[k].from]);
		yq(b, sizeof(b), c->zones[g[k].to]);
		yq(v, sizeof(v), c->cur->services[g[k].svc].name);
		if (rr >= 0)
			jg_buf_printf(y, "    # not added: kept rule %d (%s) decides it first; blocking stays your decision\n",
				      rr + 1, jg_action_names[c->cur->rules[rr].action]);
		else if (rules >= JG_POLICY_RULES)
			jg_buf_printf(y, "    # not added: a policy holds at most %d rules (from %s to %s, %s)\n",
				      JG_POLICY_RULES, a, b, v);
		else {
			jg_buf_printf(y, "    - { from: %s, to: %s, service: %s, action: allow }\n", a, b, v);
			res->rules_new++;
			rules++;
		}
	}
	if (rules == 0)
		jg_buf_printf(y, "    []\n");
	free(g);
	return 0;
}

static void
write_attention(struct ctx *c, struct jg_buf *y, struct jg_suggest_result *res)
{
	char hs[2][128], t0[32], t1[32], tools[256], users[256];
	int any = 0;

	for (uint32_t i = 0; i < c->n_edges; i++) {
		const struct jg_learn_edge *e = c->edges[i];

		if (e->attack_sessions == 0)
			continue;
		if (!any++)
			jg_buf_printf(y, "#\n# LOOK AT THESE FIRST: attack tools, never learnt as allowed whoever ran them\n");
		jg_fmt_time(t0, sizeof(t0), e->attack_first_ns);
		jg_fmt_time(t1, sizeof(t1), e->attack_last_ns);
		jg_buf_printf(y, "#   %s -> %s %s: %u session(s), tools %s, users %s, %s to %s\n",
			      host_str(c, &c->h[c->src[i]], hs[0], sizeof(hs[0])),
			      host_str(c, &c->h[c->dst[i]], hs[1], sizeof(hs[1])), e->service, e->attack_sessions,
			      jg_learn_tools(e, 1, tools, sizeof(tools))[0] ? tools : "?",
			      e->n_users ? jg_learn_users(e, users, sizeof(users)) : "none named", t0, t1);
		res->attack_edges++;
	}
	any = 0;
	for (uint32_t i = 0; i < c->n_hosts; i++) {
		const struct host *h = &c->h[i];

		if (h->role == R_ADMIN || h->out_benign == 0)
			continue;
		if (!any++)
			jg_buf_printf(y, "#\n# Not trusted: they administered others, but with too little evidence or too many accounts\n");
		jg_buf_printf(y, "#   %s: %" PRIu64 " session(s) (an admin source needs %u), %u account(s) (at most %u)\n",
			      host_str(c, h, hs[0], sizeof(hs[0])), h->out_benign, c->o->min_sessions, h->users,
			      c->o->max_users);
	}
}

int
jg_suggest(const struct jg_learn *l, const struct jg_policy *current, const struct jg_suggest_opts *o,
	   struct jg_buf *y, struct jg_suggest_result *res)
{
	struct ctx c = { .l = l, .cur = current, .o = o };
	uint32_t *run = NULL;
	uint64_t sessions = 0;
	char t[32], since[32];
	int rc;

	memset(res, 0, sizeof(*res));
	rc = collect(&c);
	if (rc == 0 && (run = calloc(2 * JG_LEARN_EDGES, sizeof(*run))) == NULL)
		rc = -ENOMEM;
	if (rc != 0)
		goto out;
	roles(&c, run);
	zones(&c);
	for (uint32_t i = 0; i < c.n_edges; i++)
		sessions += c.edges[i]->sessions;
	for (uint32_t i = 0; i < c.n_hosts; i++) {
		res->admin_hosts += c.h[i].role == R_ADMIN;
		res->managed_hosts += c.h[i].role == R_MANAGED;
		res->other_hosts += c.h[i].role == R_OTHER;
	}
	res->zones_new = c.n_zones - current->n_zones;
	jg_fmt_time(t, sizeof(t), o->now_ns);
	jg_fmt_time(since, sizeof(since), o->since_ns);
	jg_buf_printf(y,
		      "# Jumpgate policy proposed by learn mode, %s, from %" PRIu64 " remote-administration session(s)\n"
		      "# on %u path(s) between %u host(s)%s%s.\n"
		      "# Roles: %u admin source(s) (at least %u benign session(s), at most %u account(s)),\n"
		      "# %u managed host(s) (administered by them), %u other(s) (their administration keeps alerting).\n"
		      "# Review it, compare it with what runs (jgctl policy diff FILE), then point detect.policy\n"
		      "# at it and run jgctl reload.\n",
		      t, sessions, c.n_edges, c.n_hosts, o->since_ns ? ", seen since " : "", o->since_ns ? since : "",
		      res->admin_hosts, o->min_sessions, o->max_users, res->managed_hosts, res->other_hosts);
	write_attention(&c, y, res);
	jg_buf_printf(y, "\n");
	write_zones(&c, y, run);
	write_services(&c, y);
	if (write_rules(&c, y, res) != 0 || !jg_buf_ok(y))
		rc = -ENOMEM;
out:
	free(run);
	free(c.edges);
	free(c.h);
	free(c.src);
	free(c.dst);
	return rc;
}
