/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Syslog output without EAL: RFC 5424 messages parsed back here (a hostile
 * file name must come back as one parameter value, never as a field, an
 * element or a second message), severities, octet counting, and the sink over
 * UDP, over TCP, and to a TCP port where nothing listens (never waits).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "jg_config.h"
#include "jg_records.h"
#include "jg_test.h"
#include "sink_priv.h"

/* A parsed message. */
struct msg {
	unsigned int pri;
	char ts[40], host[256], app[64], procid[16], msgid[40], sd_id[40];
	int n_params;
	char name[32][40];
	char value[32][1200];
	const char *text;
	size_t text_len;
};

static int
field(const char **p, const char *end, char *out, size_t cap)
{
	size_t n = 0;

	while (*p < end && **p != ' ') {
		if (n + 1 >= cap)
			return -1;
		out[n++] = *(*p)++;
	}
	out[n] = '\0';
	if (*p >= end)
		return -1;
	(*p)++;
	return 0;
}

/* RFC 5424 with one SD element. @return 0, or -1 when the message does not parse */
static int
parse(const char *s, size_t len, struct msg *m)
{
	const char *p = s, *end = s + len;
	char ver[8];

	memset(m, 0, sizeof(*m));
	if (*p++ != '<')
		return -1;
	m->pri = (unsigned int)strtoul(p, (char **)&p, 10);
	if (*p++ != '>' || field(&p, end, ver, sizeof(ver)) || strcmp(ver, "1") || field(&p, end, m->ts, sizeof(m->ts)) ||
	    field(&p, end, m->host, sizeof(m->host)) || field(&p, end, m->app, sizeof(m->app)) ||
	    field(&p, end, m->procid, sizeof(m->procid)) || field(&p, end, m->msgid, sizeof(m->msgid)))
		return -1;
	if (p >= end || *p++ != '[')
		return -1;
	for (size_t n = 0; p < end && *p != ' ' && *p != ']'; p++)
		if (n + 1 < sizeof(m->sd_id))
			m->sd_id[n++] = *p;
	while (p < end && *p == ' ') {
		size_t n = 0;

		p++;
		while (p < end && *p != '=' && n + 1 < sizeof(m->name[0]))
			m->name[m->n_params][n++] = *p++;
		if (p + 1 >= end || p[0] != '=' || p[1] != '"')
			return -1;
		p += 2;
		n = 0;
		while (p < end && *p != '"') {
			if (*p == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\' || p[1] == ']'))
				p++;
			else if (*p == ']')
				return -1; /* an unescaped ] would end the element */
			if (n + 1 >= sizeof(m->value[0]))
				return -1;
			m->value[m->n_params][n++] = *p++;
		}
		if (p >= end)
			return -1;
		p++;
		if (++m->n_params == 32)
			return -1;
	}
	if (p + 1 >= end || p[0] != ']' || p[1] != ' ')
		return -1;
	m->text = p + 2;
	m->text_len = (size_t)(end - p - 2);
	return 0;
}

static const char *
param(const struct msg *m, const char *name)
{
	for (int i = 0; i < m->n_params; i++)
		if (!strcmp(m->name[i], name))
			return m->value[i];
	return NULL;
}

static struct jg_event_rec ev;
static struct jg_alert alert;
static char json[4096];

/* An alert of the given type whose file name is the wire's choice. */
static void
make_alert(enum jg_event_type type, const char *action, const char *file)
{
	memset(&ev, 0, sizeof(ev));
	ev.type = (uint8_t)type;
	ev.tool = JG_TOOL_PAEXEC;
	ev.ip_version = 4;
	memcpy(ev.src_ip, "\x0a\x14\x1e\x07", 4);
	memcpy(ev.dst_ip, "\x0a\x14\x1e\x28", 4);
	ev.src_port = 51234;
	ev.dst_port = 445;
	ev.proto = 6;
	ev.flow_id = 6;
	ev.ts_ns = 1772442060002200000ull;
	if (file != NULL)
		jg_ev_str(&ev, JG_ATTR_FILE, file);
	jg_ev_uint(&ev, JG_ATTR_ORIGIN_PID, 4242);
	jg_ev_bool(&ev, JG_ATTR_ENCRYPTED, 0);
	if (action != NULL)
		jg_ev_str(&ev, JG_ATTR_ACTION, action);
	memset(&alert, 0, sizeof(alert));
	alert.ev = &ev;
	alert.id = 17;
	alert.count = 1;
	alert.first_ns = alert.last_ns = ev.ts_ns;
	alert.json = json;
	alert.json_len = jg_event_json(&ev, json, sizeof(json));
}

static void
test_param_value(void)
{
	static const char in[] = "a\"b\\c]d\n\x01\xc3\xa9 e";
	char mem[128];
	struct jg_buf b;

	jg_buf_init(&b, mem, sizeof(mem));
	jg_syslog_param_value(&b, in, sizeof(in) - 1);
	CHECK(!strcmp(mem, "a\\\"b\\\\c\\]d\\x0a\\x01\\xc3\\xa9 e"));
}

static void
test_format(void)
{
	static const char hostile[] = "evil\"] x=\"1\" [other@1 a=\"b\"]\r\n<13>1 - - - - - forged\\";
	struct jg_syslog_id id = { .hostname = "sensor-1", .facility = 16, .pid = 321 };
	uint8_t out[9000];
	struct msg m;
	size_t n;

	make_alert(JG_EV_TOOL_ARTIFACT, "alert", hostile);
	n = jg_syslog_format(&id, &alert, out, sizeof(out));
	CHECK(n > 0 && parse((const char *)out, n, &m) == 0);
	CHECK(m.pri == 16 * 8 + 4 && !strcmp(m.ts, "2026-03-02T09:01:00.002200Z"));
	CHECK(!strcmp(m.host, "sensor-1") && !strcmp(m.app, "jumpgate") && !strcmp(m.procid, "321"));
	CHECK(!strcmp(m.msgid, "tool_artifact") && !strcmp(m.sd_id, "jumpgate@32473"));
	CHECK(param(&m, "alert_id") && !strcmp(param(&m, "alert_id"), "17") && !strcmp(param(&m, "count"), "1"));
	CHECK(param(&m, "src_ip") && !strcmp(param(&m, "src_ip"), "10.20.30.7") && !strcmp(param(&m, "dst_port"), "445"));
	CHECK(param(&m, "origin_pid") && !strcmp(param(&m, "origin_pid"), "4242") &&
	      !strcmp(param(&m, "encrypted"), "false") && !strcmp(param(&m, "tool"), "paexec"));
	/* the hostile name is one value; control bytes are \xNN; nothing else appeared */
	CHECK(param(&m, "file") && !strcmp(param(&m, "file"), "evil\"] x=\"1\" [other@1 a=\"b\"]\\x0d\\x0a<13>1 - - - - - forged\\"));
	CHECK(param(&m, "x") == NULL && param(&m, "a") == NULL);
	CHECK(memchr(out, '\n', n) == NULL && memchr(out, '\r', n) == NULL);
	CHECK(m.text_len == alert.json_len && !memcmp(m.text, json, m.text_len));
	/* an update carries the final count at the last occurrence's time */
	alert.update = 1;
	alert.count = 9;
	alert.last_ns += 5000000000ull;
	n = jg_syslog_format(&id, &alert, out, sizeof(out));
	CHECK(n > 0 && parse((const char *)out, n, &m) == 0 && !strcmp(param(&m, "update"), "1") &&
	      !strcmp(param(&m, "count"), "9") && !strcmp(m.ts, "2026-03-02T09:01:05.002200Z"));
	/* TCP: "LEN SP" then exactly LEN bytes */
	id.octet_counting = 1;
	n = jg_syslog_format(&id, &alert, out, sizeof(out));
	{
		char *sp = memchr(out, ' ', 8);
		unsigned long len = strtoul((const char *)out, NULL, 10);

		CHECK(sp != NULL && len == n - (size_t)(sp + 1 - (char *)out) && out[sp + 1 - (char *)out] == '<');
	}
	/* a raw control byte in the JSON cannot split the message */
	id.octet_counting = 0;
	strcpy(json, "{\"a\":\"x\ny\"}");
	alert.json_len = strlen(json);
	n = jg_syslog_format(&id, &alert, out, sizeof(out));
	CHECK(n > 0 && memchr(out, '\n', n) == NULL);
	/* too large for the buffer: refused, not cut */
	CHECK(jg_syslog_format(&id, &alert, out, 100) == 0);
}

static void
test_severity(void)
{
	make_alert(JG_EV_ZONE_VIOLATION, "block", NULL);
	CHECK(jg_syslog_severity(&alert) == 4);
	make_alert(JG_EV_ZONE_VIOLATION, "alert", NULL);
	CHECK(jg_syslog_severity(&alert) == 3);
	make_alert(JG_EV_SERVICE_INSTALL, "alert", NULL);
	CHECK(jg_syslog_severity(&alert) == 4);
	make_alert(JG_EV_SERVICE_INSTALL, "allow", NULL);
	CHECK(jg_syslog_severity(&alert) == 5);
	make_alert(JG_EV_ADMIN_SESSION, "allow", NULL);
	CHECK(jg_syslog_severity(&alert) == 6);
	make_alert(JG_EV_ADMIN_SESSION, NULL, NULL);
	CHECK(jg_syslog_severity(&alert) == 5);
	make_alert(JG_EV_INSPECTION_CUT, NULL, NULL);
	CHECK(jg_syslog_severity(&alert) == 6);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
listener(int type, uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, type, 0);

	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || getsockname(fd, (struct sockaddr *)&sa, &sl) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 4) != 0))
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

static struct jg_sink *
open_sink(int tcp, uint16_t port, uint32_t queue)
{
	static struct jg_config cfg;

	jg_config_defaults(&cfg);
	cfg.out_syslog.enabled = 1;
	cfg.out_syslog.tcp = (uint32_t)tcp;
	cfg.out_syslog.facility_code = 4;
	cfg.out_syslog.queue = queue;
	snprintf(cfg.out_syslog.server, sizeof(cfg.out_syslog.server), "127.0.0.1:%u", port);
	return jg_syslog_open(&cfg);
}

static void
test_sink_udp(void)
{
	uint16_t port = 0;
	int fd = listener(SOCK_DGRAM, &port);
	struct jg_sink *s = open_sink(0, port, 64);
	char buf[9000];
	struct msg m;
	ssize_t n;

	CHECK(fd >= 0 && s != NULL);
	if (s == NULL)
		return;
	make_alert(JG_EV_ZONE_VIOLATION, "block", "x.exe");
	s->alert(s, &alert);
	s->poll(s, jg_unix_ns());
	CHECK(s->st.sent == 1 && s->st.queued == 0 && s->st.connected == 1);
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	CHECK(n > 0 && parse(buf, (size_t)n, &m) == 0 && m.pri == 4 * 8 + 4 && !strcmp(m.msgid, "zone_violation"));
	s->close(s);
	close(fd);
}

static void
test_sink_tcp(void)
{
	uint16_t port = 0;
	int lfd = listener(SOCK_STREAM, &port), cfd;
	struct jg_sink *s = open_sink(1, port, 64);
	char buf[20000];
	size_t got = 0, off = 0;
	int msgs = 0;

	CHECK(lfd >= 0 && s != NULL);
	if (s == NULL)
		return;
	make_alert(JG_EV_ADMIN_SESSION, "allow", "a.exe");
	for (int i = 0; i < 3; i++)
		s->alert(s, &alert);
	for (int i = 0; i < 50 && s->st.sent < 3; i++) {
		s->poll(s, jg_unix_ns());
		usleep(1000);
	}
	CHECK(s->st.sent == 3 && s->st.reconnects == 1 && s->st.connected == 1);
	cfd = accept(lfd, NULL, NULL);
	s->close(s);
	for (;;) {
		ssize_t n = recv(cfd, buf + got, sizeof(buf) - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	/* three frames, each "LEN SP MSG" */
	while (off < got) {
		char *end;
		unsigned long len = strtoul(buf + off, &end, 10);
		struct msg m;

		if (*end != ' ' || (size_t)(end + 1 - buf) + len > got)
			break;
		CHECK(parse(end + 1, len, &m) == 0 && m.pri == 4 * 8 + 6);
		off = (size_t)(end + 1 - buf) + len;
		msgs++;
	}
	CHECK(msgs == 3 && off == got);
	close(cfd);
	close(lfd);
}

/* Nothing listens: every poll returns at once, the queue fills, the rest is dropped and counted. */
static void
test_sink_dead(void)
{
	uint16_t port = 0;
	int lfd = listener(SOCK_STREAM, &port);
	struct jg_sink *s;
	double t0, worst = 0;

	close(lfd); /* the port is free now: connections are refused */
	s = open_sink(1, port, 16);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	make_alert(JG_EV_ADMIN_SESSION, "allow", "a.exe");
	for (int i = 0; i < 100; i++) {
		double t = now_s();

		s->alert(s, &alert);
		s->poll(s, jg_unix_ns() + (uint64_t)i * 100000000ull);
		if (now_s() - t > worst)
			worst = now_s() - t;
	}
	CHECK(worst < 0.05);
	CHECK(s->st.connected == 0 && s->st.sent == 0 && s->st.queued == 16 && s->st.dropped == 84);
	/* back-off: 10 s of polls, a few attempts, not one per poll */
	CHECK(s->st.errors >= 3 && s->st.errors <= 8);
	t0 = now_s();
	s->close(s);
	CHECK(now_s() - t0 < 1.0);
}

int
main(void)
{
	test_param_value();
	test_format();
	test_severity();
	test_sink_udp();
	test_sink_tcp();
	test_sink_dead();
	return jg_test_done();
}
