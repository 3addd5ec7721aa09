/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ring draining and JSON lines. Every string that came from the wire goes
 * through jg_buf_json_str(), so a hostile file name cannot forge a field or a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_ring_elem.h>
#include <rte_ring_peek.h>

#include "control.h"

#define DRAIN_BURST 64

/*
 * From the packet that raised an event to its alert in the store (or its
 * repeat counted there): measured for live traffic only, where the packet's
 * time is the dataplane's clock (a replayed capture carries its own times).
 */
static void
latency(struct jg_control *c, const struct jg_event_rec *ev)
{
	uint64_t now = jg_unix_ns(), d;
	int b = 0;

	if (ev->ts_ns > now || now - ev->ts_ns > 10000000000ull)
		return;
	d = now - ev->ts_ns;
	for (uint64_t us = d / 1000; us > 0 && b < 31; us >>= 1)
		b++;
	c->lat_hist[b]++;
	c->lat_sum_ns += d;
	c->lat_n++;
	if (d > c->lat_max_ns)
		c->lat_max_ns = d;
}

/*
 * Records are peeked, written, then committed: a control plane killed between
 * peek and commit leaves them in the ring for its successor (at-least-once).
 */
static unsigned int
drain_events(struct jg_control *c, struct rte_ring *r)
{
	struct jg_event_rec ev[DRAIN_BURST];
	unsigned int n = rte_ring_dequeue_burst_elem_start(r, ev, sizeof(ev[0]), DRAIN_BURST, NULL);
	uint64_t now = jg_unix_ns();

	for (unsigned int i = 0; i < n; i++) {
		jg_hosts_event(c->hosts, &ev[i]);
		jg_agg_event(c->agg, &ev[i], now);
		jg_lateral_add(c->lat, &ev[i]);
		jg_learn_event(c->learn, &ev[i], now);
		if (ev[i].type < JG_EV_MAX && ev[i].tool < JG_TOOL_MAX)
			c->event_counts[ev[i].type][ev[i].tool][jg_metrics_action(&ev[i])]++;
		latency(c, &ev[i]);
	}
	if (n) {
		jg_out_flush(c->events);
		rte_ring_dequeue_elem_finish(r, n);
	}
	c->n_events += n;
	return n;
}

static unsigned int
drain_flows(struct jg_control *c, struct rte_ring *r)
{
	struct jg_flow_rec fr[DRAIN_BURST];
	char line[4096];
	unsigned int n = rte_ring_dequeue_burst_elem_start(r, fr, sizeof(fr[0]), DRAIN_BURST, NULL);

	for (unsigned int i = 0; i < n; i++) {
		size_t len = jg_flow_json(&fr[i], jg_control_policy(c, &fr[i]), line, sizeof(line));

		len = jg_json_add_str(line, len, sizeof(line), "sensor", c->cfg.sensor_name);

		if (c->flows != NULL)
			jg_out_line(c->flows, line, len);
		if (c->store != NULL)
			jg_store_flow(c->store, &fr[i], line, len);
		for (int k = 0; k < c->n_sinks; k++)
			if (c->sinks[k]->flow != NULL) {
				/* the names of the policy generation that judged this flow */
				c->sinks[k]->pol = jg_control_policy(c, &fr[i]);
				c->sinks[k]->flow(c->sinks[k], &fr[i], line, len);
			}
	}
	if (n) {
		if (c->flows != NULL)
			jg_out_flush(c->flows);
		rte_ring_dequeue_elem_finish(r, n);
	}
	c->n_flows += n;
	return n;
}

void
jg_control_alert(void *ctx, const struct jg_alert *a)
{
	struct jg_control *c = ctx;

	jg_out_line(c->events, a->json, a->json_len);
	if (!a->update && a->ev->type < JG_EV_MAX && a->ev->tool < JG_TOOL_MAX)
		c->alert_counts[a->ev->type][a->ev->tool][jg_metrics_action(a->ev)]++;
	for (int k = 0; k < c->n_sinks; k++)
		if (c->sinks[k]->alert != NULL)
			c->sinks[k]->alert(c->sinks[k], a);
}

void
jg_control_tick(struct jg_control *c)
{
	uint64_t now = jg_unix_ns();

	jg_agg_tick(c->agg, now);
	if (now - c->learn_aged_ns > 1000000000ull) {
		jg_learn_age(c->learn, now);
		c->learn_aged_ns = now;
	}
	jg_control_learn_flush(c);
	jg_store_tick(c->store, now);
	for (int k = 0; k < c->n_sinks; k++)
		c->sinks[k]->poll(c->sinks[k], now);
}

void
jg_control_learn_flush(struct jg_control *c)
{
	/* an edge's row is written once per batch, however many events it took */
	if (c->store != NULL)
		jg_learn_flush(c->learn, jg_learn_store_put, c->store);
}

void
jg_control_sinks_reopen(struct jg_control *c)
{
	int n;

	for (int k = 0; k < c->n_sinks; k++)
		c->sinks[k]->close(c->sinks[k]);
	c->n_sinks = 0;
	n = jg_sinks_open(&c->cfg, c->pm != NULL ? &c->pm->pol[c->pm->gen & 1] : NULL, c->sinks,
			  (int)(sizeof(c->sinks) / sizeof(c->sinks[0])));
	c->n_sinks = n > 0 ? n : 0;
}

int
jg_control_alerts_open(struct jg_control *c)
{
	const struct jg_config *cfg = &c->cfg;
	char path[JG_CFG_PATH + 512], err[512];

	if (cfg->store_on) {
		struct jg_store_limits lim = {
			.max_alerts = cfg->store_max_alerts,
			.max_flows = cfg->store_max_flows,
			.max_age_ns = (uint64_t)cfg->store_max_age_s * 1000000000ull,
			.batch_ns = (uint64_t)cfg->store_batch_ms * 1000000ull,
			.bulk = c->replay,
		};

		jg_config_store_path(cfg, c->out_dir, path, sizeof(path));
		c->store = jg_store_open(path, &lim, err, sizeof(err));
		if (c->store == NULL) {
			fprintf(stderr, "jg-control: store: %s (store.path; or store.enabled: false)\n", err);
			return -EIO;
		}
		/* an edge given up is deleted from the store too (while loading as well) */
		c->learn->gone = jg_learn_store_gone;
		c->learn->gone_ctx = c->store;
		/* jumpgate learn proposes from its captures alone: what an earlier run learnt into this store goes */
		if (c->suggest_path != NULL)
			jg_learn_store_clear(c->store);
		else if (jg_learn_store_load(c->store, c->learn) < 0)
			fprintf(stderr, "jg-control: store: learn mode's graph could not be read back; starting empty\n");
	}
	c->agg = jg_agg_create((uint64_t)cfg->alert_window_s * 1000000000ull, cfg->alert_table, c->store,
			       jg_control_alert, c);
	if (c->agg != NULL)
		jg_agg_set_sensor(c->agg, cfg->sensor_name);
	if (c->agg == NULL) {
		fprintf(stderr, "jg-control: no memory for %u alert keys (alerts.table)\n", cfg->alert_table);
		return -ENOMEM;
	}
	return 0;
}

unsigned int
jg_drain(struct jg_control *c)
{
	unsigned int total = 0;

	for (uint32_t w = 0; w < c->shm->n_workers; w++) {
		total += drain_events(c, c->ev_ring[w]);
		total += drain_flows(c, c->fr_ring[w]);
	}
	return total;
}

void
jg_drain_reclaim(struct rte_ring *r)
{
	/* Only this process consumes: a head ahead of the tail is a dead predecessor's peek. */
	r->cons.head = r->cons.tail;
}
