/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow records as IPFIX (RFC 7011) over UDP. A Jumpgate flow is bidirectional
 * (src is the initiator); it is exported as one RFC 5103 biflow record
 * (reverse counters under enterprise 29305, biflowDirection = initiator), or,
 * with biflow off, as one record per direction, the reverse one left out when
 * the responder sent nothing. Zones, services, the policy's action and the
 * sensor's name go as variable-length strings under Jumpgate's enterprise
 * number (the observation domain is output.ipfix.domain_id: one per sensor).
 *
 * Templates (ids 256-259) go in a message of their own at start and every
 * template_refresh seconds. Data records are batched into messages of at most
 * 1400 bytes; the header's sequence number, the count of data records sent
 * before it, and its export time are written when the message leaves.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jg_config.h"
#include "jg_policy.h"
#include "sink_priv.h"

/* An IE: (enterprise, id, length); length 0xFFFF is variable. */
struct ie {
	uint32_t pen;
	uint16_t id;
	uint16_t len;
};

#define STD(id, len) { 0, id, len }
#define REV(id, len) { JG_IPFIX_PEN_REVERSE, id, len }
#define JG(id) { JG_IPFIX_PEN, id, 0xFFFF }

#define COMMON_TAIL                                                                                \
	STD(7, 2), STD(11, 2), STD(4, 1), STD(6, 2), STD(58, 2), STD(136, 1), STD(152, 8), STD(153, 8), \
		STD(1, 8), STD(2, 8), STD(148, 8)
#define BIFLOW_TAIL STD(239, 1), REV(1, 8), REV(2, 8), REV(6, 2)
#define JG_TAIL JG(JG_IE_SRC_ZONE), JG(JG_IE_DST_ZONE), JG(JG_IE_SERVICES), JG(JG_IE_ACTION), JG(JG_IE_SENSOR)

static const struct ie tpl_v4_bi[] = { STD(8, 4), STD(12, 4), COMMON_TAIL, BIFLOW_TAIL, JG_TAIL };
static const struct ie tpl_v6_bi[] = { STD(27, 16), STD(28, 16), COMMON_TAIL, BIFLOW_TAIL, JG_TAIL };
static const struct ie tpl_v4_uni[] = { STD(8, 4), STD(12, 4), COMMON_TAIL, JG_TAIL };
static const struct ie tpl_v6_uni[] = { STD(27, 16), STD(28, 16), COMMON_TAIL, JG_TAIL };

static const struct {
	uint16_t id;
	const struct ie *f;
	uint16_t n;
} templates[] = {
	{ JG_IPFIX_TPL_V4_BIFLOW, tpl_v4_bi, sizeof(tpl_v4_bi) / sizeof(tpl_v4_bi[0]) },
	{ JG_IPFIX_TPL_V6_BIFLOW, tpl_v6_bi, sizeof(tpl_v6_bi) / sizeof(tpl_v6_bi[0]) },
	{ JG_IPFIX_TPL_V4, tpl_v4_uni, sizeof(tpl_v4_uni) / sizeof(tpl_v4_uni[0]) },
	{ JG_IPFIX_TPL_V6, tpl_v6_uni, sizeof(tpl_v6_uni) / sizeof(tpl_v6_uni[0]) },
};

static uint8_t *
be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
be32(uint8_t *p, uint32_t v)
{
	return be16(be16(p, (uint16_t)(v >> 16)), (uint16_t)v);
}

static uint8_t *
be64(uint8_t *p, uint64_t v)
{
	return be32(be32(p, (uint32_t)(v >> 32)), (uint32_t)v);
}

size_t
jg_ipfix_template_set(uint8_t *out, size_t cap, int biflow)
{
	uint8_t *p = out + 4;

	for (size_t t = biflow ? 0 : 2; t < (biflow ? 2u : 4u); t++) {
		if ((size_t)(p - out) + 4 + templates[t].n * 8u > cap)
			return 0;
		p = be16(be16(p, templates[t].id), templates[t].n);
		for (uint16_t i = 0; i < templates[t].n; i++) {
			const struct ie *f = &templates[t].f[i];

			p = be16(be16(p, (uint16_t)(f->id | (f->pen ? 0x8000 : 0))), f->len);
			if (f->pen)
				p = be32(p, f->pen);
		}
	}
	be16(be16(out, 2), (uint16_t)(p - out));
	return (size_t)(p - out);
}

void
jg_ipfix_header(uint8_t *msg, uint16_t len, uint32_t export_s, uint32_t seq, uint32_t domain)
{
	be32(be32(be32(be16(be16(msg, 10), len), export_s), seq), domain);
}

/* RFC 5102 flowEndReason: idle 1, active 2, end detected 3, forced end 4, lack of resources 5. */
static uint8_t
end_reason(uint8_t r)
{
	switch (r) {
	case JG_FLOW_END_IDLE: return 1;
	case JG_FLOW_END_ACTIVE: return 2;
	case JG_FLOW_END_CLOSED: return 3;
	case JG_FLOW_END_EVICTED: return 5;
	default: return 4;
	}
}

static uint8_t *
varlen(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	if (n < 255) {
		*p++ = (uint8_t)n;
	} else {
		*p++ = 255;
		p = be16(p, (uint16_t)n);
	}
	memcpy(p, s, n);
	return p + n;
}

size_t
jg_ipfix_record(uint8_t *out, size_t cap, const struct jg_flow_rec *fr, const struct jg_policy *pol, const char *sensor,
		int biflow, int reverse, uint16_t *tpl)
{
	const struct ie *f;
	size_t t = (biflow ? 0 : 2) + (fr->ip_version == 6);
	const char *zs = "unknown", *zd = "unknown", *action = "";
	char services[JG_IPFIX_SERVICES_MAX + 1] = "";
	size_t need = 0, sl = 0;
	uint8_t *p = out;
	/* An ICMP flow is keyed by its echo identifier, which is no transport port: a collector would
	 * read destinationTransportPort as ICMP type and code. */
	int icmp = fr->proto == 1 || fr->proto == 58;
	uint16_t sport = icmp ? 0 : fr->src_port, dport = icmp ? 0 : fr->dst_port;

	if (pol != NULL) {
		if (fr->src_zone < pol->n_zones)
			zs = pol->zones[fr->src_zone];
		if (fr->dst_zone < pol->n_zones)
			zd = pol->zones[fr->dst_zone];
		for (uint32_t i = 0; i < pol->n_services && i < 32; i++)
			if ((fr->services & (1u << i)) && sl + strlen(pol->services[i].name) + 1 < sizeof(services))
				sl += (size_t)snprintf(services + sl, sizeof(services) - sl, "%s%s", sl ? "," : "",
						       pol->services[i].name);
	}
	if (fr->services != 0)
		action = fr->action < 3 ? jg_action_names[fr->action] : "unknown";
	if (reverse) {
		const char *z = zs;

		zs = zd;
		zd = z;
	}
	for (uint16_t i = 0; i < templates[t].n; i++)
		need += templates[t].f[i].len != 0xFFFF ? templates[t].f[i].len : 3;
	if (sensor == NULL)
		sensor = "";
	need += strlen(zs) + strlen(zd) + strlen(services) + strlen(action) + strlen(sensor);
	if (need > cap)
		return 0;
	*tpl = templates[t].id;
	for (uint16_t i = 0; i < templates[t].n; i++) {
		f = &templates[t].f[i];
		if (f->pen == JG_IPFIX_PEN) {
			const char *s = f->id == JG_IE_SRC_ZONE ? zs :
					f->id == JG_IE_DST_ZONE ? zd :
					f->id == JG_IE_SERVICES ? services :
					f->id == JG_IE_SENSOR ? sensor : action;

			p = varlen(p, s);
			continue;
		}
		switch ((f->pen ? 0x10000u : 0) | f->id) {
		case 8: case 27:
			memcpy(p, reverse ? fr->dst_ip : fr->src_ip, f->len);
			p += f->len;
			break;
		case 12: case 28:
			memcpy(p, reverse ? fr->src_ip : fr->dst_ip, f->len);
			p += f->len;
			break;
		case 7: p = be16(p, reverse ? dport : sport); break;
		case 11: p = be16(p, reverse ? sport : dport); break;
		case 4: *p++ = fr->proto; break;
		case 6: p = be16(p, reverse ? fr->tcp_flags_rev : fr->tcp_flags_fwd); break;
		case 58: p = be16(p, fr->vlan); break;
		case 136: *p++ = end_reason(fr->end_reason); break;
		case 152: p = be64(p, fr->first_ns / 1000000u); break;
		case 153: p = be64(p, fr->last_ns / 1000000u); break;
		case 1: p = be64(p, reverse ? fr->bytes_rev : fr->bytes_fwd); break;
		case 2: p = be64(p, reverse ? fr->pkts_rev : fr->pkts_fwd); break;
		case 148: p = be64(p, fr->flow_id); break;
		case 239: *p++ = 1; break; /* biflowDirection: the source is the initiator */
		case 0x10000u | 1: p = be64(p, fr->bytes_rev); break;
		case 0x10000u | 2: p = be64(p, fr->pkts_rev); break;
		case 0x10000u | 6: p = be16(p, fr->tcp_flags_rev); break;
		default: return 0;
		}
	}
	return (size_t)(p - out);
}

void
jg_ipfix_msg_reset(struct jg_ipfix_msg *m)
{
	m->len = JG_IPFIX_HDR;
	m->set_off = 0;
	m->set_id = 0;
	m->records = 0;
	m->flows = 0;
}

int
jg_ipfix_msg_add(struct jg_ipfix_msg *m, uint16_t tpl, const uint8_t *rec, size_t n, uint32_t records)
{
	size_t set_hdr = m->set_off != 0 && m->set_id == tpl ? 0 : 4;

	if (m->len + set_hdr + n > JG_IPFIX_MTU)
		return -ENOSPC;
	if (set_hdr) {
		jg_ipfix_msg_end(m);
		m->set_off = m->len;
		m->set_id = tpl;
		be16(m->buf + m->len, tpl);
		m->len += 4;
	}
	memcpy(m->buf + m->len, rec, n);
	m->len += n;
	m->records += records;
	m->flows++;
	return 0;
}

size_t
jg_ipfix_msg_end(struct jg_ipfix_msg *m)
{
	if (m->set_off != 0)
		be16(m->buf + m->set_off + 2, (uint16_t)(m->len - m->set_off));
	m->set_off = 0;
	m->set_id = 0;
	return m->len;
}

struct ipfix_sink {
	struct jg_sink s;
	struct jg_conn conn;
	struct jg_sq q;
	const struct jg_cfg_ipfix *cfg;
	const char *sensor;   /**< sensor.name, in every record (Jumpgate IE 5) */
	struct jg_ipfix_msg cur;
	uint64_t cur_since_ns;
	uint32_t seq;         /**< data records sent */
	uint64_t tpl_due_ns;  /**< when the templates go again (0: at once) */
	uint8_t tpl[JG_CONN_HELLO - JG_IPFIX_HDR];
	size_t tpl_len;
};

#define BATCH_NS 100000000ull /* a message waits for more records 0.1 s at most */

static void
ipfix_prepare(void *ctx, struct jg_sq_msg *m)
{
	struct ipfix_sink *x = ctx;

	jg_ipfix_header(m->data, (uint16_t)m->len, (uint32_t)(jg_unix_ns() / 1000000000u), x->seq, x->cfg->domain_id);
}

static void
ipfix_written(void *ctx, const struct jg_sq_msg *m)
{
	struct ipfix_sink *x = ctx;

	x->seq += m->tag;
}

static const struct jg_conn_ops ipfix_ops = { ipfix_prepare, ipfix_written, NULL, NULL };

static void
flush_cur(struct ipfix_sink *x)
{
	struct jg_sq_msg *m;

	if (x->cur.flows == 0)
		return;
	jg_ipfix_msg_end(&x->cur);
	m = jg_sq_push(&x->q, x->cur.buf, x->cur.len, x->cur.flows);
	if (m != NULL)
		m->tag = x->cur.records;
	else
		x->s.st.dropped += x->cur.flows;
	jg_ipfix_msg_reset(&x->cur);
	x->s.st.queued = x->q.records;
}

static void
ipfix_flow(struct jg_sink *s, const struct jg_flow_rec *fr, const char *json, size_t json_len)
{
	struct ipfix_sink *x = (struct ipfix_sink *)s;
	uint8_t rec[2 * JG_IPFIX_RECORD_MAX];
	uint16_t tpl;
	size_t n;
	uint32_t nrec = 1;

	(void)json;
	(void)json_len;
	if (x->q.records + x->cur.flows + 1 > x->q.cap) {
		s->st.dropped++;
		return;
	}
	n = jg_ipfix_record(rec, JG_IPFIX_RECORD_MAX, fr, s->pol, x->sensor, (int)x->cfg->biflow, 0, &tpl);
	if (n != 0 && !x->cfg->biflow && fr->pkts_rev != 0) {
		size_t r = jg_ipfix_record(rec + n, JG_IPFIX_RECORD_MAX, fr, s->pol, x->sensor, 0, 1, &tpl);

		n = r ? n + r : 0;
		nrec = 2;
	}
	if (n == 0) {
		s->st.errors++;
		s->st.dropped++;
		return;
	}
	if (jg_ipfix_msg_add(&x->cur, tpl, rec, n, nrec) != 0) {
		flush_cur(x);
		if (jg_ipfix_msg_add(&x->cur, tpl, rec, n, nrec) != 0) {
			s->st.errors++; /* larger than a message: a very long list of services */
			s->st.dropped++;
			return;
		}
	}
	if (x->cur.flows == 1)
		x->cur_since_ns = jg_unix_ns();
}

static void
arm_templates(struct ipfix_sink *x, uint64_t now_ns)
{
	struct jg_conn *c = &x->conn;

	c->hello_len = (uint32_t)(JG_IPFIX_HDR + x->tpl_len);
	c->hello_off = 0;
	memcpy(c->hello + JG_IPFIX_HDR, x->tpl, x->tpl_len);
	jg_ipfix_header(c->hello, (uint16_t)c->hello_len, (uint32_t)(now_ns / 1000000000u), x->seq, x->cfg->domain_id);
	x->tpl_due_ns = now_ns + (uint64_t)x->cfg->template_refresh * 1000000000ull;
}

static void
ipfix_poll(struct jg_sink *s, uint64_t now_ns)
{
	struct ipfix_sink *x = (struct ipfix_sink *)s;

	if (x->cur.flows != 0 && now_ns - x->cur_since_ns >= BATCH_NS)
		flush_cur(x);
	if (now_ns >= x->tpl_due_ns)
		arm_templates(x, now_ns);
	jg_conn_poll(&x->conn, &x->q, now_ns);
}

static void
ipfix_close(struct jg_sink *s)
{
	struct ipfix_sink *x = (struct ipfix_sink *)s;

	flush_cur(x);
	if (x->tpl_due_ns == 0)
		arm_templates(x, jg_unix_ns());
	jg_conn_finish(&x->conn, &x->q, JG_SINK_CLOSE_NS, NULL);
	free(x);
}

struct jg_sink *
jg_ipfix_open(const struct jg_config *cfg, const struct jg_policy *pol)
{
	const struct jg_cfg_ipfix *c = &cfg->out_ipfix;
	struct ipfix_sink *x = calloc(1, sizeof(*x));
	char err[320];

	if (x == NULL || jg_sq_init(&x->q, c->queue) != 0) {
		fprintf(stderr, "jg-control: output.ipfix: no memory for a queue of %u\n", c->queue);
		free(x);
		return NULL;
	}
	if (jg_conn_init(&x->conn, "ipfix", c->collector, 0, &x->s.st, &ipfix_ops, x, err, sizeof(err)) != 0) {
		fprintf(stderr, "jg-control: output.ipfix.collector: %s\n", err);
		jg_sq_free(&x->q);
		free(x);
		return NULL;
	}
	x->cfg = c;
	x->sensor = cfg->sensor_name;
	x->tpl_len = jg_ipfix_template_set(x->tpl, sizeof(x->tpl), (int)c->biflow);
	jg_ipfix_msg_reset(&x->cur);
	x->s.name = "ipfix";
	x->s.flow = ipfix_flow;
	x->s.poll = ipfix_poll;
	x->s.close = ipfix_close;
	x->s.pol = pol;
	return &x->s;
}
