/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus metrics: jg-control answers `GET /metrics` on control.metrics
 * (host:port) in the text exposition format (version 0.0.4). The dataplane's
 * counters per worker and port, the drop reasons, the rings, events and alerts
 * by event, tool and action, the store, the collectors, learn mode and the
 * drain latency as a histogram. Served from the control loop, at most four
 * requests per loop, each cut off 200 ms after its accept if it is not whole.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control.h"

#define BODY_CAP (1u << 20)
#define REQUEST_NS (200ull * 1000000ull) /* a request must be whole this soon after its accept */
#define ACCEPTS_PER_POLL 4

static const char *const action_label[] = { "none", "allow", "alert", "block" };

unsigned int
jg_metrics_action(const struct jg_event_rec *ev)
{
	char v[16];

	jg_ev_get(ev, JG_ATTR_ACTION, v, sizeof(v));
	for (unsigned int a = 1; a < 4; a++)
		if (!strcmp(v, action_label[a]))
			return a;
	return 0;
}

int
jg_metrics_open(struct jg_control *c)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *ai;
	char host[JG_CFG_STR], port[8];
	uint16_t p;
	int fd, one = 1, rc;

	c->metrics_fd = -1;
	if (c->cfg.metrics_listen[0] == '\0')
		return 0;
	if (jg_hostport_split(c->cfg.metrics_listen, host, sizeof(host), &p) != 0)
		return -EINVAL;
	snprintf(port, sizeof(port), "%u", p);
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "jg-control: control.metrics %s: %s\n", c->cfg.metrics_listen, gai_strerror(rc));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
		rc = -errno;
		fprintf(stderr, "jg-control: control.metrics %s: %s\n", c->cfg.metrics_listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return rc;
	}
	freeaddrinfo(ai);
	c->metrics_fd = fd;
	return 0;
}

void
jg_metrics_close(struct jg_control *c)
{
	if (c->metrics_fd >= 0)
		close(c->metrics_fd);
	c->metrics_fd = -1;
}

static void
family(struct jg_buf *o, const char *name, const char *type, const char *help)
{
	jg_buf_printf(o, "# HELP %s ", name);
	for (const char *p = help; *p; p++) /* the format escapes backslash and newline in help */
		if (*p == '\\')
			jg_buf_put(o, "\\\\", 2);
		else if (*p == '\n')
			jg_buf_put(o, "\\n", 2);
		else
			jg_buf_put(o, p, 1);
	jg_buf_printf(o, "\n# TYPE %s %s\n", name, type);
}

/* A label value: backslash, quote and newline escaped, as the format asks. */
static void
label(struct jg_buf *o, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			jg_buf_printf(o, "\\%c", *v);
		else if (*v == '\n')
			jg_buf_printf(o, "\\n");
		else
			jg_buf_put(o, v, 1);
	}
}

/* jumpgate_worker_<counter>_total: the counter's name with '_' for '-'. */
static void
worker_counters(const struct jg_shm *s, struct jg_buf *o)
{
	char name[96];

	for (int k = 0; k < JG_CNT_MAX; k++) {
		size_t n = (size_t)snprintf(name, sizeof(name), "jumpgate_worker_%s", jg_counter_names[k]);

		for (size_t i = 0; i < n; i++)
			name[i] = name[i] == '-' ? '_' : name[i];
		snprintf(name + n, sizeof(name) - n, "_total");
		family(o, name, "counter", jg_counter_help[k]);
		for (uint32_t w = 0; w < s->n_workers && w < JG_MAX_WORKERS; w++)
			jg_buf_printf(o, "%s{worker=\"%u\"} %" PRIu64 "\n", name, w, s->workers[w].cnt[k]);
	}
	family(o, "jumpgate_worker_flows", "gauge", "flows in the worker's table now");
	for (uint32_t w = 0; w < s->n_workers && w < JG_MAX_WORKERS; w++)
		jg_buf_printf(o, "jumpgate_worker_flows{worker=\"%u\"} %" PRIu64 "\n", w, s->workers[w].flows_active);
	family(o, "jumpgate_worker_flow_capacity", "gauge", "flows the worker's table holds");
	for (uint32_t w = 0; w < s->n_workers && w < JG_MAX_WORKERS; w++)
		jg_buf_printf(o, "jumpgate_worker_flow_capacity{worker=\"%u\"} %" PRIu64 "\n", w,
			      s->workers[w].flow_capacity);
}

static void
port_metrics(const struct jg_shm *s, struct jg_buf *o)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} f[] = {
		{ "jumpgate_port_received_packets_total", "counter", "packets the port received",
		  offsetof(struct jg_port_status, ipackets) },
		{ "jumpgate_port_received_bytes_total", "counter", "bytes the port received",
		  offsetof(struct jg_port_status, ibytes) },
		{ "jumpgate_port_missed_packets_total", "counter", "packets the NIC dropped: no room in the rx queue",
		  offsetof(struct jg_port_status, imissed) },
		{ "jumpgate_port_receive_errors_total", "counter", "erroneous packets received",
		  offsetof(struct jg_port_status, ierrors) },
		{ "jumpgate_port_no_mbuf_total", "counter", "packets dropped: no mbuf",
		  offsetof(struct jg_port_status, rx_nombuf) },
		{ "jumpgate_port_transmitted_packets_total", "counter", "packets the port sent (inline)",
		  offsetof(struct jg_port_status, opackets) },
		{ "jumpgate_port_transmitted_bytes_total", "counter", "bytes the port sent (inline)",
		  offsetof(struct jg_port_status, obytes) },
		{ "jumpgate_port_transmit_errors_total", "counter", "packets the port failed to send",
		  offsetof(struct jg_port_status, oerrors) },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		family(o, f[i].name, f[i].type, f[i].help);
		for (uint32_t p = 0; p < s->n_ports && p < JG_MAX_PORTS; p++) {
			jg_buf_printf(o, "%s{port=\"", f[i].name);
			label(o, s->ports[p].name);
			jg_buf_printf(o, "\"} %" PRIu64 "\n", *(const uint64_t *)((const char *)&s->ports[p] + f[i].off));
		}
	}
	family(o, "jumpgate_port_link_up", "gauge", "1 when the port's link is up");
	for (uint32_t p = 0; p < s->n_ports && p < JG_MAX_PORTS; p++) {
		jg_buf_printf(o, "jumpgate_port_link_up{port=\"");
		label(o, s->ports[p].name);
		jg_buf_printf(o, "\"} %u\n", s->ports[p].link_up);
	}
}

static void
drops_and_rings(const struct jg_control *c, struct jg_buf *o)
{
	const struct jg_shm *s = c->shm;

	family(o, "jumpgate_dropped_total", "counter", "packets and records lost, by reason (each should stay 0)");
	for (size_t i = 0; i < jg_stats_n_drops; i++)
		jg_buf_printf(o, "jumpgate_dropped_total{reason=\"%s\"} %" PRIu64 "\n", jg_counter_names[jg_stats_drops[i]],
			      jg_stats_total(s, jg_stats_drops[i]));
	family(o, "jumpgate_ring_entries", "gauge", "records waiting in a ring to the control plane");
	for (uint32_t w = 0; w < s->n_workers && w < JG_MAX_WORKERS; w++)
		jg_buf_printf(o, "jumpgate_ring_entries{ring=\"events\",worker=\"%u\"} %u\n"
				 "jumpgate_ring_entries{ring=\"flows\",worker=\"%u\"} %u\n",
			      w, rte_ring_count(c->ev_ring[w]), w, rte_ring_count(c->fr_ring[w]));
	family(o, "jumpgate_ring_capacity", "gauge", "records a ring holds");
	jg_buf_printf(o, "jumpgate_ring_capacity{ring=\"events\"} %u\njumpgate_ring_capacity{ring=\"flows\"} %u\n",
		      s->event_ring_size, s->flow_ring_size);
}

static void
alert_metrics(const struct jg_control *c, struct jg_buf *o)
{
	static const char *const fam[2] = { "jumpgate_events_total", "jumpgate_alerts_total" };
	static const char *const help[2] = { "events drained from the dataplane, by event, tool and action",
					     "alerts (events not repeating one within alerts.window), by event, tool and action" };

	for (int k = 0; k < 2; k++) {
		family(o, fam[k], "counter", help[k]);
		for (int e = 1; e < JG_EV_MAX; e++)
			for (int t = 0; t < JG_TOOL_MAX; t++)
				for (int a = 0; a < 4; a++) {
					uint64_t v = k ? c->alert_counts[e][t][a] : c->event_counts[e][t][a];

					if (v)
						jg_buf_printf(o, "%s{event=\"%s\",tool=\"%s\",action=\"%s\"} %" PRIu64 "\n",
							      fam[k], jg_event_names[e], jg_tool_names[t], action_label[a], v);
				}
	}
}

static void
control_metrics(const struct jg_control *c, struct jg_buf *o)
{
	const struct jg_agg_stats *a = jg_agg_stats(c->agg);
	uint64_t cum = 0;

	family(o, "jumpgate_dataplane_state", "gauge", "0 starting, 1 running, 2 flushing, 3 drained, 4 stopped");
	jg_buf_printf(o, "jumpgate_dataplane_state %u\n", c->shm->dp_state);
	family(o, "jumpgate_control_attaches_total", "counter", "times a control plane attached to this dataplane");
	jg_buf_printf(o, "jumpgate_control_attaches_total %" PRIu64 "\n", c->shm->control_attach_count);
	family(o, "jumpgate_alerts_open", "gauge", "alerts whose window is open");
	jg_buf_printf(o, "jumpgate_alerts_open %" PRIu64 "\n", a->open);
	if (c->store != NULL) {
		const struct jg_store_stats *st = jg_store_stats(c->store);

		family(o, "jumpgate_store_rows_written_total", "counter", "rows written to the store, by table");
		jg_buf_printf(o, "jumpgate_store_rows_written_total{table=\"alerts\"} %" PRIu64 "\n"
				 "jumpgate_store_rows_written_total{table=\"flows\"} %" PRIu64 "\n",
			      st->alerts, st->flows);
		family(o, "jumpgate_store_commits_total", "counter", "store transactions committed");
		jg_buf_printf(o, "jumpgate_store_commits_total %" PRIu64 "\n", st->commits);
		family(o, "jumpgate_store_errors_total", "counter", "store database errors");
		jg_buf_printf(o, "jumpgate_store_errors_total %" PRIu64 "\n", st->errors);
	}
	family(o, "jumpgate_output_records_total", "counter", "records per collector, by outcome");
	for (int k = 0; k < c->n_sinks; k++) {
		const struct jg_sink_stats *st = &c->sinks[k]->st;

		jg_buf_printf(o, "jumpgate_output_records_total{output=\"%s\",outcome=\"sent\"} %" PRIu64 "\n"
				 "jumpgate_output_records_total{output=\"%s\",outcome=\"dropped\"} %" PRIu64 "\n",
			      c->sinks[k]->name, st->sent, c->sinks[k]->name, st->dropped);
	}
	family(o, "jumpgate_output_errors_total", "counter", "send and connect errors per collector");
	for (int k = 0; k < c->n_sinks; k++)
		jg_buf_printf(o, "jumpgate_output_errors_total{output=\"%s\"} %" PRIu64 "\n", c->sinks[k]->name,
			      c->sinks[k]->st.errors);
	family(o, "jumpgate_learn_paths", "gauge", "remote-administration paths learn mode holds");
	jg_buf_printf(o, "jumpgate_learn_paths %u\n", c->learn->n);
	family(o, "jumpgate_event_latency_seconds", "histogram", "live events, from the packet to their drain by jg-control");
	for (int b = 0; b < 32; b++) {
		cum += c->lat_hist[b];
		/* bucket b holds [2^(b-1), 2^b) microseconds */
		jg_buf_printf(o, "jumpgate_event_latency_seconds_bucket{le=\"%.6f\"} %" PRIu64 "\n", (double)(1ull << b) / 1e6,
			      cum);
	}
	jg_buf_printf(o, "jumpgate_event_latency_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", c->lat_n);
	jg_buf_printf(o, "jumpgate_event_latency_seconds_sum %.6f\njumpgate_event_latency_seconds_count %" PRIu64 "\n",
		      (double)c->lat_sum_ns / 1e9, c->lat_n);
}

void
jg_metrics_render(struct jg_control *c, struct jg_buf *o)
{
	worker_counters(c->shm, o);
	port_metrics(c->shm, o);
	drops_and_rings(c, o);
	alert_metrics(c, o);
	control_metrics(c, o);
}

/* Everything of buf sent before the deadline (a scraper gets the whole body or a cut connection). */
static void
send_all(int fd, const char *buf, size_t n, uint64_t deadline)
{
	while (n > 0 && jg_unix_ns() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t k;

		if (poll(&p, 1, (int)((deadline - jg_unix_ns()) / 1000000) + 1) <= 0)
			return;
		k = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k <= 0 && errno != EAGAIN && errno != EINTR)
			return;
		if (k > 0) {
			buf += k;
			n -= (size_t)k;
		}
	}
}

/*
 * One request, whole within REQUEST_NS from its accept: a client that sends
 * slowly, or nothing, is cut off then; the control loop never waits longer.
 */
static void
answer(struct jg_control *c, int fd, char *body)
{
	uint64_t deadline = jg_unix_ns() + REQUEST_NS;
	char req[2048], head[256];
	struct jg_buf b;
	size_t len = 0;
	int hl;

	while (len < sizeof(req) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = jg_unix_ns();
		ssize_t n;

		if (now >= deadline || poll(&p, 1, (int)((deadline - now) / 1000000) + 1) <= 0)
			return;
		n = recv(fd, req + len, sizeof(req) - 1 - len, MSG_DONTWAIT);
		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			break;
		}
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
			break;
	}
	req[len] = '\0';
	jg_buf_init(&b, body, BODY_CAP);
	if (strncmp(req, "GET /metrics ", 13) == 0 || strncmp(req, "GET /metrics?", 13) == 0) {
		jg_metrics_render(c, &b);
		c->metrics_scrapes++;
		hl = snprintf(head, sizeof(head),
			      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
			      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			      b.len < b.cap ? b.len : b.cap - 1);
	} else {
		jg_buf_printf(&b, "Jumpgate serves /metrics only\n");
		hl = snprintf(head, sizeof(head),
			      "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			      "Connection: close\r\n\r\n",
			      b.len);
	}
	send_all(fd, head, (size_t)hl, deadline + REQUEST_NS);
	send_all(fd, b.p, b.len < b.cap ? b.len : b.cap - 1, deadline + REQUEST_NS);
}

void
jg_metrics_poll(struct jg_control *c)
{
	char *body = NULL;

	if (c->metrics_fd < 0)
		return;
	/* a few per loop: a flood of connections waits its turn, the rings do not */
	for (int i = 0; i < ACCEPTS_PER_POLL; i++) {
		int fd = accept4(c->metrics_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			break;
		if (body == NULL && (body = malloc(BODY_CAP)) == NULL) {
			close(fd);
			break;
		}
		answer(c, fd, body);
		close(fd);
	}
	free(body);
}
