/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Events and flow records as JSON lines. Every string that came from the wire
 * goes through jg_buf_json_str(), so a hostile file name cannot forge a field
 * or a line.
 */
#include <stdio.h>
#include <string.h>

#include "jg_fmt.h"
#include "jg_policy.h"
#include "jg_records.h"

static const char *
proto_name(uint8_t proto, char *tmp, size_t cap)
{
	switch (proto) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 58: return "ipv6-icmp";
	case 132: return "sctp";
	default: snprintf(tmp, cap, "%u", proto); return tmp;
	}
}

static const char *
tcp_flags_str(uint8_t f, char *out)
{
	static const char letters[] = "FSRPAUEC";
	int n = 0;

	for (int i = 0; i < 8; i++)
		if (f & (1u << i))
			out[n++] = letters[i];
	out[n] = '\0';
	return out;
}

static void
put_str(struct jg_buf *b, const char *s)
{
	jg_buf_put(b, s, strlen(s));
}

/* Written piece by piece, not with printf: flow records come by the hundred thousand at a replay's end. */
static void
put_endpoints(struct jg_buf *b, const uint8_t *src, uint16_t sport, const uint8_t *dst, uint16_t dport,
	      uint8_t version, uint8_t proto)
{
	char a[64], tmp[8];

	jg_buf_lit(b, "\"src_ip\":\"");
	put_str(b, jg_fmt_ip(a, sizeof(a), src, version));
	jg_buf_lit(b, "\",\"src_port\":");
	jg_buf_u64(b, sport);
	jg_buf_lit(b, ",\"dst_ip\":\"");
	put_str(b, jg_fmt_ip(a, sizeof(a), dst, version));
	jg_buf_lit(b, "\",\"dst_port\":");
	jg_buf_u64(b, dport);
	jg_buf_lit(b, ",\"proto\":\"");
	put_str(b, proto_name(proto, tmp, sizeof(tmp)));
	jg_buf_lit(b, "\"");
}

/* "key":number */
static void
put_num(struct jg_buf *b, const char *key, uint64_t v)
{
	jg_buf_lit(b, ",\"");
	put_str(b, key);
	jg_buf_lit(b, "\":");
	jg_buf_u64(b, v);
}

/* "key":"value", the value one of the program's own names (nothing to escape) */
static void
put_name(struct jg_buf *b, const char *key, const char *v)
{
	jg_buf_lit(b, ",\"");
	put_str(b, key);
	jg_buf_lit(b, "\":\"");
	put_str(b, v);
	jg_buf_lit(b, "\"");
}

size_t
jg_flow_json(const struct jg_flow_rec *r, const struct jg_policy *pol, char *out, size_t cap)
{
	static const char *const tcp_states[] = { "none", "syn_sent", "syn_acked", "established",
						  "midstream", "closing", "closed" };
	char t[32], f[9];
	uint64_t d = r->last_ns - r->first_ns, us = d / 1000 + (d % 1000 >= 500); /* as %.6f of seconds */
	struct jg_buf b;

	jg_buf_init(&b, out, cap);
	jg_buf_lit(&b, "{\"flow_id\":");
	jg_buf_u64(&b, r->flow_id);
	jg_buf_lit(&b, ",");
	put_endpoints(&b, r->src_ip, r->src_port, r->dst_ip, r->dst_port, r->ip_version, r->proto);
	put_num(&b, "ip_version", r->ip_version);
	put_num(&b, "vlan", r->vlan);
	put_num(&b, "packets", (uint64_t)r->pkts_fwd + r->pkts_rev);
	put_num(&b, "bytes", (uint64_t)r->bytes_fwd + r->bytes_rev);
	put_num(&b, "src_packets", r->pkts_fwd);
	put_num(&b, "dst_packets", r->pkts_rev);
	put_num(&b, "src_bytes", r->bytes_fwd);
	put_num(&b, "dst_bytes", r->bytes_rev);
	jg_fmt_time(t, sizeof(t), r->first_ns);
	put_name(&b, "start", t);
	jg_fmt_time(t, sizeof(t), r->last_ns);
	put_name(&b, "end", t);
	put_num(&b, "duration", us / 1000000);
	t[0] = '.';
	for (int i = 6; i >= 1; i--, us /= 10)
		t[i] = (char)('0' + us % 10);
	jg_buf_put(&b, t, 7);
	put_name(&b, "end_reason", jg_flow_end_name(r->end_reason));
	if (r->proto == 6) {
		put_name(&b, "tcp_state", r->tcp_state < 7 ? tcp_states[r->tcp_state] : "unknown");
		put_name(&b, "src_tcp_flags", tcp_flags_str(r->tcp_flags_fwd, f));
		put_name(&b, "dst_tcp_flags", tcp_flags_str(r->tcp_flags_rev, f));
	}
	if (pol != NULL) {
		put_name(&b, "src_zone", r->src_zone < pol->n_zones ? pol->zones[r->src_zone] : "unknown");
		put_name(&b, "dst_zone", r->dst_zone < pol->n_zones ? pol->zones[r->dst_zone] : "unknown");
		if (r->services != 0) {
			const char *sep = "\"";

			jg_buf_lit(&b, ",\"services\":[");
			for (uint32_t i = 0; i < pol->n_services && i < 32; i++)
				if (r->services & (1u << i)) {
					put_str(&b, sep);
					put_str(&b, pol->services[i].name);
					jg_buf_lit(&b, "\"");
					sep = ",\"";
				}
			jg_buf_lit(&b, "]");
			put_name(&b, "action", r->action < 3 ? jg_action_names[r->action] : "unknown");
		}
	}
	put_num(&b, "worker", r->worker);
	jg_buf_lit(&b, "}");
	return b.len < cap ? b.len : cap - 1;
}

size_t
jg_json_add_str(char *line, size_t len, size_t cap, const char *key, const char *value)
{
	struct jg_buf b = { .p = line, .cap = cap, .len = len - 1 }; /* jg_buf_init would empty the line */

	if (len < 2 || len >= cap || line[len - 1] != '}')
		return len;
	jg_buf_printf(&b, ",\"%s\":", key);
	jg_buf_json_str(&b, value, strlen(value));
	jg_buf_put(&b, "}", 1);
	if (!jg_buf_ok(&b)) {
		line[len - 1] = '}';
		line[len] = '\0';
		return len;
	}
	return b.len;
}

size_t
jg_event_json(const struct jg_event_rec *ev, char *out, size_t cap)
{
	char ts[32], tool[64];
	struct jg_buf b;
	uint32_t off = 0;
	uint32_t len = ev->data_len < JG_EVENT_DATA_LEN ? ev->data_len : JG_EVENT_DATA_LEN;

	jg_buf_init(&b, out, cap);
	jg_fmt_time(ts, sizeof(ts), ev->ts_ns);
	jg_buf_printf(&b, "{\"timestamp\":\"%s\",\"event\":\"%s\",\"tool\":", ts,
		      ev->type < JG_EV_MAX ? jg_event_names[ev->type] : "unknown");
	jg_ev_tool(ev, tool, sizeof(tool));
	jg_buf_json_str(&b, tool, strlen(tool));
	jg_buf_put(&b, ",", 1);
	put_endpoints(&b, ev->src_ip, ev->src_port, ev->dst_ip, ev->dst_port, ev->ip_version, ev->proto);
	jg_buf_printf(&b, ",\"flow_id\":%llu", (unsigned long long)ev->flow_id);
	/* Attributes: {key, len, bytes}; stop at END or at anything that does not fit. */
	while (off + 2 <= len && ev->data[off] != JG_ATTR_END) {
		uint8_t key = ev->data[off], n = ev->data[off + 1];
		const uint8_t *v = &ev->data[off + 2];

		if (key >= JG_ATTR_MAX || off + 2u + n > len)
			break;
		if (key == JG_ATTR_TOOL) { /* said as "tool" above */
			off += 2u + n;
			continue;
		}
		jg_buf_printf(&b, ",\"%s\":", jg_attr_names[key]);
		if (jg_attr_kinds[key] == JG_ATTR_UINT && n == 8) {
			uint64_t x;

			memcpy(&x, v, 8);
			jg_buf_printf(&b, "%llu", (unsigned long long)x);
		} else if (jg_attr_kinds[key] == JG_ATTR_BOOL && n == 1) {
			jg_buf_printf(&b, "%s", v[0] ? "true" : "false");
		} else {
			jg_buf_json_str(&b, (const char *)v, n);
		}
		off += 2u + n;
	}
	jg_buf_put(&b, "}", 1);
	return b.len < cap ? b.len : cap - 1;
}


/*
 * Room kept for the verdict, which is added last: both zones, the service and
 * the action (names of at most 31 characters). However long the names and
 * paths a hostile client sends, an event still says what the policy did.
 */
#define VERDICT_ROOM (3 * (2 + 31) + 2 + 5)

static int
verdict_key(enum jg_attr key)
{
	return key == JG_ATTR_SRC_ZONE || key == JG_ATTR_DST_ZONE || key == JG_ATTR_SERVICE || key == JG_ATTR_ACTION;
}

static void
ev_put(struct jg_event_rec *ev, enum jg_attr key, const void *v, size_t n, int cut_ok)
{
	size_t limit = JG_EVENT_DATA_LEN - (verdict_key(key) ? 0 : VERDICT_ROOM);
	size_t room = ev->data_len < limit ? limit - ev->data_len : 0;

	if (n > 255)
		n = 255;
	/* Strings are cut to the room left; other values fit whole or are left out. */
	if (room < 2 + n + 1) {
		if (!cut_ok || room < 2 + 16 + 1)
			return;
		n = room - 3;
	}
	ev->data[ev->data_len] = (uint8_t)key;
	ev->data[ev->data_len + 1] = (uint8_t)n;
	memcpy(&ev->data[ev->data_len + 2], v, n);
	ev->data_len = (uint16_t)(ev->data_len + 2 + n);
}

void
jg_ev_str(struct jg_event_rec *ev, enum jg_attr key, const char *v)
{
	if (v != NULL && v[0] != '\0')
		ev_put(ev, key, v, strlen(v), 1);
}

void
jg_ev_uint(struct jg_event_rec *ev, enum jg_attr key, uint64_t v)
{
	ev_put(ev, key, &v, sizeof(v), 0);
}

void
jg_ev_bool(struct jg_event_rec *ev, enum jg_attr key, int v)
{
	uint8_t b = v != 0;

	ev_put(ev, key, &b, 1, 0);
}


const char *
jg_ev_get(const struct jg_event_rec *ev, enum jg_attr key, char *out, size_t cap)
{
	uint32_t len = ev->data_len < JG_EVENT_DATA_LEN ? ev->data_len : JG_EVENT_DATA_LEN;

	if (cap)
		out[0] = '\0';
	for (uint32_t off = 0; off + 2 <= len && ev->data[off] != JG_ATTR_END;) {
		uint8_t k = ev->data[off], n = ev->data[off + 1];

		if (off + 2u + n > len)
			break;
		if (k == key && cap) {
			if (k < JG_ATTR_MAX && jg_attr_kinds[k] == JG_ATTR_UINT && n == 8) {
				uint64_t x;

				memcpy(&x, &ev->data[off + 2], 8);
				snprintf(out, cap, "%llu", (unsigned long long)x);
			} else if (k < JG_ATTR_MAX && jg_attr_kinds[k] == JG_ATTR_BOOL && n == 1) {
				snprintf(out, cap, "%s", ev->data[off + 2] ? "true" : "false");
			} else {
				snprintf(out, cap, "%.*s", (int)n, (const char *)&ev->data[off + 2]);
			}
			break;
		}
		off += 2u + n;
	}
	return out;
}

const char *
jg_ev_tool(const struct jg_event_rec *ev, char *out, size_t cap)
{
	if (ev->tool == JG_TOOL_CUSTOM && jg_ev_get(ev, JG_ATTR_TOOL, out, cap)[0])
		return out;
	snprintf(out, cap, "%s", ev->tool < JG_TOOL_MAX ? jg_tool_names[ev->tool] : "unknown");
	return out;
}

void
jg_ev_del(struct jg_event_rec *ev, enum jg_attr key)
{
	uint32_t len = ev->data_len < JG_EVENT_DATA_LEN ? ev->data_len : JG_EVENT_DATA_LEN;

	for (uint32_t off = 0; off + 2 <= len && ev->data[off] != JG_ATTR_END;) {
		uint32_t n = 2u + ev->data[off + 1];

		if (off + n > len)
			break;
		if (ev->data[off] == key) {
			memmove(&ev->data[off], &ev->data[off + n], len - off - n);
			len -= n;
			memset(&ev->data[len], 0, n);
			ev->data_len = (uint16_t)len;
			continue;
		}
		off += n;
	}
}

int
jg_ev_discovery(const struct jg_event_rec *ev)
{
	char sev[8];

	return ev->type == JG_EV_RPC_CALL && strcmp(jg_ev_get(ev, JG_ATTR_SEVERITY, sev, sizeof(sev)), "low") == 0;
}
