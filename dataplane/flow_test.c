/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow table without EAL: directions, TCP life cycle, timeouts, eviction, flush. */
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "jg_test.h"

#define S 1000000000ull

static struct jg_flow_rec recs[4096];
static unsigned int n_recs;
static uint64_t n_emitted;
static uint64_t cnt[JG_CNT_MAX];

static int
emit(void *ctx, const struct jg_flow *f, enum jg_flow_end reason)
{
	n_emitted++;
	if (n_recs < 4096)
		jg_flow_to_rec(ctx, f, reason, 0, &recs[n_recs++]);
	return 0;
}

static struct jg_pkt
tcp(uint32_t a, uint16_t sp, uint32_t b, uint16_t dp, uint8_t flags)
{
	struct jg_pkt p;

	memset(&p, 0, sizeof(p));
	memcpy(p.src, &a, 4);
	memcpy(p.dst, &b, 4);
	p.sport = sp;
	p.dport = dp;
	p.proto = 6;
	p.ip_version = 4;
	p.tcp_flags = flags;
	return p;
}

static struct jg_pkt
rev(struct jg_pkt p, uint8_t flags)
{
	struct jg_pkt r = p;

	memcpy(r.src, p.dst, 16);
	memcpy(r.dst, p.src, 16);
	r.sport = p.dport;
	r.dport = p.sport;
	r.tcp_flags = flags;
	return r;
}

static struct jg_flow *
pk(struct jg_flow_table *t, struct jg_pkt p, uint32_t len, uint64_t now)
{
	return jg_flow_packet(t, &p, len, now, NULL);
}

static struct jg_flow_table *
table(uint32_t cap)
{
	static struct jg_flow_table t;
	static void *mem;
	struct jg_flow_timeouts to = { 300 * S, 60 * S, 30 * S, 5 * S, 1800 * S, 0 };

	free(mem); /* the previous test's */
	mem = aligned_alloc(64, jg_flow_table_mem_size(cap));

	memset(mem, 0, jg_flow_table_mem_size(cap));
	memset(cnt, 0, sizeof(cnt));
	n_recs = 0;
	n_emitted = 0;
	CHECK(jg_flow_table_init(&t, mem, cap, 7ull << 48, &to, emit, &t, cnt) == 0);
	return &t;
}

static void
test_directions_and_close(void)
{
	struct jg_flow_table *t = table(1024);
	struct jg_pkt syn = tcp(0x0100000a, 50000, 0x0200000a, 445, JG_TCP_SYN);
	struct jg_flow *f1, *f2;

	f1 = jg_flow_packet(t, &syn, 66, 10 * S, NULL);
	f2 = pk(t, rev(syn, JG_TCP_SYN | JG_TCP_ACK), 66, 10 * S + 1);
	CHECK(f1 == f2 && t->count == 1);
	pk(t, rev(rev(syn, 0), JG_TCP_ACK), 60, 10 * S + 2);
	CHECK(f1->tcp_state == JG_TCP_ESTABLISHED);
	pk(t, rev(rev(syn, 0), JG_TCP_ACK | JG_TCP_PSH), 1000, 11 * S);
	pk(t, rev(syn, JG_TCP_FIN | JG_TCP_ACK), 60, 12 * S);
	CHECK(f1->tcp_state == JG_TCP_CLOSING);
	pk(t, rev(rev(syn, 0), JG_TCP_FIN | JG_TCP_ACK), 60, 12 * S + 5);
	CHECK(f1->tcp_state == JG_TCP_CLOSED);
	CHECK(jg_flow_expire(t, 13 * S, 1u << 20) == 0); /* closed timeout is 5 s */
	CHECK(jg_flow_expire(t, 17 * S + 300000000, 1u << 20) == 1 && t->count == 0);
	CHECK(n_recs == 1);
	CHECK(recs[0].end_reason == JG_FLOW_END_CLOSED);
	CHECK(recs[0].src_port == 50000 && recs[0].dst_port == 445); /* initiator first */
	CHECK(recs[0].pkts_fwd == 4 && recs[0].pkts_rev == 2);
	CHECK(recs[0].bytes_fwd == 66 + 60 + 1000 + 60 && recs[0].bytes_rev == 66 + 60);
	CHECK(recs[0].first_ns == 10 * S && recs[0].last_ns == 12 * S + 5);
	CHECK(recs[0].flow_id >> 48 == 7);
	CHECK(cnt[JG_CNT_FLOW_NEW] == 1 && cnt[JG_CNT_FLOW_END_CLOSED] == 1);
}

static void
test_initiator_guess(void)
{
	struct jg_flow_table *t = table(1024);
	/* first packet seen is the server's SYN+ACK: the client is still the source */
	struct jg_pkt sa = tcp(0x0200000a, 445, 0x0100000a, 50001, JG_TCP_SYN | JG_TCP_ACK);
	/* mid-stream, from the well-known port */
	struct jg_pkt mid = tcp(0x0200000a, 135, 0x0300000a, 49000, JG_TCP_ACK);

	jg_flow_packet(t, &sa, 60, S, NULL);
	jg_flow_packet(t, &mid, 60, S, NULL);
	jg_flow_flush(t, 100, 2 * S);
	CHECK(n_recs == 2);
	for (unsigned int i = 0; i < n_recs; i++) {
		CHECK(recs[i].dst_port < 1024 && recs[i].src_port >= 1024);
		CHECK(recs[i].pkts_rev == 1 && recs[i].pkts_fwd == 0);
	}
	CHECK(cnt[JG_CNT_FLOW_END_FLUSH] == 2 && t->count == 0);
}

static void
test_port_reuse(void)
{
	struct jg_flow_table *t = table(1024);
	struct jg_pkt syn = tcp(0x0100000a, 50000, 0x0200000a, 445, JG_TCP_SYN);

	jg_flow_packet(t, &syn, 60, S, NULL);
	pk(t, rev(syn, JG_TCP_RST), 60, S + 1);
	jg_flow_packet(t, &syn, 60, S + 2, NULL); /* same SYN again after the RST: a retry, same flow */
	CHECK(n_recs == 0 && t->count == 1 && cnt[JG_CNT_FLOW_NEW] == 1);
	pk(t, rev(syn, JG_TCP_RST), 60, S + 3);
	syn.tcp_seq = 777;
	jg_flow_packet(t, &syn, 60, 2 * S, NULL); /* same 5-tuple, new sequence: a second connection */
	CHECK(n_recs == 1 && t->count == 1 && cnt[JG_CNT_FLOW_NEW] == 2);
	CHECK(recs[0].pkts_fwd == 2 && recs[0].pkts_rev == 2);
}

static void
test_timeouts(void)
{
	struct jg_flow_table *t = table(1024);
	struct jg_pkt u = tcp(0x0100000a, 5353, 0x0200000a, 53, 0);

	u.proto = 17;
	jg_flow_packet(t, &u, 80, S, NULL);
	CHECK(jg_flow_expire(t, 60 * S, 1u << 20) == 0);
	/* the wheel's tick is 134 ms: a flow ends within one tick of its timeout */
	CHECK(jg_flow_expire(t, 61 * S + 135000000, 1u << 20) == 1 && recs[0].end_reason == JG_FLOW_END_IDLE);
	/* active timeout: the wheel cuts a slice once 1800 s have passed since the first packet; the flow stays */
	u.proto = 6;
	for (uint64_t s = 0; s <= 1800; s += 100) {
		jg_flow_packet(t, &u, 100, (100 + s) * S, NULL);
		CHECK(jg_flow_expire(t, (100 + s) * S, 1u << 20) == 0);
	}
	CHECK(n_recs == 1 && t->count == 1);
	CHECK(jg_flow_expire(t, 1901 * S, 1u << 20) == 0 && t->count == 1);
	CHECK(n_recs == 2 && recs[1].end_reason == JG_FLOW_END_ACTIVE && recs[1].pkts_fwd + recs[1].pkts_rev == 19);
	CHECK(recs[1].first_ns == 100 * S && recs[1].last_ns == 1900 * S);
	/* the next packet starts the next slice */
	jg_flow_packet(t, &u, 100, 1902 * S, NULL);
	jg_flow_flush(t, 10, 1902 * S);
	CHECK(n_recs == 3 && recs[2].pkts_fwd + recs[2].pkts_rev == 1 && recs[2].first_ns == 1902 * S);
	CHECK(cnt[JG_CNT_FLOW_NEW] == 2);
}

static void
test_eviction_bounded(void)
{
	struct jg_flow_table *t = table(64);
	struct jg_pkt p = tcp(0x0100000a, 1, 0x0200000a, 80, JG_TCP_SYN);

	for (uint32_t i = 0; i < 1000; i++) {
		p.sport = (uint16_t)(1024 + i);
		jg_flow_packet(t, &p, 60, (i + 1) * S, NULL);
	}
	CHECK(t->count <= 64);
	CHECK(cnt[JG_CNT_FLOW_NEW] == 1000);
	CHECK(cnt[JG_CNT_FLOW_END_EVICTED] == 1000 - t->count);
	CHECK(n_recs == 1000 - t->count);
	/* the newest flows survive: the most recent source port is still there */
	p.sport = 1024 + 999;
	jg_flow_packet(t, &p, 60, 1000 * S + 1, NULL);
	CHECK(cnt[JG_CNT_FLOW_NEW] == 1000);
	while (jg_flow_flush(t, 7, 1000 * S + 1) > 0)
		;
	CHECK(t->count == 0 && n_recs == 1000);
}

/* n distinct flows (UDP, source address and port from i) at time `now`. */
static void
fill(struct jg_flow_table *t, uint32_t n, uint64_t now, uint32_t salt)
{
	struct jg_pkt p = tcp(0, 0, 0x0200000a, 53, 0);

	p.proto = 17;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = 0x0a000000u + (i >> 10) + salt;

		memcpy(p.src, &a, 4);
		p.sport = (uint16_t)(1024 + (i & 1023));
		jg_flow_packet(t, &p, 100, now, NULL);
	}
}

static void
test_high_load(void)
{
	const uint32_t cap = 1u << 14, n = cap / 100 * 95;
	struct jg_flow_table *t = table(cap);

	/* 95% of the slots: entries move aside, none is evicted */
	fill(t, n, S, 0);
	CHECK(t->count == n && cnt[JG_CNT_FLOW_NEW] == n && cnt[JG_CNT_FLOW_END_EVICTED] == 0);
	CHECK(cnt[JG_CNT_FLOW_MOVED] > 0);
	/* every flow is still found where the moves left it */
	fill(t, n, 2 * S, 0);
	CHECK(t->count == n && cnt[JG_CNT_FLOW_NEW] == n && n_recs == 0);
	/* past the table's size: evictions, counted, and the table stays full and consistent */
	fill(t, cap, 3 * S, 1u << 20);
	CHECK(t->count <= cap && cnt[JG_CNT_FLOW_END_EVICTED] == n + cap - t->count);
	CHECK(n_emitted == cnt[JG_CNT_FLOW_END_EVICTED]);
	while (jg_flow_flush(t, 1000, 3 * S) > 0)
		;
	CHECK(t->count == 0 && n_emitted == n + cap);
}

static void
test_wheel(void)
{
	struct jg_flow_table *t = table(1024);
	struct jg_pkt p = tcp(0x0100000a, 40000, 0x0200000a, 80, JG_TCP_SYN);
	const uint64_t t0 = 1700000000ull * S; /* a real clock: the wheel starts far from 0 */

	/* 100 TCP flows (300 s) and 100 UDP ones (60 s) */
	for (uint16_t i = 0; i < 100; i++) {
		p.sport = (uint16_t)(40000 + i);
		p.proto = 6;
		jg_flow_packet(t, &p, 60, t0, NULL);
		p.proto = 17;
		jg_flow_packet(t, &p, 60, t0, NULL);
	}
	CHECK(jg_flow_expire(t, t0 + 59 * S, 1u << 20) == 0);
	/* a bound on the buckets visited per call: the rest waits for the next call */
	CHECK(jg_flow_expire(t, t0 + 61 * S, 1) <= 8);
	while (jg_flow_expire(t, t0 + 61 * S, 1) > 0)
		;
	CHECK(t->count == 100 && n_recs == 100 && cnt[JG_CNT_FLOW_END_IDLE] == 100);
	/* a flow kept alive is not ended by its first deadline */
	p.proto = 6;
	p.sport = 40000;
	jg_flow_packet(t, &p, 60, t0 + 200 * S, NULL);
	CHECK(jg_flow_expire(t, t0 + 301 * S, 1u << 20) == 99 && t->count == 1);
	/* a FIN from both sides: the closed timeout (5 s) applies at once */
	p.tcp_flags = JG_TCP_FIN | JG_TCP_ACK;
	jg_flow_packet(t, &p, 60, t0 + 302 * S, NULL);
	pk(t, rev(p, JG_TCP_FIN | JG_TCP_ACK), 60, t0 + 302 * S);
	CHECK(jg_flow_expire(t, t0 + 306 * S, 1u << 20) == 0);
	CHECK(jg_flow_expire(t, t0 + 308 * S, 1u << 20) == 1 && t->count == 0);
	CHECK(recs[n_recs - 1].end_reason == JG_FLOW_END_CLOSED);
	/* a leap of a year (a capture's clock): everything filed is visited within one turn */
	fill(t, 500, t0 + 400 * S, 0);
	CHECK(jg_flow_expire(t, t0 + 400 * S + 365 * 86400 * S, 1u << 20) == 500 && t->count == 0);
}

static void
test_counter_carries(void)
{
	struct jg_flow_table *t = table(64);
	struct jg_pkt p = tcp(0x0100000a, 40000, 0x0200000a, 80, JG_TCP_ACK);

	/* 70000 packets and 5 GiB one way: beyond the hot line's 16 and 32 bits */
	for (uint32_t i = 0; i < 70000; i++)
		jg_flow_packet(t, &p, i < 5 ? 1u << 30 : 1, S + i, NULL);
	jg_flow_flush(t, 10, 2 * S);
	CHECK(n_recs == 1 && recs[0].pkts_fwd == 70000);
	CHECK(recs[0].bytes_fwd == 5ull * (1u << 30) + 69995);
}

/* A hint prepared before other packets moved its flow still finds it. */
static void
test_stale_hint(void)
{
	const uint32_t cap = 1u << 10;
	struct jg_flow_table *t = table(cap);
	struct jg_pkt q = tcp(0x0909090a, 7, 0x0200000a, 80, JG_TCP_ACK);
	struct jg_flow_hint h = { .pkt = &q };
	struct jg_flow *f = jg_flow_packet(t, &q, 60, S, NULL);

	jg_flow_hint_prepare(t, &h);
	jg_flow_lookup_bulk(t, &h, 1);
	CHECK(h.cand != JG_FLOW_NIL && &t->flows[h.cand] == f);
	fill(t, cap / 100 * 95, S, 0); /* moves entries, maybe this one */
	f = jg_flow_packet_hint(t, &q, &h, 60, 2 * S, NULL);
	CHECK(!h.created && jg_flow_pkts(t, f, 0) + jg_flow_pkts(t, f, 1) == 2);
}

static void
test_symmetric_hash(void)
{
	struct jg_pkt a = tcp(0x0100000a, 50000, 0x0200000a, 445, 0), b = rev(a, 0);
	struct jg_flow_key ka, kb;

	CHECK(jg_flow_key_of(&a, &ka) != jg_flow_key_of(&b, &kb));
	CHECK(memcmp(&ka, &kb, sizeof(ka)) == 0 && jg_flow_hash(&ka) == jg_flow_hash(&kb));
}

int
main(void)
{
	test_directions_and_close();
	test_initiator_guess();
	test_port_reuse();
	test_timeouts();
	test_eviction_bounded();
	test_high_load();
	test_wheel();
	test_counter_carries();
	test_stale_hint();
	test_symmetric_hash();
	free(table(16)->flows);
	return jg_test_done();
}
