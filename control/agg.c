/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Alert aggregation (see agg.h). A key is a 64-bit FNV-1a hash of the event's
 * type, tool, addresses, service (or server port), action and artifact; the artifact
 * is the first of service name, file, pipe, share, user or RPC interface, lowercased
 * (Windows names are case-insensitive). Names that differ stay apart: the pid
 * in `PAExec-4242-WKSTN07.exe` is evidence an operator needs to see.
 */
#include "agg.h"

#include <stdlib.h>
#include <string.h>

#include "jg_hash.h"
#include "jg_records.h"
#include "store.h"

#define BUCKET 8
#define SWEEP_BUCKETS 64
#define LINE_MAX_LEN 4096

/* An open alert; its key is apart (jg_agg.keys), so scans read 8 bytes per slot, not 568. */
struct agg_entry {
	uint64_t id;
	uint64_t count;
	uint64_t first_ns, last_ns; /**< capture time */
	uint64_t wall_ns;           /**< wall time of the last occurrence */
	struct jg_event_rec ev;     /**< the first occurrence */
};

struct jg_agg {
	uint64_t window_ns;
	uint32_t n_buckets;
	uint32_t sweep;
	uint64_t newest_ns; /**< capture time of the newest event */
	uint64_t next_id;   /**< ids when there is no store */
	struct jg_store *store;
	uint64_t *keys; /**< per slot, 0: free */
	jg_alert_fn emit;
	void *ctx;
	const char *sensor; /**< sensor.name, added to every alert line ("" none) */
	struct jg_agg_stats st;
	struct agg_entry *e;
	char json[LINE_MAX_LEN];
	char line[LINE_MAX_LEN + 256];
};

static uint64_t
key_of(const struct jg_event_rec *ev)
{
	static const enum jg_attr artifact[] = { JG_ATTR_SERVICE_NAME, JG_ATTR_FILE, JG_ATTR_PIPE,
						 JG_ATTR_SHARE, JG_ATTR_USER, JG_ATTR_RPC_INTERFACE };
	uint64_t h = JG_FNV_BASIS;
	char v[256], norm[256];
	size_t n = 0;

	h = jg_fnv1a(h, &ev->type, 1);
	h = jg_fnv1a(h, &ev->tool, 1);
	if (ev->tool == JG_TOOL_CUSTOM) {
		jg_ev_tool(ev, v, sizeof(v));
		h = jg_fnv1a(h, v, strlen(v));
	}
	h = jg_fnv1a(h, &ev->ip_version, 1);
	h = jg_fnv1a(h, ev->src_ip, 16);
	h = jg_fnv1a(h, ev->dst_ip, 16);
	if (jg_ev_get(ev, JG_ATTR_SERVICE, v, sizeof(v))[0] != '\0')
		h = jg_fnv1a(h, v, strlen(v));
	else
		h = jg_fnv1a(h, &ev->dst_port, 2);
	/* a verdict that changes (a reload) starts a new alert */
	jg_ev_get(ev, JG_ATTR_ACTION, v, sizeof(v));
	h = jg_fnv1a(h, v, strlen(v));
	for (size_t i = 0; i < sizeof(artifact) / sizeof(artifact[0]); i++)
		if (jg_ev_get(ev, artifact[i], v, sizeof(v))[0] != '\0') {
			for (const char *p = v; *p != '\0' && n + 1 < sizeof(norm); p++)
				norm[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
			h = jg_fnv1a(h, &artifact[i], sizeof(artifact[i]));
			h = jg_fnv1a(h, norm, n);
			break;
		}
	return h != 0 ? h : 1;
}

struct jg_agg *
jg_agg_create(uint64_t window_ns, uint32_t keys, struct jg_store *store, jg_alert_fn emit, void *ctx)
{
	struct jg_agg *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->window_ns = window_ns;
	a->n_buckets = keys >= BUCKET ? keys / BUCKET : 1;
	a->store = store;
	a->emit = emit;
	a->ctx = ctx;
	a->next_id = 1;
	if (window_ns != 0 && ((a->e = calloc((size_t)a->n_buckets * BUCKET, sizeof(*a->e))) == NULL ||
			       (a->keys = calloc((size_t)a->n_buckets * BUCKET, sizeof(*a->keys))) == NULL)) {
		free(a->e);
		free(a);
		return NULL;
	}
	return a;
}

/* The event's JSON line with this appliance's name on it. */
static size_t
event_json(struct jg_agg *a, const struct jg_event_rec *ev)
{
	size_t n = jg_event_json(ev, a->json, sizeof(a->json));

	return a->sensor != NULL && a->sensor[0] ? jg_json_add_str(a->json, n, sizeof(a->json), "sensor", a->sensor) : n;
}

void
jg_agg_set_sensor(struct jg_agg *a, const char *name)
{
	a->sensor = name;
}

/* Send an alert (first occurrence, or final count) to events.jsonl and the collectors. */
static void
report(struct jg_agg *a, const struct jg_event_rec *ev, uint64_t id, uint64_t count, uint64_t first, uint64_t last,
     int update)
{
	size_t n = event_json(a, ev);
	struct jg_buf b;
	struct jg_alert al = {
		.ev = ev, .id = id, .count = count, .first_ns = first, .last_ns = last, .update = update,
	};

	(void)n;
	jg_buf_init(&b, a->line, sizeof(a->line));
	jg_store_alert_line(&b, a->json, id, count, first, last);
	if (update && b.len > 0 && b.len < sizeof(a->line) - 16) {
		b.len--; /* the closing brace */
		jg_buf_printf(&b, ",\"update\":true}");
	}
	al.json = a->line;
	al.json_len = b.len < sizeof(a->line) ? b.len : sizeof(a->line) - 1;
	a->emit(a->ctx, &al);
}

static uint64_t
new_alert(struct jg_agg *a, const struct jg_event_rec *ev)
{
	uint64_t id = 0;

	a->st.alerts++;
	if (a->store != NULL) {
		size_t n = event_json(a, ev);

		id = jg_store_alert_add(a->store, ev, a->json, n);
	}
	if (id == 0)
		id = a->next_id;
	if (id >= a->next_id)
		a->next_id = id + 1;
	report(a, ev, id, 1, ev->ts_ns, ev->ts_ns, 0);
	return id;
}

static void
close_entry(struct jg_agg *a, size_t slot)
{
	struct agg_entry *e = &a->e[slot];

	if (e->count > 1) {
		a->st.updates++;
		report(a, &e->ev, e->id, e->count, e->first_ns, e->last_ns, 1);
	}
	a->keys[slot] = 0;
	a->st.open--;
}

static int
ended(const struct jg_agg *a, const struct agg_entry *e, uint64_t now_ns)
{
	return a->newest_ns - e->first_ns >= a->window_ns || now_ns - e->wall_ns >= a->window_ns;
}

void
jg_agg_event(struct jg_agg *a, const struct jg_event_rec *ev, uint64_t now_ns)
{
	struct agg_entry *b;
	const uint64_t *bk;
	size_t base;
	int slot = -1, oldest = 0;
	uint64_t k;

	a->st.events++;
	if (ev->ts_ns > a->newest_ns)
		a->newest_ns = ev->ts_ns;
	if (a->window_ns == 0) {
		new_alert(a, ev);
		return;
	}
	k = key_of(ev);
	base = (size_t)(k & (a->n_buckets - 1)) * BUCKET;
	b = &a->e[base];
	bk = &a->keys[base];
	for (int i = 0; i < BUCKET; i++) {
		if (bk[i] == k) {
			if (ev->ts_ns - b[i].first_ns < a->window_ns || ev->ts_ns < b[i].first_ns) {
				b[i].count++;
				if (ev->ts_ns > b[i].last_ns)
					b[i].last_ns = ev->ts_ns;
				b[i].wall_ns = now_ns;
				a->st.repeats++;
				if (a->store != NULL)
					jg_store_alert_count(a->store, b[i].id, b[i].count, b[i].last_ns);
				return;
			}
			close_entry(a, base + (size_t)i); /* its window is over: this is a new alert */
		}
		if (bk[i] == 0 && slot < 0)
			slot = i;
		if (bk[i] != 0 && (bk[oldest] == 0 || b[i].wall_ns < b[oldest].wall_ns))
			oldest = i;
	}
	if (slot < 0) {
		a->st.evicted++;
		close_entry(a, base + (size_t)oldest);
		slot = oldest;
	}
	a->keys[base + (size_t)slot] = k;
	b[slot].count = 1;
	b[slot].first_ns = b[slot].last_ns = ev->ts_ns;
	b[slot].wall_ns = now_ns;
	b[slot].ev = *ev;
	b[slot].id = new_alert(a, ev);
	a->st.open++;
}

void
jg_agg_tick(struct jg_agg *a, uint64_t now_ns)
{
	if (a->window_ns == 0)
		return;
	for (uint32_t n = 0; n < SWEEP_BUCKETS && n < a->n_buckets && a->st.open > 0; n++) {
		size_t base = (size_t)a->sweep * BUCKET;

		for (int i = 0; i < BUCKET; i++)
			if (a->keys[base + (size_t)i] != 0 && ended(a, &a->e[base + (size_t)i], now_ns))
				close_entry(a, base + (size_t)i);
		a->sweep = (a->sweep + 1) & (a->n_buckets - 1);
	}
}

void
jg_agg_flush(struct jg_agg *a)
{
	for (size_t i = 0; a->window_ns != 0 && a->st.open > 0 && i < (size_t)a->n_buckets * BUCKET; i++)
		if (a->keys[i] != 0)
			close_entry(a, i);
}

void
jg_agg_destroy(struct jg_agg *a)
{
	if (a == NULL)
		return;
	jg_agg_flush(a);
	free(a->e);
	free(a->keys);
	free(a);
}

const struct jg_agg_stats *
jg_agg_stats(const struct jg_agg *a)
{
	return &a->st;
}
