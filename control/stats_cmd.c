/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `jgctl stats`: every counter the dataplane keeps, per port and per worker,
 * the drop reasons summed (packets and records lost), what was handled but
 * not in full (degraded), and the control plane's own (aggregator, store,
 * outputs, latency).
 */
#include <inttypes.h>
#include <string.h>

#include "control.h"

/* Packets and records lost (a fault, or a choice: fail-closed) — each should be zero. */
const enum jg_counter jg_stats_drops[] = {
	JG_CNT_DISPATCH_DROP, JG_CNT_PKT_FLOW_FULL, JG_CNT_PKT_FAIL_CLOSED, JG_CNT_TX_DROP,
	JG_CNT_FLOW_REC_DROP, JG_CNT_EVENT_DROP,
};
const size_t jg_stats_n_drops = sizeof(jg_stats_drops) / sizeof(jg_stats_drops[0]);

/* What was handled but not in full: policy blocks, bad or cut packets, a bound reached, inspection given up. */
static const enum jg_counter degraded[] = {
	JG_CNT_PKT_BLOCKED,     JG_CNT_PKT_TRUNCATED,  JG_CNT_PKT_MALFORMED, JG_CNT_FLOW_END_EVICTED,
	JG_CNT_SESS_FULL,       JG_CNT_SEG_GAP,        JG_CNT_PDU_CUT,       JG_CNT_HS_ERR,
	JG_CNT_FRAG_TIMEOUT,    JG_CNT_FRAG_TABLE_FULL, JG_CNT_FRAG_MEM_FULL, JG_CNT_FRAG_TOO_MANY,
	JG_CNT_FRAG_TOO_BIG,    JG_CNT_FRAG_BAD,       JG_CNT_FRAG_LOST,     JG_CNT_SEG_OOO_FULL,
	JG_CNT_SEG_OOO_POOL,    JG_CNT_RPC_REQ_CUT,
};

/* Signs of evasion: what only an IDS would have taken, and overlaps whose bytes differ. */
static const enum jg_counter evasion[] = {
	JG_CNT_FRAG_CONFLICT, JG_CNT_SEG_CONFLICT, JG_CNT_SEG_BAD_CSUM, JG_CNT_SEG_OUT_OF_WINDOW,
	JG_CNT_SEG_TTL,       JG_CNT_SEG_SYN_IGNORED,
};

uint64_t
jg_stats_total(const struct jg_shm *s, int k)
{
	uint64_t t = 0;

	for (uint32_t w = 0; w < s->n_workers && w < JG_MAX_WORKERS; w++)
		t += s->workers[w].cnt[k];
	return t;
}

static void
port_sums(const struct jg_shm *s, uint64_t *missed, uint64_t *nombuf, uint64_t *ierr, uint64_t *oerr)
{
	*missed = *nombuf = *ierr = *oerr = 0;
	for (uint32_t p = 0; p < s->n_ports && p < JG_MAX_PORTS; p++) {
		*missed += s->ports[p].imissed;
		*nombuf += s->ports[p].rx_nombuf;
		*ierr += s->ports[p].ierrors;
		*oerr += s->ports[p].oerrors;
	}
}

/* Upper bound (µs) of the histogram bucket holding quantile q: bucket b holds [2^(b-1), 2^b) µs. */
static uint64_t
lat_quantile(const struct jg_control *c, double q)
{
	uint64_t want = (uint64_t)((double)c->lat_n * q), seen = 0;

	for (int b = 0; b < 32; b++) {
		seen += c->lat_hist[b];
		if (seen > want || (seen == c->lat_n && seen > 0))
			return b == 0 ? 1 : 1ull << b;
	}
	return 0;
}

static void
control_json(struct jg_control *c, struct jg_buf *o)
{
	const struct jg_agg_stats *a = jg_agg_stats(c->agg);

	jg_buf_printf(o, ",\"latency\":{\"events\":%" PRIu64 ",\"p50_us_le\":%" PRIu64 ",\"p99_us_le\":%" PRIu64
			 ",\"max_us\":%.1f}",
		      c->lat_n, lat_quantile(c, 0.5), lat_quantile(c, 0.99), (double)c->lat_max_ns / 1e3);
	jg_buf_printf(o, ",\"alerts\":{\"events\":%" PRIu64 ",\"alerts\":%" PRIu64 ",\"repeats\":%" PRIu64
			 ",\"updates\":%" PRIu64 ",\"evicted\":%" PRIu64 ",\"open\":%" PRIu64 "}",
		      a->events, a->alerts, a->repeats, a->updates, a->evicted, a->open);
	if (c->store != NULL) {
		const struct jg_store_stats *st = jg_store_stats(c->store);

		jg_buf_printf(o, ",\"store\":{\"alerts\":%" PRIu64 ",\"flows\":%" PRIu64 ",\"pruned_alerts\":%" PRIu64
				 ",\"pruned_flows\":%" PRIu64 ",\"commits\":%" PRIu64 ",\"errors\":%" PRIu64
				 ",\"max_commit_ms\":%.3f}",
			      st->alerts, st->flows, st->pruned_alerts, st->pruned_flows, st->commits, st->errors,
			      (double)st->max_commit_ns / 1e6);
	}
	jg_buf_printf(o, ",\"learn\":{\"paths\":%u,\"capacity\":%u,\"given_up\":%" PRIu64 ",\"forgotten\":%" PRIu64 "}",
		      c->learn->n, c->learn->cap, c->learn->evicted, c->learn->aged);
	jg_buf_printf(o, ",\"files\":{\"events_write_errors\":%" PRIu64 ",\"flows_write_errors\":%" PRIu64 "}",
		      c->events->errors, c->flows != NULL ? c->flows->errors : 0);
	jg_buf_printf(o, ",\"outputs\":");
	jg_sinks_stats(c->sinks, c->n_sinks, 1, o);
}

static void
stats_json(struct jg_control *c, struct jg_buf *o)
{
	const struct jg_shm *s = c->shm;
	uint64_t missed, nombuf, ierr, oerr;

	jg_buf_printf(o, "{\"ports\":[");
	for (uint32_t p = 0; p < s->n_ports && p < JG_MAX_PORTS; p++) {
		const struct jg_port_status *ps = &s->ports[p];

		jg_buf_printf(o, "%s{\"name\":", p ? "," : "");
		jg_buf_json_str(o, ps->name, strnlen(ps->name, sizeof(ps->name)));
		jg_buf_printf(o, ",\"rx\":%" PRIu64 ",\"rx_bytes\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
				 ",\"missed\":%" PRIu64 ",\"no_mbuf\":%" PRIu64 ",\"rx_errors\":%" PRIu64
				 ",\"tx_errors\":%" PRIu64 "}",
			      ps->ipackets, ps->ibytes, ps->opackets, ps->obytes, ps->imissed, ps->rx_nombuf, ps->ierrors,
			      ps->oerrors);
	}
	jg_buf_printf(o, "],\"workers\":[");
	for (uint32_t w = 0; w < s->n_workers && w < JG_MAX_WORKERS; w++) {
		jg_buf_printf(o, "%s{\"id\":%u,\"lcore\":%u", w ? "," : "", w, s->workers[w].lcore_id);
		for (int k = 0; k < JG_CNT_MAX; k++)
			jg_buf_printf(o, ",\"%s\":%" PRIu64, jg_counter_names[k], s->workers[w].cnt[k]);
		jg_buf_printf(o, "}");
	}
	jg_buf_printf(o, "],\"total\":{");
	for (int k = 0; k < JG_CNT_MAX; k++)
		jg_buf_printf(o, "%s\"%s\":%" PRIu64, k ? "," : "", jg_counter_names[k], jg_stats_total(s, k));
	port_sums(s, &missed, &nombuf, &ierr, &oerr);
	jg_buf_printf(o, "},\"drops\":{\"port-missed\":%" PRIu64 ",\"port-no-mbuf\":%" PRIu64
			 ",\"port-rx-errors\":%" PRIu64 ",\"port-tx-errors\":%" PRIu64,
		      missed, nombuf, ierr, oerr);
	for (size_t i = 0; i < jg_stats_n_drops; i++)
		jg_buf_printf(o, ",\"%s\":%" PRIu64, jg_counter_names[jg_stats_drops[i]], jg_stats_total(s, jg_stats_drops[i]));
	jg_buf_printf(o, "},\"degraded\":{");
	for (size_t i = 0; i < sizeof(degraded) / sizeof(degraded[0]); i++)
		jg_buf_printf(o, "%s\"%s\":%" PRIu64, i ? "," : "", jg_counter_names[degraded[i]],
			      jg_stats_total(s, degraded[i]));
	jg_buf_printf(o, "},\"evasion\":{");
	for (size_t i = 0; i < sizeof(evasion) / sizeof(evasion[0]); i++)
		jg_buf_printf(o, "%s\"%s\":%" PRIu64, i ? "," : "", jg_counter_names[evasion[i]],
			      jg_stats_total(s, evasion[i]));
	jg_buf_printf(o, "}");
	control_json(c, o);
	jg_buf_printf(o, "}\n");
}

static void
stats_text(struct jg_control *c, struct jg_buf *o)
{
	const struct jg_shm *s = c->shm;
	const struct jg_agg_stats *a = jg_agg_stats(c->agg);
	uint64_t missed, nombuf, ierr, oerr;

	jg_buf_printf(o, "%-12s %14s %16s %14s %10s %10s %10s %10s\n", "PORT", "RX", "RX-BYTES", "TX", "MISSED",
		      "NO-MBUF", "RX-ERRORS", "TX-ERRORS");
	for (uint32_t p = 0; p < s->n_ports && p < JG_MAX_PORTS; p++) {
		const struct jg_port_status *ps = &s->ports[p];

		jg_buf_printf(o, "%-12.12s %14" PRIu64 " %16" PRIu64 " %14" PRIu64 " %10" PRIu64 " %10" PRIu64
				 " %10" PRIu64 " %10" PRIu64 "\n",
			      ps->name, ps->ipackets, ps->ibytes, ps->opackets, ps->imissed, ps->rx_nombuf, ps->ierrors,
			      ps->oerrors);
	}
	jg_buf_printf(o, "\n%-24s", "COUNTER");
	for (uint32_t w = 0; w < s->n_workers && w < JG_MAX_WORKERS; w++)
		jg_buf_printf(o, " %11s%-3u", "worker", w);
	jg_buf_printf(o, " %14s\n", "TOTAL");
	for (int k = 0; k < JG_CNT_MAX; k++) {
		jg_buf_printf(o, "%-24s", jg_counter_names[k]);
		for (uint32_t w = 0; w < s->n_workers && w < JG_MAX_WORKERS; w++)
			jg_buf_printf(o, " %14" PRIu64, s->workers[w].cnt[k]);
		jg_buf_printf(o, " %14" PRIu64 "\n", jg_stats_total(s, k));
	}
	port_sums(s, &missed, &nombuf, &ierr, &oerr);
	jg_buf_printf(o, "\nDROPS (packets and records lost)\n%-24s %14" PRIu64 "\n%-24s %14" PRIu64 "\n%-24s %14" PRIu64
			 "\n%-24s %14" PRIu64 "\n",
		      "port-missed", missed, "port-no-mbuf", nombuf, "port-rx-errors", ierr, "port-tx-errors", oerr);
	for (size_t i = 0; i < jg_stats_n_drops; i++)
		jg_buf_printf(o, "%-24s %14" PRIu64 "  %s\n", jg_counter_names[jg_stats_drops[i]], jg_stats_total(s, jg_stats_drops[i]),
			      jg_counter_help[jg_stats_drops[i]]);
	jg_buf_printf(o, "\nDEGRADED (handled, not in full)\n");
	for (size_t i = 0; i < sizeof(degraded) / sizeof(degraded[0]); i++)
		jg_buf_printf(o, "%-24s %14" PRIu64 "  %s\n", jg_counter_names[degraded[i]], jg_stats_total(s, degraded[i]),
			      jg_counter_help[degraded[i]]);
	jg_buf_printf(o, "\nEVASION (what only an IDS would take; overlaps that differ)\n");
	for (size_t i = 0; i < sizeof(evasion) / sizeof(evasion[0]); i++)
		jg_buf_printf(o, "%-24s %14" PRIu64 "  %s\n", jg_counter_names[evasion[i]], jg_stats_total(s, evasion[i]),
			      jg_counter_help[evasion[i]]);
	jg_buf_printf(o, "\nALERTS  events %" PRIu64 ", alerts %" PRIu64 ", repeats counted %" PRIu64
			 ", final counts %" PRIu64 ", open %" PRIu64 ", closed early %" PRIu64 "\n",
		      a->events, a->alerts, a->repeats, a->updates, a->open, a->evicted);
	if (c->store != NULL) {
		const struct jg_store_stats *st = jg_store_stats(c->store);

		jg_buf_printf(o, "STORE   alerts %" PRIu64 ", flows %" PRIu64 ", pruned %" PRIu64 "/%" PRIu64
				 ", commits %" PRIu64 " (slowest %.1f ms), errors %" PRIu64 "\n",
			      st->alerts, st->flows, st->pruned_alerts, st->pruned_flows, st->commits,
			      (double)st->max_commit_ns / 1e6, st->errors);
	}
	jg_buf_printf(o, "LEARN   paths %u of %u, given up for room %" PRIu64 ", forgotten after 30 days %" PRIu64
			 " (jgctl policy suggest)\n",
		      c->learn->n, c->learn->cap, c->learn->evicted, c->learn->aged);
	if (c->lat_n > 0)
		jg_buf_printf(o, "LATENCY packet to store, live events: %" PRIu64 ", p50 <= %" PRIu64 " us, p99 <= %" PRIu64
				 " us, max %.1f us\n",
			      c->lat_n, lat_quantile(c, 0.5), lat_quantile(c, 0.99), (double)c->lat_max_ns / 1e3);
	jg_buf_printf(o, "FILES   events.jsonl write errors %" PRIu64 ", flows.jsonl %" PRIu64 "\n", c->events->errors,
		      c->flows != NULL ? c->flows->errors : 0);
	if (c->n_sinks > 0) {
		jg_buf_printf(o, "\n");
		jg_sinks_stats(c->sinks, c->n_sinks, 0, o);
	}
}

int
jg_cmd_stats(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out)
{
	(void)argv;
	if (argc > 0) {
		jg_buf_printf(out, "stats takes no argument but --json");
		return JG_USAGE;
	}
	if (json)
		stats_json(c, out);
	else
		stats_text(c, out);
	return JG_OK;
}
