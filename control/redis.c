/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Alerts (and optionally flow records) to Redis Streams: one
 *   XADD <stream> MAXLEN ~ <n> * event <json> type <t> src <ip> dst <ip> ...
 * per alert, in RESP over a non-blocking TCP connection. Replies are read as
 * they come and counted, never waited for: an error reply (WRONGTYPE, NOAUTH,
 * OOM) is an error in the output's counters, the first of each connection is
 * printed. RESP bulk strings carry their length, so no byte of a JSON line
 * can be taken for a command. Delivery is at most once: commands written to a
 * connection that then breaks are not sent again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jg_config.h"
#include "sink_priv.h"

#define REDIS_MSG_MAX 16384
#define RESP_DEPTH 4

size_t
jg_resp_command(uint8_t *out, size_t cap, int argc, const char *const *argv, const size_t *lens)
{
	struct jg_buf b;

	jg_buf_init(&b, (char *)out, cap);
	jg_buf_printf(&b, "*%d\r\n", argc);
	for (int i = 0; i < argc; i++) {
		jg_buf_printf(&b, "$%zu\r\n", lens[i]);
		jg_buf_put(&b, argv[i], lens[i]);
		jg_buf_put(&b, "\r\n", 2);
	}
	return jg_buf_ok(&b) ? b.len : 0;
}

/* "<digits>\r\n" at p (after the type byte): the number and where the line ends. */
static long
resp_line(const uint8_t *p, size_t n, long long *val)
{
	const uint8_t *nl = memchr(p, '\n', n);
	long long v = 0;
	size_t i = 0;
	int neg = 0;

	if (nl == NULL)
		return 0;
	if (nl == p || nl[-1] != '\r')
		return -1;
	if (val != NULL) {
		if (p[0] == '-') {
			neg = 1;
			i = 1;
		}
		if (p + i == nl - 1)
			return -1;
		for (; p + i < nl - 1; i++) {
			if (p[i] < '0' || p[i] > '9' || v > 1000000000)
				return -1;
			v = v * 10 + (p[i] - '0');
		}
		*val = neg ? -v : v;
	}
	return (long)(nl - p) + 1;
}

static long
resp_reply(const uint8_t *p, size_t n, int *is_error, int depth)
{
	long long v;
	long h, total;

	if (n == 0)
		return 0;
	if (depth > RESP_DEPTH)
		return -1;
	switch (p[0]) {
	case '-':
		*is_error = 1;
		/* fall through */
	case '+':
		h = resp_line(p + 1, n - 1, NULL);
		return h <= 0 ? h : h + 1;
	case ':':
		h = resp_line(p + 1, n - 1, &v);
		return h <= 0 ? h : h + 1;
	case '$':
		h = resp_line(p + 1, n - 1, &v);
		if (h <= 0 || v < 0)
			return h <= 0 ? h : (v == -1 ? h + 1 : -1);
		total = h + 1 + (long)v + 2;
		if ((size_t)total > n)
			return 0;
		return p[total - 2] == '\r' && p[total - 1] == '\n' ? total : -1;
	case '*':
		h = resp_line(p + 1, n - 1, &v);
		if (h <= 0 || v < 0)
			return h <= 0 ? h : (v == -1 ? h + 1 : -1);
		total = h + 1;
		for (long long i = 0; i < v; i++) {
			int err = 0;
			long e = resp_reply(p + total, n - (size_t)total, &err, depth + 1);

			if (e <= 0)
				return e;
			total += e;
		}
		return total;
	default:
		return -1;
	}
}

long
jg_resp_reply(const uint8_t *p, size_t n, int *is_error)
{
	*is_error = 0;
	return resp_reply(p, n, is_error, 0);
}

struct redis_sink {
	struct jg_sink s;
	struct jg_conn conn;
	struct jg_sq q;
	const struct jg_cfg_redis *cfg;
	char maxlen[16];
	uint64_t written; /**< commands written on this connection (AUTH included) */
	uint64_t replies; /**< replies read on this connection */
	int told;         /**< an error reply of this connection was printed */
	int bad;          /**< the reply stream is garbage: reconnect */
	uint8_t msg[REDIS_MSG_MAX];
};

static void
redis_connected(void *ctx)
{
	struct redis_sink *r = ctx;

	r->written = r->conn.hello_len ? 1 : 0;
	r->replies = 0;
	r->told = 0;
}

static void
redis_written(void *ctx, const struct jg_sq_msg *m)
{
	struct redis_sink *r = ctx;

	(void)m;
	r->written++;
}

static size_t
redis_input(void *ctx, const uint8_t *p, size_t n)
{
	struct redis_sink *r = ctx;
	size_t used = 0;

	while (used < n) {
		int err;
		long len = jg_resp_reply(p + used, n - used, &err);

		if (len == 0)
			break;
		if (len < 0) {
			r->bad = 1;
			return n;
		}
		r->replies++;
		if (err) {
			r->s.st.errors++;
			if (!r->told++)
				fprintf(stderr, "jg-control: output.redis: %.*s\n", (int)(len > 202 ? 200 : len - 2),
					(const char *)p + used + 1);
		}
		used += (size_t)len;
	}
	return used;
}

static const struct jg_conn_ops redis_ops = { NULL, redis_written, redis_connected, redis_input };

static void
push(struct redis_sink *r, int argc, const char *const *argv, const size_t *lens)
{
	size_t n = jg_resp_command(r->msg, sizeof(r->msg), argc, argv, lens);

	if (n == 0) {
		r->s.st.errors++;
		r->s.st.dropped++;
	} else if (jg_sq_push(&r->q, r->msg, n, 1) == NULL) {
		r->s.st.dropped++;
	}
	r->s.st.queued = r->q.records;
}

#define ARG(s) argv[argc] = (s), lens[argc] = strlen(argv[argc]), argc++

static void
redis_alert(struct jg_sink *s, const struct jg_alert *a)
{
	struct redis_sink *r = (struct redis_sink *)s;
	const struct jg_event_rec *ev = a->ev;
	char src[64], dst[64], id[24], count[24];
	const char *argv[20];
	size_t lens[20];
	int argc = 0;

	snprintf(id, sizeof(id), "%llu", (unsigned long long)a->id);
	snprintf(count, sizeof(count), "%llu", (unsigned long long)a->count);
	ARG("XADD");
	ARG(r->cfg->stream);
	ARG("MAXLEN");
	ARG("~");
	ARG(r->maxlen);
	ARG("*");
	ARG("event");
	argv[argc] = a->json;
	lens[argc++] = a->json_len;
	ARG("type");
	ARG(ev->type < JG_EV_MAX && ev->type != JG_EV_NONE ? jg_event_names[ev->type] : "unknown");
	ARG("src");
	ARG(jg_fmt_ip(src, sizeof(src), ev->src_ip, ev->ip_version));
	ARG("dst");
	ARG(jg_fmt_ip(dst, sizeof(dst), ev->dst_ip, ev->ip_version));
	ARG("alert_id");
	ARG(id);
	ARG("count");
	ARG(count);
	if (a->update) {
		ARG("update");
		ARG("1");
	}
	push(r, argc, argv, lens);
}

static void
redis_flow(struct jg_sink *s, const struct jg_flow_rec *fr, const char *json, size_t json_len)
{
	struct redis_sink *r = (struct redis_sink *)s;
	char src[64], dst[64];
	const char *argv[12];
	size_t lens[12];
	int argc = 0;

	ARG("XADD");
	ARG(r->cfg->flows_stream);
	ARG("MAXLEN");
	ARG("~");
	ARG(r->maxlen);
	ARG("*");
	ARG("flow");
	argv[argc] = json;
	lens[argc++] = json_len;
	ARG("src");
	ARG(jg_fmt_ip(src, sizeof(src), fr->src_ip, fr->ip_version));
	ARG("dst");
	ARG(jg_fmt_ip(dst, sizeof(dst), fr->dst_ip, fr->ip_version));
	push(r, argc, argv, lens);
}

static void
redis_poll(struct jg_sink *s, uint64_t now_ns)
{
	struct redis_sink *r = (struct redis_sink *)s;

	jg_conn_poll(&r->conn, &r->q, now_ns);
	if (r->bad) {
		fprintf(stderr, "jg-control: output.redis: a reply that is not RESP; reconnecting\n");
		r->bad = 0;
		jg_conn_fail(&r->conn, now_ns);
	}
}

static int
redis_done(void *ctx)
{
	const struct redis_sink *r = ctx;

	return r->replies >= r->written || r->bad;
}

static void
redis_close(struct jg_sink *s)
{
	struct redis_sink *r = (struct redis_sink *)s;

	jg_conn_finish(&r->conn, &r->q, JG_SINK_CLOSE_NS, redis_done);
	free(r);
}

struct jg_sink *
jg_redis_open(const struct jg_config *cfg)
{
	const struct jg_cfg_redis *c = &cfg->out_redis;
	struct redis_sink *r = calloc(1, sizeof(*r));
	char err[320];

	if (r == NULL || jg_sq_init(&r->q, c->queue) != 0) {
		fprintf(stderr, "jg-control: output.redis: no memory for a queue of %u\n", c->queue);
		free(r);
		return NULL;
	}
	if (jg_conn_init(&r->conn, "redis", c->server, 1, &r->s.st, &redis_ops, r, err, sizeof(err)) != 0) {
		fprintf(stderr, "jg-control: output.redis.server: %s\n", err);
		jg_sq_free(&r->q);
		free(r);
		return NULL;
	}
	r->cfg = c;
	snprintf(r->maxlen, sizeof(r->maxlen), "%u", c->maxlen);
	if (c->password[0] != '\0') {
		const char *argv[2] = { "AUTH", c->password };
		size_t lens[2] = { 4, strlen(c->password) };

		r->conn.hello_len = (uint32_t)jg_resp_command(r->conn.hello, sizeof(r->conn.hello), 2, argv, lens);
	}
	r->s.name = "redis";
	r->s.alert = redis_alert;
	r->s.flow = c->flows_stream[0] != '\0' ? redis_flow : NULL;
	r->s.poll = redis_poll;
	r->s.close = redis_close;
	return &r->s;
}
