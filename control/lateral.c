/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lateral-movement chain: events joined into a directed graph of hosts.
 * An edge is remote administration from A to B, with its first and last time,
 * the tools, services and zones seen, the strongest verdict and the origin a
 * PAExec/PsExec artifact named. Bounded: a full table drops new edges, counted.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jg_hash.h"
#include "lateral.h"

static uint32_t
edge_hash(const uint8_t *src, const uint8_t *dst)
{
	return (uint32_t)jg_fnv1a(jg_fnv1a(JG_FNV_BASIS, src, 16), dst, 16);
}

/* Add `word` to a comma-separated set kept in a fixed buffer. */
static void
set_add(char *set, size_t cap, const char *word)
{
	size_t n = strlen(set), w = strlen(word);
	const char *p = set;

	if (w == 0)
		return;
	while ((p = strstr(p, word)) != NULL) {
		if ((p == set || p[-1] == ',') && (p[w] == ',' || p[w] == '\0'))
			return;
		p += w;
	}
	if (n + w + 2 > cap)
		return;
	if (n)
		set[n++] = ',';
	memcpy(set + n, word, w + 1);
}

static const char *const verdicts[] = { "", "allow", "alert", "block" };

static int
verdict_rank(const char *action)
{
	for (int i = 1; i < 4; i++)
		if (!strcmp(action, verdicts[i]))
			return i;
	return 0;
}

void
jg_lateral_add(struct jg_lateral *l, const struct jg_event_rec *ev)
{
	char v[64];
	uint32_t h, i;
	struct jg_edge *e = NULL;

	if (ev->type == JG_EV_LOGON_FAILURE || ev->type == JG_EV_EVASION || ev->type == JG_EV_NONE || ev->type >= JG_EV_MAX)
		return;
	/* discovery (a share list, a SID lookup) moves nobody anywhere */
	if (jg_ev_discovery(ev))
		return;
	h = edge_hash(ev->src_ip, ev->dst_ip);
	for (i = 0; i < JG_EDGES; i++) {
		struct jg_edge *c = &l->edges[(h + i) % JG_EDGES];

		if (!c->used || (c->ip_version == ev->ip_version && !memcmp(c->src, ev->src_ip, 16) &&
				 !memcmp(c->dst, ev->dst_ip, 16))) {
			e = c;
			break;
		}
	}
	if (e == NULL) {
		l->dropped++;
		return;
	}
	if (!e->used) {
		e->used = 1;
		l->taken[l->n] = (uint16_t)(e - l->edges);
		memcpy(e->src, ev->src_ip, 16);
		memcpy(e->dst, ev->dst_ip, 16);
		e->ip_version = ev->ip_version;
		e->first_ns = ev->ts_ns;
		l->n++;
	}
	if (ev->ts_ns < e->first_ns)
		e->first_ns = ev->ts_ns;
	if (ev->ts_ns > e->last_ns)
		e->last_ns = ev->ts_ns;
	e->events++;
	if (ev->tool != JG_TOOL_UNKNOWN && ev->tool < JG_TOOL_MAX)
		set_add(e->tools, sizeof(e->tools), jg_ev_tool(ev, v, sizeof(v)));
	set_add(e->kinds, sizeof(e->kinds), jg_event_names[ev->type]);
	set_add(e->services, sizeof(e->services), jg_ev_get(ev, JG_ATTR_SERVICE, v, sizeof(v)));
	if (jg_ev_get(ev, JG_ATTR_SRC_ZONE, v, sizeof(v))[0])
		snprintf(e->src_zone, sizeof(e->src_zone), "%s", v);
	if (jg_ev_get(ev, JG_ATTR_DST_ZONE, v, sizeof(v))[0])
		snprintf(e->dst_zone, sizeof(e->dst_zone), "%s", v);
	if (verdict_rank(jg_ev_get(ev, JG_ATTR_ACTION, v, sizeof(v))) > e->verdict)
		e->verdict = (uint8_t)verdict_rank(v);
	if (jg_ev_get(ev, JG_ATTR_SRC_HOST, v, sizeof(v))[0])
		snprintf(e->src_host, sizeof(e->src_host), "%s", v);
	if (jg_ev_get(ev, JG_ATTR_DST_HOST, v, sizeof(v))[0])
		snprintf(e->dst_host, sizeof(e->dst_host), "%s", v);
	if (jg_ev_get(ev, JG_ATTR_HOST_CONFLICT, v, sizeof(v))[0])
		e->conflicts++;
	if (jg_ev_get(ev, JG_ATTR_ORIGIN_HOST, v, sizeof(v))[0]) {
		snprintf(e->origin_host, sizeof(e->origin_host), "%s", v);
		e->origin_pid = (uint32_t)strtoul(jg_ev_get(ev, JG_ATTR_ORIGIN_PID, v, sizeof(v)), NULL, 10);
	}
}

static int
by_first(const void *a, const void *b)
{
	const struct jg_edge *x = *(const struct jg_edge *const *)a, *y = *(const struct jg_edge *const *)b;

	return x->first_ns < y->first_ns ? -1 : x->first_ns > y->first_ns;
}

/* The edges that pass the filters, in time order. @return how many */
static uint32_t
select_edges(const struct jg_lateral *l, const struct jg_lateral_query *q, const struct jg_edge **out)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < l->n; i++) {
		const struct jg_edge *e = &l->edges[l->taken[i]];

		if (e->last_ns < q->since_ns)
			continue;
		if (q->has_host && !(e->ip_version == q->host_version &&
				     (!memcmp(e->src, q->host, 16) || !memcmp(e->dst, q->host, 16))))
			continue;
		out[n++] = e;
	}
	qsort(out, n, sizeof(out[0]), by_first);
	return n;
}

/* "DESKTOP-6APUK92 (10.77.0.10)", or the address alone; fit for a DOT label (names come from the wire). */
static const char *
host_label(char *out, size_t cap, const char *name, const uint8_t *ip, uint8_t version)
{
	char a[64], n[64];

	jg_fmt_ip(a, sizeof(a), ip, version);
	if (name[0] == '\0')
		snprintf(out, cap, "%s", a);
	else
		snprintf(out, cap, "%s (%s)", jg_fmt_printable(n, sizeof(n), name, "\"\\"), a);
	return out;
}

static void
dot(const struct jg_lateral *l, const struct jg_edge **sel, uint32_t n, struct jg_buf *o)
{
	char a[64], b[64], t1[32], la[140], lb[140];

	(void)l;
	jg_buf_printf(o, "digraph lateral {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
			 "  edge [fontname=\"Helvetica\", fontsize=10];\n");
	for (uint32_t i = 0; i < n; i++) {
		const struct jg_edge *e = sel[i];

		jg_fmt_ip(a, sizeof(a), e->src, e->ip_version);
		jg_fmt_ip(b, sizeof(b), e->dst, e->ip_version);
		jg_fmt_time(t1, sizeof(t1), e->first_ns);
		host_label(la, sizeof(la), e->src_host, e->src, e->ip_version);
		host_label(lb, sizeof(lb), e->dst_host, e->dst, e->ip_version);
		jg_buf_printf(o, "  \"%s\" [label=\"%s\\n%s\"%s];\n  \"%s\" [label=\"%s\\n%s\"];\n", a, la,
			      e->src_zone[0] ? e->src_zone : "unknown", e->conflicts ? ", color=orange" : "", b, lb,
			      e->dst_zone[0] ? e->dst_zone : "unknown");
		jg_buf_printf(o, "  \"%s\" -> \"%s\" [label=\"%d. %s\\n%s%s%s\", color=%s];\n", a, b, (int)i + 1, t1,
			      e->services[0] ? e->services : e->kinds, e->tools[0] ? "\\n" : "", e->tools,
			      e->verdict >= 2 ? "red" : e->verdict == 1 ? "darkgreen" : "black");
	}
	jg_buf_printf(o, "}\n");
}

static void
table(const struct jg_lateral *l, const struct jg_edge **sel, uint32_t n, struct jg_buf *o)
{
	char a[140], b[140], t1[32], t2[32], zones[72];

	jg_buf_printf(o, "%-3s %-27s %-27s %-34s %-16s %-18s %-22s %-7s %s\n", "#", "FIRST", "LAST", "SOURCE -> TARGET",
		      "SERVICES", "TOOLS", "ZONES", "VERDICT", "ORIGIN");
	for (uint32_t i = 0; i < n; i++) {
		const struct jg_edge *e = sel[i];
		char pair[290];

		host_label(a, sizeof(a), e->src_host, e->src, e->ip_version);
		host_label(b, sizeof(b), e->dst_host, e->dst, e->ip_version);
		jg_fmt_time(t1, sizeof(t1), e->first_ns);
		jg_fmt_time(t2, sizeof(t2), e->last_ns);
		snprintf(pair, sizeof(pair), "%s -> %s", a, b);
		snprintf(zones, sizeof(zones), "%s -> %s", e->src_zone[0] ? e->src_zone : "-", e->dst_zone[0] ? e->dst_zone : "-");
		jg_buf_printf(o, "%-3u %-27s %-27s %-34s %-16s %-18s %-22s %-7s", i + 1, t1, t2, pair,
			      e->services[0] ? e->services : "-", e->tools[0] ? e->tools : "-", zones,
			      verdicts[e->verdict][0] ? verdicts[e->verdict] : "-");
		if (e->origin_host[0])
			jg_buf_printf(o, " %s (pid %u)", e->origin_host, e->origin_pid);
		if (e->conflicts)
			jg_buf_printf(o, " [%u name conflicts: jgctl hosts]", e->conflicts);
		jg_buf_printf(o, "\n");
	}
	if (l->dropped)
		jg_buf_printf(o, "(%" PRIu64 " events not joined: the graph is full)\n", l->dropped);
}

static void
json(const struct jg_edge **sel, uint32_t n, struct jg_buf *o)
{
	char a[64], b[64], t1[32], t2[32];

	jg_buf_printf(o, "[");
	for (uint32_t i = 0; i < n; i++) {
		const struct jg_edge *e = sel[i];

		jg_fmt_time(t1, sizeof(t1), e->first_ns);
		jg_fmt_time(t2, sizeof(t2), e->last_ns);
		jg_buf_printf(o, "%s{\"src_ip\":\"%s\",\"dst_ip\":\"%s\",\"first\":\"%s\",\"last\":\"%s\",\"events\":%u,", i ? "," : "",
			      jg_fmt_ip(a, sizeof(a), e->src, e->ip_version), jg_fmt_ip(b, sizeof(b), e->dst, e->ip_version),
			      t1, t2, e->events);
		jg_buf_printf(o, "\"services\":\"%s\",\"tools\":\"%s\",\"kinds\":\"%s\",\"verdict\":\"%s\",", e->services,
			      e->tools, e->kinds, verdicts[e->verdict]);
		jg_buf_printf(o, "\"src_zone\":");
		jg_buf_json_str(o, e->src_zone, strlen(e->src_zone));
		jg_buf_printf(o, ",\"dst_zone\":");
		jg_buf_json_str(o, e->dst_zone, strlen(e->dst_zone));
		jg_buf_printf(o, ",\"origin_host\":");
		jg_buf_json_str(o, e->origin_host, strlen(e->origin_host));
		jg_buf_printf(o, ",\"origin_pid\":%u,\"src_host\":", e->origin_pid);
		jg_buf_json_str(o, e->src_host, strlen(e->src_host));
		jg_buf_printf(o, ",\"dst_host\":");
		jg_buf_json_str(o, e->dst_host, strlen(e->dst_host));
		jg_buf_printf(o, ",\"host_conflicts\":%u}", e->conflicts);
	}
	jg_buf_printf(o, "]\n");
}

void
jg_lateral_render(const struct jg_lateral *l, const struct jg_lateral_query *q, struct jg_buf *out)
{
	static const struct jg_edge *sel[JG_EDGES];
	uint32_t n = select_edges(l, q, sel);

	if (q->format == JG_LAT_DOT)
		dot(l, sel, n, out);
	else if (q->format == JG_LAT_JSON)
		json(sel, n, out);
	else
		table(l, sel, n, out);
}
