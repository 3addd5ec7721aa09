/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `jumpgate fleet`: the lateral-movement chain across many appliances. Each
 * publishes its alerts to one Redis stream (output.redis, sensor.name on every
 * line); this reads the stream as a member of a consumer group, joins the
 * alerts into one graph of hosts whatever sensor saw them (A->B on one link,
 * B->C on another: one chain, times merged) and prints the paths, the chains,
 * or Graphviz DOT.
 *
 * The group remembers for its consumer what it was given: entries are not
 * acknowledged, so the consumer's pending list is its history (read first,
 * from id 0), then what is new (">"); an entry trimmed from the stream since
 * is acknowledged then, so the list follows the stream. Consumers of one group
 * share the new entries between them; a view of everything is one consumer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet.h"
#include "jg_fmt.h"
#include "resp.h"

#define MAX_EDGES 8192
#define MAX_CHAIN 16
#define MAX_CHAINS 64
#define MAX_BATCHES 2000 /* of 1000 entries, per phase */

struct edge {
	char src[48], dst[48];
	char src_host[64], dst_host[64];
	char first[32], last[32];
	char services[96], tools[96], sensors[160];
	int verdict; /**< 0 none, 1 allow, 2 alert, 3 block */
	unsigned int alerts;
};

struct jg_fleet {
	struct edge *e;
	unsigned int n, dropped;
	unsigned long long entries, lines, trimmed;
};

/*
 * The value of a top-level key of a flat JSON object line (strings unescaped,
 * \u00XX kept as one byte, other values as written; spaces after ':' and ','
 * allowed). @return 1 when found
 */
static int
field(const char *j, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key), n = 0;
	const char *p = j;

	if (*p++ != '{')
		return 0;
	while (*p) {
		const char *k;
		int match;

		while (*p == ' ')
			p++;
		k = p + 1;
		if (*p != '"')
			return 0;
		for (p++; *p && *p != '"'; p++)
			if (*p == '\\' && p[1])
				p++;
		match = (size_t)(p - k) == klen && !strncmp(k, key, klen);
		if (*p++ != '"' || *p++ != ':')
			return 0;
		while (*p == ' ')
			p++;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				char c = *p;

				if (c == '\\' && p[1]) {
					c = *++p;
					if (c == 'u' && p[1] && p[2] && p[3] && p[4]) {
						c = (char)strtol((char[3]){ p[3], p[4], 0 }, NULL, 16);
						p += 4;
					} else if (c == 'n' || c == 't' || c == 'r') {
						c = ' ';
					}
				}
				if (match && n + 1 < cap)
					out[n++] = c;
			}
			if (*p++ != '"')
				return 0;
		} else {
			while (*p && *p != ',' && *p != '}') {
				if (match && n + 1 < cap)
					out[n++] = *p;
				p++;
			}
		}
		if (match) {
			out[n] = '\0';
			return 1;
		}
		if (*p == ',')
			p++;
		else
			return 0;
	}
	return 0;
}

/* Add a word to a comma list, once. */
static void
add_word(char *list, size_t cap, const char *w)
{
	size_t n = strlen(list), wl = strlen(w);

	if (wl == 0)
		return;
	for (const char *p = list; (p = strstr(p, w)) != NULL; p += wl)
		if ((p == list || p[-1] == ',') && (p[wl] == ',' || p[wl] == '\0'))
			return;
	if (n + wl + 2 <= cap)
		snprintf(list + n, cap - n, "%s%s", n ? "," : "", w);
}

static int
verdict_of(const char *a)
{
	return !strcmp(a, "block") ? 3 : !strcmp(a, "alert") ? 2 : !strcmp(a, "allow") ? 1 : 0;
}

struct jg_fleet *
jg_fleet_new(void)
{
	struct jg_fleet *f = calloc(1, sizeof(*f));

	if (f != NULL && (f->e = calloc(MAX_EDGES, sizeof(*f->e))) == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

void
jg_fleet_free(struct jg_fleet *f)
{
	if (f != NULL)
		free(f->e);
	free(f);
}

/* One alert line: remote administration joins the graph (a logon failure is no movement). */
void
jg_fleet_line(struct jg_fleet *f, const char *line)
{
	char ev[32] = "", raw[160], src[48], dst[48], ts[32], last[32], v[160];
	struct edge *e = NULL;
	int update;

	f->lines++;
	if (!field(line, "event", ev, sizeof(ev)) || !field(line, "src_ip", raw, sizeof(raw)))
		return;
	/* what the stream says is printed: made printable (no quote, backslash or escape) first */
	jg_fmt_printable(src, sizeof(src), raw, "\"\\,");
	if (!field(line, "dst_ip", raw, sizeof(raw)))
		return;
	jg_fmt_printable(dst, sizeof(dst), raw, "\"\\,");
	if (!field(line, "timestamp", raw, sizeof(raw)))
		return;
	jg_fmt_printable(ts, sizeof(ts), raw, "\"\\,");
	/* a final count of an alert already taken: only its last time is news */
	update = field(line, "update", v, sizeof(v)) && !strcmp(v, "true");
	if (!(field(line, "last_seen", raw, sizeof(raw)) && jg_fmt_printable(last, sizeof(last), raw, "\"\\,")))
		snprintf(last, sizeof(last), "%s", ts);
	if (!strcmp(ev, "logon_failure") || !strcmp(ev, "evasion") || !strcmp(ev, "inspection_cut") ||
	    !field(line, "service", v, sizeof(v)))
		return;
	if (update) {
		/* the alert's path exists already when its first line was read */
		for (unsigned int i = 0; i < f->n && e == NULL; i++)
			if (!strcmp(f->e[i].src, src) && !strcmp(f->e[i].dst, dst))
				e = &f->e[i];
		if (e != NULL && strcmp(last, e->last) > 0)
			snprintf(e->last, sizeof(e->last), "%s", last);
		return;
	}
	for (unsigned int i = 0; i < f->n && e == NULL; i++)
		if (!strcmp(f->e[i].src, src) && !strcmp(f->e[i].dst, dst))
			e = &f->e[i];
	if (e == NULL) {
		if (f->n == MAX_EDGES) {
			f->dropped++;
			return;
		}
		e = &f->e[f->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->src, sizeof(e->src), "%s", src);
		snprintf(e->dst, sizeof(e->dst), "%s", dst);
		snprintf(e->first, sizeof(e->first), "%s", ts);
		snprintf(e->last, sizeof(e->last), "%s", ts);
	}
	/* RFC 3339 UTC with microseconds throughout: text order is time order */
	if (strcmp(ts, e->first) < 0)
		snprintf(e->first, sizeof(e->first), "%s", ts);
	if (strcmp(last, e->last) > 0)
		snprintf(e->last, sizeof(e->last), "%s", last);
	add_word(e->services, sizeof(e->services), jg_fmt_printable(raw, sizeof(raw), v, "\"\\,"));
	if (field(line, "tool", v, sizeof(v)) && strcmp(v, "unknown") != 0)
		add_word(e->tools, sizeof(e->tools), jg_fmt_printable(raw, sizeof(raw), v, "\"\\,"));
	add_word(e->sensors, sizeof(e->sensors),
		 field(line, "sensor", v, sizeof(v)) ? jg_fmt_printable(raw, sizeof(raw), v, "\"\\,") : "?");
	if (field(line, "action", v, sizeof(v)) && verdict_of(v) > e->verdict)
		e->verdict = verdict_of(v);
	if (field(line, "src_host", v, sizeof(v)) && !e->src_host[0])
		jg_fmt_printable(e->src_host, sizeof(e->src_host), v, "\"\\");
	if (field(line, "dst_host", v, sizeof(v)) && !e->dst_host[0])
		jg_fmt_printable(e->dst_host, sizeof(e->dst_host), v, "\"\\");
	e->alerts++;
}

/* Read the group's entries for this consumer: its history (pending), then what is new. */
static int
read_stream(struct jg_fleet *f, struct jg_resp *r, const char *stream, const char *group, const char *consumer)
{
	const char *create[] = { "XGROUP", "CREATE", stream, group, "0", "MKSTREAM" };
	char last[64] = "0";
	struct jg_resp_val v;
	int phase = 0;

	if (jg_resp_command(r, 6, create) != 0 || jg_resp_reply(r, &v) != 0)
		return -EIO;
	if (v.type == '-' && strncmp(v.str, "BUSYGROUP", 9) != 0) {
		fprintf(stderr, "jumpgate fleet: XGROUP CREATE: %s\n", v.str);
		jg_resp_free(&v);
		return -EIO;
	}
	jg_resp_free(&v);
	/* bounded: a stream written faster than it is read still ends the view */
	for (int batch = 0; phase < 2 && batch < MAX_BATCHES; batch++) {
		const char *cmd[] = { "XREADGROUP", "GROUP", group, consumer, "COUNT", "1000", "STREAMS", stream,
				      phase == 0 ? last : ">" };
		size_t got = 0;

		if (jg_resp_command(r, 9, cmd) != 0 || jg_resp_reply(r, &v) != 0)
			return -EIO;
		if (v.type == '-') {
			fprintf(stderr, "jumpgate fleet: XREADGROUP: %s\n", v.str);
			jg_resp_free(&v);
			return -EIO;
		}
		/* [[stream, [[id, [field, value, ...]], ...]]] (an entry trimmed since: [id, nil]) */
		if (v.type == '*' && v.n == 1 && v.elem[0].n == 2) {
			const struct jg_resp_val *entries = &v.elem[0].elem[1];

			for (size_t i = 0; i < entries->n; i++) {
				const struct jg_resp_val *en = &entries->elem[i];

				if (en->n != 2 || en->elem[0].str == NULL)
					continue;
				got++;
				snprintf(last, sizeof(last), "%s", en->elem[0].str);
				if (en->elem[1].nil) {
					/* trimmed from the stream since: forget it (the pending list would only grow) */
					const char *ack[] = { "XACK", stream, group, en->elem[0].str };
					struct jg_resp_val a;

					if (jg_resp_command(r, 4, ack) == 0 && jg_resp_reply(r, &a) == 0)
						jg_resp_free(&a);
					f->trimmed++;
					continue;
				}
				f->entries++;
				for (size_t k = 0; k + 1 < en->elem[1].n; k += 2)
					if (en->elem[1].elem[k].str != NULL && !strcmp(en->elem[1].elem[k].str, "event") &&
					    en->elem[1].elem[k + 1].str != NULL)
						jg_fleet_line(f, en->elem[1].elem[k + 1].str);
			}
		}
		jg_resp_free(&v);
		if (got == 0)
			phase++;
	}
	return 0;
}

static int
by_first(const void *a, const void *b)
{
	return strcmp(((const struct edge *)a)->first, ((const struct edge *)b)->first);
}

static const char *
host(const char *ip, const char *name, char *out, size_t cap)
{
	if (name[0])
		snprintf(out, cap, "%s (%s)", name, ip);
	else
		snprintf(out, cap, "%s", ip);
	return out;
}

static const char *const verdicts[] = { "-", "allow", "alert", "block" };

static void
print_chain(const struct jg_fleet *f, unsigned int *path, int len, FILE *o)
{
	char h[128];

	fprintf(o, "  %s", host(f->e[path[0]].src, f->e[path[0]].src_host, h, sizeof(h)));
	for (int i = 0; i < len; i++) {
		const struct edge *e = &f->e[path[i]];

		fprintf(o, " -[%s %.19s, seen by %s]-> %s", e->services, e->first, e->sensors,
			host(e->dst, e->dst_host, h, sizeof(h)));
	}
	fprintf(o, "\n");
}

/*
 * Every maximal chain: each hop starts at the host the previous one reached,
 * and goes on after the previous one began; a hop back to a host of the chain
 * closes it (shown, not followed).
 */
static void
chains(const struct jg_fleet *f, unsigned int *path, int len, unsigned int *printed, FILE *o)
{
	const struct edge *last = &f->e[path[len - 1]];
	int more = 0;

	for (unsigned int i = 0; i < f->n && len < MAX_CHAIN && *printed < MAX_CHAINS; i++) {
		int taken = 0, back = !strcmp(f->e[i].dst, f->e[path[0]].src);

		if (strcmp(f->e[i].src, last->dst) != 0 || strcmp(f->e[i].last, last->first) < 0)
			continue;
		for (int k = 0; k < len; k++)
			taken |= path[k] == i;
		for (int k = 1; k < len; k++)
			back |= !strcmp(f->e[path[k]].src, f->e[i].dst);
		if (taken)
			continue;
		more = 1;
		path[len] = i;
		if (back) {
			print_chain(f, path, len + 1, o);
			(*printed)++;
		} else {
			chains(f, path, len + 1, printed, o);
		}
	}
	if (!more && *printed < MAX_CHAINS) {
		print_chain(f, path, len, o);
		(*printed)++;
	}
}

static void
render_table(const struct jg_fleet *f, FILE *o)
{
	unsigned int path[MAX_CHAIN], printed = 0;
	char a[128], b[128];

	fprintf(o, "%-20s %-20s %-34s %-34s %-18s %-18s %-6s %s\n", "FIRST", "LAST", "SOURCE", "TARGET", "SERVICES", "TOOLS",
	       "VERDICT", "SENSORS");
	for (unsigned int i = 0; i < f->n; i++) {
		const struct edge *e = &f->e[i];

		fprintf(o, "%-20.19s %-20.19s %-34s %-34s %-18s %-18s %-6s %s\n", e->first, e->last,
		       host(e->src, e->src_host, a, sizeof(a)), host(e->dst, e->dst_host, b, sizeof(b)), e->services,
		       e->tools[0] ? e->tools : "-", verdicts[e->verdict], e->sensors);
	}
	fprintf(o, "\nchains (a hop starts where the previous one arrived, no earlier):\n");
	for (unsigned int i = 0; i < f->n && printed < MAX_CHAINS; i++) {
		int entered = 0;

		/* a chain starts at a host no movement reached before this one began */
		for (unsigned int k = 0; k < f->n; k++)
			entered |= k != i && !strcmp(f->e[k].dst, f->e[i].src) && strcmp(f->e[k].first, f->e[i].first) < 0;
		if (entered)
			continue;
		path[0] = i;
		chains(f, path, 1, &printed, o);
	}
}

static void
render_dot(const struct jg_fleet *f, FILE *o)
{
	char a[128], b[128];

	fprintf(o, "digraph jumpgate_fleet {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
	for (unsigned int i = 0; i < f->n; i++) {
		const struct edge *e = &f->e[i];

		fprintf(o, "  \"%s\" -> \"%s\" [label=\"%s %s\\n%.19s\\nseen by %s\", color=%s];\n",
		       host(e->src, e->src_host, a, sizeof(a)), host(e->dst, e->dst_host, b, sizeof(b)), e->services,
		       e->tools, e->first, e->sensors, e->verdict == 3 ? "red" : e->verdict == 2 ? "orange" : "black");
	}
	fprintf(o, "}\n");
}

static void
render_json(const struct jg_fleet *f, FILE *o)
{
	struct jg_buf b;
	static char mem[1 << 16];

	fprintf(o, "[");
	for (unsigned int i = 0; i < f->n; i++) {
		const struct edge *e = &f->e[i];

		jg_buf_init(&b, mem, sizeof(mem));
		jg_buf_printf(&b, "%s{\"src_ip\":", i ? "," : "");
		jg_buf_json_str(&b, e->src, strlen(e->src));
		jg_buf_printf(&b, ",\"dst_ip\":");
		jg_buf_json_str(&b, e->dst, strlen(e->dst));
		jg_buf_printf(&b, ",\"src_host\":");
		jg_buf_json_str(&b, e->src_host, strlen(e->src_host));
		jg_buf_printf(&b, ",\"dst_host\":");
		jg_buf_json_str(&b, e->dst_host, strlen(e->dst_host));
		jg_buf_printf(&b, ",\"first\":");
		jg_buf_json_str(&b, e->first, strlen(e->first));
		jg_buf_printf(&b, ",\"last\":");
		jg_buf_json_str(&b, e->last, strlen(e->last));
		jg_buf_printf(&b, ",\"services\":");
		jg_buf_json_str(&b, e->services, strlen(e->services));
		jg_buf_printf(&b, ",\"tools\":");
		jg_buf_json_str(&b, e->tools, strlen(e->tools));
		jg_buf_printf(&b, ",\"sensors\":");
		jg_buf_json_str(&b, e->sensors, strlen(e->sensors));
		jg_buf_printf(&b, ",\"verdict\":\"%s\",\"alerts\":%u}", verdicts[e->verdict], e->alerts);
		fputs(mem, o);
	}
	fprintf(o, "]\n");
}

void
jg_fleet_render(struct jg_fleet *f, int format, FILE *out)
{
	qsort(f->e, f->n, sizeof(*f->e), by_first);
	if (format == 1)
		render_dot(f, out);
	else if (format == 2)
		render_json(f, out);
	else
		render_table(f, out);
}

int
jg_fleet_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "redis", required_argument, NULL, 'r' }, { "stream", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' }, { "consumer", required_argument, NULL, 'C' },
		{ "dot", no_argument, NULL, 'd' },         { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *redis = NULL, *stream = "jumpgate:alerts", *group = "jumpgate-fleet";
	char consumer[64] = "", err[300];
	struct jg_fleet *f;
	struct jg_resp *r = malloc(sizeof(*r));
	int c, fmt = 0, rc;

	optind = 2;
	while ((c = getopt_long(argc, argv, "r:s:g:C:dj", opts, NULL)) != -1) {
		switch (c) {
		case 'r': redis = optarg; break;
		case 's': stream = optarg; break;
		case 'g': group = optarg; break;
		case 'C': snprintf(consumer, sizeof(consumer), "%s", optarg); break;
		case 'd': fmt = 1; break;
		case 'j': fmt = 2; break;
		default: redis = NULL; optind = argc + 1; break;
		}
	}
	if (redis == NULL || optind != argc || r == NULL) {
		fprintf(stderr, "usage: jumpgate fleet --redis HOST:PORT [--stream KEY] [--group G] [--consumer C] "
				"[--dot | --json]\n");
		free(r);
		return 2;
	}
	if (consumer[0] == '\0' && gethostname(consumer, sizeof(consumer) - 1) != 0)
		snprintf(consumer, sizeof(consumer), "fleet");
	f = jg_fleet_new();
	if (f == NULL || jg_resp_connect(r, redis, err, sizeof(err)) != 0) {
		fprintf(stderr, "jumpgate fleet: %s\n", f == NULL ? "out of memory" : err);
		jg_fleet_free(f);
		free(r);
		return 1;
	}
	rc = read_stream(f, r, stream, group, consumer);
	jg_resp_close(r);
	free(r);
	if (rc != 0) {
		fprintf(stderr, "jumpgate fleet: reading %s from %s failed\n", stream, redis);
		jg_fleet_free(f);
		return 1;
	}
	jg_fleet_render(f, fmt, stdout);
	if (fmt != 2)
		fprintf(stderr, "jumpgate fleet: %llu entries of %s (group %s, consumer %s; %llu trimmed since, forgotten), "
			"%u paths%s\n", f->entries, stream, group, consumer, f->trimmed, f->n,
			f->dropped ? " (more did not fit)" : "");
	jg_fleet_free(f);
	return 0;
}
