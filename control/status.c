/* SPDX-License-Identifier: BSD-3-Clause */
/* `jgctl status`: what the dataplane is doing, from the shared status memzone. */
#include <inttypes.h>
#include <string.h>

#include "control.h"

static void
status_json(struct jg_control *c, struct jg_buf *o)
{
	const struct jg_shm *s = c->shm;
	uint64_t now = jg_unix_ns();

	jg_buf_printf(o, "{\"sensor\":\"%s\",\"version\":\"%s\",\"state\":\"%s\",\"dataplane_pid\":%u,\"control_pid\":%u,"
			 "\"control_attaches\":%" PRIu64 ",\"uptime_s\":%.3f,\"control_uptime_s\":%.3f,"
			 "\"replay_packets\":%" PRIu64 ",\"events_written\":%" PRIu64 ",\"flows_written\":%" PRIu64 ",\"ports\":[",
		      c->cfg.sensor_name, JG_VERSION, jg_dp_state_name(s->dp_state), s->dp_pid, s->control_pid,
		      s->control_attach_count,
		      (double)(now - s->start_unix_ns) / 1e9, (double)(now - c->start_ns) / 1e9,
		      s->replay_expected, c->n_events, c->n_flows);
	for (uint32_t p = 0; p < s->n_ports && p < JG_MAX_PORTS; p++) {
		const struct jg_port_status *ps = &s->ports[p];

		jg_buf_printf(o, "%s{\"name\":", p ? "," : "");
		jg_buf_json_str(o, ps->name, strnlen(ps->name, sizeof(ps->name)));
		jg_buf_printf(o, ",\"port_id\":%u,\"link_up\":%s,\"rx_queues\":%u,\"rss\":%s,\"ipackets\":%" PRIu64
				 ",\"ibytes\":%" PRIu64 ",\"imissed\":%" PRIu64 ",\"ierrors\":%" PRIu64
				 ",\"rx_nombuf\":%" PRIu64 ",\"opackets\":%" PRIu64 "}",
			      ps->port_id, ps->link_up ? "true" : "false", ps->rx_queues, ps->rss ? "true" : "false",
			      ps->ipackets, ps->ibytes, ps->imissed, ps->ierrors, ps->rx_nombuf, ps->opackets);
	}
	jg_buf_printf(o, "],\"workers\":[");
	for (uint32_t w = 0; w < s->n_workers && w < JG_MAX_WORKERS; w++) {
		const struct jg_worker_status *ws = &s->workers[w];

		jg_buf_printf(o, "%s{\"id\":%u,\"lcore\":%u,\"flows_active\":%" PRIu64 ",\"flow_capacity\":%" PRIu64
				 ",\"event_ring_used\":%u,\"flow_ring_used\":%u,\"counters\":{",
			      w ? "," : "", w, ws->lcore_id, ws->flows_active, ws->flow_capacity,
			      rte_ring_count(c->ev_ring[w]), rte_ring_count(c->fr_ring[w]));
		for (int k = 0; k < JG_CNT_MAX; k++)
			jg_buf_printf(o, "%s\"%s\":%" PRIu64, k ? "," : "", jg_counter_names[k], ws->cnt[k]);
		jg_buf_printf(o, "}}");
	}
	jg_buf_printf(o, "],\"rings\":{\"event_size\":%u,\"flow_size\":%u}}\n", s->event_ring_size,
		      s->flow_ring_size);
}

static void
uptime(struct jg_buf *o, uint64_t ns)
{
	uint64_t s = ns / 1000000000u;

	jg_buf_printf(o, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600, s / 60 % 60, s % 60);
}

static void
status_text(struct jg_control *c, struct jg_buf *o)
{
	const struct jg_shm *s = c->shm;

	jg_buf_printf(o, "Jumpgate %s on sensor %s  dataplane pid %u %s, up ", JG_VERSION, c->cfg.sensor_name, s->dp_pid,
		      jg_dp_state_name(s->dp_state));
	uptime(o, jg_unix_ns() - s->start_unix_ns);
	jg_buf_printf(o, "  control pid %u (attach #%" PRIu64 ", up ", s->control_pid, s->control_attach_count);
	uptime(o, jg_unix_ns() - c->start_ns);
	jg_buf_printf(o, ")\n");
	if (s->replay_expected)
		jg_buf_printf(o, "replaying a capture of %" PRIu64 " packets\n", s->replay_expected);
	jg_buf_printf(o, "\n%-12s %4s %5s %4s %4s %14s %16s %10s %10s %10s\n", "PORT", "ID", "LINK", "RXQ", "RSS",
		      "RX-PACKETS", "RX-BYTES", "MISSED", "ERRORS", "NO-MBUF");
	for (uint32_t p = 0; p < s->n_ports && p < JG_MAX_PORTS; p++) {
		const struct jg_port_status *ps = &s->ports[p];

		jg_buf_printf(o, "%-12.12s %4u %5s %4u %4s %14" PRIu64 " %16" PRIu64 " %10" PRIu64 " %10" PRIu64
				 " %10" PRIu64 "\n",
			      ps->name, ps->port_id, ps->link_up ? "up" : "down", ps->rx_queues, ps->rss ? "yes" : "no",
			      ps->ipackets, ps->ibytes, ps->imissed, ps->ierrors, ps->rx_nombuf);
	}
	jg_buf_printf(o, "\n%-6s %5s %12s %10s %10s %12s %9s %9s %9s %12s\n", "WORKER", "LCORE", "RX", "FLOWS",
		      "CAPACITY", "IN-FLOWS", "NON-IP", "FRAGS", "BAD", "DISP-DROPS");
	for (uint32_t w = 0; w < s->n_workers && w < JG_MAX_WORKERS; w++) {
		const struct jg_worker_status *ws = &s->workers[w];
		const uint64_t *k = ws->cnt;

		jg_buf_printf(o, "%-6u %5u %12" PRIu64 " %10" PRIu64 " %10" PRIu64 " %12" PRIu64 " %9" PRIu64
				 " %9" PRIu64 " %9" PRIu64 " %12" PRIu64 "\n",
			      w, ws->lcore_id, k[JG_CNT_RX] + k[JG_CNT_DISPATCH_IN] - k[JG_CNT_DISPATCH_OUT],
			      ws->flows_active, ws->flow_capacity, k[JG_CNT_PKT_FLOW], k[JG_CNT_PKT_NON_IP],
			      k[JG_CNT_PKT_FRAGMENT], k[JG_CNT_PKT_TRUNCATED] + k[JG_CNT_PKT_MALFORMED],
			      k[JG_CNT_DISPATCH_DROP]);
	}
	jg_buf_printf(o, "\n%-10s %10s %10s %12s %12s\n", "RING", "USED", "SIZE", "SENT", "DROPPED");
	for (uint32_t w = 0; w < s->n_workers && w < JG_MAX_WORKERS; w++) {
		const uint64_t *k = s->workers[w].cnt;

		jg_buf_printf(o, "events/%-3u %10u %10u %12" PRIu64 " %12" PRIu64 "\n", w, rte_ring_count(c->ev_ring[w]),
			      s->event_ring_size, k[JG_CNT_EVENT_SENT], k[JG_CNT_EVENT_DROP]);
		jg_buf_printf(o, "flows/%-4u %10u %10u %12" PRIu64 " %12" PRIu64 "\n", w, rte_ring_count(c->fr_ring[w]),
			      s->flow_ring_size, k[JG_CNT_FLOW_REC_SENT], k[JG_CNT_FLOW_REC_DROP]);
	}
	jg_buf_printf(o, "\nwritten: %" PRIu64 " events, %" PRIu64 " flow records\n", c->n_events, c->n_flows);
}

int
jg_cmd_status(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out)
{
	(void)argv;
	if (argc > 0) {
		jg_buf_printf(out, "status takes no argument but --json");
		return JG_USAGE;
	}
	if (json)
		status_json(c, out);
	else
		status_text(c, out);
	return JG_OK;
}
