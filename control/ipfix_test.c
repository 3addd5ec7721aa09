/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX export without EAL: messages are decoded here byte by byte, with the
 * templates they announce, and every field compared with the flow record;
 * then the sink itself sends to a UDP socket of this test (templates first,
 * sequence numbers counting data records).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jg_config.h"
#include "jg_policy_load.h"
#include "jg_test.h"
#include "sink_priv.h"

struct field {
	uint32_t pen;
	uint16_t id, len;
};

struct tpl {
	uint16_t id, n;
	struct field f[32];
};

/* One decoded value: a number, or bytes (addresses, strings). */
struct value {
	uint32_t pen;
	uint16_t id;
	uint16_t len;
	uint64_t num;
	uint8_t bytes[600];
};

struct rec {
	uint16_t tpl;
	int n;
	struct value v[32];
};

static struct tpl tpls[8];
static int n_tpls;
static struct rec recs[64];
static int n_recs;

static uint16_t
g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
g32(const uint8_t *p)
{
	return (uint32_t)g16(p) << 16 | g16(p + 2);
}

static const struct tpl *
find_tpl(uint16_t id)
{
	for (int i = 0; i < n_tpls; i++)
		if (tpls[i].id == id)
			return &tpls[i];
	return NULL;
}

/* Decode a template set's records into tpls[]. @return 0, or -1 when malformed */
static int
decode_templates(const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off + 4 <= n) {
		struct tpl *t = &tpls[n_tpls++];

		t->id = g16(p + off);
		t->n = g16(p + off + 2);
		off += 4;
		if (t->n > 32)
			return -1;
		for (uint16_t i = 0; i < t->n; i++) {
			if (off + 4 > n)
				return -1;
			t->f[i].id = g16(p + off) & 0x7fff;
			t->f[i].len = g16(p + off + 2);
			t->f[i].pen = 0;
			if (g16(p + off) & 0x8000) {
				if (off + 8 > n)
					return -1;
				t->f[i].pen = g32(p + off + 4);
				off += 4;
			}
			off += 4;
		}
	}
	return off == n ? 0 : -1;
}

static int
decode_data(const struct tpl *t, const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		struct rec *r = &recs[n_recs++];

		r->tpl = t->id;
		r->n = t->n;
		for (uint16_t i = 0; i < t->n; i++) {
			struct value *v = &r->v[i];
			size_t len = t->f[i].len;

			v->pen = t->f[i].pen;
			v->id = t->f[i].id;
			if (len == 0xFFFF) {
				if (off + 1 > n)
					return -1;
				len = p[off++];
				if (len == 255) {
					if (off + 2 > n)
						return -1;
					len = g16(p + off);
					off += 2;
				}
			}
			if (off + len > n || len > sizeof(v->bytes) - 1)
				return -1;
			v->len = (uint16_t)len;
			v->num = 0;
			for (size_t k = 0; k < len && len <= 8; k++)
				v->num = v->num << 8 | p[off + k];
			memcpy(v->bytes, p + off, len);
			v->bytes[len] = '\0';
			off += len;
		}
	}
	return 0;
}

/* A whole message: header checks, then its sets. @return 0, or -1 */
static int
decode_msg(const uint8_t *p, size_t n, uint32_t *seq, uint32_t *domain)
{
	size_t off = JG_IPFIX_HDR;

	if (n < JG_IPFIX_HDR || g16(p) != 10 || g16(p + 2) != n)
		return -1;
	*seq = g32(p + 8);
	*domain = g32(p + 12);
	while (off + 4 <= n) {
		uint16_t id = g16(p + off), len = g16(p + off + 2);
		const struct tpl *t;

		if (len < 4 || off + len > n)
			return -1;
		if (id == 2) {
			if (decode_templates(p + off + 4, len - 4u) != 0)
				return -1;
		} else if (id >= 256) {
			if ((t = find_tpl(id)) == NULL || decode_data(t, p + off + 4, len - 4u) != 0)
				return -1;
		}
		off += len;
	}
	return off == n ? 0 : -1;
}

static const struct value *
get(const struct rec *r, uint32_t pen, uint16_t id)
{
	for (int i = 0; i < r->n; i++)
		if (r->v[i].pen == pen && r->v[i].id == id)
			return &r->v[i];
	return NULL;
}

static uint64_t
num(const struct rec *r, uint32_t pen, uint16_t id)
{
	const struct value *v = get(r, pen, id);

	return v != NULL ? v->num : 0xdeadbeefull;
}

static const char *
str(const struct rec *r, uint16_t id)
{
	const struct value *v = get(r, JG_IPFIX_PEN, id);

	return v != NULL ? (const char *)v->bytes : "(absent)";
}

static struct jg_policy pol;

static void
make_policy(void)
{
	jg_policy_defaults(&pol);
	pol.n_zones = 3;
	strcpy(pol.zones[1], "workstations");
	strcpy(pol.zones[2], "servers");
}

static struct jg_flow_rec
flow_v4(void)
{
	struct jg_flow_rec fr;

	memset(&fr, 0, sizeof(fr));
	fr.ip_version = 4;
	memcpy(fr.src_ip, "\x0a\x14\x1e\x07", 4);
	memcpy(fr.dst_ip, "\x0a\x14\x1e\x28", 4);
	fr.src_port = 51234;
	fr.dst_port = 445;
	fr.proto = 6;
	fr.end_reason = JG_FLOW_END_CLOSED;
	fr.tcp_flags_fwd = 0x1b;
	fr.tcp_flags_rev = 0x12;
	fr.vlan = 42;
	fr.flow_id = 77;
	fr.pkts_fwd = 22;
	fr.pkts_rev = 25;
	fr.bytes_fwd = 151268;
	fr.bytes_rev = 3222;
	fr.first_ns = 1507567479265313000ull;
	fr.last_ns = 1507567492700385999ull;
	fr.services = (1u << JG_SVC_SMB_ADMIN) | (1u << JG_SVC_RDP);
	fr.action = JG_ACT_BLOCK;
	fr.src_zone = 1;
	fr.dst_zone = 2;
	return fr;
}

static void
reset(void)
{
	n_tpls = 0;
	n_recs = 0;
}

static void
test_templates(void)
{
	uint8_t buf[1400];
	size_t n = jg_ipfix_template_set(buf, sizeof(buf), 1);

	reset();
	CHECK(n > 4 && g16(buf) == 2 && g16(buf + 2) == n);
	CHECK(decode_templates(buf + 4, n - 4) == 0);
	CHECK(n_tpls == 2 && tpls[0].id == JG_IPFIX_TPL_V4_BIFLOW && tpls[1].id == JG_IPFIX_TPL_V6_BIFLOW);
	CHECK(tpls[0].f[0].id == 8 && tpls[0].f[0].len == 4 && tpls[0].f[1].id == 12);
	CHECK(tpls[1].f[0].id == 27 && tpls[1].f[0].len == 16 && tpls[1].f[1].id == 28);
	CHECK(tpls[1].f[tpls[1].n - 1].pen == JG_IPFIX_PEN && tpls[1].f[tpls[1].n - 1].len == 0xFFFF);
	reset();
	n = jg_ipfix_template_set(buf, sizeof(buf), 0);
	CHECK(n > 4 && decode_templates(buf + 4, n - 4) == 0);
	CHECK(n_tpls == 2 && tpls[0].id == JG_IPFIX_TPL_V4 && tpls[1].id == JG_IPFIX_TPL_V6);
	for (int i = 0; i < tpls[0].n; i++)
		CHECK(tpls[0].f[i].pen != JG_IPFIX_PEN_REVERSE && tpls[0].f[i].id != 239);
	CHECK(jg_ipfix_template_set(buf, 40, 1) == 0);
}

/* Encode records into a message, then decode the message with the templates. */
static int
roundtrip(const struct jg_flow_rec *fr, const struct jg_policy *p, int biflow)
{
	struct jg_ipfix_msg m;
	uint8_t rec[JG_IPFIX_RECORD_MAX], tset[1024];
	uint32_t seq, dom;
	uint16_t tpl;
	size_t n;

	reset();
	n = jg_ipfix_template_set(tset, sizeof(tset), biflow);
	if (decode_templates(tset + 4, n - 4) != 0)
		return -1;
	jg_ipfix_msg_reset(&m);
	for (int reverse = 0; reverse <= !biflow; reverse++) {
		n = jg_ipfix_record(rec, sizeof(rec), fr, p, "edge-01", biflow, reverse, &tpl);
		if (n == 0 || jg_ipfix_msg_add(&m, tpl, rec, n, 1) != 0)
			return -1;
	}
	n = jg_ipfix_msg_end(&m);
	jg_ipfix_header(m.buf, (uint16_t)n, 1700000000u, 5, 9);
	if (decode_msg(m.buf, n, &seq, &dom) != 0 || seq != 5 || dom != 9)
		return -1;
	return n_recs;
}

static void
test_biflow_v4(void)
{
	struct jg_flow_rec fr = flow_v4();
	const struct rec *r = &recs[0];

	make_policy();
	CHECK(roundtrip(&fr, &pol, 1) == 1);
	CHECK(r->tpl == JG_IPFIX_TPL_V4_BIFLOW);
	CHECK(num(r, 0, 8) == 0x0a141e07 && num(r, 0, 12) == 0x0a141e28);
	CHECK(num(r, 0, 7) == 51234 && num(r, 0, 11) == 445 && num(r, 0, 4) == 6);
	CHECK(num(r, 0, 6) == 0x1b && num(r, JG_IPFIX_PEN_REVERSE, 6) == 0x12);
	CHECK(num(r, 0, 58) == 42 && num(r, 0, 136) == 3 && num(r, 0, 148) == 77 && num(r, 0, 239) == 1);
	CHECK(num(r, 0, 152) == 1507567479265ull && num(r, 0, 153) == 1507567492700ull);
	CHECK(num(r, 0, 1) == 151268 && num(r, 0, 2) == 22);
	CHECK(num(r, JG_IPFIX_PEN_REVERSE, 1) == 3222 && num(r, JG_IPFIX_PEN_REVERSE, 2) == 25);
	CHECK(!strcmp(str(r, JG_IE_SRC_ZONE), "workstations") && !strcmp(str(r, JG_IE_DST_ZONE), "servers"));
	CHECK(!strcmp(str(r, JG_IE_SERVICES), "smb-admin,rdp") && !strcmp(str(r, JG_IE_ACTION), "block"));
	CHECK(!strcmp(str(r, JG_IE_SENSOR), "edge-01"));
	/* no policy published: unknown zones; no service judged: no action */
	fr.services = 0;
	CHECK(roundtrip(&fr, NULL, 1) == 1);
	CHECK(!strcmp(str(r, JG_IE_SRC_ZONE), "unknown") && !strcmp(str(r, JG_IE_SERVICES), "") &&
	      !strcmp(str(r, JG_IE_ACTION), ""));
	/* ICMP: the echo identifier that keys the flow is not exported as ports */
	fr.proto = 1;
	fr.src_port = fr.dst_port = 38067;
	CHECK(roundtrip(&fr, NULL, 1) == 1 && num(r, 0, 7) == 0 && num(r, 0, 11) == 0 && num(r, 0, 4) == 1);
	fr.proto = 6;
	/* end reasons (RFC 5102) */
	fr.end_reason = JG_FLOW_END_IDLE;
	CHECK(roundtrip(&fr, NULL, 1) == 1 && num(r, 0, 136) == 1);
	fr.end_reason = JG_FLOW_END_EVICTED;
	CHECK(roundtrip(&fr, NULL, 1) == 1 && num(r, 0, 136) == 5);
	fr.end_reason = JG_FLOW_END_FLUSH;
	CHECK(roundtrip(&fr, NULL, 1) == 1 && num(r, 0, 136) == 4);
}

static void
test_per_direction_v6(void)
{
	struct jg_flow_rec fr = flow_v4();
	const struct value *a;

	make_policy();
	fr.ip_version = 6;
	memcpy(fr.src_ip, "\xfe\x80\0\0\0\0\0\0\x8d\x0c\x16\x03\x03\xcd\x05\x10", 16);
	memcpy(fr.dst_ip, "\xff\x02\0\0\0\0\0\0\0\0\0\0\0\x01\0\x02", 16);
	CHECK(roundtrip(&fr, &pol, 0) == 2);
	CHECK(recs[0].tpl == JG_IPFIX_TPL_V6 && recs[1].tpl == JG_IPFIX_TPL_V6);
	a = get(&recs[0], 0, 27);
	CHECK(a != NULL && a->len == 16 && !memcmp(a->bytes, fr.src_ip, 16));
	a = get(&recs[1], 0, 27);
	CHECK(a != NULL && !memcmp(a->bytes, fr.dst_ip, 16));
	a = get(&recs[1], 0, 28);
	CHECK(a != NULL && !memcmp(a->bytes, fr.src_ip, 16));
	CHECK(num(&recs[0], 0, 7) == 51234 && num(&recs[1], 0, 7) == 445 && num(&recs[1], 0, 11) == 51234);
	CHECK(num(&recs[0], 0, 2) == 22 && num(&recs[1], 0, 2) == 25 && num(&recs[1], 0, 1) == 3222);
	CHECK(num(&recs[1], 0, 6) == 0x12 && get(&recs[1], JG_IPFIX_PEN_REVERSE, 1) == NULL);
	CHECK(num(&recs[1], 0, 152) == num(&recs[0], 0, 152));
	CHECK(!strcmp(str(&recs[1], JG_IE_SRC_ZONE), "servers") && !strcmp(str(&recs[1], JG_IE_DST_ZONE), "workstations"));
}

static void
test_long_services(void)
{
	struct jg_flow_rec fr = flow_v4();
	const struct value *v;

	make_policy();
	pol.n_services = 32;
	fr.services = 0xffffffffu;
	for (int i = JG_SVC_BUILTIN_MAX; i < 32; i++)
		snprintf(pol.services[i].name, sizeof(pol.services[i].name), "custom-service-number-%02d", i);
	CHECK(roundtrip(&fr, &pol, 1) == 1);
	v = get(&recs[0], JG_IPFIX_PEN, JG_IE_SERVICES);
	/* longer than 254: the three-byte length form; cut at whole names within the limit */
	CHECK(v != NULL && v->len > 255 && v->len <= JG_IPFIX_SERVICES_MAX);
	CHECK(v != NULL && !strncmp((const char *)v->bytes, "smb-admin,smb-encrypted,rpc,", 28) && v->bytes[v->len - 1] != ',');
}

static void
test_batching(void)
{
	struct jg_flow_rec fr = flow_v4();
	struct jg_ipfix_msg m;
	uint8_t rec[JG_IPFIX_RECORD_MAX], tset[1024];
	uint32_t seq, dom;
	uint16_t tpl;
	int added = 0;
	size_t n;

	reset();
	n = jg_ipfix_template_set(tset, sizeof(tset), 1);
	decode_templates(tset + 4, n - 4);
	jg_ipfix_msg_reset(&m);
	for (;;) {
		fr.ip_version = added % 3 == 2 ? 6 : 4; /* sets alternate: v4 v4 v6 v4 v4 v6 ... */
		fr.flow_id = (uint64_t)added;
		n = jg_ipfix_record(rec, sizeof(rec), &fr, NULL, NULL, 1, 0, &tpl);
		if (jg_ipfix_msg_add(&m, tpl, rec, n, 1) != 0)
			break;
		added++;
	}
	CHECK(added > 4 && m.flows == (uint32_t)added && m.records == (uint32_t)added);
	n = jg_ipfix_msg_end(&m);
	CHECK(n <= JG_IPFIX_MTU);
	jg_ipfix_header(m.buf, (uint16_t)n, 0, 0, 0);
	CHECK(decode_msg(m.buf, n, &seq, &dom) == 0 && n_recs == added);
	for (int i = 0; i < n_recs; i++)
		CHECK(num(&recs[i], 0, 148) == (uint64_t)i &&
		      recs[i].tpl == (i % 3 == 2 ? JG_IPFIX_TPL_V6_BIFLOW : JG_IPFIX_TPL_V4_BIFLOW));
}

/* The sink end to end, to a UDP socket here: templates first, then data; sequence numbers count records. */
static void
test_sink(void)
{
	static struct jg_config cfg;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct jg_flow_rec fr = flow_v4();
	struct jg_sink *s;
	uint8_t buf[2048];
	uint32_t expect_seq = 0, seq, dom;
	int msgs = 0, data_recs = 0, first_is_tpl = 0;
	uint64_t dropped;

	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	jg_config_defaults(&cfg);
	cfg.out_ipfix.enabled = 1;
	cfg.out_ipfix.domain_id = 4242;
	cfg.out_ipfix.queue = 16;
	snprintf(cfg.out_ipfix.collector, sizeof(cfg.out_ipfix.collector), "127.0.0.1:%u", ntohs(sa.sin_port));
	make_policy();
	s = jg_ipfix_open(&cfg, &pol);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK(s->alert == NULL && s->flow != NULL && s->st.connected == 0); /* until the first poll */
	for (int i = 0; i < 40; i++) {
		fr.flow_id = (uint64_t)i;
		s->flow(s, &fr, "{}", 2);
		if (i == 20) {
			s->poll(s, jg_unix_ns() + 1000000000ull); /* the batch is old: it goes */
			CHECK(s->st.connected == 1 && s->st.reconnects == 1);
		}
	}
	/* 40 records into a queue of 16: what did not fit is counted, not waited for */
	dropped = s->st.dropped;
	CHECK(dropped > 0 && dropped < 40);
	s->close(s);
	reset();
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int before = n_recs;
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		CHECK(decode_msg(buf, (size_t)n, &seq, &dom) == 0);
		CHECK(dom == 4242);
		if (msgs == 0)
			first_is_tpl = n_tpls == 2 && n_recs == 0;
		CHECK(seq == expect_seq);
		expect_seq += (uint32_t)(n_recs - before);
		data_recs += n_recs - before;
		msgs++;
	}
	close(fd);
	CHECK(first_is_tpl);
	CHECK(msgs >= 3);
	CHECK(data_recs == 40 - (int)dropped);
}

/* Templates at start and again once template_refresh has passed, with data or without. */
static void
test_template_refresh(void)
{
	static struct jg_config cfg;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), tpl_msgs = 0;
	uint64_t t0 = jg_unix_ns();
	struct jg_sink *s;
	uint8_t buf[2048];
	uint32_t seq, dom;

	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	jg_config_defaults(&cfg);
	cfg.out_ipfix.template_refresh = 60;
	cfg.out_ipfix.biflow = 0;
	snprintf(cfg.out_ipfix.collector, sizeof(cfg.out_ipfix.collector), "127.0.0.1:%u", ntohs(sa.sin_port));
	s = jg_ipfix_open(&cfg, NULL);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	s->poll(s, t0);                         /* start: templates */
	s->poll(s, t0 + 30 * 1000000000ull);    /* not yet */
	s->poll(s, t0 + 61 * 1000000000ull);    /* again */
	s->poll(s, t0 + 62 * 1000000000ull);
	s->close(s);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0 || (n = recv(fd, buf, sizeof(buf), 0)) <= 0)
			break;
		reset();
		CHECK(decode_msg(buf, (size_t)n, &seq, &dom) == 0 && dom == 1 && n_recs == 0);
		tpl_msgs += n_tpls == 2 && tpls[0].id == JG_IPFIX_TPL_V4 && tpls[1].id == JG_IPFIX_TPL_V6;
	}
	CHECK(tpl_msgs == 2);
	close(fd);
}

int
main(void)
{
	test_templates();
	test_biflow_v4();
	test_per_direction_v6();
	test_long_services();
	test_batching();
	test_sink();
	test_template_refresh();
	return jg_test_done();
}
