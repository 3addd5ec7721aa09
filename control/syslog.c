/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Alerts to a syslog server as RFC 5424 messages, over UDP (RFC 5426, one
 * message per datagram) or TCP (RFC 6587 octet counting):
 *
 *   <PRI>1 TIMESTAMP HOSTNAME jumpgate PROCID MSGID [jumpgate@32473 k="v" ...] JSON
 *
 * Every value in the structured data may come from the wire (file names, user
 * names): `"`, `\` and `]` are escaped as RFC 5424 says, and control and
 * non-ASCII bytes are written as \xNN so nothing can end a parameter, an
 * element or the message early.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jg_config.h"
#include "jg_records.h"
#include "sink_priv.h"

/* rsyslog's and syslog-ng's default largest message; RFC 5424 receivers SHOULD take 2048. */
#define SYSLOG_MAX 8192
/* RFC 5612's documentation enterprise number: Jumpgate has none of its own yet. */
#define SD_ID "jumpgate@32473"

enum { SEV_ERR = 3, SEV_WARNING = 4, SEV_NOTICE = 5, SEV_INFO = 6 };

unsigned int
jg_syslog_severity(const struct jg_alert *a)
{
	char action[16];
	int allowed, blocked;

	jg_ev_get(a->ev, JG_ATTR_ACTION, action, sizeof(action));
	allowed = !strcmp(action, "allow");
	blocked = !strcmp(action, "block");
	switch (a->ev->type) {
	case JG_EV_ZONE_VIOLATION:
		/* Blocked: stopped, someone should look. Alerted: it went through. */
		return blocked ? SEV_WARNING : SEV_ERR;
	case JG_EV_TOOL_ARTIFACT:
	case JG_EV_SERVICE_INSTALL:
	case JG_EV_SERVICE_CHANGE:
	case JG_EV_TASK_CREATE:
	case JG_EV_WMI_EXEC:
		return allowed ? SEV_NOTICE : SEV_WARNING;
	case JG_EV_ADMIN_SESSION:
	case JG_EV_WINRM_SESSION:
	case JG_EV_RDP_SESSION:
		return allowed ? SEV_INFO : SEV_NOTICE;
	case JG_EV_LOGON_FAILURE:
		return SEV_NOTICE;
	case JG_EV_EVASION:
		return SEV_WARNING; /* someone is working at not being seen */
	case JG_EV_RPC_CALL:
		/* discovery is what every Explorer window does too */
		if (jg_ev_discovery(a->ev))
			return SEV_INFO;
		return allowed ? SEV_NOTICE : SEV_WARNING;
	default:
		return SEV_INFO;
	}
}

void
jg_syslog_param_value(struct jg_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char esc[4] = { '\\', 'x', 0, 0 };

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\' || c == ']') {
			char e[2] = { '\\', (char)c };

			jg_buf_put(b, e, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 15];
			jg_buf_put(b, esc, 4);
		} else {
			jg_buf_put(b, &s[i], 1);
		}
	}
}

static void
param(struct jg_buf *b, const char *name, const char *v, size_t n)
{
	jg_buf_printf(b, " %s=\"", name);
	jg_syslog_param_value(b, v, n);
	jg_buf_put(b, "\"", 1);
}

static void
param_u(struct jg_buf *b, const char *name, unsigned long long v)
{
	jg_buf_printf(b, " %s=\"%llu\"", name, v);
}

/* The event's attributes, each as a parameter named by its JSON key. */
static void
attr_params(struct jg_buf *b, const struct jg_event_rec *ev)
{
	uint32_t len = ev->data_len < JG_EVENT_DATA_LEN ? ev->data_len : JG_EVENT_DATA_LEN;
	uint32_t off = 0;

	while (off + 2 <= len && ev->data[off] != JG_ATTR_END) {
		uint8_t key = ev->data[off], n = ev->data[off + 1];
		const uint8_t *v = &ev->data[off + 2];

		if (key >= JG_ATTR_MAX || off + 2u + n > len)
			break;
		if (key == JG_ATTR_TOOL) {
			/* the tool's name, said once with the header's parameters */
		} else if (jg_attr_kinds[key] == JG_ATTR_UINT && n == 8) {
			uint64_t x;

			memcpy(&x, v, 8);
			param_u(b, jg_attr_names[key], (unsigned long long)x);
		} else if (jg_attr_kinds[key] == JG_ATTR_BOOL && n == 1) {
			jg_buf_printf(b, " %s=\"%s\"", jg_attr_names[key], v[0] ? "true" : "false");
		} else {
			param(b, jg_attr_names[key], (const char *)v, n);
		}
		off += 2u + n;
	}
}

size_t
jg_syslog_format(const struct jg_syslog_id *id, const struct jg_alert *a, uint8_t *out, size_t cap)
{
	const struct jg_event_rec *ev = a->ev;
	uint64_t ts = a->update ? a->last_ns : a->first_ns;
	char t[32], src[64], dst[64], lenp[12], tool[64];
	size_t start, n;
	struct jg_buf b;
	int plen = 0;

	if (cap < 32)
		return 0;
	if (ts == 0)
		ts = ev->ts_ns;
	jg_fmt_time(t, sizeof(t), ts);
	/* Room for "LEN " in front, filled in once the length is known. */
	start = id->octet_counting ? 8 : 0;
	jg_buf_init(&b, (char *)out + start, cap - start);
	jg_buf_printf(&b, "<%u>1 %s %s jumpgate %u %s [" SD_ID, id->facility * 8 + jg_syslog_severity(a), t,
		      id->hostname[0] ? id->hostname : "-", id->pid,
		      ev->type < JG_EV_MAX && ev->type != JG_EV_NONE ? jg_event_names[ev->type] : "unknown");
	param_u(&b, "alert_id", (unsigned long long)a->id);
	param_u(&b, "count", (unsigned long long)a->count);
	if (a->update)
		param_u(&b, "update", 1);
	jg_fmt_ip(src, sizeof(src), ev->src_ip, ev->ip_version);
	jg_fmt_ip(dst, sizeof(dst), ev->dst_ip, ev->ip_version);
	param(&b, "src_ip", src, strlen(src));
	param_u(&b, "src_port", ev->src_port);
	param(&b, "dst_ip", dst, strlen(dst));
	param_u(&b, "dst_port", ev->dst_port);
	param_u(&b, "proto", ev->proto);
	jg_ev_tool(ev, tool, sizeof(tool));
	param(&b, "tool", tool, strlen(tool));
	param_u(&b, "flow_id", (unsigned long long)ev->flow_id);
	attr_params(&b, ev);
	jg_buf_put(&b, "] ", 2);
	n = b.len;
	jg_buf_put(&b, a->json, a->json_len);
	if (!jg_buf_ok(&b))
		return 0;
	/* The JSON is escaped already; a control byte that slipped in must not end the message. */
	for (size_t i = n; i < b.len; i++)
		if ((unsigned char)b.p[i] < 0x20 || b.p[i] == 0x7f)
			b.p[i] = ' ';
	if (!id->octet_counting)
		return b.len;
	plen = snprintf(lenp, sizeof(lenp), "%zu ", b.len);
	memcpy(out + start - (size_t)plen, lenp, (size_t)plen);
	memmove(out, out + start - (size_t)plen, b.len + (size_t)plen);
	return b.len + (size_t)plen;
}

struct syslog_sink {
	struct jg_sink s;
	struct jg_syslog_id id;
	struct jg_conn conn;
	struct jg_sq q;
	uint8_t msg[SYSLOG_MAX + 16];
};

static void
syslog_alert(struct jg_sink *s, const struct jg_alert *a)
{
	struct syslog_sink *sl = (struct syslog_sink *)s;
	size_t n = jg_syslog_format(&sl->id, a, sl->msg, sizeof(sl->msg));

	if (n == 0) {
		s->st.errors++;
		s->st.dropped++;
	} else if (jg_sq_push(&sl->q, sl->msg, n, 1) == NULL) {
		s->st.dropped++;
	}
	s->st.queued = sl->q.records;
}

static void
syslog_poll(struct jg_sink *s, uint64_t now_ns)
{
	struct syslog_sink *sl = (struct syslog_sink *)s;

	jg_conn_poll(&sl->conn, &sl->q, now_ns);
}

static void
syslog_close(struct jg_sink *s)
{
	struct syslog_sink *sl = (struct syslog_sink *)s;

	jg_conn_finish(&sl->conn, &sl->q, JG_SINK_CLOSE_NS, NULL);
	free(sl);
}

static const struct jg_conn_ops syslog_ops = { NULL, NULL, NULL, NULL };

struct jg_sink *
jg_syslog_open(const struct jg_config *cfg)
{
	const struct jg_cfg_syslog *c = &cfg->out_syslog;
	struct syslog_sink *sl = calloc(1, sizeof(*sl));
	char err[320];
	size_t k = 0;

	if (sl == NULL || jg_sq_init(&sl->q, c->queue) != 0) {
		fprintf(stderr, "jg-control: output.syslog: no memory for a queue of %u\n", c->queue);
		free(sl);
		return NULL;
	}
	if (jg_conn_init(&sl->conn, "syslog", c->server, (int)c->tcp, &sl->s.st, &syslog_ops, sl, err,
			 sizeof(err)) != 0) {
		fprintf(stderr, "jg-control: output.syslog.server: %s\n", err);
		jg_sq_free(&sl->q);
		free(sl);
		return NULL;
	}
	sl->s.name = "syslog";
	sl->s.alert = syslog_alert;
	sl->s.poll = syslog_poll;
	sl->s.close = syslog_close;
	sl->id.facility = c->facility_code;
	sl->id.pid = (unsigned int)getpid();
	sl->id.octet_counting = (int)c->tcp;
	/* RFC 5424 HOSTNAME: printable US-ASCII, no spaces, at most 255. */
	if (gethostname(sl->id.hostname, sizeof(sl->id.hostname) - 1) != 0)
		sl->id.hostname[0] = '\0';
	for (const char *h = sl->id.hostname; *h && k < 255; h++)
		if (*h > 0x20 && *h < 0x7f)
			sl->id.hostname[k++] = *h;
	sl->id.hostname[k] = '\0';
	return &sl->s;
}
